"""Estimated Event Match Quality: a published, diminishing-returns model, and its calibration to Meta.

score(event) = 0 if the event is baseline-invalid, else 10 · (1 − exp(−S / tau)),
S = Σ weight[key] over the keys whose value is well-formed as received.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import duckdb
import numpy as np

from analysis import store
from analysis.normalize import USER_DATA_KEYS

# Practitioners' ranking (reference §8): high em, ph, fbc; medium-high fbp; medium external_id,
# IP, UA; low-medium fn, ln; low geo. TAU is chosen so that fbp + IP + UA + geo ≈ 5.2 and
# em + ph + fbp + IP + UA ≈ 8.7 (the public, unconfirmed reference points).
DEFAULT_WEIGHTS: dict[str, float] = {
    "em": 4.0, "ph": 3.5, "fbc": 2.5, "fbp": 1.5, "external_id": 1.0,
    "client_ip_address": 0.9, "client_user_agent": 0.6, "fn": 0.5, "ln": 0.5,
    "db": 0.3, "zp": 0.25, "ct": 0.2, "st": 0.2, "country": 0.2, "ge": 0.1,
}
TAU = 5.245
# Meta's baseline rule: identifiers only from one of these sets make an event invalid.
INVALID_SETS: tuple[frozenset[str], ...] = (
    frozenset({"ct", "country", "st", "zp", "ge", "client_user_agent"}),
    frozenset({"db", "client_user_agent"}),
    frozenset({"fn", "ge"}),
    frozenset({"ln", "ge"}),
)
MIN_SNAPSHOTS = 5


def score(valid_keys: set[str], present_keys: set[str] | None = None,
          weights: dict[str, float] = DEFAULT_WEIGHTS, tau: float = TAU) -> float:
    """The per-event score in Python (the SQL below computes the same)."""
    present = valid_keys if present_keys is None else present_keys
    if any(present <= s for s in INVALID_SETS):
        return 0.0
    s = sum(weights.get(k, 0.0) for k in valid_keys)
    return 10.0 * (1.0 - math.exp(-s / tau))


def baseline_invalid_sql() -> str:
    """Present identifier keys ⊆ one of Meta's invalid sets (none present counts)."""
    parts = []
    for invalid in INVALID_SETS:
        outside = [f"{k}_p" for k in USER_DATA_KEYS if k not in invalid]
        parts.append("NOT (" + " OR ".join(outside) + ")")
    return "(" + " OR ".join(parts) + ")"


def score_sql(weights: dict[str, float] = DEFAULT_WEIGHTS, tau: float = TAU) -> str:
    s = " + ".join(f"{float(weights.get(k, 0.0))!r} * CAST({k}_v AS DOUBLE)" for k in USER_DATA_KEYS)
    return f"(CASE WHEN {baseline_invalid_sql()} THEN 0.0 ELSE 10.0 * (1.0 - exp(-({s}) / {float(tau)!r})) END)"


def estimates(con: duckdb.DuckDBPyConnection, weights: dict[str, float] = DEFAULT_WEIGHTS,
              tau: float = TAU, daily: bool = False) -> list[dict[str, Any]]:
    """Mean score over website server events in the scope, per pixel × event name (× day), from the rollups."""
    from analysis.rollups import read

    return read.emq(con, weights, tau, daily)


def meta_scores(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                pixel_id: str | None) -> dict[tuple[str, str], float]:
    """The latest Meta composite_score fetched inside [start, end), per pixel × event."""
    pixel = "AND pixel_id = ?" if pixel_id else ""
    rows = store.query(con, f"""
        SELECT pixel_id, event_name, arg_max(composite_score, fetched_at) AS score
        FROM meta_quality_events
        WHERE fetched_at >= ? AND fetched_at < ? AND composite_score IS NOT NULL {pixel}
        GROUP BY ALL""", [start, end] + ([pixel_id] if pixel_id else []))
    return {(r["pixel_id"], r["event_name"]): r["score"] for r in rows}


def meta_daily(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, tz: str,
               pixel_id: str | None) -> list[dict[str, Any]]:
    pixel = "AND pixel_id = ?" if pixel_id else ""
    return store.query(con, f"""
        SELECT pixel_id, event_name, CAST(timezone(?, CAST(fetched_at AS TIMESTAMPTZ)) AS DATE) AS day,
               arg_max(composite_score, fetched_at) AS score
        FROM meta_quality_events WHERE fetched_at >= ? AND fetched_at < ? {pixel}
        GROUP BY ALL ORDER BY ALL""", [tz, start, end] + ([pixel_id] if pixel_id else []))


# ---------------------------------------------------------------- calibration

@dataclass
class Calibration:
    pixel_id: str
    weights: dict[str, float]
    tau: float
    snapshots: int
    rmse_before: float
    rmse_after: float


