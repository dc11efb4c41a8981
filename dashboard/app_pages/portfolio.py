"""Portfolio: every pixel's headline numbers, worst first, and a way into each pixel's own pages."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data

OPEN_FLAG = "portfolio_open"


def _open() -> None:
    # A callback runs before the next run draws the sidebar, so the sidebar's pixel widget may be set here.
    st.session_state["pixel"] = st.session_state["portfolio_pixel"]
    st.session_state[OPEN_FLAG] = True


if st.session_state.pop(OPEN_FLAG, False):
    st.switch_page("app_pages/weekly_emq.py")

f = data.current()
try:
    port = data.portfolio(f)
except data.DataError as exc:
    st.error(str(exc))
    st.stop()
w, name = port["window"], port["event_name"]
st.title("Portfolio")
st.caption(f"{w['since']} … {w['until']} ({w['timezone']}) · every pixel in the store, whatever the pixel filter · "
           f"each row is that pixel's own report: most failing checklist items first, then warnings, then "
           f"lowest {name} EMQ.")
rows = port["pixels"]
if not rows:
    st.info("No pixels in this store yet — ingest server events (`capi-audit ingest server-events FILE`) or "
            "orders with a `pixel_id` column (`capi-audit ingest orders FILE`).")
    st.stop()


def _money(r: dict) -> str:
    return "—" if r["money_at_stake"] is None else f"{r['money_at_stake']:,.0f} {r['currency'] or ''}".rstrip()


table = pd.DataFrame([{
    "pixel": r["pixel_id"], "EMQ": r["emq"], "EMQ from": {"meta": "Meta", "estimate": "estimate"}.get(
        r["emq_source"], "—"),
    "dedup overlap": r["dedup_overlap"], "orders": r["backend_orders"], "server": r["server_events"],
    "gap": r["purchase_gap"], "money at stake": _money(r),
    **{s: r["checklist"][s] for s in ("fail", "warn", "pass", "unknown")}} for r in rows])
st.dataframe(table, hide_index=True, column_config={
    "EMQ": st.column_config.NumberColumn(f"{name} EMQ", format="%.2f",
                                         help="Meta's Event Match Quality when Meta reported one, else the estimate."),
    "dedup overlap": st.column_config.NumberColumn(format="percent", help=f"{name}s sent by both pixel and server."),
    "gap": st.column_config.NumberColumn(f"{name} gap", format="percent",
                                         help=f"(orders − server {name}s) / orders over the window."),
    "money at stake": st.column_config.TextColumn(
        help="Missed orders' value + duplicated Purchases' value, at the average order value (an estimate)."),
})

# The sidebar offers the pixels that have events; a pixel known from orders alone has no pages to open yet.
openable = [r["pixel_id"] for r in rows if r["pixel_id"] in data.sources(f.db)["pixels"]]
if openable:
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    c1.selectbox("Pixel", openable, key="portfolio_pixel")
    c2.button("Open weekly review", icon=":material/speed:", on_click=_open,
              help="Sets the sidebar's pixel and opens its Weekly EMQ page; every page then shows that pixel.")
