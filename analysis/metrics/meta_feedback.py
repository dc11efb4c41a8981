"""What Meta itself says about each event: the latest quality snapshot's feedback and /stats counts in the window."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb

from analysis import store

Key = tuple[str, str]
# The diagnostic fields kept from a snapshot (Meta's aggregate figures and advice; no personal data).
DIAGNOSTIC_TEXT = ("name", "description", "solution")
DIAGNOSTIC_NUMBERS = ("percentage", "affected_event_count", "total_event_count")


def _number(value: Any) -> float | None:
    """A finite number, or None (JSON has no NaN or Infinity)."""
    if isinstance(value, dict):
        value = value.get("percentage")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def _diagnostics(response: Any, event_name: str) -> list[dict[str, Any]]:
    """The event's event_match_quality.diagnostics from a stored response (anything malformed is skipped)."""
    try:
        doc = json.loads(response) if isinstance(response, str) else response
    except ValueError:
        return []
    web = doc.get("web") if isinstance(doc, dict) else None
    for item in web if isinstance(web, list) else []:
        if not isinstance(item, dict) or str(item.get("event_name", "")).strip() != event_name:
            continue
        quality = item.get("event_match_quality")
        raw = quality.get("diagnostics") if isinstance(quality, dict) else None
        out = []
        for d in raw if isinstance(raw, list) else []:
            if not isinstance(d, dict):
                continue
            entry: dict[str, Any] = {k: (str(d[k])[:500] if d.get(k) is not None else None) for k in DIAGNOSTIC_TEXT}
            entry.update({k: _number(d.get(k)) for k in DIAGNOSTIC_NUMBERS})
            out.append(entry)
        return out
    return []


def by_event(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
             pixel_id: str | None) -> dict[Key, dict[str, Any]]:
    """Per pixel × event Meta reports in [start, end): its latest snapshot's feedback and the /stats sums.

    `match_keys` maps Meta's identifier names to their coverage percentage; `server_received` and
    `browser_received` sum /stats `event` counts with event_source SERVER_ONLY / WEB_ONLY (null: none ingested).
    """
    pixel = "AND pixel_id = ?" if pixel_id else ""
    args = [start, end] + ([pixel_id] if pixel_id else [])
    latest = store.query(con, f"""
        SELECT e.pixel_id, e.event_name, e.fetched_at, e.composite_score, e.event_coverage_pct, e.acr_pct,
               s.response
        FROM meta_quality_events e JOIN meta_quality_snapshots s USING (pixel_id, fetched_at)
        WHERE e.fetched_at >= ? AND e.fetched_at < ? {pixel.replace('pixel_id', 'e.pixel_id')}
        QUALIFY row_number() OVER (PARTITION BY e.pixel_id, e.event_name ORDER BY e.fetched_at DESC) = 1""", args)
    keys = store.query(con, f"""
        SELECT k.pixel_id, k.event_name, k.identifier, k.coverage_pct FROM meta_quality_match_keys k
        JOIN (SELECT pixel_id, event_name, max(fetched_at) AS fetched_at FROM meta_quality_events
              WHERE fetched_at >= ? AND fetched_at < ? {pixel} GROUP BY ALL) l USING (pixel_id, event_name, fetched_at)
        ORDER BY k.identifier""", args)
    stats = store.query(con, f"""
        SELECT pixel_id, value AS event_name, sum(count) FILTER (event_source = 'SERVER_ONLY') AS server_received,
               sum(count) FILTER (event_source = 'WEB_ONLY') AS browser_received
        FROM meta_stats WHERE aggregation = 'event' AND event_source IN ('SERVER_ONLY', 'WEB_ONLY')
          AND hour >= ? AND hour < ? {pixel} GROUP BY ALL""", args)
    out: dict[Key, dict[str, Any]] = {}

    def entry(key: Key) -> dict[str, Any]:
        return out.setdefault(key, {"fetched_at": None, "composite_score": None, "event_coverage_pct": None,
                                    "acr_pct": None, "match_keys": {}, "diagnostics": [],
                                    "server_received": None, "browser_received": None})

    for r in latest:
        e = entry((r["pixel_id"], r["event_name"]))
        e.update({"fetched_at": r["fetched_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "composite_score": _number(r["composite_score"]),
                  "event_coverage_pct": _number(r["event_coverage_pct"]),
                  "acr_pct": _number(r["acr_pct"]), "diagnostics": _diagnostics(r["response"], r["event_name"])})
    for r in keys:
        entry((r["pixel_id"], r["event_name"]))["match_keys"][r["identifier"]] = _number(r["coverage_pct"])
    for r in stats:
        e = entry((r["pixel_id"], r["event_name"]))
        for k in ("server_received", "browser_received"):
            e[k] = None if r[k] is None else int(r[k])
    return out
