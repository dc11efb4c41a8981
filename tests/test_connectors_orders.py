"""Shopify (Admin GraphQL) and WooCommerce (REST) orders against fake shops on 127.0.0.1: pages, cursors, throttles, errors."""
from __future__ import annotations

import base64
import hashlib
import re
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analysis import config
from analysis.connectors import sync
from tests.test_connectors_http import Call, FakeServer, Reply, Waits

NOW = datetime(2026, 11, 26, 6, 0, 0, tzinfo=timezone.utc)
SHOP_TOKEN = "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"
WOO_KEY = "ck_0123456789abcdef0123456789abcdef01234567"
WOO_SECRET = "cs_89abcdef0123456789abcdef0123456789abcdef"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def dump(db: Path) -> str:
    """Every value of every table as text (DuckDB may compress strings on disk, so the raw bytes are not enough)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return "\n".join(repr(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)
    finally:
        con.close()


# ---- Shopify ------------------------------------------------------------------------------------

def node(n: int, updated: str, status: str | None = "PAID", **kw: Any) -> dict[str, Any]:
    base = {"legacyResourceId": str(5550000 + n), "name": f"#{n}", "createdAt": "2026-11-20T09:00:00Z",
            "updatedAt": updated, "cancelledAt": None, "test": False, "sourceName": "web",
            "displayFinancialStatus": status, "email": None, "phone": None,
            "totalPriceSet": {"presentmentMoney": {"amount": f"{n % 100}.50", "currencyCode": "USD"}},
            "customer": None, "billingAddress": None}
    return base | kw


def shop_orders() -> list[dict[str, Any]]:
    return [
        node(1001, "2026-11-20T10:00:00Z", email=" Mary@Example.com", phone="+1 415-555-0132",
             customer={"legacyResourceId": "501"},
             billingAddress={"firstName": "Mary", "lastName": "Smith", "city": "San Francisco", "provinceCode": "CA",
                             "zip": "94107", "countryCodeV2": "US", "phone": None}),
        node(1002, "2026-11-21T10:00:00Z", "REFUNDED"),
        node(1003, "2026-11-22T10:00:00Z", "PENDING", cancelledAt="2026-11-22T10:00:00Z", sourceName="pos"),
        node(1004, "2026-11-23T10:00:00Z", "EXPIRED", sourceName="shopify_draft_order"),
        node(1005, "2026-11-24T10:00:00Z", "AUTHORIZED", test=True),
    ]


def cost(available: float, requested: int = 252, rate: float = 100.0) -> dict[str, Any]:
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": 12,
                     "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": available,
                                        "restoreRate": rate}}}


class ShopifyAdmin:
    """A shop's Admin GraphQL endpoint answering the orders query; it pages by 2 whatever `first` asks."""

    def __init__(self, orders: list[dict[str, Any]], before: list[Reply] | None = None, available: float = 1990.0):
        self.orders, self.before, self.available = orders, list(before or []), available

    def __call__(self, call: Call) -> Reply:
        if self.before:
            return self.before.pop(0)
        if call.method != "POST" or call.path != "/admin/api/2026-10/graphql.json":
            return 404, {}, {"errors": "Not Found"}
        if call.headers.get("x-shopify-access-token") != SHOP_TOKEN:
            return 401, {}, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
        v = call.json()["variables"]
        since = re.fullmatch(r"updated_at:>='([^']+)'", v["query"] or "updated_at:>='2000-01-01T00:00:00Z'").group(1)
        hits = sorted((o for o in self.orders if o["updatedAt"] >= since), key=lambda o: o["updatedAt"])
        start = int((v["after"] or "cursor:0").split(":")[1])
        end = start + min(v["first"], 2)
        return 200, {}, {"data": {"orders": {"pageInfo": {"hasNextPage": end < len(hits), "endCursor": f"cursor:{end}"},
                                             "nodes": hits[start:end]}},
                         "extensions": cost(self.available)}


def shopify_run(tmp_path: Path, app: ShopifyAdmin, waits: Waits | None = None, *, token: str = SHOP_TOKEN,
                since: date | None = None) -> tuple[sync.Outcome, FakeServer]:
    toml = tmp_path / "capi-audit.toml"
    toml.write_text('[shopify]\nshop = "demo-store"\n')
    with FakeServer(app) as srv:
        env = {"SHOPIFY_ACCESS_TOKEN": token, "SHOPIFY_API_URL": srv.url}
        [out] = sync.run(tmp_path / "db.duckdb", config.load(toml, env={}), "shopify", since, env=env,
                         sleep=waits if waits is not None else Waits(), now=NOW)
    return out, srv


