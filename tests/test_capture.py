"""capture's parts: the envelope without secrets, mirror records, the journal, the log-dir layout, the estimate."""
from __future__ import annotations

import gzip
import json
import os
from datetime import datetime
from urllib.parse import urlencode

import httpx
import pytest

from analysis import store
from analysis.capture import envelope, mirror
from analysis.capture.journal import Journal
from analysis.capture.server import ListenError, parse_listen
from analysis.cli import main
from analysis.ingest import expand
from analysis.metrics import mirror as mirror_metric
from analysis.metrics import scope

TOKEN = "EAAGsecretTOKENvalue987654321"
EV = {"event_name": "Purchase", "event_time": 1790856000, "event_id": "o-1", "user_data": {"em": "a@b.example"}}


def call(body: bytes = b"", content_type: str = "application/json", query: str = "", **kw) -> envelope.Call:
    return envelope.Call(pixel_id="111", sent_at="2026-10-01T12:00:00.000001Z", path="/v25.0/111/events",
                         query=query, content_type=content_type, content_encoding=kw.pop("content_encoding", ""),
                         body=body, **kw)


def logged(c: envelope.Call) -> dict:
    text = envelope.line(c)
    assert text.endswith(b"\n") and text.count(b"\n") == 1 and TOKEN.encode() not in text
    return json.loads(text)


def test_a_json_body_keeps_everything_but_the_secrets():
    body = json.dumps({"data": [EV], "access_token": TOKEN, "appsecret_proof": "p" * 64, "test_event_code": "T1"})
    c = call(body.encode(), query=f"access_token={TOKEN}", status=200, response_body=b'{"events_received": 1}',
             upstream_ms=12.5)
    assert logged(c) == {"pixel_id": "111", "sent_at": "2026-10-01T12:00:00.000001Z",
                         "request": {"data": [EV], "test_event_code": "T1"},
                         "response": {"status": 200, "body": {"events_received": 1}},
                         "capture": {"path": "/v25.0/111/events", "upstream_ms": 12.5}}


FORM = urlencode({"data": json.dumps([EV]), "access_token": TOKEN})


@pytest.mark.parametrize("body, content_type, query, extra", [
    # The form an SDK posts, the query string only, gzip, a `data` string inside JSON, and Bearer auth.
    (FORM.encode(), "application/x-www-form-urlencoded; charset=UTF-8", "", {}),
    (b"", "", FORM, {}),
    (gzip.compress(json.dumps({"data": [EV], "access_token": TOKEN}).encode()), "application/json", "",
     {"content_encoding": "gzip"}),
    (json.dumps({"data": json.dumps([EV])}).encode(), "text/plain", "", {"authorization": f"Bearer {TOKEN}"}),
])
def test_every_encoding_becomes_the_same_request(body, content_type, query, extra):
    assert logged(call(body, content_type, query, **extra))["request"] == {"data": [EV]}


def test_the_token_is_removed_wherever_it_hides():
    ev = dict(EV, custom_data={"note": TOKEN})                     # copied into an event by mistake
    got = logged(call(json.dumps({"data": [ev], "access_token": TOKEN}).encode()))
    assert got["request"]["data"][0]["custom_data"] == {"note": "[removed]"}
    got = logged(call(json.dumps({"data": [ev]}).encode(), authorization=f"Bearer {TOKEN}"))   # header only
    assert got["request"]["data"][0]["custom_data"] == {"note": "[removed]"}
    broken = f'{{"data": [, "access_token": "{TOKEN}"'             # not JSON: kept as text, scrubbed
    assert logged(call(broken.encode()))["request"] == '{"data": [, "access_token": "[removed]"'


def test_a_meta_error_and_a_timeout():
    err = {"error": {"message": "Invalid parameter", "code": 100, "error_subcode": 2804001, "fbtrace_id": "x"}}
    got = logged(call(json.dumps({"data": [EV]}).encode(), status=400, response_body=json.dumps(err).encode()))
    assert got["response"] == {"status": 400, "body": err}
    got = logged(call(json.dumps({"data": [EV]}).encode(), error="Meta did not answer within 20 s",
                      status_to_sender=504))
    assert "response" not in got
    assert got["capture"] == {"path": "/v25.0/111/events", "upstream_ms": None,
                              "error": "Meta did not answer within 20 s", "status_to_sender": 504}


