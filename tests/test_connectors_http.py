"""The connectors' HTTP client against a real server on 127.0.0.1: retries, told waits, timeouts, fatal errors, redaction."""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

import pytest

from analysis.connectors.http import Client, ConnectorError, redact

Reply = tuple[int, dict[str, str], Any]      # status, headers, body (bytes/str as is, anything else as JSON)


@dataclass
class Call:
    """One request the fake server received."""

    method: str
    target: str                               # path and query exactly as sent
    headers: dict[str, str]                   # lower-cased names
    body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeServer:
    """A real HTTP server on 127.0.0.1 (port 0) answering every request with `app(call)`; records the calls."""

    app: Callable[[Call], Reply]
    calls: list[Call] = field(default_factory=list)
    url: str = ""

    def __enter__(self) -> "FakeServer":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                call = Call(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                            self.rfile.read(length) if length else b"")
                fake.calls.append(call)
                status, headers, body = fake.app(call)
                raw = body if isinstance(body, bytes) else body.encode() if isinstance(body, str) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    if not isinstance(body, (bytes, str)):
                        self.send_header("Content-Type", "application/json")
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass                       # the client gave up (a timeout test)

            do_GET = do_POST = _serve

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def scripted(*replies: Reply) -> Callable[[Call], Reply]:
    """An app answering with `replies` in order, then the last one again."""
    queue = list(replies)
    return lambda call: queue.pop(0) if len(queue) > 1 else queue[0]


