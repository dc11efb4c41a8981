"""The dashboard's front door (ASGI): password login, security headers, upload limit, proxy to Streamlit."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import re
import secrets
import sys
import time
from importlib import resources
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

COOKIE = "capi_audit_session"
LOGIN, LOGOUT = "/_capi/login", "/_capi/logout"
# Open without a session: the login form, the tab's icon, and the health probe a load balancer polls ("ok").
OPEN_PATHS = frozenset({LOGIN, "/_stcore/health", "/favicon.png"})
SESSION_S = 12 * 3600
# Not forwarded in either direction (RFC 9110 §7.6.1), plus what the HTTP libraries set themselves.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "transfer-encoding", "upgrade", "host"})
# Answer headers the front's own server writes (one of each).
OWN = frozenset({"date", "server"})
# Streamlit's multipart envelope around an uploaded file: headers and boundaries, a few hundred bytes.
MULTIPART_SLACK = 64 * 1024


def _inline_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts in Streamlit's index.html, read from the installed package, so that
    'unsafe-inline' is never needed and a Streamlit upgrade keeps working."""
    try:
        page = resources.files("streamlit").joinpath("static/index.html").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return []
    bodies = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page, flags=re.S)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in bodies]


def content_security_policy() -> str:
    # Styles: Streamlit's components inject <style> elements at run time (emotion), hence 'unsafe-inline'
    # for styles only. Scripts: the bundle plus the hashed inline bootstrap, never eval; 'wasm-unsafe-eval'
    # lets only WebAssembly compile (the protobuf decoder's 64-bit arithmetic tries it on every page).
    return "; ".join([
        "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval' " + " ".join(_inline_script_hashes()),
        "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:", "font-src 'self' data:",
        "connect-src 'self'", "worker-src 'self' blob:", "frame-src 'self'", "object-src 'none'",
        "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"])


