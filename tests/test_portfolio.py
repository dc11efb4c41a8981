"""The agency portfolio: one row per pixel, worst first, each row what that pixel's own report says."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from analysis.cli import main
from tests.scenario import Scenario, h, sev, ud

A, B, C = "111", "222", "333"
WINDOW = ["--since", "2026-10-01", "--until", "2026-10-04", "--tz", "UTC"]


def buy(when: str, eid: str, value: float) -> dict:
    user = ud("em", "fbp", "client_ip_address", "client_user_agent", em=h("ann@example.com"))
    return sev("Purchase", when, eid, user, custom_data={"value": value, "currency": "USD"})


def portfolio_store(tmp: Path) -> Path:
    """A: 4 orders, 3 Purchases (2 with pixel copies); B: 2 orders, 1 Purchase sent twice;
    C: 1 order, its Purchase, and Meta's EMQ 8.1."""
    sc = Scenario(tmp)
    for i, day in ((1001, "01"), (1002, "02"), (1003, "03"), (1004, "04")):
        sc.order(str(i), f"2026-10-{day}T10:00:00", 20.0, pixel_id=A)
    sc.server(buy("2026-10-01T10:05:00", "order-1001", 20.0), buy("2026-10-02T10:05:00", "order-1002", 20.0),
              buy("2026-10-03T10:05:00", "order-1003", 20.0), pixel=A)
    sc.browser("Purchase", "2026-10-01T10:05:01", "order-1001", pixel=A)
    sc.browser("Purchase", "2026-10-02T10:05:01", "order-1002", pixel=A)
    sc.order("2001", "2026-10-02T10:00:00", 30.0, pixel_id=B)
    sc.order("2002", "2026-10-03T10:00:00", 30.0, pixel_id=B)
    sc.server(buy("2026-10-02T10:05:00", "order-2001", 30.0), pixel=B)
    sc.server(buy("2026-10-02T10:06:00", "order-2001", 30.0), pixel=B)
    sc.order("3001", "2026-10-03T10:00:00", 50.0, pixel_id=C)
    sc.server(buy("2026-10-03T10:05:00", "order-3001", 50.0), pixel=C)
    sc.snapshot("2026-10-04T12:00:00Z", {"Purchase": 8.1}, pixel=C)
    sc.ingest()
    return sc.db


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)            # no settings file of the working copy
    monkeypatch.delenv("CAPI_AUDIT_CONFIG", raising=False)
    return str(portfolio_store(tmp_path))


def run(capsys: pytest.CaptureFixture, *argv: str) -> dict:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_portfolio_rows_worst_first_with_exact_values(db: str, capsys: pytest.CaptureFixture) -> None:
    data = run(capsys, "--db", db, "report", "--portfolio", *WINDOW)
    assert data["window"] == {"since": "2026-10-01", "until": "2026-10-04", "timezone": "UTC"}
    rows = {r["pixel_id"]: r for r in data["pixels"]}
    # B warns twice (gap, duplicates), A once (gap), C not at all: worst first.
    assert [r["pixel_id"] for r in data["pixels"]] == [B, A, C]
    assert [(r["checklist"]["fail"], r["checklist"]["warn"], r["checklist"]["pass"], r["checklist"]["unknown"])
            for r in data["pixels"]] == [(0, 2, 1, 3), (0, 1, 2, 3), (0, 0, 3, 3)]
    assert rows[A] | {"checklist": None} == {
        "pixel_id": A, "emq": 7.37, "emq_source": "estimate", "dedup_overlap": 1.0, "backend_orders": 4,
        "server_events": 3, "purchase_gap": 0.25, "missed_value": 20.0, "duplicate_value": 0.0,
        "money_at_stake": 20.0, "currency": "USD", "checklist": None}
    # B's Purchase sent twice counts once against its orders, and its copy is money at stake.
    assert (rows[B]["backend_orders"], rows[B]["server_events"], rows[B]["purchase_gap"]) == (2, 1, 0.5)
    assert (rows[B]["missed_value"], rows[B]["duplicate_value"], rows[B]["money_at_stake"]) == (30.0, 30.0, 60.0)
    assert rows[B]["dedup_overlap"] is None                              # no pixel events to pair with
    assert (rows[C]["emq"], rows[C]["emq_source"], rows[C]["purchase_gap"]) == (8.1, "meta", 0.0)


