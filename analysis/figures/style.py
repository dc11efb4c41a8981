"""What every figure shares: colours, layouts, and the one way text from the data enters a figure."""
from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

PALETTE = qualitative.Plotly
RED, GREY, GREEN, INK = "#d62728", "#7f7f7f", "#2ca02c", "#333333"
# Coverage 0 → red, 1 → green, through amber: the heatmap reads as "how much is missing".
RED_GREEN = [[0.0, "#d73027"], [0.5, "#fee08b"], [1.0, "#1a9850"]]
LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.15), hovermode="x unified")
VERDICT_COLOURS = {"regressed": RED, "ok": GREEN, "insufficient_data": GREY}
VERDICT_LABELS = {"regressed": "regressed", "ok": "ok", "insufficient_data": "insufficient data"}


def text(value: object) -> str:
    """Text from the data inside a figure. plotly renders <b>, <a href> … in names, labels and annotations, and
    decodes &lt; &gt; &amp; back for display, so escaping (quotes left alone: plotly does not decode &quot;)
    shows the name as sent, in the browser and in the HTML report alike."""
    return html.escape(str(value), quote=False)


def label(pixel: str, event: str, many_pixels: bool) -> str:
    return text(f"{event} · {pixel}" if many_pixels else event)


def utc(at: object) -> pd.Timestamp:
    return pd.Timestamp(str(at).rstrip("Z")).tz_localize(None) if isinstance(at, str) else pd.Timestamp(at)


def deployment_markers(fig: go.Figure, deployments: pd.DataFrame) -> None:
    """A dotted line at each deployment (deployed_at, name), its name upright at the foot of the line."""
    if deployments.empty:
        return
    # Names stand upright at the foot of the line: EMQ rarely sits below 4, so they stay off the data.
    for row in deployments.itertuples(index=False):
        fig.add_vline(x=utc(row.deployed_at), line=dict(color=GREY, dash="dot", width=1),
                      annotation_text=text(row.name), annotation_position="bottom left",
                      annotation=dict(textangle=-90, font=dict(size=10, color=GREY)))
