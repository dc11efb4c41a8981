"""Where the canonical events are read: an ibis connection to an engine and the lake's tables on it."""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.normalize import HASH_KEYS, USER_DATA_KEYS

if TYPE_CHECKING:            # the definitions import ibis: without the engines extra, connect() says what to install
    from analysis.engines.definitions import Sources

ENGINES = ("duckdb", "pyspark", "bigquery", "snowflake", "databricks")
# Engines whose SQL is compiled and checked here but not run: their connections need an account.
COMPILE_ONLY = ("bigquery", "snowflake", "databricks")
# The columns the rollups read (a lake file holds every stored column; the rest are not scanned).
SERVER_COLUMNS = ("event_uid", "pixel_id", "event_name", "event_id", "event_time", "order_id", "rejected",
                  "test_event_code", "action_source", "opt_out", "ldu",
                  *(f"{k}_{x}" for k in USER_DATA_KEYS for x in ("p", "v")),
                  # …and for the lint rules:
                  *(f"{k}_plain" for k in HASH_KEYS), "fbc", "fbp", "client_ip_address", "client_user_agent",
                  "sent_at", "event_time_unit", "event_source_url", "value", "currency", "error_code")
BROWSER_COLUMNS = ("event_uid", "pixel_id", "event_name", "event_id", "event_time", "order_id", "source", "fbc")


class EngineError(Exception):
    """An engine or a lake that cannot be used, as a sentence with the fix."""


def _missing(engine: str, module: str) -> EngineError:
    extra = "spark" if engine == "pyspark" else "engines"
    return EngineError(f"The {engine} engine needs the Python package {module}; install it with "
                       f"pip install 'capi-audit[{extra}]'.")


