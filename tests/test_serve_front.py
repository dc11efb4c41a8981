"""The dashboard's front: login, session cookie, security headers, upload limit, HTTP and WebSocket proxying —
against real servers on 127.0.0.1 (a stand-in for Streamlit behind the real front)."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from analysis import cli, serve_front, serve_policy, serve_process
from analysis.capture.server import bind
from analysis.serve_front import Front
from analysis.serve_policy import COOKIE, LOGIN

PASSWORD = "correct horse battery staple"
SECURITY = {"x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


class Upstream:
    """Streamlit's stand-in: a page, an upload endpoint counting bytes, and an echoing /_stcore/stream."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            return await send({"type": "lifespan.shutdown.complete"})
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.seen.append({"path": scope["path"], "headers": headers})
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept", "subprotocol": "streamlit"})
            while True:
                msg = await receive()
                if msg["type"] == "websocket.disconnect":
                    return
                await send({"type": "websocket.send", "bytes": b"echo:" + (msg.get("bytes") or b"")})
        size = 0
        while True:
            msg = await receive()
            size += len(msg.get("body", b""))
            if not msg.get("more_body"):
                break
        body = f"{scope['method']} {scope['path']} {size}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/html"), (b"x-frame-options", b"SAMEORIGIN"),
            (b"set-cookie", b"_streamlit_xsrf=abc; Path=/; SameSite=Lax")]})
        await send({"type": "http.response.body", "body": body})


