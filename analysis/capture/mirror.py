"""The first-party pixel mirror: `POST /collect` bodies to browser-events JSONL records (`source: mirror`)."""
from __future__ import annotations

import json
import re
from typing import Any

# The snippet sends one small object per event; a batch of a few is allowed, junk is not.
MAX_BODY = 64 * 1024
MAX_EVENTS = 50
# Longest accepted value per field; anything longer is not from the snippet.
FIELDS = {"event_name": 100, "event_id": 200, "event_source_url": 4096, "fbp": 256, "fbc": 1024}
_PIXEL = re.compile(r"[0-9]{1,32}")
_NUMBER = re.compile(r"[0-9]{9,16}(?:\.[0-9]+)?")


class MirrorError(ValueError):
    """A /collect body that is not what the snippet sends; the message says what is wrong."""


def _one(item: Any, n: int, received_at: str, user_agent: str | None) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise MirrorError(f"event {n} is not a JSON object")
    pixel = item.get("pixel_id")
    pixel = str(pixel) if isinstance(pixel, int) and not isinstance(pixel, bool) else pixel
    if not isinstance(pixel, str) or not _PIXEL.fullmatch(pixel):
        raise MirrorError(f"event {n}: pixel_id must be the pixel's number")
    rec: dict[str, Any] = {"source": "mirror", "pixel_id": pixel}
    for key, limit in FIELDS.items():
        value = item.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key == "event_id":
            value = str(value)    # fbq accepts a number as eventID
        if not isinstance(value, str) or len(value) > limit:
            raise MirrorError(f"event {n}: {key} must be a string of at most {limit} characters")
        rec[key] = value
    if "event_name" not in rec:
        raise MirrorError(f"event {n}: event_name is missing")
    t = item.get("event_time")
    if isinstance(t, bool) or not (isinstance(t, (int, float)) or (isinstance(t, str) and _NUMBER.fullmatch(t))):
        raise MirrorError(f"event {n}: event_time must be Unix time (the snippet sends Date.now(), milliseconds)")
    # Kept as the browser sent it (milliseconds); the ingest reads any Unix magnitude.
    rec["event_time"] = t
    rec["received_at"] = received_at
    if user_agent:
        rec["client_user_agent"] = user_agent[:1024]
    # The visitor's IP address is deliberately not stored: the audit does not need it from the mirror.
    return rec


def records(body: bytes, received_at: str, user_agent: str | None = None) -> list[dict[str, Any]]:
    """The browser-events records in a /collect body (one object, or a list of them); unknown fields are dropped."""
    if len(body) > MAX_BODY:
        raise MirrorError(f"body is larger than {MAX_BODY} bytes")
    try:
        doc = json.loads(body)
    except ValueError:
        raise MirrorError("body is not JSON") from None
    items = doc if isinstance(doc, list) else [doc]
    if not items or len(items) > MAX_EVENTS:
        raise MirrorError(f"send 1 to {MAX_EVENTS} events")
    return [_one(item, n, received_at, user_agent) for n, item in enumerate(items, 1)]


def line(recs: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in recs).encode("utf-8")
