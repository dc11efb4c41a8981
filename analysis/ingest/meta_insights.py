"""meta-insights: ad account insights pages (daily spend and actions) into one row per account and day."""
from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from analysis.ingest.base import IngestError, Options, Reject, Staged

KIND = "meta-insights"
ACCOUNT = re.compile(r"(?:act_)?([0-9]{1,20})")
NO_ACCOUNT = "no ad_account_id in the record nor account_id in the row"

TABLE = """
CREATE TABLE out.ad_insights (ad_account_id VARCHAR, day DATE, spend DOUBLE, currency VARCHAR, purchases DOUBLE,
                              purchase_action VARCHAR, fetched_at TIMESTAMP)
"""


def account_id(raw: Any) -> str | None:
    """`act_123` for "act_123", "123" or 123; None for anything else."""
    m = ACCOUNT.fullmatch(str(raw).strip()) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else None
    return f"act_{m.group(1)}" if m else None


def _number(raw: Any) -> float | None:
    """Graph writes numbers as strings ("12.34"); a finite, non-negative number or None."""
    if isinstance(raw, bool):
        return None
    try:
        n = float(raw)
    except (TypeError, ValueError):
        return None
    return n if math.isfinite(n) and n >= 0 else None


def _timestamp(raw: Any) -> datetime | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        t = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    t = (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    return t if datetime(2015, 1, 1) <= t < datetime(2100, 1, 1) else None


def purchases(actions: Any, kinds: tuple[str, ...]) -> tuple[float, str | None] | str:
    """(purchases, the action type they came from) or why the actions list is unusable.

    The first of `kinds` a row reports wins and the others are ignored: `purchase` already counts
    the pixel's purchases (offsite_conversion.fb_pixel_purchase), so adding them would count twice.
    Meta leaves an action out when it is zero, so a row without one had no purchases.
    """
    if actions is None:
        return 0.0, None
    if not isinstance(actions, list):
        return "actions is not a list"
    found: dict[str, float] = {}
    for a in actions:
        if isinstance(a, dict) and a.get("action_type") in kinds:
            n = _number(a.get("value"))
            if n is None:
                return f"the {a['action_type']} action's value is not a non-negative number"
            found.setdefault(str(a["action_type"]), n)
    for kind in kinds:
        if kind in found:
            return found[kind], kind
    return 0.0, None


def _records(text: str) -> list[tuple[int, Any]]:
    """(line, record): one JSON document (an array gives several records on line 1), else JSON Lines."""
    try:
        doc = json.loads(text)
    except ValueError:
        out: list[tuple[int, Any]] = []
        for ln, line in enumerate(text.split("\n"), 1):
            if line.strip():
                try:
                    out.append((ln, json.loads(line)))
                except ValueError:
                    out.append((ln, ValueError))
        return out
    return [(1, r) for r in doc] if isinstance(doc, list) else [(1, doc)]


def _row(row: Any, i: int, account: str | None, at: datetime | None,
         kinds: tuple[str, ...]) -> tuple[Any, ...] | str:
    where = f"data item {i}"
    if not isinstance(row, dict):
        return f"{where} is not a JSON object"
    account = account or account_id(row.get("account_id"))
    if account is None:
        return f"{where}: {NO_ACCOUNT}; pass --pixel-id act_…"
    try:
        start, stop = date.fromisoformat(str(row.get("date_start"))), date.fromisoformat(str(row.get("date_stop")))
    except ValueError:
        return f"{where}: date_start/date_stop is not a YYYY-MM-DD date"
    if start != stop:
        return f"{where}: spans {start} to {stop}, not one day; fetch with time_increment=1"
    spend = _number(row.get("spend", 0))
    if spend is None:
        return f"{where}: spend is not a non-negative number"
    bought = purchases(row.get("actions"), kinds)
    if isinstance(bought, str):
        return f"{where}: {bought}"
    currency = row.get("account_currency")
    return (account, start, spend, currency if isinstance(currency, str) and currency.strip() else None,
            bought[0], bought[1], at)


def parse(path: Path, staged: Staged, con: duckdb.DuckDBPyConnection, opts: Options) -> None:
    """Fill `out.ad_insights` from envelopes {"ad_account_id", "fetched_at", "response": {"data"}} or bare bodies."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IngestError(f"{path} is not UTF-8 text; a meta-insights file holds JSON insights pages.") from None
    kinds = tuple(opts.purchase_actions)
    rows: dict[tuple[str, date], tuple[Any, ...]] = {}
    read = 0
    for ln, rec in _records(text):
        if rec is ValueError:
            staged.rejects.append(Reject(ln, "line is not valid JSON"))
            continue
        body = rec.get("response") if isinstance(rec, dict) and "response" in rec else rec
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            code = body["error"].get("code", "?")
            staged.rejects.append(Reject(ln, f"response is a Graph API error (code {code}), not insights; "
                                             "fetch the page again"))
            continue
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            staged.rejects.append(Reject(ln, "not an insights envelope or response body (no data array)"))
            continue
        envelope = rec if body is not rec else {}
        named = envelope.get("ad_account_id") or opts.pixel_id
        account = account_id(named) if named else None
        if named and account is None:
            staged.rejects.append(Reject(ln, "ad_account_id is not an ad account id (act_ and its digits)"))
            continue
        at = _timestamp(envelope.get("fetched_at") or opts.at)
        if (envelope.get("fetched_at") or opts.at) and at is None:
            staged.rejects.append(Reject(ln, "fetched_at is not a timestamp between 2015 and 2100"))
            continue
        for i, item in enumerate(body["data"], 1):
            row = _row(item, i, account, at, kinds)
            if isinstance(row, str):
                staged.rejects.append(Reject(ln, row))
                continue
            read += 1
            # One account-day twice in a file is two readings of one figure: the newer one wins, never the sum.
            key = (row[0], row[1])
            old = rows.get(key)
            if old is None or (row[6] or datetime.min) >= (old[6] or datetime.min):
                rows[key] = row
    if read == 0 and staged.rejects and all(r.reason == "line is not valid JSON" for r in staged.rejects):
        raise IngestError(f"{path} is neither a JSON document nor JSON Lines; a meta-insights file holds insights "
                          'pages, each {"ad_account_id", "fetched_at", "response": {"data": […]}}.')
    con.execute(TABLE)
    if rows:
        con.executemany("INSERT INTO out.ad_insights VALUES (?, ?, ?, ?, ?, ?, ?)", [rows[k] for k in sorted(rows)])
    staged.rows_read = len(rows) + len(staged.rejects)
    staged.tables.append(("ad_insights", "upsert"))
