"""The deployments page: key metrics around every deployment, and one deployment's drill-down."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.figures.style import GREEN, GREY, INK, LAYOUT, PALETTE, RED, VERDICT_COLOURS, VERDICT_LABELS, text, utc
from analysis.views.series import ratio

TIMELINE_PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("EMQ estimate", ("emq_estimate",)),
    ("coverage", ("coverage.em", "coverage.ph")),
    ("hash match", ("hash_match.em", "hash_match.ph")),
    ("deduplication", ("dedup.overlap", "dedup.server_with_event_id", "dedup.name_mismatch")),
)
_METRIC_COLOURS = {"emq_estimate": PALETTE[0], "coverage.em": PALETTE[0], "coverage.ph": PALETTE[4],
                   "hash_match.em": PALETTE[0], "hash_match.ph": PALETTE[4], "dedup.overlap": GREEN,
                   "dedup.server_with_event_id": PALETTE[0], "dedup.name_mismatch": RED}


def deployment_timeline(series: pd.DataFrame, deps: pd.DataFrame, breaks: pd.DataFrame,
                        span: tuple | None = None, title: str = "Key metrics per day") -> go.Figure:
    """Key metrics per day in stacked panels, a vertical line at each deployment coloured by its verdict
    (regressed red, ok green, insufficient data grey) and red dotted lines at suspected breaks.

    series: views.series.ratios() of the facts' daily rows of the events charted (metric, day, value).
    deps: name, deployed_at, verdict. breaks: date, metric, event_name."""
    fig = make_subplots(rows=len(TIMELINE_PANELS), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[p[0] for p in TIMELINE_PANELS])
    panel_of = {}
    for row, (_, metrics) in enumerate(TIMELINE_PANELS, start=1):
        for metric in metrics:
            panel_of[metric] = row
            s = ratio(series, metric)
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
        across(utc(d.deployed_at), dict(color=colour, width=2 if d.verdict == "regressed" else 1))
        notes.append(dict(x=utc(d.deployed_at), y=0, xref="x", yref="y domain", text=text(d.name), textangle=-90,
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


def deployment_focus(series: pd.DataFrame, keys: Sequence[tuple[str, str]], name: str, deployed_at: object,
                     before: tuple[object, object], after: tuple[object, object]) -> go.Figure:
    """The metrics that got worse at one deployment, per day around it: before window shaded grey, after
    window shaded red, the deployment as a red line. Shares on the left axis, EMQ on the right.

    series: views.series.ratios(by_event=True) of the facts' daily rows (event_name, metric, day, value).
    keys: (event_name, metric)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    lo, hi = utc(before[0]), utc(after[1])
    has_emq = False
    for i, (event, metric) in enumerate(keys):
        s = ratio(series, metric, event)
        if s.empty:
            continue
        s = s[(pd.to_datetime(s["day"]) >= lo.normalize() - pd.Timedelta(days=1))
              & (pd.to_datetime(s["day"]) <= hi.normalize() + pd.Timedelta(days=1))]
        emq = metric == "emq_estimate"
        has_emq |= emq
        # A day's value sits at its noon, so the deployment's line falls between the days before and after it.
        fig.add_trace(go.Scatter(x=pd.to_datetime(s["day"]) + pd.Timedelta(hours=12), y=s["value"],
                                 name=f"{metric} · {text(event)}", mode="lines+markers",
                                 line=dict(color=PALETTE[i % len(PALETTE)]),
                                 hovertemplate="%{x|%b %-d}: " + ("%{y:.2f}" if emq else "%{y:.1%}")),
                      secondary_y=emq)
    fig.add_vrect(x0=utc(before[0]), x1=utc(before[1]), fillcolor=GREY, opacity=0.10, line_width=0,
                  annotation_text="7 days before", annotation_position="bottom left")
    fig.add_vrect(x0=utc(after[0]), x1=utc(after[1]), fillcolor=RED, opacity=0.07, line_width=0,
                  annotation_text="7 days after", annotation_position="bottom right")
    fig.add_vline(x=utc(deployed_at), line=dict(color=RED, width=2))
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", title_text="share", secondary_y=False)
    fig.update_yaxes(range=[0, 10.2], title_text="EMQ", secondary_y=True, showgrid=False, visible=has_emq)
    if not fig.data:
        fig.add_annotation(text="No daily values around this deployment", x=0.5, y=0.5, xref="paper",
                           yref="paper", showarrow=False, font=dict(size=13, color=GREY))
    fig.update_xaxes(tickformat="%b %-d")
    fig.update_layout(title=f"{text(name)}: the metrics that got worse, per day around it", height=360, **LAYOUT)
    return fig
