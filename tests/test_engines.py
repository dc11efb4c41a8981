"""Rollups computed by the ibis definitions from the Parquet lake on DuckDB equal rollups.rebuild (on Spark:
tests/test_engines_spark.py, with the same store); rollup's ranges, --pixel-id and sync; the warehouses' SQL.

The store: a 3-day demo plus generated files with what pairing makes hard (ids reused days apart, names
differing in case, rejected and test-coded requests, copies with orders, empty ids), over six days.
Every rollup table is compared, the lint tables included.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytest.importorskip("ibis", reason="the engines extra is not installed: pip install -e '.[test]'")

from analysis import store  # noqa: E402
from analysis.cli import main  # noqa: E402
from analysis.engines import command, compile as compile_sql  # noqa: E402
from analysis.engines.merge import TABLES, MergeError, merge  # noqa: E402
from analysis.ingest import Options, ingest_file  # noqa: E402
from analysis.rollups import settings_of  # noqa: E402
from tests.test_rollups import T0, rebuilt, write_files  # noqa: E402

GOLDEN = Path(__file__).parent / "golden" / "engines"
REGOLD = "CAPI_AUDIT_REGOLD"          # set to 1 to rewrite the golden SQL files (then review the diff)
WAREHOUSES = ("bigquery", "snowflake", "databricks")


def _events(rnd: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        out.append({"side": rnd.choice(["server", "browser"]),
                    "name": rnd.choice(["Purchase", "Purchase", "purchase", "AddToCart"]),
                    "eid": rnd.choice(["a", "b", "c", "order-1", "1759310000", None, ""] + [f"u{i}" for i in range(30)]),
                    "minutes": rnd.choice([rnd.randrange(0, 6 * 24 * 4) * 15, rnd.randrange(0, 6 * 24 * 60)]),
                    "keys": tuple(sorted(rnd.sample(["em", "ph", "fbc", "fbp", "client_ip_address", "ct"], 3))),
                    "kind": rnd.choice(["ok", "ok", "ok", "rejected", "test", "order"])})
    return out


def _fractional(tmp: Path) -> Path:
    """Events half a second past a whole second, with ids that are timestamps a day (and half a second) away:
    timestamp_event_id's edge, which an engine counting whole seconds judges differently."""
    t = int(T0.timestamp()) + 2 * 86400 + 7
    lines = [json.dumps({"pixel_id": "111", "sent_at": "2026-10-03T00:00:09Z", "request": {"data": [
        {"event_name": "ViewContent", "event_time": t + 0.5, "event_id": str(t + d), "action_source": "website",
         "event_source_url": "https://shop.example.com/x", "user_data": {"em": "a" * 64}}]},
        "response": {"status": 200, "body": {"events_received": 1}}}) for d in (-86400, 86401, 86400)]
    path = tmp / "fractional.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The store (its rollups rebuilt from scratch), its lake, and rebuild's tables (the oracle)."""
    tmp = tmp_path_factory.mktemp("engines")
    db = tmp / "audit.duckdb"
    assert main(["--db", str(db), "demo", "--no-serve", "--days", "3"]) == 0
    for kind, path in write_files(tmp, _events(random.Random(13), 400), 3, random.Random(5)) + [
            ("server-events", _fractional(tmp))]:
        res = ingest_file(db, kind, path, Options())
        assert res.error is None and not res.rejects
    # The store's rollups as `rebuild` makes them (the oracle; the report of test (d) reads them).
    assert main(["--db", str(db), "rebuild"]) == 0
    lake = tmp / "lake"
    assert main(["--db", str(db), "export", "parquet", str(lake)]) == 0
    with store.writer(db) as con:
        oracle = rebuilt(con)
        days = con.execute("""SELECT min(CAST(event_time AS DATE)), max(CAST(event_time AS DATE)) FROM
            (SELECT event_time FROM server_events UNION ALL SELECT event_time FROM browser_events)""").fetchall()[0]
    return {"tmp": tmp, "db": db, "lake": lake, "oracle": {t: oracle[t] for t in TABLES}, "days": days}


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    rows = con.execute(f"SELECT * FROM {table}").fetchall()
    return sorted((tuple(tuple(v) if isinstance(v, list) else v for v in r) for r in rows), key=repr)


def _merged_store(path: Path, results: dict[str, Any], lo: Any = None, hi: Any = None) -> dict[str, list[tuple]]:
    with store.writer(path) as con:
        merge(con, results, settings_of({}), lo, hi)
        return {t: _rows(con, t) for t in TABLES}


