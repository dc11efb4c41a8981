"""The checklist: every item reaches pass, warn, fail and unknown on report dicts; `capi-audit check` end to end."""
from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from analysis import config
from analysis.cli import main
from analysis.metrics.checklist import IDS, evaluate
from analysis.report import report_schema
from tests.scenario import Scenario, sev, ud

CFG = config.load(env={})
P = "111"


def ev(name: str, server: int = 100, browser: int = 100, emq: float | None = 8.5, meta: float | None = None,
       pixel: str = P, fbc_share: float | None = None, **over: Any) -> dict[str, Any]:
    """One report `events` row; coverage and dedup keys override by `cov_KEY=` / `dd_KEY=`."""
    cov = {"em": 0.9, "ph": 0.8, "fbp": 0.9, "fbc": 0.3}
    dd = {"browser_with_event_id": 1.0, "server_with_event_id": 1.0, "matched": min(server, browser),
          "overlap": 0.95 if server and browser else None, "name_mismatch": 0, "server_repeats": 0}
    for k, v in over.items():
        (cov if k.startswith("cov_") else dd)[k[4:] if k.startswith("cov_") else k[3:]] = v
    return {"pixel_id": pixel, "event_name": name, "server_events": server, "browser_events": browser,
            "coverage": cov if server else {k: None for k in cov}, "emq_estimate": emq if server else None,
            "emq_meta": meta, "dedup": dd, "browser_fbc_share": fbc_share}


def rep(*events: dict[str, Any], days: list[dict[str, Any]] | None = None,
        deployments: list[dict[str, Any]] | None = None, not_computed: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"window": {"since": "2026-10-01", "until": "2026-10-30", "timezone": "UTC"}, "events": list(events),
            "discrepancy": {"event_name": "Purchase", "threshold": 0.15, "min_orders": 10, "days": days or []},
            "deployments": deployments or [], "not_computed": list(not_computed)}


def day(date: str, orders: int, server: int, flagged: bool = False) -> dict[str, Any]:
    return {"date": date, "backend_orders": orders, "server_events": server, "browser_events": server - 1,
            "gap": round((orders - server) / orders, 4) if orders else None, "flagged": flagged}


def item(current: dict[str, Any], previous: dict[str, Any] | None = None, which: str = "") -> dict[str, Any]:
    items = evaluate(current, previous or rep(), CFG)
    assert [i["id"] for i in items] == list(IDS)
    return next(i for i in items if i["id"] == which)


def status(current: dict[str, Any], previous: dict[str, Any] | None = None, which: str = "") -> tuple[str, str]:
    i = item(current, previous, which)
    return i["status"], i["evidence"]


# ---------------------------------------------------------------- emq

def test_emq_pass_uses_meta_when_present():
    cur = rep(ev("Purchase", emq=8.4, meta=8.1), ev("AddToCart", emq=7.0), ev("PageView", emq=3.0))
    prev = rep(ev("Purchase", emq=9.5, meta=8.3))
    assert status(cur, prev, "emq") == ("pass", "AddToCart 7.0 ≥ 6.5 target; Purchase 8.1 (Meta; estimate 8.4) ≥ 8 target.")
    d = item(cur, prev, "emq")["details"]["events"][1]
    assert (d["score"], d["source"], d["previous"], d["drop"]) == (8.1, "meta", 8.3, 0.2)


def test_emq_warn_below_target_or_after_a_drop():
    assert status(rep(ev("Purchase", emq=8.4), ev("AddToCart", emq=6.1)), which="emq") == (
        "warn", "AddToCart 6.1 < 6.5 target; Purchase 8.4 ≥ 8 target.")
    assert status(rep(ev("Purchase", emq=8.2)), rep(ev("Purchase", emq=9.5)), "emq") == (
        "warn", "Purchase 8.2 ≥ 8 target, down 1.3 from 9.5.")
    # A drop of exactly 1.0 is not "more than 1.0"; Meta's score is compared only with Meta's.
    assert status(rep(ev("Purchase", emq=8.5)), rep(ev("Purchase", emq=9.5)), "emq")[0] == "pass"
    assert status(rep(ev("Purchase", emq=9.9, meta=8.1)), rep(ev("Purchase", emq=9.5)), "emq")[0] == "pass"