def spark_session(master: str = "local[2]", partitions: int = 4, driver_memory: str = "1g") -> Any:
    """A Spark session for the rollups: UTC session time (the lake's timestamps are naive UTC), Arrow transfers,
    few shuffle partitions. A session already running in this process is reused as it is."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise _missing("pyspark", "pyspark") from None
    return (SparkSession.builder.master(master).appName("capi-audit rollups")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(int(partitions)))
            .config("spark.driver.memory", driver_memory)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate())


def connect(engine: str, session: Any = None) -> Any:
    """The ibis connection of `engine` (duckdb in memory, or pyspark on `session`, else a new local[2] session)."""
    if engine not in ENGINES:
        raise EngineError(f"Unknown engine {engine!r}; choose one of {', '.join(ENGINES)}.")
    if engine in COMPILE_ONLY:
        raise EngineError(f"The {engine} engine is compile-only in this version: its SQL is generated and checked "
                          "(tests/golden/engines), but capi-audit does not run it. See README: When one machine "
                          "is not enough, for running that SQL on your account.")
    try:
        import ibis
    except ImportError:
        raise _missing(engine, "ibis-framework") from None
    if engine == "duckdb":
        return ibis.duckdb.connect()
    if engine == "pyspark":
        try:
            return ibis.pyspark.connect(session or spark_session())
        except ImportError:
            raise _missing(engine, "pyspark") from None
    raise AssertionError(engine)


def lake_ref(value: str | Path | None) -> str | Path | None:
    """A lake as given: a local folder (a Path), or an address an engine reads (s3a://, gs://, abfss://,
    file://, hdfs://: kept as text, as a Path would fold its '//')."""
    text = str(value or "").strip()
    if not text:
        return None
    return text if is_url(text) else Path(text)


def is_url(value: str | Path) -> bool:
    return isinstance(value, str) and re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", value) is not None


def _parquet(con: Any, engine: str, path: Path | str) -> Any:
    """Parquet files on the engine: a local file or folder (DuckDB: with its hive partitions), or for Spark
    also an address its cluster reads."""
    if engine == "duckdb":
        return con.read_parquet(str(path / "**" / "*.parquet") if path.is_dir() else str(path),
                                hive_partitioning=True)
    return con.read_parquet(str(path))


def _lake_table(con: Any, engine: str, folder: Path, columns: tuple[str, ...]) -> Any:
    if not folder.is_dir() or not any(folder.rglob("*.parquet")):
        raise EngineError(f"{folder} holds no Parquet files; give the folder `capi-audit export parquet DIR` wrote.")
    return _parquet(con, engine, folder).select(*columns, "date")


def _mapped_table(con: Any, engine: str, side: Any, pixel: str | None) -> Any:
    """The table an events map names for one side, with the lake's columns derived from its fields."""
    from analysis.engines import mapping

    if side.parquet and is_url(side.parquet):
        if engine != "pyspark":
            raise EngineError(f"The events map's {side.name} Parquet files are at an address ({side.parquet}): "
                              f"that needs the pyspark engine; the {engine} engine reads local files here.")
        raw = _parquet(con, engine, side.parquet)
    elif side.parquet:
        path = Path(side.parquet)
        if not path.exists() or (path.is_dir() and not any(path.rglob("*.parquet"))):
            raise EngineError(f"The events map's {side.name} Parquet files are not at {path}.")
        raw = _parquet(con, engine, path)
    elif engine == "duckdb":
        raise EngineError(f"On the duckdb engine, give the events map's {side.name} as Parquet files "
                          "(parquet = \"folder/\"); a table name needs an engine that holds the table.")
    else:
        database, _, name = side.table.rpartition(".")
        try:
            raw = con.table(name, database=database or None)
        except Exception as exc:          # the engine's own error type: the table is not there
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            raise EngineError(f"The events map's {side.name} table {side.table!r} cannot be read on {engine}: "
                              f"{type(exc).__name__}: {first}") from None
    try:
        return mapping.table(raw, side, pixel)
    except mapping.MapError as exc:
        raise EngineError(f"{side.name}: {exc}") from None


def _materialized(con: Any, t: Any, name: str) -> Any:
    """A mapped side computed once on the engine: the definitions read it a dozen times, and inlining the
    mapping into each read makes statements of megabytes."""
    if con.name == "duckdb":
        return con.create_table(name, t, temp=True)     # a fresh in-memory connection per compute: no name clash
    return t.cache()


def lake(con: Any, engine: str, root: Path | str | None, events_map: Any = None, pixel: str | None = None) -> Sources:
    """The event tables on `con`: each side from the events map when it names that side, else from the lake
    (with its `date` partition column, which prunes a range's reads)."""
    from analysis.engines.definitions import Sources

    mapped = events_map.sides if events_map is not None else {}
    tables = {}
    for side, columns in (("server_events", SERVER_COLUMNS), ("browser_events", BROWSER_COLUMNS)):
        if side in mapped:
            tables[side] = _mapped_table(con, engine, mapped[side], pixel)
            continue
        if root is None:
            raise EngineError(f"Nothing gives the {side}: name them in the events map ([{side}]) or give the "
                              "lake (--lake DIR) that holds them.")
        if is_url(root):
            # A cluster's lake (s3a://…): the engine reads it; its _manifest.json is not checked from here.
            if engine != "pyspark":
                raise EngineError(f"A lake at an address ({root}) needs the pyspark engine; the {engine} engine "
                                  "reads a local folder here.")
            tables[side] = _parquet(con, engine, f"{str(root).rstrip('/')}/{side}").select(*columns, "date")
            continue
        root = Path(root)
        if not (root / "_manifest.json").is_file():
            raise EngineError(f"{root} is not a capi-audit lake (no _manifest.json); write one with "
                              "capi-audit export parquet DIR.")
        tables[side] = _lake_table(con, engine, root / side, columns)
    for side in mapped:
        t = tables[side]
        if len(mapped) == 1:
            # One side mapped, one from the lake: the pairing unions their copies, so times take the lake's
            # type (a Parquet file's timestamp(6) beside the map's timestamp).
            other = tables["browser_events" if side == "server_events" else "server_events"]
            t = t.mutate(**{c: t[c].cast(other.event_time.type()) for c in ("event_time", "sent_at")
                            if c in t.columns})
        tables[side] = _materialized(con, t, f"mapped_{side}")
    return Sources(tables["server_events"], tables["browser_events"])
