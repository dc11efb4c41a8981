"""The dashboard's only door into analysis: bounded caches over report.series/sources, errors as sentences."""
from __future__ import annotations

import calendar
import contextlib
import copy
import re
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
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
from analysis.metrics import facts
from analysis.metrics import mirror as mirror_mod
from analysis.metrics import scope as scope_mod
from analysis.metrics.facts import SHARE, Agg

ALL_PIXELS = "All pixels"
# Said on the pages that a store fed by connectors alone (Meta's numbers and orders) cannot fill yet.
NEEDS_LOGS_PAGE = ("Audited from Meta's numbers and your orders alone: no Conversions API logs yet. Needs server "
                   "logs: capi-audit's estimated EMQ and the ranked fixes, identifier coverage and hash checks, "
                   "deduplication and duplicated Purchases, lint, the privacy check and before/after deployment "
                   "comparisons. Get them with `capi-audit capture` (a "
                   "logging proxy in front of your Conversions API calls) or file exports: `capi-audit ingest "
                   "server-events FILE` (and `capi-audit ingest browser-events FILE`). They fill in on the next "
                   "reload, no rebuild needed.")
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
        sc = scope_mod.resolve(con, None, None, tz, pixel, int(cfg["report.days"]))
    return sc.since, sc.until


@st.cache_data(ttl=300, max_entries=32, show_spinner="Computing the audit…")
def _series(db: str, stamp: tuple[float, ...], since: date | None, until: date | None, tz: str,
            pixel: str | None) -> dict[str, Any]:
    cfg = settings()
    with _reading(db) as con:
        data = report.series(con, cfg, report.Options(since, until, tz, pixel))
        # Both read the window's temp tables, so they come from the same connection, right after the report.
        data["metric_daily"] = _metric_daily(con, cfg, data["window"], pixel)
        data["mirror"] = _frame([asdict(m) for m in mirror_mod.by_event(con, int(cfg["dedup.window_hours"]))])
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


def _metric_daily(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, window: dict[str, str],
                  pixel: str | None) -> pd.DataFrame:
    """Every comparable metric per pixel × event × local day (window ± 7 days): the facts the deployment
    verdicts and suspected breaks are computed from (pixel_id, event_name, metric, day, num, den)."""
    sc = scope_mod.Scope(date.fromisoformat(window["since"]), date.fromisoformat(window["until"]),
                         window["timezone"], pixel)
    facts.prepare(con, sc, cfg)      # already built by the report for this scope: reused, not recomputed
    return _frame(facts.daily(con, sc, cfg["discrepancy.event_name"]))


# ---------------------------------------------------------------- monthly health check

@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _months(db: str, stamp: tuple[float, ...], tz: str, pixel: str | None) -> pd.DataFrame:
    with _reading(db) as con:
        rows = scope_mod.months_with_data(con, tz, pixel, datetime.now(ZoneInfo(tz)).date())
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


