"""The monthly health check's numbers: calendar months, and each checklist item's key figures month over month."""
from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

import pandas as pd


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


def _mean_over(rows: list[dict[str, Any]], value: Any, weight: str) -> float | None:
    pairs = [(value(r), r[weight]) for r in rows]
    pairs = [(v, w) for v, w in pairs if v is not None and w]
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if total else None


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
