"""`capi-audit rollup`: a date range's rollups computed on an engine from the Parquet lake (or tables an events
map describes), merged into the store."""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path
from typing import Any, Callable

ENGINE_CHOICES = ("duckdb", "pyspark", "bigquery", "snowflake", "databricks")


def add_parser(sub: Any, as_date: Callable[[str], date]) -> None:
    p = sub.add_parser("rollup", help="compute a date range's rollups on an engine (duckdb, pyspark) from a Parquet "
                                      "lake and merge them into the store (see README: When one machine is not enough)")
    p.add_argument("--engine", choices=ENGINE_CHOICES, help="the engine (default: setting `engine`, duckdb)")
    p.add_argument("--lake", help="the lake `capi-audit export parquet DIR` wrote: a folder, or for the pyspark engine "
                                  "an address its cluster reads (s3a://…, gs://…, abfss://…) (default: setting `lake`)")
    p.add_argument("--events-map", metavar="FILE|NAME",
                   help="a TOML events map: tables of another shape as the server or browser events (the sides it "
                        "names; the lake gives the others), or a shipped map by name: sgtm-bigquery "
                        "(default: setting `events_map`)")
    p.add_argument("--since", type=as_date, help="first UTC day (YYYY-MM-DD, inclusive; default: the lake's first)")
    p.add_argument("--until", type=as_date, help="last UTC day (YYYY-MM-DD, inclusive; default: the lake's last)")
    p.add_argument("--pixel-id", help="only this pixel's events (one client's store fed from a lake of many); "
                                      "the store's other pixels keep their rollups")


def bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """[lo, hi) of the UTC days since..until (None: open)."""
    lo = datetime.combine(since, dtime.min) if since else None
    hi = datetime.combine(until, dtime.min) + timedelta(days=1) if until else None
    return lo, hi


def compute(engine: str, lake: Path | str | None, settings: dict[str, Any], lo: datetime | None, hi: datetime | None,
            cfg: Any = None, session: Any = None, pixel: str | None = None,
            events_map: Any = None) -> tuple[dict[str, Any], int]:
    """The rollups of [lo, hi) as Arrow tables (by table name), and how many long keys' copies were walked.

    With `pixel`, of that pixel's events alone: pairing is per (pixel, event_id), so they are exactly its
    rows of the whole lake's rollups. `events_map` (mapping.EventsMap): the sides it names are read from
    its tables, the others from the lake."""
    from analysis.engines import sources
    from analysis.engines.merge import TABLES

    if engine == "pyspark" and session is None and cfg is not None:
        session = sources.spark_session(cfg["spark.master"], int(cfg["spark.shuffle_partitions"]),
                                        cfg["spark.driver_memory"])
    con = sources.connect(engine, session)      # names the extra to install when ibis is missing
    from analysis.engines import definitions

    src = sources.lake(con, engine, lake, events_map, pixel)
    if pixel is not None:
        src = definitions.Sources(src.server.filter(src.server.pixel_id == pixel),
                                  src.browser.filter(src.browser.pixel_id == pixel))
    plan = definitions.plan(con, src, settings, lo, hi)
    results = {name: con.to_pyarrow(getattr(plan, name)) for name in TABLES}
    return results, plan.long_copies


@dataclass
class Done:
    """What compute_and_merge did: the engine's tables, what the merge replaced, the engine's seconds."""
    results: dict[str, Any]
    merged: list[Any]
    seconds: float
    walked: int


def compute_and_merge(db: str | Path, cfg: Any, engine: str, lake: Path | str | None, lo: datetime | None,
                      hi: datetime | None, pixel: str | None = None, events_map: Any = None) -> Done:
    """The rollups of [lo, hi) computed on `engine` and merged into the store `db` (`rollup` and `sync`).

    A store whose rollups were built with other defining settings is refused before the engine's work.
    """
    from analysis import rollups, store
    from analysis.engines.merge import check_settings, merge

    settings = rollups.settings_of(cfg)
    wait = float(cfg["lock_timeout"])
    if Path(db).is_file():
        with store.reader(db, wait=wait) as con:
            check_settings(con, settings)
    t0 = time.perf_counter()
    results, walked = compute(engine, lake, settings, lo, hi, cfg, pixel=pixel, events_map=events_map)
    seconds = time.perf_counter() - t0
    with store.writer(db, wait=wait) as con:
        merged = merge(con, results, settings, lo, hi, pixel)
    return Done(results, merged, seconds, walked)


def run(args: argparse.Namespace, cfg: Any) -> int:
    from rich.console import Console
    from rich.markup import escape

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    engine = args.engine or cfg["engine"]
    from analysis.engines.sources import lake_ref

    lake = lake_ref(args.lake or cfg["lake"])
    map_ref = args.events_map or cfg["events_map"] or None
    if engine not in ENGINE_CHOICES:
        err.print(escape(f"Unknown engine {engine!r} (setting `engine`); choose one of {', '.join(ENGINE_CHOICES)}."))
        return 2
    if lake is None and map_ref is None:
        err.print("Give the lake to read: --lake DIR (a folder `capi-audit export parquet DIR` wrote), or the setting "
                  "lake; or tables of another shape with --events-map FILE.")
        return 2
    events_map = None
    if map_ref is not None:
        from analysis.engines.mapping import MapError, load

        try:
            events_map = load(map_ref)
        except MapError as exc:
            err.print(f"[red]error[/red] {escape(str(exc))}")
            return 2
    if args.since and args.until and args.since > args.until:
        err.print(f"[red]error[/red] --since {args.since} is after --until {args.until}.")
        return 2
    from analysis.engines.merge import MergeError
    from analysis.engines.sources import EngineError

    db = cfg["db"]
    pixel = (args.pixel_id or "").strip() or None
    lo, hi = bounds(args.since, args.until)
    try:
        done = compute_and_merge(db, cfg, engine, lake, lo, hi, pixel, events_map)
    except (EngineError, MergeError) as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}")
        return 2
    span = f"{args.since or 'the first day'} to {args.until or 'the last day'}" + (f" of pixel {pixel}" if pixel else "")
    err.print(escape(f"Computed the rollups of {span} on {engine} in {done.seconds:.1f} s"
                     f"{f' ({done.walked:,} copies of reused ids walked)' if done.walked else ''}; merged into {db}:"))
    for m in done.merged:
        err.print(escape(f"  {m.table}: {m.inserted:,} row{'' if m.inserted == 1 else 's'} (replaced {m.deleted:,})"))
    return 0
