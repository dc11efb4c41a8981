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
PAGES = ["weekly_emq", "dedup", "discrepancies", "trace", "data_sources"]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("dash") / "demo.duckdb"
    demo_build.build(db, days=20, orders_per_day=40, log=lambda m: None)
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


def titles(figs: list[dict]) -> list[str]:
    return [f["layout"]["title"]["text"] for f in figs]


def texts(elements) -> str:
    return " ".join(e.value for e in elements)


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
        assert titles(figs) == ["EMQ per day (solid: estimated · dashed: Meta)",
                                "Identifier coverage (well-formed as received)"]
        trend = figs[0]
        assert "Purchase (Meta)" in [t["name"] for t in trend["data"]]
        assert "checkout-v2" in [a.get("text") for a in trend["layout"]["annotations"]]
    elif page == "dedup":
        assert titles(figs) == ["Deduplication per day"]
        assert at.selectbox(key="dedup_event").value == ("1234567890", "Purchase")
        assert len(at.dataframe) == 1 and len(at.toggle) == 1
        at.toggle[0].set_value(True).run()
        assert not at.exception and len(at.dataframe) == 2
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


@pytest.mark.parametrize("page,expected", [
    ("weekly_emq", "No server events in this window"),
    ("dedup", "No browser events yet — ingest a HAR export or a pixel log"),
    ("discrepancies", "No orders and no Purchase events in this window"),
    ("data_sources", "The database is empty"),
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


def test_weekly_delta_compares_the_last_7_days_with_the_7_before():
    import pandas as pd

    from dashboard import data

    until = date(2026, 10, 14)
    rows = [{"pixel_id": "1", "event_name": "Purchase", "day": until - timedelta(days=i),
             "emq": 8.0 if i < 7 else 6.0, "events": 10} for i in range(14)]
    rows.append({"pixel_id": "1", "event_name": "Purchase", "day": until, "emq": 2.0, "events": 30})
    last, prev = data.weekly_emq(pd.DataFrame(rows), until)[("1", "Purchase")]
    assert last == pytest.approx((8.0 * 70 + 2.0 * 30) / 100) and prev == 6.0


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