def test_shopify_pages_map_to_canonical_orders_hashed(tmp_path: Path):
    waits = Waits()
    out, srv = shopify_run(tmp_path, ShopifyAdmin(shop_orders()), waits)
    assert (out.status, out.fetched, out.loaded, out.rejected, out.cursor) == ("ok", 5, 5, 0, "2026-11-24T10:00:00Z")
    db = tmp_path / "db.duckdb"
    assert rows(db, "SELECT order_id, alt_id, status, channel, test, total, currency, customer_id, country_code "
                    "FROM orders ORDER BY 1") == [
        ("1001", "5551001", "paid", "web", False, 1.5, "USD", "501", "us"),
        ("1002", "5551002", "refunded", "web", False, 2.5, "USD", None, None),
        ("1003", "5551003", "cancelled", "pos", False, 3.5, "USD", None, None),
        ("1004", "5551004", "voided", "draft", False, 4.5, "USD", None, None),
        ("1005", "5551005", "authorized", "web", True, 5.5, "USD", None, None)]
    assert rows(db, "SELECT key, hash FROM order_hashes WHERE variant = 'correct' AND key IN ('em', 'ph', 'fn') "
                    "ORDER BY key") == [("em", sha("mary@example.com")), ("fn", sha("mary")), ("ph", sha("14155550132"))]
    text = dump(db)
    assert "Mary" not in text and "mary@example.com" not in text and "555-0132" not in text and "Smith" not in text
    # First sync: sync.initial_days (90) back; three pages of 2; the leaky bucket was full, so no wait.
    bodies = [c.json()["variables"] for c in srv.calls]
    assert [b["after"] for b in bodies] == [None, "cursor:2", "cursor:4"] and bodies[0]["first"] == 100
    assert bodies[0]["query"] == "updated_at:>='2026-08-28T06:00:00Z'"
    assert waits == []
    assert all(c.headers["x-shopify-access-token"] == SHOP_TOKEN and SHOP_TOKEN not in c.target for c in srv.calls)
    assert rows(db, "SELECT source, cursor, last_status FROM sync_state") == [("shopify", "2026-11-24T10:00:00Z", "ok")]


def test_shopify_incremental_resync_adds_nothing_then_takes_an_update(tmp_path: Path):
    orders = shop_orders()
    shopify_run(tmp_path, ShopifyAdmin(orders))
    again, srv = shopify_run(tmp_path, ShopifyAdmin(orders))
    # From the cursor less a second: the newest order is read again and changes nothing.
    assert srv.calls[0].json()["variables"]["query"] == "updated_at:>='2026-11-24T09:59:59Z'"
    assert (again.fetched, again.loaded, again.duplicates, again.cursor) == (1, 0, 1, "2026-11-24T10:00:00Z")
    orders[1] |= {"displayFinancialStatus": "PARTIALLY_REFUNDED", "updatedAt": "2026-11-25T08:00:00Z"}
    later, _ = shopify_run(tmp_path, ShopifyAdmin(orders))
    assert (later.fetched, later.loaded, later.cursor) == (2, 1, "2026-11-25T08:00:00Z")
    db = tmp_path / "db.duckdb"
    assert rows(db, "SELECT count(*), count(*) FILTER (status = 'partially_refunded') FROM orders") == [(5, 1)]


def test_shopify_since_overrides_the_cursor_but_never_moves_it_back(tmp_path: Path):
    shopify_run(tmp_path, ShopifyAdmin(shop_orders()))
    out, srv = shopify_run(tmp_path, ShopifyAdmin(shop_orders()), since=date(2026, 11, 1))
    assert srv.calls[0].json()["variables"]["query"] == "updated_at:>='2026-11-01T00:00:00Z'"
    assert (out.loaded, out.duplicates, out.cursor) == (0, 5, "2026-11-24T10:00:00Z")


def test_shopify_cost_throttle_and_429_wait_as_told(tmp_path: Path):
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED",
                                                                   "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                 "extensions": cost(52.0, requested=252, rate=50.0)}
    waits = Waits()
    app = ShopifyAdmin(shop_orders(), before=[(200, {}, throttled), (429, {"Retry-After": "2.0"}, {"errors": "Exceeded"})],
                       available=100.0)
    out, _ = shopify_run(tmp_path, app, waits)
    assert out.status == "ok" and out.loaded == 5
    # (252 − 52) / 50 = 4 s; Retry-After 2 s; then before each next page (252 − 100) / 100 = 1.52 s.
    assert waits == [4.0, 2.0, 1.52, 1.52]


def test_shopify_5xx_then_success(tmp_path: Path):
    waits = Waits()
    out, _ = shopify_run(tmp_path, ShopifyAdmin(shop_orders(), before=[(502, {}, "<html>Bad Gateway</html>")]), waits)
    assert out.status == "ok" and len(waits) == 1 and 0.375 <= waits[0] <= 0.5


