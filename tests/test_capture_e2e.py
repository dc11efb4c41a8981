"""capture end to end: a real sender → the proxy → a fake Graph API on loopback; mirror posts; ingest."""
from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from analysis.capture import Background, Settings
from analysis.ingest import Options, expand, ingest_file
from tests.test_ingest_server import rows

TOKEN = "EAAGcaptureTESTtoken0123456789abcdef"
PROOF = "5f3c0ffee5f3c0ffee5f3c0ffee5f3c0ffee0001"
OK, BAD_TOKEN, SLOW = "111", "190190", "504504"     # the fake Graph API answers by pixel id
EVENT_TIME = 1790856000                               # 2026-10-01T12:00:00Z


class FakeGraph(BaseHTTPRequestHandler):
    """Speaks the documented shapes: events_received on success, the Graph error envelope (code 190)."""

    seen: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        pixel = self.path.split("?")[0].strip("/").split("/")[-2]
        headers = {k.lower(): v for k, v in self.headers.items()}
        FakeGraph.seen.append({"path": self.path, "body": body, "headers": headers})
        if pixel == SLOW:
            time.sleep(2.5)     # past the proxy's upstream timeout (1 s)
        if pixel == BAD_TOKEN:
            status, out = 400, {"error": {"message": "Error validating access token: Session has expired.",
                                          "type": "OAuthException", "code": 190, "error_subcode": 463,
                                          "fbtrace_id": "AbCdEf190"}}
        else:
            status, out = 200, {"events_received": 1, "messages": [], "fbtrace_id": "AbCdEf200"}
        self._send(status, out)

    def do_GET(self) -> None:
        self._send(200, {"id": "111", "name": "Test pixel"})

    def _send(self, status: int, doc: dict) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:
            pass        # the proxy gave up on the slow answer already

    def log_message(self, *args: object) -> None:
        pass


class GraphServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128      # the default backlog of 5 drops a burst's connections


@pytest.fixture()
def graph():
    FakeGraph.seen = []
    srv = GraphServer(("127.0.0.1", 0), FakeGraph)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture()
def proxy(graph, tmp_path):
    bg = Background(Settings(upstream=graph, log_dir=tmp_path / "capture", upstream_timeout=1.0)).start()
    yield bg
    bg.stop()


def event(eid: str, name: str = "Purchase", **extra) -> dict:
    e = {"event_name": name, "event_time": EVENT_TIME, "event_id": eid, "action_source": "website",
         "event_source_url": "https://shop.example/thanks",
         "user_data": {"em": ["a" * 64], "client_user_agent": "Mozilla/5.0", "fbp": "fb.1.1790850000000.42"},
         "custom_data": {"value": 59.0, "currency": "EUR"}}
    e.update(extra)
    return e


def send_everything(url: str) -> dict[str, httpx.Response]:
    """The senders we know, through the proxy: JSON (Node SDK, plain clients), form (Python/PHP SDKs), curl -F."""
    out = {}
    with httpx.Client(base_url=url, timeout=10) as c:
        out["json"] = c.post(f"/v25.0/{OK}/events", params={"access_token": TOKEN},
                             json={"data": [event("json-1"), event("json-2", "AddToCart")], "partner_agent": "node"})
        # Meta's Python SDK: items as JSON strings, form-encoded, token and appsecret_proof in the body.
        out["form"] = c.post(f"/v25.0/{OK}/events", data={
            "data": json.dumps([json.dumps(event("form-1", user_data={"em": "Jane@Example.com"}))]),
            "access_token": TOKEN, "appsecret_proof": PROOF})
        # curl -F data=… -F access_token=… (Meta's own documentation example) and a test code.
        out["multipart"] = c.post(f"/{OK}/events", files={
            "data": (None, json.dumps([event("multi-1", "Lead")])), "access_token": (None, TOKEN),
            "test_event_code": (None, "TEST123")})
        # The token in the Authorization header and in the body.
        out["bad_token"] = c.post(f"/v25.0/{BAD_TOKEN}/events", headers={"Authorization": f"OAuth {TOKEN}"},
                                  json={"data": [event("expired-1")], "access_token": TOKEN})
        out["slow"] = c.post(f"/v25.0/{SLOW}/events", json={"data": [event("slow-1")], "access_token": TOKEN})
        out["other"] = c.get(f"/v25.0/{OK}", params={"fields": "name", "access_token": TOKEN})
        # The pixel mirror: a preflight, a sendBeacon body (text/plain), a fetch (JSON), and junk.
        out["preflight"] = c.options("/collect", headers={
            "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        out["beacon"] = c.post("/collect", headers={"Content-Type": "text/plain;charset=UTF-8",
                                                    "Origin": "https://shop.example"}, content=json.dumps(
            {"pixel_id": OK, "event_name": "Purchase", "event_id": "json-1", "event_time": EVENT_TIME * 1000 + 250,
             "event_source_url": "https://shop.example/thanks", "fbp": "fb.1.1790850000000.42",
             "fbc": "fb.1.1790850000000.AbCdEfGh", "email": "jane@example.com"}))
        out["fetch"] = c.post("/collect", json={"pixel_id": OK, "event_name": "PageView", "event_id": "pv-1",
                                                "event_time": EVENT_TIME * 1000 + 900,
                                                "event_source_url": "https://shop.example/"})
        out["junk"] = c.post("/collect", content=b"<html>")
    return out


