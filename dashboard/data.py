"""The dashboard's only door into analysis: bounded caches over analysis's page data, errors as sentences."""
from __future__ import annotations

import contextlib
import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import streamlit as st

from analysis import config as config_mod
from analysis import export, report, store
from analysis import portfolio as portfolio_mod
from analysis.connectors import state as sync_state
from analysis.metrics import deployments as deployments_mod
from analysis.metrics import scope as scope_mod
from analysis.views import deployments as dep_views
from analysis.views import health, page_data

ALL_PIXELS = "All pixels"
# A reader waits this long for an ingest or sync (another process) to release the file, then shows the
# last numbers it read instead: a page must not hang for the length of a load.
READ_WAIT_S = 3.0
# The last result of each query, for while a writer holds the file (bounded: least recently used go first).
LAST_KEPT = 32


class DataError(Exception):
    """Something the user fixes (no database, a bad window or time zone), said as a sentence."""


class BusyError(DataError):
    """A writer held the database for longer than READ_WAIT_S, and no earlier numbers were read."""


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
        cfg = config_mod.load()
    except config_mod.ConfigError as exc:
        raise DataError(str(exc)) from None
    store.configure(cfg)
    return cfg


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
    except store.LockedError:
        raise BusyError("The database is busy being written (an ingest or sync is running) and nothing was read "
                        "from it yet; reload the page in a moment.") from None
    except (store.StoreError, scope_mod.ScopeError) as exc:
        raise DataError(str(exc)) from None
    except duckdb.Error as exc:
        raise DataError(f"Could not read the database {db} ({exc}). Check that it is a capi-audit database, "
                        "or rebuild it with `capi-audit demo --rebuild`.") from None


_last: OrderedDict[tuple[Any, ...], tuple[tuple[float, ...], Any, datetime]] = OrderedDict()
_last_lock = threading.Lock()


def _latest(fn: Callable[..., Any], db: str, *args: Any) -> Any:
    """fn(db, stamp, *args); while a writer holds the database, the last result read for the same arguments,
    with a notice on the page saying how old it is (raises BusyError when there is none)."""
    key, stamp = (fn.__name__, db, *args), _stamp(db)
    try:
        value = fn(db, stamp, *args)
    except BusyError:
        with _last_lock:
            kept = _last.get(key)
        if kept is None:
            raise
        busy_notice(kept[2])
        return copy.deepcopy(kept[1])
    now = datetime.now(ZoneInfo("UTC"))
    with _last_lock:
        # Copied: pages may change what they get; the copy is only made when the file changed. The time is
        # when the numbers were last known to be current.
        kept = _last.get(key)
        _last[key] = (stamp, kept[1] if kept and kept[0] == stamp else copy.deepcopy(value), now)
        _last.move_to_end(key)
        while len(_last) > LAST_KEPT:
            _last.popitem(last=False)
    return value


def busy_notice(read_at: datetime) -> None:
    """Once per script run (the frame resets the flag): older numbers are on the page, and why."""
    if st.session_state.get("busy_noticed"):
        return
    st.session_state["busy_noticed"] = True
    st.warning(f"The database is busy being written (an ingest or sync is running); showing numbers from "
               f"{read_at:%H:%M} UTC. They refresh on the next click once it is done.", icon=":material/hourglass_top:")


def stale_notice(rep: dict[str, Any]) -> None:
    """Once per script run: the numbers were computed for this window alone because a setting that
    defines the stored rollups changed (right, slower); `capi-audit rebuild` makes the store's current."""
    state = rep.get("rollups") or {}
    if state.get("state") != "stale" or st.session_state.get("stale_noticed"):
        return
    st.session_state["stale_noticed"] = True
    st.warning(f"The settings {', '.join(state.get('stale_settings') or [])} changed since the stored rollups were "
               "built: these numbers were computed for this window alone, which is slower. Run `capi-audit rebuild` "
               "once to bring the store's rollups up to date.", icon=":material/sync_problem:")


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows) if rows else pd.DataFrame()


