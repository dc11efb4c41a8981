"""Identifier presence and coverage (validity as received), volumes, opt-out and LDU shares."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from analysis import store
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


def _share_columns() -> str:
    cols = [f"avg(CAST({k}_p AS DOUBLE)) AS p_{k}, avg(CAST({k}_v AS DOUBLE)) AS v_{k}" for k in USER_DATA_KEYS]
    return ", ".join(cols)


def by_event(con: duckdb.DuckDBPyConnection) -> list[EventCoverage]:
    """One row per pixel × event name seen on either side inside the window."""
    rows = store.query(con, f"""
        WITH s AS (
            SELECT pixel_id, event_name, count(*) AS n, {_share_columns()},
                   avg(CAST(coalesce(opt_out, false) AS DOUBLE)) AS opt_out_share,
                   avg(CAST(ldu AS DOUBLE)) AS ldu_share
            FROM m_server WHERE in_window GROUP BY ALL),
        b AS (SELECT pixel_id, event_name, count(*) AS n FROM m_browser WHERE in_window GROUP BY ALL)
        SELECT coalesce(s.pixel_id, b.pixel_id) AS pixel_id, coalesce(s.event_name, b.event_name) AS event_name,
               coalesce(s.n, 0) AS server_events, coalesce(b.n, 0) AS browser_events, s.* EXCLUDE (pixel_id, event_name, n)
        FROM s FULL OUTER JOIN b ON s.pixel_id = b.pixel_id AND s.event_name = b.event_name
        ORDER BY pixel_id, event_name""")
    out = []
    for r in rows:
        out.append(EventCoverage(
            pixel_id=r["pixel_id"], event_name=r["event_name"], server_events=int(r["server_events"]),
            browser_events=int(r["browser_events"]),
            presence={k: r[f"p_{k}"] for k in USER_DATA_KEYS}, coverage={k: r[f"v_{k}"] for k in USER_DATA_KEYS},
            opt_out_share=r["opt_out_share"], ldu_share=r["ldu_share"]))
    return out


def daily(con: duckdb.DuckDBPyConnection, keys: tuple[str, ...] = USER_DATA_KEYS) -> list[dict[str, Any]]:
    """Coverage per pixel × event × local day (server side), for trends and step detection."""
    cols = ", ".join(f"avg(CAST({k}_v AS DOUBLE)) AS {k}" for k in keys)
    return store.query(con, f"""
        SELECT pixel_id, event_name, day, count(*) AS server_events, {cols}
        FROM m_server WHERE in_window GROUP BY ALL ORDER BY pixel_id, event_name, day""")