def ingest_dir(db: Path, log_dir: Path, kind: str) -> list:
    return [ingest_file(db, kind, f, Options()) for f in expand([log_dir], kind)]


def test_proxy_forwards_logs_and_the_audit_sees_exactly_those_events(proxy, tmp_path):
    r = send_everything(proxy.url)

    # The sender gets Meta's answers unchanged, and a clear 504 when Meta is too slow.
    assert r["json"].status_code == 200 and r["json"].json()["fbtrace_id"] == "AbCdEf200"
    assert r["form"].status_code == 200 and r["multipart"].status_code == 200
    assert r["bad_token"].status_code == 400 and r["bad_token"].json()["error"]["code"] == 190
    assert r["slow"].status_code == 504
    assert r["slow"].json()["error"]["message"] == "capi-audit capture: Meta did not answer within 1 s."
    assert r["other"].json() == {"id": "111", "name": "Test pixel"}
    assert r["preflight"].status_code == 204
    assert r["preflight"].headers["access-control-allow-origin"] == "*"
    assert "POST" in r["preflight"].headers["access-control-allow-methods"]
    assert r["beacon"].status_code == 204 and r["fetch"].status_code == 204
    assert (r["junk"].status_code, r["junk"].text) == (400, "body is not JSON\n")

    # Meta received every request with its token: forwarding keeps what logging removes.
    sent = [s for s in FakeGraph.seen if "/events" in s["path"]]
    assert len(sent) == 5
    assert f"access_token={TOKEN}" in sent[0]["path"]
    assert TOKEN.encode() in sent[1]["body"] and PROOF.encode() in sent[1]["body"]
    assert sent[3]["headers"]["authorization"] == f"OAuth {TOKEN}"

    proxy.app.journal.flush()
    log_dir = tmp_path / "capture"
    files = sorted(p.relative_to(log_dir).parts[0] for p in log_dir.rglob("*.jsonl"))
    assert files == ["browser-events", "server-events"]
    lines = [json.loads(x) for f in (log_dir / "server-events").glob("*.jsonl") for x in f.read_text().splitlines()]
    assert [x["pixel_id"] for x in lines] == [OK, OK, OK, BAD_TOKEN, SLOW]   # the GET passed through unlogged
    assert lines[1]["request"] == {"data": [json.dumps(event("form-1", user_data={"em": "Jane@Example.com"}))]}
    assert lines[2]["request"]["test_event_code"] == "TEST123"
    assert "response" not in lines[4] and lines[4]["capture"]["status_to_sender"] == 504

    db = tmp_path / "audit.duckdb"
    server = ingest_dir(db, log_dir, "server-events")
    browser = ingest_dir(db, log_dir, "browser-events")
    assert [(x.loaded, x.rejected, x.error) for x in server + browser] == [(6, 0, None), (2, 0, None)]
    assert rows(db, """SELECT pixel_id, event_id, event_name, rejected, response_status, error_code, test_event_code,
                              partner_agent, em_plain FROM server_events ORDER BY sent_at, event_id""") == [
        (OK, "json-1", "Purchase", False, 200, None, None, "node", False),
        (OK, "json-2", "AddToCart", False, 200, None, None, "node", False),
        # Plaintext stays plaintext in the log (the sender's payload); the audit flags it, stores a hash.
        (OK, "form-1", "Purchase", False, 200, None, None, None, True),
        (OK, "multi-1", "Lead", False, 200, None, "TEST123", None, False),
        (BAD_TOKEN, "expired-1", "Purchase", True, 400, 190, None, None, False),
        # Meta did not answer and the sender got a 504: not counted as received.
        (SLOW, "slow-1", "Purchase", True, None, None, None, None, False),
    ]
    assert rows(db, """SELECT source, pixel_id, event_name, event_id, CAST(event_time AS VARCHAR), fbp, fbc,
                              client_user_agent, client_ip_address FROM browser_events ORDER BY event_time""") == [
        ("mirror", OK, "Purchase", "json-1", "2026-10-01 12:00:00.25", "fb.1.1790850000000.42",
         "fb.1.1790850000000.AbCdEfGh", f"python-httpx/{httpx.__version__}", None),
        ("mirror", OK, "PageView", "pv-1", "2026-10-01 12:00:00.9", None, None, f"python-httpx/{httpx.__version__}",
         None),
    ]

    # No token and no proof anywhere on disk (the logs, the database); the mirror's extra field is dropped.
    for f in tmp_path.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert TOKEN.encode() not in data and PROOF.encode() not in data, f
            assert urllib.parse.quote(TOKEN).encode() not in data, f
    assert b"jane@example.com" not in b"".join(f.read_bytes() for f in (log_dir / "browser-events").glob("*"))


