"""capi-audit sync end to end: three fake APIs at once, a failing source costing the others nothing, no secret anywhere."""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analysis.cli import main
from analysis.connectors import state
from analysis import store
from tests.test_connectors_http import FakeServer
from tests.test_connectors_meta import APP_SECRET, PIXEL, TOKEN, Graph
from tests.test_connectors_orders import (SHOP_TOKEN, WOO_KEY, WOO_SECRET, ShopifyAdmin, WooShop, dump, rows,
                                          shop_orders, woo_orders)

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
SECRETS = {
    "META_ACCESS_TOKEN": TOKEN, "META_APP_SECRET": APP_SECRET,
    "appsecret_proof": hmac.new(APP_SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest(),
    "SHOPIFY_ACCESS_TOKEN": SHOP_TOKEN, "WOOCOMMERCE_KEY": WOO_KEY, "WOOCOMMERCE_SECRET": WOO_SECRET,
    "basic auth": base64.b64encode(f"{WOO_KEY}:{WOO_SECRET}".encode()).decode(),
}
PERSONAL = ("Mary", "mary@example.com", "555-0132", "Dupont", "Jean.Dupont@example.fr", "06 12 34 56 78")


def temp_dirs(db: Path) -> set[str]:
    """What is in the database's staging area (where a sync writes the fetched orders)."""
    return {p.name for p in db.with_name(db.name + ".staging").iterdir()}


@pytest.fixture
def shops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The three fake APIs, the environment naming them, and a settings file: as a user would set it up."""
    graph, shop, woo = Graph(), ShopifyAdmin(shop_orders()), WooShop(woo_orders())
    with FakeServer(graph) as g, FakeServer(shop) as s, FakeServer(woo) as w:
        for name in ("META_ACCESS_TOKEN", "META_APP_SECRET", "SHOPIFY_ACCESS_TOKEN", "WOOCOMMERCE_KEY",
                     "WOOCOMMERCE_SECRET"):
            monkeypatch.setenv(name, SECRETS[name])
        monkeypatch.setenv("META_GRAPH_URL", g.url)
        monkeypatch.setenv("SHOPIFY_API_URL", s.url)
        monkeypatch.setenv("WOOCOMMERCE_URL", w.url)
        toml = tmp_path / "capi-audit.toml"
        toml.write_text(f'[meta]\npixels = ["{PIXEL}"]\n[shopify]\nshop = "demo-store"\n[woocommerce]\n'
                        'url = "https://shop.example"\n')
        monkeypatch.setenv("CAPI_AUDIT_CONFIG", str(toml))
        yield {"graph": graph, "shop": shop, "woo": woo, "servers": (g, s, w), "db": tmp_path / "audit.duckdb"}


def test_sync_every_source_then_again_adds_nothing(shops: dict, capsys: pytest.CaptureFixture[str]):
    db = shops["db"]
    assert main(["--db", str(db), "sync", "--since", "2026-01-01"]) == 0
    out = capsys.readouterr().err
    for line in ("│ meta        │ ok     │       5 │      6 │             0 │        0 │",
                 "│ shopify     │ ok     │       5 │      5 │             0 │        0 │",
                 "│ woocommerce │ ok     │       3 │      3 │             0 │        0 │",
                 "The next sync reads orders updated since: shopify 2026-11-24T10:00:00Z, woocommerce "
                 "2026-11-22T09:05:00Z."):
        assert line in out, out
    assert rows(db, "SELECT source, cursor, last_status FROM sync_state ORDER BY 1") == [
        ("meta", None, "ok"), ("shopify", "2026-11-24T10:00:00Z", "ok"), ("woocommerce", "2026-11-22T09:05:00Z", "ok")]
    assert main(["--db", str(db), "sync"]) == 0            # from the cursors now
    assert rows(db, "SELECT count(*) FROM orders") == [(8,)] and rows(db, "SELECT count(*) FROM meta_stats") == [(5,)]
    assert rows(db, "SELECT path, rows_loaded, rows_duplicate FROM ingestions WHERE kind = 'orders' "
                    "ORDER BY ingestion_id") == [("sync:shopify/orders", 5, 0), ("sync:woocommerce/orders", 3, 0),
                                                 ("sync:shopify/orders", 0, 1), ("sync:woocommerce/orders", 0, 1)]
    assert temp_dirs(db) == set()                          # the plaintext orders files are gone


def test_one_failing_source_costs_the_others_nothing(shops: dict, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]):
    db = shops["db"]
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", "shpat_revoked_000000000")
    assert main(["--db", str(db), "sync", "--since", "2026-01-01"]) == 1
    err = capsys.readouterr().err
    assert "shopify Shopify refused the access token (HTTP 401" in " ".join(err.split())
    assert rows(db, "SELECT count(*) FROM orders") == [(3,)]                    # WooCommerce's
    assert rows(db, "SELECT count(*) FROM meta_quality_snapshots") == [(1,)]    # Meta's
    assert [(r["source"], r["status"]) for r in status(db)] == [("meta", "ok"), ("shopify", "failed"),
                                                                ("woocommerce", "ok")]


def test_no_secret_in_output_logs_or_database(shops: dict, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture):
    """Every path that could print or store a URL or a header: retries, throttles, errors, query auth, success."""
    caplog.set_level(logging.DEBUG)
    db = shops["db"]
    shops["graph"].before = [(503, {}, ""), (400, {}, {"error": {"code": 4, "message": "limit"}})]
    shops["shop"].before = [(429, {"Retry-After": "0"}, {"errors": "Exceeded"})]
    shops["woo"].before = [(500, {}, "")]
    (Path(str(shops["db"])).parent / "capi-audit.toml").write_text(
        f'[meta]\npixels = ["{PIXEL}", "999"]\n[shopify]\nshop = "demo-store"\n[woocommerce]\nauth = "query"\n'
        '[sync]\nmax_retries = 2\n')
    assert main(["--db", str(db), "sync", "--since", "2026-01-01"]) == 1         # pixel 999 is unknown: partial
    monkeypatch.setenv("META_ACCESS_TOKEN", TOKEN + "-expired")
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", SHOP_TOKEN + "-revoked")
    monkeypatch.setenv("WOOCOMMERCE_SECRET", WOO_SECRET + "-wrong")
    assert main(["--db", str(db), "sync"]) == 1
    captured = capsys.readouterr()
    texts = {"stdout": captured.out, "stderr": captured.err,
             "logs": "\n".join(r.getMessage() for r in caplog.records),
             "database": dump(db), "database file": (Path(db).read_bytes() + (
                 Path(str(db) + ".wal").read_bytes() if Path(str(db) + ".wal").exists() else b"")).decode("latin-1")}
    assert "HTTP Request: GET" in texts["logs"] and "Meta refused the access token" in texts["stderr"]
    for where, text in texts.items():
        for name, secret in SECRETS.items():
            assert secret not in text, f"{name} in {where}"
        for value in PERSONAL:
            assert value not in text, f"{value!r} in {where}"
    # The secrets were really in use: sent in headers and (WooCommerce, auth = "query") the query string.
    g, s, w = shops["servers"]
    assert any(c.headers.get("authorization") == f"Bearer {TOKEN}" for c in g.calls)
    assert any(c.query.get("consumer_secret") == WOO_SECRET for c in w.calls)


def status(db: Path) -> list[dict]:
    with store.reader(db) as con:
        return state.sync_status(con)


def test_dashboard_shows_the_last_sync_and_syncs_now(shops: dict, monkeypatch: pytest.MonkeyPatch):
    db = shops["db"]
    monkeypatch.setenv("CAPI_AUDIT_DB", str(db))
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", "shpat_revoked_000000000")
    assert main(["--db", str(db), "sync", "--source", "shopify"]) == 1
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120).run()
    at = at.switch_page("app_pages/data_sources.py").run()
    assert not at.exception
    [table] = [d.value for d in at.dataframe if "last_run_at" in d.value.columns]
    assert list(table["source"]) == ["shopify"] and list(table["status"]) == ["failed"]
    assert table["message"][0].startswith("Shopify refused the access token (HTTP 401")
    # "Sync now" runs the CLI in a subprocess, with the dashboard's environment (the fixed token now).
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", SHOP_TOKEN)
    [button] = [b for b in at.button if b.label == "Sync now"]
    at = button.click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["sync: done"], [c.value for c in at.code]
    [table] = [d.value for d in at.dataframe if "last_run_at" in d.value.columns]
    assert list(table["source"]) == ["meta", "shopify", "woocommerce"] and set(table["status"]) == {"ok"}
    assert rows(db, "SELECT count(*) FROM orders") == [(8,)]
    st.cache_data.clear()
