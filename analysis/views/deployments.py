"""The deployments page's findings: each metric before/after a deployment classified, summed up in one line."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from analysis import config as config_mod
from analysis.metrics import deployments as deployments_mod
from analysis.metrics import facts
from analysis.metrics.facts import SHARE, Agg
from analysis.metrics.scope import Scope

AFFECTED_COLUMNS = ["deployment", "deployed_at", "rule", "pixel_id", "event_name", "event_id", "order_id",
                    "event_time", "event_uid"]
# Findings in the order they read: regressions, drops too small to confirm, then the rest.
RANK = {"regressed": 0, "unconfirmed": 1, "worse": 2, "not compared": 3, "better": 4, "unchanged": 5}
# Which identifier broke reads first: hash and coverage, then EMQ, dedup, the gap, lint rules last.
_FAMILY = ("hash_match.", "coverage.", "emq_estimate", "dedup.", "discrepancy.", "lint.")
# A before/after comparison needs this much data around a deployment: the window offered to show one.
MARGIN_DAYS = 7


def parse_utc(text: str) -> datetime:
    """The report's `2026-10-12T09:00:00Z` as the naive UTC datetime the store keeps."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def rows(con: duckdb.DuckDBPyConnection, sc: Scope, cfg: config_mod.Config,
         lint_rules: tuple[tuple[str, str, str], ...]) -> dict[str, list[dict[str, Any]]]:
    """Every in-window deployment's metrics before/after (`detail`: deployments.compare's rows with the
    deployment's name and time) and, per (name, deployed_at, rule), the ids of the server events the rule hit
    after it (`affected`: ids only, never personal data). The window must be prepared (report.prepare_window)."""
    detail = [{"deployment": c.dep["name"], "deployed_at": c.dep["deployed_at"], **r}
              for c in deployments_mod.compare(con, sc, cfg) for r in c.rows]
    # A deployment's rules share its window: its events are read once for all of them.
    by_dep: dict[tuple[str, str], list[str]] = {}
    for name, at, rule in lint_rules:
        by_dep.setdefault((name, at), []).append(rule)
    hits = {(name, at, rule): found
            for (name, at), rules in by_dep.items()
            for rule, found in deployments_mod.lint_events_by_rule(con, sc, cfg, name, tuple(rules),
                                                                   parse_utc(at)).items()}
    affected = []
    for name, at, rule in lint_rules:
        for r in hits[(name, at, rule)]:
            affected.append({"deployment": name, "deployed_at": at, "rule": rule,
                             **{k: r[k] for k in AFFECTED_COLUMNS[3:]}})
    return {"detail": detail, "affected": affected}


def unconfirmed(row: dict[str, Any], th: deployments_mod.Thresholds) -> bool:
    """A metric that got worse by the regression bars but was not compared: too few events or days on a side.

    Shares must still clear the bars' 4-standard-error test; other kinds need a quarter of the volume
    minimum on each side. A hint next to the verdict, never part of it."""
    if row.get("compared") or not row.get("before_events") or not row.get("after_events"):
        return False
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


def classify(detail: pd.DataFrame, th: deployments_mod.Thresholds) -> pd.DataFrame:
    """detail rows with `finding` (regressed · unconfirmed · worse · better · unchanged · not compared) and
    `worse_by`, sorted regressions first, then unconfirmed drops, then by how much worse."""
    if detail.empty:
        return detail.assign(finding=pd.Series(dtype=str), worse_by=pd.Series(dtype=float))
    finding, worse = [], []
    for r in detail.to_dict("records"):
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
    out = detail.assign(finding=finding, worse_by=worse)
    return out.sort_values(["finding", "worse_by"], key=lambda s: s.map(RANK) if s.name == "finding" else -s,
                           kind="stable").reset_index(drop=True)


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


def of(dep: dict[str, Any], findings: pd.DataFrame) -> pd.DataFrame:
    """classify()'s rows of one deployment of the report."""
    if findings.empty:
        return findings
    at = parse_utc(dep["deployed_at"])
    return findings[(findings["deployment"] == dep["name"]) & (findings["deployed_at"] == at)]


def summary(dep: dict[str, Any], findings: pd.DataFrame, lint: list[dict[str, Any]], limit: int = 3) -> str:
    """One line: "checkout-v2 (2026-09-29): hash_match.ph 1.00 → 0.00 on Purchase; …" (plain text).

    findings: classify()'s rows of every deployment; lint: the report's lint rows (field and diagnosis)."""
    head = f"{dep['name']} ({str(dep['deployed_at'])[:10]})"
    mine = of(dep, findings)
    parts = []
    for kind, prefix in (("regressed", ""), ("unconfirmed", "too few events to confirm: ")):
        by_metric: dict[str, list[dict[str, Any]]] = {}
        for r in mine[mine["finding"] == kind].to_dict("records") if not mine.empty else []:
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


@dataclass(frozen=True)
class Outside:
    """Deployments recorded outside a window, and the window that shows every one of them with a margin."""

    count: int
    first: date
    last: date
    since: date
    until: date


def outside(deployed_at: pd.Series, since: date, until: date) -> Outside | None:
    """The deployments (their times) outside [since, until], or None when every one is inside."""
    when = pd.to_datetime(deployed_at).dt.date
    count = int(((when < since) | (when > until)).sum())
    if not count:
        return None
    first, last = when.min(), when.max()
    # A week before the first; a deployment after the window's end gets its week of "after" days too.
    return Outside(count, first, last, min(first - timedelta(days=MARGIN_DAYS), since),
                   last + timedelta(days=MARGIN_DAYS) if last > until else until)