def test_shopify_bad_token_and_missing_scope_are_sentences(tmp_path: Path):
    out, _ = shopify_run(tmp_path, ShopifyAdmin(shop_orders()), token="shpat_expired_00000000")
    assert out.status == "failed" and out.messages == [
        "Shopify refused the access token (HTTP 401, “[API] Invalid API key or access token (unrecognized login or "
        "wrong password)”). Give the custom app's Admin API token the read_orders scope (read_all_orders for orders "
        "older than 60 days, and protected customer data access for email, phone and address), then set "
        "SHOPIFY_ACCESS_TOKEN."]
    denied = {"errors": [{"message": "Access denied for orders field. Required access: `read_orders` access scope.",
                          "extensions": {"code": "ACCESS_DENIED"}}]}
    out, _ = shopify_run(tmp_path, ShopifyAdmin(shop_orders(), before=[(200, {}, denied)]))
    assert out.messages[0].startswith("Shopify denied access to orders, “Access denied for orders field.")
    assert rows(tmp_path / "db.duckdb", "SELECT count(*) FROM orders") == [(0,)]
    assert rows(tmp_path / "db.duckdb", "SELECT cursor, last_status LIKE 'failed: Shopify denied%' FROM sync_state") \
        == [(None, True)]


def test_shopify_malformed_json(tmp_path: Path):
    out, _ = shopify_run(tmp_path, ShopifyAdmin(shop_orders(), before=[(200, {}, '{"data": {"orders": ')]))
    assert out.status == "failed" and "with something that is not JSON (HTTP 200" in out.messages[0]


# ---- WooCommerce ----------------------------------------------------------------------------------

def woo_orders() -> list[dict[str, Any]]:
    def order(i: int, status: str, modified: str, **kw: Any) -> dict[str, Any]:
        return {"id": i, "number": str(i), "status": status, "currency": "EUR", "total": "59.00",
                "date_created_gmt": "2026-11-20T09:00:00", "date_modified_gmt": modified, "customer_id": 0,
                "created_via": "checkout", "billing": {"first_name": "", "last_name": "", "city": "", "state": "",
                                                        "postcode": "", "country": "", "email": "", "phone": ""}} | kw
    return [
        order(501, "completed", "2026-11-20T09:05:00", customer_id=12,
              billing={"first_name": "Jean", "last_name": "Dupont", "city": "Paris", "state": "", "postcode": "75001",
                       "country": "FR", "email": "Jean.Dupont@example.fr", "phone": "06 12 34 56 78"}),
        order(502, "processing", "2026-11-21T09:05:00", number="W-502", created_via="admin"),
        order(503, "failed", "2026-11-22T09:05:00"),
    ]


