"""export parquet: the canonical tables as a Hive-partitioned lake that reads back value for value."""
from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from analysis import export_lake, store
from analysis.cli import main
from tests.scenario import Scenario, h, sev, ud

EMAIL = "Mary.Plain@Example.com"


@pytest.fixture
def sc(tmp_path: Path) -> Scenario:
    s = Scenario(tmp_path)
    s.server(sev("Purchase", "2026-10-01T10:00:00", "p1", value=5.5, currency="USD", custom_data={"order_id": "o1"},
                 user=ud("em", "ph", "fbp", "client_ip_address", "client_user_agent", em=[h("a@x.com"), h("b@x.com")])))
    s.server(sev("Lead", "2026-10-02T23:59:59", "l1"), pixel="222")
    s.server(sev("Lead", "2026-10-03T00:00:01", "l2"))
    s.browser("Purchase", "2026-10-01T10:00:01", "p1", value=5.5, currency="USD")
    s.browser("Lead", "2026-10-02T12:00:00", "l1", pixel="222")
    s.order("o1", "2026-10-01T09:59:00", email=EMAIL, phone="+1 650 555 1212", pixel_id="111")
    s.order("o2", "2026-10-03T09:00:00", email="other@example.com")
    s.stats("SERVER_ONLY", "2026-10-01T10:00:00", {"Purchase": 1})
    s.snapshot("2026-10-02T00:00:00Z", {"Purchase": 7.5})
    s.deployment("2026-10-01T08:00:00", "v1")
    s.deployment("2026-10-02T08:00:00", "v2", pixel="222")
    s.ingest()
    return s


def _export(sc: Scenario, lake: Path, *extra: str) -> int:
    return main(["--db", str(sc.db), "export", "parquet", str(lake), *extra])


def _lake(lake: Path, table: str) -> str:
    files = [str(p) for p in (lake / table).rglob("*.parquet")]
    return f"read_parquet({files!r}, hive_partitioning=true)"


PARTITIONED = {t.name: bool(t.partition_by) for t in export_lake.TABLES}


@pytest.mark.parametrize("table", [t.name for t in export_lake.TABLES])
def test_every_column_round_trips(sc, tmp_path, capsys, table):
    lake = tmp_path / "lake"
    assert _export(sc, lake) == 0
    with store.reader(sc.db) as con:
        stored_cols = con.execute(f"DESCRIBE {table}").fetchall()
        lake_cols = con.execute(f"DESCRIBE SELECT * FROM {_lake(lake, table)}").fetchall()
        # The partition columns come on top of the stored ones: the row's UTC day and its pixel (owner).
        assert {c[0] for c in lake_cols} - {c[0] for c in stored_cols} == ({"date", "pixel"} if PARTITIONED[table]
                                                                             else set())
        lake_cols = [c for c in lake_cols if c[0] not in ("date", "pixel")]
        # Same columns, same types (lists stay lists, timestamps stay timestamps, ids stay text).
        assert sorted((c[0], c[1]) for c in lake_cols) == sorted((c[0], c[1]) for c in stored_cols)
        names = ", ".join(store.quote_ident(c[0]) for c in stored_cols)
        stored = con.execute(f"SELECT {names} FROM {table}").fetchall()
        read = con.execute(f"SELECT {names} FROM {_lake(lake, table)}").fetchall()
    assert sorted(map(repr, read)) == sorted(map(repr, stored))
    expected = {"server_events": 3, "browser_events": 2, "orders": 2, "meta_stats": 1, "deployments": 2,
                "meta_quality_snapshots": 1, "meta_quality_events": 1, "meta_quality_match_keys": 0, "ad_insights": 0}
    if table in expected:
        assert len(read) == expected[table]
    else:
        assert len(read) > 2


def test_layout_manifest_and_summary(sc, tmp_path, capsys):
    lake = tmp_path / "lake"
    assert _export(sc, lake) == 0
    err = capsys.readouterr().err
    assert "server_events: 3 rows in 3 files by date, pixel" in err
    assert "deployments: 2 rows in 1 file\n" in err
    assert (lake / "server_events/date=2026-10-01/pixel=111/data_0.parquet").is_file()
    assert (lake / "server_events/date=2026-10-02/pixel=222/data_0.parquet").is_file()
    assert (lake / "orders/date=2026-10-01/pixel=111/data_0.parquet").is_file()
    assert (lake / "orders/date=2026-10-03/pixel=__HIVE_DEFAULT_PARTITION__/data_0.parquet").is_file()
    assert (lake / "order_hashes/date=2026-10-01/pixel=111/data_0.parquet").is_file()
    assert (lake / "meta_stats/date=2026-10-01/pixel=111/data_0.parquet").is_file()
    manifest = json.loads((lake / "_manifest.json").read_text())
    assert manifest["schema_version"] == store.SCHEMA_VERSION and manifest["capi_audit_version"]
    assert manifest["window"] == {"since": None, "until": None, "pixel_id": None, "days": "UTC"}
    assert manifest["tables"]["server_events"] == {"rows": 3, "files": 3, "partition_by": ["date", "pixel"]}
    assert manifest["tables"]["deployments"] == {"rows": 2, "files": 1, "partition_by": []}
    assert set(manifest["tables"]) == {t.name for t in export_lake.TABLES}
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name or ".old-" in p.name]


