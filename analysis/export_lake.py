"""The store's canonical tables as a Hive-partitioned Parquet lake (for Spark, DuckDB, warehouse external tables)."""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

import duckdb

from analysis import store

MANIFEST = "_manifest.json"


class ExportError(Exception):
    """A lake that cannot be written, as a sentence with the fix."""


@dataclass(frozen=True)
class Table:
    """One exported table: the SELECT that feeds it, its partition columns, and the clauses of its window."""
    name: str
    select: str                  # FROM … with the alias `t`; `{where}` receives the window and pixel filters
    partition_by: tuple[str, ...] = ()
    day: str | None = None       # the UTC day a row belongs to (for --since/--until)
    pixel: str | None = None     # the condition a row belongs to the pixel $pixel (None: not tied to a pixel)


# Partitions are `date` (a UTC day) and `pixel`, columns of their own: a reader infers a partition's type
# from its directory names (pixel=111 reads as a number), which must not change the stored text `pixel_id`
# or `owner` the files keep. An empty text cannot name a Hive directory (Spark refuses `pixel=`), so it is
# null there (`__HIVE_DEFAULT_PARTITION__`).
_EVENTS = ("SELECT *, CAST(t.event_time AS DATE) AS date, nullif(t.pixel_id, '') AS pixel "
           "FROM {table} t {{where}}")
_ORDER_PIXEL = ("(o.pixel_id = $pixel OR o.owner = '' OR (o.pixel_id IS NULL AND o.shop IN "
                "(SELECT unnest($shops::VARCHAR[]))))")
PARTITIONS = ("date", "pixel")
TABLES: tuple[Table, ...] = (
    Table("server_events", _EVENTS.format(table="server_events"), PARTITIONS, "CAST(t.event_time AS DATE)",
          "t.pixel_id = $pixel"),
    Table("browser_events", _EVENTS.format(table="browser_events"), PARTITIONS, "CAST(t.event_time AS DATE)",
          "t.pixel_id = $pixel"),
    # Orders belong to an owner (their pixel, else their shop, else '' = every pixel): `pixel` is that owner.
    Table("orders", "SELECT *, CAST(o.created_at AS DATE) AS date, nullif(o.owner, '') AS pixel "
          "FROM orders o {where}", PARTITIONS, "CAST(o.created_at AS DATE)", _ORDER_PIXEL),
    # An order's hashes sit in its order's partition.
    Table("order_hashes", "SELECT h.*, CAST(o.created_at AS DATE) AS date, nullif(h.owner, '') AS pixel "
          "FROM order_hashes h JOIN orders o ON o.owner = h.owner AND o.order_id = h.order_id {where}",
          PARTITIONS, "CAST(o.created_at AS DATE)", _ORDER_PIXEL),
    Table("meta_stats", "SELECT *, CAST(t.hour AS DATE) AS date, nullif(t.pixel_id, '') AS pixel FROM meta_stats t "
          "{where}", PARTITIONS,
          "CAST(t.hour AS DATE)", "t.pixel_id = $pixel"),
    Table("deployments", "SELECT * FROM deployments t {where}", (), "CAST(t.deployed_at AS DATE)",
          "(t.pixel_id = $pixel OR t.pixel_id IS NULL OR t.pixel_id = '')"),
    Table("meta_quality_snapshots", "SELECT * FROM meta_quality_snapshots t {where}", (),
          "CAST(t.fetched_at AS DATE)", "t.pixel_id = $pixel"),
    Table("meta_quality_events", "SELECT * FROM meta_quality_events t {where}", (),
          "CAST(t.fetched_at AS DATE)", "t.pixel_id = $pixel"),
    Table("meta_quality_match_keys", "SELECT * FROM meta_quality_match_keys t {where}", (),
          "CAST(t.fetched_at AS DATE)", "t.pixel_id = $pixel"),
    # Ad accounts are not tied to a pixel in the store: with --pixel-id they are left out (another client's spend).
    Table("ad_insights", "SELECT * FROM ad_insights t {where}", (), "t.day", None),
)


@dataclass
class Written:
    table: str
    rows: int
    files: int
    partition_by: tuple[str, ...]


@dataclass
class Window:
    since: date | None = None
    until: date | None = None
    pixel_id: str | None = None
    shops: list[str] = field(default_factory=list)     # shops whose orders belong to pixel_id (setting `pixels`)