def test_emq_fail_below_six_and_unknown_without_scores():
    assert status(rep(ev("Purchase", emq=8.4), ev("Lead", emq=5.9), ev("AddToCart", emq=6.0)), which="emq") == (
        "fail", "Lead 5.9 < 8 target, below 6; AddToCart 6.0 < 6.5 target; Purchase 8.4 ≥ 8 target.")
    assert status(rep(ev("PageView")), which="emq") == (
        "unknown", "No priority event has server events to score in this window.")
    i = item(rep(ev("Purchase", server=0, browser=40)), which="emq")
    assert i["status"] == "unknown" and i["details"]["unscored"] == ["Purchase"]


def test_emq_labels_pixels_when_there_are_several():
    cur = rep(ev("Purchase", emq=8.4), ev("Purchase", emq=7.0, pixel="222"))
    assert status(cur, which="emq") == ("warn", "Purchase (222) 7.0 < 8 target; Purchase (111) 8.4 ≥ 8 target.")


# ---------------------------------------------------------------- volume

def test_volume_pass_warn_fail_unknown():
    ok = [day(f"2026-10-0{i}", 20, 19) for i in range(1, 6)]
    assert status(rep(days=ok), which="volume") == (
        "pass", "0 of 5 days with ≥ 10 orders flagged (|gap| > 15%); 100 orders vs 95 server and 90 browser Purchase.")
    two = ok[:3] + [day("2026-10-04", 20, 10, True), day("2026-10-05", 20, 12, True)]
    assert status(rep(days=two), which="volume") == (
        "warn", "2 of 5 days with ≥ 10 orders flagged (|gap| > 15%); 100 orders vs 79 server and 74 browser "
                "Purchase: 2026-10-04 gap 50%, 2026-10-05 gap 40%.")
    three = two[:2] + [day("2026-10-03", 20, 2, True)] + two[3:]
    i = item(rep(days=three), which="volume")
    assert i["status"] == "fail" and i["details"]["flagged_days"] == ["2026-10-03", "2026-10-04", "2026-10-05"]
    assert status(rep(days=[day("2026-10-01", 0, 5)]), which="volume") == (
        "unknown", "No eligible orders in this window, so Purchase volumes cannot be compared with the backend.")
    assert status(rep(days=[day("2026-10-01", 9, 1)]), which="volume") == (
        "unknown", "No day has 10 or more eligible orders, so Purchase volumes cannot be compared with the backend.")


# ---------------------------------------------------------------- dedup

def test_dedup_pass():
    cur = rep(ev("Purchase", server=200, browser=150, dd_overlap=0.9, dd_server_repeats=2))
    prev = rep(ev("Purchase", dd_overlap=0.95))
    assert status(cur, prev, "dedup") == (
        "pass", "No name mismatches, repeats ≤ 1%, no overlap drop: Purchase overlap 0.90, repeats 1%.")


def test_dedup_warn_on_repeats_overlap_drop_or_a_few_mismatches():
    assert status(rep(ev("Purchase", server=200, dd_server_repeats=3)), which="dedup") == (
        "warn", "Purchase: server repeats 1.5% (3 of 200).")
    assert status(rep(ev("Purchase", dd_overlap=0.80)), rep(ev("Purchase", dd_overlap=0.93)), "dedup") == (
        "warn", "Purchase: overlap 0.80, down 0.13 from 0.93.")
    assert status(rep(ev("Purchase", browser=200, dd_name_mismatch=2)), which="dedup") == (
        "warn", "Purchase: 2 name mismatches (1% of 200 browser events).")


def test_dedup_fail_on_name_mismatches_or_missing_event_ids():
    # The server sends `purchase`, the pixel `Purchase`: the mismatches sit on the server's row, the browser
    # events on the other; they are judged together.
    cur = rep(ev("purchase", server=100, browser=0, dd_name_mismatch=3), ev("Purchase", server=0, browser=200))
    assert status(cur, which="dedup") == ("fail", "purchase: 3 name mismatches (1.5% of 200 browser events).")
    cur = rep(ev("AddToCart", dd_browser_with_event_id=0.85), ev("Purchase", dd_server_repeats=5))
    assert status(cur, which="dedup") == (
        "fail", "AddToCart: event_id on 85% of browser events (< 90%); Purchase: server repeats 5% (5 of 100).")
    # Event-id presence only matters on a name both sides send.
    assert status(rep(ev("Lead", browser=0, dd_server_with_event_id=0.0)), which="dedup")[0] == "pass"
    assert status(rep(ev("Purchase", server=0, browser=50), ev("PageView")), which="dedup") == (
        "unknown", "No priority event has server events to deduplicate in this window.")


# ---------------------------------------------------------------- coverage

