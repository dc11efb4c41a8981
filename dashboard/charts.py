"""Pure chart builders: small DataFrames in, plotly Figures out (no Streamlit, no arithmetic on metrics)."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

PALETTE = qualitative.Plotly
RED, GREY, GREEN, INK = "#d62728", "#7f7f7f", "#2ca02c", "#333333"
# Coverage 0 → red, 1 → green, through amber: the heatmap reads as "how much is missing".
RED_GREEN = [[0.0, "#d73027"], [0.5, "#fee08b"], [1.0, "#1a9850"]]
_LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.15), hovermode="x unified")


def _label(pixel: str, event: str, many_pixels: bool) -> str:
    return f"{event} · {pixel}" if many_pixels else event


def emq_trend(emq: pd.DataFrame, meta: pd.DataFrame, deployments: pd.DataFrame,
              events: Sequence[str] | None = None, target: float | None = 8.0) -> go.Figure:
    """Estimated EMQ per day and event (solid), Meta's score (dashed, same colour), deployments, target.

    emq: pixel_id, event_name, day, emq. meta: pixel_id, event_name, day, score.
    deployments: deployed_at, name.
    """
    fig = go.Figure()
    series = [(p, e) for p, e in emq[["pixel_id", "event_name"]].drop_duplicates().itertuples(index=False)] \
        if not emq.empty else []
    if events is not None:
        series = [s for s in series if s[1] in events]
    many = len({p for p, _ in series}) > 1
    for i, (pixel, event) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        name = _label(pixel, event, many)
        rows = emq[(emq["pixel_id"] == pixel) & (emq["event_name"] == event)].sort_values("day")
        fig.add_trace(go.Scatter(x=rows["day"], y=rows["emq"], name=name, mode="lines+markers",
                                 line=dict(color=color), hovertemplate="%{y:.2f}"))
        if not meta.empty:
            m = meta[(meta["pixel_id"] == pixel) & (meta["event_name"] == event)].sort_values("day")
            if not m.empty:
                fig.add_trace(go.Scatter(x=m["day"], y=m["score"], name=f"{name} (Meta)", mode="lines",
                                         line=dict(color=color, dash="dash"), hovertemplate="%{y:.1f}"))
    if target is not None:
        fig.add_hline(y=target, line=dict(color=INK, dash="dashdot", width=1),
                      annotation_text=f"target {target:g}", annotation_position="top right")
    _deployment_markers(fig, deployments)
    fig.update_layout(title="EMQ per day (solid: estimated · dashed: Meta)", yaxis=dict(range=[0, 10.2], title="EMQ"),
                      **_LAYOUT)
    return fig


def _deployment_markers(fig: go.Figure, deployments: pd.DataFrame) -> None:
    if deployments.empty:
        return
    # Names stand upright at the foot of the line: EMQ rarely sits below 4, so they stay off the data.
    for row in deployments.itertuples(index=False):
        fig.add_vline(x=pd.Timestamp(row.deployed_at), line=dict(color=GREY, dash="dot", width=1),
                      annotation_text=row.name, annotation_position="bottom left",
                      annotation=dict(textangle=-90, font=dict(size=10, color=GREY)))


def cpa_daily(days: pd.DataFrame, deployments: pd.DataFrame, jumps: pd.DataFrame, currency: str | None = None,
              span: tuple | None = None) -> go.Figure:
    """Cost per purchase per day (line) over Meta's purchases (bars, right axis), deployments, flagged CPA jumps.

    days: date, spend, purchases, cpa. deployments: deployed_at, name. jumps: date, rise.
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    d = days.sort_values("date") if not days.empty else days
    fig.add_trace(go.Bar(x=d.get("date", []), y=d.get("purchases", []), name="purchases (Meta)",
                         marker_color="#c6dbef", hovertemplate="%{y:,.0f}"), secondary_y=True)
    fig.add_trace(go.Scatter(x=d.get("date", []), y=d.get("cpa", []), name="cost per purchase", mode="lines+markers",
                             line=dict(color=PALETTE[0]), hovertemplate="%{y:,.2f}"), secondary_y=False)
    for row in deployments.itertuples(index=False) if not deployments.empty else []:
        fig.add_vline(x=_utc(row.deployed_at), line=dict(color=GREY, dash="dot", width=1), annotation_text=row.name,
                      annotation_position="bottom left", annotation=dict(textangle=-90, font=dict(size=10, color=GREY)))
    for j in jumps.itertuples(index=False) if not jumps.empty else []:
        fig.add_vline(x=pd.Timestamp(j.date), line=dict(color=RED, dash="dot", width=2),
                      annotation_text=f"CPA +{j.rise:.0%}", annotation_position="top left",
                      annotation=dict(font=dict(size=10, color=RED)))
    unit = f" ({currency})" if currency else ""
    fig.update_layout(title="Cost per purchase per day (red: a jump next to a pairing or volume change)", **_LAYOUT)
    fig.update_yaxes(title_text=f"cost per purchase{unit}", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="purchases", rangemode="tozero", secondary_y=True, showgrid=False)
    if span is not None:
        lo, hi = (pd.Timestamp(x) for x in span)
        fig.update_xaxes(range=[lo, hi + pd.Timedelta(days=1)])
    return fig


