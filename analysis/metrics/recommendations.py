"""Ranked fixes: per priority event, the identifier that would raise the estimated EMQ most, and how to send it."""
from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

import duckdb

from analysis import store
from analysis.metrics import emq
from analysis.metrics.hash_match import ORDER_KEYS
from analysis.normalize import USER_DATA_KEYS

PLATFORMS = ("shopify", "woocommerce", "server_gtm", "custom")
PER_EVENT = 3            # fixes listed per event
MIN_UPLIFT = 0.05        # smaller gains are noise next to the model's own error


@cache
def how_to() -> dict[str, dict[str, str]]:
    """The per-key, per-platform instructions shipped with the package (analysis/fixes.toml)."""
    return tomllib.loads(resources.files("analysis").joinpath("fixes.toml").read_text(encoding="utf-8"))


def _patterns(con: duckdb.DuckDBPyConnection, names: list[str]) -> list[dict[str, Any]]:
    """Counted website server events in the window grouped by which keys are present and well-formed
    (the rollups' identifier patterns)."""
    from analysis.rollups import read

    wanted = set(names)
    merged: dict[tuple, int] = {}
    for r in read.emq_patterns(con):
        if r["event_name"] in wanted:
            key = (r["pixel_id"], r["event_name"], r["present"], r["mask"])
            merged[key] = merged.get(key, 0) + int(r["n"])
    out = []
    for (pixel, name, present, mask), n in sorted(merged.items(), key=lambda kv: repr(kv[0])):
        row: dict[str, Any] = {"pixel_id": pixel, "event_name": name}
        for i, k in enumerate(USER_DATA_KEYS):
            row[f"{k}_p"], row[f"{k}_v"] = bool(present >> i & 1), bool(mask >> i & 1)
        out.append(row | {"n": n})
    return out


def _orders_with_keys(con: duckdb.DuckDBPyConnection, names: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per pixel × event: distinct orders its counted in-window server events joined, and the share of them
    whose order carries each key (a correct hash in order_hashes)."""
    # Counted per key in SQL: one row per (pixel, event, key), not every order's keys handed to Python.
    rows = store.query(con, """
        WITH m AS (SELECT DISTINCT pixel_id, event_name, matched_order FROM m_lint_server
                   WHERE in_window AND NOT rejected AND test_event_code IS NULL AND matched_order IS NOT NULL
                     AND list_contains(?, event_name)),
        -- m and h hold distinct rows: each (pixel, event, order, key) joins once, so rows are orders.
        carried AS (SELECT m.pixel_id, m.event_name, h.key, count(*) AS n
                    FROM m JOIN (SELECT DISTINCT order_id, key FROM order_hashes
                                 WHERE variant = 'correct' AND list_contains(?, key)) h
                      ON h.order_id = m.matched_order
                    GROUP BY ALL)
        SELECT o.pixel_id, o.event_name, o.orders, list(c.key) FILTER (c.key IS NOT NULL) AS keys,
               list(c.n) FILTER (c.key IS NOT NULL) AS counts
        FROM (SELECT pixel_id, event_name, count(*) AS orders FROM m GROUP BY ALL) o
        LEFT JOIN carried c ON c.pixel_id IS NOT DISTINCT FROM o.pixel_id AND c.event_name = o.event_name
        GROUP BY ALL""", [names, list(ORDER_KEYS)])
    out = {}
    for r in rows:
        per_key = dict(zip(r["keys"] or [], r["counts"] or []))
        out[(r["pixel_id"], r["event_name"])] = {"orders": int(r["orders"]),
                                                  "share": {k: per_key.get(k, 0) / r["orders"] for k in ORDER_KEYS}}
    return out


def _mean(patterns: list[dict[str, Any]], weights: dict[str, float], tau: float, add: str | None = None) -> float:
    total = sum(p["n"] for p in patterns)
    s = 0.0
    for p in patterns:
        valid = {k for k in USER_DATA_KEYS if p[f"{k}_v"]}
        present = {k for k in USER_DATA_KEYS if p[f"{k}_p"]}
        if add:
            valid, present = valid | {add}, present | {add}
        s += p["n"] * emq.score(valid, present, weights, tau)
    return s / total


def section(con: duckdb.DuckDBPyConnection, priority: dict[str, Any],
            calibrations: dict[str, emq.Calibration]) -> list[dict[str, Any]]:
    """The report's `recommendations`, best gain first (needs the report's temp tables)."""
    names = list(priority)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in _patterns(con, names):
        groups.setdefault((p["pixel_id"], p["event_name"]), []).append(p)
    orders = _orders_with_keys(con, names)
    texts = how_to()
    out = []
    for (pixel, name), patterns in groups.items():
        cal = calibrations.get(pixel)
        weights, tau = (cal.weights, cal.tau) if cal else (emq.DEFAULT_WEIGHTS, emq.TAU)
        total = sum(p["n"] for p in patterns)
        current = _mean(patterns, weights, tau)
        found = []
        for k in USER_DATA_KEYS:
            missing = sum(p["n"] for p in patterns if not p[f"{k}_p"])
            malformed = sum(p["n"] for p in patterns if p[f"{k}_p"] and not p[f"{k}_v"])
            if not missing + malformed:
                continue
            expected = _mean(patterns, weights, tau, add=k)
            if expected - current < MIN_UPLIFT:
                continue
            action = "send" if missing >= malformed else "fix"
            joined = orders.get((pixel, name))
            carried = joined["share"].get(k) if joined and k in ORDER_KEYS else None
            found.append({
                "pixel_id": pixel, "event_name": name, "key": k, "action": action, "title": f"{action} {k} on {name}",
                "affected_share": round((missing + malformed) / total, 4), "missing_share": round(missing / total, 4),
                "malformed_share": round(malformed / total, 4), "events": total,
                "current_emq": round(current, 2), "expected_emq": round(expected, 2),
                "uplift": round(expected - current, 2), "weights": "calibrated" if cal else "default",
                "source": texts[k]["source"], "orders_matched": joined["orders"] if joined else 0,
                "orders_with_key": None if carried is None else round(carried, 4),
                # Only the orders can prove a fix possible; cookies and request data are the site's to capture.
                "fix_possible": None if carried is None else carried > 0,
                "how_to": {pl: texts[k][pl] for pl in PLATFORMS}, "malformed_how_to": texts[k]["malformed"],
            })
        found.sort(key=lambda r: (-r["uplift"], USER_DATA_KEYS.index(r["key"])))
        for rank, r in enumerate(found[:PER_EVENT], 1):
            out.append({"rank": rank, **r})
    out.sort(key=lambda r: (-r["uplift"], r["pixel_id"], r["event_name"], r["rank"]))
    return out
