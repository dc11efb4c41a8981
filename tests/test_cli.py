"""The command line end to end: ingest summaries and exit codes, report JSON on stdout only."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from analysis.cli import main
from analysis.report import report_schema

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def test_ingest_every_sample_then_report(tmp_path, capsys):
    db = str(tmp_path / "my-audit.duckdb")      # a hyphen in the file name is a quoted catalog name
    for kind, name, extra in [
        ("orders", "orders.csv", []), ("orders", "orders-shopify.csv", []),
        ("deployments", "deployments.csv", []), ("server-events", "server-events.jsonl", ["--pixel-id", "1234567890"]),
        ("browser-events", "browser-events.jsonl", []), ("browser-events", "browser-events.har", []),
        ("browser-events", "pixel-requests.log", []), ("meta-quality", "meta-quality.json", []),
        ("meta-stats", "meta-stats.jsonl", []),
    ]:
        assert main(["--db", db, "ingest", kind, str(SAMPLES / name), *extra]) == 0, (kind, name)
    err = capsys.readouterr().err
    assert "loaded" in err and "Top reject reasons" in err
    assert main(["--db", db, "report", "--since", "2026-10-01", "--until", "2026-10-03"]) == 0
    captured = capsys.readouterr()
    rep = json.loads(captured.out)          # stdout is the report alone
    jsonschema.validate(rep, report_schema())
    purchase = [e for e in rep["events"] if e["event_name"] == "Purchase"][0]
    assert purchase["server_events"] > 0 and purchase["browser_events"] > 0
    assert purchase["dedup"]["matched"] > 0
    assert any(d["backend_orders"] for d in rep["discrepancy"]["days"])


def test_ingest_exit_codes(tmp_path, capsys):
    db = str(tmp_path / "a.duckdb")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert main(["--db", db, "ingest", "server-events", str(bad)]) == 1          # nothing could be read
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"pixel_id":"1","event_name":"Lead","event_time":1790856000}\nnope\n')
    assert main(["--db", db, "ingest", "server-events", str(mixed)]) == 0
    assert main(["--db", db, "ingest", "server-events", "--strict", str(mixed)]) == 1
    assert main(["--db", db, "ingest", "server-events", str(tmp_path / "missing.jsonl")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_report_to_a_file_and_bad_window(tmp_path, capsys):
    db = str(tmp_path / "a.duckdb")
    main(["--db", db, "ingest", "server-events", str(SAMPLES / "server-events.jsonl"), "--pixel-id", "1"])
    out = tmp_path / "r.json"
    assert main(["--db", db, "report", "--output", str(out)]) == 0
    assert json.loads(out.read_text())["window"]["until"] == "2026-10-03"   # latest day with data
    capsys.readouterr()
    assert main(["--db", db, "report", "--since", "2026-10-05", "--until", "2026-10-01"]) == 2
    assert main(["--db", db, "report", "--tz", "Mars/Olympus"]) == 2
    assert main(["--db", str(tmp_path / "none.duckdb"), "report"]) == 2
    err = capsys.readouterr().err
    assert "is after" in err and "Unknown time zone" in err and "No database at" in err