def coverage_heatmap(events: pd.DataFrame, keys: Sequence[str]) -> go.Figure:
    """Event × identifier coverage (share of server events with a well-formed value), red 0 → green 1.

    events: one row per event with a `label` column and one column per key (0–1 or missing).
    """
    z = events[list(keys)].astype("float64") if not events.empty else pd.DataFrame(columns=list(keys))
    text = z.map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=list(keys), y=list(events["label"]) if not events.empty else [],
        zmin=0, zmax=1, colorscale=RED_GREEN, text=text.to_numpy(), texttemplate="%{text}",
        hovertemplate="%{y} · %{x}: %{z:.1%}<extra></extra>", colorbar=dict(tickformat=".0%", title="coverage")))
    fig.update_layout(title="Identifier coverage (well-formed as received)", yaxis=dict(autorange="reversed"),
                      margin=_LAYOUT["margin"], height=max(260, 60 + 36 * len(events)))
    return fig


def dedup_daily(daily: pd.DataFrame) -> go.Figure:
    """Stacked per-day bars (paired / server only / browser only) and event-id presence lines (right axis).

    daily: day, paired, server_only, browser_only, server_with_event_id, browser_with_event_id.
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    d = daily.sort_values("day") if not daily.empty else daily
    for col, name, color in (("paired", "paired (server copies)", GREEN), ("server_only", "server only", PALETTE[0]),
                              ("browser_only", "browser only", PALETTE[4])):
        fig.add_trace(go.Bar(x=d.get("day", []), y=d.get(col, []), name=name, marker_color=color), secondary_y=False)
    for col, name, dash in (("server_with_event_id", "server events with event_id", "solid"),
                            ("browser_with_event_id", "browser events with event_id", "dot")):
        fig.add_trace(go.Scatter(x=d.get("day", []), y=d.get(col, []), name=name, mode="lines",
                                 line=dict(color=INK, dash=dash), hovertemplate="%{y:.1%}"), secondary_y=True)
    fig.update_layout(barmode="stack", title="Deduplication per day", **_LAYOUT)
    fig.update_layout(legend_traceorder="normal")
    fig.update_yaxes(title_text="events", secondary_y=False)
    # Explicit ticks: Streamlit's theme would otherwise align them with the left axis (105%, 92%, …).
    fig.update_yaxes(title_text="with event_id", tickformat=".0%", range=[0, 1.05], tickmode="array",
                     tickvals=[0, 0.25, 0.5, 0.75, 1.0], secondary_y=True, showgrid=False)
    return fig


def discrepancy_daily(days: pd.DataFrame, threshold: float, event_name: str = "Purchase") -> go.Figure:
    """Backend orders vs server vs browser (vs Meta) per day; the gap on a right axis with a ±threshold band.

    days: the report's discrepancy.days (date, backend_orders, server_events, browser_events,
    meta_received, gap, flagged). Flagged days are red on the gap line and shaded.
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    d = days.sort_values("date") if not days.empty else days
    lines = [("backend_orders", "backend orders", "#111111", "solid"),
             ("server_events", f"server {event_name}", PALETTE[0], "solid"),
             ("browser_events", f"browser {event_name}", PALETTE[4], "solid")]
    if "meta_received" in d and d["meta_received"].notna().any():
        lines.append(("meta_received", "Meta received (server)", PALETTE[2], "dash"))
    for col, name, color, dash in lines:
        fig.add_trace(go.Scatter(x=d.get("date", []), y=d.get(col, []), name=name, mode="lines",
                                 line=dict(color=color, dash=dash)), secondary_y=False)
    flagged = d["flagged"].fillna(False).astype(bool) if "flagged" in d else pd.Series(dtype=bool)
    fig.add_trace(go.Scatter(x=d.get("date", []), y=d.get("gap", []), name="gap (orders − server) / orders",
                             mode="lines+markers", line=dict(color=GREY, width=1),
                             marker=dict(color=[RED if f else GREY for f in flagged],
                                         size=[10 if f else 5 for f in flagged]),
                             hovertemplate="%{y:.1%}"), secondary_y=True)
    fig.add_hrect(y0=-threshold, y1=threshold, fillcolor=GREEN, opacity=0.08, line_width=0, secondary_y=True)
    for day in d.loc[flagged, "date"] if not d.empty else []:
        ts = pd.Timestamp(day)
        fig.add_vrect(x0=ts - pd.Timedelta(hours=12), x1=ts + pd.Timedelta(hours=12), fillcolor=RED, opacity=0.12,
                      line_width=0)
    fig.update_layout(title=f"{event_name} per day vs backend orders (band: ±{threshold:.0%} gap)", **_LAYOUT)
    fig.update_yaxes(title_text="orders / events", secondary_y=False, rangemode="tozero")
    # Ticks at 0 and ±threshold say what the band means; the range always shows the band and every gap.
    gaps = pd.to_numeric(d["gap"], errors="coerce").dropna() if "gap" in d else pd.Series(dtype=float)
    lo = min(-2 * threshold, float(gaps.min()) if not gaps.empty else 0.0)
    hi = max(2 * threshold, float(gaps.max()) if not gaps.empty else 0.0)
    ticks = [t for t in (-1.0, -0.5, -threshold, 0.0, threshold, 0.5, 1.0) if lo <= t <= hi]
    fig.update_yaxes(title_text="gap", tickformat=".0%", tickmode="array", tickvals=ticks, range=[lo - 0.05, hi + 0.05],
                     secondary_y=True, showgrid=False, zeroline=False)
    return fig


