"""Every dashboard page rendered by AppTest on a small demo database, an empty one and none."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analysis import demo_build, store

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PAGES = ["weekly_emq", "portfolio", "health_check", "deployments", "dedup", "discrepancies", "trace", "data_sources"]
CHECKLIST_IDS = ["emq", "volume", "dedup", "coverage", "deployments", "privacy"]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("dash") / "demo.duckdb"
    # 25 days end on 2026-11-22: a few October days give the month picker a second month.
    demo_build.build(db, days=25, orders_per_day=40, log=lambda m: None)
    return db


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    with store.writer(db):
        pass
    return db


@pytest.fixture(autouse=True)
def fresh_caches():
    # Streamlit's caches are process-global: one test's results must not feed the next.
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    return at.switch_page(f"app_pages/{page}.py").run()


def plotly_figures(at: AppTest) -> list[dict]:
    # AppTest has no typed accessor for plotly charts: the element's proto carries the figure as JSON.
    return [json.loads(el.proto.spec) for el in at.main.get("plotly_chart")]


def values(array) -> list:
    # plotly 7 writes numeric arrays as {"dtype", "bdata": base64}.
    if isinstance(array, dict) and "bdata" in array:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def titles(figs: list[dict]) -> list[str]:
    return [f["layout"]["title"]["text"] for f in figs]


def texts(elements) -> str:
    return " ".join(e.value for e in elements)


def plain(elements) -> list[str]:
    # Markdown from the data is backslash-escaped (present.md): compare the text as shown.
    return [e.value.replace("\\", "") for e in elements]


def deployed_at(db: Path, name: str) -> str:
    con = store.connect(db, read_only=True)
    try:
        return store.scalar(con, "SELECT max(deployed_at) FROM deployments WHERE name = ?", [name]).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
    finally:
        con.close()


def downloads(at: AppTest) -> list[str]:
    return [el.proto.label for el in at.main.get("download_button")]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders(page: str, demo_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CAPI_AUDIT_DB", str(demo_db))
    at = open_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, texts(at.error)
    figs = plotly_figures(at)
    labels = [m.label for m in at.metric]
    if page == "weekly_emq":
        assert labels[:6] == ["Purchase · EMQ, 7 days", "Meta's EMQ", "em coverage", "ph coverage",
                              "fbc coverage", "fbp coverage"]
        assert "Lead · EMQ, 7 days" in labels
        assert [h.value for h in at.subheader] == ["Fixes that would raise EMQ most", "Money at stake (estimate)"]
        assert at.expander[0].label.replace("\\", "").startswith("send em on AddToCart: EMQ ")
        assert labels[-4].startswith("Orders Meta did not receive, 2026-11-16 … 2026-11-22")
        assert titles(figs) == ["EMQ per day (solid: estimated · dashed: Meta)",
                                "Identifier coverage (well-formed as received)"]
        trend = figs[0]
        assert "Purchase (Meta)" in [t["name"] for t in trend["data"]]
        assert "checkout-v2" in [a.get("text") for a in trend["layout"]["annotations"]]
    elif page == "portfolio":
        table = at.dataframe[0].value
        assert sorted(table["pixel"]) == sorted(at.selectbox(key="portfolio_pixel").options)   # each one opens
        assert table["orders"].sum() > 0 and not figs
    elif page == "dedup":
        assert titles(figs) == ["Deduplication per day"]
        assert at.selectbox(key="dedup_event").value == ("1234567890", "Purchase")
        assert len(at.dataframe) == 1 and len(at.toggle) == 1
        at.toggle[0].set_value(True).run()
        assert not at.exception and len(at.dataframe) == 2
    elif page == "health_check":
        assert at.selectbox(key="health_month").value == date(2026, 11, 1)   # October is not covered from the 1st
        cards = [m for m in plain(at.markdown) if "-badge[" in m and "**" in m]
        assert [c.rsplit("`", 2)[-2] for c in cards] == CHECKLIST_IDS
        status = {c.rsplit("`", 2)[-2]: c.split("]", 1)[0].split()[-1] for c in cards}
        assert set(status.values()) <= {"pass", "warn", "fail", "unknown"}
        assert status["dedup"] == "fail" and status["deployments"] == "fail"      # theme-autumn, checkout-v2
        assert cards[0].startswith(":orange-badge[") and cards[2].startswith(":red-badge[")
        assert titles(figs) == [
            "EMQ per day (dashed: Meta · dotted: target)", "Purchase gap per day (red: flagged; band ±15%)",
            "Overlap and name mismatches per day", "em · ph · fbp · fbc coverage per day", "Deployments by verdict",
            "Server vs browser events per day"]
        assert all(f["data"] for f in figs)                       # every card's chart has data in November
        assert downloads(at) == ["Markdown report", "HTML report"]
        assert labels[:4] == ["Orders Meta did not receive, November", "Their value",
                              "Duplicated Purchases, November", "Their value"]
        (mom,) = [d.value for d in at.dataframe]
        assert list(dict.fromkeys(mom["item"])) == CHECKLIST_IDS
        assert "2026-11-01 … 2026-11-30" in at.main.caption[0].value
    elif page == "deployments":
        shown = plain(at.markdown)
        line = [m for m in shown if "checkout-v2 (" in m]
        assert len(line) == 1 and line[0].startswith(":red-badge["), shown
        assert "hash_match.ph 1.00 → 0.00 on Purchase" in line[0] and "ph: missing_country_code" in line[0]
        assert any(m.startswith(":green-badge[") and "copy-tweaks (" in m for m in shown)
        pick = at.selectbox(key="deployment")
        assert pick.options[pick.index].endswith(" · regressed")       # the most recent regressed one
        assert pick.value[0] == "gtm-consent-banner"
        assert titles(figs)[:2] == ["Key metrics per day · all events",
                                    "gtm-consent-banner: the metrics that got worse, per day around it"]
        assert at.dataframe[0].value.iloc[0]["finding"] == "regressed"
        assert downloads(at)[0].startswith("Every affected id (")
        pick.set_value(("checkout-v2", deployed_at(demo_db, "checkout-v2"))).run()
        assert not at.exception
        detail = at.dataframe[0].value
        assert detail.iloc[0][["finding", "event_name", "metric"]].tolist() == ["regressed", "Purchase",
                                                                              "lint.hash_mismatch"]
        assert detail.iloc[1][["finding", "metric"]].tolist() == ["unconfirmed", "hash_match.ph"]
        assert len(detail) > 50 and set(detail["finding"]) >= {"regressed", "unconfirmed", "unchanged"}
        assert at.dataframe[1].value["rule"].tolist() == ["hash_mismatch"]
        assert at.dataframe[1].value["example ids"].iloc[0].startswith("order-")
        assert len(downloads(at)) == 1 and downloads(at)[0].startswith("Every affected id (")
        assert "checkout-v2: the metrics that got worse, per day around it" in titles(plotly_figures(at))
    elif page == "trace":
        assert at.text_input(key="trace_id").value == "" and not figs
    elif page == "discrepancies":
        assert titles(figs) == ["Purchase per day vs backend orders (band: ±15% gap)"]
        assert labels == ["Flagged days", "Days with orders", "Meta's counts"]
        assert len(at.dataframe) == 1
    else:
        assert labels[:3] == ["server events", "browser events", "orders"]
        assert at.metric[0].value != "0"
        assert sorted(b.label for b in at.button) == ["Ingest", "Reload data", "Sync now"]


def test_filter_changes_rerun_the_page(demo_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CAPI_AUDIT_DB", str(demo_db))
    at = open_page("discrepancies")
    since, until = at.date_input(key="window").value
    assert (until - since).days == 29  # the report's default: 30 days ending on the latest day with data
    before = len(at.dataframe[0].value)
    short = (until - timedelta(days=6), until)
    at.date_input(key="window").set_value(short).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 7 and before == 30
    assert f"{short[0]} … {short[1]}" in at.main.caption[0].value

    at.selectbox(key="pixel").set_value("1234567890").run()
    assert not at.exception and "· 1234567890 ·" in at.main.caption[0].value

    at.text_input(key="tz").set_value("Mars/Olympus").run()
    assert not at.exception
    assert "Unknown time zone 'Mars/Olympus'" in texts(at.error)


def test_the_month_picker_reruns_the_health_check_with_another_month(demo_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CAPI_AUDIT_DB", str(demo_db))
    at = open_page("health_check")
    pick = at.selectbox(key="health_month")
    assert pick.options == ["November 2026", "October 2026"]
    pick.set_value(date(2026, 10, 1)).run()
    assert not at.exception and not at.error
    caption = at.main.caption[0].value
    assert caption.startswith("2026-10-01 … 2026-10-31 (UTC)")
    assert "events from 2026-10-29 to 2026-10-31 only" in caption
    assert "previous month (2026-09-01 … 2026-09-30)" in caption   # the calendar month before
    assert len(plotly_figures(at)) == 6 and downloads(at) == ["Markdown report", "HTML report"]
    assert "No data in September 2026" in texts(at.main.caption)
    assert at.subheader[0].value == "October 2026 vs September 2026"


def test_the_health_check_reports_download_as_markdown_and_html(demo_db: Path):
    from dashboard import data

    f = data.Filters(db=str(demo_db), since=None, until=None, tz="UTC", pixel=None)
    rep = data.month_report(f, date(2026, 11, 1))
    text = data.month_markdown(rep)
    assert text.startswith("# capi-audit report 2026-11-01 … 2026-11-30 (UTC)") and "## Checklist" in text
    assert "checkout-v2" in text
    page = data.month_html(f, date(2026, 11, 1))
    assert page.startswith("<!DOCTYPE html>") and 'id="chart-emq"' in page and len(page) > 1_000_000


def test_the_deployments_timeline_follows_the_event_picker(demo_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CAPI_AUDIT_DB", str(demo_db))
    at = open_page("deployments")
    at.selectbox(key="deployments_event").set_value("Purchase").run()
    assert not at.exception
    timeline = plotly_figures(at)[0]
    assert timeline["layout"]["title"]["text"] == "Key metrics per day · Purchase"
    ph = [t for t in timeline["data"] if t["name"] == "hash_match.ph"]
    assert ph and min(values(ph[0]["y"])) == 0.0 and max(values(ph[0]["y"])) == 1.0   # checkout-v2 broke it


@pytest.fixture(scope="module")
def mirror_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo plus a first-party mirror: 40 Purchases the pixel also sent and 10 it never did."""
    import shutil

    from analysis.ingest import Options, ingest_file

    folder = tmp_path_factory.mktemp("mirror")
    db = folder / "mirror.duckdb"
    shutil.copy(demo_db, db)
    con = store.connect(db, read_only=True)
    try:
        seen = store.query(con, """SELECT pixel_id, event_id, epoch(event_time)::BIGINT AS t FROM browser_events
                                   WHERE event_name = 'Purchase' AND event_id IS NOT NULL
                                   ORDER BY event_time DESC LIMIT 40""")
    finally:
        con.close()
    rows = [{"source": "mirror", "pixel_id": r["pixel_id"], "event_name": "Purchase", "event_id": r["event_id"],
             "event_time": r["t"]} for r in seen]
    rows += [{"source": "mirror", "pixel_id": seen[0]["pixel_id"], "event_name": "Purchase",
              "event_id": f"blocked-{i}", "event_time": seen[i]["t"]} for i in range(10)]
    path = folder / "mirror.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert ingest_file(db, "browser-events", path, Options()).error is None
    return db


