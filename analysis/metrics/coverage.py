"""Identifier presence and coverage (validity as received), volumes, opt-out and LDU shares."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from analysis.rollups import read
from analysis.normalize import USER_DATA_KEYS


@dataclass
class EventCoverage:
    pixel_id: str
    event_name: str
    server_events: int
    browser_events: int
    presence: dict[str, float | None] = field(default_factory=dict)
    coverage: dict[str, float | None] = field(default_factory=dict)
    opt_out_share: float | None = None
    ldu_share: float | None = None


def _share(num: Any, den: Any) -> float | None:
    return num / den if den else None


def by_event(con: duckdb.DuckDBPyConnection) -> list[EventCoverage]:
    """One row per pixel × event name counted on either side inside the scope (from the rollups)."""
    out = []
    for (pixel, name), by_side in sorted(read.sides(con).items(), key=lambda kv: (kv[0][0] is None, kv[0])):
        s, b = by_side.get("server"), by_side.get("browser")
        n = int(s["n"]) if s else 0
        out.append(EventCoverage(
            pixel_id=pixel, event_name=name, server_events=n, browser_events=int(b["n"]) if b else 0,
            presence={k: _share(s[f"p_{k}"], n) if s else None for k in USER_DATA_KEYS},
            coverage={k: _share(s[f"v_{k}"], n) if s else None for k in USER_DATA_KEYS},
            opt_out_share=_share(s["opt_out"], n) if s else None, ldu_share=_share(s["ldu"], n) if s else None))
    return out


def daily(con: duckdb.DuckDBPyConnection, keys: tuple[str, ...] = USER_DATA_KEYS) -> list[dict[str, Any]]:
    """Coverage per pixel × event × local day (server side), for trends and step detection."""
    out = []
    for r in read.events(con, daily=True):
        if r["side"] == "server" and r["n"]:
            n = int(r["n"])
            out.append({"pixel_id": r["pixel_id"], "event_name": r["event_name"], "day": r["day"],
                        "server_events": n} | {k: r[f"v_{k}"] / n for k in keys})
    return out