# ---------------------------------------------------------------- monthly health check: one small chart per card

VERDICT_COLOURS = {"regressed": RED, "ok": GREEN, "insufficient_data": GREY}
VERDICT_LABELS = {"regressed": "regressed", "ok": "ok", "insufficient_data": "insufficient data"}
_SMALL = dict(height=240, margin=dict(l=10, r=10, t=36, b=10), hovermode="x unified",
              legend=dict(orientation="h", y=-0.22, font=dict(size=10)), title_font=dict(size=14))


def _small(fig: go.Figure, title: str, span: tuple | None, empty: bool, what: str = "No data this month") -> go.Figure:
    fig.update_layout(title=title, **_SMALL)
    fig.update_xaxes(tickformat="%b %-d")              # the month is in the page title: no year line under the ticks
    if span is not None:
        lo, hi = (pd.Timestamp(s) for s in span)
        fig.update_xaxes(range=[lo - pd.Timedelta(hours=12), hi + pd.Timedelta(hours=12)])
    if empty:
        fig.add_annotation(text=what, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                           font=dict(size=13, color=GREY))
    return fig


def _ratio_by_day(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Σ num / Σ den per day of one metric of the facts' daily rows (day, value)."""
    if frame.empty:
        return pd.DataFrame(columns=["day", "value"])
    g = frame[frame["metric"] == metric].groupby("day")[["num", "den"]].sum().sort_index()
    g = g[g["den"] > 0]
    return pd.DataFrame({"day": g.index, "value": (g["num"] / g["den"]).to_numpy()})


def card_emq(emq: pd.DataFrame, meta: pd.DataFrame, targets: dict[str, float], span: tuple | None = None) -> go.Figure:
    """Estimated EMQ per day of each priority event (solid), Meta's score (dashed), its target (dotted, same colour).

    emq: pixel_id, event_name, day, emq (already the priority events). meta: pixel_id, event_name, day, score.
    """
    fig = go.Figure()
    series = list(emq[["pixel_id", "event_name"]].drop_duplicates().itertuples(index=False)) if not emq.empty else []
    many = len({p for p, _ in series}) > 1
    for i, (pixel, event) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        name = _label(pixel, event, many)
        rows = emq[(emq["pixel_id"] == pixel) & (emq["event_name"] == event)].sort_values("day")
        fig.add_trace(go.Scatter(x=rows["day"], y=rows["emq"], name=name, mode="lines", line=dict(color=color),
                                 hovertemplate="%{y:.1f}"))
        m = meta[(meta["pixel_id"] == pixel) & (meta["event_name"] == event)].sort_values("day") \
            if not meta.empty else meta
        if not m.empty:
            fig.add_trace(go.Scatter(x=m["day"], y=m["score"], name=f"{name} (Meta)", mode="lines", showlegend=False,
                                     line=dict(color=color, dash="dash"), hovertemplate="%{y:.1f}"))
        if event in targets:
            fig.add_hline(y=targets[event], line=dict(color=color, dash="dot", width=1))
    fig.update_yaxes(range=[0, 10.2])
    return _small(fig, "EMQ per day (dashed: Meta · dotted: target)", span, not series)


def card_gap(days: pd.DataFrame, threshold: float, event_name: str = "Purchase",
             span: tuple | None = None) -> go.Figure:
    """The day's gap (orders − server) / orders as bars, red on flagged days, inside a ±threshold band.

    days: the report's discrepancy.days (date, gap, flagged)."""
    d = days[days["gap"].notna()].sort_values("date") if not days.empty and "gap" in days else pd.DataFrame()
    flagged = d["flagged"].fillna(False).astype(bool) if not d.empty else pd.Series(dtype=bool)
    fig = go.Figure(go.Bar(x=d.get("date", []), y=d.get("gap", []), name="gap",
                           marker_color=[RED if f else PALETTE[0] for f in flagged], hovertemplate="%{y:.1%}"))
    fig.add_hrect(y0=-threshold, y1=threshold, fillcolor=GREEN, opacity=0.08, line_width=0)
    gaps = pd.to_numeric(d.get("gap", pd.Series(dtype=float)), errors="coerce").dropna()
    lo = min(-2 * threshold, float(gaps.min()) if not gaps.empty else 0.0)
    hi = max(2 * threshold, float(gaps.max()) if not gaps.empty else 0.0)
    fig.update_yaxes(tickformat=".0%", range=[lo - 0.05, hi + 0.05], zeroline=True)
    fig.update_layout(showlegend=False)
    return _small(fig, f"{event_name} gap per day (red: flagged; band ±{threshold:.0%})", span, d.empty,
                  "No orders this month")


def card_dedup(daily: pd.DataFrame, span: tuple | None = None) -> go.Figure:
    """Overlap per day (line) and name mismatches as a share of browser events (red bars), all events given.

    daily: the facts' daily rows (day, metric, num, den) of the priority events."""
    overlap = _ratio_by_day(daily, "dedup.overlap")
    mismatch = _ratio_by_day(daily, "dedup.name_mismatch")
    fig = go.Figure()
    fig.add_trace(go.Bar(x=mismatch["day"], y=mismatch["value"], name="name mismatches", marker_color=RED,
                         hovertemplate="%{y:.1%}"))
    fig.add_trace(go.Scatter(x=overlap["day"], y=overlap["value"], name="overlap", mode="lines",
                             line=dict(color=GREEN), hovertemplate="%{y:.1%}"))
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    return _small(fig, "Overlap and name mismatches per day", span, overlap.empty and mismatch.empty)


def card_coverage(coverage: pd.DataFrame, keys: Sequence[str] = ("em", "ph", "fbp", "fbc"),
                  span: tuple | None = None) -> go.Figure:
    """Coverage per day of each key over the priority events (weighted by their server events).

    coverage: the daily coverage rows (day, server_events, one column per key) of the priority events."""
    fig = go.Figure()
    empty = coverage.empty or not coverage["server_events"].fillna(0).any()
    if not empty:
        w = coverage["server_events"].fillna(0)
        for i, key in enumerate(keys):
            num = (coverage[key].astype("float64") * w).groupby(coverage["day"]).sum(min_count=1)
            den = w.where(coverage[key].notna(), 0).groupby(coverage["day"]).sum()
            share = (num / den.where(den > 0)).sort_index()
            fig.add_trace(go.Scatter(x=share.index, y=share.to_numpy(), name=key, mode="lines",
                                     line=dict(color=PALETTE[i % len(PALETTE)]), hovertemplate="%{y:.1%}"))
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    return _small(fig, f"{' · '.join(keys)} coverage per day", span, empty)


def card_deployments(deps: pd.DataFrame, span: tuple | None = None) -> go.Figure:
    """Each deployment of the month on a timeline, one row per verdict, coloured by it.

    deps: name, deployed_at, verdict (regressed · ok · insufficient_data)."""
    fig = go.Figure()
    rows = ["insufficient_data", "ok", "regressed"]
    for verdict in rows:
        d = deps[deps["verdict"] == verdict] if not deps.empty else deps
        if d.empty:
            continue
        at = pd.to_datetime(d["deployed_at"].astype(str).str.rstrip("Z"), format="ISO8601")
        d = d.assign(at=at).sort_values("at")
        fig.add_trace(go.Scatter(
            # names alternate above and below their marker: releases days apart do not print over each other
            x=d["at"], y=[VERDICT_LABELS[verdict]] * len(d), mode="markers+text", text=d["name"],
            textposition=["top center" if i % 2 == 0 else "bottom center" for i in range(len(d))],
            textfont=dict(size=10), name=VERDICT_LABELS[verdict],
            marker=dict(color=VERDICT_COLOURS[verdict], size=12, symbol="diamond"), hovertemplate="%{text}"))
    fig.update_yaxes(categoryorder="array", categoryarray=[VERDICT_LABELS[r] for r in rows],
                     range=[-0.6, len(rows) - 0.2], type="category")
    fig.update_layout(showlegend=False)
    return _small(fig, "Deployments by verdict", span, deps.empty, "No deployments recorded this month")


def card_privacy(dedup: pd.DataFrame, span: tuple | None = None) -> go.Figure:
    """Server vs browser events per day of the priority events (the server side should carry at least as many).

    dedup: the daily dedup rows (day, server_events, browser_events) of the priority events."""
    g = dedup.groupby("day")[["server_events", "browser_events"]].sum().sort_index() if not dedup.empty else None
    fig = go.Figure()
    if g is not None:
        fig.add_trace(go.Scatter(x=g.index, y=g["server_events"], name="server", mode="lines",
                                 line=dict(color=PALETTE[0])))
        fig.add_trace(go.Scatter(x=g.index, y=g["browser_events"], name="browser", mode="lines",
                                 line=dict(color=PALETTE[4])))
    fig.update_yaxes(rangemode="tozero")
    return _small(fig, "Server vs browser events per day", span, g is None)


# ---------------------------------------------------------------- deployments page

TIMELINE_PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("EMQ estimate", ("emq_estimate",)),
    ("coverage", ("coverage.em", "coverage.ph")),
    ("hash match", ("hash_match.em", "hash_match.ph")),
    ("deduplication", ("dedup.overlap", "dedup.server_with_event_id", "dedup.name_mismatch")),
)
_METRIC_COLOURS = {"emq_estimate": PALETTE[0], "coverage.em": PALETTE[0], "coverage.ph": PALETTE[4],
                   "hash_match.em": PALETTE[0], "hash_match.ph": PALETTE[4], "dedup.overlap": GREEN,
                   "dedup.server_with_event_id": PALETTE[0], "dedup.name_mismatch": RED}