def test_the_mirror_estimate_shows_only_with_mirror_data(demo_db: Path, mirror_db: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    expected = "≈ 20% of pixel events never reached Meta (estimate from the first-party mirror: 10 of 50"
    monkeypatch.setenv("CAPI_AUDIT_DB", str(mirror_db))
    at = open_page("weekly_emq")
    assert not at.exception and expected in texts(at.info)
    at = open_page("dedup")
    assert "≈ 20% of Purchase pixel events never reached Meta" in texts(at.info)
    monkeypatch.setenv("CAPI_AUDIT_DB", str(demo_db))
    st.cache_data.clear()
    for page in ("weekly_emq", "dedup"):
        at = open_page(page)
        assert "never reached Meta" not in texts(at.info)


@pytest.mark.parametrize("page,expected", [
    ("weekly_emq", "No server events in this window"),
    ("health_check", "No server or browser events yet, so there is no month to check"),
    ("deployments", "No deployments recorded in this window"),
    ("dedup", "No browser events yet — ingest a HAR export or a pixel log"),
    ("discrepancies", "No orders and no Purchase events in this window"),
    ("data_sources", "The database is empty"),
    ("portfolio", "No pixels in this store yet"),
])
def test_empty_database_says_what_to_do(page: str, expected: str, empty_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CAPI_AUDIT_DB", str(empty_db))
    at = open_page(page)
    assert not at.exception and not at.error
    assert expected in texts(at.info)
    assert not plotly_figures(at)


def test_missing_database_is_a_sentence_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    missing = tmp_path / "nothing.duckdb"
    monkeypatch.setenv("CAPI_AUDIT_DB", str(missing))
    for page in ("weekly_emq", "data_sources"):
        at = open_page(page)
        assert not at.exception
        assert f"No database at {missing}" in texts(at.error)
    assert [b.label for b in at.button] == ["Sync now", "Ingest"]  # sync and upload still offer a way in
    assert not missing.exists()


def test_trace_page_finds_an_order_and_its_copies(demo_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CAPI_AUDIT_DB", str(demo_db))
    con = store.connect(demo_db, read_only=True)
    try:
        order_id = store.scalar(con, """SELECT o.order_id FROM orders o JOIN server_events s
                                        ON s.event_id = 'order-' || o.order_id ORDER BY o.created_at DESC LIMIT 1""")
    finally:
        con.close()
    at = open_page("trace")
    assert not at.exception and not at.error
    at.text_input(key="trace_id").set_value(order_id).run()
    assert not at.exception and not at.error
    assert [m.value for m in at.metric][:2] == [order_id, at.metric[1].value]
    assert len(at.dataframe) >= 2                     # server copies and browser copies (or lint)
    at.text_input(key="trace_id").set_value("no-such-id").run()
    assert "Nothing is known about 'no-such-id'" in texts(at.warning)


def test_md_shows_data_text_literally():
    from dashboard import present

    assert present.md("lint.hash_mismatch $5 :red[x] <b>\nnext") == \
        "lint.hash\\_mismatch \\$5 \\:red\\[x\\] \\<b\\> next"


def test_evidence_becomes_a_lead_and_a_list_of_findings():
    from dashboard import present

    assert present.evidence_parts("No deployments recorded in this window.") == \
        ("No deployments recorded in this window.", [])
    assert present.evidence_parts("AddToCart 6.4 (Meta; estimate 6.1) < 6.5 target; Lead 7.3 (Meta; estimate 8.1) "
                               "< 8 target; Purchase 9.0 ≥ 8 target.") == \
        ("", ["AddToCart 6.4 (Meta; estimate 6.1) < 6.5 target", "Lead 7.3 (Meta; estimate 8.1) < 8 target",
              "Purchase 9.0 ≥ 8 target"])
    assert present.evidence_parts("Coverage dropped: a (−0.13); b; c.") == \
        ("Coverage dropped:", ["a (−0.13)", "b", "c"])


def test_deployments_page_offers_to_widen_the_window_to_every_deployment(demo_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CAPI_AUDIT_DB", str(demo_db))
    at = open_page("deployments")
    since, until = at.date_input(key="window").value
    narrow = (until - timedelta(days=2), until)
    at.date_input(key="window").set_value(narrow).run()
    assert not at.exception
    assert any("more deployment" in i.value for i in at.info)
    widen = [b for b in at.button if b.label == "Show every deployment"][0]
    widen.click().run()
    assert not at.exception and not at.error
    wide = at.date_input(key="window").value
    assert wide[0] < narrow[0] and wide[1] == until
    assert not any("more deployment" in i.value for i in at.info)


@pytest.fixture(scope="module")
def connectors_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Meta's snapshot and /stats plus orders, no logs: what `capi-audit sync` alone leaves."""
    from tests.scenario import Scenario

    sc = Scenario(tmp_path_factory.mktemp("connectors"))
    for day in ("01", "02"):
        for i in range(10):
            sc.order(f"{day}-{i}", f"2026-10-{day}T12:00:00", total=20.0)
        sc.stats("SERVER_ONLY", f"2026-10-{day}T12:00:00", {"Purchase": 6})
    sc.quality.append({"pixel_id": "111", "fetched_at": "2026-10-02T06:00:00Z", "response": {"web": [
        {"event_name": "Purchase", "event_match_quality": {
            "composite_score": 7.9, "match_key_feedback": [{"identifier": "email", "coverage": {"percentage": 100}}],
            "diagnostics": [{"name": "Send phone", "description": "Few events carry a phone.", "solution": "Add ph."}]},
         "event_coverage": {"percentage": 34.1}}]}})
    sc.ingest()
    return sc.db


@pytest.mark.parametrize("page", ["weekly_emq", "health_check"])
def test_connectors_alone_pages_show_metas_numbers_and_say_what_needs_logs(page: str, connectors_db: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    from dashboard.present import NEEDS_LOGS_PAGE

    monkeypatch.setenv("CAPI_AUDIT_DB", str(connectors_db))
    at = open_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, texts(at.error)
    assert NEEDS_LOGS_PAGE in texts(at.info)
    if page == "weekly_emq":
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Purchase · Meta's EMQ"] == "7.9" and metrics["Estimated EMQ"] == "needs logs"
        assert metrics["Received from the server"] == "12" and metrics["Meta's event coverage"] == "34%"
        assert at.dataframe[0].value["identifier"].tolist() == ["email"]
        assert "Send phone" in plain(at.warning)[0]
        assert [(m.label, m.value) for m in at.metric][4:] == [
            ("Orders Meta did not receive, 2026-09-28 … 2026-10-02", "8"), ("Their value", "160 USD"),
            ("Duplicated Purchases, 2026-09-28 … 2026-10-02", "—"), ("Their value", "—")]
    else:
        assert [(m.label, m.value) for m in at.metric][:2] == [("Orders Meta did not receive, October", "8"),
                                                               ("Their value", "160 USD")]
        assert at.selectbox(key="health_month").value == date(2026, 10, 1)
        cards = [m for m in plain(at.markdown) if "-badge[" in m and "**" in m]
        status = {c.rsplit("`", 2)[-2]: c.split("]", 1)[0].split()[-1] for c in cards}
        assert status == {"emq": "warn", "volume": "warn", "dedup": "unknown", "coverage": "unknown",
                          "deployments": "unknown", "privacy": "unknown"}
        assert any("needs server logs: see capture / file exports" in m for m in plain(at.markdown))


def test_weekly_page_leads_with_the_ranked_fixes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from tests.scenario import Scenario, sev, ud

    sc = Scenario(tmp_path)
    base = ("em", "fbp", "client_ip_address", "client_user_agent")
    for i in (1, 2, 3, 4):
        sc.order(f"o{i}", "2026-10-01T10:00:00", total=40.0, email=f"c{i}@example.com", country="US",
                 **({"phone": "(650) 555-1212"} if i < 4 else {}))
    sc.server(*(sev("Purchase", "2026-10-01T10:00:05", f"order-o{i}", ud(*base)) for i in (1, 2, 3)),
              sev("Purchase", "2026-10-01T10:00:08", "order-o4", ud(*base, "ph")))
    sc.ingest()
    monkeypatch.setenv("CAPI_AUDIT_DB", str(sc.db))
    at = open_page("weekly_emq")
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.subheader] == ["Fixes that would raise EMQ most", "Money at stake (estimate)"]
    assert at.expander[0].label.replace("\\", "") == (
        "send ph on Purchase: EMQ 7.69 → 8.65 (+0.96); 75% of events lack it or send it malformed; "
        "75% of 4 matched orders carry it")
    assert "**Shopify**" in at.expander[0].markdown[0].value
    labels = [(m.label, m.value) for m in at.metric]
    assert labels[-4:-2] == [("Orders Meta did not receive, 2026-09-28 … 2026-10-01", "0"), ("Their value", "0 USD")]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_from_connectors_alone(page: str, connectors_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CAPI_AUDIT_DB", str(connectors_db))
    at = open_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, texts(at.error)


@pytest.fixture(scope="module")
def cpa_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo plus one ad account's insights: EUR 200 and 10 purchases on each of the demo's 25 days."""
    import shutil
    from datetime import date, timedelta

    from analysis.ingest import Options, ingest_file

    folder = tmp_path_factory.mktemp("cpa")
    db = folder / "cpa.duckdb"
    shutil.copy(demo_db, db)
    days = [str(date(2026, 10, 29) + timedelta(days=n)) for n in range(25)]
    rows = [{"account_currency": "EUR", "spend": "200", "date_start": d, "date_stop": d,
             "actions": [{"action_type": "purchase", "value": "10"}]} for d in days]
    path = folder / "insights.json"
    path.write_text(json.dumps({"ad_account_id": "act_42", "fetched_at": "2026-11-23T00:00:00Z",
                                "response": {"data": rows}}))
    assert ingest_file(db, "meta-insights", path, Options()).loaded == 25
    return db


def test_cpa_shows_on_the_weekly_and_deployments_pages_only_with_insights(demo_db: Path, cpa_db: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CAPI_AUDIT_DB", str(cpa_db))
    at = open_page("weekly_emq")
    assert not at.exception
    assert ("Cost per purchase EUR 20.00 (EUR 5,000.00 spend, 250 purchases) vs no purchases the window before · "
            "act\\_42.") in [c.value for c in at.caption]        # Markdown source: the id's _ escaped
    for page in ("weekly_emq", "deployments"):
        at = open_page(page)
        titles = [f["layout"]["title"]["text"] for f in plotly_figures(at)]
        assert "Cost per purchase per day (red: a jump next to a pairing or volume change)" in titles, page
    monkeypatch.setenv("CAPI_AUDIT_DB", str(demo_db))
    st.cache_data.clear()
    for page in ("weekly_emq", "deployments"):
        at = open_page(page)
        assert not any(f["layout"]["title"]["text"].startswith("Cost per purchase") for f in plotly_figures(at))
