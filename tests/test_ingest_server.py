"""server-events ingest: every accepted encoding, rejects, identity and idempotence, no plaintext stored."""
from __future__ import annotations

import gzip
import json
import urllib.parse
from pathlib import Path

import duckdb
import pytest

from analysis.ingest import Options, ingest_file
from tests.scenario import h

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def ev(name="Purchase", t=1790856000, eid="order-1", **extra):
    e = {"event_name": name, "event_time": t, "event_id": eid, "action_source": "website",
         "event_source_url": "https://shop.example.com/thanks",
         "user_data": {"em": [h("a@example.com")], "client_user_agent": "Mozilla/5.0"}}
    e.update(extra)
    return e


def env(*events, sent_at="2026-10-01T12:00:05Z", pixel="111", **extra):
    line = {"pixel_id": pixel, "sent_at": sent_at, "request": {"data": list(events)},
            "response": {"status": 200, "body": {"events_received": len(events)}}}
    line.update(extra)
    return line


def write(tmp: Path, lines: list, name="s.jsonl") -> Path:
    p = tmp / name
    p.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return p


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_encoding_loads(tmp_path):
    form = "data=" + urllib.parse.quote(json.dumps([ev(eid="form-1")])) + "&access_token=EAAB-secret-token&test_event_code=T1"
    p = write(tmp_path, [
        env(ev(eid="env-1"), ev("AddToCart", eid="env-2")),
        {"data": [ev(eid="body-1")]},                                        # bare body: --pixel-id
        ev(eid="bare-1"),                                                    # bare event
        env(json.dumps(ev(eid="sdk-1"))),                                    # SDK: items as JSON strings
        {"pixel_id": "111", "sent_at": "2026-10-01T12:01:00Z", "request": form},   # form-encoded body
        env(ev(eid="str-time", t="1790856001")),                             # event_time as digits
        env(ev(eid="ms-time", t=1790856002000)),                             # milliseconds
    ])
    res = ingest_file(tmp_path / "db.duckdb", "server-events", p, Options(pixel_id="111"))
    assert res.error is None and res.rejects == []
    assert res.loaded == 8 and res.rows_read == 8
    got = dict(rows(tmp_path / "db.duckdb", "SELECT event_id, event_time_unit FROM server_events"))
    assert sorted(got) == ["bare-1", "body-1", "env-1", "env-2", "form-1", "ms-time", "sdk-1", "str-time"]
    assert got["ms-time"] == "ms" and got["str-time"] == "s"
    assert rows(tmp_path / "db.duckdb", "SELECT test_event_code FROM server_events WHERE event_id = 'form-1'") == [("T1",)]
    assert rows(tmp_path / "db.duckdb", "SELECT CAST(event_time AS VARCHAR) FROM server_events WHERE event_id = 'ms-time'") == [("2026-10-01 12:00:02",)]


def test_bad_records_are_counted_rejects_and_the_rest_loads(tmp_path):
    p = write(tmp_path, [
        env(ev(eid="ok-1")),
        "this is not json {",
        "",                                                            # blank: skipped, not a reject
        "[1, 2]",
        env(ev(eid="ok-2"), {"event_time": 1790856000}, ev(eid="ok-3", event_name=5)),
        env(ev(eid="bad-time", t="yesterday")),
        env(ev(eid="old", t=1000000000)),                              # 2001: outside 2015–2100
        env(ev(eid="huge", t=1e20)),
        {"pixel_id": "111", "hello": 1},
        {"sent_at": "2026-10-01T12:00:00Z", "request": {"data": [ev(eid="nopixel")]}},
        env("{not json", ev(eid="ok-4")),                              # an SDK string that is not JSON
    ])
    res = ingest_file(tmp_path / "db.duckdb", "server-events", p, Options())
    assert res.loaded == 3
    reasons = {(r.line, r.reason) for r in res.rejects}
    assert reasons == {
        (2, "line is not valid JSON"),
        (4, "line is a JSON array, not an object"),
        (5, "event 2: missing event_name"),
        (5, "event 3: event_name is not a non-empty string"),
        (6, "event 1: event_time is not a number"),
        (7, "event 1: event_time outside 2015–2100"),
        (8, "event 1: event_time is not a number"),
        (9, "not an envelope, request body or server event (no request, data or event_name)"),
        (10, "no pixel_id in the record; pass --pixel-id"),
        (11, "event 1 is not a JSON object"),
    }
    stored = rows(tmp_path / "db.duckdb", "SELECT rows_read, rows_loaded, rows_rejected, status FROM ingestions")
    assert stored == [(13, 3, 10, "partial")]
    assert len(rows(tmp_path / "db.duckdb", "SELECT * FROM rejects")) == 10


