"""An audit from connectors alone (Meta's snapshots, /stats and orders, no logs), then logs added later."""
from __future__ import annotations

import jsonschema
import pytest

from analysis.metrics.checklist import NEEDS_LOGS
from analysis.report import report_schema
from tests.scenario import Scenario, event, sev, ud


@pytest.fixture
def sc(tmp_path):
    s = Scenario(tmp_path)
    for day in ("01", "02", "03"):
        for i in range(10):
            s.order(f"{day}-{i}", f"2026-10-{day}T12:00:00", total=20.0)
    s.stats("SERVER_ONLY", "2026-10-01T12:00:00", {"Purchase": 10, "PageView": 300})
    s.stats("SERVER_ONLY", "2026-10-02T12:00:00", {"Purchase": 6})             # 4 of 10 orders missing: flagged
    s.stats("WEB_ONLY", "2026-10-02T12:00:00", {"Purchase": 7})
    s.quality.append({"pixel_id": "111", "fetched_at": "2026-10-03T06:00:00Z", "response": {"web": [
        {"event_name": "Purchase",
         "event_match_quality": {
             "composite_score": 7.9,
             "match_key_feedback": [{"identifier": "email", "coverage": {"percentage": 100}},
                                    {"identifier": "phone", "coverage": {"percentage": 40.5}}],
             "diagnostics": [{"name": "Send phone", "description": "Few events carry a phone number.",
                              "solution": "Add ph.", "percentage": 59.5, "affected_event_count": 119,
                              "total_event_count": 200, "extra": "dropped"}]},
         "event_coverage": {"percentage": 34.1, "goal_percentage": 75}, "acr": {"percentage": 37.9}},
        {"event_name": "AddToCart", "event_match_quality": {"composite_score": 6.9}}]}})
    s.deployment("2026-10-02T09:00:00", "checkout-v2")
    return s


def test_connectors_alone_list_every_event_meta_reports(sc):
    rep = sc.full_report("2026-10-01", "2026-10-03")
    jsonschema.validate(rep, report_schema())
    assert [(e["event_name"], e["from_logs"]) for e in rep["events"]] == [
        ("AddToCart", False), ("PageView", False), ("Purchase", False)]
    p = event(rep, "Purchase")
    assert (p["server_events"], p["browser_events"], p["emq_estimate"], p["emq_meta"]) == (0, 0, None, 7.9)
    assert p["coverage"]["em"] is None and p["presence"]["ph"] is None and p["hash_match"] == {}
    assert p["dedup"]["matched"] == 0 and p["dedup"]["overlap"] is None
    assert p["meta_feedback"] == {
        "fetched_at": "2026-10-03T06:00:00Z", "composite_score": 7.9, "event_coverage_pct": 34.1, "acr_pct": 37.9,
        "match_keys": {"email": 100.0, "phone": 40.5},
        "diagnostics": [{"name": "Send phone", "description": "Few events carry a phone number.",
                         "solution": "Add ph.", "percentage": 59.5, "affected_event_count": 119.0,
                         "total_event_count": 200.0}],
        "server_received": 16, "browser_received": 7}
    assert event(rep, "PageView")["meta_feedback"]["server_received"] == 300
    assert event(rep, "PageView")["emq_meta"] is None

    disc = rep["discrepancy"]
    assert disc["basis"] == "meta_received"
    assert [(d["date"], d["backend_orders"], d["meta_received"], d["gap"], d["flagged"]) for d in disc["days"]] == [
        ("2026-10-01", 10, 10, 0.0, False), ("2026-10-02", 10, 6, 0.4, True), ("2026-10-03", 10, None, None, False)]

    items = {i["id"]: i for i in rep["checklist"]}
    assert items["emq"]["status"] == "warn"
    assert items["emq"]["evidence"] == "Purchase 7.9 (Meta) < 8 target; AddToCart 6.9 (Meta) ≥ 6.5 target."
    assert items["volume"]["status"] == "warn"
    assert items["volume"]["evidence"] == ("1 of 2 days with ≥ 10 orders flagged (|gap| > 15%); 30 orders vs 16 "
                                           "Purchase Meta received from the server (/stats; no server logs): "
                                           "2026-10-02 gap 40%.")
    for item in ("dedup", "coverage", "privacy"):
        assert items[item]["status"] == "unknown"
        assert "needs server logs: see capture / file exports" in items[item]["evidence"]
        assert items[item]["evidence"].endswith(NEEDS_LOGS + ".")
    assert items["deployments"]["status"] == "unknown"
    assert items["deployments"]["evidence"] == f"1 deployments; comparing before and after {NEEDS_LOGS}."


def test_logs_added_later_fill_in_the_rest_at_read_time(sc):
    before = sc.full_report("2026-10-01", "2026-10-03")
    assert event(before, "Purchase")["server_events"] == 0
    sc.server(*(sev("Purchase", f"2026-10-0{d}T12:00:05", f"order-0{d}-{i}", ud("em", "fbp"))
                for d in (1, 2) for i in range(10)))
    after = sc.full_report("2026-10-01", "2026-10-03")
    p = event(after, "Purchase")
    assert (p["server_events"], p["from_logs"], p["emq_meta"]) == (20, True, 7.9)
    assert p["coverage"]["em"] == 1.0 and p["coverage"]["ph"] == 0.0 and p["emq_estimate"] is not None
    assert p["meta_feedback"]["match_keys"] == {"email": 100.0, "phone": 40.5}
    disc = after["discrepancy"]
    assert disc["basis"] == "server_events"
    assert [(d["server_events"], d["gap"]) for d in disc["days"]] == [(10, 0.0), (10, 0.0), (0, 1.0)]
    items = {i["id"]: i for i in after["checklist"]}
    assert NEEDS_LOGS not in items["dedup"]["evidence"] and items["privacy"]["status"] != "unknown"
