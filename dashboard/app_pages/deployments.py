"""Deployments: which release broke which identifier, and when — verdicts, a timeline, one deployment's drill-down."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analysis import figures
from analysis.views import deployments as dep_views
from analysis.views import series
from dashboard import data, present

BADGES = {"regressed": ("red", ":material/error:", "regressed"), "ok": ("green", ":material/check_circle:", "ok"),
          "insufficient_data": ("gray", ":material/hourglass_empty:", "insufficient data")}
ALL_EVENTS = "All events"

f = data.current()
rep = data.audit_or_stop(f)
w = rep["window"]
st.title("Deployments")
st.caption(f"{w['since']} … {w['until']} ({w['timezone']}) · {f.pixel or 'all pixels'} · every metric in the 7 "
           "days after a deployment vs the 7 days before it (cut at the neighbouring deployments); a metric is "
           "compared with at least 3 days and 100 events on each side.")

def widen(since, until) -> None:
    # A callback may set a widget's state before the rerun draws it.
    st.session_state["window"] = (since, until)


# Deployments outside the window are easy to miss: offer to widen it to all of them (with a week's margin,
# the span a before/after comparison needs).
everything = data.sources(f.db)["deployments"]
if not everything.empty and (out := dep_views.outside(everything["deployed_at"], date.fromisoformat(w["since"]),
                                                      date.fromisoformat(w["until"]))):
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.info(f"{out.count} more deployment{'s' if out.count > 1 else ''} outside this window "
              f"(first {out.first}, last {out.last}).")
    right.button("Show every deployment", on_click=widen, args=(out.since, out.until), icon=":material/date_range:",
                 help=f"Sets the window to {out.since} … {out.until}.")

deps: list[dict] = rep["deployments"]
breaks = pd.DataFrame(rep["suspected_breaks"], columns=["date", "metric", "event_name", "pixel_id", "before", "after"])
if not deps:
    st.info("No deployments recorded in this window — record each release as it ships: `capi-audit deploy NAME "
            "--component checkout` (from CI), or ingest a list: `capi-audit ingest deployments FILE`; or widen the "
            "window in the sidebar.")
    if breaks.empty:
        st.stop()


def badge(verdict: str) -> str:
    colour, icon, label = BADGES.get(verdict, BADGES["insufficient_data"])
    return f":{colour}-badge[{icon} {label}]"


# Lint rules that regressed or appeared after a deployment: their affected ids are exported below.
rules = sorted({(d["name"], d["deployed_at"], r["metric"][len("lint."):]) for d in deps for r in d["regressions"]
                if r["metric"].startswith("lint.")}
               | {(d["name"], d["deployed_at"], a["rule"]) for d in deps for a in d.get("lint_appeared") or []})
try:
    found = data.deployments(f, tuple(rules))
except data.DataError as exc:
    st.error(str(exc))
    st.stop()
findings = found["findings"]
summaries = {(d["name"], d["deployed_at"]): dep_views.summary(d, findings, rep["lint"]) for d in deps}


def unconfirmed_of(d: dict) -> pd.DataFrame:
    mine = dep_views.of(d, findings)
    return mine[mine["finding"] == "unconfirmed"] if not mine.empty else mine


if deps:
    regressed = [d for d in deps if d["verdict"] == "regressed"]
    st.markdown(f"**{len(regressed)} of {len(deps)} deployments regressed** a metric in this window"
                + ("." if regressed else " — nothing to fix."))
    with st.container(key="deployment_summaries"):
        for d in reversed(deps):                            # newest first
            extra = " :orange-badge[:material/warning: unconfirmed drop]" if not unconfirmed_of(d).empty else ""
            st.markdown(f"{badge(d['verdict'])}{extra} {present.md(summaries[(d['name'], d['deployed_at'])])}")

# ---------------------------------------------------------------- the timeline
daily = rep["metric_daily"]
names = sorted(daily["event_name"].unique()) if not daily.empty else []
event = st.selectbox("Events on the timeline", [ALL_EVENTS, *names], key="deployments_event",
                     help="The metrics summed over every event, or one event's.")
shown = daily if event == ALL_EVENTS or daily.empty else daily[daily["event_name"] == event]
shown_breaks = breaks if event == ALL_EVENTS else breaks[breaks["event_name"] == event]
timeline_deps = pd.DataFrame(deps, columns=["name", "deployed_at", "verdict"]) if deps else \
    pd.DataFrame(columns=["name", "deployed_at", "verdict"])
title = f"Key metrics per day · {event.lower() if event == ALL_EVENTS else event}"
st.plotly_chart(figures.deployment_timeline(series.ratios(shown), timeline_deps, shown_breaks, (w["since"], w["until"]),
                                            title=title), key="deployments_timeline")
# Cost per purchase on the same days (ad account insights, when synced): a jump flagged next to a pairing change.
if (cpa := present.cpa_frames(rep)) is not None:
    st.plotly_chart(figures.cpa_daily(cpa[0], timeline_deps[["deployed_at", "name"]], cpa[1], rep["cpa"]["currency"],
                                      (w["since"], w["until"])), key="deployments_cpa")
if not shown_breaks.empty:
    lines = []
    for (day, metric), group in shown_breaks.groupby(["date", "metric"], sort=True):
        moves = ", ".join(f"{b.event_name} {b.before:.2f} → {b.after:.2f}" for b in group.itertuples(index=False))
        lines.append(f"- {present.md(day)}: {present.md(metric)} on {present.md(moves)}")
    st.markdown("**Suspected breaks** — a step change with no deployment within 2 days; look for an unrecorded "
                "release or an outage that day:\n" + "\n".join(lines))
if not deps:
    st.stop()

# ---------------------------------------------------------------- one deployment
st.subheader("Drill into a deployment")
choices = [(d["name"], d["deployed_at"]) for d in deps]
latest_bad = [i for i, d in enumerate(deps) if d["verdict"] == "regressed"]
by_key = {(d["name"], d["deployed_at"]): d for d in deps}
picked = st.selectbox("Deployment", choices, index=(latest_bad or [len(deps) - 1])[-1], key="deployment",
                      format_func=lambda k: f"{k[0]} · {k[1][:16].replace('T', ' ')} UTC · "
                                            f"{BADGES[by_key[k]['verdict']][2]}")
dep = by_key[picked]
st.markdown(f"{badge(dep['verdict'])} {present.md(summaries[picked])}")
win = dep["window"]
st.caption(present.md(" · ".join(x for x in (dep.get("component"), dep.get("description"),
                                              f"pixel {dep['pixel_id']}" if dep.get("pixel_id") else "all pixels") if x))
           + f" · before {win['before'][0][:16].replace('T', ' ')} → after {win['after'][1][:16].replace('T', ' ')} "
           f"UTC · {dep.get('compared', 0)} metrics compared")

mine = dep_views.of(dep, findings)
worse = mine[mine["finding"].isin(["regressed", "unconfirmed"])] if not mine.empty else mine
if not worse.empty:
    keys = list(dict.fromkeys(zip(worse["event_name"], worse["metric"])))[:6]
    at = dep_views.parse_utc(dep["deployed_at"])
    st.plotly_chart(figures.deployment_focus(series.ratios(daily, by_event=True), keys, dep["name"], at,
                                             tuple(dep_views.parse_utc(t) for t in win["before"]),
                                             tuple(dep_views.parse_utc(t) for t in win["after"])),
                    key="deployment_focus")

st.markdown("**Every metric before and after** — regressions first (red), then drops the volume is too small to "
            "confirm (amber).")
if mine.empty:
    st.caption("No metric has events on either side of this deployment.")
else:
    table = mine[["finding", "pixel_id", "event_name", "metric", "before", "after", "delta", "before_events",
                  "after_events", "before_days", "after_days", "z"]]
    tint = {"regressed": "background-color: rgba(214, 39, 40, 0.18)",
            "unconfirmed": "background-color: rgba(255, 170, 0, 0.18)"}
    styled = table.style.apply(lambda r: [tint.get(r["finding"], "")] * len(r), axis=1)
    many = table["pixel_id"].nunique() > 1
    st.dataframe(styled, hide_index=True, key="deployment_detail", height=420, column_order=[
        "finding", *(["pixel_id"] if many else []), "event_name", "metric", "before", "after", "delta",
        "before_events", "after_events", "before_days", "after_days", "z"], column_config={
        "event_name": "event", "metric": st.column_config.TextColumn("metric", width="medium"),
        "before": st.column_config.NumberColumn("before", format="%.2f", width="small"),
        "after": st.column_config.NumberColumn("after", format="%.2f", width="small"),
        "delta": st.column_config.NumberColumn("delta", format="%+.2f", width="small"),
        "before_events": st.column_config.NumberColumn("events before", format="%d", width="small"),
        "after_events": st.column_config.NumberColumn("events after", format="%d", width="small"),
        "before_days": st.column_config.NumberColumn("days before", width="small"),
        "after_days": st.column_config.NumberColumn("days after", width="small"),
        "z": st.column_config.NumberColumn("z", help="Standard errors by which a share got worse (shares only).",
                                           format="%.1f", width="small"),
        "finding": st.column_config.TextColumn("finding", help=(
            "regressed: worse by the contract's bars · unconfirmed: as much worse, but fewer than 100 events or "
            "3 days on a side · worse / better / unchanged: compared, under the bars · not compared: too little "
            "data")),
    })

appeared = dep.get("lint_appeared") or []
affected = found["affected"]
mine_ids = affected[(affected["deployment"] == dep["name"]) & (affected["deployed_at"] == dep["deployed_at"])]
st.markdown("**Lint rules that appeared or grew after it**")
if not appeared:
    st.caption("None: no lint rule hits more events after this deployment than before.")
else:
    rows = []
    for a in appeared:
        ids = mine_ids[(mine_ids["rule"] == a["rule"]) & (mine_ids["event_name"] == a["event_name"])]
        examples = list(ids["event_id"].dropna().head(3)) or [f"order {x}" for x in ids["order_id"].dropna().head(3)]
        rows.append({"rule": a["rule"], "event": a["event_name"], "before": a["before"], "after": a["after"],
                     "events before": a["before_count"], "events after": a["after_count"],
                     "example ids": ", ".join(map(str, examples)) if examples else
                     ("no event_id or order id: see event_uid in the CSV" if not ids.empty else "")})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="deployment_lint", column_config={
        "before": st.column_config.NumberColumn("share before", format="percent"),
        "after": st.column_config.NumberColumn("share after", format="percent")})
if mine_ids.empty:
    st.caption("No affected ids to export: no lint rule regressed or appeared after this deployment.")
else:
    csv = data.csv_text(mine_ids.drop(columns=["deployed_at"]))
    st.download_button(f"Every affected id ({len(mine_ids):,} events, CSV)", csv, key="deployment_ids",
                       file_name=f"{dep['name']}-{dep['deployed_at'][:10]}-affected-ids.csv", mime="text/csv",
                       icon=":material/download:", on_click="ignore",
                       help="Server events each rule hit in the 7 days after the deployment: event and order ids, "
                            "event name, time and capi-audit's stored event key — never personal data.")
