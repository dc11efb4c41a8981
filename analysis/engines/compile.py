"""The rollups' SQL for an engine capi-audit does not run (BigQuery, Snowflake, Databricks): compiled by ibis.

    python -m analysis.engines.compile --dialect bigquery [--window-hours 48] [--since D --until D]
        [--events-map FILE|NAME [--pixel-id P]] OUT_DIR

writes one file per step: long_copies.sql (the copies the client walks), then pair_keys, pair_repeats,
rollup_events, rollup_emq, rollup_lint and rollup_rule_hits, which read the walk's result as the table `long_starts` (side, event_uid,
long_start). The canonical tables are named `server_events` and `browser_events` (the lake's columns). With an
events map, map_server_events.sql (map_browser_events.sql) computes that table from the map's: keep its result
under that name first (CREATE TEMP TABLE server_events AS …).
"""
from __future__ import annotations

import argparse
import re
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import ibis

from analysis.engines import definitions, mapping
from analysis.engines.sources import BROWSER_COLUMNS, SERVER_COLUMNS
from analysis.normalize import USER_DATA_KEYS

DIALECTS = ("duckdb", "pyspark", "bigquery", "snowflake", "databricks")
_TYPES = {"rejected": "boolean", "opt_out": "boolean", "ldu": "boolean", "event_time": "timestamp",
          "sent_at": "timestamp", "value": "float64", "error_code": "int32",
          **{f"{k}_{x}": "boolean" for k in USER_DATA_KEYS for x in ("p", "v", "plain")}}


def _table(name: str, columns: tuple[str, ...]) -> ibis.Table:
    return ibis.table({c: _TYPES.get(c, "string") for c in columns} | {"date": "date"}, name=name)


def statements(dialect: str, hours: int = 48, lo: datetime | None = None, hi: datetime | None = None,
               events_map: mapping.EventsMap | None = None, pixel: str | None = None) -> dict[str, str]:
    """Step name → SQL in `dialect` over tables server_events, browser_events (or the events map's) and
    long_starts (default lint settings, the given pairing window)."""
    from analysis.rollups import settings_of

    settings = settings_of({"dedup.window_hours": hours})
    sides = events_map.sides if events_map is not None else {}

    # A mapped side is a statement of its own, whose result the warehouse keeps as the table of that name
    # (CREATE TEMP TABLE server_events AS …): the steps then read it like a lake's table.
    def source(m: mapping.Side) -> ibis.Table:
        # project.dataset.table, dataset.table; a map of Parquet files: the files as a table `<side>_source`
        database, _, table = (m.table or f"{m.name}_source").rpartition(".")
        return ibis.table(mapping.implied_schema(m), name=table, database=database or None)

    mapped = {f"map_{name}": mapping.table(source(m), m, pixel) for name, m in sides.items()}
    src = definitions.Sources(_table("server_events", SERVER_COLUMNS), _table("browser_events", BROWSER_COLUMNS))
    cp = definitions.copies(src, lo, hi)
    ks = definitions.keys(cp, hours)
    exprs = mapped | {"long_copies": definitions.long_copies(cp, ks)}
    exprs |= definitions.expressions(cp, ks, src, ibis.table(definitions.LONG_SCHEMA, name="long_starts"), settings,
                                     lo, hi)
    return {name: _stable(ibis.to_sql(e, dialect=dialect)) + ";\n" for name, e in exprs.items()}


def _stable(sql: str) -> str:
    """ibis names some helpers at random (BigQuery's sorted arrays): number them in order of appearance."""
    names: dict[str, str] = {}
    return re.sub(r"\bibis_([a-z_]+?)_[a-z0-9]{26}\b",
                  lambda m: names.setdefault(m.group(0), f"ibis_{m.group(1)}_{len(names) + 1}"), sql)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--dialect", choices=DIALECTS, required=True)
    ap.add_argument("--window-hours", type=int, default=48)
    ap.add_argument("--since", type=date.fromisoformat)
    ap.add_argument("--until", type=date.fromisoformat)
    ap.add_argument("--events-map", help="an events map (TOML file, or a shipped one by name: sgtm-bigquery)")
    ap.add_argument("--pixel-id", help="the pixel of mapped events whose map gives none")
    args = ap.parse_args(argv)
    try:
        events_map = mapping.load(args.events_map) if args.events_map else None
    except mapping.MapError as exc:
        ap.error(str(exc))
    lo = datetime.combine(args.since, time.min) if args.since else None
    hi = datetime.combine(args.until, time.min) + timedelta(days=1) if args.until else None
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        got = statements(args.dialect, args.window_hours, lo, hi, events_map, args.pixel_id)
    except mapping.MapError as exc:
        ap.error(str(exc))
    for name, sql in got.items():
        (args.out / f"{name}.sql").write_text(sql, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
