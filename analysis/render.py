"""The report as Markdown and as one self-contained HTML file (plotly.js inline, every input string escaped)."""
from __future__ import annotations

import html as html_mod
import math
import re
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.offline

from analysis import figures
from analysis.views import series

COLOURS = {"pass": "#1a7f37", "warn": "#9a6700", "fail": "#cf222e", "unknown": "#6e7781"}
MARKS = {"pass": "✅ pass", "warn": "⚠️ warn", "fail": "❌ fail", "unknown": "❔ unknown"}
TREND_KEYS = ("em", "ph", "fbp", "fbc")
MAX_CHART_EVENTS = 6


# ---------------------------------------------------------------- formatting shared by both outputs

def _share(x: float | None) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.1%}".replace(".0%", "%")


def _num(x: float | int | None, digits: int = 2) -> str:
    # NaN or infinity (a value the inputs made unusable) reads as missing, never as "nan" or "inf".
    if x is None or not math.isfinite(x):
        return "—"
    return f"{x:,}" if isinstance(x, int) else f"{x:.{digits}f}"


def _event_rows(report: dict[str, Any]) -> list[list[str]]:
    rows = []
    for e in report.get("events", []):
        cov, dd = e.get("coverage") or {}, e.get("dedup") or {}
        rows.append([e["pixel_id"], e["event_name"], _num(e["server_events"]), _num(e["browser_events"]),
                     _num(e.get("emq_estimate")), _num(e.get("emq_meta")),
                     *(_share(cov.get(k)) for k in TREND_KEYS), _num(dd.get("overlap")),
                     _num(dd.get("name_mismatch")), _num(dd.get("server_repeats"))])
    return rows


EVENT_HEAD = ["pixel", "event", "server", "browser", "EMQ est.", "EMQ Meta", *TREND_KEYS, "overlap",
              "name mismatches", "server repeats"]
LINT_HEAD = ["severity", "rule", "side", "pixel", "event", "field", "diagnosis", "events", "share", "examples"]
DEPLOY_HEAD = ["deployed at", "name", "verdict", "regressions"]
BREAK_HEAD = ["date", "metric", "event", "before", "after"]


def _lint_rows(report: dict[str, Any]) -> list[list[str]]:
    return [[r["severity"], r["rule"], r["side"], r["pixel_id"], r["event_name"], r.get("field") or "",
             r.get("diagnosis") or "", _num(r["count"]), _share(r.get("share")), ", ".join(r.get("examples") or [])]
            for r in report.get("lint", [])]


def _regression(r: dict[str, Any]) -> str:
    before, after = r.get("before"), r.get("after")
    shown = before is not None and after is not None and math.isfinite(before) and math.isfinite(after)
    nums = f" {before:g} → {after:g}" if shown else ""
    return f"{r.get('event_name') or 'all events'} {r['metric']}{nums}"


def _deploy_rows(report: dict[str, Any]) -> list[list[str]]:
    return [[str(d["deployed_at"]), d["name"], d["verdict"], "; ".join(map(_regression, d.get("regressions") or []))]
            for d in report.get("deployments", [])]


def _break_rows(report: dict[str, Any]) -> list[list[str]]:
    return [[b["date"], b["metric"], b.get("event_name") or "", _num(b.get("before")), _num(b.get("after"))]
            for b in report.get("suspected_breaks", [])]


def _volume_line(report: dict[str, Any]) -> str:
    disc = report.get("discrepancy") or {}
    days = disc.get("days") or []
    flagged = [d["date"] for d in days if d["flagged"]]
    return (f"{sum(d['backend_orders'] for d in days):,} eligible orders, "
            f"{sum(d['server_events'] for d in days):,} server and {sum(d['browser_events'] for d in days):,} "
            f"browser {disc.get('event_name', '')} conversions; {len(flagged)} flagged days "
            f"(|gap| > {_share(disc.get('threshold'))} with ≥ {disc.get('min_orders', 0)} orders)"
            + (f": {', '.join(flagged)}" if flagged else ""))


