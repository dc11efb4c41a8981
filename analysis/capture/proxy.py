"""The capture app (ASGI): forwards Graph API calls upstream, logs `POST …/events`, and takes pixel-mirror posts."""
from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable

import httpx

from analysis.capture import envelope, mirror
from analysis.capture.journal import Journal

DEFAULT_UPSTREAM = "https://graph.facebook.com"
EVENTS_PATH = re.compile(r"/(?:v[0-9]+\.[0-9]+/)?([0-9]+)/events/?")
# Not forwarded in either direction (RFC 9110 §7.6.1), plus what the HTTP libraries set themselves.
HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te",
                        b"trailer", b"transfer-encoding", b"upgrade", b"host", b"content-length"})

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Settings:
    upstream: str = DEFAULT_UPSTREAM
    log_dir: Path = Path("data/capture")
    # Whole exchange with Meta (connect, send, answer). A sender's own timeout is usually 30–60 s;
    # this answers it first with a clear 504.
    upstream_timeout: float = 20.0
    allow_origins: tuple[str, ...] = ("*",)   # who may post to /collect; "*" = any shop page


def _now() -> tuple[str, str]:
    """(UTC ISO 8601 with microseconds, the UTC day) — the day names the log file."""
    t = datetime.now(timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), t.strftime("%Y-%m-%d")


def _graph_error(message: str, status: int) -> bytes:
    """A Graph-shaped error body, so SDKs show the message (code 2: temporary, may be retried)."""
    return json.dumps({"error": {"message": message, "type": "CaptureProxyError", "code": 2,
                                 "is_transient": True, "proxy_status": status}}).encode()


async def _body(receive: Receive, limit: int | None = None) -> bytes | None:
    """The whole request body; None when the sender hung up first. Past `limit` bytes, the first limit + 1."""
    chunks, size = [], 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            return None
        chunk = msg.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if limit is not None and size > limit:
            return b"".join(chunks)[:limit + 1]
        if not msg.get("more_body"):
            return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str:
    for k, v in scope["headers"]:
        if k == name:
            return v.decode("latin-1")
    return ""


