"""Tests for analysis.ingest.deployments: CSV and JSON lists, rejects with their line, idempotent re-ingest."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb

from analysis.ingest import Options, ingest_file

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def _rows(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT * EXCLUDE (ingestion_id) FROM deployments ORDER BY deployed_at, name").fetchall()
    finally:
        con.close()


def test_sample_csv(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "deployments", SAMPLES / "deployments.csv", Options())
    assert (res.error, res.rows_read, res.loaded, res.rejects) == (None, 3, 3, [])
    assert _rows(db) == [
        (datetime(2026, 10, 2, 10, 30), "server-sdk-3.0", "Upgrade the server-side tracking SDK to 3.0", "server",
         "1234567890"),
        (datetime(2026, 10, 2, 16, 0), "theme-autumn", "Autumn theme: new homepage, PDP and thank-you page", "theme",
         None),
        (datetime(2026, 10, 3, 8, 0), "checkout-v2", "New one-page checkout with address autocomplete", "checkout",
         "1234567890"),
    ]


def test_reingest_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    ingest_file(db, "deployments", SAMPLES / "deployments.csv", Options())
    res = ingest_file(db, "deployments", SAMPLES / "deployments.csv", Options())
    assert (res.error, res.loaded, res.duplicates) == (None, 0, 3)
    assert len(_rows(db)) == 3


def test_json_list(tmp_path: Path) -> None:
    path = tmp_path / "deploys.json"
    path.write_text(json.dumps([
        {"deployed_at": "2026-10-02T12:30:00+02:00", "name": "gtm-v12", "component": "gtm", "pixel_id": ""},
        {"deployed_at": 1791057600, "name": "server-sdk-3.1", "description": "Patch", "pixel_id": "1234567890"},
        {"deployed_at": "2026-10-04T08:00:00Z", "description": "no name"},
        "not an object",
        {"deployed_at": "last Tuesday", "name": "theme-winter"},
        {"deployed_at": "1999-12-31T00:00:00Z", "name": "y2k"},
    ]))
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "deployments", path, Options())
    assert (res.error, res.rows_read, res.loaded) == (None, 6, 2)
    assert [(r.line, r.reason) for r in res.rejects] == [
        (3, "record 3: name is empty"),
        (4, "record 4: not a JSON object"),
        (5, "record 5: deployed_at is not a recognised timestamp"),
        (6, "record 6: deployed_at is outside 2015–2100"),
    ]
    assert _rows(db) == [
        (datetime(2026, 10, 2, 10, 30), "gtm-v12", None, "gtm", None),
        (datetime(2026, 10, 3, 20, 0), "server-sdk-3.1", "Patch", None, "1234567890"),
    ]
    again = ingest_file(db, "deployments", path, Options())
    assert (again.loaded, again.duplicates) == (0, 2)


def test_csv_row_without_name_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("Deployed_At,Name,Component\n"
                    "2026-10-02T10:30:00Z,a,server\n"
                    "2026-10-02T11:30:00Z,,theme\n"
                    ",b,theme\n"
                    "2026-10-02 08:00:00 -0400,c,\n"
                    "2026-10-02 08:00:00 -0400,c,checkout\n")
    db = tmp_path / "db.duckdb"
    res = ingest_file(db, "deployments", path, Options())
    assert (res.error, res.rows_read, res.loaded) == (None, 4, 2)
    assert [(r.line, r.reason) for r in res.rejects] == [(3, "line 3: name is empty"), (4, "line 4: deployed_at is empty")]
    # The same (deployed_at, name) twice in one file: the later row wins.
    assert _rows(db) == [(datetime(2026, 10, 2, 10, 30), "a", None, "server", None),
                         (datetime(2026, 10, 2, 12, 0), "c", None, "checkout", None)]


def test_unrecognised_files_say_what_is_needed(tmp_path: Path) -> None:
    csv_path = tmp_path / "d.csv"
    csv_path.write_text("when,what\n2026-10-02T10:30:00Z,a\n")
    res = ingest_file(tmp_path / "db.duckdb", "deployments", csv_path, Options())
    assert res.error == ("d.csv: no column for deployed_at, name (its columns are when, what). Deployments need "
                         "columns named deployed_at and name (optional: description, component, pixel_id).")
    json_path = tmp_path / "d.json"
    json_path.write_text('{"deployed_at": "2026-10-02T10:30:00Z", "name": "a"}')
    res = ingest_file(tmp_path / "db.duckdb", "deployments", json_path, Options())
    assert res.error == ('d.json holds a JSON object; deployments in JSON are a list of objects such as '
                         '[{"deployed_at": "2026-10-02T10:30:00Z", "name": "checkout-v2"}].')
