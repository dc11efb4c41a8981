"""Assembles the audit report from the metrics: one computation, shown as JSON (and by the dashboard)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from importlib import resources
from typing import Any

import duckdb

from analysis import config as config_mod
from analysis import rollups
from analysis.metrics import (coverage, dedup, discrepancy, emq, hash_match, lint, meta_feedback, money, reconciliation,
                              recommendations)
from analysis.metrics import scope as scope_mod
from analysis.metrics import checklist
from analysis.normalize import USER_DATA_KEYS

SCHEMA_VERSION = 1


@dataclass
class Options:
    since: date | None = None
    until: date | None = None
    tz: str | None = None
    pixel_id: str | None = None
    today: date | None = None


def report_schema() -> dict[str, Any]:
    return json.loads(resources.files("analysis").joinpath("report.schema.json").read_text(encoding="utf-8"))


def finite(value: Any) -> Any:
    """`value` with every NaN or infinite float, at any depth, replaced by None (JSON has no words for them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def to_json(data: Any, indent: int = 2) -> str:
    """The one way a report (or any result) is written as JSON: always valid JSON, never NaN or Infinity."""
    return json.dumps(finite(data), indent=indent, ensure_ascii=False, default=str, allow_nan=False) + "\n"


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def prepare(con: duckdb.DuckDBPyConnection, sc: scope_mod.Scope, cfg: config_mod.Config,
            full_lint: bool = False, orders: bool = True) -> dict[str, Any]:
    """Build every temp table the metrics read, once per connection and window; returns the rollups' state.

    full_lint: m_lint holds every finding of every rule (the lint export, trace), not only the rules
    the report evaluates when read. orders=False: only what the events section without its hash check
    reads (the rollups and the pairing views) — no order-level table (see build_events)."""
    scope_mod.prepare(con, sc)
    state = rollups.for_report(con, cfg, *sc.reach())
    dedup.prepare(con, int(cfg["dedup.window_hours"]))
    if not orders:
        return state
    discrepancy.prepare_orders(con, sc, cfg["pixels"])
    lint.prepare_base(con, cfg, full=full_lint)
    # The lint population holds every server Purchase with its order found: the Purchases take theirs.
    name = cfg["discrepancy.event_name"]
    discrepancy.prepare_purchases(con, name, cfg["order_key_regex"],
                                  "m_lint_server" if name == lint.POPULATION_EVENT else None)
    hash_match.prepare(con)
    lint.prepare(con, cfg, full=full_lint)
    return state


def events_section(con: duckdb.DuckDBPyConnection, sc: scope_mod.Scope,
                   hash_check: bool = True) -> list[dict[str, Any]]:
    """The report's `events` rows. hash_check=False: without `hash_match` (the window was prepared without
    its orders: report.prepare(orders=False))."""
    start, end = sc.utc_bounds()
    cov = coverage.by_event(con)
    est = {(r["pixel_id"], r["event_name"]): r["emq"] for r in emq.estimates(con)}
    cals = emq.latest_calibrations(con)
    calibrated: dict[tuple[str, str], float] = {}
    for pixel, cal in cals.items():
        for r in emq.estimates(con, cal.weights, cal.tau):
            if r["pixel_id"] == pixel:
                calibrated[(pixel, r["event_name"])] = r["emq"]
    meta = emq.meta_scores(con, start, end, sc.pixel_id)
    dd = dedup.by_event(con)
    hm = hash_match.by_event(con) if hash_check else {}
    feedback = meta_feedback.by_event(con, start, end, sc.pixel_id)
    out = []
    for c in cov:
        key = (c.pixel_id, c.event_name)
        out.append({
            "pixel_id": c.pixel_id, "event_name": c.event_name,
            "server_events": c.server_events, "browser_events": c.browser_events,
            "coverage": {k: _round(c.coverage.get(k)) for k in USER_DATA_KEYS},
            "presence": {k: _round(c.presence.get(k)) for k in USER_DATA_KEYS},
            **({"hash_match": {k: _round(v) for k, v in hm.get(key, {}).items()}} if hash_check else {}),
            "emq_estimate": _round(est.get(key), 2),
            "emq_calibrated": _round(calibrated.get(key), 2),
            "emq_meta": _round(meta.get(key), 2),
            "dedup": {k: (_round(v) if isinstance(v, float) else v) for k, v in dd.get(key, dict(dedup.EMPTY)).items()},
            "opt_out_share": _round(c.opt_out_share), "ldu_share": _round(c.ldu_share),
            "from_logs": True, "meta_feedback": feedback.get(key),
        })
    # Events Meta reports (quality snapshot or /stats) without logs here still get a row: Meta's numbers,
    # zero counted events and nulls wherever a metric needs the logs.
    seen = {(e["pixel_id"], e["event_name"]) for e in out}
    extra = [key for key in feedback if key not in seen]
    for pixel, name in extra:
        out.append({
            "pixel_id": pixel, "event_name": name, "server_events": 0, "browser_events": 0,
            "coverage": {k: None for k in USER_DATA_KEYS}, "presence": {k: None for k in USER_DATA_KEYS},
            **({"hash_match": {}} if hash_check else {}), "emq_estimate": None, "emq_calibrated": None,
            "emq_meta": _round(meta.get((pixel, name)), 2), "dedup": dict(dedup.EMPTY),
            "opt_out_share": None, "ldu_share": None, "from_logs": False, "meta_feedback": feedback[(pixel, name)],
        })
    if extra:
        out.sort(key=lambda e: (e["pixel_id"], e["event_name"]))
    return out


def prepare_window(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, opts: Options,
                   full_lint: bool = False) -> scope_mod.Scope:
    """Resolve the window (explicit, or the default ending on the latest day with data) and prepare it."""
    return _prepare_window(con, cfg, opts, full_lint)[0]


def _prepare_window(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, opts: Options,
                    full_lint: bool = False, orders: bool = True) -> tuple[scope_mod.Scope, dict[str, Any]]:
    tz = opts.tz or cfg["timezone"]
    sc = scope_mod.resolve(con, opts.since, opts.until, tz, opts.pixel_id, int(cfg["report.days"]), opts.today)
    return sc, prepare(con, sc, cfg, full_lint, orders)


def _head(sc: scope_mod.Scope) -> dict[str, Any]:
    """The keys every report starts with: its version, when it was made, its window and pixel."""
    return {"schema_version": SCHEMA_VERSION,
            "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "window": {"since": sc.since.isoformat(), "until": sc.until.isoformat(), "timezone": sc.tz},
            "pixel_id": sc.pixel_id}


def build(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, opts: Options) -> dict[str, Any]:
    """The whole report for one window (JSON-ready dict; keys per the report contract)."""
    sc, rollup_state = _prepare_window(con, cfg, opts)
    disc = discrepancy.compute(con, sc, cfg["discrepancy.event_name"], float(cfg["discrepancy.threshold"]),
                               int(cfg["discrepancy.min_orders"]))
    cals = emq.latest_calibrations(con)
    from analysis.metrics import breaks, cpa, deployments

    suspected = breaks.section(con, sc, cfg)
    spend = cpa.section(con, sc, cfg)
    suspected = sorted(suspected + cpa.breaks(spend, cfg["discrepancy.event_name"]),
                       key=lambda b: (b["date"], b["pixel_id"] or "", b["event_name"], b["metric"]))

    return {
        **_head(sc),
        "events": events_section(con, sc),
        "discrepancy": disc.as_dict(),
        "money_at_stake": money.section(con, sc, disc.as_dict()),
        "recommendations": recommendations.section(
            con, dict(cfg["priority_events"] or {}),
            {p: c for p, c in cals.items() if not sc.pixel_id or p == sc.pixel_id}),
        "emq_calibration": [
            {"pixel_id": c.pixel_id, "snapshots": c.snapshots, "rmse_before": _round(c.rmse_before, 3),
             "rmse_after": _round(c.rmse_after, 3), "weights": c.weights}
            for c in cals.values() if not sc.pixel_id or c.pixel_id == sc.pixel_id],
        "emq_model": {"weights": emq.DEFAULT_WEIGHTS, "tau": emq.TAU},
        "lint": lint.summary(con, int(cfg["lint.examples"])),
        "reconciliation": reconciliation.section(con, sc, int(cfg["reconciliation.rows"]),
                                                 float(cfg["lint.value_tolerance"])),
        "deployments": deployments.section(con, sc, cfg),
        "suspected_breaks": suspected,
        "cpa": spend,
        # "stale": a rollup-defining setting changed since the store's rollups were built; this report
        # computed its window's own (right, slower) — `capi-audit rebuild` makes the store's current again.
        "rollups": rollup_state,
        # Sections whose analyses this version does not compute yet are listed, never faked.
        "checklist": [],
        "not_computed": ["checklist"],
    }


# What build() computes beyond build_events(): a report of the events alone lists them as not computed.
ORDER_SECTIONS = ("events.hash_match", "discrepancy", "money_at_stake", "recommendations", "emq_calibration",
                  "emq_model", "lint", "reconciliation", "deployments", "suspected_breaks", "cpa", "checklist")


def build_events(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, opts: Options) -> dict[str, Any]:
    """The report's `events` section alone for one window (without its hash check), listing every other
    section as not computed: what the checklist compares with the window before. It reads the rollups
    only — no order-level table is built — so the comparison costs a fraction of a whole report."""
    sc, state = _prepare_window(con, cfg, opts, orders=False)
    return {
        **_head(sc),
        "events": events_section(con, sc, hash_check=False),
        "rollups": state,
        "not_computed": list(ORDER_SECTIONS),
    }


def series(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, opts: Options) -> dict[str, Any]:
    """The report plus the daily series the dashboard draws (same temp tables, computed once)."""
    data = build(con, cfg, opts)
    w = data["window"]
    sc = scope_mod.Scope(date.fromisoformat(w["since"]), date.fromisoformat(w["until"]), w["timezone"], opts.pixel_id)
    start, end = sc.utc_bounds()
    data["daily"] = {
        "coverage": coverage.daily(con),
        "emq": emq.estimates(con, daily=True),
        "emq_meta": emq.meta_daily(con, start, end, sc.tz, sc.pixel_id),
        "dedup": dedup.daily(con),
    }
    data["unpaired_sample"] = dedup.unpaired_sample(con)
    data["deployments_list"] = deployments_in(con, start, end, sc.pixel_id)
    return data


def full(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, opts: Options,
         daily: bool = False, previous: tuple[date, date] | None = None) -> dict[str, Any]:
    """The report with its checklist, which compares the window with the one before it (see full_pair)."""
    return full_pair(con, cfg, opts, daily, previous)[0]


def full_pair(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, opts: Options, daily: bool = False,
              previous: tuple[date, date] | None = None,
              whole_previous: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report with its checklist, and the report of the window before it that the checklist compared.

    The window before is the equal-length one just before, or `previous` (since, until) — a calendar
    month is compared with the previous calendar month. The checklist compares only the events section,
    so the report before is build_events()'s; whole_previous: the whole report (build()), for a reader
    that shows more of it (the health page's month-over-month table). It is built first: prepare()
    rebuilds the temp tables, and the current window's must be the ones left behind (for the daily
    series with daily=True, and for the click shares read here).
    """
    tz = opts.tz or cfg["timezone"]
    sc = scope_mod.resolve(con, opts.since, opts.until, tz, opts.pixel_id, int(cfg["report.days"]), opts.today)
    prev = sc.previous() if previous is None else scope_mod.Scope(previous[0], previous[1], tz, opts.pixel_id)
    before = Options(prev.since, prev.until, tz, opts.pixel_id, opts.today)
    previous_report = build(con, cfg, before) if whole_previous else build_events(con, cfg, before)
    now = Options(sc.since, sc.until, tz, opts.pixel_id, opts.today)
    data = series(con, cfg, now) if daily else build(con, cfg, now)
    clicks = checklist.click_shares(con)
    for e in data["events"]:
        e["browser_fbc_share"] = clicks.get((e["pixel_id"], e["event_name"]))
    data["previous_window"] = previous_report["window"]
    data["checklist"] = checklist.evaluate(data, previous_report, cfg)
    data["not_computed"] = [k for k in data.get("not_computed", []) if k != "checklist"]
    return data, previous_report


def deployments_in(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                   pixel_id: str | None) -> list[dict[str, Any]]:
    """Deployments inside [start, end) for markers on trend charts."""
    from analysis import store

    pixel = "AND (pixel_id IS NULL OR pixel_id = ?)" if pixel_id else ""
    return store.query(con, f"""SELECT deployed_at, name, component, description, pixel_id FROM deployments
                               WHERE deployed_at >= ? AND deployed_at < ? {pixel} ORDER BY deployed_at""",
                       [start, end] + ([pixel_id] if pixel_id else []))


def sources(con: duckdb.DuckDBPyConnection, rejects_limit: int = 500) -> dict[str, Any]:
    """Ingestion history, recent rejects, Meta snapshot freshness and table sizes (Data sources page)."""
    from analysis import store

    # A file read again replaces its earlier reading: only the latest ingestion of a path counts its
    # rejects (re-ingesting a bad file must not double them). Each sync fetches new records under the
    # same label ("sync:shopify/orders"), so every sync's rejects count.
    current = """SELECT * FROM rejects WHERE ingestion_id IN (
                     SELECT max(ingestion_id) FROM ingestions WHERE path NOT LIKE 'sync:%' GROUP BY kind, path
                     UNION ALL SELECT ingestion_id FROM ingestions WHERE path LIKE 'sync:%')"""
    return {
        "ingestions": store.query(con, """SELECT ingestion_id, kind, path, rows_read, rows_loaded, rows_duplicate,
                                          rows_rejected, status, started_at, finished_at FROM ingestions
                                          ORDER BY ingestion_id DESC LIMIT 500"""),
        "rejects": store.query(con, f"""SELECT r.file, r.line, r.reason, i.kind, i.started_at FROM ({current}) r
                                      JOIN ingestions i USING (ingestion_id) ORDER BY i.ingestion_id DESC, r.line
                                      LIMIT ?""", [rejects_limit]),
        "reject_reasons": store.query(con, f"""SELECT regexp_replace(reason, '^event [0-9]+: ', '') AS reason,
                                             count(*) AS n FROM ({current}) GROUP BY 1 ORDER BY n DESC LIMIT 20"""),
        "snapshots": store.query(con, """SELECT pixel_id, max(fetched_at) AS latest, count(*) AS snapshots
                                        FROM meta_quality_snapshots GROUP BY 1 ORDER BY 1"""),
        "stats": store.query(con, """SELECT pixel_id, event_source, max(hour) AS latest_hour, sum(count) AS events
                                    FROM meta_stats GROUP BY ALL ORDER BY ALL"""),
        "counts": store.query(con, """SELECT 'server events' AS what, count(*) AS n FROM server_events
                                     UNION ALL SELECT 'browser events', count(*) FROM browser_events
                                     UNION ALL SELECT 'orders', count(*) FROM orders
                                     UNION ALL SELECT 'deployments', count(*) FROM deployments
                                     UNION ALL SELECT 'Meta quality snapshots', count(*) FROM meta_quality_snapshots
                                     UNION ALL SELECT 'Meta stats rows', count(*) FROM meta_stats"""),
        "deployments": store.query(con, """SELECT deployed_at, name, component, pixel_id FROM deployments
                                          ORDER BY deployed_at"""),
        "pixels": [r["pixel_id"] for r in store.query(con, """SELECT DISTINCT pixel_id FROM server_events
                                   WHERE pixel_id IS NOT NULL UNION SELECT DISTINCT pixel_id FROM browser_events
                                   WHERE pixel_id IS NOT NULL ORDER BY 1""")],
    }
