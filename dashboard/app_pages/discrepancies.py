"""Discrepancies: backend orders vs server and browser Purchases (and Meta's counts) per day."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import figures
from dashboard import data

f = data.current()
rep = data.audit_or_stop(f)
w, disc = rep["window"], rep["discrepancy"]
st.title("Discrepancies")
st.caption(f"{w['since']} … {w['until']} ({w['timezone']}) · {f.pixel or 'all pixels'} · {disc['event_name']} per "
           f"day of the order's date; a day is flagged when |gap| > {disc['threshold']:.0%} with at least "
           f"{disc['min_orders']} orders.")

days = pd.DataFrame(disc["days"])
if days.empty:
    st.info(f"No orders and no {disc['event_name']} events in this window — ingest your shop's orders: "
            "`capi-audit ingest orders FILE` (and your server events: `capi-audit ingest server-events FILE`).")
    st.stop()
if not days["backend_orders"].any():
    st.info("No backend orders in this window, so there is no gap to measure — ingest your shop's orders export: "
            "`capi-audit ingest orders FILE`.")

flagged = int(days["flagged"].sum())
c1, c2, c3 = st.columns(3)
c1.metric("Flagged days", flagged, border=True)
c2.metric("Days with orders", int((days["backend_orders"] > 0).sum()), border=True)
c3.metric("Meta's counts", "ingested" if days["meta_received"].notna().any() else "not ingested", border=True,
          help="Meta's /stats counts per day: `capi-audit ingest meta-stats FILE`.")

st.plotly_chart(figures.discrepancy_daily(days, disc["threshold"], disc["event_name"]), key="discrepancy_daily")

red = "background-color: rgba(214, 39, 40, 0.18)"
styled = days.style.apply(lambda row: [red if row["flagged"] else ""] * len(row), axis=1)
st.dataframe(styled, hide_index=True, column_order=[
    "date", "flagged", "gap", "backend_orders", "server_events", "browser_events", "meta_received",
    "meta_browser_received", "backend_revenue", "server_value"], column_config={
    "gap": st.column_config.NumberColumn(format="percent", help="(backend orders − server events) / backend orders"),
    "backend_orders": "backend orders", "server_events": "server", "browser_events": "browser",
    "meta_received": "Meta (server)", "meta_browser_received": "Meta (browser)",
    "backend_revenue": st.column_config.NumberColumn("backend revenue", format="%.2f"),
    "server_value": st.column_config.NumberColumn("server value", format="%.2f"),
})
