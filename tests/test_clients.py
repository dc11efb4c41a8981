"""Several clients in one store: orders belong to a pixel, and every pixel's numbers are the same in any scope."""
from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import duckdb
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import config as config_mod
from analysis import store
from analysis.ingest import Options, ingest_file
from analysis.report import report_schema
from tests.scenario import Scenario, event, h, sev, ud

A, B, C = "111", "222", "333"
PIXELS = {"c-shop.example": [C]}


def buy(when: str, eid: str, value: float, email: str | None = None) -> dict:
    """A Purchase with browser ids only, or also the hash of the given customer email."""
    user = ud("fbp", "client_ip_address", "client_user_agent", **({"em": h(email)} if email else {}))
    return sev("Purchase", when, eid, user, custom_data={"value": value, "currency": "USD"})


def _client_store(sc: Scenario) -> None:
    """A from Oct 1; B onboarded on Oct 5 with the same order numbers; C's orders carry only its shop."""
    for i, day in ((1001, "01"), (1002, "02"), (1003, "03"), (1004, "06")):
        sc.order(str(i), f"2026-10-{day}T10:00:00", 20.0, pixel_id=A, email="ann@a.example")
    sc.order("1001", "2026-10-05T10:00:00", 30.0, pixel_id=B, email="bob@b.example")
    sc.order("1002", "2026-10-06T10:00:00", 30.0, pixel_id=B, status="cancelled", email="bob@b.example")
    sc.order("1001", "2026-10-06T10:00:00", 50.0, shop="c-shop.example")
    sc.order("9001", "2026-10-06T12:00:00", 40.0)                     # no pixel, no shop: every pixel's
    # A: two of its orders and the order of every pixel; a Purchase without an order inside its range.
    sc.server(buy("2026-10-01T10:05:00", "order-1001", 20.0, "ann@a.example"),
              buy("2026-10-02T10:05:00", "order-1002", 20.0), buy("2026-10-02T11:00:00", "order-5555", 5.0),
              buy("2026-10-06T12:05:00", "order-9001", 40.0), pixel=A)
    # B: Purchases before its orders start (not "without order" yet), its own #1001 (hashed with B's
    # customer, not A's), a Purchase for its cancelled #1002, and #1003, which only A has.
    sc.server(buy("2026-10-02T09:00:00", "b-early-1", 9.0), buy("2026-10-03T09:00:00", "b-early-2", 9.0),
              buy("2026-10-05T10:05:00", "order-1001", 30.0, "bob@b.example"),
              buy("2026-10-06T10:05:00", "order-1002", 30.0), buy("2026-10-06T11:00:00", "order-1003", 20.0),
              pixel=B)
    # C: its shop's #1001 with a wrong value.
    sc.server(buy("2026-10-06T10:05:00", "order-1001", 99.0), pixel=C)


def _lint(rep: dict, rule: str, pixel: str) -> int:
    return sum(r["count"] for r in rep["lint"] if r["rule"] == rule and r["pixel_id"] == pixel)


def _recon(rep: dict, pixel: str | None = None) -> list[tuple]:
    return sorted((r["issue"], r["order_id"]) for r in rep["reconciliation"]["rows"]
                  if pixel is None or r["pixel_id"] == pixel)


@pytest.fixture
def clients(tmp_path: Path) -> Scenario:
    sc = Scenario(tmp_path)
    _client_store(sc)
    return sc


