"""Trace one order id or event id: the order, every server and browser copy, what lint found, whether it paired."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import duckdb

from analysis import config as config_mod
from analysis import report, store
from analysis.metrics import scope as scope_mod
from analysis.normalize import USER_DATA_KEYS

def _ids(con: duckdb.DuckDBPyConnection, ident: str, key_regex: str) -> list[str]:
    """The id, its order key (order-1001 → 1001), and the order's aliases (Shopify's numeric Id)."""
    first = sorted({ident, re.sub(key_regex, "", ident)} - {""})
    rows = store.query(con, """SELECT order_id, alt_id FROM orders
                              WHERE list_contains($ids, order_id) OR list_contains($ids, alt_id)""", {"ids": first})
    return sorted(set(first) | {r["order_id"] for r in rows} | {r["alt_id"] for r in rows if r["alt_id"]})


# An event belongs to the id by its event_id, its custom_data.order_id, or the order-key rule.
_MATCH = ("(list_contains($ids, event_id) OR list_contains($ids, order_id) "
          "OR list_contains($ids, regexp_replace(coalesce(event_id, ''), $re, '')))")


def trace(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, ident: str) -> dict[str, Any]:
    """Everything known about an id; identifiers are shown as present/valid flags, never values."""
    ident = ident.strip()
    ids = _ids(con, ident, cfg["order_key_regex"])
    params = {"ids": ids, "re": cfg["order_key_regex"]}
    cond = _MATCH
    # Several clients may each have an order with this id: each is listed with its owner (pixel or shop).
    orders = store.query(con, """SELECT order_id, alt_id, owner, pixel_id, shop, created_at, updated_at, total,
                                        currency, status, channel, test,
                                        (SELECT list(DISTINCT key ORDER BY key) FROM order_hashes h
                                         WHERE h.owner = o.owner AND h.order_id = o.order_id
                                           AND variant = 'correct') AS hashed_keys
                                 FROM orders o WHERE list_contains($ids, order_id) ORDER BY owner""", {"ids": ids})
    flags = ", ".join(f"{k}_p AS {k}_present, {k}_v AS {k}_valid" for k in USER_DATA_KEYS)
    server = store.query(con, f"""SELECT event_uid, pixel_id, event_name, event_id, event_time, sent_at, order_id,
                                         value, currency, action_source, rejected, error_code, test_event_code,
                                         event_time_unit, {flags}
                                  FROM server_events WHERE {cond} ORDER BY event_time, sent_at""", params)
    browser = store.query(con, f"""SELECT event_uid, source, pixel_id, event_name, event_id, event_time, received_at,
                                          order_id, value, currency, fbp IS NOT NULL AS fbp_present,
                                          fbc IS NOT NULL AS fbc_present, user_data_keys
                                   FROM browser_events WHERE {cond} ORDER BY event_time""", params)
    out: dict[str, Any] = {"id": ident, "orders": orders, "server": server, "browser": browser,
                           "lint": [], "paired": [], "found": bool(orders or server or browser)}
    times = [e["event_time"] for e in server + browser] + [o["created_at"] for o in orders]
    if not times:
        return out
    # Run the audit over the days around this id, then keep what concerns its events.
    tz = cfg["timezone"]
    first, last = min(times), max(times)
    sc = scope_mod.Scope((first - timedelta(days=1)).date(), (last + timedelta(days=1)).date(), tz)
    report.prepare(con, sc, cfg, full_lint=True)
    uids = [e["event_uid"] for e in server + browser]
    # The order each server copy joined: among its own pixel's orders only (owner '' = an order of every pixel).
    joined = {r["event_uid"]: r for r in store.query(
        con, """SELECT event_uid, matched_owner, matched_order FROM m_lint_server
                WHERE list_contains($uids, event_uid)""", {"uids": uids})} if uids else {}
    for e in server:
        j = joined.get(e["event_uid"]) or {}
        e["joined_order"], e["joined_owner"] = j.get("matched_order"), j.get("matched_owner")
    if uids:
        out["lint"] = store.query(con, """SELECT DISTINCT rule, severity, side, event_id, event_name, field, diagnosis
                                         FROM m_lint WHERE list_contains($uids, event_uid) ORDER BY rule""",
                                  {"uids": uids})
        keys = {(e["pixel_id"], e["event_name"], e["event_id"]) for e in server + browser if e["event_id"]}
        for pixel, name, eid in sorted(keys, key=str):
            matched = store.scalar(con, """SELECT count(*) FROM dd_matched WHERE pixel_id = ? AND event_name = ?
                                           AND event_id = ?""", [pixel, name, eid])
            mismatch = store.scalar(con, """SELECT count(*) FROM dd_name_mismatch WHERE pixel_id = ? AND event_id = ?""",
                                    [pixel, eid])
            out["paired"].append({"pixel_id": pixel, "event_name": name, "event_id": eid, "paired": bool(matched),
                                  "name_mismatch": bool(mismatch)})
    return out
