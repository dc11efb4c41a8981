"""The figure builders the dashboard and the HTML report share, on tiny frames: traces, names, markers, colours."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from analysis import figures as charts
from analysis.views import series

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


# ---------------------------------------------------------------- monthly health check cards

SPAN = (date(2026, 10, 1), date(2026, 10, 31))


def test_card_emq_draws_each_event_meta_dashed_and_its_target():
    fig = charts.card_emq(_emq(), _meta(), {"Purchase": 8.0, "Lead": 8.0}, SPAN)
    assert [t.name for t in fig.data] == ["Purchase", "Purchase (Meta)", "Lead"]
    assert fig.data[1].line.dash == "dash" and fig.data[1].line.color == fig.data[0].line.color
    targets = [s for s in fig.layout.shapes if s.y0 == s.y1 == 8.0]
    assert [t.line.color for t in targets] == [fig.data[0].line.color, fig.data[2].line.color]
    assert fig.layout.height == 240 and fig.layout.title.text.startswith("EMQ per day")
    assert pd.Timestamp(fig.layout.xaxis.range[0]) < pd.Timestamp(SPAN[0]) < pd.Timestamp(fig.layout.xaxis.range[1])


def test_cards_without_rows_say_so():
    for fig in (charts.card_emq(NO_ROWS, NO_ROWS, {}, SPAN), charts.card_dedup(NO_ROWS, SPAN),
                charts.card_coverage(NO_ROWS, span=SPAN), charts.card_privacy(NO_ROWS, SPAN),
                charts.card_gap(NO_ROWS, 0.15, span=SPAN),
                charts.card_deployments(pd.DataFrame(columns=["name", "deployed_at", "verdict"]), SPAN)):
        texts = [a.text for a in fig.layout.annotations]
        assert any(t.startswith("No ") for t in texts), (fig.layout.title.text, texts)


def test_card_gap_colours_flagged_days_red_inside_the_band():
    fig = charts.card_gap(_days([None, None, None]), 0.15, "Purchase", SPAN)
    (bars,) = fig.data
    assert list(bars.y) == [0.02, 0.6, 0.4] and list(bars.marker.color) == [charts.PALETTE[0], charts.RED,
                                                                            charts.PALETTE[0]]
    assert [(s.y0, s.y1) for s in fig.layout.shapes] == [(-0.15, 0.15)]
    assert fig.layout.yaxis.range[1] >= 0.6


def _facts(metric: str, rows: list[tuple[date, float, float]], event: str = "Purchase") -> pd.DataFrame:
    return pd.DataFrame([{"pixel_id": "1", "event_name": event, "metric": metric, "day": d, "num": n, "den": m}
                         for d, n, m in rows])


def test_card_dedup_sums_events_per_day_into_overlap_and_mismatch_shares():
    daily = pd.concat([
        _facts("dedup.overlap", [(D1, 90, 100), (D2, 50, 100)]),
        _facts("dedup.overlap", [(D1, 10, 100)], event="Lead"),
        _facts("dedup.name_mismatch", [(D2, 25, 100)]),
    ])
    fig = charts.card_dedup(series.ratios(daily), SPAN)
    mismatch, overlap = fig.data
    assert (mismatch.type, mismatch.name, overlap.name) == ("bar", "name mismatches", "overlap")
    assert list(overlap.y) == [0.5, 0.5] and list(mismatch.y) == [0.25] and list(mismatch.x) == [D2]


def test_card_coverage_weights_events_by_their_server_events():
    cov = pd.DataFrame([
        {"event_name": "Purchase", "day": D1, "server_events": 100, "em": 1.0, "ph": 0.5, "fbp": 1.0, "fbc": None},
        {"event_name": "Lead", "day": D1, "server_events": 300, "em": 0.0, "ph": 0.5, "fbp": 1.0, "fbc": 0.2},
    ])
    keys = ("em", "ph", "fbc")
    fig = charts.card_coverage(series.coverage_by_day(cov, keys), keys, SPAN)
    assert [t.name for t in fig.data] == ["em", "ph", "fbc"]
    assert [list(t.y) for t in fig.data] == [[0.25], [0.5], [pytest.approx(0.2)]]   # fbc: only Lead has it


def test_card_deployments_puts_each_verdict_on_its_row_in_its_colour():
    deps = pd.DataFrame([{"name": "checkout-v2", "deployed_at": "2026-10-12T09:00:00Z", "verdict": "regressed"},
                         {"name": "copy", "deployed_at": "2026-10-02T09:00:00Z", "verdict": "ok"},
                         {"name": "theme", "deployed_at": "2026-10-20T09:00:00Z", "verdict": "insufficient_data"}])
    fig = charts.card_deployments(deps, SPAN)
    by_name = {t.name: t for t in fig.data}
    assert set(by_name) == {"regressed", "ok", "insufficient data"}
    assert list(by_name["regressed"].text) == ["checkout-v2"] and by_name["regressed"].marker.color == charts.RED
    assert pd.Timestamp(by_name["regressed"].x[0]) == pd.Timestamp("2026-10-12 09:00")
    assert by_name["ok"].marker.color == charts.GREEN and by_name["insufficient data"].marker.color == charts.GREY


def test_card_privacy_sums_server_and_browser_per_day():
    dd = pd.DataFrame([{"event_name": "Purchase", "day": D1, "server_events": 10, "browser_events": 8},
                       {"event_name": "Lead", "day": D1, "server_events": 5, "browser_events": 9}])
    fig = charts.card_privacy(series.sides_by_day(dd), SPAN)
    assert [(t.name, list(t.y)) for t in fig.data] == [("server", [15]), ("browser", [17])]


# ---------------------------------------------------------------- deployments page

def _deps() -> pd.DataFrame:
    return pd.DataFrame([{"name": "checkout-v2", "deployed_at": "2026-10-02T12:00:00Z", "verdict": "regressed"},
                         {"name": "copy", "deployed_at": "2026-10-01T06:00:00Z", "verdict": "ok"},
                         {"name": "theme", "deployed_at": "2026-10-03T06:00:00Z", "verdict": "insufficient_data"}])


def test_deployment_timeline_panels_verdict_lines_and_suspected_breaks():
    daily = pd.concat([_facts("hash_match.ph", [(D1, 100, 100), (D2, 0, 100), (D3, 0, 90)]),
                       _facts("emq_estimate", [(D1, 850, 100), (D2, 800, 100)]),
                       _facts("dedup.overlap", [(D1, 95, 100)])])
    breaks = pd.DataFrame([{"date": "2026-10-03", "metric": "dedup.overlap", "event_name": "Purchase"}])
    fig = charts.deployment_timeline(series.ratios(daily), _deps(), breaks, SPAN)
    named = {t.name: t for t in fig.data}
    assert list(named["hash_match.ph"].y) == [1.0, 0.0, 0.0] and named["hash_match.ph"].yaxis == "y3"
    assert list(named["emq_estimate"].y) == [8.5, 8.0] and named["emq_estimate"].yaxis == "y"
    assert named["dedup.overlap"].yaxis == "y4"
    assert {"deployment: regressed", "deployment: ok", "deployment: insufficient data", "suspected break"} <= set(named)
    lines = [s for s in fig.layout.shapes if s.type == "line" and s.xref == "x"]
    colours = {pd.Timestamp(s.x0): (s.line.color, s.line.dash) for s in lines}
    assert colours[pd.Timestamp("2026-10-02 12:00")][0] == charts.RED
    assert colours[pd.Timestamp("2026-10-01 06:00")][0] == charts.GREEN
    assert colours[pd.Timestamp("2026-10-03 06:00")][0] == charts.GREY
    assert colours[pd.Timestamp("2026-10-03")] == (charts.RED, "dot")
    every = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(every) == 4 * 4 and {s.xref for s in every} == {"x", "x2", "x3", "x4"}   # across the four panels
    notes = {a.text: a for a in fig.layout.annotations}
    assert notes["suspected break: dedup.overlap"].yref == "y4 domain"
    assert {"checkout-v2", "copy", "theme"} <= set(notes)
    assert [a.text for a in fig.layout.annotations[:4]] == ["EMQ estimate", "coverage", "hash match", "deduplication"]


def test_deployment_focus_shades_before_and_after_and_puts_emq_on_the_right():
    daily = pd.concat([_facts("hash_match.ph", [(D1, 100, 100), (D2, 0, 100), (D3, 0, 90)]),
                       _facts("emq_estimate", [(D1, 850, 100), (D2, 800, 100)])])
    at = datetime(2026, 10, 2, 12)
    fig = charts.deployment_focus(series.ratios(daily, by_event=True),
                                  [("Purchase", "hash_match.ph"), ("Purchase", "emq_estimate"),
                                   ("Lead", "coverage.em")],
                                  "checkout-v2", at, (datetime(2026, 9, 25, 12), at), (at, datetime(2026, 10, 9, 12)))
    assert [t.name for t in fig.data] == ["hash_match.ph · Purchase", "emq_estimate · Purchase"]
    assert [t.yaxis for t in fig.data] == ["y", "y2"]
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(pd.Timestamp(r.x0), pd.Timestamp(r.x1)) for r in rects] == [
        (pd.Timestamp("2026-09-25 12:00"), pd.Timestamp(at)), (pd.Timestamp(at), pd.Timestamp("2026-10-09 12:00"))]
    assert rects[1].fillcolor == charts.RED
    assert fig.layout.title.text == "checkout-v2: the metrics that got worse, per day around it"
    empty = charts.deployment_focus(NO_ROWS, [("Purchase", "hash_match.ph")], "x", at, (at, at), (at, at))
    assert not empty.data and "No daily values" in empty.layout.annotations[-1].text


def test_deployment_timeline_groups_breaks_of_one_day():
    breaks = pd.DataFrame([{"date": "2026-10-03", "metric": m, "event_name": e} for m, e in (
        ("lint.rejected_request", "Purchase"), ("lint.rejected_request", "Lead"), ("discrepancy.gap", "Purchase"),
        ("dedup.overlap", "Lead"))])
    fig = charts.deployment_timeline(series.ratios(_facts("dedup.overlap", [(D1, 95, 100)])), pd.DataFrame(), breaks,
                                     SPAN)
    assert len([s for s in fig.layout.shapes if s.line.dash == "dot"]) == 4          # one line, four panels
    notes = {a.text: a.yref for a in fig.layout.annotations if a.text.startswith("suspected")}
    assert notes == {"suspected break: lint.rejected_request, discrepancy.gap": "y domain",
                     "suspected break: dedup.overlap": "y4 domain"}


def test_cpa_daily_draws_cost_over_purchases_with_deployments_and_jumps():
    days = pd.DataFrame({"date": ["2026-10-08", "2026-10-09", "2026-10-10"], "spend": [100.0, 100.0, 100.0],
                         "purchases": [10.0, 5.0, 0.0], "cpa": [10.0, 20.0, None]})
    deps = pd.DataFrame({"deployed_at": ["2026-10-08T12:00:00Z"], "name": ["checkout-v2"]})
    jumps = pd.DataFrame({"date": ["2026-10-09"], "rise": [1.0], "evidence": ["CPA up 100%"]})
    fig = charts.cpa_daily(days, deps, jumps, "EUR", ("2026-10-08", "2026-10-10"))
    assert [(t.type, t.name) for t in fig.data] == [("bar", "purchases (Meta)"), ("scatter", "cost per purchase")]
    assert list(fig.data[1].y[:2]) == [10.0, 20.0] and pd.isna(fig.data[1].y[2]) and fig.data[0].yaxis == "y2"
    assert [(pd.Timestamp(s.x0), s.line.color) for s in fig.layout.shapes] == [
        (pd.Timestamp("2026-10-08 12:00"), charts.GREY), (pd.Timestamp("2026-10-09"), charts.RED)]
    assert [a.text for a in fig.layout.annotations] == ["checkout-v2", "CPA +100%"]
    assert fig.layout.yaxis.title.text == "cost per purchase (EUR)"
    assert list(fig.layout.xaxis.range) == [pd.Timestamp("2026-10-08"), pd.Timestamp("2026-10-11")]


def test_cpa_daily_without_jumps_or_deployments():
    days = pd.DataFrame({"date": ["2026-10-08"], "spend": [50.0], "purchases": [5.0], "cpa": [10.0]})
    empty = pd.DataFrame(columns=["date", "rise", "evidence"])
    fig = charts.cpa_daily(days, pd.DataFrame(columns=["deployed_at", "name"]), empty)
    assert not fig.layout.shapes and fig.layout.yaxis.title.text == "cost per purchase"


# ---------------------------------------------------------------- shared with the HTML report

MARKUP = "<b>Lead</b> & <a href='x'>co</a>"


def test_text_from_the_data_is_escaped_for_plotly_in_every_builder():
    # plotly renders <b>, <a href> … in names, labels and annotations: every builder escapes what the data sent.
    emq = _emq().assign(event_name=MARKUP)
    deps = pd.DataFrame([{"deployed_at": datetime(2026, 10, 1, 12), "name": MARKUP}])
    shown = "&lt;b&gt;Lead&lt;/b&gt; &amp; &lt;a href='x'&gt;co&lt;/a&gt;"
    trend = charts.emq_trend(emq, NO_ROWS, deps, target=None)
    assert [t.name for t in trend.data] == [shown] and [a.text for a in trend.layout.annotations] == [shown]
    card = charts.card_deployments(deps.assign(verdict="ok"), SPAN)
    assert list(card.data[0].text) == [shown]
    assert charts.discrepancy_daily(_days([None, None, None]), 0.15, MARKUP).data[1].name == f"server {shown}"
    heat = charts.coverage_heatmap(pd.DataFrame([{"label": MARKUP, "em": 1.0}]), ["em"])
    assert list(heat.data[0].y) == [shown]


def test_emq_trend_keys_set_the_series_and_their_order():
    fig = charts.emq_trend(_emq(), _meta(), NO_ROWS, target=None, keys=[("1", "Lead"), ("1", "Purchase")])
    assert [t.name for t in fig.data] == ["Lead", "Purchase", "Purchase (Meta)"] and not fig.layout.annotations


def test_coverage_trend_has_a_panel_per_identifier_and_a_line_per_event():
    cov = pd.DataFrame([{"pixel_id": "1", "event_name": e, "day": d, "server_events": 3, "em": v, "ph": 0.5,
                         "fbp": 1.0, "fbc": 0.2} for e, v in (("Purchase", 0.9), ("Lead", 0.1)) for d in (D2, D1)])
    fig = charts.coverage_trend(cov, [("1", "Purchase"), ("1", "Lead")], _deployments())
    assert [a.text for a in fig.layout.annotations] == ["em coverage", "ph coverage", "fbp coverage", "fbc coverage"]
    assert len(fig.data) == 8 and [t.showlegend for t in fig.data[:2]] == [True, True]
    assert list(fig.data[0].x) == [D1, D2] and list(fig.data[0].y) == [0.9, 0.9] and list(fig.data[1].y) == [0.1, 0.1]
    assert len([s for s in fig.layout.shapes if s.type == "line"]) == 4                 # the deployment, every panel