def month_bounds(month: date) -> tuple[date, date]:
    """(1st, last day) of the month containing `month`."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def default_month(frame: pd.DataFrame) -> date | None:
    """The latest month the data covers from its first to its last day, else the latest month with data."""
    if frame.empty:
        return None
    first, last = frame["first_day"].min(), frame["last_day"].max()
    complete = [m for m in frame["month"] if first <= m and month_bounds(m)[1] <= last]
    return complete[-1] if complete else frame["month"].iloc[-1]


@st.cache_data(ttl=300, max_entries=16, show_spinner="Computing the health check…")
def _month(db: str, stamp: tuple[float, ...], since: date, until: date, tz: str, pixel: str | None) -> dict[str, Any]:
    cfg = settings()
    opts = report.Options(since, until, tz, pixel)
    with _reading(db) as con:
        # A calendar month is checked against the previous calendar month, not the 30 days before it.
        data, before = report.full_pair(con, cfg, opts, daily=True, previous=month_bounds(previous_month(since)))
        data["metric_daily"] = _metric_daily(con, cfg, data["window"], pixel)
    # The previous month's report the checklist compared with: the month-over-month table's numbers.
    data["previous_numbers"] = before
    # The renderers read plain rows; the page reads frames.
    data["raw"] = {"daily": data["daily"], "deployments_list": data["deployments_list"]}
    data["daily"] = {k: _frame(v) for k, v in data["daily"].items()}
    data["deployments_list"] = _frame(data["deployments_list"])
    data["priority_events"] = dict(cfg["priority_events"])
    return data


def month_report(f: Filters, month: date) -> dict[str, Any]:
    """report.full for a calendar month (checklist vs the previous calendar month) plus daily frames."""
    _check_tz(f.tz)
    since, until = month_bounds(month)
    rep = _latest(_month, f.db, since, until, f.tz, f.pixel)
    stale_notice(rep)
    return rep


def month_numbers(f: Filters, month: date) -> dict[str, Any]:
    """report.build for a calendar month: the numbers behind the month-over-month table (no checklist).

    The health check of the month after compared with exactly this report: it is taken from there
    (the page asks for it right after that check, so it is not computed twice)."""
    _check_tz(f.tz)
    return month_report(f, next_month(month))["previous_numbers"]


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
    since, until = month_bounds(month)
    return _latest(_month_html, f.db, since, until, f.tz, f.pixel)


def month_markdown(rep: dict[str, Any]) -> str:
    from analysis import render

    return render.markdown({k: v for k, v in rep.items() if k not in ("raw", "daily", "metric_daily")})


def _mean_over(rows: list[dict[str, Any]], value: Any, weight: str) -> float | None:
    pairs = [(value(r), r[weight]) for r in rows]
    pairs = [(v, w) for v, w in pairs if v is not None and w]
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if total else None


def evidence_parts(text: str) -> tuple[str, list[str]]:
    """A checklist item's evidence as (lead, findings): "Lead: a; b; c." → ("Lead:", ["a", "b", "c"]).
    Fewer than three findings stay one sentence (lead = the text, no list)."""
    body = text.strip()
    parts, depth, start = [], 0, 0
    trimmed = body.rstrip(".")
    for i, ch in enumerate(trimmed):           # "; " inside parentheses ("(Meta; estimate 6.1)") is not a break
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and trimmed.startswith("; ", i):
            parts.append(trimmed[start:i].strip())
            start = i + 2
    parts.append(trimmed[start:].strip())
    if len(parts) < 3:
        return body, []
    lead = ""
    if ": " in parts[0]:
        lead, parts[0] = parts[0].split(": ", 1)
        lead += ":"
    return lead, parts


# (value, unit, worse): unit emq | share | count | ratio; worse "down", "up", "away" (from 0) or None (neutral).
Figure = tuple[float | None, str, str | None]


def month_figures(rep: dict[str, Any], priority: dict[str, Any]) -> dict[tuple[str, str], Figure]:
    """Each checklist item's key numbers for one month's report, keyed by (item, measure)."""
    out: dict[tuple[str, str], Figure] = {}
    events = [e for e in rep.get("events", []) if e["event_name"] in priority]
    many = len({e["pixel_id"] for e in events}) > 1
    for e in sorted(events, key=lambda e: (list(priority).index(e["event_name"]), e["pixel_id"])):
        if not e["server_events"]:
            continue
        label = f"{e['event_name']} · {e['pixel_id']}" if many else e["event_name"]
        out[("emq", f"{label}: EMQ estimate")] = (e.get("emq_estimate"), "emq", "down")
        if e.get("emq_meta") is not None:
            out[("emq", f"{label}: Meta's EMQ")] = (e["emq_meta"], "emq", "down")
    disc = rep.get("discrepancy") or {}
    days = disc.get("days") or []
    name = disc.get("event_name", "Purchase")
    orders, server = sum(d["backend_orders"] for d in days), sum(d["server_events"] for d in days)
    out[("volume", "flagged days")] = (float(sum(bool(d["flagged"]) for d in days)), "count", "up")
    out[("volume", "eligible orders")] = (float(orders), "count", None)
    out[("volume", f"server {name}")] = (float(server), "count", None)
    out[("volume", "gap over the month")] = ((orders - server) / orders if orders else None, "share", "away")
    sent = [e for e in events if e["server_events"]]
    matched = sum(e["dedup"].get("matched") or 0 for e in sent if e["browser_events"])
    pairable = sum(min(e["server_events"], e["browser_events"]) for e in sent if e["browser_events"])
    out[("dedup", "overlap (priority events)")] = (matched / pairable if pairable else None, "share", "down")
    out[("dedup", "name mismatches")] = (float(sum(e["dedup"].get("name_mismatch") or 0 for e in sent)), "count", "up")
    n_server = sum(e["server_events"] for e in sent)
    repeats = sum(e["dedup"].get("server_repeats") or 0 for e in sent)
    out[("dedup", "server repeats")] = (repeats / n_server if n_server else None, "share", "up")
    for key in ("em", "ph", "fbp", "fbc"):
        out[("coverage", f"{key} coverage (priority events)")] = (
            _mean_over(sent, lambda e, k=key: (e.get("coverage") or {}).get(k), "server_events"), "share", "down")
    deps = rep.get("deployments") or []
    out[("deployments", "deployments")] = (float(len(deps)), "count", None)
    out[("deployments", "regressed")] = (float(sum(d["verdict"] == "regressed" for d in deps)), "count", "up")
    browser = sum(e["browser_events"] for e in events)
    out[("privacy", "server events per browser event")] = (
        sum(e["server_events"] for e in events) / browser if browser else None, "ratio", "down")
    return out


def has_data(rep: dict[str, Any]) -> bool:
    """Any event or backend order in a report's window (else its zeros mean "no data", not "none happened")."""
    return bool(rep.get("events")) or any(d["backend_orders"] for d in (rep.get("discrepancy") or {}).get("days", []))