def test_a_call_meta_never_answered_is_not_counted_as_received(tmp_path):
    body = json.dumps({"data": [EV]}).encode()
    log = tmp_path / "server-events" / "2026-10-01.jsonl"
    log.parent.mkdir()
    calls = [call(body, status=200, response_body=b'{"events_received": 1}'),
             call(body, error="could not reach https://graph.facebook.com: ConnectError: refused", status_to_sender=502),
             call(body, error="Meta did not answer within 20 s", status_to_sender=504)]
    for n, c in enumerate(calls, 1):
        c.sent_at = f"2026-10-01T12:00:0{n}Z"
    own = {"pixel_id": "111", "sent_at": "2026-10-01T12:00:04Z", "request": {"data": [EV]}}   # no response: unknown
    log.write_bytes(b"".join(envelope.line(c) for c in calls) + json.dumps(own).encode() + b"\n")
    db = tmp_path / "db.duckdb"
    assert main(["--db", str(db), "ingest", "server-events", str(tmp_path)]) == 0
    con = store.connect(db)
    assert con.execute("SELECT CAST(sent_at AS VARCHAR), rejected, response_status FROM server_events "
                       "ORDER BY sent_at").fetchall() == [
        ("2026-10-01 12:00:01", False, 200), ("2026-10-01 12:00:02", True, None),
        ("2026-10-01 12:00:03", True, None), ("2026-10-01 12:00:04", False, None)]
    scope.prepare(con, scope.Scope(datetime(2026, 10, 1).date(), datetime(2026, 10, 1).date(), "UTC"))
    # What the discrepancy, coverage and EMQ count as received by Meta: the answered call and the unknown one.
    assert con.execute("SELECT count(*) FROM m_server").fetchall() == [(2,)]
    con.close()


def test_mirror_records_keep_only_known_fields():
    body = json.dumps([{"pixel_id": 111, "event_name": "Lead", "event_id": 42, "event_time": 1790856000123,
                        "event_source_url": "https://s.example/", "fbp": "fb.1.1.2", "fbc": None, "em": "x@y.z"}])
    assert mirror.records(body.encode(), "2026-10-01T12:00:01.000000Z", "UA/1") == [
        {"source": "mirror", "pixel_id": "111", "event_name": "Lead", "event_id": "42",
         "event_source_url": "https://s.example/", "fbp": "fb.1.1.2", "event_time": 1790856000123,
         "received_at": "2026-10-01T12:00:01.000000Z", "client_user_agent": "UA/1"}]


@pytest.mark.parametrize("body, message", [
    (b"[]", "send 1 to 50 events"),
    (b'{"pixel_id": "abc", "event_name": "Lead", "event_time": 1}', "event 1: pixel_id must be the pixel's number"),
    (b'{"pixel_id": "1", "event_time": 1790856000}', "event 1: event_name is missing"),
    (b'{"pixel_id": "1", "event_name": "Lead", "event_time": "soon"}',
     "event 1: event_time must be Unix time (the snippet sends Date.now(), milliseconds)"),
    (b'{"pixel_id": "1", "event_name": ["Lead"], "event_time": 1790856000}',
     "event 1: event_name must be a string of at most 100 characters"),
    (b" " * (mirror.MAX_BODY + 1), "body is larger than 65536 bytes"),
])
def test_mirror_rejects_what_the_snippet_never_sends(body, message):
    with pytest.raises(mirror.MirrorError) as exc:
        mirror.records(body, "2026-10-01T12:00:01Z")
    assert str(exc.value) == message


def test_the_journal_rotates_by_day_and_survives_a_moved_file(tmp_path):
    j = Journal(tmp_path)
    j.put("server-events", "2026-10-01", lambda: b'{"n": 1}\n')
    j.put("server-events", "2026-10-02", lambda: b'{"n": 2}\n')
    j.flush()
    (tmp_path / "server-events" / "2026-10-02.jsonl").rename(tmp_path / "moved.jsonl")   # logrotate, by hand
    j.put("server-events", "2026-10-02", lambda: b'{"n": 3}\n')
    j.put("browser-events", "2026-10-02", lambda: 1 / 0)        # a broken record is skipped, not fatal
    j.put("browser-events", "2026-10-02", lambda: b'{"n": 4}\n')
    j.close()
    assert (tmp_path / "server-events" / "2026-10-01.jsonl").read_bytes() == b'{"n": 1}\n'
    assert (tmp_path / "moved.jsonl").read_bytes() == b'{"n": 2}\n'
    assert (tmp_path / "server-events" / "2026-10-02.jsonl").read_bytes() == b'{"n": 3}\n'
    assert (tmp_path / "browser-events" / "2026-10-02.jsonl").read_bytes() == b'{"n": 4}\n'
    assert (j.written, j.failed, j.dropped) == (4, 1, 0)


def test_a_line_cut_by_a_failed_write_cannot_swallow_the_next(tmp_path, monkeypatch):
    j = Journal(tmp_path)
    real, calls = os.write, []

    def flaky(fd: int, data: memoryview) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real(fd, data[:4])           # a short write, then the disk is full
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr("analysis.capture.journal.os.write", flaky)
    j.warn = lambda m: None
    j.put("server-events", "2026-10-01", lambda: b'{"n": 1}\n')
    j.put("server-events", "2026-10-01", lambda: b'{"n": 2}\n')
    j.close()
    assert (tmp_path / "server-events" / "2026-10-01.jsonl").read_bytes() == b'{"n"\n{"n": 2}\n'


