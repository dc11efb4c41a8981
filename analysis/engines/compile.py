"""The rollups' SQL for an engine capi-audit does not run (BigQuery, Snowflake, Databricks): compiled by ibis.

    python -m analysis.engines.compile --dialect bigquery [--window-hours 48] [--since D --until D] OUT_DIR

writes one file per step: long_copies.sql (the copies the client walks), then pair_keys, pair_repeats,
rollup_events, rollup_emq, rollup_lint and rollup_rule_hits, which read the walk's result as the table `long_starts` (side, event_uid,
long_start). The canonical tables are named `server_events` and `browser_events` (the lake's columns).
"""
from __future__ import annotations

import argparse
import re
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import ibis

from analysis.engines import definitions
from analysis.engines.sources import BROWSER_COLUMNS, SERVER_COLUMNS
from analysis.normalize import USER_DATA_KEYS

DIALECTS = ("duckdb", "pyspark", "bigquery", "snowflake", "databricks")
_TYPES = {"rejected": "boolean", "opt_out": "boolean", "ldu": "boolean", "event_time": "timestamp",
          "sent_at": "timestamp", "value": "float64", "error_code": "int32",
          **{f"{k}_{x}": "boolean" for k in USER_DATA_KEYS for x in ("p", "v", "plain")}}


def _table(name: str, columns: tuple[str, ...]) -> ibis.Table:
    return ibis.table({c: _TYPES.get(c, "string") for c in columns} | {"date": "date"}, name=name)


def statements(dialect: str, hours: int = 48, lo: datetime | None = None,
               hi: datetime | None = None) -> dict[str, str]:
    """Step name → SQL in `dialect` over tables server_events, browser_events and long_starts (default lint
    settings, the given pairing window)."""
    from analysis.rollups import settings_of

    settings = settings_of({"dedup.window_hours": hours})
    src = definitions.Sources(_table("server_events", SERVER_COLUMNS), _table("browser_events", BROWSER_COLUMNS))
    cp = definitions.copies(src, lo, hi)
    ks = definitions.keys(cp, hours)
    exprs = {"long_copies": definitions.long_copies(cp, ks)}
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
    args = ap.parse_args(argv)
    lo = datetime.combine(args.since, time.min) if args.since else None
    hi = datetime.combine(args.until, time.min) + timedelta(days=1) if args.until else None
    args.out.mkdir(parents=True, exist_ok=True)
    for name, sql in statements(args.dialect, args.window_hours, lo, hi).items():
        (args.out / f"{name}.sql").write_text(sql, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