def month_over_month(cur: dict[str, Any], prev: dict[str, Any], priority: dict[str, Any]) -> pd.DataFrame:
    """item, measure, this (month), last (month), change as text, and `worse` (for highlighting)."""
    a, b = month_figures(cur, priority), month_figures(prev, priority) if has_data(prev) else {}
    keys = list(a) + [k for k in b if k not in a]
    order = {i: n for n, i in enumerate(("emq", "volume", "dedup", "coverage", "deployments", "privacy"))}
    keys.sort(key=lambda k: order.get(k[0], 99))
    rows = []
    for key in keys:
        _, unit, worse_when = a.get(key) or b[key]
        now = a[key][0] if key in a else None
        then = b[key][0] if key in b else None
        change, worse = "", False
        if now is not None and then is not None:
            d = now - then
            change = _fmt_change(d, unit)
            # Only a change the table shows: 9.05 → 9.08 reads "±0", never red.
            worse = not change.startswith("±") and (
                (worse_when == "down" and d < 0) or (worse_when == "up" and d > 0)
                or (worse_when == "away" and abs(now) > abs(then)))
        rows.append({"item": key[0], "measure": key[1], "this": _fmt(now, unit), "last": _fmt(then, unit),
                     "change": change, "worse": worse})
    return pd.DataFrame(rows, columns=["item", "measure", "this", "last", "change", "worse"])


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    if unit == "share":
        return f"{v:.1%}"
    if unit == "count":
        return f"{v:,.0f}"
    return f"{v:.2f}" if unit == "ratio" else f"{v:.1f}"


def _fmt_change(d: float, unit: str) -> str:
    if unit == "share":
        return "±0 pts" if abs(d) < 5e-4 else f"{d * 100:+.1f} pts"
    if unit == "count":
        return "±0" if d == 0 else f"{d:+,.0f}"
    text = f"{d:+.2f}" if unit == "ratio" else f"{d:+.1f}"
    return "±0" if float(text) == 0 else text


# ---------------------------------------------------------------- deployments drill-down

