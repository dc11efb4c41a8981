"""The agency portfolio: one row of headline numbers per pixel, each read from that pixel's own report."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from analysis import config as config_mod
from analysis import render, report, store
from analysis.metrics import discrepancy
from analysis.metrics import scope as scope_mod

STATUSES = ("fail", "warn", "pass", "unknown")


@dataclass
class Row:
    pixel_id: str
    emq: float | None                 # Meta's EMQ when it reported one, else capi-audit's estimate
    emq_source: str | None            # "meta", "estimate", or None (no such event)
    dedup_overlap: float | None
    backend_orders: int
    server_events: int
    purchase_gap: float | None        # (Σ backend_orders − Σ server_events) / Σ backend_orders over the window
    missed_value: float | None
    duplicate_value: float | None
    money_at_stake: float | None      # missed + duplicated value (the known parts; None when neither is known)
    currency: str | None
    checklist: dict[str, int] = field(default_factory=dict)


def pixels(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config) -> list[str]:
    """Every pixel the store knows: events, orders and the `pixels` setting (as the discrepancy counts them)."""
    known = {r["pixel_id"] for r in store.query(con, """
        SELECT pixel_id FROM server_events UNION SELECT pixel_id FROM browser_events
        UNION SELECT pixel_id FROM orders""") if r["pixel_id"] is not None}
    known |= {pixel for _shop, pixel in discrepancy.shop_pixels(cfg["pixels"])}
    return sorted(known)


def row(pixel_id: str, rep: dict[str, Any]) -> Row:
    """The headline numbers of one pixel's report (`report --pixel-id`)."""
    name = rep["discrepancy"]["event_name"]
    ev = next((e for e in rep["events"] if e["pixel_id"] == pixel_id and e["event_name"] == name), None)
    emq, source = None, None
    if ev is not None and ev["emq_meta"] is not None:
        emq, source = ev["emq_meta"], "meta"
    elif ev is not None and ev["emq_estimate"] is not None:
        emq, source = ev["emq_estimate"], "estimate"
    days = next((p["days"] for p in rep["discrepancy"]["by_pixel"] if p["pixel_id"] == pixel_id), [])
    orders = sum(d["backend_orders"] for d in days)
    server = sum(d["server_events"] for d in days)
    money = rep["money_at_stake"] or {}
    total = money.get("total") or {}
    parts = [v for v in (total.get("missed_value"), total.get("duplicate_value")) if v is not None]
    counts = {s: sum(1 for c in rep["checklist"] if c["status"] == s) for s in STATUSES}
    return Row(pixel_id=pixel_id, emq=emq, emq_source=source,
               dedup_overlap=ev["dedup"]["overlap"] if ev is not None else None,
               backend_orders=orders, server_events=server,
               purchase_gap=round((orders - server) / orders, 4) if orders else None,
               missed_value=total.get("missed_value"), duplicate_value=total.get("duplicate_value"),
               money_at_stake=round(sum(parts), 2) if parts else None, currency=money.get("currency"),
               checklist=counts)


def worst_first(rows: list[Row]) -> list[Row]:
    """Most fails, then most warns, then lowest EMQ (an unknown EMQ after every known one), then pixel id."""
    return sorted(rows, key=lambda r: (-r.checklist["fail"], -r.checklist["warn"], r.emq is None,
                                       r.emq if r.emq is not None else 0.0, r.pixel_id))


def build(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, opts: report.Options) -> dict[str, Any]:
    """One window for the whole store (explicit, or the default ending on its latest day with data), then
    each pixel's own full report over it: every row reads exactly what `report --pixel-id` says."""
    tz = opts.tz or cfg["timezone"]
    sc = scope_mod.resolve(con, opts.since, opts.until, tz, None, int(cfg["report.days"]), opts.today)
    rows = []
    for pixel in pixels(con, cfg):
        rep = report.full(con, cfg, report.Options(sc.since, sc.until, tz, pixel, opts.today))
        rows.append(row(pixel, rep))
    return {"window": {"since": sc.since.isoformat(), "until": sc.until.isoformat(), "timezone": tz},
            "event_name": cfg["discrepancy.event_name"],
            "pixels": [asdict(r) for r in worst_first(rows)]}


def _share(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def markdown(data: dict[str, Any]) -> str:
    """The portfolio as one Markdown table, worst first."""
    w = data["window"]
    head = ["pixel", "EMQ", "EMQ from", "dedup overlap", "orders", "server", f"{data['event_name']} gap",
            "money at stake", "fail", "warn", "pass", "unknown"]
    rows = [[r["pixel_id"], render._num(r["emq"]), r["emq_source"] or "—", render._num(r["dedup_overlap"]),
             f"{r['backend_orders']:,}", f"{r['server_events']:,}", _share(r["purchase_gap"]),
             "—" if r["money_at_stake"] is None else f"{r['money_at_stake']:,.2f} {r['currency'] or ''}".rstrip(),
             *(str(r["checklist"][s]) for s in STATUSES)] for r in data["pixels"]]
    lines = [f"# Portfolio, {w['since']} … {w['until']} ({render._md(w['timezone'])})", ""]
    return "\n".join(lines + (render._md_table(head, rows) if rows else ["No pixels in this store yet.", ""]))
