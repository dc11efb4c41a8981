"""Meta's own numbers for the demo: Dataset Quality API snapshots and /stats pages."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

from analysis.demo.catalog import PIXEL_ID
from analysis.demo.files import iso
from analysis.demo.story import EMQ_BASE, EMQ_CHECKOUT_DROP, EMQ_SDK_DROP

# identifier names of the Dataset Quality API's match_key_feedback and their user_data keys
MATCH_KEYS = (("email", "em"), ("phone", "ph"), ("ip_address", "client_ip_address"),
              ("user_agent", "client_user_agent"), ("external_id", "external_id"), ("fbc", "fbc"), ("fbp", "fbp"),
              ("first_name", "fn"), ("last_name", "ln"), ("city", "ct"), ("state", "st"), ("zip", "zp"),
              ("country", "country"))


def pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def quality_entry(name: str, w: dict[str, int], noise: float, with_dedupe: bool) -> dict:
    """One event of a Dataset Quality API response, from the accepted server events of the last 7 days."""
    n = w["n"]
    score = EMQ_BASE[name] - EMQ_SDK_DROP[name] * w.get("after_sdk", 0) / n
    if name == "Purchase":
        score -= EMQ_CHECKOUT_DROP * w.get("after_checkout", 0) / n
    diagnostics = []
    if w.get("plain_em"):
        diagnostics.append({
            "name": "Unhashed customer information parameters",
            "description": "Your server is sending customer information parameters that are not hashed.",
            "solution": "Hash em, ph and the other customer information parameters with SHA-256 before sending.",
            "percentage": pct(w["plain_em"], n), "affected_event_count": w["plain_em"], "total_event_count": n})
    if w.get("fbc_lower"):
        diagnostics.append({
            "name": "Server sending modified fbclid values",
            "description": "Your server is sending modified fbclid values in the fbc parameter.",
            "solution": "Send the fbc value exactly as read from the _fbc cookie or the fbclid URL parameter.",
            "percentage": pct(w["fbc_lower"], n), "affected_event_count": w["fbc_lower"], "total_event_count": n})
    emq: dict = {"composite_score": round(score + noise, 1),
                 "match_key_feedback": [{"identifier": ident, "coverage": {"percentage": pct(w[key], n)}}
                                        for ident, key in MATCH_KEYS if w.get(key)]}
    if diagnostics:
        emq["diagnostics"] = diagnostics
    entry: dict = {"event_name": name, "event_match_quality": emq}
    browser = w.get("browser", 0)
    if browser:
        entry["event_coverage"] = {"percentage": pct(min(w.get("paired", 0), browser), browser), "goal_percentage": 75}
        if with_dedupe:
            entry["dedupe_key_feedback"] = [{
                "dedupe_key": "event_id",
                "browser_events_with_dedupe_key": {"percentage": 100},
                "server_events_with_dedupe_key": {"percentage": pct(w.get("with_id", 0), n)},
                "overall_browser_coverage_from_dedupe_key": {"percentage": pct(min(w.get("paired", 0), browser), browser)}}]
    entry["data_freshness"] = {"upload_frequency": "real_time"}
    return entry


def stats_page(fetched: float, source: str, buckets: list[tuple[int, dict[str, int]]], last: bool) -> dict:
    """One page of GET /{pixel}/stats?aggregation=event, hours ascending, events by count."""
    data = [{"aggregation": "event",
             "start_time": datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000"),
             "data": [{"value": k, "count": v} for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]}
            for t, counts in buckets]
    cursor = [base64.b64encode(str(t).encode()).decode() for t, _ in buckets] or ["MA=="]
    paging: dict = {"cursors": {"before": cursor[0], "after": cursor[-1]}}
    if not last:
        paging["next"] = (f"https://graph.facebook.com/v25.0/{PIXEL_ID}/stats?aggregation=event"
                          f"&event_source={source}&after={cursor[-1]}")
    return {"pixel_id": PIXEL_ID, "fetched_at": iso(fetched),
            "params": {"aggregation": "event", "event_source": source}, "response": {"data": data, "paging": paging}}

