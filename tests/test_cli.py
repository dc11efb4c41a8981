"""The command line end to end: ingest summaries and exit codes, report JSON on stdout only."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

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


def test_non_finite_values_give_valid_json_and_never_pass(tmp_path, capsys):
    # A store written by an older or buggy version: infinite and NaN doubles straight in the tables.
    from analysis import store
    from tests.scenario import Scenario, sev

    sc = Scenario(tmp_path)
    sc.order("1", "2026-10-01T09:00:00")
    sc.server(sev("Purchase", "2026-10-01T09:01:00", "order-1", custom_data={"value": 10.0, "currency": "USD"}))
    sc.snapshot("2026-10-01T12:00:00Z", {"Purchase": 9.0})
    sc.ingest()
    with store.writer(sc.db) as con:
        con.execute("UPDATE meta_quality_events SET composite_score = CAST('1e309' AS DOUBLE)")
        con.execute("UPDATE server_events SET value = CAST('nan' AS DOUBLE)")
        con.execute("UPDATE orders SET total = CAST('-inf' AS DOUBLE)")
    window = ["--since", "2026-10-01", "--until", "2026-10-01"]
    assert main(["--db", str(sc.db), "report", *window]) == 0
    rep = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    jsonschema.validate(rep, report_schema())
    assert rep["events"][0]["emq_meta"] is None
    assert rep["discrepancy"]["days"][0]["server_value"] is None
    emq = [i for i in rep["checklist"] if i["id"] == "emq"][0]
    assert emq["status"] == "unknown" and "no valid score" in emq["evidence"].lower()
    assert main(["--db", str(sc.db), "check", *window, "--format", "json"]) == 0
    out = capsys.readouterr().out
    items = {i["id"]: i for i in json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))["checklist"]}
    assert items["emq"]["status"] == "unknown"
    assert main(["--db", str(sc.db), "check", *window]) == 0
    assert main(["--db", str(sc.db), "report", *window, "--format", "markdown"]) == 0
    assert main(["--db", str(sc.db), "lint", "--reconciliation", *window]) == 0
    text = capsys.readouterr().out
    assert "inf ≥" not in text and "emq" in text and "unknown" in text
    assert not re.search(r"\b(?:inf|nan|Infinity|NaN)\b", text)
