"""The engines' rollups on Spark (local mode, one session per run) equal rollups.rebuild, and so does the report.

Apart from tests/test_engines.py (the same store and lake, on DuckDB), so that a parallel run puts the
Spark session's start and the DuckDB engine tests on different workers.
"""
from __future__ import annotations

import importlib.util
import shutil
import signal
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ibis", reason="the engines extra is not installed: pip install -e '.[test]'")

from analysis import config, report, store  # noqa: E402
from analysis.engines import command  # noqa: E402
from analysis.engines.merge import TABLES  # noqa: E402
from analysis.rollups import settings_of  # noqa: E402
from tests.test_engines import _merged_store, _same, _same_types, built  # noqa: E402,F401  (built: the fixture)
from tests.test_engines_map import PIXEL, as_sent, assert_same, mapped, rows  # noqa: E402,F401  (mapped: fixture)

SPARK_MISSING = ("Java is not installed (apt-get install openjdk-17-jre-headless)" if shutil.which("java") is None
                 else "pyspark is not installed (pip install -e '.[test]')"
                 if importlib.util.find_spec("pyspark") is None else None)


@pytest.fixture(scope="session")
def spark() -> Any:
    """One local Spark session for the run (it takes ~12 s to start)."""
    if SPARK_MISSING:
        pytest.skip(SPARK_MISSING)
    from analysis.engines.sources import spark_session

    # Starting a SparkContext installs its own Ctrl+C handler for the whole process: put Python's back, so
    # that later tests (the interrupt handling's) find the interpreter as they would without Spark.
    before = signal.getsignal(signal.SIGINT)
    session = spark_session("local[2]", 4, "1g")
    signal.signal(signal.SIGINT, before)
    # A few thousand rows: compiling whole-stage code for each of the plans' stages costs more than it
    # saves here (measured: the queries' time falls by about a third without it).
    session.conf.set("spark.sql.codegen.wholeStage", "false")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def spark_results(built, spark) -> dict[str, Any]:
    results, _ = command.compute("pyspark", built["lake"], settings_of({}), None, None, session=spark)
    return results


def test_spark_equals_the_rebuild(built, spark_results, tmp_path):
    _same_types(spark_results, built["db"])
    _same(_merged_store(tmp_path / "spark.duckdb", spark_results), built["oracle"])


def _report(db: Path, first: date, last: date) -> dict[str, Any]:
    with store.reader(db) as con:
        rep = report.build(con, config.load(env={}), report.Options(first, last, "UTC"))
    rep.pop("generated_at")
    return rep


def test_the_report_from_spark_rollups_equals_the_report_from_duckdb_rollups(built, spark_results, tmp_path):
    copy = tmp_path / "from-spark.duckdb"
    shutil.copy(built["db"], copy)
    with store.writer(copy) as con:
        for table in TABLES:
            con.execute(f"DELETE FROM {table}")
    _merged_store(copy, spark_results)
    first, last = built["days"]
    assert _report(copy, first, last) == _report(built["db"], first, last)


def test_an_events_map_derives_on_spark_what_it_derives_on_duckdb(mapped, spark):
    """The map's derivations (params lookups, regexes, epoch milliseconds, the row identity) give the same
    lake columns on Spark as on DuckDB, whose rollups from them equal the ingested store's
    (tests/test_engines_map.py); the definitions after them are shown equal on Spark above."""
    from analysis.engines import sources
    from analysis.engines.mapping import load
    from analysis.engines.merge import _naive

    events_map = load(as_sent(mapped))
    got = {}
    for engine in ("duckdb", "pyspark"):
        con = sources.connect(engine, spark if engine == "pyspark" else None)
        server = sources.lake(con, engine, mapped["lake"], events_map, PIXEL).server
        got[engine] = sorted(_naive(con.to_pyarrow(server)).to_pylist(), key=lambda r: r["event_uid"])
    assert len(got["duckdb"]) == len(mapped["events"])
    assert got["pyspark"] == got["duckdb"]
    # The same export as a table in Spark's catalog (table = "…" instead of parquet = "…").
    spark.read.parquet(str(mapped["tmp"] / "export")).createOrReplaceTempView("sgtm_events")
    text = as_sent(mapped).read_text().replace('parquet = "export/"', 'table = "sgtm_events"')
    (mapped["tmp"] / "sgtm-table.toml").write_text(text)
    con = sources.connect("pyspark", spark)
    server = sources.lake(con, "pyspark", mapped["lake"], load(mapped["tmp"] / "sgtm-table.toml"), PIXEL).server
    assert sorted(_naive(con.to_pyarrow(server)).to_pylist(), key=lambda r: r["event_uid"]) == got["duckdb"]


def test_a_lake_at_an_address_is_read_by_spark_and_refused_by_duckdb(built, spark, tmp_path, capsys):
    """s3a://, gs://, file://…: handed to the engine as they are (a Path would fold the '//')."""
    from analysis.cli import main
    from analysis.engines import sources

    url = built["lake"].resolve().as_uri()                  # file:///…/lake
    assert isinstance(sources.lake_ref(url), str) and isinstance(sources.lake_ref(str(built["lake"])), Path)
    con = sources.connect("pyspark", spark)
    got = sources.lake(con, "pyspark", sources.lake_ref(url))
    with store.reader(built["db"]) as duck:
        want = duck.execute("SELECT (SELECT count(*) FROM server_events), (SELECT count(*) FROM browser_events)"
                            ).fetchall()[0]
    assert (got.server.count().to_pyarrow().as_py(), got.browser.count().to_pyarrow().as_py()) == want
    assert main(["--db", str(tmp_path / "x.duckdb"), "rollup", "--engine", "duckdb", "--lake", url]) == 2
    assert "needs the pyspark engine" in capsys.readouterr().err
