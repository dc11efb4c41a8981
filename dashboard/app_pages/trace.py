"""Trace: type an order id or event id, see the order, both sides' copies, lint hits and pairing."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data

KEYS = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id", "client_ip_address",
        "client_user_agent", "fbc", "fbp")

f = data.current()
st.title("Trace an id")
st.caption("An order id (1001, #1001 or Shopify's numeric Id) or an event id (order-1001). Identifiers are shown "
           "as present / well-formed, never their values. Also on the command line: `capi-audit trace ID`.")
ident = st.text_input("Order or event id", key="trace_id", placeholder="e.g. 1001 or order-1001")
if not ident.strip():
    st.stop()
try:
    found = data.trace(f.db, ident)
except data.DataError as exc:
    st.error(str(exc))
    st.stop()
if not found["found"]:
    st.warning(f"Nothing is known about {ident.strip()!r}: no order, server event or browser event carries it.")
    st.stop()

orders = found["orders"]
if isinstance(orders, pd.DataFrame) and not orders.empty:
    st.subheader("Order")
    for o in orders.to_dict("records"):
        cols = st.columns(4)
        cols[0].metric("Order", o["order_id"], border=True)
        cols[1].metric("Status", o["status"], border=True)
        cols[2].metric("Total", f"{o['total']:.2f} {o['currency'] or ''}", border=True)
        cols[3].metric("Created (UTC)", str(o["created_at"])[:16], border=True)
        keys = o["hashed_keys"]
        st.caption(f"Of {o['owner'] or 'every pixel'} · channel {o['channel']} · test {o['test']} · hashed personal fields: "
                   f"{', '.join(list(keys)) if keys is not None and len(keys) else 'none'}")
else:
    st.info("No order with this id (a Purchase for it counts as a Purchase without an order).")

paired = found["paired"]
if isinstance(paired, pd.DataFrame) and not paired.empty:
    for p in paired.to_dict("records"):
        text = f"**{p['event_name']}** `{p['event_id']}`: " + ("paired with its other copy" if p["paired"]
                                                                else "**not paired**")
        if p["name_mismatch"]:
            text += " — the other side uses the same id with a name that differs only in case or spaces"
        (st.success if p["paired"] else st.warning)(text)

server = found["server"]
st.subheader(f"Server copies ({0 if not isinstance(server, pd.DataFrame) else len(server)})")
if isinstance(server, pd.DataFrame) and not server.empty:
    rows = []
    for e in server.to_dict("records"):
        row = {"event": e["event_name"], "event_id": e["event_id"], "event_time": e["event_time"],
               "sent_at": e["sent_at"], "rejected": e["rejected"], "error": e["error_code"],
               "test code": e["test_event_code"]}
        for k in KEYS:
            row[k] = "✓" if e[f"{k}_valid"] else ("✗ malformed" if e[f"{k}_present"] else "")
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True)

browser = found["browser"]
st.subheader(f"Browser copies ({0 if not isinstance(browser, pd.DataFrame) else len(browser)})")
if isinstance(browser, pd.DataFrame) and not browser.empty:
    st.dataframe(browser[["event_name", "event_id", "event_time", "source", "fbp_present", "fbc_present"]],
                 hide_index=True)

lint = found["lint"]
st.subheader("Lint findings")
if isinstance(lint, pd.DataFrame) and not lint.empty:
    st.dataframe(lint, hide_index=True)
else:
    st.caption("No lint rule fired on these events.")
