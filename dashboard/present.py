"""How the pages say things: sentences, KPI labels and Markdown-safe text made from the numbers they read."""
from __future__ import annotations

import re
from typing import Any

import pandas as pd

# Said on the pages that a store fed by connectors alone (Meta's numbers and orders) cannot fill yet.
NEEDS_LOGS_PAGE = ("Audited from Meta's numbers and your orders alone: no Conversions API logs yet. Needs server "
                   "logs: capi-audit's estimated EMQ and the ranked fixes, identifier coverage and hash checks, "
                   "deduplication and duplicated Purchases, lint, the privacy check and before/after deployment "
                   "comparisons. Get them with `capi-audit capture` (a "
                   "logging proxy in front of your Conversions API calls) or file exports: `capi-audit ingest "
                   "server-events FILE` (and `capi-audit ingest browser-events FILE`). They fill in on the next "
                   "reload, no rebuild needed.")

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