class WooShop:
    """A WordPress site's wc/v3/orders, paging by 2 whatever per_page asks, with X-WP-Total(Pages)."""

    def __init__(self, orders: list[dict[str, Any]], before: list[Reply] | None = None) -> None:
        self.orders, self.before = orders, list(before or [])

    def __call__(self, call: Call) -> Reply:
        if self.before:
            return self.before.pop(0)
        if call.path != "/wp-json/wc/v3/orders":
            return 404, {}, {"code": "rest_no_route", "message": "No route was found matching the URL and request method.",
                             "data": {"status": 404}}
        q = call.query
        basic = "Basic " + base64.b64encode(f"{WOO_KEY}:{WOO_SECRET}".encode()).decode()
        if call.headers.get("authorization") != basic and (q.get("consumer_key"), q.get("consumer_secret")) != (WOO_KEY, WOO_SECRET):
            return 401, {}, {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
                             "data": {"status": 401}}
        hits = sorted((o for o in self.orders if o["date_modified_gmt"] > q.get("modified_after", "")), key=lambda o: o["id"])
        page, size = int(q["page"]), min(int(q["per_page"]), 2)
        pages = max(1, -(-len(hits) // size))
        return 200, {"X-WP-Total": str(len(hits)), "X-WP-TotalPages": str(pages)}, hits[(page - 1) * size:page * size]


def woo_run(tmp_path: Path, app: WooShop, waits: Waits | None = None, *, auth: str = "basic",
            secret: str = WOO_SECRET) -> tuple[sync.Outcome, FakeServer]:
    toml = tmp_path / "capi-audit.toml"
    toml.write_text(f'[woocommerce]\nauth = "{auth}"\n')
    with FakeServer(app) as srv:
        env = {"WOOCOMMERCE_URL": srv.url, "WOOCOMMERCE_KEY": WOO_KEY, "WOOCOMMERCE_SECRET": secret}
        [out] = sync.run(tmp_path / "db.duckdb", config.load(toml, env={}), "woocommerce", env=env,
                         sleep=waits if waits is not None else Waits(), now=NOW)
    return out, srv


def test_woocommerce_pages_map_to_canonical_orders_hashed(tmp_path: Path):
    out, srv = woo_run(tmp_path, WooShop(woo_orders()))
    assert (out.status, out.fetched, out.loaded, out.cursor) == ("ok", 3, 3, "2026-11-22T09:05:00Z")
    db = tmp_path / "db.duckdb"
    assert rows(db, "SELECT order_id, alt_id, status, channel, customer_id, country_code, created_at, updated_at "
                    "FROM orders ORDER BY 1") == [
        ("501", None, "paid", "web", "12", "fr", datetime(2026, 11, 20, 9), datetime(2026, 11, 20, 9, 5)),
        ("502", "W-502", "paid", "admin", None, None, datetime(2026, 11, 20, 9), datetime(2026, 11, 21, 9, 5)),
        ("503", None, "voided", "web", None, None, datetime(2026, 11, 20, 9), datetime(2026, 11, 22, 9, 5))]
    assert rows(db, "SELECT hash FROM order_hashes WHERE key = 'em' AND variant = 'correct'") == \
        [(sha("jean.dupont@example.fr"),)]
    assert "Dupont" not in dump(db) and "06 12 34 56 78" not in dump(db)
    assert [(c.query["page"], c.query.get("modified_after")) for c in srv.calls] == \
        [("1", "2026-08-28T06:00:00"), ("2", "2026-08-28T06:00:00")]
    assert srv.calls[0].query["orderby"] == "id" and srv.calls[0].query["dates_are_gmt"] == "true"
    assert all("consumer_secret" not in c.target and WOO_SECRET not in c.target for c in srv.calls)


def test_woocommerce_resync_adds_nothing(tmp_path: Path):
    woo_run(tmp_path, WooShop(woo_orders()))
    again, srv = woo_run(tmp_path, WooShop(woo_orders()))
    assert srv.calls[0].query["modified_after"] == "2026-11-22T09:04:59"     # the cursor less a second
    assert (again.fetched, again.loaded, again.duplicates, again.cursor) == (1, 0, 1, "2026-11-22T09:05:00Z")
    assert rows(tmp_path / "db.duckdb", "SELECT count(*) FROM orders") == [(3,)]


def test_woocommerce_query_auth_keeps_the_secret_out_of_every_text(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    caplog.set_level("DEBUG")
    out, srv = woo_run(tmp_path, WooShop(woo_orders(), before=[(503, {}, "")]), auth="query")
    assert out.status == "ok" and srv.calls[0].query["consumer_secret"] == WOO_SECRET
    assert "authorization" not in srv.calls[0].headers
    assert caplog.records and all(WOO_SECRET not in r.getMessage() for r in caplog.records)
    bad, _ = woo_run(tmp_path, WooShop(woo_orders()), auth="query", secret="cs_wrong_secret_0000")
    assert bad.messages == [
        "WooCommerce refused the API key (HTTP 401, woocommerce_rest_cannot_view, “Sorry, you cannot list resources.”). "
        "Create a key with Read permission (WooCommerce → Settings → Advanced → REST API) and set WOOCOMMERCE_KEY and "
        "WOOCOMMERCE_SECRET; if they are right, the web server may drop the Authorization header: set auth = "
        "\"query\" under [woocommerce] in capi-audit.toml."]
    assert "cs_wrong_secret_0000" not in dump(tmp_path / "db.duckdb")


def test_woocommerce_wrong_address(tmp_path: Path):
    app = WooShop(woo_orders(), before=[(404, {}, {"code": "rest_no_route", "message": "No route was found matching "
                                                   "the URL and request method.", "data": {"status": 404}})])
    out, _ = woo_run(tmp_path, app)
    assert out.messages == ["No WooCommerce REST API at /wp-json/wc/v3/orders (HTTP 404, “No route was found matching "
                            "the URL and request method.”): check [woocommerce] url (the shop's address) and that "
                            "WordPress permalinks are not “Plain”."]


def test_woocommerce_without_total_pages_stops_at_a_short_page(tmp_path: Path):
    class NoHeader(WooShop):
        def __call__(self, call: Call) -> Reply:
            status, _headers, body = super().__call__(call)
            return status, {}, body
    out, srv = woo_run(tmp_path, NoHeader(woo_orders()))
    # per_page is 100 and pages hold 2: the first page is short, so it is the last.
    assert out.fetched == 2 and len(srv.calls) == 1
    assert out.cursor == "2026-11-21T09:05:00Z"