class CaptureApp:
    """One process: the Conversions API reverse proxy and the pixel mirror's /collect endpoint."""

    def __init__(self, settings: Settings, journal: Journal | None = None) -> None:
        self.settings = settings
        self.upstream = settings.upstream.rstrip("/")
        self.journal = journal or Journal(settings.log_dir)
        self.client: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self.client is None:
            # No retries: a POST of events is not idempotent, and the sender decides what to resend.
            self.client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.settings.upstream_timeout),
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=60),
                follow_redirects=False)
        return self.client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            path, method = scope["path"], scope["method"]
            if path == "/collect":
                await self._collect(scope, receive, send)
            elif method == "POST" and (m := EVENTS_PATH.fullmatch(path)):
                await self._events(scope, receive, send, m.group(1))
            else:
                await self._pass(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                self._client()
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                if self.client is not None:
                    await self.client.aclose()
                # Everything queued reaches the disk before the process ends.
                await asyncio.get_running_loop().run_in_executor(None, self.journal.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _request_headers(self, scope: Scope, identity: bool) -> list[tuple[bytes, bytes]]:
        headers = [(k, v) for k, v in scope["headers"] if k not in HOP_BY_HOP]
        if identity:
            # Meta's answer is logged, so ask for it uncompressed (it is a few hundred bytes).
            headers = [(k, v) for k, v in headers if k != b"accept-encoding"] + [(b"accept-encoding", b"identity")]
        return headers

    def _url(self, scope: Scope) -> str:
        qs = scope.get("query_string", b"").decode("latin-1")
        return self.upstream + scope["path"] + ("?" + qs if qs else "")

    async def _events(self, scope: Scope, receive: Receive, send: Send, pixel_id: str) -> None:
        sent_at, day = _now()
        body = await _body(receive)
        if body is None:
            return      # the sender hung up before its request was complete: nothing went to Meta
        call = envelope.Call(
            pixel_id=pixel_id, sent_at=sent_at, path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"), content_type=_header(scope, b"content-type"),
            content_encoding=_header(scope, b"content-encoding"), body=body,
            authorization=_header(scope, b"authorization"))
        t0 = time.perf_counter()
        status, headers, content = 502, [(b"content-type", b"application/json")], b""
        logged = False
        try:
            try:
                async with asyncio.timeout(self.settings.upstream_timeout):
                    r = await self._client().request("POST", self._url(scope), content=body,
                                                     headers=self._request_headers(scope, identity=True))
                status, content = r.status_code, r.content
                headers = [(k, v) for k, v in r.headers.raw if k.lower() not in HOP_BY_HOP]
                call.status, call.response_body = status, content
            except (TimeoutError, httpx.TimeoutException):
                status = 504
                call.error = f"Meta did not answer within {self.settings.upstream_timeout:g} s"
            except httpx.HTTPError as exc:
                call.error = f"could not reach {self.upstream}: {type(exc).__name__}: {exc}"
            except Exception as exc:    # whatever went wrong, the sender gets an answer and the call is logged
                call.error = f"capture failed: {type(exc).__name__}: {exc}"
            call.upstream_ms = round((time.perf_counter() - t0) * 1000, 3)
            if call.error:
                call.status_to_sender = status
                content = _graph_error(f"capi-audit capture: {call.error}.", status)
            # Queued (not written: put never blocks) before the answer goes out, so a sender holding its
            # answer knows the call is in the journal's queue; the line is built and written after.
            self.journal.put("server-events", day, lambda: envelope.line(call))
            logged = True
            await self._respond(send, status, headers, content)
        finally:
            if not logged:
                # The upstream call failed in a way not handled above, or the server is stopping: every
                # call that may have reached Meta is logged.
                self.journal.put("server-events", day, lambda: envelope.line(call))

    async def _respond(self, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        length = [] if status in (204, 304) else [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers + length})
        await send({"type": "http.response.body", "body": body})

    async def _pass(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Anything else goes upstream unchanged and unlogged (the answer is streamed back as it comes)."""
        body = await _body(receive)
        if body is None:
            return
        client = self._client()
        try:
            async with asyncio.timeout(self.settings.upstream_timeout):
                req = client.build_request(scope["method"], self._url(scope), content=body or None,
                                           headers=self._request_headers(scope, identity=False))
                r = await client.send(req, stream=True)
        except (TimeoutError, httpx.TimeoutException):
            msg = f"Meta did not answer within {self.settings.upstream_timeout:g} s"
            await self._respond(send, 504, [(b"content-type", b"application/json")], _graph_error(msg, 504))
            return
        except httpx.HTTPError as exc:
            msg = f"could not reach {self.upstream}: {type(exc).__name__}"
            await self._respond(send, 502, [(b"content-type", b"application/json")], _graph_error(msg, 502))
            return
        try:
            # Raw bytes: a compressed answer stays compressed, so its content-length stays true.
            keep = {b"content-length"} if r.headers.get("content-length") else set()
            headers = [(k, v) for k, v in r.headers.raw if k.lower() not in HOP_BY_HOP or k.lower() in keep]
            await send({"type": "http.response.start", "status": r.status_code, "headers": headers})
            async for chunk in r.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except httpx.HTTPError:
            pass    # upstream broke off midway; the sender sees a truncated answer, as it would directly
        finally:
            await r.aclose()

    def _cors(self, scope: Scope) -> list[tuple[bytes, bytes]] | None:
        """CORS headers for /collect, or None when the page's origin is not allowed."""
        origin = _header(scope, b"origin")
        allowed = self.settings.allow_origins
        if "*" in allowed:
            value = "*"
        elif origin in allowed:
            value = origin
        else:
            return None if origin else []
        return [(b"access-control-allow-origin", value.encode("latin-1")), (b"vary", b"Origin")]

    async def _collect(self, scope: Scope, receive: Receive, send: Send) -> None:
        """POST /collect from the pixel-mirror snippet (fetch or navigator.sendBeacon) and its CORS preflight."""
        cors = self._cors(scope)
        text = [(b"content-type", b"text/plain; charset=utf-8")]
        if cors is None:
            await _body(receive, limit=mirror.MAX_BODY)
            await self._respond(send, 403, text, b"origin not allowed; add it with --allow-origin\n")
            return
        if scope["method"] == "OPTIONS":
            await self._respond(send, 204, cors + [
                (b"access-control-allow-methods", b"POST, OPTIONS"),
                (b"access-control-allow-headers", b"Content-Type"),
                (b"access-control-max-age", b"86400")], b"")
            return
        if scope["method"] != "POST":
            await _body(receive, limit=mirror.MAX_BODY)
            await self._respond(send, 405, cors + text + [(b"allow", b"POST, OPTIONS")], b"POST events here\n")
            return
        body = await _body(receive, limit=mirror.MAX_BODY)
        if body is None:
            return
        received_at, day = _now()
        try:
            recs = mirror.records(body, received_at, _header(scope, b"user-agent") or None)
        except mirror.MirrorError as exc:
            await self._respond(send, 400, cors + text, f"{exc}\n".encode())
            return
        self.journal.put("browser-events", day, lambda: mirror.line(recs))     # queued before the answer, as above
        await self._respond(send, 204, cors, b"")