def _same(got: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> None:
    """Table by table, so that a failure names the table and a few differing rows."""
    for table in TABLES:
        extra, missing = set(got[table]) - set(want[table]), set(want[table]) - set(got[table])
        assert got[table] == want[table], (table, sorted(extra, key=repr)[:3], sorted(missing, key=repr)[:3])


def _same_types(results: dict[str, Any], db: Path) -> None:
    """Every result has the store table's columns, names and types (checked before any cast by the insert)."""
    from analysis.engines.merge import _naive

    with store.reader(db) as con:
        for table, arrow in results.items():
            con.register("_r", _naive(arrow))
            got = [(c[0], c[1]) for c in con.execute("DESCRIBE SELECT * FROM _r").fetchall()]
            want = [(c[0], c[1]) for c in con.execute(f"DESCRIBE {table}").fetchall()]
            con.unregister("_r")
            assert sorted(got) == sorted(want), table


def test_the_fractional_second_edge_is_in_the_store(built):
    """Of the three ids a day from their event (-86400.5, +86400.5, +86399.5 s), one is a timestamp id."""
    with store.reader(built["db"]) as con:
        hits = con.execute("SELECT sum(hits) FROM rollup_rule_hits WHERE rule = 'timestamp_event_id' "
                           "AND event_name = 'ViewContent' AND pixel_id = '111' AND bucket >= TIMESTAMP '2026-10-03' "
                           "AND bucket < TIMESTAMP '2026-10-04'").fetchall()[0][0]
    assert hits == 1


def test_the_generated_part_has_what_pairing_makes_hard(built):
    rows = built["oracle"]["pair_keys"]
    assert any(r[9] or r[8] for r in rows)                                    # reused ids
    assert any(r[10] for r in rows) and any(r[7] for r in rows)              # name mismatches, matched keys
    assert any((r[4] - r[3]).total_seconds() > 48 * 3600 for r in rows)      # keys spanning the window: walked
    assert built["oracle"]["pair_repeats"]


def test_ibis_on_duckdb_equals_the_rebuild(built, tmp_path):
    results, walked = command.compute("duckdb", built["lake"], settings_of({}), None, None)
    assert walked > 0
    _same_types(results, built["db"])
    _same(_merged_store(tmp_path / "engine.duckdb", results), built["oracle"])


def test_a_range_split_in_two_merges_to_the_full_range_and_a_rerun_changes_nothing(built, tmp_path):
    first, last = built["days"]
    mid = date.fromordinal((first.toordinal() + last.toordinal()) // 2)
    db = tmp_path / "split.duckdb"
    argv = ["--db", str(db), "rollup", "--engine", "duckdb", "--lake", str(built["lake"])]
    assert main(argv + ["--until", mid.isoformat()]) == 0
    assert main(argv + ["--since", date.fromordinal(mid.toordinal() + 1).isoformat()]) == 0
    with store.reader(db) as con:
        once = {t: _rows(con, t) for t in TABLES}
    _same(once, built["oracle"])
    assert main(argv + ["--since", mid.isoformat(), "--until", mid.isoformat()]) == 0
    with store.reader(db) as con:
        assert {t: _rows(con, t) for t in TABLES} == once


def test_one_pixel_at_a_time_gives_the_whole_lake_and_leaves_the_other_pixels_alone(built, tmp_path, capsys):
    pixels = sorted({r[0] for r in built["oracle"]["pair_keys"]})
    assert len(pixels) >= 2 and None not in {r[0] for t in TABLES for r in built["oracle"][t]}
    db = tmp_path / "pixels.duckdb"
    argv = ["--db", str(db), "rollup", "--engine", "duckdb", "--lake", str(built["lake"])]
    for pixel in pixels:
        assert main(argv + ["--pixel-id", pixel]) == 0
        assert f"of pixel {pixel}" in capsys.readouterr().err
        with store.reader(db) as con:
            got = {t: _rows(con, t) for t in TABLES}
        # After each pixel: exactly the rows of the pixels merged so far.
        done = set(pixels[:pixels.index(pixel) + 1])
        _same(got, {t: [r for r in built["oracle"][t] if _pixel(t, r) in done] for t in TABLES})
    # Rollups of every pixel (the rebuilt store's) are not one pixel's: refused, nothing changed.
    with store.reader(built["db"]) as con:
        results = {t: con.execute(f"SELECT * FROM {t}").to_arrow_table() for t in TABLES}
    with store.writer(db) as con, pytest.raises(MergeError, match="other than"):
        merge(con, results, settings_of({}), None, None, pixels[0])
    with store.reader(db) as con:
        _same({t: _rows(con, t) for t in TABLES}, built["oracle"])


def test_sync_runs_the_rollups_of_the_lake_s_new_days(built, tmp_path, capsys, monkeypatch):
    last = built["days"][1]
    mid = T0.date() + timedelta(days=2)     # inside the generated days, where copies pair across midnight
    after = date.fromordinal(mid.toordinal() + 1).isoformat()
    early = tmp_path / "early"          # the lake as it stood on `mid`; built["lake"] is the lake grown since
    assert main(["--db", str(built["db"]), "export", "parquet", str(early), "--until", mid.isoformat()]) == 0
    db = tmp_path / "sync.duckdb"
    assert main(["--db", str(db), "sync", "--source", "rollup"]) == 2          # no lake set: says what to set
    assert "rollup is not configured: set lake" in capsys.readouterr().err
    monkeypatch.setenv("CAPI_AUDIT_LAKE", str(early))
    assert main(["--db", str(db), "sync"]) == 0            # every configured source: the rollups alone here
    assert "│ rollup " in capsys.readouterr().err
    with store.reader(db) as con:
        assert con.execute("SELECT cursor, last_status FROM sync_state WHERE source = 'rollup'").fetchall() == [
            (mid.isoformat(), "ok")]
    # A run of the new days alone misses what they change before them (copies on `mid` pairing with new ones):
    control = tmp_path / "control.duckdb"
    shutil.copy(db, control)
    assert main(["--db", str(control), "rollup", "--lake", str(built["lake"]), "--since", after]) == 0
    with store.reader(control) as con:
        assert {t: _rows(con, t) for t in TABLES} != built["oracle"]
    # …sync starts the pairing window before its cursor: exactly the rollups of the grown lake.
    monkeypatch.setenv("CAPI_AUDIT_LAKE", str(built["lake"]))
    assert main(["--db", str(db), "sync"]) == 0
    with store.reader(db) as con:
        _same({t: _rows(con, t) for t in TABLES}, built["oracle"])
        assert con.execute("SELECT cursor FROM sync_state WHERE source = 'rollup'").fetchall() == [(last.isoformat(),)]


def _pixel(table: str, row: tuple) -> Any:
    return row[2] if table == "pair_repeats" else row[0]


def test_without_the_engines_extra_rollup_and_sync_say_what_to_install(built, tmp_path, capsys, monkeypatch):
    # As on a plain install: ibis cannot be imported (nor what imports it).
    monkeypatch.setitem(sys.modules, "ibis", None)
    import analysis.engines

    for name in ("definitions", "sources", "lint"):     # each put back as it was after the test
        monkeypatch.delitem(sys.modules, f"analysis.engines.{name}", raising=False)
        monkeypatch.delattr(analysis.engines, name, raising=False)
    db = tmp_path / "plain.duckdb"
    assert main(["--db", str(db), "rollup", "--lake", str(built["lake"])]) == 2
    assert "pip install 'capi-audit[engines]'" in capsys.readouterr().err
    monkeypatch.setenv("CAPI_AUDIT_LAKE", str(built["lake"]))
    assert main(["--db", str(db), "sync"]) == 1
    assert "capi-audit[engines]" in capsys.readouterr().err


def test_rollups_of_other_defining_settings_are_refused(built, tmp_path, capsys, monkeypatch):
    db = tmp_path / "s.duckdb"
    argv = ["--db", str(db), "rollup", "--lake", str(built["lake"]), "--since", built["days"][0].isoformat(),
            "--until", built["days"][0].isoformat()]
    assert main(argv) == 0
    monkeypatch.setenv("CAPI_AUDIT_DEDUP__WINDOW_HOURS", "24")
    assert main(argv) == 2
    assert "other values of dedup.window_hours" in capsys.readouterr().err


def test_a_folder_that_is_not_a_lake_is_refused(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "x.duckdb"), "rollup", "--lake", str(tmp_path)]) == 2
    assert "not a capi-audit lake" in capsys.readouterr().err
    assert main(["--db", str(tmp_path / "x.duckdb"), "rollup", "--engine", "bigquery", "--lake", str(tmp_path)]) == 2


@pytest.mark.parametrize("dialect", WAREHOUSES)
def test_warehouse_sql_matches_the_golden_files(dialect):
    got = compile_sql.statements(dialect, 48, *command.bounds(date(2026, 10, 1), date(2026, 10, 31)))
    folder = GOLDEN / dialect
    if os.environ.get(REGOLD) == "1":
        folder.mkdir(parents=True, exist_ok=True)
        for name, sql in got.items():
            (folder / f"{name}.sql").write_text(sql, encoding="utf-8")
    want = {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.sql"))}
    assert sorted(want) == sorted(got), f"golden files missing: run with {REGOLD}=1"
    for name in got:
        assert got[name] == want[name], f"{dialect}/{name}.sql differs: review, then regenerate with {REGOLD}=1"
