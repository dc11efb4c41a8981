"""The dashboard's only door into analysis: bounded caches over report.series/sources, errors as sentences."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pandas as pd
import streamlit as st

from analysis import config as config_mod
from analysis import report, store
from analysis.connectors import state as sync_state
from analysis.metrics import scope as scope_mod

ALL_PIXELS = "All pixels"
# A reader waits this long for an ingest (ours or another terminal's) to release the file.
READ_WAIT_S = 15.0


class DataError(Exception):
    """Something the user fixes (no database, a bad window or time zone), said as a sentence."""


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices, shared by every page through st.session_state["filters"]."""

    db: str
    since: date | None
    until: date | None
    tz: str
    pixel: str | None


def settings() -> config_mod.Config:
    try:
        return config_mod.load()
    except config_mod.ConfigError as exc:
        raise DataError(str(exc)) from None


def db_path() -> str:
    """The database the dashboard reads: CAPI_AUDIT_DB (set by `capi-audit serve`), else the setting."""
    return str(Path(settings()["db"]).expanduser().resolve())


def _stamp(db: str) -> tuple[float, ...]:
    # Part of every cache key: a write by another process (a CLI ingest) changes the file's mtime,
    # so the next rerun reads fresh numbers without waiting for the ttl.
    return tuple(p.stat().st_mtime for p in (Path(db), Path(db + ".wal")) if p.exists())


@contextlib.contextmanager
def _reading(db: str) -> Iterator[duckdb.DuckDBPyConnection]:
    try:
        with store.reader(db, wait=READ_WAIT_S, announce=lambda _m: None) as con:
            yield con
    except (store.StoreError, scope_mod.ScopeError) as exc:
        raise DataError(str(exc)) from None
    except duckdb.Error as exc:
        raise DataError(f"Could not read the database {db} ({exc}). Check that it is a capi-audit database, "
                        "or rebuild it with `capi-audit demo --rebuild`.") from None


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows) if rows else pd.DataFrame()


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _sources(db: str, stamp: tuple[float, ...]) -> dict[str, Any]:
    with _reading(db) as con:
        raw = report.sources(con)
    return {k: (v if k == "pixels" else _frame(v)) for k, v in raw.items()}


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _default_window(db: str, stamp: tuple[float, ...], tz: str, pixel: str | None) -> tuple[date, date]:
    cfg = settings()
    with _reading(db) as con:
        sc = scope_mod.resolve(con, None, None, tz, pixel, int(cfg["report.days"]))
    return sc.since, sc.until


@st.cache_data(ttl=300, max_entries=32, show_spinner="Computing the audit…")
def _series(db: str, stamp: tuple[float, ...], since: date | None, until: date | None, tz: str,
            pixel: str | None) -> dict[str, Any]:
    cfg = settings()
    with _reading(db) as con:
        data = report.series(con, cfg, report.Options(since, until, tz, pixel))
    data["daily"] = {k: _frame(v) for k, v in data["daily"].items()}
    data["unpaired_sample"] = _frame(data["unpaired_sample"])
    data["deployments_list"] = _frame(data["deployments_list"])
    data["priority_events"] = dict(cfg["priority_events"])
    return data


@st.cache_data(ttl=300, max_entries=64, show_spinner="Tracing…")
def _trace(db: str, stamp: tuple[float, ...], ident: str) -> dict[str, Any]:
    from analysis import trace as trace_mod

    with _reading(db) as con:
        found = trace_mod.trace(con, settings(), ident)
    return {k: (_frame(v) if isinstance(v, list) else v) for k, v in found.items()}


def trace(db: str, ident: str) -> dict[str, Any]:
    """Everything known about an order or event id (flags only, never personal data; raises DataError)."""
    return _trace(db, _stamp(db), ident.strip())


def _check_tz(tz: str) -> None:
    try:
        scope_mod.check_tz(tz)
    except scope_mod.ScopeError as exc:
        raise DataError(str(exc)) from None


def sources(db: str) -> dict[str, Any]:
    """Counts, ingestion history, rejects, Meta snapshot freshness, pixels (raises DataError)."""
    return _sources(db, _stamp(db))


def default_window(db: str, tz: str, pixel: str | None) -> tuple[date, date]:
    """The report's default window: `report.days` days ending on the latest day with data."""
    _check_tz(tz)
    return _default_window(db, _stamp(db), tz, pixel)


def audit(f: Filters) -> dict[str, Any]:
    """report.series for the filters: the JSON report plus daily frames (raises DataError)."""
    _check_tz(f.tz)
    return _series(f.db, _stamp(f.db), f.since, f.until, f.tz, f.pixel)


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _sync_status(db: str, stamp: tuple[float, ...]) -> pd.DataFrame:
    with _reading(db) as con:
        return _frame(sync_state.sync_status(con))


def sync_status(db: str) -> pd.DataFrame:
    """The last `capi-audit sync` of every live source (empty: never synced; raises DataError)."""
    return _sync_status(db, _stamp(db))


def clear() -> None:
    """Forget every cached result (after an upload)."""
    for fn in (_sources, _default_window, _series, _trace, _sync_status):
        fn.clear()


def current() -> Filters:
    """The sidebar's filters, or the problem the frame found (shown) and the page stops."""
    f = st.session_state.get("filters")
    if f is None:
        st.error(st.session_state.get("problem") or "No database is selected. Start the dashboard with "
                 "`capi-audit --db PATH serve`.")
        st.stop()
    return f


def audit_or_stop(f: Filters) -> dict[str, Any]:
    """audit(f), or the error sentence on the page and nothing else."""
    try:
        return audit(f)
    except DataError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable; st.stop raises


def weekly_emq(emq: pd.DataFrame, until: date) -> dict[tuple[str, str], tuple[float | None, float | None]]:
    """(last 7 days, the 7 before) estimated EMQ per pixel × event, event-weighted from the daily rows."""
    if emq.empty:
        return {}
    d = emq.assign(day=pd.to_datetime(emq["day"]).dt.date)
    last = d[(d["day"] > until - timedelta(days=7)) & (d["day"] <= until)]
    prev = d[(d["day"] > until - timedelta(days=14)) & (d["day"] <= until - timedelta(days=7))]

    def mean(part: pd.DataFrame) -> dict[tuple[str, str], float]:
        # The daily emq is a mean over that day's events; weight by them to get the 7-day mean.
        g = part.assign(w=part["emq"] * part["events"]).groupby(["pixel_id", "event_name"])[["w", "events"]].sum()
        return {k: (r.w / r.events if r.events else None) for k, r in g.iterrows()}

    a, b = mean(last), mean(prev)
    return {k: (a.get(k), b.get(k)) for k in set(a) | set(b)}


def pixel_choice(label: str) -> str | None:
    return None if label == ALL_PIXELS else label
