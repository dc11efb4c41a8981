"""What the pages read, computed in analysis: weekly EMQ, months, month over month, deployment findings, series."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from analysis import config
from analysis.metrics import mirror
from analysis.metrics.deployments import Thresholds
from analysis.views import deployments, health, series, weekly

TH = Thresholds.from_config(config.load(env={}))


def test_weekly_delta_compares_the_last_7_days_with_the_7_before():
    until = date(2026, 10, 14)
    rows = [{"pixel_id": "1", "event_name": "Purchase", "day": until - timedelta(days=i),
             "emq": 8.0 if i < 7 else 6.0, "events": 10} for i in range(14)]
    rows.append({"pixel_id": "1", "event_name": "Purchase", "day": until, "emq": 2.0, "events": 30})
    last, prev = weekly.weekly_emq(pd.DataFrame(rows), until)[("1", "Purchase")]
    assert last == pytest.approx((8.0 * 70 + 2.0 * 30) / 100) and prev == 6.0



def test_months_default_to_the_latest_month_the_data_covers():
    def frame(*spans):
        return pd.DataFrame([{"month": a.replace(day=1), "first_day": a, "last_day": b, "events": 1} for a, b in spans])

    assert health.month_bounds(date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert health.previous_month(date(2026, 1, 15)) == date(2025, 12, 1)
    # 90-day demo: Aug 25 … Nov 22 → October, the latest month covered end to end.
    demo90 = frame((date(2026, 8, 25), date(2026, 8, 31)), (date(2026, 9, 1), date(2026, 9, 30)),
                   (date(2026, 10, 1), date(2026, 10, 31)), (date(2026, 11, 1), date(2026, 11, 22)))
    assert health.default_month(demo90) == date(2026, 10, 1)
    # Only partly covered months: the latest.
    assert health.default_month(frame((date(2026, 10, 29), date(2026, 10, 31)),
                                    (date(2026, 11, 1), date(2026, 11, 22)))) == date(2026, 11, 1)
    assert health.default_month(frame()) is None


def _report(emq: float, overlap_matched: int, flagged: int, regressed: int) -> dict:
    return {
        "events": [{"pixel_id": "1", "event_name": "Purchase", "server_events": 100, "browser_events": 80,
                    "emq_estimate": emq, "emq_meta": None,
                    "coverage": {"em": 0.9, "ph": 0.5, "fbp": 1.0, "fbc": 0.2},
                    "dedup": {"matched": overlap_matched, "name_mismatch": 0, "server_repeats": 2}},
                   {"pixel_id": "1", "event_name": "ViewContent", "server_events": 900, "browser_events": 0,
                    "emq_estimate": 5.0, "emq_meta": None, "coverage": {"em": 0.0}, "dedup": {}}],
        "discrepancy": {"event_name": "Purchase", "days": [
            {"backend_orders": 50, "server_events": 40, "browser_events": 30, "flagged": i < flagged}
            for i in range(3)]},
        "deployments": [{"verdict": "regressed" if i < regressed else "ok"} for i in range(2)],
    }


def test_month_over_month_lists_each_items_numbers_and_marks_what_got_worse():
    priority = {"Purchase": {"tier": 1, "target": 8.0}}
    mom = health.month_over_month(_report(7.0, 60, 2, 1), _report(8.0, 76, 0, 0), priority)
    rows = {(r.item, r.measure): r for r in mom.itertuples(index=False)}
    assert list(dict.fromkeys(mom["item"])) == ["emq", "volume", "dedup", "coverage", "deployments", "privacy"]
    emq = rows[("emq", "Purchase: EMQ estimate")]
    assert (emq.this, emq.last, emq.change, emq.worse) == ("7.0", "8.0", "-1.0", True)
    assert rows[("volume", "flagged days")][2:] == ("2", "0", "+2", True)
    assert rows[("volume", "gap over the month")][2:] == ("20.0%", "20.0%", "±0 pts", False)
    assert rows[("dedup", "overlap (priority events)")][2:] == ("75.0%", "95.0%", "-20.0 pts", True)
    assert rows[("coverage", "em coverage (priority events)")][2:] == ("90.0%", "90.0%", "±0 pts", False)
    assert rows[("deployments", "regressed")].worse and not rows[("deployments", "deployments")].worse
    assert ("emq", "ViewContent: EMQ estimate") not in rows            # not a priority event
    same = health.month_over_month(_report(7.02, 60, 0, 0), _report(7.04, 60, 0, 0), priority)
    assert same.loc[same["measure"] == "Purchase: EMQ estimate", ["change", "worse"]].values.tolist() == [["±0", False]]
    empty = health.month_over_month(_report(7.0, 60, 0, 0), {}, priority)
    assert set(empty["last"]) == {"—"} and set(empty["change"]) == {""} and not empty["worse"].any()


def _detail(**kw) -> dict:
    row = {"deployment": "checkout-v2", "deployed_at": datetime(2026, 11, 7, 9), "pixel_id": "1",
           "event_name": "Purchase", "metric": "coverage.em", "before": 1.0, "after": 1.0, "delta": 0.0,
           "before_num": 200.0, "after_num": 200.0, "before_events": 200, "after_events": 200, "before_days": 3,
           "after_days": 3, "compared": True, "regressed": False, "z": None}
    return row | kw


def test_classify_puts_regressions_first_then_unconfirmed_drops():
    detail = pd.DataFrame([
        _detail(metric="coverage.fbp", before=0.9, after=0.95, delta=0.05),
        _detail(metric="coverage.ph", before=1.0, after=0.2, delta=-0.8, regressed=True, before_num=200.0,
                after_num=40.0),
        # 80 events: under the 100-event minimum, but 1.0 → 0.0 clears the share bars by far
        _detail(metric="hash_match.ph", before=1.0, after=0.0, delta=-1.0, compared=False, before_num=80.0,
                after_num=0.0, before_events=80, after_events=80),
        # 9 → 19 events: a big move, but not 4 standard errors
        _detail(event_name="Lead", metric="coverage.ph", before=0.56, after=0.32, delta=-0.24, compared=False,
                before_num=5.0, after_num=6.0, before_events=9, after_events=19),
        _detail(metric="coverage.st", before=0.73, after=0.68, delta=-0.05, before_num=146.0, after_num=136.0),
    ])
    out = deployments.classify(detail, TH)
    assert out[["metric", "finding"]].values.tolist() == [
        ["coverage.ph", "regressed"], ["hash_match.ph", "unconfirmed"], ["coverage.st", "worse"],
        ["coverage.ph", "not compared"], ["coverage.fbp", "better"]]
    assert out["worse_by"].iloc[0] == pytest.approx(0.8)

    dep = {"name": "checkout-v2", "deployed_at": "2026-11-07T09:00:00Z", "verdict": "regressed", "compared": 3}
    lint = [{"rule": "hash_mismatch", "side": "server", "event_name": "Purchase", "field": "ph",
             "diagnosis": "missing_country_code"}]
    assert deployments.summary(dep, out, lint) == (
        "checkout-v2 (2026-11-07): coverage.ph 1.00 → 0.20 on Purchase · "
        "too few events to confirm: hash_match.ph 1.00 → 0.00 on Purchase")
    lint_row = _detail(metric="lint.hash_mismatch", before=0.0, after=0.77, delta=0.77, regressed=True)
    summary = deployments.summary(dep, deployments.classify(pd.DataFrame([lint_row]), TH), lint)
    assert summary == ("checkout-v2 (2026-11-07): lint.hash_mismatch 0.00 → 0.77 on Purchase "
                       "(ph: missing_country_code)")
    assert deployments.summary(dep | {"verdict": "ok"}, deployments.classify(pd.DataFrame(), TH), []) == \
        "checkout-v2 (2026-11-07): no metric got worse by the regression bars (3 compared)."


def test_mirror_line_is_an_estimate_or_nothing():
    assert mirror.line([]) is None
    gaps = [
        {"pixel_id": "1", "event_name": "Purchase", "mirror_events": 60, "with_event_id": 50, "not_seen_by_pixel": 10,
         "estimate": 0.2},
        {"pixel_id": "1", "event_name": "Lead", "mirror_events": 10, "with_event_id": 10, "not_seen_by_pixel": 5,
         "estimate": 0.5},
        {"pixel_id": "2", "event_name": "Purchase", "mirror_events": 9, "with_event_id": 9, "not_seen_by_pixel": 9,
         "estimate": None},                                                   # no pixel copies: no estimate
    ]
    assert mirror.line(gaps).startswith("≈ 25% of pixel events never reached Meta (estimate from the "
                                             "first-party mirror: 15 of 60")
    assert mirror.line(gaps, "Purchase", "1").startswith("≈ 20% of Purchase pixel events")
    assert mirror.line(gaps, "Purchase", "2") is None


def test_weekly_change_is_shown_to_one_decimal_and_needs_both_weeks():
    assert weekly.change(8.04, 6.0) == 2.0 and weekly.change(6.01, 6.04) == 0.0
    assert str(weekly.change(6.01, 6.04)) == "0.0"                       # never "-0.0"
    assert weekly.change(None, 6.0) is None and weekly.change(7.0, None) is None


def test_deployments_outside_the_window_and_the_window_that_shows_them():
    at = pd.Series(["2026-10-02T09:00:00", "2026-10-20T09:00:00", "2026-11-25T09:00:00"])
    out = deployments.outside(at, date(2026, 10, 15), date(2026, 11, 14))
    assert (out.count, out.first, out.last) == (2, date(2026, 10, 2), date(2026, 11, 25))
    # Widened to every deployment with a week's margin on each side (the last one's "after" days included).
    assert (out.since, out.until) == (date(2026, 9, 25), date(2026, 12, 2))
    assert deployments.outside(at[1:2], date(2026, 10, 15), date(2026, 11, 14)) is None
    early = deployments.outside(at[:2], date(2026, 10, 15), date(2026, 11, 14))
    assert (early.since, early.until) == (date(2026, 9, 25), date(2026, 11, 14))


# ---------------------------------------------------------------- daily series the charts draw

def _facts(metric: str, rows: list[tuple[date, float, float]], event: str = "Purchase") -> pd.DataFrame:
    return pd.DataFrame([{"pixel_id": "1", "event_name": event, "metric": metric, "day": d, "num": n, "den": m}
                         for d, n, m in rows])


D1, D2 = date(2026, 10, 1), date(2026, 10, 2)


def test_ratios_sum_numerators_and_denominators_over_events_before_dividing():
    daily = pd.concat([_facts("dedup.overlap", [(D2, 50, 100), (D1, 90, 100)]),
                       _facts("dedup.overlap", [(D1, 10, 300)], event="Lead"),
                       _facts("coverage.em", [(D1, 0, 0)])])                        # no denominator: left out
    out = series.ratios(daily)
    assert out.values.tolist() == [["dedup.overlap", D1, 0.25], ["dedup.overlap", D2, 0.5]]
    by_event = series.ratios(daily, ["dedup.overlap"], by_event=True)
    assert by_event.values.tolist() == [["Lead", "dedup.overlap", D1, 10 / 300], ["Purchase", "dedup.overlap", D1, 0.9],
                                        ["Purchase", "dedup.overlap", D2, 0.5]]
    assert series.ratio(by_event, "dedup.overlap", "Purchase").values.tolist() == [[D1, 0.9], [D2, 0.5]]
    assert series.ratios(pd.DataFrame()).empty and list(series.ratio(pd.DataFrame(), "x").columns) == ["day", "value"]


def test_coverage_by_day_weights_each_event_by_its_server_events():
    cov = pd.DataFrame([
        {"event_name": "Purchase", "day": D1, "server_events": 100, "em": 1.0, "fbc": None},
        {"event_name": "Lead", "day": D1, "server_events": 300, "em": 0.0, "fbc": 0.2},
        {"event_name": "Lead", "day": D2, "server_events": 0, "em": None, "fbc": None},
    ])
    out = series.coverage_by_day(cov, ("em", "fbc"))
    assert out["day"].tolist() == [D1, D2] and out["em"].iloc[0] == 0.25 and out["fbc"].iloc[0] == pytest.approx(0.2)
    assert out[["em", "fbc"]].iloc[1].isna().all()
    assert series.coverage_by_day(cov.assign(server_events=0), ("em",)).empty


def test_sides_and_pairing_per_day_over_the_charted_events():
    dd = pd.DataFrame([
        {"pixel_id": "1", "event_name": "Purchase", "day": D1, "paired": 8, "server_only": 2, "browser_only": 1,
         "server_events": 10, "browser_events": 9, "server_with_event_id": 1.0, "browser_with_event_id": 1.0},
        {"pixel_id": "1", "event_name": "Lead", "day": D1, "paired": 0, "server_only": 30, "browser_only": 0,
         "server_events": 30, "browser_events": 0, "server_with_event_id": 0.5, "browser_with_event_id": None},
        {"pixel_id": "2", "event_name": "Purchase", "day": D2, "paired": 1, "server_only": 0, "browser_only": 0,
         "server_events": 1, "browser_events": 1, "server_with_event_id": 1.0, "browser_with_event_id": 0.0},
    ])
    assert series.sides_by_day(dd).values.tolist() == [[D1, 40, 9], [D2, 1, 1]]
    both = series.dedup_by_day(dd, [("1", "Purchase"), ("1", "Lead")])
    assert both[["day", "paired", "server_only", "browser_only"]].values.tolist() == [[D1, 8, 32, 1]]
    # 10 events all with an id + 30 with half: 25 of 40; the browser side only counts the event that has one.
    assert both["server_with_event_id"].tolist() == [25 / 40] and both["browser_with_event_id"].tolist() == [1.0]
    assert series.dedup_by_day(dd, [("9", "Purchase")]).empty
    bare = dd.drop(columns=["server_events", "browser_events"])
    assert "server_with_event_id" not in series.dedup_by_day(bare, [("1", "Purchase")])


# ---------------------------------------------------------------- the pages' numbers are the report's

@pytest.fixture
def week_store(tmp_path):
    from tests.scenario import Scenario, sev, ud

    sc = Scenario(tmp_path)
    for d in range(1, 8):
        day = f"2026-10-0{d}"
        # Purchases: more events and fewer identifiers as the week goes on; a browser copy of every other one.
        for n in range(d + 1):
            user = ud("em", "ph", "fbp") if n % 2 else ud("fbp", "client_ip_address")
            sc.server(sev("Purchase", f"{day}T1{n}:00:00", f"p{d}-{n}", user))
            if n % 2 == 0:
                sc.browser("Purchase", f"{day}T1{n}:00:02", f"p{d}-{n}")
        sc.server(sev("Lead", f"{day}T09:00:00", f"l{d}", ud("em") if d < 4 else ud("fbp")))
        sc.order(f"{d}00", f"{day}T10:00:00")
    sc.ingest()
    return sc


def test_page_data_holds_the_reports_numbers_and_its_series_agree_with_them(week_store):
    from analysis import report, store
    from analysis.views import page_data

    cfg = config.load(env={})
    opts = report.Options(date(2026, 10, 1), date(2026, 10, 7), "UTC")
    with store.reader(week_store.db) as con:
        page = page_data.audit(con, cfg, opts)
    with store.reader(week_store.db) as con:
        alone = report.build(con, cfg, opts)
    for key in ("window", "events", "discrepancy", "money_at_stake", "lint", "deployments", "suspected_breaks"):
        assert page[key] == alone[key], key
    events = {e["event_name"]: e for e in page["events"]}
    # The weekly KPI over a 7-day window is the window's estimate: the daily means weighted by their events.
    last, prev = weekly.weekly_emq(pd.DataFrame(page["daily"]["emq"]), date(2026, 10, 7))[("111", "Purchase")]
    assert prev is None and events["Purchase"]["emq_estimate"] is not None
    assert round(last, 2) == events["Purchase"]["emq_estimate"]
    # The facts' daily ratios summed over the window are the report's shares.
    facts = series.ratios(pd.DataFrame(page["metric_daily"]))
    purchase = series.ratios(pd.DataFrame(page["metric_daily"]).query("event_name == 'Purchase'"))
    window = purchase[(purchase["day"] >= date(2026, 10, 1)) & (purchase["day"] <= date(2026, 10, 7))]
    assert set(facts["metric"]) >= {"coverage.em", "dedup.overlap", "emq_estimate"}
    em = pd.DataFrame(page["metric_daily"]).query("event_name == 'Purchase' and metric == 'coverage.em'")
    assert events["Purchase"]["coverage"]["em"] == round(16 / 35, 4)             # odd-numbered Purchases carry em
    assert round(em["num"].sum() / em["den"].sum(), 4) == events["Purchase"]["coverage"]["em"]
    assert len(window[window["metric"] == "coverage.em"]) == 7
    # The coverage card's daily shares, on the window's only day with both events, weigh them by server events.
    cov = pd.DataFrame(page["daily"]["coverage"])
    by_day = series.coverage_by_day(cov, ("em",)).set_index("day")["em"]
    d1 = cov[cov["day"] == date(2026, 10, 1)]
    weighted = (d1["em"] * d1["server_events"]).sum() / d1["server_events"].sum()
    assert by_day[date(2026, 10, 1)] == pytest.approx(weighted)
    assert by_day[date(2026, 10, 1)] == pytest.approx(2 / 3)          # Purchase 1 of 2, Lead 1 of 1
    # Server events per day: the dedup rows' sides sum to the report's event counts.
    sides = series.sides_by_day(pd.DataFrame(page["daily"]["dedup"]))
    assert sides["server_events"].sum() == sum(e["server_events"] for e in page["events"])
    assert sides["browser_events"].sum() == sum(e["browser_events"] for e in page["events"])
