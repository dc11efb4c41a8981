"""Monthly health check: the six checklist items of a calendar month as cards, month over month, the reports."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import figures
from analysis.views import health, series
from dashboard import data, present

# status → (badge colour, icon); the colours of `capi-audit check` and the HTML report
STATUS = {"pass": ("green", ":material/check_circle:"), "warn": ("orange", ":material/warning:"),
          "fail": ("red", ":material/cancel:"), "unknown": ("gray", ":material/help:")}

f = data.current()
st.title("Monthly health check")
try:
    months = data.months(f.db, f.tz, f.pixel)
except data.DataError as exc:
    st.error(str(exc))
    st.stop()
if months.empty:
    st.info("No server or browser events yet, so there is no month to check — ingest your Conversions API events: "
            "`capi-audit ingest server-events FILE` (and the pixel's: `capi-audit ingest browser-events FILE`).")
    st.stop()

options = list(reversed(months["month"].tolist()))          # newest first
default = health.default_month(months)
pick, md_slot, html_slot = st.columns([2, 1, 1], vertical_alignment="bottom")
month = pick.selectbox("Month", options, index=options.index(default), key="health_month",
                       format_func=lambda m: m.strftime("%B %Y"),
                       help="Calendar months with events. The default is the latest month the data covers from "
                            "its first to its last day, else the latest month with data.")
before = health.previous_month(month)
try:
    rep = data.month_report(f, month)
    last = data.month_numbers(f, before)
except data.DataError as exc:
    st.error(str(exc))
    st.stop()

w, pw = rep["window"], rep["previous_window"]
span = health.month_bounds(month)
covered = months[months["month"] == month].iloc[0]
partial = "" if (covered["first_day"], covered["last_day"]) == span else \
    f" · events from {covered['first_day']} to {covered['last_day']} only"
st.caption(f"{w['since']} … {w['until']} ({w['timezone']}) · {f.pixel or 'all pixels'}{partial} · each item "
           f"compares the month with the previous month ({pw['since']} … {pw['until']}). The sidebar's window does "
           "not apply on this page; its pixel and time zone do.")

if not any(e["server_events"] or e["browser_events"] for e in rep["events"]):
    st.info(present.NEEDS_LOGS_PAGE, icon=":material/description:")

name = f"capi-audit-{month:%Y-%m}"
md_slot.download_button("Markdown report", data.month_markdown(rep), file_name=f"{name}.md", mime="text/markdown",
                        icon=":material/download:", key="health_md", on_click="ignore", width="stretch")
# The HTML file inlines plotly.js (~5 MB): it is built on the click, not on every run of the page.
html_slot.download_button("HTML report", lambda: data.month_html(f, month), file_name=f"{name}.html",
                          mime="text/html", icon=":material/download:", key="health_html", on_click="ignore",
                          width="stretch", help="One self-contained file with the charts (~5 MB), built when you "
                                                "click; it opens without a network.")

checklist = rep["checklist"]
counts = {s: sum(c["status"] == s for c in checklist) for s in STATUS}
st.markdown("  ".join(f":{STATUS[s][0]}-badge[{STATUS[s][1]} {counts[s]} {s}]" for s in STATUS if counts[s]))
if money := rep.get("money_at_stake"):
    for col, (label, value, tip) in zip(st.columns(4), present.money_metrics(money, money["total"], f"{month:%B}")):
        col.metric(label, value, border=True, help=tip)

priority = rep["priority_events"]
daily = rep["daily"]


def only_priority(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty or "event_name" not in frame:
        return frame
    return frame[frame["event_name"].isin(list(priority))]


def in_month(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty or "day" not in frame:
        return frame
    days = pd.to_datetime(frame["day"]).dt.date
    return frame[(days >= span[0]) & (days <= span[1])]


items = {c["id"]: c for c in checklist}
disc = rep["discrepancy"]
targets = {}
for event, spec in priority.items():
    emq_item = [i for i in (items.get("emq", {}).get("details") or {}).get("events", []) if i["event_name"] == event]
    target = emq_item[0]["target"] if emq_item else spec.get("target")
    if target is not None:
        targets[event] = float(target)
keys = tuple((items.get("coverage", {}).get("details") or {}).get("keys") or ("em", "ph", "fbp", "fbc"))
deps = pd.DataFrame(rep["deployments"], columns=["name", "deployed_at", "verdict"]) if rep["deployments"] \
    else pd.DataFrame(columns=["name", "deployed_at", "verdict"])
cards = {
    "emq": lambda: figures.card_emq(only_priority(daily["emq"]), only_priority(daily["emq_meta"]), targets, span),
    "volume": lambda: figures.card_gap(pd.DataFrame(disc["days"]), disc["threshold"], disc["event_name"], span),
    "dedup": lambda: figures.card_dedup(series.ratios(in_month(only_priority(rep["metric_daily"]))), span),
    "coverage": lambda: figures.card_coverage(series.coverage_by_day(only_priority(daily["coverage"]), keys), keys,
                                              span),
    "deployments": lambda: figures.card_deployments(deps, span),
    "privacy": lambda: figures.card_privacy(series.sides_by_day(only_priority(daily["dedup"])), span),
}

for row in range(0, len(checklist), 2):
    for col, item in zip(st.columns(2, border=True), checklist[row:row + 2]):
        with col.container(key=f"health_card_{item['id']}"):
            colour, icon = STATUS.get(item["status"], STATUS["unknown"])
            st.markdown(f":{colour}-badge[{icon} {item['status']}] **{present.md(item['title'])}** `{item['id']}`")
            lead, findings = present.evidence_parts(item["evidence"])
            shown = 4
            bullets = [f"- {present.md(x)}" for x in findings[:shown]]
            st.markdown("\n".join(([present.md(lead), ""] if lead else []) + bullets))
            if len(findings) > shown:
                with st.expander(f"{len(findings) - shown} more"):
                    st.markdown("\n".join(f"- {present.md(x)}" for x in findings[shown:]))
            if item["id"] in cards:
                st.plotly_chart(cards[item["id"]](), key=f"health_chart_{item['id']}",
                                config={"displayModeBar": False})

st.subheader(f"{month:%B %Y} vs {before:%B %Y}")
mom = health.month_over_month(rep, last, priority)
if not health.has_data(last):
    st.caption(f"No data in {before:%B %Y}: the last column stays empty.")
red = "color: #cf222e; font-weight: 600"
styled = mom.style.apply(lambda r: [red if r["worse"] and c == "change" else "" for c in r.index], axis=1)
st.dataframe(styled, hide_index=True, key="health_mom", column_order=["item", "measure", "this", "last", "change"],
             height=35 * (len(mom) + 1) + 3,                       # every row, no inner scrolling
             column_config={"this": f"{month:%b %Y}", "last": f"{before:%b %Y}",
                            "change": st.column_config.TextColumn("change", help="Red: worse than last month.")})
