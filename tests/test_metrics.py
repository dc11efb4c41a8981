"""Core metrics on small inline scenarios with known answers (report contract: shared/spec/report.md)."""
from __future__ import annotations

import jsonschema
import pytest

from analysis.metrics import emq
from analysis.normalize import USER_DATA_KEYS
from analysis.report import report_schema
from tests.scenario import PIXEL, Scenario, event, h, sev, ud


@pytest.fixture
def sc(tmp_path):
    return Scenario(tmp_path)


def test_coverage_and_presence_as_received(sc):
    sc.server(
        sev("Purchase", "2026-10-01T10:00:00", "o1", ud("fbp", em=h("a@b.com"))),
        sev("Purchase", "2026-10-01T11:00:00", "o2", ud("fbp", em="Plain@Example.com")),      # present, not valid
        sev("Purchase", "2026-10-01T12:00:00", "o3", ud(em=["not-a-hash", h("x@y.z")])),     # a list: one valid
        sev("Purchase", "2026-10-01T13:00:00", "o4", ud("fbp", em=h("c@d.com") + ".Ag",       # appendix allowed
                                                          client_ip_address="2001:db8::7")),
    )
    rep = sc.report("2026-10-01", "2026-10-01")
    p = event(rep, "Purchase")
    assert p["server_events"] == 4 and p["browser_events"] == 0
    assert p["presence"]["em"] == 1.0
    assert p["coverage"]["em"] == 0.75
    assert p["coverage"]["fbp"] == 0.75 and p["presence"]["fbp"] == 0.75
    assert p["coverage"]["client_ip_address"] == 0.25    # only the IPv6 one carries an IP, and it is valid
    assert p["presence"]["client_ip_address"] == 0.25
    assert p["coverage"]["ph"] == 0.0


def test_rejected_and_test_coded_requests_are_not_counted(sc):
    sc.server(sev("Purchase", "2026-10-01T10:00:00", "o1"))
    sc.server(sev("Purchase", "2026-10-01T10:05:00", "o2"), status=400, error_code=190)
    sc.server(sev("Purchase", "2026-10-01T10:06:00", "o3"), test_event_code="TEST1")
    rep = sc.report("2026-10-01", "2026-10-01")
    assert event(rep, "Purchase")["server_events"] == 1


def test_emq_reference_points():
    geo = {"fbp", "client_ip_address", "client_user_agent", "ct", "st", "zp", "country"}
    assert abs(emq.score(geo) - 5.2) <= 0.7
    conv = {"em", "ph", "fbp", "client_ip_address", "client_user_agent"}
    assert 8.3 - 0.7 <= emq.score(conv) <= 9.3 + 0.7
    assert 8.3 <= emq.score(conv) <= 9.3
    assert emq.score({"client_user_agent", "ct", "zp"}) == 0.0          # baseline-invalid set
    assert emq.score({"fn", "ge"}) == 0.0
    assert emq.score(set()) == 0.0
    # Diminishing returns: the second key adds less than the first.
    assert emq.score({"em"}) - emq.score(set(), {"em"}) > emq.score({"em", "ph"}) - emq.score({"em"})


def test_emq_estimate_in_sql_equals_the_python_model(sc):
    geo = ud("fbp", "client_ip_address", "client_user_agent", "ct", "st", "zp", "country")
    conv = ud("em", "ph", "fbp", "client_ip_address", "client_user_agent")
    sc.server(sev("Lead", "2026-10-01T10:00:00", "l1", geo), sev("Lead", "2026-10-01T10:01:00", "l2", conv),
              sev("Lead", "2026-10-01T10:02:00", "l3", ud("client_user_agent", "ct")),   # invalid: 0
              sev("Lead", "2026-10-01T10:03:00", "l4", conv, action_source="email"))     # not website: ignored
    rep = sc.report("2026-10-01", "2026-10-01")
    expected = (emq.score(set(geo)) + emq.score(set(conv)) + 0.0) / 3
    lead = event(rep, "Lead")
    assert lead["emq_estimate"] == round(expected, 2)
    assert lead["emq_meta"] is None and lead["emq_calibrated"] is None


