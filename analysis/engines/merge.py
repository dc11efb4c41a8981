"""Merging a range's rollups, computed on an engine, into the local store: one transaction, idempotent."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import duckdb

from analysis import rollups, store
from analysis.rollups.schema import STATE_TABLES

# The tables an engine computes: every rollup and the pairing state.
TABLES = ("pair_keys", "pair_repeats", "rollup_events", "rollup_emq", "rollup_lint", "rollup_rule_hits")


class MergeError(Exception):
    """Rollups that cannot be merged, as a sentence with the fix."""


@dataclass(frozen=True)
class Merged:
    table: str
    deleted: int
    inserted: int


def check_settings(con: duckdb.DuckDBPyConnection, settings: dict[str, Any]) -> None:
    """Refuse rollups computed with other defining settings than the store's (one definition per store)."""
    stored = rollups.stored_settings(con)
    if stored is None:
        return
    differ = [k for k in rollups.SETTINGS
              if json.dumps(stored.get(k), sort_keys=True) != json.dumps(settings[k], sort_keys=True)]
    if differ:
        raise MergeError(f"The store's rollups were built with other values of {', '.join(differ)}; set them back, "
                         "or run capi-audit rebuild first so that the store takes the current ones.")


def _naive(table: Any) -> Any:
    """Timestamps as naive UTC (an engine may hand them back zone-aware): the store's columns are naive UTC."""
    import pyarrow as pa

    fields = []
    for f in table.schema:
        if pa.types.is_timestamp(f.type) and f.type.tz is not None:
            f = f.with_type(pa.timestamp(f.type.unit))   # same instants: Arrow keeps UTC under a zone
        fields.append(f)
    return table.cast(pa.schema(fields))


def merge(con: duckdb.DuckDBPyConnection, results: dict[str, Any], settings: dict[str, Any],
          lo: datetime | None, hi: datetime | None, pixel: str | None = None) -> list[Merged]:
    """Replace the rollups of [lo, hi) (None: everything) by `results` (Arrow tables), in one transaction.

    Buckets in the range are replaced; pairing state is replaced for every (pixel, event_id) the engine
    computed and for the store's keys lying wholly inside the range (gone from the lake: removed).
    With `pixel`, only that pixel's rows are replaced (results computed for it alone): other pixels' stay.
    """
    out = []
    with store.transaction(con):
        check_settings(con, settings)
        if rollups.stored_settings(con) is None:
            con.execute("INSERT INTO rollup_state VALUES (?, ?)",
                        [json.dumps(settings, sort_keys=True), datetime.now(timezone.utc).replace(tzinfo=None)])
        for name in TABLES:
            con.register(f"_eng_{name}", _naive(results[name]))
        params: dict[str, Any] = {}
        conds, inside = [], []
        if pixel is not None:
            conds.append("pixel_id = $pixel")
            inside.append("k.pixel_id = $pixel")
            params["pixel"] = pixel
        if lo is not None:
            conds.append("bucket >= $lo")
            inside.append("k.first_at >= $lo")
            params["lo"] = lo
        if hi is not None:
            conds.append("bucket < $hi")
            inside.append("k.last_at < $hi")
            params["hi"] = hi
        in_range, key_inside = " AND ".join(conds) or "true", " AND ".join(inside) or "true"
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _eng_units AS
            SELECT DISTINCT pixel_id, event_id FROM _eng_pair_keys
            UNION SELECT DISTINCT pixel_id, event_id FROM pair_keys k WHERE {key_inside}""", params)
        if pixel is not None and any(
                store.scalar(con, f"SELECT count(*) FROM _eng_{name} WHERE pixel_id IS DISTINCT FROM $pixel",
                             {"pixel": pixel}) for name in TABLES):
            raise MergeError(f"These rollups hold rows of pixels other than {pixel}: compute them for it alone "
                             "(rollup --pixel-id) before merging them as its own.")
        unit = ("EXISTS (SELECT 1 FROM _eng_units u WHERE u.pixel_id IS NOT DISTINCT FROM t.pixel_id "
                "AND u.event_id = t.event_id)")
        for name in TABLES:
            where, values = (unit, None) if name in STATE_TABLES else (in_range, params)
            deleted = store.scalar(con, f"SELECT count(*) FROM {name} t WHERE {where}", values)
            con.execute(f"DELETE FROM {name} t WHERE {where}", values or [])
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _eng_{name}")
            out.append(Merged(name, int(deleted), int(results[name].num_rows)))
        for name in TABLES:
            con.unregister(f"_eng_{name}")
        con.execute("DROP TABLE IF EXISTS _eng_units")
    return out
