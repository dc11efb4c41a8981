"""CPA series and jumps: a CPA jump planted on a dedup break is flagged in the report, the checklist, the alerts and
the suspected breaks with exact evidence; a jump alone, or no jump, is not."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest

from analysis import alerts, report
from analysis.ingest import Options, ingest_file
from tests.scenario import Scenario, sev

START = date(2026, 10, 1)
BREAK = date(2026, 10, 8)            # from this day the browser's event ids no longer match the server's
# 10 paired Purchases a day from START for 14 days; the deployments' bars need 10 events a side here.
SETTINGS = {"deployments__min_events": 10}
EVIDENCE = ("CPA up 100% on 2026-10-09 (EUR 10.00 → EUR 20.00 per purchase, 3 days each side) as Purchase dedup "
            "overlap 1.00 → 0.00 from 2026-10-08 (pixel 111): a deduplication change inflates or deflates the "
            "purchases Meta reports")


@pytest.fixture
def sc(tmp_path: Path) -> Scenario:
    return Scenario(tmp_path)


def purchases(sc: Scenario, days: int = 14, broken: date | None = BREAK, halved: date | None = None) -> None:
    """10 Purchases a day on both sides (5 from `halved`), paired by event_id until `broken`."""
    for n in range(days):
        day = START + timedelta(days=n)
        events = []
        for i in range(5 if halved and day >= halved else 10):
            when = f"{day}T{8 + i:02d}:00:00"
            events.append(sev("Purchase", when, f"p-{day}-{i}"))
            sc.browser("Purchase", when, f"b-{day}-{i}" if broken and day >= broken else f"p-{day}-{i}")
        sc.server(*events)


def insights(tmp_path: Path, sc: Scenario, bought: dict[date, int], spend: float = 100.0) -> None:
    """One ad account, EUR 100 a day; `bought` purchases per day (missing days: 10)."""
    rows = [{"account_id": "42", "account_currency": "EUR", "spend": str(spend), "date_start": str(d),
             "date_stop": str(d), "actions": [{"action_type": "purchase", "value": str(bought.get(d, 10))}]}
            for d in (START + timedelta(days=n) for n in range(14))]
    path = tmp_path / "insights.json"
    path.write_text(json.dumps({"ad_account_id": "act_42", "fetched_at": "2026-10-20T00:00:00Z",
                                "response": {"data": rows}}))
    assert ingest_file(sc.db, "meta-insights", path, Options()).loaded == 14


# Meta's purchases halve from the day after the break: CPA 10 → 20.
HALVED = {START + timedelta(days=n): 5 for n in range(8, 14)}


def test_a_cpa_jump_on_a_dedup_break_is_flagged_everywhere(tmp_path: Path, sc: Scenario):
    purchases(sc)
    insights(tmp_path, sc, HALVED)
    rep = sc.full_report("2026-10-01", "2026-10-14", **SETTINGS)
    jsonschema.validate(json.loads(report.to_json(rep)), report.report_schema())
    cpa = rep["cpa"]
    assert cpa["currency"] == "EUR" and cpa["ad_accounts"] == ["act_42"] and cpa["currencies_left_out"] == []
    assert cpa["days"][7:10] == [{"date": "2026-10-08", "spend": 100.0, "purchases": 10.0, "cpa": 10.0},
                                 {"date": "2026-10-09", "spend": 100.0, "purchases": 5.0, "cpa": 20.0},
                                 {"date": "2026-10-10", "spend": 100.0, "purchases": 5.0, "cpa": 20.0}]
    assert cpa["window"] == {"since": "2026-10-01", "until": "2026-10-14", "spend": 1400.0, "purchases": 110.0,
                             "cpa": 12.73}
    assert cpa["previous"] == {"since": "2026-09-17", "until": "2026-09-30", "spend": 0.0, "purchases": 0.0,
                               "cpa": None}
    assert cpa["jumps"] == [{
        "date": "2026-10-09", "cpa_before": 10.0, "cpa_after": 20.0, "rise": 1.0, "spend_before": 300.0,
        "spend_after": 300.0, "purchases_before": 30.0, "purchases_after": 15.0,
        "coincides": [{"metric": "dedup.overlap", "pixel_id": "111", "date": "2026-10-08", "before": 1.0,
                       "after": 0.0}],
        "evidence": EVIDENCE}]
    # The overlap's own step is a suspected break too; the CPA jump is one more, the day after.
    assert rep["suspected_breaks"] == [
        {"date": "2026-10-08", "metric": "dedup.overlap", "event_name": "Purchase", "pixel_id": "111",
         "before": 1.0, "after": 0.0, "before_events": 70, "after_events": 70},
        {"date": "2026-10-09", "metric": "cpa", "event_name": "Purchase", "pixel_id": None,
         "before": 10.0, "after": 20.0, "before_events": 30, "after_events": 15}]
    items = {i["id"]: i for i in rep["checklist"]}
    assert [i["id"] for i in rep["checklist"]] == ["emq", "volume", "dedup", "coverage", "deployments", "privacy"]
    dedup = items["dedup"]
    assert dedup["status"] == "warn" and dedup["details"]["cpa_jumps"] == ["2026-10-09"]
    assert dedup["evidence"] == (EVIDENCE + "; No name mismatches, repeats ≤ 1%, no overlap drop: Purchase overlap "
                                 "0.50, repeats 0%.")
    assert items["volume"]["details"].get("cpa_jumps") is None
    msg = alerts.message(rep)
    assert msg is not None and alerts.escape(EVIDENCE) in json.dumps(msg, ensure_ascii=False)


def test_no_jump_no_flag(tmp_path: Path, sc: Scenario):
    purchases(sc)
    insights(tmp_path, sc, {})                       # CPA flat at 10 through the dedup break
    rep = sc.full_report("2026-10-01", "2026-10-14", **SETTINGS)
    assert rep["cpa"]["jumps"] == [] and rep["cpa"]["window"]["cpa"] == 10.0
    assert [b["metric"] for b in rep["suspected_breaks"]] == ["dedup.overlap"]
    dedup = {i["id"]: i for i in rep["checklist"]}["dedup"]
    assert dedup["status"] == "pass" and "cpa_jumps" not in dedup["details"]


def test_a_jump_without_a_tracking_change_is_not_flagged(tmp_path: Path, sc: Scenario):
    purchases(sc, broken=None)                       # pairing intact all along
    insights(tmp_path, sc, HALVED)
    rep = sc.full_report("2026-10-01", "2026-10-14", **SETTINGS)
    assert rep["cpa"]["jumps"] == [] and rep["suspected_breaks"] == []


def test_a_jump_on_a_server_volume_change_warns_in_the_volume_item(tmp_path: Path, sc: Scenario):
    purchases(sc, broken=None, halved=BREAK)        # pairing intact; half the Purchases sent from 10-08
    insights(tmp_path, sc, HALVED)
    rep = sc.full_report("2026-10-01", "2026-10-14", **SETTINGS)
    text = ("CPA up 100% on 2026-10-09 (EUR 10.00 → EUR 20.00 per purchase, 3 days each side) as server Purchase "
            "events 30 → 15 from 2026-10-08 (pixel 111): a tracking change, not the ads, may have moved the "
            "purchases Meta reports")
    [jump] = rep["cpa"]["jumps"]
    assert jump["coincides"] == [{"metric": "volume", "pixel_id": "111", "date": "2026-10-08", "before": 30,
                                  "after": 15}] and jump["evidence"] == text
    items = {i["id"]: i for i in rep["checklist"]}
    assert (items["volume"]["status"], items["volume"]["evidence"]) == (
        "warn", text + "; No eligible orders in this window, so Purchase volumes cannot be compared with the backend.")
    assert items["dedup"]["status"] == "pass"
    assert [(b["date"], b["metric"]) for b in rep["suspected_breaks"]] == [("2026-10-09", "cpa")]


def test_a_jump_under_the_minimum_spend_is_not_flagged(tmp_path: Path, sc: Scenario):
    purchases(sc)
    insights(tmp_path, sc, HALVED, spend=30.0)       # 90 a side, under cpa.min_spend (100)
    assert sc.report("2026-10-01", "2026-10-14", **SETTINGS)["cpa"]["jumps"] == []
    assert sc.report("2026-10-01", "2026-10-14", cpa__min_spend=90.0, **SETTINGS)["cpa"]["jumps"][0]["date"] == \
        "2026-10-09"


def test_without_insights_the_section_is_null(sc: Scenario):
    purchases(sc, days=3)
    assert sc.report("2026-10-01", "2026-10-03")["cpa"] is None


def test_an_older_store_opened_read_only_has_no_cpa(sc: Scenario):
    from analysis import config, store

    purchases(sc, days=3)
    sc.ingest()
    with store.writer(sc.db) as con:          # as a store from before the insights table, read without migrating
        con.execute("DROP TABLE ad_insights")
        con.execute("UPDATE schema_version SET version = 1")
    with store.reader(sc.db) as con:
        rep = report.build(con, config.load(env={}), report.Options(date(2026, 10, 1), date(2026, 10, 3), "UTC"))
    assert rep["cpa"] is None and rep["suspected_breaks"] == []


def test_a_jump_on_a_discrepancy_gap_change_warns_in_the_volume_item(tmp_path: Path, sc: Scenario):
    # Paired Purchases all along, but from 10-08 they no longer name the shop's orders: the gap opens.
    for n in range(14):
        day = START + timedelta(days=n)
        events = []
        for i in range(10):
            when, oid = f"{day}T{8 + i:02d}:00:00", f"{day:%m%d}{i:02d}"
            sc.order(oid, when)
            events.append(sev("Purchase", when, f"p-{oid}",
                              custom_data={"order_id": oid if day < BREAK else f"x{oid}", "value": 10.0}))
            sc.browser("Purchase", when, f"p-{oid}")
        sc.server(*events)
    insights(tmp_path, sc, HALVED)
    rep = sc.full_report("2026-10-01", "2026-10-14", **SETTINGS)
    text = ("CPA up 100% on 2026-10-09 (EUR 10.00 → EUR 20.00 per purchase, 3 days each side) as Purchase "
            "discrepancy gap 0% → 100% from 2026-10-08: a tracking change, not the ads, may have moved the "
            "purchases Meta reports")
    [jump] = rep["cpa"]["jumps"]
    assert jump["coincides"] == [{"metric": "discrepancy.gap", "pixel_id": None, "date": "2026-10-08", "before": 0.0,
                                  "after": 1.0}] and jump["evidence"] == text
    volume = {i["id"]: i for i in rep["checklist"]}["volume"]
    # The daily counts agree (140 each), so the item passed on its own; the unmatched orders are what moved.
    assert (volume["status"], volume["evidence"]) == ("warn", text + "; 0 of 14 days with ≥ 10 orders flagged (|gap| "
                                                      "> 15%); 140 orders vs 140 server and 140 browser Purchase.")
    assert volume["details"]["cpa_jumps"] == ["2026-10-09"]