def csv_text(frame: pd.DataFrame) -> str:
    """A table as a CSV download, through the same formula-safe writer as `capi-audit lint`."""
    cells = frame.astype(object).where(frame.notna(), None)
    return export.csv_text(cells.to_dict("records"), list(frame.columns))


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _sources(db: str, stamp: tuple[float, ...]) -> dict[str, Any]:
    with _reading(db) as con:
        raw = report.sources(con)
    return {k: (v if k == "pixels" else _frame(v)) for k, v in raw.items()}


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _default_window(db: str, stamp: tuple[float, ...], tz: str, pixel: str | None) -> tuple[date, date]:
    cfg = settings()
    with _reading(db) as con:
        return page_data.default_window(con, cfg, tz, pixel)


@st.cache_data(ttl=300, max_entries=32, show_spinner="Computing the audit…")
def _series(db: str, stamp: tuple[float, ...], since: date | None, until: date | None, tz: str,
            pixel: str | None) -> dict[str, Any]:
    with _reading(db) as con:
        data = page_data.audit(con, settings(), report.Options(since, until, tz, pixel))
    data["daily"] = {k: _frame(v) for k, v in data["daily"].items()}
    for key in ("unpaired_sample", "deployments_list", "metric_daily"):
        data[key] = _frame(data[key])
    return data


@st.cache_data(ttl=300, max_entries=64, show_spinner="Tracing…")
def _trace(db: str, stamp: tuple[float, ...], ident: str) -> dict[str, Any]:
    from analysis import trace as trace_mod

    with _reading(db) as con:
        found = trace_mod.trace(con, settings(), ident)
    return {k: (_frame(v) if isinstance(v, list) else v) for k, v in found.items()}


def trace(db: str, ident: str) -> dict[str, Any]:
    """Everything known about an order or event id (flags only, never personal data; raises DataError)."""
    return _latest(_trace, db, ident.strip())


def _check_tz(tz: str) -> None:
    try:
        scope_mod.check_tz(tz)
    except scope_mod.ScopeError as exc:
        raise DataError(str(exc)) from None


def sources(db: str) -> dict[str, Any]:
    """Counts, ingestion history, rejects, Meta snapshot freshness, pixels (raises DataError)."""
    return _latest(_sources, db)


def default_window(db: str, tz: str, pixel: str | None) -> tuple[date, date]:
    """The report's default window: `report.days` days ending on the latest day with data."""
    _check_tz(tz)
    return _latest(_default_window, db, tz, pixel)


def audit(f: Filters) -> dict[str, Any]:
    """report.series for the filters: the JSON report plus daily frames (raises DataError)."""
    _check_tz(f.tz)
    rep = _latest(_series, f.db, f.since, f.until, f.tz, f.pixel)
    stale_notice(rep)
    return rep


@st.cache_data(ttl=300, max_entries=32, show_spinner="Computing every pixel's report…")
def _portfolio(db: str, stamp: tuple[float, ...], since: date | None, until: date | None, tz: str) -> dict[str, Any]:
    cfg = settings()
    with _reading(db) as con:
        return portfolio_mod.build(con, cfg, report.Options(since, until, tz))


def portfolio(f: Filters) -> dict[str, Any]:
    """Every pixel's headline numbers over the sidebar's window, worst first (the pixel filter does not apply;
    raises DataError)."""
    _check_tz(f.tz)
    return _latest(_portfolio, f.db, f.since, f.until, f.tz)


# ---------------------------------------------------------------- monthly health check

@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _months(db: str, stamp: tuple[float, ...], tz: str, pixel: str | None) -> pd.DataFrame:
    with _reading(db) as con:
        rows = page_data.months(con, tz, pixel)
    return pd.DataFrame(rows, columns=["month", "first_day", "last_day", "events"])


def months(db: str, tz: str, pixel: str | None) -> pd.DataFrame:
    """Calendar months with server or browser events, orders or Meta /stats (month, first_day, last_day, events;
    raises DataError)."""
    _check_tz(tz)
    frame = _latest(_months, db, tz, pixel)
    if not frame.empty:
        for col in ("month", "first_day", "last_day"):
            frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame


