"""Assembles the audit report from the metrics: one computation, shown as JSON (and by the dashboard)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from importlib import resources
from typing import Any

import duckdb

from analysis import config as config_mod
from analysis.metrics import coverage, dedup, discrepancy, emq, hash_match, scope as scope_mod
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


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def prepare(con: duckdb.DuckDBPyConnection, sc: scope_mod.Scope, cfg: config_mod.Config) -> None:
    """Build every temp table the metrics read, once per connection and window."""
    scope_mod.prepare(con, sc)
    dedup.prepare(con, int(cfg["dedup.window_hours"]))
    discrepancy.prepare_order_keys(con, sc, cfg["discrepancy.event_name"], cfg["order_key_regex"])
    hash_match.prepare(con, cfg["order_key_regex"])


def events_section(con: duckdb.DuckDBPyConnection, sc: scope_mod.Scope) -> list[dict[str, Any]]:
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
    hm = hash_match.by_event(con)
    out = []
    for c in cov:
        key = (c.pixel_id, c.event_name)
        out.append({
            "pixel_id": c.pixel_id, "event_name": c.event_name,
            "server_events": c.server_events, "browser_events": c.browser_events,
            "coverage": {k: _round(c.coverage.get(k)) for k in USER_DATA_KEYS},
            "presence": {k: _round(c.presence.get(k)) for k in USER_DATA_KEYS},
            "hash_match": {k: _round(v) for k, v in hm.get(key, {}).items()},
            "emq_estimate": _round(est.get(key), 2),
            "emq_calibrated": _round(calibrated.get(key), 2),
            "emq_meta": _round(meta.get(key), 2),
            "dedup": {k: (_round(v) if isinstance(v, float) else v) for k, v in dd.get(key, dict(dedup.EMPTY)).items()},
            "opt_out_share": _round(c.opt_out_share), "ldu_share": _round(c.ldu_share),
        })
    return out


def build(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, opts: Options) -> dict[str, Any]:
    """The whole report for one window (JSON-ready dict; keys per the report contract)."""
    tz = opts.tz or cfg["timezone"]
    sc = scope_mod.resolve(con, opts.since, opts.until, tz, opts.pixel_id, int(cfg["report.days"]), opts.today)
    prepare(con, sc, cfg)
    disc = discrepancy.compute(con, sc, cfg["discrepancy.event_name"], float(cfg["discrepancy.threshold"]),
                               int(cfg["discrepancy.min_orders"]))
    cals = emq.latest_calibrations(con)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "window": {"since": sc.since.isoformat(), "until": sc.until.isoformat(), "timezone": sc.tz},
        "pixel_id": sc.pixel_id,
        "events": events_section(con, sc),
        "discrepancy": disc.as_dict(),
        "emq_calibration": [
            {"pixel_id": c.pixel_id, "snapshots": c.snapshots, "rmse_before": _round(c.rmse_before, 3),
             "rmse_after": _round(c.rmse_after, 3), "weights": c.weights}
            for c in cals.values() if not sc.pixel_id or c.pixel_id == sc.pixel_id],
        "emq_model": {"weights": emq.DEFAULT_WEIGHTS, "tau": emq.TAU},
        # Sections whose analyses this version does not compute yet are listed, never faked.
        "lint": [], "deployments": [], "suspected_breaks": [], "checklist": [],
        "not_computed": ["lint", "deployments", "suspected_breaks", "checklist"],
    }
