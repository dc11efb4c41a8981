"""Ranked fixes: the identifier that would raise the estimated EMQ most, whether the orders carry it, how to send it."""
from __future__ import annotations

import jsonschema
import pytest

from analysis.metrics import emq, recommendations
from analysis.normalize import USER_DATA_KEYS
from analysis.report import report_schema
from tests.scenario import Scenario, sev, ud


@pytest.fixture
def sc(tmp_path):
    return Scenario(tmp_path)


BASE = ("em", "fbp", "client_ip_address", "client_user_agent")


def test_send_ph_on_purchase_when_the_orders_carry_phones_the_events_lack(sc):
    for i in (1, 2, 3, 4):
        sc.order(f"o{i}", "2026-10-01T10:00:00", email=f"c{i}@example.com", country="US",
                 **({"phone": "(650) 555-1212"} if i < 4 else {}))
    sc.server(sev("Purchase", "2026-10-01T10:00:05", "order-o1", ud(*BASE)),
              sev("Purchase", "2026-10-01T10:00:06", "order-o2", ud(*BASE)),
              sev("Purchase", "2026-10-01T10:00:07", "order-o3", ud(*BASE, ph="+1 650 555 1212")),   # plaintext
              sev("Purchase", "2026-10-01T10:00:08", "order-o4", ud(*BASE, "ph")),
              sev("PageView", "2026-10-01T10:00:09", "pv-1", ud("fbp")))                # not a priority event
    rep = sc.report("2026-10-01", "2026-10-01")
    jsonschema.validate(rep, report_schema())
    recs = rep["recommendations"]
    assert {r["event_name"] for r in recs} == {"Purchase"}
    top = recs[0]
    assert top["title"] == "send ph on Purchase" and top["rank"] == 1 and top["weights"] == "default"
    assert (top["current_emq"], top["expected_emq"], top["uplift"]) == (7.69, 8.65, 0.96)
    assert (top["affected_share"], top["missing_share"], top["malformed_share"], top["events"]) == (0.75, 0.5, 0.25, 4)
    assert (top["orders_matched"], top["orders_with_key"], top["fix_possible"]) == (4, 0.75, True)
    assert top["source"] == "orders"
    assert set(top["how_to"]) == {"shopify", "woocommerce", "server_gtm", "custom"}
    assert top["how_to"]["custom"].startswith("Add user_data.ph = sha256(")
    # The expected score is the mean per-event score with ph present and well-formed on every event.
    a, b = emq.score(set(BASE)), emq.score(set(BASE) | {"ph"})
    assert top["current_emq"] == round((3 * a + b) / 4, 2) and top["expected_emq"] == round(b, 2)
    second = recs[1]
    assert (second["title"], second["rank"], second["fix_possible"], second["orders_with_key"]) == (
        "send fbc on Purchase", 2, None, None)
    with_fbc = (3 * emq.score(set(BASE) | {"fbc"}) + emq.score(set(BASE) | {"ph", "fbc"})) / 4
    assert second["expected_emq"] == round(with_fbc, 2) == 8.56
    assert [r["key"] for r in recs] == ["ph", "fbc", "external_id"]


def test_a_key_the_orders_never_carry_is_not_a_possible_fix(sc):
    sc.order("o1", "2026-10-01T10:00:00", email="c1@example.com")
    sc.server(sev("Purchase", "2026-10-01T10:00:05", "order-o1", ud(*BASE)))
    ph = [r for r in sc.report("2026-10-01", "2026-10-01")["recommendations"] if r["key"] == "ph"][0]
    assert (ph["orders_matched"], ph["orders_with_key"], ph["fix_possible"]) == (1, 0.0, False)


def test_no_logs_no_recommendations(sc):
    sc.order("o1", "2026-10-01T10:00:00")
    assert sc.report("2026-10-01", "2026-10-01")["recommendations"] == []


def test_every_identifier_has_a_how_to_per_platform():
    texts = recommendations.how_to()
    assert set(texts) == set(USER_DATA_KEYS)
    for key, entry in texts.items():
        assert set(entry) == {"source", "malformed", *recommendations.PLATFORMS}, key
        assert all(isinstance(v, str) and v for v in entry.values()), key


def test_a_pixels_calibration_sets_the_weights(sc):
    import json
    from datetime import datetime

    from analysis import store

    sc.server(sev("Purchase", "2026-10-01T10:00:05", "order-o1", ud(*BASE)))
    sc.ingest()
    weights = {**emq.DEFAULT_WEIGHTS, "ph": 0.8, "fbc": 6.0}
    with store.writer(sc.db) as con:
        con.execute("INSERT INTO emq_calibrations VALUES (?, '111', ?, ?, 6, 1.0, 0.5)",
                    [datetime(2026, 10, 2), json.dumps(weights), emq.TAU])
    recs = sc.report("2026-10-01", "2026-10-01")["recommendations"]
    assert [r["key"] for r in recs] == ["fbc", "external_id", "ph"] and {r["weights"] for r in recs} == {"calibrated"}
    assert recs[0]["expected_emq"] == round(emq.score(set(BASE) | {"fbc"}, weights=weights), 2)
