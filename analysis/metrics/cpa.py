"""CPA: the ad accounts' daily spend, purchases and cost per purchase, and CPA jumps that coincide with a change
in pairing (dedup overlap), in the discrepancy gap or in server Purchase volume.

A deduplication failure inflates the purchases Meta reports (both copies count) and its fix deflates them again,
so the cost per purchase jumps although nothing changed in the ads: a jump next to such a change is a tracking
signal, not a marketing one.

Days: insights days are each ad account's own calendar days (its time zone in Ads Manager). They are taken as the
report's local days (--tz) as they are; where the two zones differ, a day's spend and purchases are those of a day
shifted by that many hours. The comparisons below sum 3 days on each side, which absorbs a few hours' shift.

A jump on day d: the CPA of d … d+2 (leading) is at least `cpa.rise` above that of d−3 … d−1 (trailing), each side
with ≥ `cpa.min_spend` spend and purchases (a side without purchases has no CPA). Consecutive passing days are one
jump, dated on the day of the largest rise. It is flagged when, within `cpa.near_days` days of d, the Purchase
event's daily dedup.overlap or discrepancy.gap moved by the deployments' bars (either way; 3 days against the 3 days
before, each with ≥ deployments.min_days days and ≥ deployments.min_events events), or its server volume moved by
≥ `cpa.volume_change` of the larger side (which holds ≥ deployments.min_events events).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import duckdb

from analysis import config as config_mod
from analysis import store
from analysis.metrics import facts
from analysis.metrics.deployments import Thresholds, comparable, regressed, rounded
from analysis.metrics.facts import Agg
from analysis.metrics.scope import Scope

SIDE = 3                  # days on each side of a comparison
VOLUME = "volume"         # server events of the Purchase event (any daily metric's n_server denominator)
CHANGED = ("dedup.overlap", "discrepancy.gap")


def _cpa(spend: float, purchases: float) -> float | None:
    return spend / purchases if purchases else None


def _money(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _totals(series: dict[date, tuple[float, float]], since: date, until: date) -> dict[str, Any]:
    spend = sum(s for d, (s, _) in series.items() if since <= d <= until)
    bought = sum(p for d, (_, p) in series.items() if since <= d <= until)
    return {"since": since.isoformat(), "until": until.isoformat(), "spend": _money(spend),
            "purchases": round(bought, 2), "cpa": _money(_cpa(spend, bought))}


def _series(con: duckdb.DuckDBPyConnection, lo: date, hi: date) -> tuple[str | None, list[str], list[str],
                                                                           dict[date, tuple[float, float]]]:
    """(currency, ad accounts, currencies left out, {day: (spend, purchases)}) over [lo, hi].

    Spend in different currencies cannot be added: the accounts of the currency with the most spend are summed,
    the others are named as left out."""
    # A store opened read-only is not migrated: one older than the insights table has no spend to show.
    if not store.scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'ad_insights'"):
        return None, [], [], {}
    by_currency = store.query(con, """SELECT currency, sum(spend) AS spend, list(DISTINCT ad_account_id ORDER BY
                                             ad_account_id) AS accounts
                                      FROM ad_insights WHERE day BETWEEN ? AND ?
                                      GROUP BY currency ORDER BY spend DESC, currency NULLS LAST""", [lo, hi])
    if not by_currency:
        return None, [], [], {}
    main = by_currency[0]
    rows = store.query(con, """SELECT day, sum(spend) AS spend, sum(purchases) AS purchases FROM ad_insights
                               WHERE day BETWEEN ? AND ? AND currency IS NOT DISTINCT FROM ?
                               GROUP BY day ORDER BY day""", [lo, hi, main["currency"]])
    left_out = [r["currency"] or "unknown" for r in by_currency[1:]]
    return (main["currency"], list(main["accounts"]), left_out,
            {r["day"]: (float(r["spend"]), float(r["purchases"])) for r in rows})


def _side(series: dict[Any, tuple[float, float]], first: date) -> tuple[Agg, int]:
    points = [series[first + timedelta(days=i)] for i in range(SIDE) if first + timedelta(days=i) in series]
    return Agg(sum(p[0] for p in points), sum(p[1] for p in points), len(points)), len(points)


def _jumps(series: dict[date, tuple[float, float]], since: date, until: date, rise: float,
           min_spend: float) -> list[dict[str, Any]]:
    """Runs of days whose leading 3 days' CPA rose by ≥ rise over the trailing 3, each run at its largest rise."""
    passing: list[dict[str, Any]] = []
    d = since
    while d <= until:
        (before, _), (after, _) = _side(series, d - timedelta(days=SIDE)), _side(series, d)
        cb, ca = _cpa(before.num, before.den), _cpa(after.num, after.den)
        if (cb and ca and before.num >= min_spend and after.num >= min_spend and ca / cb - 1 >= rise - 1e-12):
            passing.append({"date": d, "cpa_before": cb, "cpa_after": ca, "rise": ca / cb - 1,
                            "spend_before": before.num, "spend_after": after.num,
                            "purchases_before": before.den, "purchases_after": after.den})
        d += timedelta(days=1)
    runs: list[list[dict[str, Any]]] = []
    for p in passing:
        if runs and (p["date"] - runs[-1][-1]["date"]).days == 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return [max(run, key=lambda p: p["rise"]) for run in runs]


