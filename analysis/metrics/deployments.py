"""Deployments: did a release make a metric worse? Seven days before vs seven days after, on the facts."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from analysis import config as config_mod
from analysis import store
from analysis.metrics import facts
from analysis.metrics.facts import GAP, MEAN, MISMATCH, SHARE, Agg
from analysis.metrics.scope import LOOK_PAST_DAYS, Scope


@dataclass(frozen=True)
class Thresholds:
    """When two sides are comparable and when the second is a regression (settings `deployments.*`)."""

    window_days: int = 7
    min_days: int = 3
    min_events: int = 100
    share_drop: float = 0.10
    z: float = 4.0
    emq_drop: float = 1.0
    gap_rise: float = 0.15
    mismatch_share: float = 0.01

    @classmethod
    def from_config(cls, cfg: config_mod.Config) -> "Thresholds":
        return cls(min(int(cfg["deployments.window_days"]), LOOK_PAST_DAYS), int(cfg["deployments.min_days"]),
                   int(cfg["deployments.min_events"]), float(cfg["deployments.share_drop"]),
                   float(cfg["deployments.z"]), float(cfg["deployments.emq_drop"]),
                   float(cfg["deployments.gap_rise"]), float(cfg["deployments.name_mismatch_share"]))


def worse_by(metric: str, before: float, after: float) -> float:
    """How much worse `after` is than `before` (negative: better). A gap is worse the further from 0 it
    moves, either way: missing Purchases (gap up) and duplicated ones (gap below 0) both mislead Meta."""
    kind, higher_is_worse = facts.kind(metric)
    if kind == GAP:
        return abs(after) - abs(before)
    return after - before if higher_is_worse else before - after


def se_difference(before: Agg, after: Agg) -> float:
    """Standard error of the difference of two proportions, from the pooled proportion.

    SE = sqrt(p̄ (1 − p̄) (1/n₁ + 1/n₂)), p̄ = (x₁ + x₂) / (n₁ + n₂). Pooling keeps a side at exactly 0
    or 1 (all events well-formed before) from having zero variance and making any drop "infinitely"
    significant.
    p̄ is 0 or 1 only when both sides are all-0 or all-1; then the difference is 0 and SE = 0 flags nothing.
    p̄ is clamped to [0, 1]: overlap's matched keys can slightly exceed min(browser, server) at range edges.
    """
    n1, n2 = before.den, after.den
    if n1 <= 0 or n2 <= 0:
        return math.inf
    p = min(max((before.num + after.num) / (n1 + n2), 0.0), 1.0)
    return math.sqrt(p * (1.0 - p) * (1.0 / n1 + 1.0 / n2))


def comparable(before: Agg | None, after: Agg | None, th: Thresholds) -> bool:
    """≥ min_days local days and ≥ min_events events (the metric's denominator) on each side."""
    return all(a is not None and a.days >= th.min_days and a.den >= th.min_events for a in (before, after))


def regressed(metric: str, before: Agg, after: Agg, th: Thresholds) -> bool:
    """The contract's regression bars (shared/spec/report.md, Deployments)."""
    b, a = before.value, after.value
    if b is None or a is None:
        return False
    kind, _ = facts.kind(metric)
    worse = worse_by(metric, b, a)
    if kind == SHARE:
        return worse >= th.share_drop - 1e-12 and worse >= th.z * se_difference(before, after)
    if kind == MEAN:
        return worse >= th.emq_drop - 1e-12
    if kind == GAP:
        return worse >= th.gap_rise - 1e-12
    if kind == MISMATCH:
        return before.num == 0 and a >= th.mismatch_share - 1e-12
    raise ValueError(metric)


def rounded(metric: str, value: float | None) -> float | None:
    return None if value is None else round(value, 2 if metric == "emq_estimate" else 4)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- which deployments, which windows

def visible(con: duckdb.DuckDBPyConnection, sc: Scope) -> list[dict[str, Any]]:
    """Every deployment that applies to the scope (its pixel, or blank = all pixels), at any time."""
    pixel = "WHERE pixel_id IS NULL OR pixel_id = ?" if sc.pixel_id else ""
    return store.query(con, f"""SELECT deployed_at, name, description, component, pixel_id FROM deployments
                               {pixel} ORDER BY deployed_at, name""", [sc.pixel_id] if sc.pixel_id else [])


def _overlap(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def windows(dep: dict[str, Any], others: list[dict[str, Any]], days: int) -> tuple[datetime, datetime, datetime]:
    """(before start, deployed_at, after end): 7 days each way, cut at the nearest deployment on either side
    that applies to a pixel this one applies to. Deployments at the same instant are compared together."""
    t = dep["deployed_at"]
    lo, hi = t - timedelta(days=days), t + timedelta(days=days)
    for o in others:
        if not _overlap(o["pixel_id"], dep["pixel_id"]):
            continue
        if lo < o["deployed_at"] < t:
            lo = o["deployed_at"]
        if t < o["deployed_at"] < hi:
            hi = o["deployed_at"]
    return lo, t, hi


@dataclass
class Compared:
    """One deployment with every metric's two sides."""

    dep: dict[str, Any]
    lo: datetime
    hi: datetime
    rows: list[dict[str, Any]]


def compare(con: duckdb.DuckDBPyConnection, sc: Scope, cfg: config_mod.Config,
            only: tuple[str, datetime | None] | None = None) -> list[Compared]:
    """Every in-window deployment (or one, by name and optional time) with every metric before and after."""
    th = Thresholds.from_config(cfg)
    facts.prepare(con, sc, cfg)
    start, end = sc.utc_bounds()
    every = visible(con, sc)
    chosen = [d for d in every if start <= d["deployed_at"] < end]
    if only:
        chosen = [d for d in chosen if d["name"] == only[0] and (only[1] is None or d["deployed_at"] == only[1])][-1:]
    sides, spans = [], []
    for i, dep in enumerate(chosen):
        lo, t, hi = windows(dep, every, th.window_days)
        pixel = dep["pixel_id"] or sc.pixel_id
        sides += [(2 * i, pixel, lo, t), (2 * i + 1, pixel, t, hi)]
        spans.append((lo, hi))
    sums = facts.ranges(con, sides, cfg["discrepancy.event_name"]) if sides else {}
    out = []
    for i, dep in enumerate(chosen):
        before, after = sums[2 * i], sums[2 * i + 1]
        rows = []
        for key in sorted(set(before) | set(after), key=lambda k: (k[0] or "", k[1], k[2])):
            pixel, event, metric = key
            b, a = before.get(key), after.get(key)
            if metric.startswith("lint.") and not ((b and b.num) or (a and a.num)):
                continue     # a rule that fires on neither side says nothing about this deployment
            ok = comparable(b, a, th)
            bv, av = (b.value if b else None), (a.value if a else None)
            rows.append({
                "pixel_id": pixel, "event_name": event, "metric": metric,
                "before": rounded(metric, bv), "after": rounded(metric, av),
                "delta": rounded(metric, av - bv) if bv is not None and av is not None else None,
                # numerators: matching events (for emq the score sum, for the gap orders − matched)
                "before_num": b.num if b else 0.0, "after_num": a.num if a else 0.0,
                "before_events": int(b.den) if b else 0, "after_events": int(a.den) if a else 0,
                "before_days": b.days if b else 0, "after_days": a.days if a else 0,
                "compared": ok, "regressed": ok and regressed(metric, b, a, th),
                "z": _z(metric, b, a) if ok else None,
            })
        out.append(Compared(dep, spans[i][0], spans[i][1], rows))
    return out


def _z(metric: str, b: Agg, a: Agg) -> float | None:
    if facts.kind(metric)[0] != SHARE or b.value is None or a.value is None:
        return None
    se = se_difference(b, a)
    return round(worse_by(metric, b.value, a.value) / se, 2) if se else None


def _lint_appeared(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lint rules that appeared or grew, even below the regression bar and the volume minimum: after's share
    above before's by ≥ 2 standard errors (so one stray event among thousands is not news), or hits on an
    event name that had no events before. The evidence a reviewer reads next to the verdict."""
    out = []
    for r in rows:
        if not r["metric"].startswith("lint.") or not r["after_num"]:
            continue
        b = Agg(r["before_num"], r["before_events"], r["before_days"])
        a = Agg(r["after_num"], r["after_events"], r["after_days"])
        if b.den and a.den:
            se = se_difference(b, a)
            if not (a.value > b.value and se > 0 and a.value - b.value >= 2 * se):
                continue
        out.append({"rule": r["metric"][len("lint."):], "event_name": r["event_name"], "pixel_id": r["pixel_id"],
                    "before": r["before"], "after": r["after"],
                    "before_count": int(r["before_num"]), "after_count": int(r["after_num"])})
    return out


def section(con: duckdb.DuckDBPyConnection, sc: Scope, cfg: config_mod.Config) -> list[dict[str, Any]]:
    """The report's `deployments`: one entry per deployment inside the window (needs report.prepare)."""
    out = []
    for c in compare(con, sc, cfg):
        regressions = [{"metric": r["metric"], "event_name": r["event_name"], "pixel_id": r["pixel_id"],
                        "before": r["before"], "after": r["after"]} for r in c.rows if r["regressed"]]
        compared = sum(1 for r in c.rows if r["compared"])
        verdict = "regressed" if regressions else ("insufficient_data" if compared == 0 else "ok")
        d = c.dep
        out.append({
            "name": d["name"], "deployed_at": _iso(d["deployed_at"]), "component": d["component"],
            "pixel_id": d["pixel_id"], "description": d["description"], "verdict": verdict,
            "regressions": regressions, "compared": compared,
            "window": {"before": [_iso(c.lo), _iso(d["deployed_at"])], "after": [_iso(d["deployed_at"]), _iso(c.hi)]},
            "lint_appeared": _lint_appeared(c.rows),
        })
    return out


def detail(con: duckdb.DuckDBPyConnection, sc: Scope, cfg: config_mod.Config, name: str,
           deployed_at: datetime | None = None) -> list[dict[str, Any]]:
    """Dashboard drill-down: every metric's before/after/delta (compared or not) for one deployment."""
    found = compare(con, sc, cfg, (name, deployed_at))
    return found[0].rows if found else []


def lint_events(con: duckdb.DuckDBPyConnection, sc: Scope, cfg: config_mod.Config, name: str, rule: str,
                deployed_at: datetime | None = None, side: str = "after") -> list[dict[str, Any]]:
    """Every server event a lint rule hit in a deployment's after (or before) window: ids only, never
    personal data. Same hour buckets as the comparison: as many events as its after_num."""
    return lint_events_by_rule(con, sc, cfg, name, (rule,), deployed_at, side)[rule]


def lint_events_by_rule(con: duckdb.DuckDBPyConnection, sc: Scope, cfg: config_mod.Config, name: str,
                        rules: tuple[str, ...], deployed_at: datetime | None = None,
                        side: str = "after") -> dict[str, list[dict[str, Any]]]:
    """lint_events of several rules of one deployment, by rule (its window's events are read once)."""
    th = Thresholds.from_config(cfg)
    start, end = sc.utc_bounds()
    every = visible(con, sc)
    deps = [d for d in every if start <= d["deployed_at"] < end and d["name"] == name
            and (deployed_at is None or d["deployed_at"] == deployed_at)]
    if not deps:
        return {rule: [] for rule in rules}
    dep = deps[-1]
    from analysis.metrics import lint

    lo, t, hi = windows(dep, every, th.window_days)
    t0, t1 = (t, hi) if side == "after" else (lo, t)
    return lint.server_hits_by_rule(con, cfg, rules, t0, t1, dep["pixel_id"] or sc.pixel_id)