class Running:
    """An ASGI app under uvicorn on a thread, on a free 127.0.0.1 port."""

    def __init__(self, app: Any) -> None:
        self.sock = bind("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning", proxy_headers=True,
                                                    forwarded_allow_ips="127.0.0.1"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture(scope="module")
def upstream():
    app = Upstream()
    running = Running(app)
    yield app, running
    running.stop()


@pytest.fixture(scope="module")
def front(upstream):
    logged: list[str] = []
    app = Front(upstream[1].port, PASSWORD, max_upload_bytes=1024 * 1024, failure_delay=0.0, log=logged.append)
    running = Running(app)
    running.app, running.logged = app, logged
    yield running
    running.stop()


def login(front: Running, password: str = PASSWORD, **headers: str) -> httpx.Response:
    return httpx.post(front.url + LOGIN, data={"password": password, "next": "/dedup"}, headers=headers)


def session(front: Running) -> dict[str, str]:
    return {COOKIE: login(front).cookies[COOKIE]}


def assert_secure(response: httpx.Response) -> None:
    for name, value in SECURITY.items():
        assert response.headers.get_list(name) == [value], name
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self' 'wasm-unsafe-eval' 'sha256-" in csp
    script = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert "'unsafe-eval'" not in script and "'unsafe-inline'" not in script


def test_without_a_session_pages_redirect_to_the_login_form_and_the_rest_gets_401(front, upstream):
    before = len(upstream[0].seen)
    page = httpx.get(front.url + "/dedup?x=1", headers={"accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == f"{LOGIN}?next=%2Fdedup%3Fx%3D1"
    assert_secure(page)
    api = httpx.get(front.url + "/_stcore/host-config")
    assert api.status_code == 401 and "Log in first" in api.text
    assert_secure(api)
    form = httpx.get(front.url + LOGIN + "?next=%2Fdedup")
    assert form.status_code == 200 and 'type="password"' in form.text and 'value="/dedup"' in form.text
    assert "<script" not in form.text
    assert_secure(form)
    assert len(upstream[0].seen) == before          # nothing reached Streamlit
    assert httpx.get(front.url + "/_stcore/health").status_code == 200     # the probe stays open


def test_the_right_password_sets_a_signed_httponly_strict_session_cookie(front, upstream):
    r = login(front)
    assert r.status_code == 303 and r.headers["location"] == "/dedup"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "; HttpOnly" in cookie and "; SameSite=Strict" in cookie
    assert "Secure" not in cookie                   # plain http on loopback: a Secure cookie would never come back
    assert_secure(r)
    value = r.cookies[COOKIE]
    assert front.app.sessions.valid(value)
    page = httpx.get(front.url + "/dedup", cookies={COOKIE: value, "_streamlit_xsrf": "abc"})
    assert page.status_code == 200 and page.text == "GET /dedup 0"
    # Streamlit's own header is replaced, never doubled; its cookie passes through.
    assert_secure(page)
    assert page.headers["set-cookie"].startswith("_streamlit_xsrf=abc")
    # Streamlit gets its own cookie, never the session.
    assert upstream[0].seen[-1]["headers"]["cookie"] == "_streamlit_xsrf=abc"


def test_a_wrong_password_or_a_forged_or_expired_cookie_opens_nothing(front):
    r = login(front, "correct horse battery stapl")
    assert r.status_code == 401 and "Wrong password" in r.text and "set-cookie" not in r.headers
    assert front.logged[-1] == "Failed dashboard login from 127.0.0.1."
    assert PASSWORD not in " ".join(front.logged)
    good = login(front).cookies[COOKIE]
    expires, sig = good.split(".")
    forged = f"{int(expires) + 3600}.{sig}"
    for value in (forged, "", "x.y", good[:-1] + ("0" if good[-1] != "0" else "1")):
        assert httpx.get(front.url + "/", cookies={COOKIE: value}).status_code == 401, value
    assert not front.app.sessions.valid(good, now=int(expires) + 1)
    # Another front (another process, another key) does not accept this one's sessions.
    assert not Front(1, PASSWORD, 1).sessions.valid(good)


def test_the_password_is_compared_in_constant_time(front, monkeypatch):
    calls = []

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return a == b

    monkeypatch.setattr(serve_policy.hmac, "compare_digest", spy)
    assert login(front, "guess").status_code == 401
    assert (b"guess", PASSWORD.encode()) in calls


def test_the_cookie_is_secure_behind_a_tls_proxy(front):
    r = login(front, **{"x-forwarded-proto": "https"})
    assert r.status_code == 303 and "; Secure" in r.headers["set-cookie"]


def test_after_login_the_browser_goes_back_only_to_this_site(front):
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = httpx.post(front.url + LOGIN, data={"password": PASSWORD, "next": evil})
        assert r.headers["location"] == "/", evil
    assert 'value="/"' in httpx.get(front.url + LOGIN, params={"next": "https://evil.example"}).text


def test_uploads_past_the_limit_get_413_and_never_reach_streamlit(front, upstream):
    cookies = session(front)
    url = front.url + "/_stcore/upload_file/s/f"
    ok = httpx.put(url, content=b"x" * 1024 * 1024, cookies=cookies)
    assert ok.status_code == 200 and ok.text == f"PUT /_stcore/upload_file/s/f {1024 * 1024}"
    before = len(upstream[0].seen)
    big = httpx.put(url, content=b"x" * (1024 * 1024 + serve_front.MULTIPART_SLACK + 1), cookies=cookies)
    assert big.status_code == 413 and "upload limit (1 MB)" in big.text
    assert_secure(big)
    assert len(upstream[0].seen) == before

    def chunks():                                   # no Content-Length: counted as it streams
        for _ in range(40):
            yield b"x" * 64 * 1024

    streamed = httpx.put(url, content=chunks(), cookies=cookies)
    assert streamed.status_code == 413


def test_the_websocket_is_proxied_with_its_subprotocol_only_with_a_session(front, upstream):
    url = front.url.replace("http", "ws") + "/_stcore/stream"
    cookie = f"{COOKIE}={session(front)[COOKIE]}; _streamlit_xsrf=abc"
    with ws_connect(url, subprotocols=["streamlit", "xsrf-token"], origin=front.url,
                    additional_headers={"cookie": cookie}) as ws:
        assert ws.subprotocol == "streamlit"
        ws.send(b"\x01\x02")
        assert ws.recv(timeout=5) == b"echo:\x01\x02"
    seen = upstream[0].seen[-1]["headers"]
    assert seen["sec-websocket-protocol"] == "streamlit, xsrf-token" and seen["cookie"] == "_streamlit_xsrf=abc"
    with pytest.raises(InvalidStatus) as no_session:
        ws_connect(url, subprotocols=["streamlit"], origin=front.url)
    assert no_session.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as cross_site:
        ws_connect(url, subprotocols=["streamlit"], origin="http://evil.example", additional_headers={"cookie": cookie})
    assert cross_site.value.response.status_code == 403


def test_without_a_password_the_front_still_adds_headers_and_limits_uploads(upstream):
    running = Running(Front(upstream[1].port, None, max_upload_bytes=1024))
    try:
        page = httpx.get(running.url + "/")
        assert page.status_code == 200 and page.text == "GET / 0"
        assert_secure(page)
        assert httpx.put(running.url + "/_stcore/upload_file/s/f", content=b"x" * 100_000).status_code == 413
    finally:
        running.stop()


def test_a_stopped_streamlit_is_a_502_sentence(front):
    app = Front(serve_process.free_loopback_port(), None, 1024)
    running = Running(app)
    try:
        r = httpx.get(running.url + "/")
        assert r.status_code == 502 and "reload in a few seconds" in r.text
        assert_secure(r)
    finally:
        running.stop()


def test_serve_off_loopback_without_a_password_exits_2_saying_why(tmp_path, capsys, monkeypatch):
    db = tmp_path / "a.duckdb"
    db.write_bytes(b"")
    monkeypatch.delenv(serve_process.PASSWORD_ENV, raising=False)
    started = []
    monkeypatch.setattr(serve_process, "run", lambda *a, **k: started.append(a) or 0)
    assert cli.main(["--db", str(db), "serve", "--host", "0.0.0.0"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Refusing to serve the dashboard on 0.0.0.0 without a password" in err
    assert "Set CAPI_AUDIT_PASSWORD in the environment" in err and "--no-auth" in err
    assert not started
    # The same for the demo, which serves through the same path, and says so before building anything.
    built = []
    monkeypatch.setattr("analysis.demo_build.build", lambda *a, **k: built.append(a))
    assert cli.main(["--db", str(tmp_path / "demo.duckdb"), "demo", "--host", "0.0.0.0"]) == 2
    assert "Refusing to serve the dashboard on 0.0.0.0" in capsys.readouterr().err
    assert not started and not built


def test_serve_with_no_auth_warns_and_with_a_password_keeps_it_from_streamlit(tmp_path, capsys, monkeypatch):
    db = tmp_path / "a.duckdb"
    db.write_bytes(b"")
    started = []
    monkeypatch.setattr(serve_process, "run", lambda *a: started.append(a) or 0)
    monkeypatch.delenv(serve_process.PASSWORD_ENV, raising=False)
    assert cli.main(["--db", str(db), "serve", "--host", "0.0.0.0", "--no-auth"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "warning: --no-auth: the dashboard on 0.0.0.0:8501 asks for no password" in err
    app, env, host, port, password, max_mb, _ready = started[-1]
    assert (host, port, password, max_mb) == ("0.0.0.0", 8501, None, 200)
    monkeypatch.setenv(serve_process.PASSWORD_ENV, PASSWORD)
    assert cli.main(["--db", str(db), "serve", "--host", "0.0.0.0"]) == 0
    app, env, host, port, password, max_mb, _ready = started[-1]
    assert password == PASSWORD and serve_process.PASSWORD_ENV not in env and env["CAPI_AUDIT_DB"] == str(db.resolve())
    assert "warning" not in capsys.readouterr().err
    # The default address is this machine only, and needs nothing.
    monkeypatch.delenv(serve_process.PASSWORD_ENV)
    assert cli.main(["--db", str(db), "serve"]) == 0 and started[-1][2] == "127.0.0.1"


def test_the_upload_box_takes_at_most_the_setting_and_says_what_to_do(tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from analysis import store

    db = tmp_path / "empty.duckdb"
    with store.writer(db):
        pass
    monkeypatch.setenv("CAPI_AUDIT_DB", str(db))
    monkeypatch.setenv("CAPI_AUDIT_SERVE__MAX_UPLOAD_MB", "1")
    st.cache_data.clear()
    app = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
    at = AppTest.from_file(app, default_timeout=60).run()
    at.switch_page("app_pages/data_sources.py").run()
    uploader = at.file_uploader[0]
    assert uploader.proto.max_upload_size_mb == 1 and "up to 1 MB" in uploader.help
    uploader.upload("orders.csv", b"x" * (2**20 + 1), "text/csv")
    next(b for b in at.button if b.label == "Ingest").click()
    at.run()
    assert not at.exception and "last_ingest" not in at.session_state
    assert [e.value for e in at.error] == ["orders.csv is larger than 1 MB; ingest it from a shell: "
                                           "capi-audit ingest server-events FILE (or raise serve.max_upload_mb)."]
    st.cache_data.clear()
