"""Weekly EMQ: per priority event, estimated vs Meta's EMQ and key coverage; the trend and the coverage map."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analysis.normalize import USER_DATA_KEYS
from analysis import figures
from analysis.metrics import mirror
from analysis.views import weekly
from dashboard import data, present

f = data.current()
rep = data.audit_or_stop(f)
w = rep["window"]
st.title("Weekly EMQ")
st.caption(f"{w['since']} … {w['until']} ({w['timezone']}) · {f.pixel or 'all pixels'} · estimated EMQ uses "
           "capi-audit's published model; Meta's own score appears where a quality snapshot was ingested.")


# First thing: what to change, best estimated gain first (computed from the logs).
if fixes := rep.get("recommendations"):
    st.subheader("Fixes that would raise EMQ most")
    top_many = len({r["pixel_id"] for r in fixes}) > 1
    for r in fixes[:5]:
        with st.expander(present.md(present.fix_line(r, top_many)), icon=":material/build:"):
            lines = [f"- **{present.PLATFORM_NAMES[k]}**: {present.md(v)}" for k, v in r["how_to"].items()]
            if r["malformed_share"]:
                lines.append(f"- **Malformed on {r['malformed_share']:.0%} of events**: "
                             f"{present.md(r['malformed_how_to'])}")
            st.markdown("\n".join(lines))
    st.caption("Expected EMQ: the mean per-event score of capi-audit's model as if the identifier were present "
               "and well-formed on every event" + (" (weights calibrated to Meta's scores)."
                                                  if any(r["weights"] == "calibrated" for r in fixes) else "."))


def money_at_stake() -> None:
    m = rep.get("money_at_stake")
    if not m:
        return
    week = m["weeks"][-1]
    st.subheader("Money at stake (estimate)")
    kpis = present.money_metrics(m, week, f"{week['since']} … {week['until']}")
    for col, (label, value, tip) in zip(st.columns(4), kpis):
        col.metric(label, value, border=True, help=tip)


events = [e for e in rep["events"] if e["server_events"]]
if not events:
    meta_only = [e for e in rep["events"] if e["event_name"] in rep["priority_events"] and e.get("meta_feedback")]
    if not meta_only:
        st.info("No server events in this window — ingest your Conversions API events: "
                "`capi-audit ingest server-events FILE`, or widen the window in the sidebar.")
        st.stop()
    # Connectors alone (Meta's snapshots and /stats, orders): Meta's numbers now, the rest once logs exist.
    st.info(present.NEEDS_LOGS_PAGE, icon=":material/description:")
    for e in meta_only:
        fb = e["meta_feedback"]
        cols = st.columns(4)
        cols[0].metric(f"{e['event_name']} · Meta's EMQ", "—" if e["emq_meta"] is None else f"{e['emq_meta']:.1f}",
                       border=True, help=f"Target {rep['priority_events'][e['event_name']]['target']:g}. "
                                         "Latest Meta quality snapshot fetched in the window.")
        cols[1].metric("Meta's event coverage", "—" if fb["event_coverage_pct"] is None
                       else f"{fb['event_coverage_pct']:.0f}%", border=True,
                       help="Meta's share of this event's conversions it also received from the server.")
        cols[2].metric("Received from the server", "—" if fb["server_received"] is None
                       else f"{fb['server_received']:,}", border=True,
                       help="Meta's /stats, SERVER_ONLY, in the window.")
        cols[3].metric("Estimated EMQ", "needs logs", border=True,
                       help="capi-audit's own estimate is computed from your Conversions API logs.")
        if fb["match_keys"]:
            st.dataframe(pd.DataFrame([{"identifier": k, "Meta's coverage %": v} for k, v in fb["match_keys"].items()]),
                         hide_index=True, key=f"meta_keys_{e['pixel_id']}_{e['event_name']}")
        for d in fb["diagnostics"]:
            st.warning(present.md(f"{d['name'] or 'Meta diagnostic'}: {d['description'] or ''} {d['solution'] or ''}"),
                       icon=":material/lightbulb:")
    money_at_stake()
    st.stop()

priority: dict[str, dict] = rep["priority_events"]
many = len({e["pixel_id"] for e in events}) > 1
by_week = weekly.weekly_emq(rep["daily"]["emq"], date.fromisoformat(w["until"]))


def fmt(v: float | None, spec: str) -> str:
    return "—" if v is None else format(v, spec)


kpi = [e for name in priority for e in events if e["event_name"] == name]
if not kpi:
    st.info(f"None of the priority events ({', '.join(priority)}) has server events in this window; "
            "the charts below show every event.")
for e in kpi:
    name = f"{e['event_name']} · {e['pixel_id']}" if many else e["event_name"]
    last, prev = by_week.get((e["pixel_id"], e["event_name"]), (None, None))
    target = priority[e["event_name"]]["target"]
    cols = st.columns([1.4, 1, 1, 1, 1, 1])
    change = weekly.change(last, prev)
    cols[0].metric(f"{name} · EMQ, 7 days", fmt(last, ".1f"), border=True,
                   delta=None if change is None else f"{change:+.1f}" if change else "±0.0",
                   delta_color="normal" if change else "off", delta_arrow="auto" if change else "off",
                   delta_description="vs 7 days before",
                   help=f"Estimated EMQ over the window's last 7 days. Target {target:g}. "
                        f"Whole window: {fmt(e['emq_estimate'], '.2f')}; "
                        f"calibrated to Meta's snapshots: {fmt(e['emq_calibrated'], '.2f')}.")
    cols[1].metric("Meta's EMQ", fmt(e["emq_meta"], ".1f"), border=True,
                   help="Latest Meta quality snapshot fetched in the window." if e["emq_meta"] is not None else
                   "No Meta quality snapshot in this window: `capi-audit ingest meta-quality FILE`.")
    for col, key in zip(cols[2:], ("em", "ph", "fbc", "fbp")):
        col.metric(f"{key} coverage", fmt(e["coverage"][key], ".0%"), border=True,
                   help=f"Share of server events whose {key} is well-formed as received.")

money_at_stake()

# Only with a first-party mirror (capi-audit capture): pixel calls that blockers stopped before Meta.
if (lost := mirror.line(rep["mirror"])) is not None:
    st.info(lost, icon=":material/visibility_off:")

names = sorted({e["event_name"] for e in events})
chosen = st.multiselect("Events on the trend", names, default=[e["event_name"] for e in kpi] or names[:5])
target = max((p["target"] for p in priority.values()), default=8.0)
st.plotly_chart(figures.emq_trend(rep["daily"]["emq"], rep["daily"]["emq_meta"], rep["deployments_list"],
                                  events=chosen, target=target), key="emq_trend")

# Only with ad account insights (capi-audit sync meta-insights): a CPA jump next to a pairing change.
if (cpa := present.cpa_frames(rep)) is not None:
    st.caption(present.md(present.cpa_line(rep)))
    st.plotly_chart(figures.cpa_daily(cpa[0], rep["deployments_list"], cpa[1], rep["cpa"]["currency"],
                                      (w["since"], w["until"])), key="cpa_daily")
    for text in cpa[1]["evidence"]:
        st.warning(present.md(text), icon=":material/trending_up:")

heat = pd.DataFrame([{"label": f"{e['event_name']} · {e['pixel_id']}" if many else e["event_name"], **e["coverage"]}
                     for e in events])
st.plotly_chart(figures.coverage_heatmap(heat, USER_DATA_KEYS), key="coverage_heatmap")