FIX_HEAD = ["fix", "EMQ now", "expected", "events affected", "orders carry it", "malformed: the right format",
            "Shopify", "WooCommerce", "server-side GTM", "custom backend"]


def _fix_rows(report: dict[str, Any]) -> list[list[str]]:
    many = len({r["pixel_id"] for r in report.get("recommendations") or []}) > 1
    return [[r["title"] + (f" ({r['pixel_id']})" if many else ""), _num(r["current_emq"]), _num(r["expected_emq"]),
             _share(r["affected_share"]),
             "—" if r["orders_with_key"] is None else f"{_share(r['orders_with_key'])} of {r['orders_matched']:,}",
             f"{_share(r['malformed_share'])}: {r['malformed_how_to']}" if r["malformed_share"] else "—",
             *(r["how_to"][p] for p in ("shopify", "woocommerce", "server_gtm", "custom"))]
            for r in report.get("recommendations") or []]


MONEY_HEAD = ["period", "orders", "orders Meta did not receive", "their value", "duplicated Purchases",
              "their value"]


def _money_rows(report: dict[str, Any]) -> list[list[str]]:
    m = report.get("money_at_stake")
    if not m:
        return []
    rows = [[f"week {w['since']} … {w['until']}", _num(w["backend_orders"]), _num(w["missed_orders"]),
             _num(w["missed_value"]), _num(w["duplicate_purchases"]), _num(w["duplicate_value"])] for w in m["weeks"]]
    t = m["total"]
    return rows + [["whole window", _num(t["backend_orders"]), _num(t["missed_orders"]), _num(t["missed_value"]),
                    _num(t["duplicate_purchases"]), _num(t["duplicate_value"])]]


def _money_line(report: dict[str, Any]) -> str:
    m = report.get("money_at_stake")
    if not m:
        return "No eligible orders in this window, so no order value to estimate with."
    f = m["formula"]
    return (f"An estimate, in {m['currency'] or 'the orders’ currencies'} at the window's average order value "
            f"{_num(m['average_order_value'])}. Missed orders: {f['missed_orders']}. Duplicated Purchases: "
            f"{f['duplicate_purchases']}. — means the data to judge is missing (no /stats and no server logs, "
            "or no logs for duplicates).")


def _title(report: dict[str, Any]) -> str:
    w = report["window"]
    return f"capi-audit report {w['since']} … {w['until']} ({w['timezone']})"


def _subtitle(report: dict[str, Any]) -> str:
    parts = [f"generated {report.get('generated_at', '')}"]
    if report.get("pixel_id"):
        parts.append(f"pixel {report['pixel_id']}")
    if report.get("previous_window"):
        p = report["previous_window"]
        parts.append(f"checklist compared with {p['since']} … {p['until']}")
    return " · ".join(parts)


# ---------------------------------------------------------------- Markdown

_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?\w+;)")