def _changes(con: duckdb.DuckDBPyConnection, sc: Scope, cfg: config_mod.Config, days: list[date]) -> list[dict[str, Any]]:
    """Per pixel and metric, the day among `days` where the Purchase event's metric moved most, if it moved enough."""
    th = Thresholds.from_config(cfg)
    event = cfg["discrepancy.event_name"]
    facts.prepare(con, sc, cfg)
    series: dict[tuple[str | None, str], dict[date, tuple[float, float]]] = defaultdict(dict)
    for r in facts.daily(con, sc, event):
        if r["event_name"] != event:
            continue
        if r["metric"] in CHANGED:
            series[(r["pixel_id"], r["metric"])][r["day"]] = (float(r["num"]), float(r["den"]))
        elif r["metric"] == "dedup.server_with_event_id":     # its denominator is the day's server events
            series[(r["pixel_id"], VOLUME)][r["day"]] = (float(r["den"]), 1.0)
    share = float(cfg["cpa.volume_change"])
    out = []
    for (pixel, metric), points in sorted(series.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        best: dict[str, Any] | None = None
        for c in days:
            (b, _), (a, _) = _side(points, c - timedelta(days=SIDE)), _side(points, c)
            if metric == VOLUME:
                larger = max(a.num, b.num)
                moved = (b.days >= th.min_days and a.days >= th.min_days and larger >= th.min_events
                         and abs(a.num - b.num) >= share * larger - 1e-9)
                size, values = abs(a.num - b.num) / larger if larger else 0.0, (int(b.num), int(a.num))
            else:
                moved = comparable(b, a, th) and (regressed(metric, b, a, th) or regressed(metric, a, b, th))
                size = abs((a.value or 0.0) - (b.value or 0.0))
                values = (rounded(metric, b.value), rounded(metric, a.value))
            if moved and (best is None or size > best["size"]):
                best = {"metric": metric, "pixel_id": pixel, "date": c.isoformat(), "before": values[0],
                        "after": values[1], "size": size}
        if best:
            best.pop("size")
            out.append(best)
    return out


def _describe(change: dict[str, Any], event: str) -> str:
    pixel = f" (pixel {change['pixel_id']})" if change["pixel_id"] else ""
    b, a = change["before"], change["after"]
    if change["metric"] == VOLUME:
        what = f"server {event} events {b:,} → {a:,}"
    elif change["metric"] == "discrepancy.gap":
        what = f"{event} discrepancy gap {b:.0%} → {a:.0%}"
    else:
        what = f"{event} dedup overlap {b:.2f} → {a:.2f}"
    return f"{what} from {change['date']}{pixel}"


def evidence(jump: dict[str, Any], currency: str | None, event: str) -> str:
    """One sentence for the checklist, alerts and the dashboard."""
    unit = f"{currency} " if currency else ""
    why = ("a deduplication change inflates or deflates the purchases Meta reports"
           if any(c["metric"] == "dedup.overlap" for c in jump["coincides"])
           else "a tracking change, not the ads, may have moved the purchases Meta reports")
    return (f"CPA up {jump['rise']:.0%} on {jump['date']} ({unit}{jump['cpa_before']:.2f} → {unit}{jump['cpa_after']:.2f} "
            f"per purchase, 3 days each side) as " + " and ".join(_describe(c, event) for c in jump["coincides"])
            + f": {why}")


def section(con: duckdb.DuckDBPyConnection, sc: Scope, cfg: config_mod.Config) -> dict[str, Any] | None:
    """The report's `cpa`: days of the window, its CPA and the previous window's, and flagged jumps (None: no
    insights in either window). Needs report.prepare."""
    prev = sc.previous()
    currency, accounts, left_out, series = _series(con, prev.since - timedelta(days=SIDE),
                                                   sc.until + timedelta(days=SIDE - 1))
    if not series:
        return None
    event = cfg["discrepancy.event_name"]
    near = int(cfg["cpa.near_days"])
    jumps = []
    for j in _jumps(series, sc.since, sc.until, float(cfg["cpa.rise"]), float(cfg["cpa.min_spend"])):
        around = [j["date"] + timedelta(days=i) for i in range(-near, near + 1)]
        j["coincides"] = _changes(con, sc, cfg, around)
        if not j["coincides"]:
            continue
        j["date"] = j["date"].isoformat()
        text = evidence(j, currency, event)
        jumps.append({"date": j["date"], "cpa_before": _money(j["cpa_before"]), "cpa_after": _money(j["cpa_after"]),
                      "rise": round(j["rise"], 4), "spend_before": _money(j["spend_before"]),
                      "spend_after": _money(j["spend_after"]), "purchases_before": round(j["purchases_before"], 2),
                      "purchases_after": round(j["purchases_after"], 2), "coincides": j["coincides"],
                      "evidence": text})
    days = [{"date": d.isoformat(), "spend": _money(s), "purchases": round(p, 2), "cpa": _money(_cpa(s, p))}
            for d, (s, p) in sorted(series.items()) if sc.since <= d <= sc.until]
    return {"currency": currency, "ad_accounts": accounts, "currencies_left_out": left_out, "days": days,
            "window": _totals(series, sc.since, sc.until), "previous": _totals(series, prev.since, prev.until),
            "jumps": jumps}


def breaks(cpa: dict[str, Any] | None, event: str) -> list[dict[str, Any]]:
    """Flagged jumps as suspected breaks (metric `cpa`: before/after are costs per purchase, the events purchases)."""
    return [{"date": j["date"], "metric": "cpa", "event_name": event, "pixel_id": None, "before": j["cpa_before"],
             "after": j["cpa_after"], "before_events": int(j["purchases_before"]),
             "after_events": int(j["purchases_after"])} for j in (cpa or {}).get("jumps", [])]
