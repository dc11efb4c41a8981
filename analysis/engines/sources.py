"""Where the canonical events are read: an ibis connection to an engine and the lake's tables on it."""
from __future__ import annotations

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


def _lake_table(con: Any, engine: str, folder: Path, columns: tuple[str, ...]) -> Any:
    if not folder.is_dir() or not any(folder.rglob("*.parquet")):
        raise EngineError(f"{folder} holds no Parquet files; give the folder `capi-audit export parquet DIR` wrote.")
    if engine == "duckdb":
        t = con.read_parquet(str(folder / "**" / "*.parquet"), hive_partitioning=True)
    else:
        t = con.read_parquet(str(folder))
    return t.select(*columns, "date")


def lake(con: Any, engine: str, root: Path) -> Sources:
    """The lake's event tables on `con` (with their `date` partition column, which prunes a range's reads)."""
    from analysis.engines.definitions import Sources

    root = Path(root)
    if not (root / "_manifest.json").is_file():
        raise EngineError(f"{root} is not a capi-audit lake (no _manifest.json); write one with "
                          "capi-audit export parquet DIR.")
    return Sources(_lake_table(con, engine, root / "server_events", SERVER_COLUMNS),
                   _lake_table(con, engine, root / "browser_events", BROWSER_COLUMNS))