def test_three_clients_exact_values(clients: Scenario) -> None:
    rep = clients.report("2026-10-01", "2026-10-07", pixels=PIXELS)
    jsonschema.validate(rep, report_schema())
    # purchase_without_order: A's order-5555 only; B's two early Purchases lie before B's first order.
    assert (_lint(rep, "purchase_without_order", A), _lint(rep, "purchase_without_order", B)) == (1, 1)
    assert [r["examples"] for r in rep["lint"] if r["rule"] == "purchase_without_order" and r["pixel_id"] == B] == [
        ["event_id=order-1003"]]                                   # A's #1003 is no order of B's
    assert _lint(rep, "purchase_for_unpaid_order", B) == 1 and _lint(rep, "purchase_for_unpaid_order", A) == 0
    assert _lint(rep, "value_mismatch", C) == 1 and _lint(rep, "value_mismatch", A) == 0
    assert event(rep, "Purchase", A)["hash_match"] == {"em": 1.0}
    assert event(rep, "Purchase", C)["hash_match"] == {}
    assert event(rep, "Purchase", B)["hash_match"] == {"em": 1.0}   # compared with B's customer, not A's
    assert _lint(rep, "hash_mismatch", B) == 0
    assert _recon(rep, A) == [("no_server_purchase", "1003"), ("no_server_purchase", "1004"),
                              ("purchase_without_order", "5555")]
    assert _recon(rep, B) == [("no_server_purchase", "9001"), ("purchase_for_unpaid_order", "1002"),
                              ("purchase_without_order", "1003"), ("purchase_without_order", "b-early-1"),
                              ("purchase_without_order", "b-early-2")]
    assert _recon(rep, C) == [("no_server_purchase", "9001"), ("value_mismatch", "1001")]
    # The whole store's days count every order once (9001 once, though it is every pixel's) ...
    days = {d["date"]: d for d in rep["discrepancy"]["days"]}
    assert [(d, days[d]["backend_orders"], days[d]["server_events"]) for d in sorted(days) if
            days[d]["backend_orders"] or days[d]["server_events"]] == [
        ("2026-10-01", 1, 1), ("2026-10-02", 1, 3), ("2026-10-03", 1, 1), ("2026-10-05", 1, 1),
        ("2026-10-06", 3, 3)]                                      # B's Purchase of its cancelled #1002: not a sale
    # ... and per pixel, each pixel's own orders and Purchases.
    per = {p["pixel_id"]: {d["date"]: (d["backend_orders"], d["server_events"]) for d in p["days"]
                           if d["backend_orders"] or d["server_events"]} for p in rep["discrepancy"]["by_pixel"]}
    assert per[A] == {"2026-10-01": (1, 1), "2026-10-02": (1, 2), "2026-10-03": (1, 0), "2026-10-06": (2, 1)}
    assert per[B] == {"2026-10-02": (0, 1), "2026-10-03": (0, 1), "2026-10-05": (1, 1), "2026-10-06": (1, 1)}
    assert per[C] == {"2026-10-06": (2, 1)}


def test_each_pixel_alone_reports_what_the_whole_store_says_of_it(clients: Scenario) -> None:
    whole = clients.report("2026-10-01", "2026-10-07", pixels=PIXELS)
    for pixel in (A, B, C):
        one = clients.report("2026-10-01", "2026-10-07", pixel_id=pixel, pixels=PIXELS)
        assert one["events"] == [e for e in whole["events"] if e["pixel_id"] == pixel]
        assert one["lint"] == [r for r in whole["lint"] if r["pixel_id"] == pixel]
        assert _recon(one) == _recon(whole, pixel)
        assert [p["days"] for p in whole["discrepancy"]["by_pixel"] if p["pixel_id"] == pixel] == [
            one["discrepancy"]["days"]]


def test_without_the_pixels_setting_a_shops_orders_are_every_pixels(clients: Scenario) -> None:
    rep = clients.report("2026-10-01", "2026-10-07")
    # C-shop's #1001 is unmapped: for A it is shadowed by A's own #1001, for B by B's; for C it is C's.
    assert _recon(rep, C) == [("no_server_purchase", "9001"), ("value_mismatch", "1001")]
    assert ("no_server_purchase", "1001") not in _recon(rep, A) + _recon(rep, B)