def _utc(at: object) -> pd.Timestamp:
    return pd.Timestamp(str(at).rstrip("Z")).tz_localize(None) if isinstance(at, str) else pd.Timestamp(at)


def deployment_timeline(daily: pd.DataFrame, deps: pd.DataFrame, breaks: pd.DataFrame,
                        span: tuple | None = None, title: str = "Key metrics per day") -> go.Figure:
    """Key metrics per day in stacked panels, a vertical line at each deployment coloured by its verdict
    (regressed red, ok green, insufficient data grey) and red dotted lines at suspected breaks.

    daily: the facts' daily rows (day, metric, num, den) of the events charted (summed over them).
    deps: name, deployed_at, verdict. breaks: date, metric, event_name."""
    fig = make_subplots(rows=len(TIMELINE_PANELS), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[p[0] for p in TIMELINE_PANELS])
    panel_of = {}
    for row, (_, metrics) in enumerate(TIMELINE_PANELS, start=1):
        for metric in metrics:
            panel_of[metric] = row
            s = _ratio_by_day(daily, metric)
            if s.empty:
                continue
            fig.add_trace(go.Scatter(x=s["day"], y=s["value"], name=metric, mode="lines+markers",
                                     marker=dict(size=4), line=dict(color=_METRIC_COLOURS.get(metric, INK)),
                                     hovertemplate="%{y:.2f}" if metric == "emq_estimate" else "%{y:.1%}"),
                          row=row, col=1)
    for verdict in ("regressed", "ok", "insufficient_data"):      # the legend says what the colours mean
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"deployment: {VERDICT_LABELS[verdict]}",
                                 line=dict(color=VERDICT_COLOURS[verdict], width=2)), row=1, col=1)
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="suspected break",
                             line=dict(color=RED, dash="dot", width=2)), row=1, col=1)
    # Lines through every panel, added in one go (add_vline per panel validates the layout each time: slow).
    axes = [("x", "y")] + [(f"x{n}", f"y{n}") for n in range(2, len(TIMELINE_PANELS) + 1)]
    shapes, notes = [], []

    def across(at: pd.Timestamp, line: dict) -> None:
        shapes.extend(dict(type="line", x0=at, x1=at, xref=xa, y0=0, y1=1, yref=f"{ya} domain", line=line)
                      for xa, ya in axes)

    for d in deps.itertuples(index=False) if not deps.empty else []:
        colour = VERDICT_COLOURS.get(d.verdict, GREY)
        across(_utc(d.deployed_at), dict(color=colour, width=2 if d.verdict == "regressed" else 1))
        notes.append(dict(x=_utc(d.deployed_at), y=0, xref="x", yref="y domain", text=d.name, textangle=-90,
                          xanchor="right", yanchor="bottom", showarrow=False, font=dict(size=10, color=colour)))
    # One line per date; its label on the panel of the metrics that broke (others — lint, the gap — on the top one).
    grouped: dict[pd.Timestamp, dict[int, list[str]]] = {}
    for b in breaks.itertuples(index=False) if not breaks.empty else []:
        metrics = grouped.setdefault(pd.Timestamp(b.date), {}).setdefault(panel_of.get(b.metric, 1), [])
        if b.metric not in metrics:
            metrics.append(b.metric)
    lo, hi = (pd.Timestamp(s) for s in span) if span is not None else (None, None)
    for n, (at, panels) in enumerate(sorted(grouped.items())):
        across(at, dict(color=RED, dash="dot", width=2))
        # Labels read away from the line, towards the middle of the chart (never cut at its right edge), and
        # every other date one line lower, so that two dates' labels do not print over each other.
        late = lo is not None and at > lo + (hi - lo) * 0.6
        for row, metrics in sorted(panels.items()):
            notes.append(dict(x=at, y=1 - 0.16 * (n % 2), xref="x", yref=f"y{'' if row == 1 else row} domain",
                              text=f"suspected break: {', '.join(metrics)}", showarrow=False,
                              xanchor="right" if late else "left", yanchor="top", font=dict(size=10, color=RED)))
    fig.update_layout(shapes=shapes, annotations=[*fig.layout.annotations, *notes])
    fig.update_yaxes(range=[0, 10.2], row=1, col=1)
    for row in range(2, len(TIMELINE_PANELS) + 1):
        fig.update_yaxes(range=[0, 1.05], tickformat=".0%", row=row, col=1)
    if span is not None:
        lo, hi = (pd.Timestamp(s) for s in span)
        fig.update_xaxes(range=[lo, hi + pd.Timedelta(days=1)])
    fig.update_xaxes(tickformat="%b %-d")              # the window's caption carries the year
    fig.update_layout(title=title, height=760, margin=dict(l=10, r=10, t=60, b=10), hovermode="x unified",
                      legend=dict(orientation="h", y=-0.06))
    return fig


