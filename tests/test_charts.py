"""The dashboard's pure chart builders on tiny frames: traces, names, markers, colours."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from dashboard import charts

D1, D2, D3 = date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)
NO_ROWS = pd.DataFrame()


def _emq() -> pd.DataFrame:
    return pd.DataFrame([
        {"pixel_id": "1", "event_name": "Purchase", "day": D1, "emq": 8.5, "events": 10},
        {"pixel_id": "1", "event_name": "Purchase", "day": D2, "emq": 6.0, "events": 12},
        {"pixel_id": "1", "event_name": "Lead", "day": D1, "emq": 7.0, "events": 3},
        {"pixel_id": "1", "event_name": "Lead", "day": D2, "emq": 7.5, "events": 4},
    ])


def _meta() -> pd.DataFrame:
    return pd.DataFrame([{"pixel_id": "1", "event_name": "Purchase", "day": D1, "score": 8.1},
                         {"pixel_id": "1", "event_name": "Purchase", "day": D2, "score": 7.9}])


def _deployments() -> pd.DataFrame:
    return pd.DataFrame([{"deployed_at": datetime(2026, 10, 1, 12, 0), "name": "checkout-v2",
                          "component": "checkout", "description": "", "pixel_id": None}])


def test_emq_trend_has_estimate_meta_dashed_target_and_deployment():
    fig = charts.emq_trend(_emq(), _meta(), _deployments(), target=8.0)
    assert [t.name for t in fig.data] == ["Purchase", "Purchase (Meta)", "Lead"]
    assert list(fig.data[0].y) == [8.5, 6.0]
    assert fig.data[1].line.dash == "dash" and fig.data[1].line.color == fig.data[0].line.color
    assert fig.data[0].line.dash is None
    vlines = [s for s in fig.layout.shapes if s.x0 == s.x1 and s.yref == "y domain"]
    assert [pd.Timestamp(v.x0) for v in vlines] == [pd.Timestamp("2026-10-01 12:00")]
    assert "checkout-v2" in [a.text for a in fig.layout.annotations]
    hlines = [s for s in fig.layout.shapes if s.y0 == s.y1 == 8.0]
    assert len(hlines) == 1 and "target 8" in [a.text for a in fig.layout.annotations]


def test_emq_trend_event_filter_and_pixel_labels():
    assert [t.name for t in charts.emq_trend(_emq(), _meta(), NO_ROWS, events=["Lead"]).data] == ["Lead"]
    two = pd.concat([_emq(), _emq().assign(pixel_id="2")])
    names = [t.name for t in charts.emq_trend(two, NO_ROWS, NO_ROWS, events=["Purchase"]).data]
    assert names == ["Purchase · 1", "Purchase · 2"]


def test_emq_trend_without_rows_is_an_empty_chart_with_the_target():
    fig = charts.emq_trend(NO_ROWS, NO_ROWS, NO_ROWS, target=8.0)
    assert len(fig.data) == 0 and len(fig.layout.shapes) == 1


def test_coverage_heatmap_values_text_and_scale():
    events = pd.DataFrame([{"label": "Purchase", "em": 0.93, "ph": 0.5, "fbc": None},
                           {"label": "Lead", "em": 1.0, "ph": 0.0, "fbc": 0.25}])
    fig = charts.coverage_heatmap(events, ["em", "ph", "fbc"])
    (hm,) = fig.data
    assert list(hm.x) == ["em", "ph", "fbc"] and list(hm.y) == ["Purchase", "Lead"]
    assert hm.zmin == 0 and hm.zmax == 1
    assert hm.colorscale[0][1] == charts.RED_GREEN[0][1] and hm.colorscale[-1][1] == charts.RED_GREEN[-1][1]
    assert [list(r) for r in hm.text] == [["93%", "50%", ""], ["100%", "0%", "25%"]]
    assert hm.z[1][2] == 0.25


def test_dedup_daily_stacks_three_bars_and_two_presence_lines():
    daily = pd.DataFrame([
        {"day": D1, "paired": 80, "server_only": 15, "browser_only": 5},
        {"day": D2, "paired": 10, "server_only": 90, "browser_only": 0},
        {"day": D3, "paired": 0, "server_only": 0, "browser_only": 70},
    ]).assign(server_with_event_id=[1.0, 0.4, None], browser_with_event_id=[1.0, 1.0, 0.9])
    fig = charts.dedup_daily(daily)
    assert [t.type for t in fig.data] == ["bar", "bar", "bar", "scatter", "scatter"]
    assert [t.name for t in fig.data] == ["paired (server copies)", "server only", "browser only",
                                          "server events with event_id", "browser events with event_id"]
    assert fig.layout.barmode == "stack"
    assert list(fig.data[1].y) == [15, 90, 0]
    assert {t.yaxis for t in fig.data[:3]} == {"y"} and {t.yaxis for t in fig.data[3:]} == {"y2"}


def _days(meta: list[int | None]) -> pd.DataFrame:
    return pd.DataFrame([
        {"date": "2026-10-01", "backend_orders": 100, "server_events": 98, "browser_events": 70,
         "meta_received": meta[0], "gap": 0.02, "flagged": False},
        {"date": "2026-10-02", "backend_orders": 100, "server_events": 40, "browser_events": 71,
         "meta_received": meta[1], "gap": 0.6, "flagged": True},
        {"date": "2026-10-03", "backend_orders": 5, "server_events": 3, "browser_events": 2,
         "meta_received": meta[2], "gap": 0.4, "flagged": False},
    ])


def test_discrepancy_daily_flags_days_red_with_a_threshold_band():
    fig = charts.discrepancy_daily(_days([None, None, None]), 0.15)
    assert [t.name for t in fig.data] == ["backend orders", "server Purchase", "browser Purchase",
                                          "gap (orders − server) / orders"]
    gap = fig.data[-1]
    assert gap.yaxis == "y2" and list(gap.y) == [0.02, 0.6, 0.4]
    assert list(gap.marker.color) == [charts.GREY, charts.RED, charts.GREY]
    band = [s for s in fig.layout.shapes if s.yref == "y2"]
    assert [(b.y0, b.y1) for b in band] == [(-0.15, 0.15)]
    flagged = [s for s in fig.layout.shapes if s.type == "rect" and s.fillcolor == charts.RED]
    assert len(flagged) == 1 and pd.Timestamp(flagged[0].x0) < pd.Timestamp("2026-10-02") < pd.Timestamp(flagged[0].x1)


def test_discrepancy_daily_adds_meta_when_known():
    fig = charts.discrepancy_daily(_days([99, None, 5]), 0.15, "Lead")
    assert [t.name for t in fig.data] == ["backend orders", "server Lead", "browser Lead", "Meta received (server)",
                                          "gap (orders − server) / orders"]
    assert fig.data[3].line.dash == "dash"
