"""The monthly health check: one small chart per checklist card."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from analysis.figures.style import GREEN, GREY, PALETTE, RED, VERDICT_COLOURS, VERDICT_LABELS, label, text
from analysis.views.series import ratio

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


def card_emq(emq: pd.DataFrame, meta: pd.DataFrame, targets: dict[str, float], span: tuple | None = None) -> go.Figure:
    """Estimated EMQ per day of each priority event (solid), Meta's score (dashed), its target (dotted, same colour).

    emq: pixel_id, event_name, day, emq (already the priority events). meta: pixel_id, event_name, day, score.
    """
    fig = go.Figure()
    series = list(emq[["pixel_id", "event_name"]].drop_duplicates().itertuples(index=False)) if not emq.empty else []
    many = len({p for p, _ in series}) > 1
    for i, (pixel, event) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        name = label(pixel, event, many)
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
    return _small(fig, f"{text(event_name)} gap per day (red: flagged; band ±{threshold:.0%})", span, d.empty,
                  "No orders this month")


def card_dedup(series: pd.DataFrame, span: tuple | None = None) -> go.Figure:
    """Overlap per day (line) and name mismatches as a share of browser events (red bars), all events given.

    series: views.series.ratios() of the priority events' daily facts (metric, day, value)."""
    overlap = ratio(series, "dedup.overlap")
    mismatch = ratio(series, "dedup.name_mismatch")
    fig = go.Figure()
    fig.add_trace(go.Bar(x=mismatch["day"], y=mismatch["value"], name="name mismatches", marker_color=RED,
                         hovertemplate="%{y:.1%}"))
    fig.add_trace(go.Scatter(x=overlap["day"], y=overlap["value"], name="overlap", mode="lines",
                             line=dict(color=GREEN), hovertemplate="%{y:.1%}"))
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    return _small(fig, "Overlap and name mismatches per day", span, overlap.empty and mismatch.empty)


def card_coverage(shares: pd.DataFrame, keys: Sequence[str] = ("em", "ph", "fbp", "fbc"),
                  span: tuple | None = None) -> go.Figure:
    """Coverage per day of each key over the priority events.

    shares: views.series.coverage_by_day() of the priority events (day, one column per key)."""
    fig = go.Figure()
    empty = shares.empty
    for i, key in enumerate(keys if not empty else ()):
        fig.add_trace(go.Scatter(x=shares["day"], y=shares[key].to_numpy(), name=key, mode="lines",
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
            x=d["at"], y=[VERDICT_LABELS[verdict]] * len(d), mode="markers+text", text=[text(n) for n in d["name"]],
            textposition=["top center" if i % 2 == 0 else "bottom center" for i in range(len(d))],
            textfont=dict(size=10), name=VERDICT_LABELS[verdict],
            marker=dict(color=VERDICT_COLOURS[verdict], size=12, symbol="diamond"), hovertemplate="%{text}"))
    fig.update_yaxes(categoryorder="array", categoryarray=[VERDICT_LABELS[r] for r in rows],
                     range=[-0.6, len(rows) - 0.2], type="category")
    fig.update_layout(showlegend=False)
    return _small(fig, "Deployments by verdict", span, deps.empty, "No deployments recorded this month")


def card_privacy(sides: pd.DataFrame, span: tuple | None = None) -> go.Figure:
    """Server vs browser events per day of the priority events (the server side should carry at least as many).

    sides: views.series.sides_by_day() of the priority events (day, server_events, browser_events)."""
    fig = go.Figure()
    if not sides.empty:
        fig.add_trace(go.Scatter(x=sides["day"], y=sides["server_events"], name="server", mode="lines",
                                 line=dict(color=PALETTE[0])))
        fig.add_trace(go.Scatter(x=sides["day"], y=sides["browser_events"], name="browser", mode="lines",
                                 line=dict(color=PALETTE[4])))
    fig.update_yaxes(rangemode="tozero")
    return _small(fig, "Server vs browser events per day", span, sides.empty)


