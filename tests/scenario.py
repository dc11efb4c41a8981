"""A tiny audit scenario builder: write real input files, ingest them through the real path, report."""
from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from analysis import config as config_mod
from analysis import store
from analysis.ingest import Options, ingest_file

PIXEL = "111"


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ts(text: str) -> int:
    """'2026-10-01T12:00:00' (UTC) -> Unix seconds."""
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())


def ud(*keys: str, **values: Any) -> dict[str, Any]:
    """user_data with well-formed values for the named keys (override any by keyword)."""
    base = {"em": h("a@example.com"), "ph": h("16505551212"), "fn": h("mary"), "ln": h("smith"),
            "ge": h("f"), "db": h("19970216"), "ct": h("newyork"), "st": h("ny"), "zp": h("10001"),
            "country": h("us"), "external_id": "cust-1", "client_ip_address": "203.0.113.7",
            "client_user_agent": "Mozilla/5.0", "fbc": "fb.1.1759310000000.IwAR2xK9vQ",
            "fbp": "fb.1.1759310000000.1234567890"}
    out = {k: base[k] for k in keys}
    out.update(values)
    return out


def sev(name: str, when: str, eid: str | None = None, user: dict[str, Any] | None = None,
        **extra: Any) -> dict[str, Any]:
    event = {"event_name": name, "event_time": ts(when), "action_source": "website",
             "event_source_url": "https://shop.example.com/x",
             "user_data": user if user is not None else ud("em", "fbp", "client_ip_address", "client_user_agent")}
    if eid is not None:
        event["event_id"] = eid
    event.update(extra)
    return event


class Scenario:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.db = tmp / "audit.duckdb"
        self.server_lines: list[str] = []
        self.browser_lines: list[str] = []
        self.orders: list[dict[str, Any]] = []
        self.stats_lines: list[str] = []
        self.quality: list[dict[str, Any]] = []
        self.deployments: list[dict[str, Any]] = []

    def server(self, *events: dict[str, Any], sent_at: str | None = None, status: int = 200,
               error_code: int | None = None, pixel: str = PIXEL, test_event_code: str | None = None) -> None:
        request: dict[str, Any] = {"data": list(events)}
        if test_event_code:
            request["test_event_code"] = test_event_code
        body: dict[str, Any] = {"events_received": len(events)} if error_code is None else {
            "error": {"message": "x", "code": error_code}}
        latest = max(e["event_time"] / (1000 if e["event_time"] > 1e11 else 1) for e in events)
        env = {"pixel_id": pixel, "sent_at": sent_at or datetime.fromtimestamp(
            latest + 5, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "request": request, "response": {"status": status, "body": body}}
        self.server_lines.append(json.dumps(env))

    def browser(self, name: str, when: str, eid: str | None = None, pixel: str = PIXEL, **extra: Any) -> None:
        rec = {"pixel_id": pixel, "event_name": name, "event_id": eid, "event_time": ts(when),
               "event_source_url": "https://shop.example.com/x", "fbp": "fb.1.1759310000000.1234567890"}
        rec.update(extra)
        self.browser_lines.append(json.dumps(rec))

    def order(self, order_id: str, created_at: str, total: float = 10.0, status: str = "paid", **extra: Any) -> None:
        row = {"order_id": order_id, "created_at": created_at + "Z", "total": total, "currency": "USD",
               "status": status}
        row.update(extra)
        self.orders.append(row)

    def stats(self, source: str, hour: str, counts: dict[str, int], pixel: str = PIXEL) -> None:
        page = {"pixel_id": pixel, "fetched_at": "2026-12-01T00:00:00Z",
                "params": {"aggregation": "event", "event_source": source},
                "response": {"data": [{"aggregation": "event", "start_time": hour + "+0000",
                                       "data": [{"value": k, "count": v} for k, v in counts.items()]}]}}
        self.stats_lines.append(json.dumps(page))

    def snapshot(self, fetched_at: str, scores: dict[str, float], pixel: str = PIXEL) -> None:
        self.quality.append({"pixel_id": pixel, "fetched_at": fetched_at, "response": {"web": [
            {"event_name": k, "event_match_quality": {"composite_score": v, "match_key_feedback": []}}
            for k, v in scores.items()]}})

    def deployment(self, deployed_at: str, name: str, pixel: str = "") -> None:
        self.deployments.append({"deployed_at": deployed_at + "Z", "name": name, "pixel_id": pixel})

    def ingest(self) -> None:
        def load(kind: str, path: Path) -> None:
            res = ingest_file(self.db, kind, path, Options())
            assert res.error is None, res.error
            assert not res.rejects, [r.reason for r in res.rejects]

        if self.server_lines:
            p = self.tmp / "server.jsonl"
            p.write_text("\n".join(self.server_lines) + "\n")
            load("server-events", p)
        if self.browser_lines:
            p = self.tmp / "browser.jsonl"
            p.write_text("\n".join(self.browser_lines) + "\n")
            load("browser-events", p)
        if self.orders:
            p = self.tmp / "orders.csv"
            cols: list[str] = []
            for row in self.orders:
                cols += [c for c in row if c not in cols]
            with open(p, "w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=cols)
                w.writeheader()
                w.writerows(self.orders)
            load("orders", p)
        if self.stats_lines:
            p = self.tmp / "stats.jsonl"
            p.write_text("\n".join(self.stats_lines) + "\n")
            load("meta-stats", p)
        if self.deployments:
            p = self.tmp / "deployments.csv"
            with open(p, "w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=["deployed_at", "name", "pixel_id"])
                w.writeheader()
                w.writerows(self.deployments)
            load("deployments", p)
        for i, snap in enumerate(self.quality):
            p = self.tmp / f"quality-{i}.json"
            p.write_text(json.dumps(snap))
            load("meta-quality", p)
        if not self.db.exists():
            store.connect(self.db).close()

    def report(self, since: str, until: str, tz: str = "UTC", pixel_id: str | None = None,
               **settings: Any) -> dict[str, Any]:
        return self._report("build", since, until, tz, pixel_id, settings)

    def full_report(self, since: str, until: str, tz: str = "UTC", pixel_id: str | None = None,
                    daily: bool = False, **settings: Any) -> dict[str, Any]:
        """The report with its checklist (the window compared with the one before it)."""
        return self._report("full", since, until, tz, pixel_id, settings, daily=daily)

    def _report(self, how: str, since: str, until: str, tz: str, pixel_id: str | None,
                settings: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        from analysis import report

        self.ingest()
        cfg = config_mod.load(env={})
        for k, v in settings.items():
            cfg.override(k.replace("__", "."), v, "test")
        with store.reader(self.db) as con:
            return getattr(report, how)(con, cfg, report.Options(date.fromisoformat(since), date.fromisoformat(until),
                                                                 tz, pixel_id), **kwargs)


def event(rep: dict[str, Any], name: str, pixel: str = PIXEL) -> dict[str, Any]:
    for e in rep["events"]:
        if e["event_name"] == name and e["pixel_id"] == pixel:
            return e
    raise KeyError(name)
