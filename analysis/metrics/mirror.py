"""Browser events that never reached Meta, estimated from the first-party mirror (ad blockers spare it)."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from analysis import store


@dataclass(frozen=True)
class MirrorGap:
    """Per pixel × event name: mirror events in the window and how many the pixel never sent.

    `estimate` = not_seen_by_pixel / paired_population, an estimate: it assumes every mirror event
    was a real pixel call, and it needs pixel copies (a HAR or a pixel log) for the same period.
    None when there are no pixel copies of this pixel at all, or no mirror event carries an event_id.
    """

    pixel_id: str
    event_name: str
    mirror_events: int
    with_event_id: int          # the paired population: mirror events that can be matched
    not_seen_by_pixel: int      # of those, no pixel copy with the same event_name + event_id within 48 h
    estimate: float | None


def by_event(con: duckdb.DuckDBPyConnection, window_hours: int = 48) -> list[MirrorGap]:
    """From the scope's m_mirror and m_browser (scope.prepare): mirror events in the window vs pixel copies."""
    hours = int(window_hours)
    rows = store.query(con, f"""
        WITH mirror AS (
            SELECT pixel_id, event_name, event_id, event_time FROM m_mirror WHERE in_window),
        pixel AS (SELECT pixel_id, event_name, event_id, event_time FROM m_browser),
        pixels_with_copies AS (SELECT DISTINCT pixel_id FROM pixel),
        flagged AS (
            SELECT m.pixel_id, m.event_name, coalesce(trim(m.event_id), '') <> '' AS has_id,
                   EXISTS (SELECT 1 FROM pixel p
                           WHERE p.pixel_id = m.pixel_id AND p.event_name = m.event_name AND p.event_id = m.event_id
                             AND abs(epoch(p.event_time) - epoch(m.event_time)) <= {hours} * 3600) AS seen
            FROM mirror m)
        SELECT f.pixel_id, f.event_name, count(*) AS mirror_events,
               count(*) FILTER (WHERE has_id) AS with_event_id,
               count(*) FILTER (WHERE has_id AND NOT seen) AS not_seen,
               bool_or(c.pixel_id IS NOT NULL) AS has_copies
        FROM flagged f LEFT JOIN pixels_with_copies c USING (pixel_id)
        GROUP BY ALL ORDER BY f.pixel_id, f.event_name""")
    out = []
    for r in rows:
        known = r["has_copies"] and r["with_event_id"] > 0
        out.append(MirrorGap(r["pixel_id"], r["event_name"], int(r["mirror_events"]), int(r["with_event_id"]),
                             int(r["not_seen"]), r["not_seen"] / r["with_event_id"] if known else None))
    return out


def line(gaps: Iterable[Mapping[str, Any]], event_name: str | None = None, pixel_id: str | None = None) -> str | None:
    """"≈ N % of pixel events never reached Meta (estimate from the first-party mirror)" over by_event()'s rows
    (of one event, one pixel), or None without mirror events (or without pixel copies to compare them with)."""
    rows = [g for g in gaps if g["estimate"] is not None and not (isinstance(g["estimate"], float)
                                                                   and math.isnan(g["estimate"]))
            and (event_name is None or g["event_name"] == event_name)
            and (pixel_id is None or g["pixel_id"] == pixel_id)]
    paired = sum(int(g["with_event_id"]) for g in rows)
    if not paired:
        return None
    lost = sum(int(g["not_seen_by_pixel"]) for g in rows)
    what = f"{event_name} pixel events" if event_name else "pixel events"
    return (f"≈ {lost / paired:.0%} of {what} never reached Meta (estimate from the first-party mirror: "
            f"{lost:,} of {paired:,} mirrored events with an event_id have no pixel copy).")