def _snapshot_patterns(con: duckdb.DuckDBPyConnection, pixel_id: str) -> tuple[list[float], list[dict[tuple, int]]]:
    """Per snapshot: Meta's score and the counts of (baseline-invalid, valid-key pattern) in the 7 days before."""
    valid_cols = ", ".join(f"{k}_v" for k in USER_DATA_KEYS)
    rows = store.query(con, f"""
        WITH snaps AS (
            SELECT pixel_id, fetched_at, event_name, composite_score FROM meta_quality_events
            WHERE pixel_id = ? AND composite_score IS NOT NULL)
        SELECT s.fetched_at, s.event_name, any_value(s.composite_score) AS y,
               {baseline_invalid_sql()} AS invalid, {valid_cols}, count(*) AS n
        FROM snaps s JOIN server_events e
          ON e.pixel_id = s.pixel_id AND e.event_name = s.event_name
         AND e.event_time >= s.fetched_at - INTERVAL 7 DAY AND e.event_time < s.fetched_at
         AND NOT e.rejected AND e.test_event_code IS NULL AND e.action_source = 'website'
        GROUP BY s.fetched_at, s.event_name, invalid, {valid_cols}
        ORDER BY s.fetched_at, s.event_name""", [pixel_id])
    ys: dict[tuple, float] = {}
    pats: dict[tuple, dict[tuple, int]] = {}
    for r in rows:
        snap = (r["fetched_at"], r["event_name"])
        ys[snap] = float(r["y"])
        pattern = (bool(r["invalid"]),) + tuple(bool(r[f"{k}_v"]) for k in USER_DATA_KEYS)
        pats.setdefault(snap, {})[pattern] = int(r["n"])
    keys = sorted(ys)
    return [ys[k] for k in keys], [pats[k] for k in keys]


def fit(ys: list[float], patterns: list[dict[tuple, int]], prior: dict[str, float] = DEFAULT_WEIGHTS,
        tau: float = TAU, ridge: float = 0.05, iterations: int = 200) -> tuple[dict[str, float], float, float]:
    """Non-negative weights minimising squared error to Meta's scores, pulled gently toward the prior.

    Levenberg–Marquardt on the mean score per snapshot; keys no snapshot varies stay at the prior.
    Returns (weights, rmse_before, rmse_after).
    """
    keys = list(USER_DATA_KEYS)
    # Design: for each snapshot, pattern shares f (S×P) and key indicators X (P×K); invalid patterns score 0.
    all_patterns = sorted({p for snap in patterns for p in snap})
    index = {p: i for i, p in enumerate(all_patterns)}
    f = np.zeros((len(ys), len(all_patterns)))
    for s, snap in enumerate(patterns):
        total = sum(snap.values())
        for p, n in snap.items():
            f[s, index[p]] = n / total
    x = np.array([[1.0 if p[1 + k] else 0.0 for k in range(len(keys))] for p in all_patterns])
    valid = np.array([0.0 if p[0] else 1.0 for p in all_patterns])
    y = np.array(ys)
    w0 = np.array([prior.get(k, 0.0) for k in keys])

    def predict(w: np.ndarray) -> np.ndarray:
        return f @ (valid * 10.0 * (1.0 - np.exp(-(x @ w) / tau)))

    def loss(w: np.ndarray) -> float:
        return float(np.sum((predict(w) - y) ** 2) + ridge * np.sum((w - w0) ** 2))

    w, mu = w0.copy(), 1e-2
    current = loss(w)
    for _ in range(iterations):
        g = valid * 10.0 * np.exp(-(x @ w) / tau) / tau          # d score / d S, per pattern
        jac = f @ (g[:, None] * x)                                 # S×K
        r = predict(w) - y
        a = jac.T @ jac + ridge * np.eye(len(keys))
        b = jac.T @ r + ridge * (w - w0)
        step = np.linalg.solve(a + mu * np.diag(np.diag(a) + 1e-9), b)
        candidate = np.maximum(w - step, 0.0)
        new = loss(candidate)
        if new < current:
            improvement = current - new
            w, current, mu = candidate, new, mu / 3
            if improvement < 1e-12:
                break
        else:
            mu *= 4
            if mu > 1e8:
                break
    rmse = lambda ww: float(np.sqrt(np.mean((predict(ww) - y) ** 2))) if len(y) else 0.0  # noqa: E731
    return {k: round(float(v), 4) for k, v in zip(keys, w)}, rmse(w0), rmse(w)


def calibrate(con: duckdb.DuckDBPyConnection) -> list[Calibration]:
    """Fit one calibration per pixel with ≥ MIN_SNAPSHOTS snapshots and store it (writer connection)."""
    out = []
    pixels = [r["pixel_id"] for r in store.query(con, "SELECT DISTINCT pixel_id FROM meta_quality_events ORDER BY 1")]
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for pixel in pixels:
        ys, patterns = _snapshot_patterns(con, pixel)
        if len(ys) < MIN_SNAPSHOTS:
            continue
        weights, before, after = fit(ys, patterns)
        cal = Calibration(pixel, weights, TAU, len(ys), before, after)
        con.execute("INSERT INTO emq_calibrations VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [now, pixel, json.dumps(weights), TAU, len(ys), before, after])
        out.append(cal)
    return out


def latest_calibrations(con: duckdb.DuckDBPyConnection) -> dict[str, Calibration]:
    rows = store.query(con, """
        SELECT pixel_id, arg_max(weights, calibrated_at) AS weights, arg_max(tau, calibrated_at) AS tau,
               arg_max(snapshots, calibrated_at) AS snapshots, arg_max(rmse_before, calibrated_at) AS before,
               arg_max(rmse_after, calibrated_at) AS after
        FROM emq_calibrations GROUP BY pixel_id""")
    return {r["pixel_id"]: Calibration(r["pixel_id"], json.loads(r["weights"]), r["tau"], r["snapshots"],
                                       r["before"], r["after"]) for r in rows}