def test_reingesting_the_capture_dir_reads_only_new_or_grown_files(proxy, tmp_path):
    with httpx.Client(base_url=proxy.url) as c:
        c.post(f"/v25.0/{OK}/events", json={"data": [event("a-1")], "access_token": TOKEN})
        c.post("/collect", json={"pixel_id": OK, "event_name": "Purchase", "event_id": "a-1",
                                 "event_time": EVENT_TIME * 1000})
    proxy.app.journal.flush()
    log_dir, db = tmp_path / "capture", tmp_path / "audit.duckdb"
    assert [(x.loaded, x.unchanged) for x in ingest_dir(db, log_dir, "server-events")] == [(1, False)]

    again = ingest_dir(db, log_dir, "server-events")
    assert [(x.rows_read, x.loaded, x.duplicates, x.unchanged) for x in again] == [(1, 0, 1, True)]

    with httpx.Client(base_url=proxy.url) as c:     # the day's file grows: read again, old lines are duplicates
        c.post(f"/v25.0/{OK}/events", json={"data": [event("a-2"), event("a-1")], "access_token": TOKEN})
    proxy.app.journal.flush()
    grown = ingest_dir(db, log_dir, "server-events")
    assert [(x.rows_read, x.loaded, x.duplicates, x.unchanged) for x in grown] == [(3, 2, 1, False)]
    # a-1 sent twice (two requests) is two events: a genuine repeat the audit counts.
    assert rows(db, "SELECT event_id, count(*) FROM server_events GROUP BY 1 ORDER BY 1") == [("a-1", 2), ("a-2", 1)]
    assert rows(db, "SELECT count(*) FROM ingestions WHERE kind = 'server-events'") == [(2,)]
    assert [(x.loaded, x.unchanged) for x in ingest_dir(db, log_dir, "browser-events")] == [(1, False)]
    assert [(x.loaded, x.unchanged) for x in ingest_dir(db, log_dir, "browser-events")] == [(0, True)]


def test_a_log_that_cannot_be_written_does_not_stop_forwarding(graph, tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the log directory should be")
    warnings: list[str] = []
    bg = Background(Settings(upstream=graph, log_dir=blocked, upstream_timeout=1.0))
    bg.app.journal.warn = warnings.append
    bg.start()
    try:
        with httpx.Client(base_url=bg.url) as c:
            r = c.post(f"/v25.0/{OK}/events", json={"data": [event("x-1")], "access_token": TOKEN})
        bg.app.journal.flush()
    finally:
        bg.stop()
    assert r.status_code == 200 and len(FakeGraph.seen) == 1
    assert bg.app.journal.failed == 1
    assert len(warnings) == 1 and warnings[0].startswith(f"capture: could not write {blocked}/server-events/")


def test_an_unreachable_upstream_is_a_502_and_still_logged(tmp_path):
    import socket

    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    bg = Background(Settings(upstream=dead, log_dir=tmp_path, upstream_timeout=1.0)).start()
    try:
        with httpx.Client(base_url=bg.url) as c:
            r = c.post(f"/v25.0/{OK}/events", json={"data": [event("d-1")], "access_token": TOKEN})
        bg.app.journal.flush()
    finally:
        bg.stop()
    assert r.status_code == 502 and r.json()["error"]["is_transient"] is True
    (line,) = [json.loads(x) for f in tmp_path.rglob("*.jsonl") for x in f.read_text().splitlines()]
    assert line["capture"]["error"].startswith(f"could not reach {dead}: ConnectError")
    assert line["request"] == {"data": [event("d-1")]} and "response" not in line
    db = tmp_path / "audit.duckdb"
    assert [(x.loaded, x.error) for x in ingest_dir(db, tmp_path, "server-events")] == [(1, None)]
    # Never reached Meta: stored, but as rejected, so no metric counts it as received.
    assert rows(db, "SELECT event_id, rejected, response_status FROM server_events") == [("d-1", True, None)]


def test_concurrent_senders_each_get_one_whole_line(proxy, tmp_path):
    import asyncio

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=proxy.url, timeout=10) as c:
            rs = await asyncio.gather(*(c.post(f"/v25.0/{OK}/events", params={"access_token": TOKEN},
                                               json={"data": [event(f"c-{i}")]}) for i in range(40)))
        return [r.status_code for r in rs]

    assert asyncio.run(burst()) == [200] * 40
    proxy.app.journal.flush()
    lines = [json.loads(x) for f in (tmp_path / "capture").rglob("*.jsonl") for x in f.read_text().splitlines()]
    assert sorted(x["request"]["data"][0]["event_id"] for x in lines) == sorted(f"c-{i}" for i in range(40))
