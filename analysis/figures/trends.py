"""Trends over the window, drawn the same in the dashboard and the HTML report."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.figures.style import (GREEN, GREY, INK, LAYOUT, PALETTE, RED, RED_GREEN, deployment_markers, label,
                                    text, utc)

def emq_trend(emq: pd.DataFrame, meta: pd.DataFrame, deployments: pd.DataFrame,
              events: Sequence[str] | None = None, target: float | None = 8.0,
              keys: Sequence[tuple[str, str]] | None = None) -> go.Figure:
    """Estimated EMQ per day and event (solid), Meta's score (dashed, same colour), deployments, target.

    emq: pixel_id, event_name, day, emq. meta: pixel_id, event_name, day, score.
    deployments: deployed_at, name. keys: the (pixel, event) series in this order (else every series of
    `emq`, filtered by the event names in `events`).
    """
    fig = go.Figure()
    series = [(p, e) for p, e in emq[["pixel_id", "event_name"]].drop_duplicates().itertuples(index=False)] \
        if not emq.empty else []
    if keys is not None:
        series = list(keys)
    if events is not None:
        series = [s for s in series if s[1] in events]
    many = len({p for p, _ in series}) > 1
    for i, (pixel, event) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        name = label(pixel, event, many)
        rows = emq[(emq["pixel_id"] == pixel) & (emq["event_name"] == event)].sort_values("day") \
            if not emq.empty else pd.DataFrame(columns=["day", "emq"])
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
    deployment_markers(fig, deployments)
    fig.update_layout(title="EMQ per day (solid: estimated · dashed: Meta)", yaxis=dict(range=[0, 10.2], title="EMQ"),
                      **LAYOUT)
    return fig


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
    deployment_markers(fig, deployments)
    for j in jumps.itertuples(index=False) if not jumps.empty else []:
        fig.add_vline(x=pd.Timestamp(j.date), line=dict(color=RED, dash="dot", width=2),
                      annotation_text=f"CPA +{j.rise:.0%}", annotation_position="top left",
                      annotation=dict(font=dict(size=10, color=RED)))
    unit = f" ({currency})" if currency else ""
    fig.update_layout(title="Cost per purchase per day (red: a jump next to a pairing or volume change)", **LAYOUT)
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
    cells = z.map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=list(keys), y=[text(x) for x in events["label"]] if not events.empty else [],
        zmin=0, zmax=1, colorscale=RED_GREEN, text=cells.to_numpy(), texttemplate="%{text}",
        hovertemplate="%{y} · %{x}: %{z:.1%}<extra></extra>", colorbar=dict(tickformat=".0%", title="coverage")))
    fig.update_layout(title="Identifier coverage (well-formed as received)", yaxis=dict(autorange="reversed"),
                      margin=LAYOUT["margin"], height=max(260, 60 + 36 * len(events)))
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
    fig.update_layout(barmode="stack", title="Deduplication per day", **LAYOUT)
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
    event_name = text(event_name)
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
    fig.update_layout(title=f"{event_name} per day vs backend orders (band: ±{threshold:.0%} gap)", **LAYOUT)
    fig.update_yaxes(title_text="orders / events", secondary_y=False, rangemode="tozero")
    # Ticks at 0 and ±threshold say what the band means; the range always shows the band and every gap.
    gaps = pd.to_numeric(d["gap"], errors="coerce").dropna() if "gap" in d else pd.Series(dtype=float)
    lo = min(-2 * threshold, float(gaps.min()) if not gaps.empty else 0.0)
    hi = max(2 * threshold, float(gaps.max()) if not gaps.empty else 0.0)
    ticks = [t for t in (-1.0, -0.5, -threshold, 0.0, threshold, 0.5, 1.0) if lo <= t <= hi]
    fig.update_yaxes(title_text="gap", tickformat=".0%", tickmode="array", tickvals=ticks, range=[lo - 0.05, hi + 0.05],
                     secondary_y=True, showgrid=False, zeroline=False)
    return fig


def coverage_trend(coverage: pd.DataFrame, keys: Sequence[tuple[str, str]], deployments: pd.DataFrame,
                   fields: Sequence[str] = ("em", "ph", "fbp", "fbc")) -> go.Figure:
    """One panel per identifier: its coverage per day, a line per (pixel, event) of `keys`; dotted deployments.

    coverage: the daily coverage rows (pixel_id, event_name, day, one column per identifier)."""
    fig = make_subplots(rows=2, cols=2, subplot_titles=[f"{k} coverage" for k in fields], shared_xaxes=True)
    many = len({p for p, _ in keys}) > 1
    for n, field in enumerate(fields):
        for i, (pixel, event) in enumerate(keys):
            rows = coverage[(coverage["pixel_id"] == pixel) & (coverage["event_name"] == event)].sort_values("day") \
                if not coverage.empty else pd.DataFrame(columns=["day", field])
            fig.add_trace(go.Scatter(x=rows["day"], y=rows.get(field, []), name=label(pixel, event, many),
                                     legendgroup=str(i), showlegend=n == 0, mode="lines",
                                     line=dict(color=PALETTE[i % len(PALETTE)]), hovertemplate="%{y:.1%}"),
                          row=n // 2 + 1, col=n % 2 + 1)
    for row in deployments.itertuples(index=False) if not deployments.empty else []:
        fig.add_vline(x=utc(row.deployed_at), line=dict(color=GREY, dash="dot", width=1), row="all", col="all")
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    fig.update_layout(title="Identifier coverage per day (dotted: deployments)", **LAYOUT)
    return fig
