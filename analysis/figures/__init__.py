"""The figures the dashboard and the HTML report draw: small frames in, plotly Figures out (no numbers computed)."""
from __future__ import annotations

from analysis.figures.cards import card_coverage, card_deployments, card_dedup, card_emq, card_gap, card_privacy
from analysis.figures.deployments import TIMELINE_PANELS, deployment_focus, deployment_timeline
from analysis.figures.style import (GREEN, GREY, INK, PALETTE, RED, RED_GREEN, VERDICT_COLOURS, VERDICT_LABELS,
                                    text)
from analysis.figures.trends import (coverage_heatmap, coverage_trend, cpa_daily, dedup_daily, discrepancy_daily,
                                     emq_trend)

__all__ = ["GREEN", "GREY", "INK", "PALETTE", "RED", "RED_GREEN", "TIMELINE_PANELS", "VERDICT_COLOURS",
           "VERDICT_LABELS", "card_coverage", "card_dedup", "card_deployments", "card_emq", "card_gap",
           "card_privacy", "coverage_heatmap", "coverage_trend", "cpa_daily", "dedup_daily", "deployment_focus",
           "deployment_timeline", "discrepancy_daily", "emq_trend", "text"]