def test_emq_meta_is_the_latest_snapshot_inside_the_window(sc):
    sc.server(sev("Purchase", "2026-10-02T10:00:00", "o1"))
    sc.snapshot("2026-10-01T06:00:00Z", {"Purchase": 8.1})
    sc.snapshot("2026-10-03T06:00:00Z", {"Purchase": 7.4})
    sc.snapshot("2026-10-09T06:00:00Z", {"Purchase": 5.0})    # after the window
    rep = sc.report("2026-10-01", "2026-10-05")
    assert event(rep, "Purchase")["emq_meta"] == 7.4


def _dedup(rep, name="Purchase"):
    return event(rep, name)["dedup"]


def test_pairs_just_inside_and_just_outside_48_hours(sc):
    sc.browser("Purchase", "2026-10-01T00:00:00", "in")
    sc.server(sev("Purchase", "2026-10-02T23:59:59", "in"))          # 48 h − 1 s later
    sc.browser("Purchase", "2026-10-01T00:00:00", "out")
    sc.server(sev("Purchase", "2026-10-03T00:00:01", "out"))         # 48 h + 1 s later
    d = _dedup(sc.report("2026-10-01", "2026-10-03"))
    assert d["matched"] == 1
    assert d["browser_only"] == 1 and d["server_only"] == 1
    assert d["overlap"] == 0.5
    assert d["browser_with_event_id"] == 1.0 and d["server_with_event_id"] == 1.0


def test_case_only_name_difference_is_a_name_mismatch_under_the_server_name(sc):
    sc.browser("purchase", "2026-10-01T10:00:00", "o1")
    sc.server(sev("Purchase", "2026-10-01T10:00:05", "o1"))
    sc.browser("Purchase", "2026-10-01T11:00:00", "o2")
    sc.server(sev("Purchase", "2026-10-01T11:00:05", "o2"))
    rep = sc.report("2026-10-01", "2026-10-01")
    d = _dedup(rep)
    assert d["name_mismatch"] == 1
    assert d["matched"] == 1 and d["server_only"] == 1
    assert _dedup(rep, "purchase")["browser_only"] == 1


def test_repeats_and_reused_ids(sc):
    sc.server(sev("Purchase", "2026-10-01T10:00:00", "o1"))
    sc.server(sev("Purchase", "2026-10-01T10:00:00", "o1"), sent_at="2026-10-01T12:00:00Z")   # re-sent: repeat
    sc.server(sev("Purchase", "2026-10-01T09:00:00", "page-load-id"))
    sc.server(sev("Purchase", "2026-10-04T09:00:00", "page-load-id"))                          # 3 days later
    sc.server(sev("Purchase", "2026-10-02T09:00:00", "dup", custom_data={"order_id": "A"}),
              sev("Purchase", "2026-10-02T09:00:01", "dup", custom_data={"order_id": "B"}))
    sc.browser("Purchase", "2026-10-01T10:00:01", "o1")
    sc.browser("Purchase", "2026-10-01T10:00:02", "o1")
    d = _dedup(sc.report("2026-10-01", "2026-10-05"))
    assert d["server_repeats"] == 2           # o1's second copy, dup's second copy
    assert d["browser_repeats"] == 1
    assert d["reused_event_ids"] == 2         # page-load-id (two clusters), dup (two order ids)
    assert d["matched"] == 1


def test_an_event_just_outside_the_window_pairs_with_one_inside(sc):
    sc.browser("Purchase", "2026-09-30T23:00:00", "edge")
    sc.server(sev("Purchase", "2026-10-01T01:00:00", "edge"))
    d = _dedup(sc.report("2026-10-01", "2026-10-01"))
    assert d["server_only"] == 0 and d["matched"] == 1
    assert event(sc.report("2026-10-01", "2026-10-01"), "Purchase")["browser_events"] == 0