def test_a_pixels_own_order_wins_over_one_of_every_pixel(tmp_path: Path) -> None:
    sc = Scenario(tmp_path)
    sc.order("1001", "2026-10-01T10:00:00", 10.0)                       # loaded first without a pixel ...
    sc.order("1002", "2026-10-01T10:00:00", 10.0)
    sc.server(buy("2026-10-01T10:05:00", "order-1001", 12.0), pixel=A)
    sc.server(buy("2026-10-01T10:06:00", "order-1001", 10.0), pixel=B)
    rep = sc.report("2026-10-01", "2026-10-01")
    assert _lint(rep, "value_mismatch", A) == 1
    path = tmp_path / "again.csv"                                        # ... then again with A's pixel
    path.write_text("order_id,created_at,total,currency,pixel_id\n1001,2026-10-01T10:00:00Z,12.0,USD,111\n")
    assert ingest_file(sc.db, "orders", path, Options()).loaded == 1
    rep = sc.report("2026-10-01", "2026-10-01")
    assert _lint(rep, "value_mismatch", A) == 0 and _lint(rep, "value_mismatch", B) == 0   # A: its own 12.0
    day = rep["discrepancy"]["days"][0]
    assert (day["backend_orders"], day["server_events"], day["backend_revenue"]) == (3, 2, 32.0)
    only_a = sc.report("2026-10-01", "2026-10-01", pixel_id=A)["discrepancy"]["days"][0]
    assert (only_a["backend_orders"], only_a["backend_revenue"]) == (2, 22.0)   # the shadowed copy is not A's