class Front:
    """Everything the network reaches: checks the session, adds the headers, forwards to Streamlit."""

    def __init__(self, upstream_port: int, password: str | None, max_upload_bytes: int,
                 failure_delay: float = 1.0, log: Callable[[str], None] | None = None) -> None:
        self.upstream = f"http://127.0.0.1:{upstream_port}"
        self.ws_upstream = f"ws://127.0.0.1:{upstream_port}"
        self.password = password
        self.max_body = max_upload_bytes + MULTIPART_SLACK
        self.failure_delay = failure_delay
        self.log = log or (lambda m: print(m, file=sys.stderr))
        # Sessions are signed with a key that lives only in this process: a restart logs everyone out.
        self.key = secrets.token_bytes(32)
        self.headers = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
                        (b"content-security-policy", content_security_policy().encode()),
                        (b"referrer-policy", b"no-referrer")]
        self.client: httpx.AsyncClient | None = None

    # ------------------------------------------------------------------ sessions

    def _sign(self, expires: int) -> str:
        return hmac.new(self.key, str(expires).encode(), hashlib.sha256).hexdigest()

    def new_session(self, now: float | None = None) -> str:
        expires = int((now or time.time()) + SESSION_S)
        return f"{expires}.{self._sign(expires)}"

    def valid_session(self, value: str, now: float | None = None) -> bool:
        expires, _, sig = value.partition(".")
        if not expires.isdigit():
            return False
        return hmac.compare_digest(sig, self._sign(int(expires))) and int(expires) > (now or time.time())

    def password_ok(self, given: str) -> bool:
        # compare_digest: the time taken does not tell an attacker how much of a guess was right.
        return self.password is not None and hmac.compare_digest(given.encode(), self.password.encode())

    def _authorized(self, scope: Scope) -> bool:
        return self.password is None or self.valid_session(_cookies(scope).get(COOKIE, ""))

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                self.client = httpx.AsyncClient(timeout=httpx.Timeout(300.0, connect=5.0), follow_redirects=False)
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                if self.client:
                    await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _respond(self, send: Send, status: int, body: bytes, ctype: bytes = b"text/plain; charset=utf-8",
                       extra: list[tuple[bytes, bytes]] | None = None) -> None:
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", ctype), (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store"),
            *self.headers, *(extra or [])]})
        await send({"type": "http.response.body", "body": body})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if self.password is not None and path == LOGIN:
            return await self._login(scope, receive, send)
        if self.password is not None and path == LOGOUT:
            return await self._respond(send, 303, b"", extra=[(b"location", LOGIN.encode()),
                                                              (b"set-cookie", self._cookie(scope, "", 0))])
        if path not in OPEN_PATHS and not self._authorized(scope):
            if scope["method"] == "GET" and "text/html" in _header(scope, "accept"):
                target = path + ("?" + scope["query_string"].decode("latin-1") if scope["query_string"] else "")
                return await self._respond(send, 303, b"", extra=[
                    (b"location", f"{LOGIN}?next={quote(target, safe='')}".encode())])
            return await self._respond(send, 401, b"Log in first (the dashboard needs its password).\n")
        await self._forward(scope, receive, send)

    def _cookie(self, scope: Scope, value: str, max_age: int | None = None) -> bytes:
        # Secure when the browser came over https (uvicorn trusts X-Forwarded-Proto from a proxy on 127.0.0.1).
        secure = "; Secure" if scope.get("scheme") in ("https", "wss") else ""
        age = f"; Max-Age={max_age}" if max_age is not None else ""
        return f"{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{age}".encode()

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = parse_qs(scope["query_string"].decode("latin-1"))
        if scope["method"] == "POST":
            body = await _read(receive, 16 * 1024)
            if body is None:
                return await self._respond(send, 413, b"The login form is too large.\n")
            form = parse_qs(body.decode("utf-8", "replace"))
            target = _local(form.get("next", ["/"])[0])
            if self.password_ok(form.get("password", [""])[0]):
                return await self._respond(send, 303, b"", extra=[
                    (b"location", target.encode()), (b"set-cookie", self._cookie(scope, self.new_session()))])
            client = (scope.get("client") or ("?",))[0]
            self.log(f"Failed dashboard login from {client}.")
            # A pause per wrong guess makes guessing slow without locking the real user out.
            await asyncio.sleep(self.failure_delay)
            return await self._respond(send, 401, _login_page(target, failed=True), b"text/html; charset=utf-8")
        if scope["method"] != "GET":
            return await self._respond(send, 405, b"Method not allowed.\n", extra=[(b"allow", b"GET, POST")])
        page = _login_page(_local(query.get("next", ["/"])[0]), failed=False)
        await self._respond(send, 200, page, b"text/html; charset=utf-8")

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.client is not None, "the lifespan startup creates the client"
        declared = _header(scope, "content-length")
        if declared.isdigit() and int(declared) > self.max_body:
            return await self._too_large(send)
        too_large = False

        async def body() -> Any:
            nonlocal too_large
            size = 0
            while True:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    return
                chunk = msg.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    too_large = True
                    raise _TooLarge
                if chunk:
                    yield chunk
                if not msg.get("more_body"):
                    return

        headers = _forwarded_headers(scope)
        has_body = declared.isdigit() or _header(scope, "transfer-encoding")
        url = self.upstream + scope["raw_path"].decode("latin-1") + (
            "?" + scope["query_string"].decode("latin-1") if scope["query_string"] else "")
        # A declared Content-Length is forwarded with the stream; without one, httpx sends it chunked.
        request = self.client.build_request(scope["method"], url, headers=headers,
                                            content=body() if has_body else None)
        try:
            response = await self.client.send(request, stream=True)
        except (_TooLarge, httpx.HTTPError) as exc:
            if too_large or isinstance(exc, _TooLarge):
                return await self._too_large(send)
            return await self._respond(send, 502, b"The dashboard is starting or has stopped; reload in a few "
                                       b"seconds.\n", extra=[(b"retry-after", b"3")])
        try:
            mine = {k for k, _ in self.headers}
            out = [(k.lower(), v) for k, v in response.headers.raw
                   if k.lower().decode("latin-1") not in HOP_BY_HOP | OWN and k.lower() not in mine]
            await send({"type": "http.response.start", "status": response.status_code, "headers": out + self.headers})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()

    async def _too_large(self, send: Send) -> None:
        limit = (self.max_body - MULTIPART_SLACK) // 2**20
        await self._respond(send, 413, f"The file is larger than the upload limit ({limit} MB); ingest it from a "
                            "shell (capi-audit ingest KIND FILE) or raise serve.max_upload_mb.\n".encode())

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()                                          # websocket.connect
        origin = _header(scope, "origin")
        if not self._authorized(scope) or (origin and urlsplit(origin).netloc != _header(scope, "host")):
            # Closing before accepting makes the server answer the handshake with 403.
            return await send({"type": "websocket.close", "code": 1008})
        url = self.ws_upstream + scope["raw_path"].decode("latin-1") + (
            "?" + scope["query_string"].decode("latin-1") if scope["query_string"] else "")
        cookie = _cookie_header_without_ours(scope)
        try:
            # Streamlit checks Origin against Host; the front checked the browser's, so speak as a local page.
            upstream = await ws_connect(url, subprotocols=scope.get("subprotocols") or None, origin=self.upstream,
                                        additional_headers=[("cookie", cookie)] if cookie else None,
                                        max_size=None, compression=None, open_timeout=10)
        except (OSError, InvalidHandshake, InvalidStatus, asyncio.TimeoutError):
            return await send({"type": "websocket.close", "code": 1011})
        async with upstream:
            await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})

            async def to_upstream() -> None:
                while True:
                    msg = await receive()
                    if msg["type"] == "websocket.disconnect":
                        return
                    await upstream.send(msg["bytes"] if msg.get("bytes") is not None else msg.get("text") or "")

            async def to_browser() -> None:
                async for data in upstream:
                    key = "bytes" if isinstance(data, bytes) else "text"
                    await send({"type": "websocket.send", key: data})
                await send({"type": "websocket.close", "code": upstream.close_code or 1000})

            tasks = [asyncio.ensure_future(to_upstream()), asyncio.ensure_future(to_browser())]
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in pending:
                t.cancel()
            for t in done:
                if t.exception() and not isinstance(t.exception(), (ConnectionClosed, OSError)):
                    raise t.exception()  # type: ignore[misc]


