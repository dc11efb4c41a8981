"""Many files in one ingest: an unreadable one is a one-line error and the rest load; re-reading a file never doubles its rejects."""
from __future__ import annotations

import builtins
import json
import os
from pathlib import Path

import pytest

from analysis import report, store
from analysis.cli import main
from analysis.ingest import Options, ingest_file
from tests.test_ingest_server import env, ev, rows, write


@pytest.fixture
def logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A log directory: two good files, a pipe, a link to a file that is gone, and one we may not read.

    Tests run as root here, where chmod 000 does not stop a read: `open` is patched to refuse that
    one file as the system would (PermissionError). The pipe and the dangling link are real.
    """
    d = tmp_path / "logs"
    d.mkdir()
    write(d, [env(ev(eid="a-1"), ev(eid="a-2"))], name="a.jsonl")
    write(d, [env(ev(eid="d-1"), sent_at="2026-10-01T12:00:09Z")], name="d.jsonl")
    os.mkfifo(d / "b-pipe.jsonl")
    (d / "c-gone.jsonl").symlink_to(d / "deleted.jsonl")
    locked = write(d, [env(ev(eid="c-1"))], name="c-locked.jsonl")
    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):
        if str(file) == str(locked):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    return d


def test_unreadable_files_are_one_line_errors_and_the_others_load(logs: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]):
    db = tmp_path / "audit.duckdb"
    assert main(["--db", str(db), "ingest", "server-events", str(logs)]) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("error ")] == [
        f"error {logs / 'b-pipe.jsonl'} does not exist or is not a file.",
        f"error {logs / 'c-gone.jsonl'} does not exist or is not a file.",
        f"error {logs / 'c-locked.jsonl'}: cannot be read (Permission denied); check that it exists and that "
        "this user may read it.",
    ]
    assert "ingest server-events" in err and "Traceback" not in err          # the summary printed
    assert rows(db, "SELECT event_id FROM server_events ORDER BY 1") == [("a-1",), ("a-2",), ("d-1",)]
    assert rows(db, "SELECT count(*) FROM ingestions") == [(2,)]
    # --strict: any file that could not be read fails the run (the readable ones still load).
    assert main(["--db", str(db), "ingest", "--strict", "server-events", str(logs)]) == 1


def test_nothing_readable_exits_non_zero(logs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    db = tmp_path / "audit.duckdb"
    assert main(["--db", str(db), "ingest", "server-events", str(logs / "c-locked.jsonl"),
                 str(logs / "b-pipe.jsonl")]) == 1
    assert "cannot be read (Permission denied)" in capsys.readouterr().err


def test_reingesting_a_bad_file_does_not_double_its_rejects(tmp_path: Path):
    db = tmp_path / "audit.duckdb"
    bad = write(tmp_path, [env(ev(eid="ok-1")), "not json", json.dumps(env(ev(eid="x", t="soon"))), "not json"],
                name="bad.jsonl")
    other = write(tmp_path, ["not json"], name="other.jsonl")
    for path in (bad, bad, other, bad):
        ingest_file(db, "server-events", path, Options())
    with store.reader(db) as con:
        src = report.sources(con)
    assert src["reject_reasons"] == [{"reason": "line is not valid JSON", "n": 3},
                                     {"reason": "event_time is not a number", "n": 1}]
    assert [(r["file"], r["line"]) for r in src["rejects"]] == [(str(bad), 2), (str(bad), 3), (str(bad), 4),
                                                                 (str(other), 1)]
    assert rows(db, "SELECT count(*) FROM rejects") == [(10,)]     # the history itself is kept
