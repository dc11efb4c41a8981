"""The dashboard's front door (ASGI): password login, security headers, upload limit, proxy to Streamlit."""
from __future__ import annotations

import asyncio
import sys
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from analysis.serve_policy import COOKIE, LOGIN, LOGOUT, Sessions, local_target, login_page, security_headers

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# Open without a session: the login form, the tab's icon, and the health probe a load balancer polls ("ok").
OPEN_PATHS = frozenset({LOGIN, "/_stcore/health", "/favicon.png"})
# Not forwarded in either direction (RFC 9110 §7.6.1), plus what the HTTP libraries set themselves.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "transfer-encoding", "upgrade", "host"})
# Answer headers the front's own server writes (one of each).
OWN = frozenset({"date", "server"})
# Streamlit's multipart envelope around an uploaded file: headers and boundaries, a few hundred bytes.
MULTIPART_SLACK = 64 * 1024


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
        self.sessions = Sessions(password)
        self.headers = security_headers()
        self.client: httpx.AsyncClient | None = None

    def _authorized(self, scope: Scope) -> bool:
        return self.password is None or self.sessions.valid(_cookies(scope).get(COOKIE, ""))

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
                                                              (b"set-cookie", self.sessions.cookie(scope.get("scheme"), "", 0))])
        if path not in OPEN_PATHS and not self._authorized(scope):
            if scope["method"] == "GET" and "text/html" in _header(scope, "accept"):
                target = path + ("?" + scope["query_string"].decode("latin-1") if scope["query_string"] else "")
                return await self._respond(send, 303, b"", extra=[
                    (b"location", f"{LOGIN}?next={quote(target, safe='')}".encode())])
            return await self._respond(send, 401, b"Log in first (the dashboard needs its password).\n")
        await self._forward(scope, receive, send)

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = parse_qs(scope["query_string"].decode("latin-1"))
        if scope["method"] == "POST":
            body = await _read(receive, 16 * 1024)
            if body is None:
                return await self._respond(send, 413, b"The login form is too large.\n")
            form = parse_qs(body.decode("utf-8", "replace"))
            target = local_target(form.get("next", ["/"])[0])
            if self.sessions.password_ok(form.get("password", [""])[0]):
                cookie = self.sessions.cookie(scope.get("scheme"), self.sessions.new())
                return await self._respond(send, 303, b"", extra=[(b"location", target.encode()),
                                                                  (b"set-cookie", cookie)])
            client = (scope.get("client") or ("?",))[0]
            self.log(f"Failed dashboard login from {client}.")
            # A pause per wrong guess makes guessing slow without locking the real user out.
            await asyncio.sleep(self.failure_delay)
            return await self._respond(send, 401, login_page(target, failed=True), b"text/html; charset=utf-8")
        if scope["method"] != "GET":
            return await self._respond(send, 405, b"Method not allowed.\n", extra=[(b"allow", b"GET, POST")])
        page = login_page(local_target(query.get("next", ["/"])[0]), failed=False)
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