def parse_utc(text: str) -> datetime:
    """The report's `2026-10-12T09:00:00Z` as the naive UTC datetime the store keeps."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


@st.cache_data(ttl=300, max_entries=16, show_spinner="Comparing before and after every deployment…")
def _deployments(db: str, stamp: tuple[float, ...], since: date | None, until: date | None, tz: str,
                 pixel: str | None, lint_rules: tuple[tuple[str, str, str], ...]) -> dict[str, pd.DataFrame]:
    cfg = settings()
    with _reading(db) as con:
        sc = report.prepare_window(con, cfg, report.Options(since, until, tz, pixel))
        rows = [{"deployment": c.dep["name"], "deployed_at": c.dep["deployed_at"], **r}
                for c in deployments_mod.compare(con, sc, cfg) for r in c.rows]
        ids = []
        for name, at, rule in lint_rules:
            for r in deployments_mod.lint_events(con, sc, cfg, name, rule, parse_utc(at)):
                ids.append({"deployment": name, "deployed_at": at, "rule": rule, "pixel_id": r["pixel_id"],
                            "event_name": r["event_name"], "event_id": r["event_id"], "order_id": r["order_id"],
                            "event_time": r["event_time"], "event_uid": r["event_uid"]})
    return {"detail": _frame(rows), "affected": pd.DataFrame(ids, columns=[
        "deployment", "deployed_at", "rule", "pixel_id", "event_name", "event_id", "order_id", "event_time",
        "event_uid"])}


def deployments(f: Filters, lint_rules: tuple[tuple[str, str, str], ...]) -> dict[str, pd.DataFrame]:
    """Every in-window deployment's metrics before/after (`detail`: deployments.detail's rows with the
    deployment's name and time) and, per (name, deployed_at, rule), the ids of the server events the rule
    hit after it (`affected`: ids only, never personal data). Raises DataError."""
    _check_tz(f.tz)
    return _latest(_deployments, f.db, f.since, f.until, f.tz, f.pixel, tuple(lint_rules))


def unconfirmed(row: dict[str, Any], th: deployments_mod.Thresholds | None = None) -> bool:
    """A metric that got worse by the regression bars but was not compared: too few events or days on a side.

    Shares must still clear the bars' 4-standard-error test; other kinds need a quarter of the volume
    minimum on each side. A hint next to the verdict, never part of it."""
    if row.get("compared") or not row.get("before_events") or not row.get("after_events"):
        return False
    th = th or deployments_mod.Thresholds.from_config(settings())
    b = Agg(float(row["before_num"]), float(row["before_events"]), int(row["before_days"]))
    a = Agg(float(row["after_num"]), float(row["after_events"]), int(row["after_days"]))
    if b.value is None or a.value is None:
        return False
    if facts.kind(row["metric"])[0] != SHARE and min(b.den, a.den) < th.min_events / 4:
        return False
    return deployments_mod.regressed(row["metric"], b, a, th)


def worse_by(row: dict[str, Any]) -> float:
    """How much worse after is than before (negative: better; 0 when either side is missing)."""
    if row.get("before") is None or row.get("after") is None or pd.isna(row["before"]) or pd.isna(row["after"]):
        return 0.0
    return deployments_mod.worse_by(row["metric"], float(row["before"]), float(row["after"]))


def classify(detail: pd.DataFrame) -> pd.DataFrame:
    """detail rows with `finding` (regressed · unconfirmed · worse · better · unchanged · not compared) and
    `worse_by`, sorted regressions first, then unconfirmed drops, then by how much worse."""
    if detail.empty:
        return detail.assign(finding=pd.Series(dtype=str), worse_by=pd.Series(dtype=float))
    recs = detail.to_dict("records")
    th = deployments_mod.Thresholds.from_config(settings())
    finding, worse = [], []
    for r in recs:
        w = worse_by(r)
        worse.append(w)
        if r["regressed"]:
            finding.append("regressed")
        elif unconfirmed(r, th):
            finding.append("unconfirmed")
        elif not r["compared"]:
            finding.append("not compared")
        else:
            finding.append("worse" if w > 1e-9 else "better" if w < -1e-9 else "unchanged")
    rank = {"regressed": 0, "unconfirmed": 1, "worse": 2, "not compared": 3, "better": 4, "unchanged": 5}
    out = detail.assign(finding=finding, worse_by=worse)
    return out.sort_values(["finding", "worse_by"], key=lambda s: s.map(rank) if s.name == "finding" else -s,
                           kind="stable").reset_index(drop=True)


# Which identifier broke reads first: hash and coverage, then EMQ, dedup, the gap, lint rules last.
_FAMILY = ("hash_match.", "coverage.", "emq_estimate", "dedup.", "discrepancy.", "lint.")


def _family(metric: str) -> int:
    return next((i for i, p in enumerate(_FAMILY) if metric.startswith(p)), len(_FAMILY))


def _lint_detail(rule: str, event: str | None, lint: list[dict[str, Any]]) -> str:
    """The window's lint rows of a rule on an event, as "ph: missing_country_code" (field: diagnoses)."""
    fields: dict[str, set[str]] = {}
    for x in lint:
        if x["rule"] == rule and x["event_name"] == event and x["side"] == "server":
            fields.setdefault(x.get("field") or "", set()).update({x["diagnosis"]} if x.get("diagnosis") else set())
    parts = [f + (": " + ", ".join(sorted(d)) if d else "") for f, d in sorted(fields.items()) if f or d]
    return f" ({'; '.join(parts[:3])})" if parts else ""