class Waits(list):
    """An injected sleep that records each wait instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 3))


def client(url: str, waits: Waits, **kw: Any) -> Client:
    opts: dict[str, Any] = {"name": "Shop", "setting": "SHOP_URL", "sleep": waits, "jitter": lambda: 0.0,
                            "timeout": 2.0} | kw
    return Client(url, **opts)


OK: Reply = (200, {}, {"ok": True})


def test_5xx_then_success_backs_off_exponentially():
    waits = Waits()
    with FakeServer(scripted((503, {}, "busy"), (502, {}, "busy"), OK)) as srv, client(srv.url, waits) as c:
        assert c.json(c.get("/x")) == {"ok": True}
    assert waits == [0.5, 1.0] and len(srv.calls) == 3


def test_jitter_takes_up_to_a_quarter_off():
    waits = Waits()
    with FakeServer(scripted((500, {}, ""), OK)) as srv, client(srv.url, waits, jitter=lambda: 1.0) as c:
        c.get("/x")
    assert waits == [0.375]


@pytest.mark.parametrize("headers, wait", [({"Retry-After": "7"}, 7.0), ({"retry-after-ms": "1500"}, 1.5),
                                           ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0)])
def test_429_waits_as_told(headers: dict[str, str], wait: float):
    waits = Waits()
    with FakeServer(scripted((429, headers, {"error": "slow down"}), OK)) as srv, client(srv.url, waits) as c:
        c.get("/x")
    assert waits == [wait]


def test_a_wait_beyond_the_cap_stops_with_a_time_to_come_back():
    waits = Waits()
    with FakeServer(scripted((429, {"Retry-After": "3600"}, ""))) as srv, client(srv.url, waits, max_wait=600) as c:
        with pytest.raises(ConnectorError, match=r"asks to wait 60 min, longer than the 10 min .*sync.max_wait.*run it again after"):
            c.get("/x")
    assert waits == [] and len(srv.calls) == 1


def test_timeout_then_success():
    def slow_once(call: Call) -> Reply:
        if len(srv.calls) == 1:
            time.sleep(1.0)
        return OK
    waits = Waits()
    with FakeServer(slow_once) as srv, client(srv.url, waits, timeout=0.2) as c:
        assert c.json(c.get("/x")) == {"ok": True}
    assert waits == [0.5] and len(srv.calls) == 2


def test_retries_are_bounded_and_the_error_says_so():
    waits = Waits()
    with FakeServer(scripted((503, {}, ""))) as srv, client(srv.url, waits, max_retries=2) as c:
        with pytest.raises(ConnectorError, match=r"^Shop answered HTTP 503 for /x, still after 3 tries .*run the sync again later"):
            c.get("/x")
    assert waits == [0.5, 1.0] and len(srv.calls) == 3


def test_unreachable_server_is_a_transport_error_retried():
    with FakeServer(scripted(OK)) as srv:
        url = srv.url
    waits = Waits()                            # the port is closed now
    with client(url, waits, max_retries=1) as c:
        with pytest.raises(ConnectorError, match=r"could not be reached for /x \(ConnectError"):
            c.get("/x")
    assert waits == [0.5]


def test_a_4xx_is_not_retried_and_quotes_the_server():
    waits = Waits()
    with FakeServer(scripted((400, {}, {"error": {"message": "bad   field\n name"}}))) as srv, client(srv.url, waits) as c:
        with pytest.raises(ConnectorError, match=r"^Shop refused /x \(HTTP 400, “bad field name”\)\. Check SHOP_URL"):
            c.get("/x")
    assert waits == [] and len(srv.calls) == 1


def test_malformed_json_names_what_answered():
    with FakeServer(scripted((200, {"Content-Type": "text/html"}, "<html>login</html>"))) as srv, \
            client(srv.url, Waits()) as c:
        with pytest.raises(ConnectorError, match=r"answered /x with something that is not JSON \(HTTP 200, text/html, 18 bytes\)"):
            c.json(c.get("/x"))


def test_a_redirect_is_not_followed_with_credentials():
    secret = "sk_live_0123456789"
    loc = f"https://elsewhere.example/x?access_token={secret}"
    with FakeServer(scripted((301, {"Location": loc}, ""))) as srv, \
            client(srv.url, Waits(), headers={"X-Token": secret}, secrets=[secret]) as c:
        with pytest.raises(ConnectorError) as info:
            c.get("/x")
    assert "redirects /x to https://elsewhere.example/x?access_token=***" in str(info.value)
    assert secret not in str(info.value) and len(srv.calls) == 1


def test_plain_http_is_refused_for_anything_but_loopback():
    with pytest.raises(ConnectorError, match=r"plain http, so the credentials would cross the network unencrypted; "
                                             r"set SHOP_URL to its https:// address"):
        Client("http://shop.example", name="Shop", setting="SHOP_URL")
    Client("http://localhost:1", name="Shop", setting="SHOP_URL").close()


def test_secrets_are_redacted_from_errors_and_from_httpx_logs(caplog: pytest.LogCaptureFixture):
    secret = "cs_secret_0123456789"
    caplog.set_level(logging.DEBUG)
    with FakeServer(scripted((503, {}, ""), (403, {}, {"message": f"bad consumer_secret={secret} for you"}))) as srv, \
            client(srv.url, Waits(), params={"consumer_secret": secret}, secrets=[secret]) as c:
        with pytest.raises(ConnectorError) as info:
            c.get("/x")
    assert srv.calls[0].query["consumer_secret"] == secret            # it was sent …
    assert "consumer_secret=***" in str(info.value)                   # … and never shown
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)   # httpx logged the URLs
    assert all(secret not in r.getMessage() for r in caplog.records)
    assert secret not in str(info.value)


def test_redact_handles_encoded_forms():
    assert redact("next=https%3A%2F%2Fg%3Faccess_token%3DEAAB%26after%3D1") == \
        "next=https%3A%2F%2Fg%3Faccess_token%3D***%26after%3D1"
    assert redact("token is EAAB/x+y", ["EAAB/x+y"]) == "token is ***"
    assert redact("q=EAAB%2Fx%2By", ["EAAB/x+y"]) == "q=***"


def test_a_json_post_for_webhooks():
    with FakeServer(scripted(OK)) as srv, client(srv.url, Waits()) as c:
        c.post("/hook", {"text": "EMQ fell"})
    call = srv.calls[0]
    assert call.method == "POST" and call.json() == {"text": "EMQ fell"}
    assert call.headers["user-agent"].startswith("capi-audit/")