def test_coverage_pass_within_005_and_rises_ignored():
    cur = rep(ev("Purchase", cov_em=0.85, cov_ph=0.95))
    prev = rep(ev("Purchase", cov_em=0.90, cov_ph=0.60))
    assert status(cur, prev, "coverage") == (
        "pass", "em, ph, fbp, fbc coverage of every priority event within 0.05 of the previous window "
                "(largest drop Purchase em 0.90 → 0.85).")
    assert status(rep(ev("Purchase")), rep(ev("Purchase")), "coverage")[1].endswith("(no drop).")


def test_coverage_warn_and_fail():
    assert status(rep(ev("Purchase", cov_ph=0.70)), rep(ev("Purchase")), "coverage") == (
        "warn", "Coverage dropped vs the previous window: Purchase ph 0.80 → 0.70 (−0.10).")
    cur = rep(ev("Purchase", cov_ph=0.10), ev("AddToCart", cov_fbc=0.2))
    assert status(cur, rep(ev("Purchase", cov_ph=0.92), ev("AddToCart")), "coverage") == (
        "fail", "Coverage dropped vs the previous window: Purchase ph 0.92 → 0.10 (−0.82); AddToCart fbc 0.30 → "
                "0.20 (−0.10).")


def test_coverage_unknown_without_a_previous_window():
    assert status(rep(ev("Purchase")), rep(), "coverage") == (
        "unknown", "No priority event has server events in both this window and the previous one.")
    assert status(rep(ev("Purchase")), rep(ev("Purchase", server=0)), "coverage")[0] == "unknown"


# ---------------------------------------------------------------- deployments

def dep(name: str, verdict: str, *regs: tuple[str, str]) -> dict[str, Any]:
    return {"name": name, "deployed_at": "2026-10-12T09:00:00Z", "verdict": verdict,
            "regressions": [{"metric": m, "event_name": e, "before": 0.92, "after": 0.1} for m, e in regs]}


def test_deployments_pass_warn_fail_unknown():
    assert status(rep(deployments=[dep("a", "ok"), dep("b", "insufficient_data")]), which="deployments") == (
        "pass", "2 deployments, none regressed (1 with too little data to compare).")
    assert status(rep(deployments=[dep("theme", "regressed", ("coverage.fbc", "AddToCart"))]), which="deployments") == (
        "warn", "theme (2026-10-12) regressed AddToCart coverage.fbc 0.92 → 0.1 (tier 2).")
    # Events outside the priority list are tier 3: warn.
    assert status(rep(deployments=[dep("x", "regressed", ("coverage.em", "Subscribe"))]), which="deployments")[0] == "warn"
    both = [dep("theme", "regressed", ("coverage.fbc", "AddToCart")), dep("checkout-v2", "regressed", ("coverage.ph", "Purchase"))]
    assert status(rep(deployments=both), which="deployments") == (
        "fail", "checkout-v2 (2026-10-12) regressed Purchase coverage.ph 0.92 → 0.1 (tier 1); theme (2026-10-12) "
                "regressed AddToCart coverage.fbc 0.92 → 0.1 (tier 2).")
    assert status(rep(), which="deployments") == ("unknown", "No deployments recorded in this window.")
    assert status(rep(deployments=[dep("b", "insufficient_data")]), which="deployments")[0] == "unknown"
    assert status(rep(not_computed=("deployments",)), which="deployments") == (
        "unknown", "The deployment analysis was not computed for this report.")


# ---------------------------------------------------------------- privacy

def test_privacy_pass():
    cur = rep(ev("Purchase", server=120, browser=100, fbc_share=0.25), ev("Lead", browser=0))
    assert status(cur, which="privacy") == (
        "pass", "Server ≥ browser, fbp and fbc coverage sufficient: Lead 100 server vs 0 browser, fbp 90%, fbc 30%; "
                "Purchase 120 server vs 100 browser, fbp 90%, fbc 30% vs click share 25%.")


def test_privacy_warn_when_one_is_short():
    assert status(rep(ev("Purchase", server=90, browser=100)), which="privacy") == (
        "warn", "Purchase: 90 server < 100 browser events.")
    assert status(rep(ev("Purchase", cov_fbp=0.7)), which="privacy") == ("warn", "Purchase: fbp coverage 70% < 80%.")
    assert status(rep(ev("Purchase", fbc_share=0.35)), which="privacy") == (
        "warn", "Purchase: fbc coverage 30% < click share 35%.")
    # Without browser events (or without the click share in the report) the fbc condition is not judged.
    assert status(rep(ev("Purchase", browser=0, fbc_share=0.9)), which="privacy")[0] == "pass"