def _change(rows: list[dict[str, Any]], lint: list[dict[str, Any]]) -> str:
    """One metric's change on its worst event, and how many other events moved the same way."""
    r = rows[0]
    digits = "{:.1f}" if r["metric"] == "emq_estimate" else "{:.2f}"
    text = (f"{r['metric']} {digits.format(r['before'])} → {digits.format(r['after'])} on "
            f"{r['event_name'] or 'all events'}")
    if r["metric"].startswith("lint."):
        text += _lint_detail(r["metric"][len("lint."):], r["event_name"], lint)
    others = sorted({x["event_name"] for x in rows[1:] if x["event_name"]})
    if others:
        text += f" (also {', '.join(others[:3])}" + (f" and {len(others) - 3} more" if len(others) > 3 else "") + ")"
    return text


def deployment_summary(dep: dict[str, Any], findings: pd.DataFrame, lint: list[dict[str, Any]],
                       limit: int = 3) -> str:
    """One line: "checkout-v2 (2026-09-29): hash_match.ph 1.00 → 0.00 on Purchase; …" (plain text).

    findings: classify()'s rows of every deployment; lint: the report's lint rows (field and diagnosis)."""
    head = f"{dep['name']} ({str(dep['deployed_at'])[:10]})"
    rows = findings
    if not rows.empty:
        rows = rows[(rows["deployment"] == dep["name"]) & (rows["deployed_at"] == parse_utc(dep["deployed_at"]))]
    parts = []
    for kind, prefix in (("regressed", ""), ("unconfirmed", "too few events to confirm: ")):
        by_metric: dict[str, list[dict[str, Any]]] = {}
        for r in rows[rows["finding"] == kind].to_dict("records") if not rows.empty else []:
            by_metric.setdefault(r["metric"], []).append(r)       # worst first: classify() sorted them
        metrics = sorted(by_metric, key=lambda m: (_family(m), -by_metric[m][0]["worse_by"]))
        texts = [_change(by_metric[m], lint) for m in metrics]
        if texts:
            more = f" and {len(texts) - limit} more metrics" if len(texts) > limit else ""
            parts.append(prefix + "; ".join(texts[:limit]) + more)
    if parts:
        return f"{head}: " + " · ".join(parts)
    if dep["verdict"] == "ok":
        return f"{head}: no metric got worse by the regression bars ({dep.get('compared', 0)} compared)."
    return f"{head}: too few events before or after it to compare any metric."


def mirror_line(mirror: pd.DataFrame, event_name: str | None = None, pixel_id: str | None = None) -> str | None:
    """"≈ N % of pixel events never reached Meta (estimate from the first-party mirror)", or None without
    mirror events (or without pixel copies to compare them with)."""
    if mirror is None or mirror.empty:
        return None
    rows = mirror[mirror["estimate"].notna()]
    if event_name is not None:
        rows = rows[rows["event_name"] == event_name]
    if pixel_id is not None:
        rows = rows[rows["pixel_id"] == pixel_id]
    paired = int(rows["with_event_id"].sum()) if not rows.empty else 0
    if not paired:
        return None
    lost = int(rows["not_seen_by_pixel"].sum())
    what = f"{event_name} pixel events" if event_name else "pixel events"
    return (f"≈ {lost / paired:.0%} of {what} never reached Meta (estimate from the first-party mirror: "
            f"{lost:,} of {paired:,} mirrored events with an event_id have no pixel copy).")


