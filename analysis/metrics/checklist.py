"""The monthly health check: six fixed items, each pass/warn/fail/unknown with its evidence (report contract)."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import duckdb

from analysis import store
from analysis.config import SETTINGS

PASS, WARN, FAIL, UNKNOWN = "pass", "warn", "fail", "unknown"
STATUSES = (PASS, WARN, FAIL, UNKNOWN)
_RANK = {FAIL: 0, WARN: 1, PASS: 2}      # evidence lists failures first, then warnings
IDS = ("emq", "volume", "dedup", "coverage", "deployments", "privacy")
TITLES = {
    "emq": "Event Match Quality of every priority event",
    "volume": "Event volumes vs backend orders",
    "dedup": "Deduplication of browser and server copies",
    "coverage": "Customer-parameter coverage vs the previous window",
    "deployments": "Validation after every deployment",
    "privacy": "Resilience to browser privacy changes",
}
# A priority event without an explicit target gets its tier's (reference §8: 8 for tier 1, 6.5 for tier 2).
TIER_TARGETS = {1: 8.0, 2: 6.5}
# An item that only logs can answer, in a store fed by connectors alone (Meta's numbers and orders).
NEEDS_LOGS = ("needs server logs: see capture / file exports (`capi-audit capture` logs your Conversions API "
              "calls; or `capi-audit ingest server-events FILE` and `capi-audit ingest browser-events FILE`)")

Row = dict[str, Any]
Key = tuple[str, str]


def click_shares(con: duckdb.DuckDBPyConnection) -> dict[Key, float]:
    """Share of in-window browser events carrying an fbc, per pixel × event (the `privacy` item's click share).

    We cannot see ad clicks themselves; the pixel sets fbc on every page view that follows one, so the share
    of browser events with an fbc is the click share the server's fbc coverage should reach.
    """
    rows = store.query(con, """SELECT pixel_id, event_name, avg(CAST(fbc IS NOT NULL AND trim(fbc) <> '' AS DOUBLE)) AS s
                               FROM m_browser WHERE in_window GROUP BY ALL""")
    return {(r["pixel_id"], r["event_name"]): round(r["s"], 4) for r in rows}


def evaluate(current: dict[str, Any], previous: dict[str, Any], cfg: Any) -> list[dict[str, Any]]:
    """The checklist items (ids in contract order) for `current`, compared with the window before it."""
    ctx = _Context(current, previous, cfg)
    out = []
    for item_id, check in _CHECKS.items():
        status, evidence, details = check(ctx)
        out.append({"id": item_id, "title": TITLES[item_id], "status": status, "evidence": evidence,
                    "details": details})
    _cpa_jumps(current, out)
    return out


def _cpa_jumps(current: dict[str, Any], items: list[dict[str, Any]]) -> None:
    """A flagged CPA jump (report `cpa.jumps`) warns in `dedup` when the overlap moved with it, else in `volume`
    (the gap or server volume moved): inflated, then corrected, purchases are a deduplication symptom."""
    by_id = {i["id"]: i for i in items}
    for jump in (current.get("cpa") or {}).get("jumps") or []:
        item = by_id["dedup" if any(c["metric"] == "dedup.overlap" for c in jump["coincides"]) else "volume"]
        if item["status"] == FAIL:
            item["evidence"] = item["evidence"].removesuffix(".") + "; " + jump["evidence"] + "."
        else:
            item["status"] = WARN
            item["evidence"] = jump["evidence"] + "; " + item["evidence"]
        item["details"].setdefault("cpa_jumps", []).append(jump["date"])


class _Context:
    def __init__(self, current: dict[str, Any], previous: dict[str, Any], cfg: Any) -> None:
        self.cur, self.prev = current, previous
        self.priority: dict[str, dict[str, Any]] = dict(cfg["priority_events"] or {})
        self.t = {s.name.removeprefix("checklist."): cfg[s.name] for s in SETTINGS if s.name.startswith("checklist.")}
        self.many_pixels = len({e["pixel_id"] for e in current.get("events", [])}) > 1
        # No event counted from logs: every row (if any) is Meta's own (connectors alone).
        self.no_logs = not any(e["server_events"] or e["browser_events"] for e in current.get("events", []))

    def unknown_without_logs(self, what: str, otherwise: str) -> str:
        return f"{what} {NEEDS_LOGS}." if self.no_logs else otherwise

    def rows(self, report: dict[str, Any]) -> dict[Key, Row]:
        """Priority events of a report (exact names), by pixel × name."""
        return {(e["pixel_id"], e["event_name"]): e for e in report.get("events", []) if e["event_name"] in self.priority}

    def label(self, key: Key) -> str:
        return f"{key[1]} ({key[0]})" if self.many_pixels else key[1]

    def tier(self, name: str | None) -> int:
        return int(self.priority.get(name or "", {}).get("tier", 3))

    def target(self, name: str) -> float | None:
        spec = self.priority[name]
        return float(spec["target"]) if spec.get("target") is not None else TIER_TARGETS.get(self.tier(name))


def _pct(x: float) -> str:
    return f"{x:.1%}".replace(".0%", "%")


def _worst(statuses: list[str]) -> str:
    return FAIL if FAIL in statuses else WARN if WARN in statuses else PASS


def _verdict(findings: list[tuple[str, str]], details: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """The worst finding's status, and every finding as one sentence, worst first."""
    findings = sorted(findings, key=lambda f: _RANK[f[0]])
    return _worst([s for s, _ in findings]), "; ".join(f for _, f in findings) + ".", details


def _emq_value(value: Any) -> float | None:
    """An EMQ on its 0–10 scale, else None: a NaN, infinite or out-of-range score is no score at all."""
    if value is None:
        return None
    score = float(value)
    return score if math.isfinite(score) and 0.0 <= score <= 10.0 else None


def _score(row: Row) -> tuple[float | None, str]:
    """Meta's score when a snapshot exists, else our estimate (the table: `emq_estimate` or `emq_meta`)."""
    if row.get("emq_meta") is not None:
        return _emq_value(row["emq_meta"]), "meta"
    return _emq_value(row.get("emq_estimate")), "estimate"


def _emq(ctx: _Context) -> tuple[str, str, dict[str, Any]]:
    prev = ctx.rows(ctx.prev)
    items, parts, unscored, invalid = [], [], [], []
    for key, row in sorted(ctx.rows(ctx.cur).items()):
        score, source = _score(row)
        if score is None and row.get(f"emq_{source}") is not None:
            invalid.append(ctx.label(key))      # a stored score outside 0–10 (NaN, infinite): it cannot pass
            continue
        if score is None:                        # browser-only event: no server events to score
            unscored.append(ctx.label(key))
            continue
        target = ctx.target(key[1])
        # A drop compares like with like: Meta's score with Meta's, our estimate with ours.
        before = _emq_value(prev.get(key, {}).get("emq_meta" if source == "meta" else "emq_estimate"))
        drop = None if before is None else round(float(before) - score, 2)
        if score < ctx.t["emq_fail"]:
            status = FAIL
        elif (target is not None and score < target) or (drop is not None and drop > ctx.t["emq_drop"]):
            status = WARN
        else:
            status = PASS
        items.append({"pixel_id": key[0], "event_name": key[1], "score": score, "source": source,
                      "estimate": row.get("emq_estimate"), "target": target, "previous": before, "drop": drop,
                      "status": status})
        text = f"{ctx.label(key)} {score:.1f}"
        if source == "meta":
            text += " (Meta" + (f"; estimate {row['emq_estimate']:.1f})" if row.get("emq_estimate") is not None else ")")
        if target is not None:
            text += f" {'≥' if score >= target else '<'} {target:g} target"
        if score < ctx.t["emq_fail"]:
            text += f", below {ctx.t['emq_fail']:g}"
        if drop is not None and drop > ctx.t["emq_drop"]:
            text += f", down {drop:.1f} from {before:.1f}"
        parts.append((status, text))
    details = {"events": items, "unscored": unscored, "invalid": invalid}
    bad = f"no valid score (not a number from 0 to 10) for {', '.join(invalid)}" if invalid else ""
    if not items:
        if bad:
            return UNKNOWN, bad[0].upper() + bad[1:] + ".", details
        return UNKNOWN, ctx.unknown_without_logs(
            "No Meta quality snapshot for a priority event in this window; the estimated EMQ",
            "No priority event has server events to score in this window."), details
    parts.sort(key=lambda p: _RANK[p[0]])
    evidence = "; ".join(t for _, t in parts)
    if unscored:
        evidence += f"; no server events to score for {', '.join(unscored)}"
    status = _worst([i["status"] for i in items])
    if bad:
        evidence += "; " + bad
        status = UNKNOWN if status == PASS else status      # an unreadable score never lets the item pass
    return status, evidence + ".", details


def _volume(ctx: _Context) -> tuple[str, str, dict[str, Any]]:
    disc = ctx.cur.get("discrepancy") or {}
    days = disc.get("days") or []
    min_orders, threshold, name = disc.get("min_orders", 0), disc.get("threshold", 0.0), disc.get("event_name", "")
    orders = sum(d["backend_orders"] for d in days)
    judged = [d for d in days if d["backend_orders"] >= min_orders]
    flagged = [d for d in days if d["flagged"]]
    basis = disc.get("basis", "server_events")
    details = {"event_name": name, "basis": basis, "days_judged": len(judged),
               "flagged_days": [d["date"] for d in flagged], "backend_orders": orders,
               "server_events": sum(d["server_events"] for d in days),
               "browser_events": sum(d["browser_events"] for d in days),
               "meta_received": sum(d.get("meta_received") or 0 for d in days)}
    if basis == "meta_received":
        # Without server logs a day is judged only where Meta's /stats count exists.
        judged = [d for d in judged if d.get("meta_received") is not None]
        details["days_judged"] = len(judged)
    # Days under min_orders are never flagged, so a window without one cannot pass or fail: unknown.
    if not judged:
        why = "No eligible orders in this window" if orders == 0 else f"No day has {min_orders} or more eligible orders"
        if orders and basis == "meta_received":
            why = f"No day with {min_orders} or more eligible orders has Meta's /stats count"
        return UNKNOWN, f"{why}, so {name} volumes cannot be compared with the backend.", details
    n = len(flagged)
    status = FAIL if n >= ctx.t["volume_fail_days"] else WARN if n else PASS
    if basis == "meta_received":
        evidence = (f"{n} of {len(judged)} days with ≥ {min_orders} orders flagged (|gap| > {_pct(threshold)}); "
                    f"{orders:,} orders vs {details['meta_received']:,} {name} Meta received from the server "
                    f"(/stats; no server logs)")
    else:
        evidence = (f"{n} of {len(judged)} days with ≥ {min_orders} orders flagged (|gap| > {_pct(threshold)}); "
                    f"{orders:,} orders vs {details['server_events']:,} server and {details['browser_events']:,} "
                    f"browser {name}")
    if flagged:
        shown = ", ".join(f"{d['date']} gap {_pct(d['gap'])}" for d in flagged[:5])
        evidence += f": {shown}" + (f" and {n - 5} more" if n > 5 else "")
    return status, evidence + ".", details


def _norm(name: str) -> str:
    return "".join(name.split()).casefold()


def _dedup(ctx: _Context) -> tuple[str, str, dict[str, Any]]:
    """Priority events matched ignoring case and spaces: a `purchase` server row pairs with `Purchase` browser
    events, and its name mismatches are reported under the server side's name, whichever spelling that is."""
    t = ctx.t
    names = {_norm(n) for n in ctx.priority}
    groups: dict[Key, list[Row]] = {}
    for e in ctx.cur.get("events", []):
        if _norm(e["event_name"]) in names:
            groups.setdefault((e["pixel_id"], _norm(e["event_name"])), []).append(e)
    prev = {(e["pixel_id"], e["event_name"]): e for e in ctx.prev.get("events", [])}
    findings: list[tuple[str, str]] = []
    items = []
    for gkey, rows in sorted(groups.items()):
        if not any(r["server_events"] for r in rows):
            continue
        browser = sum(r["browser_events"] for r in rows)
        mismatches = sum(r["dedup"].get("name_mismatch") or 0 for r in rows)
        for r in sorted(rows, key=lambda r: r["event_name"]):
            if not r["server_events"]:
                continue
            d, key = r["dedup"], (r["pixel_id"], r["event_name"])
            label = ctx.label(key)
            repeats = (d.get("server_repeats") or 0) / r["server_events"]
            before = (prev.get(key) or {}).get("dedup", {}).get("overlap")
            drop = None if before is None or d.get("overlap") is None else round(before - d["overlap"], 4)
            items.append({"pixel_id": key[0], "event_name": key[1], "overlap": d.get("overlap"),
                          "previous_overlap": before, "server_repeats": d.get("server_repeats"),
                          "repeat_share": round(repeats, 4), "name_mismatch": d.get("name_mismatch"),
                          "server_with_event_id": d.get("server_with_event_id"),
                          "browser_with_event_id": d.get("browser_with_event_id")})
            if r["browser_events"]:     # event-id presence matters on a name both sides send
                for side in ("server", "browser"):
                    share = d.get(f"{side}_with_event_id")
                    if share is not None and share < t["event_id_min"]:
                        findings.append((FAIL, f"{label}: event_id on {_pct(share)} of {side} events "
                                               f"(< {_pct(t['event_id_min'])})"))
            if repeats > t["repeats_max"]:
                findings.append((WARN, f"{label}: server repeats {_pct(repeats)} ({d['server_repeats']:,} of "
                                       f"{r['server_events']:,})"))
            if drop is not None and drop > t["overlap_drop"]:
                findings.append((WARN, f"{label}: overlap {d['overlap']:.2f}, down {drop:.2f} from {before:.2f}"))
        if mismatches and browser:
            share = mismatches / browser
            # Any mismatch keeps the item from passing; above the share it fails.
            status = FAIL if share > t["name_mismatch_max"] else WARN
            findings.append((status, f"{ctx.label((gkey[0], rows[0]['event_name']))}: {mismatches:,} name "
                                     f"mismatch{'es' if mismatches > 1 else ''} ({_pct(share)} of {browser:,} browser events)"))
    details = {"events": items}
    if not items:
        return UNKNOWN, ctx.unknown_without_logs(
            "Deduplication", "No priority event has server events to deduplicate in this window."), details
    if findings:
        return _verdict(findings, details)
    shown = ", ".join(f"{ctx.label((i['pixel_id'], i['event_name']))} overlap "
                      + ("n/a" if i["overlap"] is None else f"{i['overlap']:.2f}")
                      + f", repeats {_pct(i['repeat_share'])}" for i in items)
    return PASS, f"No name mismatches, repeats ≤ {_pct(t['repeats_max'])}, no overlap drop: {shown}.", details


def _coverage(ctx: _Context) -> tuple[str, str, dict[str, Any]]:
    t = ctx.t
    prev = ctx.rows(ctx.prev)
    items = []
    for key, row in sorted(ctx.rows(ctx.cur).items()):
        before = prev.get(key)
        if not row["server_events"] or not before or not before["server_events"]:
            continue
        for k in t["coverage_keys"]:
            c, p = row["coverage"].get(k), before["coverage"].get(k)
            if c is None or p is None:
                continue
            # Only drops count: collecting more identifiers than last month is not a problem.
            drop = round(p - c, 4)
            status = FAIL if drop > t["coverage_fail_drop"] else WARN if drop > t["coverage_warn_drop"] else PASS
            items.append({"pixel_id": key[0], "event_name": key[1], "key": k, "previous": p, "current": c,
                          "drop": drop, "status": status})
    details = {"keys": list(t["coverage_keys"]), "items": items}
    if not items:
        return UNKNOWN, ctx.unknown_without_logs(
            "Coverage", "No priority event has server events in both this window and the previous one."), details
    worst = sorted(items, key=lambda i: -i["drop"])
    status = _worst([i["status"] for i in items])

    def fmt(i: dict[str, Any]) -> str:
        return f"{ctx.label((i['pixel_id'], i['event_name']))} {i['key']} {i['previous']:.2f} → {i['current']:.2f}"

    if status == PASS:
        top = worst[0]
        tail = f"largest drop {fmt(top)}" if top["drop"] > 0 else "no drop"
        return PASS, (f"{', '.join(t['coverage_keys'])} coverage of every priority event within "
                      f"{t['coverage_warn_drop']:g} of the previous window ({tail})."), details
    bad = [fmt(i) + f" (−{i['drop']:.2f})" for i in worst if i["status"] != PASS]
    return status, f"Coverage dropped vs the previous window: {'; '.join(bad)}.", details


def _deployments(ctx: _Context) -> tuple[str, str, dict[str, Any]]:
    if "deployments" in (ctx.cur.get("not_computed") or []):
        return UNKNOWN, "The deployment analysis was not computed for this report.", {"deployments": []}
    deps = ctx.cur.get("deployments") or []
    details: dict[str, Any] = {"deployments": [{"name": d["name"], "deployed_at": d["deployed_at"],
                                                "verdict": d["verdict"]} for d in deps], "regressions": []}
    if not deps:
        return UNKNOWN, "No deployments recorded in this window.", details
    orders = any(d["backend_orders"] for d in (ctx.cur.get("discrepancy") or {}).get("days") or [])
    if ctx.no_logs and (ctx.cur.get("events") or orders):
        # Connectors alone: every before/after metric is empty or constant (all orders unmatched), so an
        # "ok" would be no evidence at all.
        return UNKNOWN, ctx.unknown_without_logs(f"{len(deps)} deployments; comparing before and after", ""), details
    findings = []
    for d in deps:
        if d["verdict"] != "regressed":
            continue
        regs = d.get("regressions") or [{"metric": "?", "event_name": None, "before": None, "after": None}]
        for r in regs:
            # A regression without an event name is not tied to a tier-1 event: warn, never fail.
            tier = ctx.tier(r.get("event_name")) if r.get("event_name") else 3
            details["regressions"].append({"deployment": d["name"], "tier": tier, **r})
            nums = "" if r.get("before") is None or r.get("after") is None else f" {r['before']:g} → {r['after']:g}"
            findings.append((FAIL if tier == 1 else WARN,
                             f"{d['name']} ({str(d['deployed_at'])[:10]}) regressed "
                             f"{r.get('event_name') or 'all events'} {r['metric']}{nums} (tier {tier})"))
    if findings:
        return _verdict(findings, details)
    ok = sum(d["verdict"] == "ok" for d in deps)
    if not ok:
        return UNKNOWN, f"{len(deps)} deployments, none with enough data before and after to compare.", details
    rest = len(deps) - ok
    return PASS, (f"{len(deps)} deployments, none regressed"
                  + (f" ({rest} with too little data to compare)." if rest else ".")), details


def _privacy(ctx: _Context) -> tuple[str, str, dict[str, Any]]:
    """Three conditions per priority event: server events ≥ browser events (the server side carries at least
    the browser's share of conversions), fbp coverage ≥ checklist.fbp_min, and fbc coverage ≥ the click share
    (the share of that event's browser events carrying an fbc, see click_shares; unknown without browser events
    or when the report lacks `browser_fbc_share`)."""
    t = ctx.t
    items, findings = [], []
    for key, row in sorted(ctx.rows(ctx.cur).items()):
        label, server, browser = ctx.label(key), row["server_events"], row["browser_events"]
        if not server and not browser:
            continue
        cov = row.get("coverage") or {}
        fbp, fbc, click = cov.get("fbp"), cov.get("fbc"), row.get("browser_fbc_share") if browser else None
        item = {"pixel_id": key[0], "event_name": key[1], "server_events": server, "browser_events": browser,
                "fbp": fbp, "fbc": fbc, "click_share": click, "short": []}
        items.append(item)
        if not server:
            findings.append((FAIL, f"{label}: no server events ({browser:,} browser)"))
            continue
        if server < browser:
            item["short"].append("server_share")
            findings.append((WARN, f"{label}: {server:,} server < {browser:,} browser events"))
        if fbp is not None and fbp < t["fbp_min"]:
            item["short"].append("fbp")
            findings.append((WARN, f"{label}: fbp coverage {_pct(fbp)} < {_pct(t['fbp_min'])}"))
        if fbc is not None and click is not None and fbc < click:
            item["short"].append("fbc")
            findings.append((WARN, f"{label}: fbc coverage {_pct(fbc)} < click share {_pct(click)}"))
    details = {"events": items}
    if not items:
        return UNKNOWN, ctx.unknown_without_logs("Resilience to privacy changes",
                                                 "No priority event was sent in this window."), details
    if findings:
        return _verdict(findings, details)

    def fmt(i: dict[str, Any]) -> str:
        text = f"{ctx.label((i['pixel_id'], i['event_name']))} {i['server_events']:,} server vs {i['browser_events']:,} browser"
        if i["fbp"] is not None:
            text += f", fbp {_pct(i['fbp'])}"
        if i["fbc"] is not None:
            text += f", fbc {_pct(i['fbc'])}" + ("" if i["click_share"] is None else f" vs click share {_pct(i['click_share'])}")
        return text

    return PASS, "Server ≥ browser, fbp and fbc coverage sufficient: " + "; ".join(map(fmt, items)) + ".", details


_CHECKS: dict[str, Callable[[_Context], tuple[str, str, dict[str, Any]]]] = {
    "emq": _emq, "volume": _volume, "dedup": _dedup, "coverage": _coverage, "deployments": _deployments,
    "privacy": _privacy,
}
