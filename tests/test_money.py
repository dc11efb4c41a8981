"""Money at stake on a 3-day inline store: missed orders and duplicated Purchases × the window's order value."""
from __future__ import annotations

import jsonschema
import pytest

from analysis.report import report_schema
from tests.scenario import Scenario, sev


@pytest.fixture
def sc(tmp_path):
    return Scenario(tmp_path)


def test_money_at_stake_per_day_week_and_month(sc):
    for oid, day, total in (("o1", 1, 10), ("o2", 1, 20), ("o3", 1, 30), ("o4", 1, 40), ("o5", 2, 50), ("o6", 2, 50),
                            ("o7", 3, 25), ("o8", 3, 25), ("o9", 3, 25), ("o10", 3, 25)):
        sc.order(oid, f"2026-10-0{day}T10:00:00", total=total)
    sc.server(sev("Purchase", "2026-10-01T10:00:05", "order-o1"), sev("Purchase", "2026-10-01T10:00:06", "order-o2"),
              sev("Purchase", "2026-10-01T10:00:07", "order-o3"), sev("Purchase", "2026-10-03T10:00:05", "order-o7"))
    sc.server(sev("Purchase", "2026-10-01T10:00:07", "order-o3"), sent_at="2026-10-01T11:00:00Z")   # a repeat
    sc.browser("Purchase", "2026-10-01T10:00:04", "order-o1")                   # pairs with the server copy
    sc.browser("Purchase", "2026-10-01T10:00:04", "b-o2", custom_data={"order_id": "o2"})  # counted twice
    sc.browser("Purchase", "2026-10-02T10:00:04", "order-o5")
    sc.browser("Purchase", "2026-10-02T10:01:04", "order-o5")                   # a browser repeat
    sc.stats("SERVER_ONLY", "2026-10-01T12:00:00", {"Purchase": 2})
    sc.stats("SERVER_ONLY", "2026-10-02T12:00:00", {"Purchase": 2})
    rep = sc.report("2026-10-01", "2026-10-03")
    jsonschema.validate(rep, report_schema())
    m = rep["money_at_stake"]
    assert m["estimate"] is True and m["currency"] == "USD" and m["average_order_value"] == 30.0
    assert m["formula"]["missed_orders"].startswith("per day: max(0, backend_orders − max(meta_received, ")
    rows = [(d["date"], d["backend_orders"], d["meta_received"], d["paired_server"], d["missed_orders"],
             d["missed_value"], d["server_repeats"], d["browser_repeats"], d["unpaired_double"],
             d["duplicate_purchases"], d["duplicate_value"]) for d in m["days"]]
    assert rows == [("2026-10-01", 4, 2, 3, 1, 30.0, 1, 0, 1, 2, 60.0),
                    ("2026-10-02", 2, 2, 0, 0, 0.0, 0, 1, 0, 1, 30.0),
                    ("2026-10-03", 4, None, 1, 3, 90.0, 0, 0, 0, 0, 0.0)]
    total = {"backend_orders": 10, "missed_orders": 4, "missed_value": 120.0, "duplicate_purchases": 3,
             "duplicate_value": 90.0}
    assert m["total"] == total
    assert m["weeks"] == [{"since": "2026-10-01", "until": "2026-10-03", **total}]
    assert m["months"] == [{"since": "2026-10-01", "until": "2026-10-03", **total}]


def test_money_at_stake_without_logs_judges_only_days_meta_counted(sc):
    sc.order("o1", "2026-10-01T10:00:00", total=30)
    sc.order("o2", "2026-10-02T10:00:00", total=10)
    sc.stats("SERVER_ONLY", "2026-10-01T12:00:00", {"Purchase": 0, "PageView": 5})
    m = sc.report("2026-10-01", "2026-10-02")["money_at_stake"]
    assert [(d["missed_orders"], d["duplicate_purchases"], d["paired_server"]) for d in m["days"]] == [
        (1, None, None), (None, None, None)]
    assert m["total"] == {"backend_orders": 2, "missed_orders": 1, "missed_value": 20.0, "duplicate_purchases": None,
                          "duplicate_value": None}


def test_no_orders_no_money_at_stake(sc):
    sc.server(sev("Purchase", "2026-10-01T10:00:05", "order-x"))
    assert sc.report("2026-10-01", "2026-10-01")["money_at_stake"] is None
