"""Mistakes a user can make on the command line end in one sentence on stderr (exit 2), never a traceback."""
from __future__ import annotations

import json

import pytest

from analysis.cli import main
from tests.scenario import Scenario, sev


def _one_line(err: str) -> str:
    assert "Traceback" not in err and "Error:" not in err
    return " ".join(err.split())


def test_markup_in_names_and_paths_prints_literally(tmp_path, capsys):
    db = str(tmp_path / "a.duckdb")
    assert main(["--db", db, "deploy", "release[/b]", "--at", "2026-10-02T00:00:00Z"]) == 0
    assert "Recorded deployment 'release[/b]'" in _one_line(capsys.readouterr().err)
    assert main(["--db", db, "deploy", "release[/b]", "--at", "2026-10-02T00:00:00Z"]) == 0
    assert "Deployment 'release[/b]' at 2026-10-02T00:00:00Z was already recorded" in capsys.readouterr().err
    missing = tmp_path / "[red]missing[/b].jsonl"
    assert main(["--db", db, "ingest", "server-events", str(missing)]) == 1
    assert f"error {missing} does not exist" in _one_line(capsys.readouterr().err)
    assert main(["--db", db, "trace", "[/i]nothing"]) == 1
    assert "Nothing is known about '[/i]nothing'" in capsys.readouterr().err
    assert main(["--db", db, "lint", "--rule", "[/b]"]) == 2
    assert "Unknown rule '[/b]'" in capsys.readouterr().err


def test_trace_prints_stored_names_literally(tmp_path, capsys):
    sc = Scenario(tmp_path)
    sc.server(sev("Lead[/b]", "2026-10-01T10:00:00", "x[/i]"))
    sc.browser("Lead[/b]", "2026-10-01T10:00:01", "x[/i]")
    sc.ingest()
    assert main(["--db", str(sc.db), "trace", "x[/i]"]) == 0
    out = capsys.readouterr().out
    assert "Lead[/b]" in out and "Lead[/b] x[/i]: paired" in out


@pytest.mark.parametrize("argv", [
    ["report", "--since", "0001-01-01"], ["report", "--until", "9999-12-31"], ["check", "--since", "0001-01-01"],
    ["lint", "--since", "9999-12-30"], ["sync", "--since", "0001-01-01"]])
def test_extreme_dates_are_a_sentence(tmp_path, capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        main(["--db", str(tmp_path / "a.duckdb"), *argv])
    assert exit_.value.code == 2
    err = _one_line(capsys.readouterr().err)
    assert f"is out of range: give a day from 1970-01-01 to 2999-12-31" in err and "Overflow" not in err


def test_output_to_a_missing_folder_or_a_folder(tmp_path, capsys):
    sc = Scenario(tmp_path)
    sc.server(sev("Lead", "2026-10-01T10:00:00", "l1"))
    sc.ingest()
    db = str(sc.db)
    missing = tmp_path / "nope" / "r.json"
    assert main(["--db", db, "report", "--output", str(missing)]) == 2
    assert f"--output {missing}: the folder {missing.parent} does not exist" in _one_line(capsys.readouterr().err)
    assert main(["--db", db, "lint", "--output", str(tmp_path)]) == 2
    assert f"--output {tmp_path} is a folder" in _one_line(capsys.readouterr().err)
    assert main(["--db", db, "report", "--output", "/proc/capi-audit-report.json"]) == 2     # refused on write
    assert "Cannot write --output /proc/capi-audit-report.json (" in _one_line(capsys.readouterr().err)
    assert main(["--db", db, "report", "--output", str(tmp_path / "r.json")]) == 0
    assert json.loads((tmp_path / "r.json").read_text())["window"]["since"] == "2026-09-02"


def test_a_database_path_through_a_file_is_a_sentence(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["--db", str(tmp_path / "file" / "a.duckdb"), "deploy", "x"]) == 2
    err = _one_line(capsys.readouterr().err)
    assert err.startswith("error Cannot use") and "check the path" in err