def test_rejected_request_keeps_its_events_marked(tmp_path):
    bad = env(ev(eid="r-1"), ev(eid="r-2"))
    bad["response"] = {"status": 400, "body": {"error": {"message": "expired", "code": 190, "error_subcode": 463}}}
    p = write(tmp_path, [bad, env(ev(eid="fine"))])
    ingest_file(tmp_path / "db.duckdb", "server-events", p, Options())
    got = rows(tmp_path / "db.duckdb", "SELECT event_id, rejected, error_code, error_subcode, response_status FROM server_events ORDER BY 1")
    assert got == [("fine", False, None, None, 200), ("r-1", True, 190, 463, 400), ("r-2", True, 190, 463, 400)]


def test_reingest_is_idempotent_and_genuine_repeats_are_kept(tmp_path):
    db = tmp_path / "db.duckdb"
    same = ev(eid="o-1")
    p = write(tmp_path, [env(same), env(same, sent_at="2026-10-01T13:00:00Z"), {"data": [same]}, {"data": [same]}])
    first = ingest_file(db, "server-events", p, Options(pixel_id="111"))
    assert (first.loaded, first.duplicates) == (4, 0)      # two sends + two sent_at-less copies (occurrence)
    again = ingest_file(db, "server-events", p, Options(pixel_id="111"))
    assert (again.loaded, again.duplicates) == (0, 4)
    # The same records from another (gzipped) file add nothing either.
    gz = tmp_path / "copy.jsonl.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    third = ingest_file(db, "server-events", gz, Options(pixel_id="111"))
    assert (third.loaded, third.duplicates) == (0, 4)
    # A new file with one new record adds only that one.
    p2 = write(tmp_path, [env(same), env(ev(eid="o-2"))], "more.jsonl")
    fourth = ingest_file(db, "server-events", p2, Options())
    assert (fourth.loaded, fourth.duplicates) == (1, 1)
    assert rows(db, "SELECT count(*) FROM server_events") == [(5,)]


def test_user_data_flags_and_plaintext_is_hashed_never_stored(tmp_path):
    plain = ev(eid="p", user_data={"em": " Mary@Example.COM ", "ph": "+44 7700 900123", "fn": "Mary",
                                    "fbc": "fb.1.1759310000000.IwAR2xK9vQ.Ag", "fbp": "fb.1.1759310000.123",
                                    "client_ip_address": "2001:db8::7", "external_id": ["", "cust-9"]})
    p = write(tmp_path, [env(plain)])
    db = tmp_path / "db.duckdb"
    ingest_file(db, "server-events", p, Options())
    got = rows(db, """SELECT em, em_p, em_v, em_plain, ph, ph_plain, fn_plain, fbc_v, fbp_v, fbp_p,
                     client_ip_address_v, external_id_p FROM server_events""")[0]
    assert got[0] == [h("mary@example.com")]
    assert got[1:4] == (True, False, True)
    assert got[4] == [h("447700900123")] and got[5] is True and got[6] is True
    assert got[7:] == (True, False, True, True, True)
    # No plaintext anywhere: scan every text column of every table.
    con = duckdb.connect(str(db), read_only=True)
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    for t in tables:
        text = " ".join(str(r) for r in con.execute(f'SELECT * FROM "{t}"').fetchall()).lower()
        for secret in ("mary@example.com", "7700", "mary'", "'mary"):
            assert secret not in text, (t, secret)
    con.close()


def test_a_file_failing_midway_leaves_no_partial_rows(tmp_path, monkeypatch):
    from analysis import ingest as ingest_mod

    db = tmp_path / "db.duckdb"
    p = write(tmp_path, [env(ev(eid="a")), env(ev(eid="b"))])
    calls = {"n": 0}
    real = ingest_mod._merge

    def failing(*args, **kwargs):
        calls["n"] += 1
        real(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest_mod, "_merge", failing)
    with pytest.raises(RuntimeError):
        ingest_file(db, "server-events", p, Options())
    monkeypatch.undo()
    assert calls["n"] == 1
    assert rows(db, "SELECT count(*) FROM server_events") == [(0,)]
    assert rows(db, "SELECT count(*) FROM ingestions") == [(0,)]


def test_sample_file_loads_with_its_deliberate_rejects(tmp_path):
    res = ingest_file(tmp_path / "db.duckdb", "server-events", SAMPLES / "server-events.jsonl", Options(pixel_id="1234567890"))
    assert res.error is None
    assert res.loaded == 24
    assert sorted(r.reason for r in res.rejects) == ["event 1: missing event_name", "line is not valid JSON"]
    # The sample's form-encoded request carries an access token: it must be dropped.
    assert "EAAB" in (SAMPLES / "server-events.jsonl").read_text()
    con = duckdb.connect(str(tmp_path / "db.duckdb"), read_only=True)
    for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
        assert "EAAB" not in " ".join(map(str, con.execute(f'SELECT * FROM "{t}"').fetchall())), t
    con.close()