def test_event_time_in_milliseconds_counts_on_its_day(sc):
    e = sev("Purchase", "2026-10-01T23:30:00", "o1")
    e["event_time"] = e["event_time"] * 1000
    sc.server(e)
    rep = sc.report("2026-10-01", "2026-10-01")
    assert event(rep, "Purchase")["server_events"] == 1
    rep2 = sc.report("2026-10-02", "2026-10-02", tz="Europe/Paris")
    assert event(rep2, "Purchase")["server_events"] == 1      # 01:30 the next day in Paris


def test_empty_window_has_every_section_present_and_empty(sc):
    sc.server(sev("Purchase", "2026-10-01T10:00:00", "o1"))
    rep = sc.report("2026-11-01", "2026-11-03")
    assert rep["events"] == []
    assert rep["discrepancy"]["days"] == []
    for key in ("lint", "deployments", "suspected_breaks", "checklist"):
        assert rep[key] == []
    jsonschema.validate(rep, report_schema())


def test_discrepancy_buckets_by_the_order_day(sc):
    # Day 1: 10 eligible orders; 9 Purchases, one of them sent late (next day) — still day 1.
    for i in range(10):
        sc.order(f"{100 + i}", "2026-10-01T12:00:00", total=20.0)
    for i in range(8):
        sc.server(sev("Purchase", "2026-10-01T12:00:05", f"order-{100 + i}", custom_data={"value": 20.0, "currency": "USD"}))
    sc.server(sev("Purchase", "2026-10-02T09:00:00", "order-108", custom_data={"value": 20.0, "currency": "USD"}))
    # Day 2: 3 orders (under min_orders), one pending with a Purchase (not counted), one pos order.
    sc.order("200", "2026-10-02T10:00:00")
    sc.order("201", "2026-10-02T10:00:00", status="pending")
    sc.order("202", "2026-10-02T10:00:00", channel="pos")
    sc.server(sev("Purchase", "2026-10-02T10:00:05", "order-201"))
    # A Purchase with no order at all counts on its own day.
    sc.server(sev("Purchase", "2026-10-02T15:00:00", "order-999"))
    sc.browser("Purchase", "2026-10-01T12:00:04", "order-100")
    days = {d["date"]: d for d in sc.report("2026-10-01", "2026-10-02")["discrepancy"]["days"]}
    d1, d2 = days["2026-10-01"], days["2026-10-02"]
    assert (d1["backend_orders"], d1["server_events"], d1["browser_events"]) == (10, 9, 1)
    assert d1["gap"] == 0.1 and d1["flagged"] is False
    assert d1["backend_revenue"] == 200.0 and d1["server_value"] == 180.0
    assert d1["meta_received"] is None and d1["meta_browser_received"] is None
    assert (d2["backend_orders"], d2["server_events"]) == (1, 1)     # order 200 missing, orphan 999 counted
    assert d2["gap"] == 0.0 and d2["flagged"] is False


def test_discrepancy_flags_a_big_gap_with_enough_orders_only(sc):
    for i in range(10):
        sc.order(f"{i}", "2026-10-01T12:00:00")
    for i in range(5):
        sc.order(f"x{i}", "2026-10-02T12:00:00")
    sc.server(sev("Purchase", "2026-10-01T12:00:05", "0"))
    days = {d["date"]: d for d in sc.report("2026-10-01", "2026-10-02")["discrepancy"]["days"]}
    assert days["2026-10-01"]["gap"] == 0.9 and days["2026-10-01"]["flagged"] is True
    assert days["2026-10-02"]["gap"] == 1.0 and days["2026-10-02"]["flagged"] is False   # 5 < min_orders