class _TooLarge(Exception):
    """A request body past the upload limit (raised inside the body stream, answered 413)."""


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None past `limit` bytes (or when the browser hung up)."""
    chunks, size = [], 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            return None
        chunks.append(msg.get("body", b""))
        size += len(chunks[-1])
        if size > limit:
            return None
        if not msg.get("more_body"):
            return b"".join(chunks)


def _header(scope: Scope, name: str) -> str:
    key = name.encode()
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == key), "")


def _cookies(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope["headers"]:
        if k == b"cookie":
            for part in v.decode("latin-1").split(";"):
                name, _, value = part.strip().partition("=")
                out.setdefault(name, value)
    return out


def _cookie_header_without_ours(scope: Scope) -> str:
    """The browser's cookies minus the session: Streamlit needs its own (XSRF), never ours."""
    return "; ".join(f"{k}={v}" for k, v in _cookies(scope).items() if k and k != COOKIE)


def _forwarded_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    out = [(k, v) for k, v in scope["headers"] if k.decode("latin-1") not in HOP_BY_HOP and k != b"cookie"]
    cookie = _cookie_header_without_ours(scope)
    return out + ([(b"cookie", cookie.encode("latin-1"))] if cookie else [])


def _local(target: str) -> str:
    """Where to go after logging in: a path on this site only (never //evil.example or https://…)."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


def _login_page(target: str, failed: bool) -> bytes:
    note = '<p class="bad">Wrong password.</p>' if failed else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>capi-audit · log in</title>
<style>body{{font-family:sans-serif;max-width:22rem;margin:6rem auto;padding:0 1rem}}
input{{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box;margin:.3rem 0 .8rem}}
button{{font-size:1rem;padding:.4rem 1.2rem}}.bad{{color:#b00020}}</style></head>
<body><h1>capi-audit</h1>{note}
<form method="post" action="{LOGIN}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" autofocus required>
<input type="hidden" name="next" value="{html.escape(target, quote=True)}">
<button type="submit">Log in</button></form></body></html>
""".encode()