def test_window_and_pixel_filter(sc, tmp_path, capsys):
    lake = tmp_path / "lake"
    assert _export(sc, lake, "--since", "2026-10-02", "--until", "2026-10-02") == 0
    m = json.loads((lake / "_manifest.json").read_text())
    assert m["window"]["since"] == "2026-10-02" and m["window"]["until"] == "2026-10-02"
    rows = {t: v["rows"] for t, v in m["tables"].items()}
    assert rows["server_events"] == 1 and rows["browser_events"] == 1 and rows["orders"] == 0
    assert rows["deployments"] == 1 and rows["meta_stats"] == 0 and rows["meta_quality_snapshots"] == 1
    con = duckdb.connect()
    assert con.execute(f"SELECT event_id, pixel_id, date::VARCHAR FROM {_lake(lake, 'server_events')}").fetchall() \
        == [("l1", "222", "2026-10-02")]

    pix = tmp_path / "pix"
    assert _export(sc, pix, "--pixel-id", "111") == 0
    rows = {t: v["rows"] for t, v in json.loads((pix / "_manifest.json").read_text())["tables"].items()}
    # Pixel 111's events and stats; its order and the order of every pixel; deployments for it or for all.
    assert rows["server_events"] == 2 and rows["browser_events"] == 1 and rows["meta_stats"] == 1
    assert rows["orders"] == 2 and rows["deployments"] == 1 and rows["ad_insights"] == 0
    assert con.execute(f"SELECT DISTINCT pixel_id FROM {_lake(pix, 'server_events')}").fetchall() == [("111",)]
    assert _export(sc, tmp_path / "none", "--pixel-id", "222", "--since", "2026-10-03") == 0
    rows = json.loads((tmp_path / "none" / "_manifest.json").read_text())["tables"]
    assert rows["server_events"] == {"rows": 0, "files": 0, "partition_by": ["date", "pixel"]}
    assert rows["orders"]["rows"] == 1          # o2 belongs to every pixel


def test_second_export_needs_overwrite_and_replaces(sc, tmp_path, capsys):
    lake = tmp_path / "lake"
    assert _export(sc, lake) == 0
    capsys.readouterr()
    assert _export(sc, lake) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{lake} holds an earlier export; add --overwrite to replace it" in err and "Traceback" not in err
    assert _export(sc, lake, "--overwrite", "--since", "2026-10-02") == 0
    m = json.loads((lake / "_manifest.json").read_text())
    assert m["tables"]["server_events"]["rows"] == 2
    con = duckdb.connect()
    # Replaced, not added to: no partition of the first export is left.
    assert con.execute(f"SELECT count(*) FROM {_lake(lake, 'server_events')}").fetchall() == [(2,)]
    assert not (lake / "server_events" / "date=2026-10-01").exists()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name or ".old-" in p.name]


@pytest.mark.parametrize("kind", ["file", "foreign", "missing_parent", "parent_file", "unwritable"])
def test_bad_dir_is_one_sentence(sc, tmp_path, capsys, monkeypatch, kind):
    if kind == "file":
        target = tmp_path / "afile"
        target.write_text("x")
        said = f"{target} is a file; give a folder for the lake"
    elif kind == "foreign":
        target = tmp_path / "mine"
        target.mkdir()
        (target / "notes.txt").write_text("keep")
        said = f"{target} is a folder with other files in it"
    elif kind == "parent_file":
        (tmp_path / "afile").write_text("x")
        target = tmp_path / "afile" / "lake"
        said = f"{tmp_path / 'afile'} is a file, not a folder"
    elif kind == "missing_parent":
        target = tmp_path / "no" / "lake"
        said = f"The folder {target.parent} does not exist"
    else:
        parent = tmp_path / "ro"
        parent.mkdir()
        parent.chmod(0o500)
        if os.geteuid() == 0:       # root writes anywhere: the system's answer for another user is given here
            real = os.access
            monkeypatch.setattr(export_lake.os, "access",
                                lambda p, mode: False if Path(p) == parent else real(p, mode))
        target = parent / "lake"
        said = f"Cannot write in {parent} (permission denied)"
    capsys.readouterr()
    try:
        assert _export(sc, target, "--overwrite") == 2
    finally:
        if kind == "unwritable":
            parent.chmod(0o700)
    err = capsys.readouterr().err
    assert said in " ".join(err.split()) and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    if kind == "foreign":
        assert (target / "notes.txt").read_text() == "keep"


def test_a_failed_write_is_one_sentence_and_leaves_nothing(sc, tmp_path, capsys, monkeypatch):
    def full(*_a, **_k):
        raise duckdb.IOException("IO Error: Could not write file: No space left on device")

    monkeypatch.setattr(export_lake, "_copy", full)
    assert _export(sc, tmp_path / "lake") == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"Cannot write the lake next to {tmp_path / 'lake'} (IO Error: Could not write file: No space left" in err
    assert "Traceback" not in err
    assert list(tmp_path.glob("*lake*")) == []


def test_no_plaintext_email_in_any_byte(sc, tmp_path, capsys):
    lake = tmp_path / "lake"
    assert _export(sc, lake) == 0
    out = capsys.readouterr()
    needles = [EMAIL, EMAIL.lower(), "other@example.com", "a@x.com", "5551212"]
    for path in lake.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in needles:
                assert needle.encode() not in data, (path, needle)
    for needle in needles:
        assert needle not in out.out + out.err
    # The hashes are there: the order's email is findable by its hash, as in the store.
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*) FROM {_lake(lake, 'order_hashes')} WHERE hash = ?",
                       [h(EMAIL.lower())]).fetchall() == [(1,)]


def test_missing_database(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "none.duckdb"), "export", "parquet", str(tmp_path / "lake")]) == 2
    assert "No database at" in capsys.readouterr().err
    assert not (tmp_path / "lake").exists() and not (tmp_path / "none.duckdb").exists()