def test_meta_stats_counts_per_day(sc):
    sc.order("1", "2026-10-01T12:00:00")
    sc.stats("SERVER_ONLY", "2026-10-01T12:00:00", {"Purchase": 3, "PageView": 40})
    sc.stats("SERVER_ONLY", "2026-10-01T13:00:00", {"Purchase": 2})
    sc.stats("WEB_ONLY", "2026-10-01T13:00:00", {"PageView": 9})
    days = {d["date"]: d for d in sc.report("2026-10-01", "2026-10-02")["discrepancy"]["days"]}
    assert days["2026-10-01"]["meta_received"] == 5
    assert days["2026-10-01"]["meta_browser_received"] == 0
    assert days["2026-10-02"]["meta_received"] is None


def test_hash_match_against_the_orders_plaintext(sc):
    sc.order("1", "2026-10-01T12:00:00", email="Mary@Example.com", phone="(650) 555-1212", country="US")
    sc.order("2", "2026-10-01T12:00:00", email="joe@example.com", phone="(650) 555-1313", country="US")
    sc.server(sev("Purchase", "2026-10-01T12:00:05", "order-1",
                  ud("fbp", em=h("mary@example.com"), ph=h("16505551212"))))
    sc.server(sev("Purchase", "2026-10-01T12:00:06", "order-2",
                  ud("fbp", em=h("joe@example.com"), ph=h("6505551313"))))     # phone without country code
    p = event(sc.report("2026-10-01", "2026-10-01"), "Purchase")
    assert p["hash_match"]["em"] == 1.0
    assert p["hash_match"]["ph"] == 0.5


def test_report_validates_against_the_shipped_schema(sc):
    sc.server(sev("Purchase", "2026-10-01T10:00:00", "o1"), sev("AddToCart", "2026-10-01T09:00:00", "a1"))
    sc.browser("Purchase", "2026-10-01T10:00:01", "o1")
    sc.order("o1", "2026-10-01T09:59:00")
    rep = sc.report("2026-10-01", "2026-10-01")
    jsonschema.validate(rep, report_schema())
    assert rep["window"] == {"since": "2026-10-01", "until": "2026-10-01", "timezone": "UTC"}


def test_calibration_recovers_known_weights_from_synthetic_snapshots():
    import random

    keys = list(USER_DATA_KEYS)   # the pattern order fit() expects
    true = dict(emq.DEFAULT_WEIGHTS, em=2.5, ph=4.5, fbp=2.5, client_ip_address=0.3)
    rnd = random.Random(3)
    ys, pats = [], []
    for _ in range(60):
        counts = {}
        for _ in range(6):
            valid = {k for k in ("em", "ph", "fbp", "client_ip_address") if rnd.random() < 0.5} | {"client_user_agent", "external_id"}
            pattern = (False,) + tuple(k in valid for k in keys)
            counts[pattern] = counts.get(pattern, 0) + rnd.randint(1, 50)
        total = sum(counts.values())
        y = sum(n * emq.score({k for k, on in zip(keys, p[1:]) if on}, weights=true) for p, n in counts.items()) / total
        ys.append(y)
        pats.append(counts)
    weights, before, after = emq.fit(ys, pats, ridge=1e-4)
    for k in ("em", "ph", "fbp", "client_ip_address"):
        assert abs(weights[k] - true[k]) < 0.1, (k, weights[k], true[k])
    assert after < 0.01 < before


def test_mirror_copies_are_not_counted_as_pixel_events(sc):
    sc.server(sev("Purchase", "2026-10-01T10:00:00", "o1"))
    sc.browser("Purchase", "2026-10-01T10:00:01", "o1", source="mirror")
    d = event(sc.report("2026-10-01", "2026-10-01"), "Purchase")
    assert d["browser_events"] == 0 and d["dedup"]["matched"] == 0 and d["dedup"]["server_only"] == 1