def test_a_capture_dir_gives_each_kind_its_own_files(tmp_path):
    for rel in ("server-events/2026-10-01.jsonl", "server-events/2026-10-02.jsonl", "browser-events/2026-10-01.jsonl"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text("")
    assert [p.relative_to(tmp_path).as_posix() for p in expand([tmp_path], "server-events")] == [
        "server-events/2026-10-01.jsonl", "server-events/2026-10-02.jsonl"]
    assert [p.relative_to(tmp_path).as_posix() for p in expand([tmp_path], "browser-events")] == [
        "browser-events/2026-10-01.jsonl"]
    assert expand([tmp_path], "orders") == []
    (tmp_path / "server-events").rename(tmp_path / "old")     # no server-events/ yet: never the mirror's files
    assert [p.relative_to(tmp_path).as_posix() for p in expand([tmp_path], "server-events")] == [
        "old/2026-10-01.jsonl", "old/2026-10-02.jsonl"]


@pytest.mark.parametrize("text, want", [("127.0.0.1:8787", ("127.0.0.1", 8787)), ("[::1]:0", ("::1", 0)),
                                        (":9000", ("0.0.0.0", 9000))])
def test_listen_addresses(text, want):
    assert parse_listen(text) == want


def test_capture_command_explains_bad_arguments(capsys):
    assert main(["capture", "--listen", "8787"]) == 2
    assert "--listen '8787' must look like 127.0.0.1:8787" in capsys.readouterr().err
    assert main(["capture", "--upstream", "graph.facebook.com"]) == 2
    assert "must be a URL such as https://graph.facebook.com" in capsys.readouterr().err
    with pytest.raises(ListenError):
        parse_listen("127.0.0.1:99999")


def _browser(con, rows):
    cols = "event_uid, ingestion_id, source, pixel_id, event_name, event_id, event_time"
    con.executemany(f"INSERT INTO browser_events ({cols}) VALUES (?, 1, ?, ?, ?, ?, ?)",
                    [[str(n), *r] for n, r in enumerate(rows)])


def test_the_estimate_of_browser_events_that_never_reached_meta(tmp_path):
    t = datetime(2026, 10, 1, 12)
    con = store.connect(tmp_path / "db.duckdb")
    _browser(con, [
        ("mirror", "111", "Purchase", "o-1", t), ("har", "111", "Purchase", "o-1", t),         # seen by the pixel
        ("mirror", "111", "Purchase", "o-2", t), ("har", "111", "Purchase", "o-2", datetime(2026, 10, 4)),  # > 48 h
        ("mirror", "111", "Purchase", "o-3", t),                                                # blocked
        ("mirror", "111", "Purchase", None, t),                                                 # no id: unpaired
        ("mirror", "111", "Lead", "l-1", t), ("har", "111", "lead", "l-1", t),                  # name differs
        ("mirror", "222", "Purchase", "o-9", t),                                                # no pixel copies at all
    ])
    scope.prepare(con, scope.Scope(datetime(2026, 10, 1).date(), datetime(2026, 10, 1).date(), "UTC"))
    assert mirror_metric.by_event(con) == [
        mirror_metric.MirrorGap("111", "Lead", 1, 1, 1, 1.0),
        mirror_metric.MirrorGap("111", "Purchase", 4, 3, 2, 2 / 3),
        mirror_metric.MirrorGap("222", "Purchase", 1, 1, 1, None),
    ]
    con.close()


def test_collect_honours_the_allowed_origins(tmp_path):
    from analysis.capture import Background, Settings

    bg = Background(Settings(upstream="http://127.0.0.1:9", log_dir=tmp_path,
                             allow_origins=("https://shop.example",))).start()
    body = {"pixel_id": "111", "event_name": "Lead", "event_time": 1790856000123}
    try:
        with httpx.Client(base_url=bg.url) as c:
            ok = c.post("/collect", json=body, headers={"Origin": "https://shop.example"})
            other = c.post("/collect", json=body, headers={"Origin": "https://evil.example"})
            pre = c.options("/collect", headers={"Origin": "https://evil.example"})
            get = c.get("/collect", headers={"Origin": "https://shop.example"})
        bg.app.journal.flush()
    finally:
        bg.stop()
    assert (ok.status_code, ok.headers["access-control-allow-origin"], ok.headers["vary"]) == (
        204, "https://shop.example", "Origin")
    assert (other.status_code, pre.status_code, get.status_code) == (403, 403, 405)
    assert len([x for f in tmp_path.rglob("*.jsonl") for x in f.read_text().splitlines()]) == 1


def test_only_files_the_command_line_cannot_change_are_skipped(tmp_path):
    from analysis.ingest import Options, ingest_file

    path = tmp_path / "mirror.jsonl"
    path.write_text('{"source": "mirror", "pixel_id": "111", "event_name": "Lead", "event_time": 1790856000123}\n')
    db = tmp_path / "db.duckdb"
    runs = [ingest_file(db, "browser-events", path, Options()), ingest_file(db, "browser-events", path, Options()),
            ingest_file(db, "browser-events", path, Options(pixel_id="222"))]
    assert [(r.rows_read, r.loaded, r.duplicates, r.unchanged) for r in runs] == [
        (1, 1, 0, False), (1, 0, 1, True), (1, 0, 1, False)]