def test_privacy_fail_and_unknown():
    assert status(rep(ev("Purchase", server=0, browser=40), ev("Lead", cov_fbp=0.5)), which="privacy") == (
        "fail", "Purchase: no server events (40 browser); Lead: fbp coverage 50% < 80%.")
    assert status(rep(ev("PageView")), which="privacy") == ("unknown", "No priority event was sent in this window.")


def test_thresholds_are_settings():
    cfg = config.load(env={"CAPI_AUDIT_CHECKLIST__FBP_MIN": "0.95", "CAPI_AUDIT_CHECKLIST__EMQ_FAIL": "8.5"})
    items = {i["id"]: i for i in evaluate(rep(ev("Purchase", emq=8.4)), rep(), cfg)}
    assert items["privacy"]["evidence"] == "Purchase: fbp coverage 90% < 95%."
    assert items["emq"]["status"] == "fail"


# ---------------------------------------------------------------- end to end: full() and `capi-audit check`

GOOD = ud("em", "ph", "fbp", "client_ip_address", "client_user_agent")


def _week(sc: Scenario, first_day: int, user: dict[str, Any], n: int = 3) -> None:
    """n paired Purchases a day for 7 days from 2026-10-<first_day>."""
    for d in range(first_day, first_day + 7):
        for k in range(n):
            eid = f"o{d}-{k}"
            sc.server(sev("Purchase", f"2026-10-{d:02d}T10:0{k}:00", eid, user))
            sc.browser("Purchase", f"2026-10-{d:02d}T10:0{k}:01", eid)


@pytest.fixture
def healthy(tmp_path):
    sc = Scenario(tmp_path)
    _week(sc, 1, GOOD)
    _week(sc, 8, GOOD)
    return sc


def test_full_report_fills_the_checklist_against_the_previous_window(healthy):
    rep_ = healthy.full_report("2026-10-08", "2026-10-14")
    jsonschema.validate(rep_, report_schema())
    assert rep_["previous_window"] == {"since": "2026-10-01", "until": "2026-10-07", "timezone": "UTC"}
    assert "checklist" not in rep_["not_computed"]
    got = {i["id"]: i["status"] for i in rep_["checklist"]}
    assert got == {"emq": "pass", "volume": "unknown", "dedup": "pass", "coverage": "pass",
                   "deployments": "unknown", "privacy": "pass"}
    purchase = next(e for e in rep_["events"] if e["event_name"] == "Purchase")
    assert purchase["browser_fbc_share"] == 0.0 and purchase["emq_estimate"] == 8.65


def test_full_report_sees_a_coverage_drop(tmp_path):
    sc = Scenario(tmp_path)
    _week(sc, 1, GOOD)
    _week(sc, 8, ud("em", "fbp", "client_ip_address", "client_user_agent"))     # the phone is gone
    checklist = {i["id"]: i for i in sc.full_report("2026-10-08", "2026-10-14")["checklist"]}
    assert checklist["coverage"]["status"] == "fail"
    assert checklist["coverage"]["evidence"] == "Coverage dropped vs the previous window: Purchase ph 1.00 → 0.00 (−1.00)."
    assert checklist["emq"]["evidence"] == "Purchase 7.4 < 8 target, down 1.3 from 8.7."