def shops_of(pixels: Mapping[str, Any], pixel_id: str | None) -> list[str]:
    """The shops the `pixels` setting maps to this pixel (their orders without a pixel_id are its orders)."""
    if pixel_id is None:
        return []
    out = []
    for shop, ids in (pixels or {}).items():
        ids = [ids] if isinstance(ids, (str, int)) else list(ids or [])
        if pixel_id in (str(i) for i in ids):
            out.append(str(shop))
    return out


def check_target(target: Path, overwrite: bool) -> None:
    """Refuse a target that is a file, or a folder holding anything but an earlier export (replaced only on --overwrite)."""
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target} is a file; give a folder for the lake (it is created when missing).")
    if target.is_dir() and any(target.iterdir()):
        if not (target / MANIFEST).is_file():
            raise ExportError(f"{target} is a folder with other files in it; give a new or empty folder "
                              "(only an earlier export, with its _manifest.json, can be replaced with --overwrite).")
        if not overwrite:
            raise ExportError(f"{target} holds an earlier export; add --overwrite to replace it, or give another folder.")
    parent = target.absolute().parent
    if parent.exists() and not parent.is_dir():
        raise ExportError(f"{parent} is a file, not a folder; choose another place for the lake.")
    if not parent.is_dir():
        raise ExportError(f"The folder {parent} does not exist; create it first or choose another place for the lake.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExportError(f"Cannot write in {parent} (permission denied); choose a folder you may write.")


def _query(table: Table, window: Window) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    if window.since and table.day:
        clauses.append(f"{table.day} >= $since")
        params["since"] = window.since
    if window.until and table.day:
        clauses.append(f"{table.day} <= $until")
        params["until"] = window.until
    if window.pixel_id is not None:
        if table.pixel is None:
            clauses.append("false")
        else:
            clauses.append(table.pixel)
            params["pixel"] = window.pixel_id
            if "$shops" in table.pixel:
                params["shops"] = window.shops
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return table.select.format(where=where), params


def _copy(con: duckdb.DuckDBPyConnection, table: Table, window: Window, out: Path) -> Written:
    sql, params = _query(table, window)
    out.mkdir()
    if table.partition_by:
        options = f"PARTITION_BY ({', '.join(table.partition_by)})"
        dest = out
    else:
        options, dest = "", out / "data_0.parquet"
    con.execute(f"COPY ({sql}) TO '{_literal(dest)}' (FORMAT PARQUET, COMPRESSION zstd"
                f"{', ' + options if options else ''})", params)
    files = sorted(out.rglob("*.parquet"))
    rows = store.scalar(con, "SELECT count(*) FROM read_parquet($files)", {"files": [str(f) for f in files]}) \
        if files else 0
    return Written(table.name, int(rows), len(files), table.partition_by)


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")


def export(db: str | Path, target: Path, window: Window, *, overwrite: bool = False, wait: float = 60.0,
           version: str = "", on_table: Callable[[Written], None] | None = None) -> list[Written]:
    """Write every canonical table under `target` (a fresh folder swapped into place), the manifest last."""
    check_target(target, overwrite)
    target = target.absolute()
    staging = target.parent / f".{target.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    written: list[Written] = []
    try:
        with store.reader(db, wait=wait) as con:
            # One snapshot for every table: a load committed meanwhile is in none or all of them.
            con.execute("BEGIN TRANSACTION")
            for table in TABLES:
                w = _copy(con, table, window, staging / table.name)
                written.append(w)
                if on_table:
                    on_table(w)
            con.execute("COMMIT")
        manifest = {
            "capi_audit_version": version,
            "schema_version": store.SCHEMA_VERSION,
            "exported_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "window": {"since": window.since and window.since.isoformat(),
                       "until": window.until and window.until.isoformat(), "pixel_id": window.pixel_id,
                       "days": "UTC"},
            "tables": {w.table: {"rows": w.rows, "files": w.files, "partition_by": list(w.partition_by)}
                       for w in written},
        }
        # Written last: its presence means the export is complete.
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _swap(staging, target)
    except (duckdb.IOException, OSError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ExportError(f"Cannot write the lake next to {target} ({_reason(exc)}); check the free space and "
                          "permissions there, or choose another folder.") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc).splitlines()[0][:200]


def _swap(staging: Path, target: Path) -> None:
    """Put the finished lake at `target`; an earlier export there is removed only once the new one is in place."""
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        staging.rename(target)
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    target.rename(old)
    staging.rename(target)
    shutil.rmtree(old)
