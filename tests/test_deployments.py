"""Deployments: before/after windows, the regression bars, verdicts, drill-downs and `capi-audit deploy`."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

import duckdb
import jsonschema
import pytest

from analysis import config as config_mod
from analysis import report, store
from analysis.cli import main
from analysis.metrics import deployments
from analysis.metrics.facts import Agg
from analysis.report import report_schema
from tests.scenario import Scenario, h, sev, ud

START = date(2026, 10, 1)


@pytest.fixture
def sc(tmp_path):
    return Scenario(tmp_path)


def daily_events(sc: Scenario, name: str, days: int, per_day: int,
                 user: Callable[[date, int], dict[str, Any]], **extra: Callable[[date, int], Any]) -> None:
    """`per_day` server events a day from START, every 30 minutes from 08:00 UTC; one request per day."""
    for n in range(days):
        day = START + timedelta(days=n)
        sc.server(*[sev(name, f"{day}T{8 + i // 2:02d}:{30 * (i % 2):02d}:00", f"{name[0].lower()}-{day}-{i}",
                        user(day, i), **{k: f(day, i) for k, f in extra.items()}) for i in range(per_day)])


def by_name(rep: dict[str, Any], name: str) -> dict[str, Any]:
    return next(d for d in rep["deployments"] if d["name"] == name)


def regressions(dep: dict[str, Any]) -> list[tuple]:
    return [(r["metric"], r["event_name"], r["before"], r["after"]) for r in dep["regressions"]]


# ---------------------------------------------------------------- the bars

def test_share_bar_needs_both_the_absolute_drop_and_four_standard_errors():
    th = deployments.Thresholds()
    # 0.95 → 0.84 on 1000 events a side: −0.11; SE = sqrt(p̄(1−p̄)(2/1000)), p̄ = 0.895: 0.0137, 8 SE.
    assert deployments.regressed("coverage.em", Agg(950, 1000, 7), Agg(840, 1000, 7), th)
    # The same drop on 100 events: SE 0.043, only 2.5 SE — noise at this volume.
    assert not deployments.regressed("coverage.em", Agg(95, 100, 7), Agg(84, 100, 7), th)
    # Many SE but under 0.10 absolute: real, but too small to call a regression.
    assert not deployments.regressed("coverage.em", Agg(9500, 10000, 7), Agg(8600, 10000, 7), th)
    # From exactly 1.0: the pooled proportion keeps the SE above 0 (an unpooled one would be ~0 before).
    assert round(deployments.se_difference(Agg(100, 100, 7), Agg(80, 100, 7)), 4) == 0.0424
    # Both sides all 0 (or all 1): SE 0 and no difference, never a regression.
    assert deployments.se_difference(Agg(0, 200, 7), Agg(0, 200, 7)) == 0.0
    assert not deployments.regressed("coverage.ge", Agg(0, 200, 7), Agg(0, 200, 7), th)
    # Lint shares are worse when higher.
    assert deployments.regressed("lint.unhashed_pii", Agg(0, 200, 7), Agg(40, 200, 7), th)
    assert not deployments.regressed("lint.unhashed_pii", Agg(40, 200, 7), Agg(0, 200, 7), th)
    # EMQ by 1.0; the gap by 0.15 further from 0 in either direction; name mismatches only from 0.
    assert deployments.regressed("emq_estimate", Agg(800, 100, 7), Agg(700, 100, 7), th)
    assert not deployments.regressed("emq_estimate", Agg(800, 100, 7), Agg(710, 100, 7), th)
    assert deployments.regressed("discrepancy.gap", Agg(2, 100, 7), Agg(20, 100, 7), th)
    assert deployments.regressed("discrepancy.gap", Agg(2, 100, 7), Agg(-20, 100, 7), th)
    assert not deployments.regressed("discrepancy.gap", Agg(-10, 100, 7), Agg(10, 100, 7), th)
    assert deployments.regressed("dedup.name_mismatch", Agg(0, 400, 7), Agg(4, 400, 7), th)
    assert not deployments.regressed("dedup.name_mismatch", Agg(0, 400, 7), Agg(3, 400, 7), th)
    assert not deployments.regressed("dedup.name_mismatch", Agg(1, 400, 7), Agg(100, 400, 7), th)
    assert not deployments.comparable(Agg(300, 300, 2), Agg(300, 300, 7), th)        # 2 days
    assert not deployments.comparable(Agg(99, 99, 7), Agg(300, 300, 7), th)          # 99 events


# ---------------------------------------------------------------- verdicts on inline daily series

def purchases_with_orders(sc: Scenario, phone_after: Callable[[date], str]) -> None:
    """20 Purchases a day for 14 days, each with its paid order (email and US phone)."""
    for n in range(14):
        day = START + timedelta(days=n)
        for i in range(20):
            oid = f"{day:%m%d}{i:02d}"
            at = f"{day}T{8 + i // 2:02d}:{30 * (i % 2):02d}:00"
            sc.order(oid, at, total=25.0, email=f"c{oid}@example.com", phone="(650) 555-1212", country="US")
        sc.server(*[sev("Purchase", f"{day}T{8 + i // 2:02d}:{30 * (i % 2):02d}:00", f"p-{day:%m%d}{i:02d}",
                        ud("fbp", "client_ip_address", "client_user_agent", em=h(f"c{day:%m%d}{i:02d}@example.com"),
                           ph=phone_after(day)),
                        custom_data={"order_id": f"{day:%m%d}{i:02d}", "value": 25.0, "currency": "USD"})
                    for i in range(20)])


def test_phone_hashed_without_country_code_regresses_hash_match_ph(sc):
    t = date(2026, 10, 8)
    purchases_with_orders(sc, lambda day: h("16505551212") if day < t else h("6505551212"))
    sc.deployment("2026-10-08T00:00:00", "checkout-v2", "111")
    rep = sc.report("2026-10-01", "2026-10-14")
    jsonschema.validate(rep, report_schema())
    assert rep["not_computed"] == ["checklist"]
    dep = by_name(rep, "checkout-v2")
    assert dep["verdict"] == "regressed"
    # The one defect, seen twice: the hashes stop matching the orders, and lint's hash_mismatch fires.
    assert regressions(dep) == [("hash_match.ph", "Purchase", 1.0, 0.0), ("lint.hash_mismatch", "Purchase", 0.0, 1.0)]
    assert dep["window"] == {"before": ["2026-10-01T00:00:00Z", "2026-10-08T00:00:00Z"],
                             "after": ["2026-10-08T00:00:00Z", "2026-10-15T00:00:00Z"]}
    # 15 coverage keys, hash_match em and ph, emq, server event ids, the gap, lint.hash_mismatch.
    assert dep["compared"] == 21
    assert dep["lint_appeared"] == [{"rule": "hash_mismatch", "event_name": "Purchase", "pixel_id": "111",
                                     "before": 0.0, "after": 1.0, "before_count": 0, "after_count": 140}]
    assert rep["suspected_breaks"] == []          # the step is the deployment's

    cfg = config_mod.load(env={})
    with store.reader(sc.db) as con:
        scope = report.prepare_window(con, cfg, report.Options(date(2026, 10, 1), date(2026, 10, 14), "UTC"))
        rows = {(r["event_name"], r["metric"]): r for r in deployments.detail(con, scope, cfg, "checkout-v2")}
        ids = deployments.lint_events(con, scope, cfg, "checkout-v2", "hash_mismatch")
    ph = rows[("Purchase", "hash_match.ph")]
    assert (ph["before"], ph["after"], ph["delta"]) == (1.0, 0.0, -1.0)
    assert (ph["before_events"], ph["after_events"]) == (140, 140)
    assert (ph["before_days"], ph["after_days"], ph["compared"], ph["regressed"]) == (7, 7, True, True)
    assert rows[("Purchase", "hash_match.em")]["regressed"] is False
    assert rows[("Purchase", "discrepancy.gap")]["before"] == 0.0
    assert rows[("Purchase", "dedup.overlap")]["compared"] is False       # no browser events
    assert len(ids) == 140 and ids[0]["event_id"] == "p-100800" and ids[0]["order_id"] == "100800"
    assert set(ids[0]) == {"event_uid", "pixel_id", "event_name", "event_id", "order_id", "event_time"}


def test_a_deployment_s_rules_read_together_give_what_each_gives_alone(sc):
    """The deployments page reads a deployment's rules over one copy of its window's events: rules evaluated
    when read (hash_mismatch) and over that copy (purchase_missing_value, unhashed_pii) alike."""
    t = date(2026, 10, 8)
    purchases_with_orders(sc, lambda day: h("16505551212") if day < t else h("6505551212"))
    sc.server(*[sev("Purchase", f"2026-10-{9 + i % 3:02d}T20:00:00", f"x-{i}", ud("fbp", em="Mary@Example.com"))
                for i in range(6)])
    sc.deployment("2026-10-08T00:00:00", "checkout-v2", "111")
    sc.report("2026-10-01", "2026-10-14")
    cfg = config_mod.load(env={})
    wanted = ("hash_mismatch", "purchase_missing_value", "unhashed_pii", "timestamp_event_id", "hash_mismatch")
    with store.reader(sc.db) as con:
        scope = report.prepare_window(con, cfg, report.Options(date(2026, 10, 1), date(2026, 10, 14), "UTC"))
        together = deployments.lint_events_by_rule(con, scope, cfg, "checkout-v2", wanted)
        alone = {rule: deployments.lint_events(con, scope, cfg, "checkout-v2", rule) for rule in wanted}
    assert together == alone
    assert [len(together[r]) for r in wanted[:4]] == [140, 6, 6, 0]


def lead_user(drop_external_id_from: date | None = None) -> Callable[[date, int], dict[str, Any]]:
    def user(day: date, i: int) -> dict[str, Any]:
        keep = drop_external_id_from is None or day < drop_external_id_from
        return ud("em", "fbp", "client_ip_address", "client_user_agent", *(["external_id"] if keep else []))
    return user


def test_dropping_external_id_regresses_its_coverage_and_nothing_else(sc):
    daily_events(sc, "Lead", 14, 20, lead_user(date(2026, 10, 8)))
    sc.deployment("2026-10-08T00:00:00", "crm-sync-off")
    rep = sc.report("2026-10-01", "2026-10-14")
    dep = by_name(rep, "crm-sync-off")
    # EMQ loses external_id's weight (7.82 → 7.37): under the 1.0 bar.
    assert regressions(dep) == [("coverage.external_id", "Lead", 1.0, 0.0)]
    assert dep["verdict"] == "regressed" and dep["pixel_id"] is None and dep["compared"] == 17


def test_harmless_deployment_is_ok_and_a_late_one_has_insufficient_data(sc):
    daily_events(sc, "Lead", 14, 20, lead_user())
    sc.deployment("2026-10-08T00:00:00", "copy-change")
    sc.deployment("2026-10-13T12:00:00", "late")           # data ends on 10-14: 1.5 days after it
    rep = sc.report("2026-10-01", "2026-10-14")
    harmless, late = by_name(rep, "copy-change"), by_name(rep, "late")
    assert (harmless["verdict"], harmless["regressions"], harmless["lint_appeared"]) == ("ok", [], [])
    assert harmless["compared"] == 17                     # 15 coverage keys, emq, server event ids
    assert harmless["window"]["after"] == ["2026-10-08T00:00:00Z", "2026-10-13T12:00:00Z"]
    assert (late["verdict"], late["compared"], late["regressions"]) == ("insufficient_data", 0, [])
    assert late["window"] == {"before": ["2026-10-08T00:00:00Z", "2026-10-13T12:00:00Z"],
                              "after": ["2026-10-13T12:00:00Z", "2026-10-20T12:00:00Z"]}


def test_neighbouring_deployments_cut_each_others_windows(sc):
    daily_events(sc, "Lead", 3, 2, lead_user())
    sc.deployment("2026-09-29T06:00:00", "before-the-window")           # outside the window, still cuts
    sc.deployment("2026-10-05T00:00:00", "all-pixels")
    sc.deployment("2026-10-08T12:00:00", "pixel-111", "111")
    sc.deployment("2026-10-10T00:00:00", "pixel-222", "222")
    sc.deployment("2026-10-15T00:00:00", "after-the-window", "111")
    rep = sc.report("2026-10-01", "2026-10-14")
    windows = {d["name"]: (d["window"]["before"][0][:16], d["window"]["after"][1][:16]) for d in rep["deployments"]}
    assert windows == {
        "all-pixels": ("2026-09-29T06:00", "2026-10-08T12:00"),    # cut by the ones before and after it
        "pixel-111": ("2026-10-05T00:00", "2026-10-15T00:00"),     # 222's is not its pixel
        "pixel-222": ("2026-10-05T00:00", "2026-10-17T00:00"),     # 7 days on: 111's are not its pixel
    }
    scoped = sc.report("2026-10-01", "2026-10-14", pixel_id="111")
    assert [d["name"] for d in scoped["deployments"]] == ["all-pixels", "pixel-111"]
    assert by_name(scoped, "all-pixels")["window"]["before"][0] == "2026-09-29T06:00:00Z"
    assert {d["verdict"] for d in rep["deployments"]} == {"insufficient_data"}
    sc2 = Scenario(sc.tmp / "x")
    (sc.tmp / "x").mkdir()
    daily_events(sc2, "Lead", 3, 2, lead_user())
    sc2.deployment("2026-10-05T00:00:00", "a")
    sc2.deployment("2026-10-02T00:00:00", "b")
    rep2 = sc2.report("2026-10-01", "2026-10-14")
    assert by_name(rep2, "a")["window"]["before"] == ["2026-10-02T00:00:00Z", "2026-10-05T00:00:00Z"]
    assert by_name(rep2, "b")["window"]["after"] == ["2026-10-02T00:00:00Z", "2026-10-05T00:00:00Z"]


def test_name_mismatch_rising_from_zero(sc):
    t = date(2026, 10, 8)
    for n in range(14):
        day = START + timedelta(days=n)
        events = []
        for i in range(15):
            at = f"{day}T{8 + i // 2:02d}:{30 * (i % 2):02d}:00"
            eid = f"p-{day:%m%d}{i:02d}"
            events.append(sev("Purchase", at, eid, custom_data={"value": 25.0, "currency": "USD"}))
            sc.browser("Purchase" if day < t else "purchase", at, eid)       # a renamed GTM tag after t
        sc.server(*events)
    sc.deployment("2026-10-08T00:00:00", "gtm-container-v7")
    dep = by_name(sc.report("2026-10-01", "2026-10-14"), "gtm-container-v7")
    # Overlap and the browser id share of `Purchase` cannot be compared after: no browser `Purchase` remains.
    assert regressions(dep) == [("dedup.name_mismatch", "Purchase", 0.0, 1.0)]


# ---------------------------------------------------------------- capi-audit deploy

def test_cli_deploy_records_through_the_ingest_path(tmp_path, capsys):
    db = str(tmp_path / "ci.duckdb")
    assert main(["--db", db, "deploy", "checkout-v3", "--at", "2026-10-12T09:00:00Z", "--component", "checkout",
                 "--pixel-id", "111", "--description", "One-page checkout, with commas, and \"quotes\""]) == 0
    assert main(["--db", db, "deploy", "checkout-v3", "--at", "2026-10-12T09:00:00Z"]) == 0    # idempotent
    before = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    assert main(["--db", db, "deploy", "hotfix"]) == 0                                          # now, UTC
    assert main(["--db", db, "deploy", "bad", "--at", "yesterday-ish"]) == 2
    err = capsys.readouterr().err
    assert "Recorded deployment 'checkout-v3'" in err and "already recorded" in err
    assert "not a recognised timestamp" in err and "ISO 8601" in err
    con = duckdb.connect(db, read_only=True)
    try:
        rows = con.execute("SELECT deployed_at, name, description, component, pixel_id FROM deployments "
                           "ORDER BY deployed_at").fetchall()
        kinds = con.execute("SELECT DISTINCT kind FROM ingestions").fetchall()
    finally:
        con.close()
    assert rows[0] == (datetime(2026, 10, 12, 9), "checkout-v3", 'One-page checkout, with commas, and "quotes"',
                       "checkout", "111")
    assert rows[1][1:] == ("hotfix", None, None, None) and before <= rows[1][0] <= before + timedelta(minutes=1)
    assert len(rows) == 2 and kinds == [("deployments",)]