def test_check_exit_codes(healthy, capsys):
    healthy.ingest()
    db = str(healthy.db)
    args = ["--db", db, "check", "--since", "2026-10-08", "--until", "2026-10-14"]
    assert main(args) == 0                                  # unknown items do not fail…
    out = capsys.readouterr().out
    assert all(i in out for i in IDS) and "pass" in out and "unknown" in out
    assert main(args + ["--strict"]) == 1                   # …unless --strict
    assert "(--strict: warn and unknown count too)" in capsys.readouterr().err
    assert main(args + ["--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [i["id"] for i in data["checklist"]] == list(IDS) and data["exit_code"] == 0
    assert data["previous_window"]["since"] == "2026-10-01"
    # A browser-only priority event: privacy fails.
    for d in range(8, 15):
        healthy.browser("Lead", f"2026-10-{d:02d}T12:00:00", f"l{d}")
    healthy.ingest()
    assert main(args) == 1
    assert "1 fail" in capsys.readouterr().err
    assert main(args + ["--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    privacy = {i["id"]: i for i in data["checklist"]}["privacy"]
    assert (privacy["status"], privacy["evidence"]) == ("fail", "Lead: no server events (7 browser).")
    assert data["exit_code"] == 1


def test_check_usage_and_input_errors_exit_2(healthy, capsys):
    healthy.ingest()
    db = str(healthy.db)
    assert main(["--db", db, "check", "--since", "2026-10-14", "--until", "2026-10-08"]) == 2
    assert main(["--db", db, "check", "--tz", "Mars/Olympus"]) == 2
    assert main(["--db", str(healthy.tmp / "none.duckdb"), "check"]) == 2
    err = capsys.readouterr().err
    assert "is after" in err and "Unknown time zone" in err and "No database at" in err
    for bad in (["check", "--format", "xml"], ["check", "--since", "yesterday"]):
        with pytest.raises(SystemExit) as exc:
            main(["--db", db, *bad])
        assert exc.value.code == 2


def test_full_compares_with_an_explicit_previous_window(tmp_path):
    from datetime import date

    from analysis import config as config_mod
    from analysis import report, store
    from tests.scenario import Scenario, sev

    sc = Scenario(tmp_path)
    sc.server(sev("Purchase", "2026-10-15T10:00:00", "a"), sev("Purchase", "2026-11-15T10:00:00", "b"))
    sc.ingest()
    cfg = config_mod.load(env={})
    with store.reader(sc.db) as con:
        month = report.full(con, cfg, report.Options(date(2026, 11, 1), date(2026, 11, 30), "UTC"),
                            previous=(date(2026, 10, 1), date(2026, 10, 31)))
        plain = report.full(con, cfg, report.Options(date(2026, 11, 1), date(2026, 11, 30), "UTC"))
    assert month["previous_window"] == {"since": "2026-10-01", "until": "2026-10-31", "timezone": "UTC"}
    assert plain["previous_window"] == {"since": "2026-10-02", "until": "2026-10-31", "timezone": "UTC"}


@pytest.mark.parametrize("meta", [float("inf"), float("nan"), 11.0, -0.5])
def test_emq_a_score_outside_0_to_10_never_passes(meta):
    got = item(rep(ev("Purchase", meta=meta)), which="emq")
    assert got["status"] == "unknown" and got["details"]["invalid"] == ["Purchase"]
    assert got["evidence"] == "No valid score (not a number from 0 to 10) for Purchase."
    # With another event that fails, the item still fails; the unreadable one is named too.
    got = item(rep(ev("Purchase", meta=meta), ev("Lead", emq=4.0)), which="emq")
    assert got["status"] == "fail" and got["evidence"].endswith("; no valid score (not a number from 0 to 10) for Purchase.")
    # A previous score that is not a number is no baseline for a drop.
    got = item(rep(ev("Purchase", meta=8.5)), rep(ev("Purchase", meta=meta)), which="emq")
    assert got["status"] == "pass" and got["details"]["events"][0]["drop"] is None


def test_the_window_before_is_its_events_section_exactly(tmp_path):
    """The checklist compares with the window before's events, read without building its orders: each row is
    the whole report's row (but its hash check), and every other section is listed as not computed."""
    from datetime import date

    from analysis import config as config_mod
    from analysis import report, store

    sc = Scenario(tmp_path)
    _week(sc, 1, GOOD)
    _week(sc, 8, ud("em", "fbp", "client_ip_address", "client_user_agent"))
    for d in range(1, 15):
        sc.order(f"o{d}-0", f"2026-10-{d:02d}T09:59:00", email="A@example.com" if d % 2 else "b@example.com",
                 phone="+1 650 555 1212")
    sc.ingest()
    cfg = config_mod.load(env={})
    opts = report.Options(date(2026, 10, 8), date(2026, 10, 14), "UTC")
    with store.reader(sc.db) as con:
        data, before = report.full_pair(con, cfg, opts)
        whole = report.build(con, cfg, report.Options(date(2026, 10, 1), date(2026, 10, 7), "UTC"))
        _, whole_before = report.full_pair(con, cfg, opts, whole_previous=True)
    assert any(e["hash_match"] for e in whole["events"])          # the orders are there to be checked
    assert before["window"] == whole["window"] and before["events"]
    assert before["events"] == [{k: v for k, v in e.items() if k != "hash_match"} for e in whole["events"]]
    assert set(before["not_computed"]) == {*report.ORDER_SECTIONS} and "discrepancy" not in before
    assert {k: v for k, v in whole_before.items() if k != "generated_at"} == \
        {k: v for k, v in whole.items() if k != "generated_at"}
    # The comparison itself is the one a whole report gives.
    assert data["checklist"] == evaluate(data, whole, cfg)
