"""A captured Conversions API call as one server-events envelope line, with the access token removed."""
from __future__ import annotations

import email.parser
import email.policy
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

# Parameters that authenticate the call: forwarded to Meta, never written to the log.
SECRET_KEYS = frozenset({"access_token", "appsecret_proof"})
REMOVED = "[removed]"
# A stored non-JSON response body is cut here (Meta's answers are a few hundred bytes).
MAX_TEXT = 65536
# Any leftover `access_token=…` or `"access_token": "…"` in text that could not be parsed.
_SECRET_IN_TEXT = re.compile(
    r'''(?i)((?:access_token|appsecret_proof)\\?"?\s*[:=]\s*\\?"?)([^"&\s\\]+)''')
# A secret value shorter than this is not searched for across the whole line (it could match by chance).
_MIN_SECRET = 8


@dataclass
class Call:
    """What the proxy saw of one `POST /{version}/{pixel_id}/events`, handed to the log writer."""

    pixel_id: str
    sent_at: str                        # when the proxy received it, UTC, ISO 8601 with microseconds
    path: str
    query: str
    content_type: str
    content_encoding: str
    body: bytes
    authorization: str = ""             # an `Authorization: OAuth|Bearer <token>` header, only to scrub it
    status: int | None = None           # Meta's status; None when Meta did not answer
    response_body: bytes = b""
    upstream_ms: float | None = None
    error: str | None = None            # why Meta did not answer (timeout, connection refused)
    status_to_sender: int | None = None
    secrets: list[str] = field(default_factory=list)


def _pairs_to_params(pairs: list[tuple[str, str]], secrets: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in pairs:
        if key in SECRET_KEYS:
            secrets.append(value)
        else:
            params[key] = value
    return params


def _multipart(body: bytes, content_type: str) -> list[tuple[str, str]]:
    """Fields of a multipart/form-data body (what `curl -F data=… -F access_token=…` sends)."""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body)
    pairs = []
    for part in msg.iter_parts() if msg.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True) or b""
            pairs.append((str(name), payload.decode("utf-8", "replace")))
    return pairs


def _decompress(body: bytes, encoding: str) -> bytes:
    enc = encoding.strip().lower()
    if enc in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if enc == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    return body


def request_params(call: Call) -> Any:
    """The request as Meta reads it: query and body parameters merged (the body wins), secrets taken out.

    Every value stays exactly as the sender sent it; only `data` given as JSON text (a form field,
    or a string in a JSON body) is decoded into the array it encodes, so the log is a normal envelope.
    """
    secrets = call.secrets
    params = _pairs_to_params(parse_qsl(call.query, keep_blank_values=True), secrets)
    media = call.content_type.split(";", 1)[0].strip().lower()
    try:
        body = _decompress(call.body, call.content_encoding) if call.body else b""
    except zlib.error:
        return _scrub_text(f"(a {call.content_encoding} body that does not decompress, {len(call.body)} bytes)")
    if body:
        if media == "application/x-www-form-urlencoded":
            params.update(_pairs_to_params(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True), secrets))
        elif media == "multipart/form-data":
            params.update(_pairs_to_params(_multipart(body, call.content_type), secrets))
        else:
            # JSON, whatever the content type says (senders often omit it or say text/plain).
            try:
                parsed = json.loads(body)
            except ValueError:
                return _scrub_text(body.decode("utf-8", "replace"))
            if not isinstance(parsed, dict):
                return parsed    # not a request Meta accepts; kept so the audit can say why
            params.update(_pairs_to_params(list(parsed.items()), secrets))
    data = params.get("data")
    if isinstance(data, str):
        try:
            decoded = json.loads(data)
        except ValueError:
            decoded = None
        if isinstance(decoded, list):
            params["data"] = decoded
    return params


def _scrub_text(text: str) -> str:
    return _SECRET_IN_TEXT.sub(lambda m: m.group(1) + REMOVED, text)


def _response_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _scrub_text(raw.decode("utf-8", "replace")[:MAX_TEXT])


def line(call: Call) -> bytes:
    """The envelope (inputs.md) as one JSON line, plus a `capture` object the ingest ignores."""
    record: dict[str, Any] = {"pixel_id": call.pixel_id, "sent_at": call.sent_at, "request": request_params(call)}
    if call.status is not None:
        record["response"] = {"status": call.status, "body": _response_body(call.response_body)}
    # Meta did not answer (timeout, refused connection): no `response`, so delivery counts as unknown.
    capture: dict[str, Any] = {"path": call.path, "upstream_ms": call.upstream_ms}
    if call.error:
        capture["error"] = call.error
        capture["status_to_sender"] = call.status_to_sender
    record["capture"] = capture
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    # Belt and braces: the token must not survive anywhere, e.g. copied into an event by mistake.
    auth = call.authorization.split(None, 1)
    secrets = call.secrets + ([auth[1].strip()] if len(auth) == 2 else [])
    for secret in {s for s in secrets if len(s) >= _MIN_SECRET}:
        for form in {secret, json.dumps(secret, ensure_ascii=False)[1:-1]}:
            text = text.replace(form, REMOVED)
    return text.encode("utf-8") + b"\n"