def test_two_clients_same_order_number_are_two_orders(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    a = tmp_path / "a.csv"
    a.write_text("order_id,created_at,total,currency,email\n1001,2026-10-01T10:00:00Z,10,USD,ann@a.example\n")
    b = tmp_path / "b.csv"
    b.write_text("order_id,created_at,total,currency,shop,email\n1001,2026-10-02T10:00:00Z,20,USD,b-shop,bob@b.example\n")
    assert ingest_file(db, "orders", a, Options(pixel_id=A)).loaded == 1     # --pixel-id fills the pixel
    assert ingest_file(db, "orders", b, Options()).loaded == 1
    again = ingest_file(db, "orders", a, Options(pixel_id=A))
    assert (again.loaded, again.duplicates) == (0, 1)
    with store.reader(db) as con:
        assert con.execute("SELECT owner, order_id, pixel_id, shop, total FROM orders ORDER BY owner").fetchall() == [
            (A, "1001", A, None, 10.0), ("b-shop", "1001", None, "b-shop", 20.0)]
        assert con.execute("""SELECT owner, hash FROM order_hashes WHERE key = 'em' AND variant = 'correct'
                              ORDER BY owner""").fetchall() == [(A, h("ann@a.example")), ("b-shop", h("bob@b.example"))]
    # One file may hold several clients: a pixel_id column.
    both = tmp_path / "both.csv"
    both.write_text("order_id,created_at,total,currency,pixel_id\n7,2026-10-01T10:00:00Z,1,USD,111\n"
                    "7,2026-10-01T10:00:00Z,2,USD,222\n")
    assert ingest_file(db, "orders", both, Options()).loaded == 2


V1_ORDERS = """CREATE TABLE orders (order_id VARCHAR PRIMARY KEY, alt_id VARCHAR, pixel_id VARCHAR,
    created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP, total DOUBLE NOT NULL, currency VARCHAR, status VARCHAR NOT NULL,
    channel VARCHAR NOT NULL, test BOOLEAN NOT NULL, customer_id VARCHAR, country_code VARCHAR, pii_digest VARCHAR,
    ingestion_id BIGINT NOT NULL)"""


def _v1_store(db: Path) -> None:
    """A store as capi-audit with schema 1 wrote it: schema.sql and version 1, two orders and their hashes."""
    con = duckdb.connect(str(db))
    for statement in store._statements(store.schema_sql()):
        con.execute(statement)
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    con.execute("INSERT INTO schema_version VALUES (1)")
    con.execute("""INSERT INTO orders VALUES
        ('1001', NULL, NULL, '2026-10-01 10:00:00', NULL, 10, 'USD', 'paid', 'web', false, NULL, NULL, 'd1', 1),
        ('1002', NULL, '111', '2026-10-01 11:00:00', NULL, 20, 'USD', 'paid', 'web', false, NULL, NULL, 'd2', 1)""")
    con.execute(f"""INSERT INTO order_hashes VALUES ('1001', 'em', 'correct', '{h("ann@a.example")}'),
                                                   ('1002', 'em', 'correct', '{h("bob@b.example")}')""")
    con.close()


def test_migration_2_keeps_an_old_store_working(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    _v1_store(db)
    with store.reader(db) as con:             # a reader upgrades an old store once, then reads it
        assert store.scalar(con, "SELECT version FROM schema_version") == store.SCHEMA_VERSION
        assert con.execute("SELECT owner, order_id, pixel_id, shop, total, pii_digest FROM orders ORDER BY order_id"
                           ).fetchall() == [("", "1001", None, None, 10.0, "d1"), (A, "1002", A, None, 20.0, "d2")]
        assert con.execute("SELECT owner, order_id, key FROM order_hashes ORDER BY order_id").fetchall() == [
            ("", "1001", "em"), (A, "1002", "em")]
    # The upgraded store takes new orders by (owner, order_id): B's #1001 is a new order, not a change.
    path = tmp_path / "b.csv"
    path.write_text("order_id,created_at,total,currency,pixel_id\n1001,2026-10-02T10:00:00Z,30,USD,222\n"
                    "1002,2026-10-01T11:00:00Z,20,USD,111\n")
    assert ingest_file(db, "orders", path, Options()).error is None
    with store.reader(db) as con:            # A's #1002 is updated in place, B's #1001 is added
        assert con.execute("SELECT owner, order_id, total FROM orders ORDER BY order_id, owner").fetchall() == [
            ("", "1001", 10.0), ("222", "1001", 30.0), (A, "1002", 20.0)]
    # An order without a pixel keeps meaning every pixel: both clients' Purchases find their order.
    sc = Scenario(tmp_path)
    sc.db = db
    sc.server(sev("Purchase", "2026-10-01T10:05:00", "order-1002"), pixel=A)
    sc.server(sev("Purchase", "2026-10-01T10:06:00", "order-1001"), pixel="444")
    rep = sc.report("2026-10-01", "2026-10-02")
    assert [r for r in rep["lint"] if r["rule"] == "purchase_without_order"] == []
    assert {p["pixel_id"]: p["days"][0]["server_events"] for p in rep["discrepancy"]["by_pixel"]} == {A: 1, "222": 0, "444": 1}


def test_a_new_store_is_created_at_the_latest_version_with_the_client_key(tmp_path: Path) -> None:
    with store.writer(tmp_path / "new.duckdb") as con:
        assert store.scalar(con, "SELECT version FROM schema_version") == store.SCHEMA_VERSION >= 3
        pk = con.execute("""SELECT constraint_column_names FROM duckdb_constraints()
                            WHERE table_name = 'orders' AND constraint_type = 'PRIMARY KEY'""").fetchall()
        assert pk == [(["owner", "order_id"],)]


# ------------------------------------------------------------------ scope invariance, as a property

DAY0 = date(2026, 10, 1)
EMAILS = ("ann@a.example", "bob@b.example")


@st.composite
def _stores(draw: st.DrawFn) -> dict:
    """Clients with overlapping order numbers, late onboardings, orders of every pixel, shops, shared event
    ids across pixels, order times in several offsets, deployments of one pixel or of all."""
    pixels = draw(st.lists(st.sampled_from(["111", "222", "333", "444"]), min_size=2, max_size=3, unique=True))
    orders, events, browser, deployments = [], [], [], []
    for p in pixels:
        onboard = draw(st.integers(0, 5))
        for _ in range(draw(st.integers(0, 5))):
            orders.append({
                "order_id": str(draw(st.integers(1001, 1006))),
                "created_at": (f"2026-10-{1 + onboard + draw(st.integers(0, 4)):02d}T{draw(st.integers(0, 23)):02d}:30:00"
                               + draw(st.sampled_from(["Z", "+09:00", "-05:00"]))),
                "total": draw(st.sampled_from([10.0, 20.0, 35.5])), "currency": "USD",
                "status": draw(st.sampled_from(["paid", "paid", "cancelled", "pending", "refunded"])),
                "email": draw(st.sampled_from(EMAILS)),
                **draw(st.sampled_from([{"pixel_id": p}, {"shop": f"shop-{p}"}, {"shop": "shop-unmapped"}, {}]))})
        for _ in range(draw(st.integers(0, 6))):
            eid = draw(st.sampled_from([f"order-{n}" for n in range(1001, 1009)] + ["x-1", ""]))
            when = f"2026-10-{draw(st.integers(1, 10)):02d}T{draw(st.integers(0, 23)):02d}:10:00"
            events.append((p, buy(when, eid or None, draw(st.sampled_from([10.0, 20.0, 99.0])),
                                  draw(st.sampled_from(EMAILS + (None,))))))
            if eid and draw(st.booleans()):
                browser.append((p, when, eid))
    for i in range(draw(st.integers(0, 2))):
        deployments.append((f"2026-10-{draw(st.integers(2, 8)):02d}T12:00:00", f"d{i}",
                            draw(st.sampled_from(pixels + [""]))))
    return {"pixels": pixels, "orders": orders, "events": events, "browser": browser,
            "deployments": deployments, "tz": draw(st.sampled_from(["UTC", "Asia/Tokyo", "America/Los_Angeles"]))}


def _build(spec: dict, con: duckdb.DuckDBPyConnection, pixel: str | None) -> dict:
    from analysis import report

    cfg = config_mod.load(env={})
    cfg.override("pixels", {f"shop-{p}": [p] for p in spec["pixels"]}, "test")
    opts = report.Options(DAY0 + timedelta(days=1), DAY0 + timedelta(days=7), spec["tz"], pixel)
    return report.build(con, cfg, opts)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_stores())
def test_every_pixels_numbers_are_the_same_in_any_scope(spec: dict) -> None:
    with tempfile.TemporaryDirectory(prefix="capi-scope-") as tmp:
        sc = Scenario(Path(tmp))
        for row in spec["orders"]:
            sc.orders.append(row)
        for p in spec["pixels"]:
            mine = [e for q, e in spec["events"] if q == p]
            if mine:
                sc.server(*mine, pixel=p)
        for p, when, eid in spec["browser"]:
            sc.browser("Purchase", when, eid, pixel=p)
        for when, name, p in spec["deployments"]:
            sc.deployment(when, name, p)
        sc.ingest()
        with store.reader(sc.db) as con:
            whole = _build(spec, con, None)
        for p in spec["pixels"]:
            with store.reader(sc.db) as con:
                one = _build(spec, con, p)
            assert one["events"] == [e for e in whole["events"] if e["pixel_id"] == p]
            assert one["lint"] == [r for r in whole["lint"] if r["pixel_id"] == p]
            assert one["reconciliation"]["rows"] == [r for r in whole["reconciliation"]["rows"] if r["pixel_id"] == p]
            # The whole store's discrepancy days add up every client; its by_pixel rows are each client's.
            assert [b["days"] for b in whole["discrepancy"]["by_pixel"] if b["pixel_id"] == p] == (
                [one["discrepancy"]["days"]] if one["discrepancy"]["days"] else [])
            # A deployment of this pixel is judged alike in both. One of all pixels is, in the whole store's
            # report, a judgement of the whole store (its windows cut at any client's deployment, its gap the
            # store's): it is listed in both, but its numbers are this pixel's only in this pixel's report.
            mine = [d for d in whole["deployments"] if d["pixel_id"] == p]
            assert [d for d in one["deployments"] if d["pixel_id"] == p] == mine
            assert ({(d["name"], d["deployed_at"]) for d in one["deployments"] if d["pixel_id"] is None}
                    == {(d["name"], d["deployed_at"]) for d in whole["deployments"] if d["pixel_id"] is None})