def _md(text: Any) -> str:
    """Text on one line, pipes escaped. Markdown passes raw HTML through, and every tag, comment or autolink
    starts with `<` and a letter, `/`, `!` or `?`: that `<` becomes `&lt;` (a bare `4.4 < 6.5` stays readable);
    an `&` that would start an entity becomes `&amp;`."""
    return _TAG_START.sub("&lt;", _ENTITY.sub("&amp;", str(text))).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return out + [""]


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: the checklist table first, then the numbers behind it."""
    lines = [f"# {_md(_title(report))}", "", _md(_subtitle(report)), "", "## Checklist", ""]
    if report.get("checklist"):
        lines += _md_table(["item", "status", "evidence"],
                           [[f"{c['title']} (`{c['id']}`)", MARKS.get(c["status"], c["status"]), c["evidence"]]
                            for c in report["checklist"]])
    else:
        lines += ["Not computed for this report.", ""]
    if report.get("recommendations"):
        lines += ["## Fixes that would raise EMQ most", ""] + _md_table(FIX_HEAD, _fix_rows(report))
    lines += ["## Money at stake (estimate)", "", _md(_money_line(report)), ""]
    lines += _md_table(MONEY_HEAD, _money_rows(report)) if report.get("money_at_stake") else []
    lines += ["## Events", ""] + _md_table(EVENT_HEAD, _event_rows(report))
    lines += ["## Volumes vs backend orders", "", _md(_volume_line(report)), ""]
    lines += ["## Deployments", ""] + (_md_table(DEPLOY_HEAD, _deploy_rows(report)) if report.get("deployments")
                                       else ["None in this window.", ""])
    if report.get("suspected_breaks"):
        lines += ["## Suspected breaks", ""] + _md_table(BREAK_HEAD, _break_rows(report))
    lines += ["## Lint", ""] + (_md_table(LINT_HEAD, _lint_rows(report)) if report.get("lint")
                                else ["No findings.", ""])
    counts = (report.get("reconciliation") or {}).get("counts") or {}
    if counts:
        lines += ["## Reconciliation (orders)", ""] + _md_table(["issue", "orders"],
                                                                 [[k, _num(v)] for k, v in counts.items()])
    if report.get("not_computed"):
        lines += [f"Not computed in this version: {_md(', '.join(report['not_computed']))}.", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------- HTML

def _e(text: Any) -> str:
    return html_mod.escape(str(text))


def _html_table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _seal(snippet: str) -> str:
    """Escape every `</` inside the snippet's script, so no string can end it early. plotly 7 already writes
    < > / in its data and layout JSON as \\u escapes, but not in the config; this holds whatever it writes."""
    start = snippet.index(">", snippet.index("<script")) + 1
    end = snippet.rindex("</script>")
    return snippet[:start] + snippet[start:end].replace("</", "<\\/") + snippet[end:]


def _figure(fig: go.Figure, div_id: str) -> str:
    # The legend shows even for one line: it names the event.
    fig.update_layout(template="plotly_white", height=380, margin=dict(l=10, r=10, t=50, b=10), showlegend=True,
                      legend=dict(orientation="h", y=-0.2), hovermode="x unified")
    return _seal(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                             config={"displaylogo": False, "responsive": True}))


def _chart_events(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The priority events the checklist looked at, else the busiest events (the report carries no settings)."""
    for item in report.get("checklist") or []:
        if item["id"] == "privacy" and (item.get("details") or {}).get("events"):
            keys = [(i["pixel_id"], i["event_name"]) for i in item["details"]["events"]]
            return keys[:MAX_CHART_EVENTS]
    busiest = sorted(report.get("events", []), key=lambda e: -e["server_events"])
    return [(e["pixel_id"], e["event_name"]) for e in busiest if e["server_events"]][:MAX_CHART_EVENTS]


def _markers(report: dict[str, Any]) -> pd.DataFrame:
    """Every deployment (deployed_at, name): analysed ones, and those the series listed for the window."""
    seen: dict[tuple[str, str], None] = {}
    for d in list(report.get("deployments") or []) + list(report.get("deployments_list") or []):
        seen[(str(d["deployed_at"]).replace("T", " ").rstrip("Z"), d["name"])] = None
    return pd.DataFrame(sorted(seen), columns=["deployed_at", "name"])


def _frame(rows: list[dict[str, Any]] | None) -> pd.DataFrame:
    return pd.DataFrame(rows) if rows else pd.DataFrame()


def _charts(report: dict[str, Any], daily: dict[str, Any], keys: list[tuple[str, str]]) -> list[str]:
    """The trend charts, drawn by the same builders as the dashboard's pages."""
    markers = _markers(report)
    dedup = series.dedup_by_day(_frame(daily.get("dedup")), keys)
    return [_figure(figures.emq_trend(_frame(daily.get("emq")), _frame(daily.get("emq_meta")), markers, target=None,
                                      keys=keys), "chart-emq"),
            _figure(figures.coverage_trend(_frame(daily.get("coverage")), keys, markers, TREND_KEYS),
                    "chart-coverage"),
            _figure(figures.dedup_daily(dedup).update_layout(title="Deduplication per day (charted events)"),
                    "chart-dedup")]


