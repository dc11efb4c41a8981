"""Markdown and HTML reports: the checklist table, one self-contained HTML file, every input string escaped."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

import plotly.graph_objects as go
import plotly.offline
import pytest

from analysis import config, render
from analysis.cli import main
from analysis.metrics.checklist import evaluate
from tests.conftest import needs_chromium
from tests.scenario import Scenario, sev, ud

XSS = "<script>alert(1)</script>"
BREAKOUT = "</script><script>alert(2)</script>"


def _event(name: str, server: int, browser: int, emq: float) -> dict[str, Any]:
    return {"pixel_id": "111", "event_name": name, "server_events": server, "browser_events": browser,
            "coverage": {"em": 0.9, "ph": 0.5, "fbp": 0.95, "fbc": 0.2}, "emq_estimate": emq, "emq_meta": None,
            "dedup": {"overlap": 0.9, "name_mismatch": 0, "server_repeats": 1, "browser_with_event_id": 1.0,
                      "server_with_event_id": 1.0}, "browser_fbc_share": 0.1}


def sample_report(priority: dict[str, Any] | None = None) -> dict[str, Any]:
    """A report whose event, deployment and lint example carry markup; `priority` adds priority events."""
    rep = {
        "schema_version": 1, "generated_at": "2026-11-26T10:00:00Z",
        "window": {"since": "2026-10-01", "until": "2026-10-03", "timezone": "UTC"},
        "previous_window": {"since": "2026-09-28", "until": "2026-09-30", "timezone": "UTC"},
        "pixel_id": None,
        "events": [_event("Purchase", 60, 50, 8.4), _event(XSS, 10, 10, 5.0), _event(BREAKOUT, 5, 0, 4.0)],
        "discrepancy": {"event_name": "Purchase", "threshold": 0.15, "min_orders": 10, "days": [
            {"date": f"2026-10-0{d}", "backend_orders": 20, "server_events": s, "browser_events": s - 3,
             "meta_received": None, "meta_browser_received": None, "backend_revenue": 200.0, "server_value": 190.0,
             "gap": round((20 - s) / 20, 4), "flagged": s < 17} for d, s in ((1, 20), (2, 12), (3, 19))]},
        "lint": [{"rule": "unhashed_pii", "side": "server", "severity": "error", "pixel_id": "111",
                  "event_name": XSS, "field": "em", "diagnosis": None, "count": 2, "share": 0.2,
                  "examples": [f"event_id={XSS}"]}],
        "deployments": [{"name": XSS, "deployed_at": "2026-10-02T09:00:00Z", "verdict": "regressed",
                         "regressions": [{"metric": "coverage.ph", "event_name": "Purchase", "before": 0.92,
                                          "after": 0.1}]}],
        "suspected_breaks": [], "not_computed": ["suspected_breaks"],
        "reconciliation": {"counts": {"no_server_purchase": 3, "purchase_for_unpaid_order": 0,
                                      "purchase_without_order": 1, "value_mismatch": 0}},
    }
    cfg = config.load(env={})
    cfg.override("priority_events", {**cfg["priority_events"], **(priority or {})}, "test")
    rep["checklist"] = evaluate(rep, {"events": [_event("Purchase", 60, 50, 8.5)]}, cfg)
    return rep


def sample_daily() -> dict[str, Any]:
    days = [date(2026, 10, d) for d in (1, 2, 3)]
    names = ("Purchase", XSS)
    return {
        "emq": [{"pixel_id": "111", "event_name": n, "day": d, "emq": 8.0, "events": 3} for n in names for d in days],
        "emq_meta": [{"pixel_id": "111", "event_name": XSS, "day": days[0], "score": 6.1}],
        "coverage": [{"pixel_id": "111", "event_name": n, "day": d, "server_events": 3, "em": 0.9, "ph": 0.5,
                      "fbp": 1.0, "fbc": 0.2} for n in names for d in days],
        "dedup": [{"pixel_id": "111", "event_name": n, "day": d, "paired": 2, "server_only": 1, "browser_only": 1}
                  for n in names for d in days],
    }


def test_markdown_has_the_checklist_table():
    md = render.markdown(sample_report())
    lines = md.splitlines()
    head = lines.index("| item | status | evidence |")
    assert lines[head + 1] == "|---|---|---|"
    assert lines[head + 2] == "| Event Match Quality of every priority event (`emq`) | ✅ pass | Purchase 8.4 ≥ 8 target. |"
    rows = [line.split(" | ")[1] for line in lines[head + 2:head + 8]]
    assert rows == ["✅ pass", "⚠️ warn", "⚠️ warn", "✅ pass", "❌ fail", "✅ pass"]
    assert lines[head + 3] == ("| Event volumes vs backend orders (`volume`) | ⚠️ warn | 1 of 3 days with ≥ 10 orders "
                               "flagged (\\|gap\\| > 15%); 60 orders vs 51 server and 42 browser Purchase: "
                               "2026-10-02 gap 40%. |")
    assert lines[head + 6] == ("| Validation after every deployment (`deployments`) | ❌ fail | &lt;script>alert(1)&lt;/script> "
                               "(2026-10-02) regressed Purchase coverage.ph 0.92 → 0.1 (tier 1). |")
    assert "| no_server_purchase | 3 |" in lines
    assert md.endswith("\n") and lines[0] == "# capi-audit report 2026-10-01 … 2026-10-03 (UTC)"


def test_markdown_escapes_input_strings():
    md = render.markdown(sample_report())
    assert XSS not in md and "<script" not in md and "</script" not in md
    assert "| 111 | &lt;/script>&lt;script>alert(2)&lt;/script> | 5 | 0 |" in md


def _scripts(page: str) -> list[str]:
    return re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S | re.I)


def _assert_self_contained_and_escaped(page: str) -> None:
    # No external resource: nothing loads a script, a stylesheet, an image or a frame by address.
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b[^>]*\s(src|href|data)\s*=", page, re.I)
    assert not re.search(r"<link\b", page, re.I) and "@import" not in page
    assert page.count(plotly.offline.get_plotlyjs()) == 1              # the bundle, inline, once
    # No input string appears raw, in tables, attributes or chart JSON …
    for bad in (XSS, BREAKOUT, "<script>alert", "</script><script>"):
        assert bad not in page
    # … so the only script tags are ours: the bundle and one per chart, each closed where it should be.
    assert len(re.findall(r"<script", page, re.I)) == len(re.findall(r"</script>", page, re.I)) == len(_scripts(page))
    for body in _scripts(page)[1:]:
        assert body.lstrip().startswith("window.PLOTLYENV")


def test_html_is_one_self_contained_file_with_everything_escaped():
    page = render.html(sample_report(), sample_daily())
    _assert_self_contained_and_escaped(page)
    assert len(_scripts(page)) == 1 + 4                        # bundle + EMQ, coverage, dedup, discrepancy
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page    # tables: shown as text
    assert "&lt;script&gt;alert(1)&lt;\\u002fscript&gt;" in page  # chart JSON: plotly decodes &lt; for display
    assert 'class="status status-fail" style="background:#cf222e">fail</span>' in page
    assert "<th>severity</th><th>rule</th>" in page and "event_id=&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_html_without_daily_series_still_has_the_checklist_and_discrepancy():
    page = render.html(sample_report())
    _assert_self_contained_and_escaped(page)
    assert "No daily series in this report." in page and len(_scripts(page)) == 2


def test_seal_escapes_closing_tags_inside_a_figure_script():
    # plotly 7 writes < > / in data and layout JSON as \u escapes, but dumps the config with json.dumps:
    # whatever reaches the script, `</` cannot end it.
    fig = go.Figure(go.Scatter(x=[1], y=[2], name=BREAKOUT))
    raw = fig.to_html(full_html=False, include_plotlyjs=False, config={"locale": BREAKOUT})
    assert BREAKOUT in raw                                     # the config is not escaped by plotly
    sealed = render._seal(raw)
    assert BREAKOUT not in sealed and "<\\/script><script>alert(2)<\\/script>" in sealed
    assert len(re.findall("</script>", sealed)) == 1


@pytest.fixture
def xss_store(tmp_path):
    sc = Scenario(tmp_path)
    good = ud("em", "ph", "fbp", "client_ip_address", "client_user_agent")
    for d in (1, 2, 3):
        sc.server(sev("Purchase", f"2026-10-0{d}T10:00:00", f"o{d}", good), sev(XSS, f"2026-10-0{d}T11:00:00", XSS))
        sc.browser("Purchase", f"2026-10-0{d}T10:00:01", f"o{d}")
        sc.browser(XSS, f"2026-10-0{d}T11:00:01", XSS)
    sc.deployment("2026-10-02T09:00:00", XSS)
    sc.ingest()
    return sc


def test_report_formats_from_the_command_line(xss_store, capsys):
    db = str(xss_store.db)
    window = ["--since", "2026-10-01", "--until", "2026-10-03"]
    out = xss_store.tmp / "report.html"
    assert main(["--db", db, "report", *window, "--format", "html", "--output", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    _assert_self_contained_and_escaped(page)
    assert len(_scripts(page)) == 5
    # The deployment is a marker on the trend charts (the deployment analysis may not list it).
    assert page.count("&lt;script&gt;alert(1)&lt;\\u002fscript&gt;") == 1      # the EMQ chart's marker
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td><td>3</td><td>3</td>" in page   # the events table
    capsys.readouterr()
    assert main(["--db", db, "report", *window, "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "| item | status | evidence |" in md and XSS not in md
    with pytest.raises(SystemExit) as exc:
        main(["--db", db, "report", "--format", "pdf"])
    assert exc.value.code == 2


@needs_chromium
def test_html_opens_without_a_network_in_a_real_browser(tmp_path, chromium):
    path = tmp_path / "report.html"
    # A priority event named with markup: it is charted, in the legend.
    report = sample_report(priority={XSS: {"tier": 3}})
    path.write_text(render.html(report, sample_daily()), encoding="utf-8")
    requests, errors, dialogs = [], [], []
    try:
        page = chromium.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                   else (requests.append(route.request.url), route.abort()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4")
        assert page.locator(".js-plotly-plot").count() == 4
        # Names show as the text that was sent (plotly decodes &lt; for display); nothing ran.
        assert page.locator("#chart-emq .legendtext").all_text_contents() == [XSS, XSS + " (Meta)", "Purchase"]
        assert page.locator("#chart-emq .annotation-text").all_text_contents() == [XSS]
        assert page.locator("table.checklist tbody tr").count() == 6
    finally:
        page.close()
    assert requests == [] and errors == [] and dialogs == []


def test_non_finite_numbers_read_as_missing():
    from analysis import render

    assert render._num(float("inf")) == "—" and render._num(float("nan")) == "—"
    assert render._share(float("-inf")) == "—"
    assert render._regression({"metric": "emq_estimate", "before": float("nan"), "after": 5.0}) == \
        "all events emq_estimate"


def test_money_at_stake_is_a_labelled_estimate_in_both_reports():
    rep = sample_report()
    period = {"backend_orders": 10, "missed_orders": 4, "missed_value": 120.0, "duplicate_purchases": None,
              "duplicate_value": None}
    rep["money_at_stake"] = {"estimate": True, "event_name": "Purchase", "currency": "USD",
                             "average_order_value": 30.0, "formula": {"missed_orders": "M", "duplicate_purchases": "D",
                                                                      "average_order_value": "A"},
                             "total": period, "weeks": [{"since": "2026-10-01", "until": "2026-10-03", **period}],
                             "months": [], "days": []}
    md = render.markdown(rep)
    assert ("## Money at stake (estimate)\n\nAn estimate, in USD at the window's average order value 30.00. "
            "Missed orders: M. Duplicated Purchases: D.") in md
    assert "| week 2026-10-01 … 2026-10-03 | 10 | 4 | 120.00 | — | — |" in md
    assert "| whole window | 10 | 4 | 120.00 | — | — |" in md
    page = render.html(rep)
    assert "<h2>Money at stake (estimate)</h2>" in page and "<td>120.00</td>" in page
    assert "No eligible orders in this window" in render.markdown(sample_report())


def test_ranked_fixes_lead_both_reports():
    rep = sample_report()
    how = {"shopify": "S", "woocommerce": "W", "server_gtm": "G", "custom": XSS}
    rep["recommendations"] = [{"rank": 1, "pixel_id": "111", "event_name": "Purchase", "key": "ph", "action": "send",
                               "title": "send ph on Purchase", "affected_share": 0.75, "missing_share": 0.5,
                               "malformed_share": 0.25, "events": 4, "current_emq": 7.69, "expected_emq": 8.65,
                               "uplift": 0.96, "weights": "default", "source": "orders", "orders_matched": 4,
                               "orders_with_key": 0.75, "fix_possible": True, "how_to": how, "malformed_how_to": "M"}]
    md = render.markdown(rep)
    assert md.index("## Fixes that would raise EMQ most") < md.index("## Money at stake (estimate)")
    assert ("| send ph on Purchase | 7.69 | 8.65 | 75% | 75% of 4 | 25%: M | S | W | G | "
            "&lt;script>alert(1)&lt;/script> |") in md
    page = render.html(rep)
    assert "<td>send ph on Purchase</td><td>7.69</td><td>8.65</td>" in page and XSS not in page.split("</script>", 1)[1]