def deployment_focus(daily: pd.DataFrame, keys: Sequence[tuple[str, str]], name: str, deployed_at: object,
                     before: tuple[object, object], after: tuple[object, object]) -> go.Figure:
    """The metrics that got worse at one deployment, per day around it: before window shaded grey, after
    window shaded red, the deployment as a red line. Shares on the left axis, EMQ on the right.

    daily: the facts' daily rows (event_name, metric, day, num, den). keys: (event_name, metric)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    lo, hi = _utc(before[0]), _utc(after[1])
    has_emq = False
    for i, (event, metric) in enumerate(keys):
        rows = daily[(daily["event_name"] == event)] if not daily.empty else daily
        s = _ratio_by_day(rows, metric)
        if s.empty:
            continue
        s = s[(pd.to_datetime(s["day"]) >= lo.normalize() - pd.Timedelta(days=1))
              & (pd.to_datetime(s["day"]) <= hi.normalize() + pd.Timedelta(days=1))]
        emq = metric == "emq_estimate"
        has_emq |= emq
        # A day's value sits at its noon, so the deployment's line falls between the days before and after it.
        fig.add_trace(go.Scatter(x=pd.to_datetime(s["day"]) + pd.Timedelta(hours=12), y=s["value"],
                                 name=f"{metric} · {event}", mode="lines+markers",
                                 line=dict(color=PALETTE[i % len(PALETTE)]),
                                 hovertemplate="%{x|%b %-d}: " + ("%{y:.2f}" if emq else "%{y:.1%}")),
                      secondary_y=emq)
    fig.add_vrect(x0=_utc(before[0]), x1=_utc(before[1]), fillcolor=GREY, opacity=0.10, line_width=0,
                  annotation_text="7 days before", annotation_position="bottom left")
    fig.add_vrect(x0=_utc(after[0]), x1=_utc(after[1]), fillcolor=RED, opacity=0.07, line_width=0,
                  annotation_text="7 days after", annotation_position="bottom right")
    fig.add_vline(x=_utc(deployed_at), line=dict(color=RED, width=2))
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", title_text="share", secondary_y=False)
    fig.update_yaxes(range=[0, 10.2], title_text="EMQ", secondary_y=True, showgrid=False, visible=has_emq)
    if not fig.data:
        fig.add_annotation(text="No daily values around this deployment", x=0.5, y=0.5, xref="paper",
                           yref="paper", showarrow=False, font=dict(size=13, color=GREY))
    fig.update_xaxes(tickformat="%b %-d")
    fig.update_layout(title=f"{name}: the metrics that got worse, per day around it", height=360, **_LAYOUT)
    return fig