def test_each_row_is_what_the_pixels_own_report_says(db: str, capsys: pytest.CaptureFixture) -> None:
    data = run(capsys, "--db", db, "report", "--portfolio", *WINDOW)
    for r in data["pixels"]:
        rep = run(capsys, "--db", db, "report", "--pixel-id", r["pixel_id"], *WINDOW)
        ev = next(e for e in rep["events"] if e["event_name"] == "Purchase")
        assert r["emq"] == (ev["emq_meta"] if ev["emq_meta"] is not None else ev["emq_estimate"])
        assert r["dedup_overlap"] == ev["dedup"]["overlap"]
        days = rep["discrepancy"]["days"]
        assert (r["backend_orders"], r["server_events"]) == (sum(d["backend_orders"] for d in days),
                                                             sum(d["server_events"] for d in days))
        total = rep["money_at_stake"]["total"]
        assert (r["missed_value"], r["duplicate_value"]) == (total["missed_value"], total["duplicate_value"])
        assert r["checklist"] == {s: [c["status"] for c in rep["checklist"]].count(s)
                                  for s in ("fail", "warn", "pass", "unknown")}


def test_portfolio_markdown_and_wrong_options(db: str, capsys: pytest.CaptureFixture) -> None:
    capsys.readouterr()
    assert main(["--db", db, "report", "--portfolio", "--format", "markdown", *WINDOW]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "# Portfolio, 2026-10-01 … 2026-10-04 (UTC)"
    assert lines[4] == "| 222 | 7.37 | estimate | — | 2 | 1 | 50.0% | 60.00 USD | 0 | 2 | 1 | 3 |"
    assert lines[6] == "| 333 | 8.10 | meta | — | 1 | 1 | 0.0% | 0.00 USD | 0 | 0 | 3 | 3 |"
    assert main(["--db", db, "report", "--portfolio", "--pixel-id", A]) == 2
    assert main(["--db", db, "report", "--portfolio", "--format", "html"]) == 2
    assert "drop --pixel-id" in capsys.readouterr().err


def test_portfolio_page_lists_worst_first_and_opens_a_pixel(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    from tests.test_dashboard import open_page

    st.cache_data.clear()
    monkeypatch.setenv("CAPI_AUDIT_DB", db)
    at = open_page("portfolio")
    assert not at.exception, [e.value for e in at.exception]
    at.sidebar.date_input(key="window").set_value((date(2026, 10, 1), date(2026, 10, 4))).run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert table["pixel"].tolist() == [B, A, C]
    assert table["EMQ from"].tolist() == ["estimate", "estimate", "Meta"]
    assert table["gap"].tolist() == [0.5, 0.25, 0.0]
    assert table["money at stake"].tolist() == ["60 USD", "20 USD", "0 USD"]
    assert table["warn"].tolist() == [2, 1, 0]
    at.selectbox(key="portfolio_pixel").set_value(A).run()
    next(b for b in at.button if b.label == "Open weekly review").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["pixel"] == A
    assert at.title[0].value == "Weekly EMQ" and "· 111 ·" in at.caption[0].value
    st.cache_data.clear()


def test_worst_first_orders_fails_then_warns_then_lowest_emq() -> None:
    from analysis.portfolio import Row, worst_first

    def r(pixel: str, fail: int, warn: int, emq: float | None) -> Row:
        return Row(pixel, emq, "estimate" if emq is not None else None, None, 0, 0, None, None, None, None, None,
                   {"fail": fail, "warn": warn, "pass": 0, "unknown": 0})

    rows = [r("a", 0, 0, 5.0), r("b", 0, 2, 9.0), r("c", 1, 0, 9.5), r("d", 0, 2, 4.0), r("e", 0, 0, None),
            r("f", 0, 0, 5.0)]
    assert [x.pixel_id for x in worst_first(rows)] == ["c", "d", "b", "a", "f", "e"]