def _discrepancy_chart(report: dict[str, Any]) -> str:
    disc = report["discrepancy"]
    return _figure(figures.discrepancy_daily(_frame(disc.get("days")), float(disc.get("threshold") or 0),
                                             disc.get("event_name", "")), "chart-discrepancy")


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#1f2328;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}.sub{color:#656d76;margin-top:0}h2{margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.status{font-weight:600;color:#fff;border-radius:4px;padding:.1rem .5rem;white-space:nowrap}
.note{color:#656d76}
"""


def html(report: dict[str, Any], daily: dict[str, Any] | None = None) -> str:
    """One HTML file that opens without a network: plotly.js inline, then the checklist, trends and tables."""
    daily = daily if daily is not None else report.get("daily")
    keys = _chart_events(report)
    parts = [f"<h1>{_e(_title(report))}</h1>", f'<p class="sub">{_e(_subtitle(report))}</p>', "<h2>Checklist</h2>"]
    if report.get("checklist"):
        rows = "".join(
            f'<tr><td>{_e(c["title"])} <code>{_e(c["id"])}</code></td>'
            f'<td><span class="status status-{_e(c["status"])}" style="background:{COLOURS.get(c["status"], "#6e7781")}">'
            f'{_e(c["status"])}</span></td><td>{_e(c["evidence"])}</td></tr>' for c in report["checklist"])
        parts.append(f'<table class="checklist"><thead><tr><th>item</th><th>status</th><th>evidence</th></tr>'
                     f"</thead><tbody>{rows}</tbody></table>")
    else:
        parts.append('<p class="note">Not computed for this report.</p>')
    if report.get("recommendations"):
        parts += ["<h2>Fixes that would raise EMQ most</h2>", _html_table(FIX_HEAD, _fix_rows(report), "fixes"),
                  '<p class="note">Expected EMQ: the mean per-event score of the model as if the identifier were '
                  "present and well-formed on every event.</p>"]
    parts += ["<h2>Money at stake (estimate)</h2>", f'<p class="note">{_e(_money_line(report))}</p>']
    if report.get("money_at_stake"):
        parts.append(_html_table(MONEY_HEAD, _money_rows(report), "money"))
    parts += ["<h2>Events</h2>", _html_table(EVENT_HEAD, _event_rows(report), "events")]
    parts.append("<h2>Trends</h2>")
    if daily and keys:
        parts += _charts(report, daily, keys)
    else:
        parts.append('<p class="note">No daily series in this report.</p>')
    parts += ["<h2>Volumes vs backend orders</h2>", f"<p>{_e(_volume_line(report))}</p>"]
    if (report.get("discrepancy") or {}).get("days"):
        parts.append(_discrepancy_chart(report))
    parts.append("<h2>Deployments</h2>")
    parts.append(_html_table(DEPLOY_HEAD, _deploy_rows(report), "deployments") if report.get("deployments")
                 else '<p class="note">None analysed in this window.</p>')
    if report.get("suspected_breaks"):
        parts += ["<h2>Suspected breaks</h2>", _html_table(BREAK_HEAD, _break_rows(report), "breaks")]
    parts.append("<h2>Lint</h2>")
    parts.append(_html_table(LINT_HEAD, _lint_rows(report), "lint") if report.get("lint")
                 else '<p class="note">No findings.</p>')
    counts = (report.get("reconciliation") or {}).get("counts") or {}
    if counts:
        parts += ["<h2>Reconciliation (orders)</h2>",
                  _html_table(["issue", "orders"], [[k, _num(v)] for k, v in counts.items()], "reconciliation")]
    if report.get("not_computed"):
        parts.append(f'<p class="note">Not computed in this version: {_e(", ".join(report["not_computed"]))}.</p>')
    # The bundle holds no `</script` (plotly inlines it the same way); should one appear, in a string literal
    # as every `</` in it is today, `<\/script` reads the same to JavaScript and cannot end the tag.
    plotly_js = re.sub(r"(?i)</(script)", r"<\\/\1", plotly.offline.get_plotlyjs())
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(_title(report))}</title><style>{_CSS}</style>"
            f"<script>{plotly_js}</script></head>\n<body>\n" + "\n".join(parts) + "\n</body></html>\n")
