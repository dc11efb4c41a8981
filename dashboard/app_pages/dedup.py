"""Deduplication: pixel and server copies per day, the per-event dedup block, unpaired event ids."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import figures
from analysis.metrics import mirror
from dashboard import data

f = data.current()
rep = data.audit_or_stop(f)
w = rep["window"]
st.title("Deduplication")
st.caption(f"{w['since']} … {w['until']} ({w['timezone']}) · {f.pixel or 'all pixels'} · a browser and a server "
           "copy pair when pixel, event name and event_id match within 48 h.")

events = rep["events"]
if not any(e["browser_events"] for e in events):
    st.info("No browser events yet — ingest a HAR export or a pixel log: `capi-audit ingest browser-events FILE`.")
if not any(e["server_events"] for e in events):
    st.info("No server events yet — ingest your Conversions API events: `capi-audit ingest server-events FILE`.")
if not events:
    st.stop()

many = len({e["pixel_id"] for e in events}) > 1
pairs = [(e["pixel_id"], e["event_name"]) for e in events]
names = [p[1] for p in pairs]
default = names.index("Purchase") if "Purchase" in names else 0
pixel, event = st.selectbox("Event", pairs, index=default, key="dedup_event",
                            format_func=lambda p: f"{p[1]} · {p[0]}" if many else p[1])

# Only with a first-party mirror (capi-audit capture): pixel calls that blockers stopped before Meta.
if (lost := mirror.line(rep["mirror"], event, pixel)) is not None:
    st.info(lost, icon=":material/visibility_off:")

daily = rep["daily"]["dedup"]
if not daily.empty:
    daily = daily[(daily["pixel_id"] == pixel) & (daily["event_name"] == event)]
st.plotly_chart(figures.dedup_daily(daily), key="dedup_daily")

table = pd.DataFrame([{"pixel": e["pixel_id"], "event": e["event_name"], "server": e["server_events"],
                       "browser": e["browser_events"], **e["dedup"]} for e in events])
st.dataframe(table, hide_index=True, column_order=(["pixel"] if many else []) + [
    "event", "server", "browser", "overlap", "matched", "server_only", "browser_only", "name_mismatch",
    "server_with_event_id", "browser_with_event_id", "server_repeats", "browser_repeats", "reused_event_ids"],
    column_config={
        "overlap": st.column_config.NumberColumn(format="percent", help="matched / min(browser, server) events"),
        "server_only": "server only", "browser_only": "browser only", "server_repeats": "server repeats",
        "browser_repeats": "browser repeats", "reused_event_ids": "reused ids",
        "server_with_event_id": st.column_config.NumberColumn("server with id", format="percent"),
        "browser_with_event_id": st.column_config.NumberColumn("browser with id", format="percent"),
        "name_mismatch": st.column_config.NumberColumn(
            "name mismatch", help="ids that pair only ignoring case/whitespace (purchase vs Purchase)"),
    })

if st.toggle("Show a sample of unpaired event ids"):
    sample = rep["unpaired_sample"]
    if sample.empty:
        st.caption("Every event id in this window found its other copy.")
    else:
        st.dataframe(sample, hide_index=True)