def cpa_frames(rep: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The report's CPA days (date, spend, purchases, cpa) and flagged jumps (date, rise, evidence); None without
    insights (capi-audit sync meta-insights)."""
    cpa = rep.get("cpa")
    if not cpa or not cpa["days"]:
        return None
    days = pd.DataFrame(cpa["days"], columns=["date", "spend", "purchases", "cpa"])
    return days, pd.DataFrame(cpa["jumps"], columns=["date", "rise", "evidence"])


def cpa_line(rep: dict[str, Any]) -> str:
    """The window's cost per purchase against the previous window's, as one sentence."""
    cpa = rep["cpa"]
    unit = f"{cpa['currency']} " if cpa["currency"] else ""
    w, p = cpa["window"], cpa["previous"]

    def one(t: dict[str, Any]) -> str:
        return "no purchases" if t["cpa"] is None else f"{unit}{t['cpa']:,.2f}"
    left = f"; {', '.join(cpa['currencies_left_out'])} accounts left out" if cpa["currencies_left_out"] else ""
    return (f"Cost per purchase {one(w)} ({unit}{w['spend']:,.2f} spend, {w['purchases']:,.0f} purchases) vs "
            f"{one(p)} the window before · {', '.join(cpa['ad_accounts'])}{left}.")


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


PLATFORM_NAMES = {"shopify": "Shopify", "woocommerce": "WooCommerce", "server_gtm": "Server-side GTM",
                  "custom": "Custom backend"}


def fix_line(r: dict[str, Any], many_pixels: bool = False) -> str:
    """One ranked fix as a sentence (plain text: callers escape it for Markdown)."""
    where = f" ({r['pixel_id']})" if many_pixels else ""
    text = (f"{r['title']}{where}: EMQ {r['current_emq']:.2f} → {r['expected_emq']:.2f} (+{r['uplift']:.2f}); "
            f"{r['affected_share']:.0%} of events lack it or send it malformed")
    if r["orders_with_key"] is not None:
        text += (f"; {r['orders_with_key']:.0%} of {r['orders_matched']:,} matched orders carry it"
                 + ("" if r["fix_possible"] else " — collect it at checkout first"))
    return text


def money_metrics(m: dict[str, Any], period: dict[str, Any], when: str) -> list[tuple[str, str, str]]:
    """(label, value, help) of the money-at-stake KPIs for one period of the report's `money_at_stake`."""
    cur = f" {m['currency']}" if m["currency"] else ""

    def count(v: int | None) -> str:
        return "—" if v is None else f"{v:,}"

    def value(v: float | None) -> str:
        return "—" if v is None else f"{v:,.0f}{cur}"

    avg = m["average_order_value"]
    aov = (f"× the average order value {avg:,.2f}{cur} (an estimate)." if avg is not None else
           "× the average order value, which is unknown: an order total is not a number.")
    return [
        (f"Orders Meta did not receive, {when}", count(period["missed_orders"]),
         f"{m['formula']['missed_orders']}. —: no Meta /stats and no server logs to compare with."),
        ("Their value", value(period["missed_value"]), f"The missed orders {aov}"),
        (f"Duplicated Purchases, {when}", count(period["duplicate_purchases"]),
         f"{m['formula']['duplicate_purchases']}. They inflate the ROAS Meta reports. —: needs logs."),
        ("Their value", value(period["duplicate_value"]), f"The duplicated Purchases {aov}"),
    ]


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|$~:])")


def md(text: Any) -> str:
    """Text from the data (names, evidence) shown literally inside st.markdown: no emphasis, links, LaTeX
    (`$`), colour directives or emoji shortcodes (`:`), on one line."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\r", " ").replace("\n", " ")


def pixel_choice(label: str) -> str | None:
    return None if label == ALL_PIXELS else label