@st.cache_data(ttl=300, max_entries=16, show_spinner="Computing the health check…")
def _month(db: str, stamp: tuple[float, ...], since: date, until: date, tz: str, pixel: str | None) -> dict[str, Any]:
    with _reading(db) as con:
        data = page_data.month(con, settings(), since, until, tz, pixel)
    # The renderers read plain rows; the page reads frames.
    data["raw"] = {"daily": data["daily"], "deployments_list": data["deployments_list"]}
    data["daily"] = {k: _frame(v) for k, v in data["daily"].items()}
    for key in ("deployments_list", "metric_daily"):
        data[key] = _frame(data[key])
    return data


def month_report(f: Filters, month: date) -> dict[str, Any]:
    """report.full for a calendar month (checklist vs the previous calendar month) plus daily frames."""
    _check_tz(f.tz)
    since, until = health.month_bounds(month)
    rep = _latest(_month, f.db, since, until, f.tz, f.pixel)
    stale_notice(rep)
    return rep


def month_numbers(f: Filters, month: date) -> dict[str, Any]:
    """report.build for a calendar month: the numbers behind the month-over-month table (no checklist).

    The health check of the month after compared with exactly this report: it is taken from there
    (the page asks for it right after that check, so it is not computed twice)."""
    _check_tz(f.tz)
    return month_report(f, health.next_month(month))["previous_numbers"]


@st.cache_data(ttl=300, max_entries=4, show_spinner=False)
def _month_html(db: str, stamp: tuple[float, ...], since: date, until: date, tz: str, pixel: str | None) -> str:
    from analysis import render

    rep = _month(db, stamp, since, until, tz, pixel)
    raw = rep["raw"]
    plain = {k: v for k, v in rep.items() if k not in ("raw", "daily", "metric_daily", "previous_numbers")}
    plain["deployments_list"] = raw["deployments_list"]
    return render.html(plain, raw["daily"])


def month_html(f: Filters, month: date) -> str:
    """The self-contained HTML report of a month (~5 MB: plotly.js is inlined; built when asked)."""
    since, until = health.month_bounds(month)
    return _latest(_month_html, f.db, since, until, f.tz, f.pixel)


def month_markdown(rep: dict[str, Any]) -> str:
    from analysis import render

    return render.markdown({k: v for k, v in rep.items() if k not in ("raw", "daily", "metric_daily")})


# ---------------------------------------------------------------- deployments drill-down

@st.cache_data(ttl=300, max_entries=16, show_spinner="Comparing before and after every deployment…")
def _deployments(db: str, stamp: tuple[float, ...], since: date | None, until: date | None, tz: str,
                 pixel: str | None, lint_rules: tuple[tuple[str, str, str], ...]) -> dict[str, pd.DataFrame]:
    cfg = settings()
    with _reading(db) as con:
        sc = report.prepare_window(con, cfg, report.Options(since, until, tz, pixel))
        found = dep_views.rows(con, sc, cfg, lint_rules)
    detail = _frame(found["detail"])
    return {"detail": detail, "findings": dep_views.classify(detail, deployments_mod.Thresholds.from_config(cfg)),
            "affected": pd.DataFrame(found["affected"], columns=dep_views.AFFECTED_COLUMNS)}


def deployments(f: Filters, lint_rules: tuple[tuple[str, str, str], ...]) -> dict[str, pd.DataFrame]:
    """views.deployments.rows() for the filters as frames, and `findings`: the detail classified
    (views.deployments.classify). Raises DataError."""
    _check_tz(f.tz)
    return _latest(_deployments, f.db, f.since, f.until, f.tz, f.pixel, tuple(lint_rules))


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _sync_status(db: str, stamp: tuple[float, ...]) -> pd.DataFrame:
    with _reading(db) as con:
        return _frame(sync_state.sync_status(con))


def sync_status(db: str) -> pd.DataFrame:
    """The last `capi-audit sync` of every live source (empty: never synced; raises DataError)."""
    return _latest(_sync_status, db)


def clear() -> None:
    """Forget every cached result (after an upload)."""
    for fn in (_sources, _default_window, _series, _trace, _sync_status, _months, _month, _month_html, _deployments,
               _portfolio):
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


def pixel_choice(label: str) -> str | None:
    return None if label == ALL_PIXELS else label