def test_months_with_data_count_events_orders_and_stats_in_the_time_zone(sc):
    from datetime import date

    from analysis import store
    from analysis.metrics import scope

    sc.order("o1", "2026-08-31T23:30:00")                 # 2026-09-01 in Paris: September
    sc.server(sev("Purchase", "2026-09-20T10:00:00", "p1"), sev("Purchase", "2026-10-02T10:00:00", "p2"))
    sc.browser("Purchase", "2026-10-03T10:00:00", "p2")
    sc.stats("SERVER_ONLY", "2026-11-05T10:00:00", {"Purchase": 1})
    sc.ingest()
    with store.reader(sc.db) as con:
        rows = scope.months_with_data(con, "Europe/Paris", None, date(2026, 10, 31))
    assert [(r["month"], r["first_day"], r["last_day"], r["events"]) for r in rows] == [
        (date(2026, 9, 1), date(2026, 9, 1), date(2026, 9, 20), 2),
        (date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3), 2)]   # November is after "today"


def test_purchases_taken_from_the_lint_population_equal_purchases_keyed_again(sc):
    """report.prepare takes the server Purchases' orders from the lint population; finding them again from
    the counted events gives the same rows (order ids, regex and alias keys, repeats, rejected and
    test-coded requests, another pixel, Purchases without an order)."""
    from analysis import config as config_mod
    from analysis import report, store
    from analysis.metrics import discrepancy
    from analysis.metrics import scope as scope_mod

    sc.order("1001", "2026-10-01T09:00:00", alt_id="555")
    sc.order("1002", "2026-10-01T09:00:00")
    sc.order("1003", "2026-10-01T09:00:00", pixel_id="other")
    sc.server(sev("Purchase", "2026-10-01T10:00:00", "order-1001"),
              sev("Purchase", "2026-10-01T10:00:00", "order-1001"),                 # a repeat
              sev("Purchase", "2026-10-01T11:00:00", "x1", custom_data={"order_id": " 1002 "}),
              sev("Purchase", "2026-10-01T12:00:00", "555"),                        # Shopify's numeric Id
              sev("Purchase", "2026-10-01T13:00:00", "nobody"),
              sev("InitiateCheckout", "2026-10-01T09:30:00", "1002"))
    sc.server(sev("Purchase", "2026-10-01T14:00:00", "1002"), error_code=100)
    sc.server(sev("Purchase", "2026-10-01T15:00:00", "#1002"), test_event_code="TEST1")
    # 1001 has no pixel: it is every pixel's order.
    sc.server(sev("Purchase", "2026-10-01T16:00:00", "1003"), sev("Purchase", "2026-10-01T16:00:00", "1001"),
              pixel="other")
    sc.browser("Purchase", "2026-10-01T10:00:01", "order-1001")
    sc.ingest()
    cfg = config_mod.load(env={})
    cols = ("side, pixel_id, event_id, order_id, event_time, day, in_window, value, order_key, matched_owner, "
            "matched_order")
    with store.reader(sc.db) as con:
        report.prepare(con, scope_mod.resolve(con, None, None, "UTC", None, 7, None), cfg)
        taken = store.query(con, f"SELECT {cols} FROM m_purchases ORDER BY ALL")
        discrepancy.prepare_purchases(con, "Purchase", cfg["order_key_regex"])
        again = store.query(con, f"SELECT {cols} FROM m_purchases ORDER BY ALL")
    assert taken == again
    matched = {(r["pixel_id"], r["side"], r["event_id"]): r["matched_order"] for r in taken}
    assert matched == {(PIXEL, "server", "order-1001"): "1001", (PIXEL, "server", "x1"): "1002",
                       (PIXEL, "server", "555"): "1001", (PIXEL, "server", "nobody"): None,
                       (PIXEL, "browser", "order-1001"): "1001",
                       ("other", "server", "1003"): "1003", ("other", "server", "1001"): "1001"}
