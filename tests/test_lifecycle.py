"""The data lifecycle: load history, exact undo, retention purges, and forgetting one customer down to the file's bytes."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from analysis import erasure, lifecycle, normalize, store
from analysis.cli import main
from analysis.ingest import Options, ingest_file
from tests.test_connectors_sync import shops  # noqa: F401  (the fake Meta, Shopify and WooCommerce APIs)

ORDERS_HEAD = "order_id,created_at,total,currency,status,email,phone,country,customer_id,updated_at\n"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _server(pixel: str, name: str, t: int, eid: str, em: str | None = None, ph: str | None = None) -> str:
    ud = {k: v for k, v in (("em", em), ("ph", ph)) if v}
    ud["client_ip_address"] = "203.0.113.9"
    return json.dumps({"pixel_id": pixel, "event_name": name, "event_time": t, "event_id": eid, "user_data": ud})


def _browser(name: str, t: int, eid: str, em: str | None = None) -> str:
    rec = {"pixel_id": "1", "event_name": name, "event_id": eid, "event_time": t, "fbp": "fb.1.1759001000000.1000007919"}
    if em:
        rec["user_data"] = {"em": em}
    return json.dumps(rec)


def _stats(fetched: str, hour: str, n: int) -> str:
    return json.dumps({"pixel_id": "1", "fetched_at": fetched,
                       "params": {"aggregation": "event", "event_source": "SERVER_ONLY"},
                       "response": {"data": [{"aggregation": "event", "start_time": hour,
                                              "data": [{"value": "Purchase", "count": n}]}]}})


def _quality(fetched: str, score: float) -> str:
    return json.dumps({"pixel_id": "1", "fetched_at": fetched, "response": {"web": [
        {"event_name": "Purchase", "event_match_quality": {"composite_score": score, "match_key_feedback": [
            {"identifier": "email", "coverage": {"percentage": 85.7}}]}}]}})


def _load_set(db: Path, tmp_path: Path, tag: str, day: int) -> list[int]:
    """One file of every kind (different rows per tag); returns the load ids."""
    t = 1790846051 + day * 86400
    d = f"2026-10-{day + 1:02d}"
    files = [
        ("orders", _write(tmp_path, f"orders-{tag}.csv", ORDERS_HEAD
                          + f"{tag}1,{d}T09:00:00Z,10.00,EUR,paid,{tag}@example.com,+33 6 12 34 56 7{day},FR,c-{tag},\n"
                          + f"{tag}2,{d}T10:00:00Z,20.00,EUR,paid,,,FR,,\n")),
        ("server-events", _write(tmp_path, f"server-{tag}.jsonl", "\n".join([
            _server("1", "Purchase", t, f"order-{tag}1", em=_sha(f"{tag}@example.com")),
            _server("1", "Lead", t + 60, f"lead-{tag}"), "not json"]) + "\n")),
        ("browser-events", _write(tmp_path, f"browser-{tag}.jsonl", _browser("Purchase", t, f"order-{tag}1") + "\n")),
        ("deployments", _write(tmp_path, f"deploy-{tag}.csv",
                               f"deployed_at,name,description,component,pixel_id\n{d}T12:00:00Z,release-{tag},,theme,\n")),
        ("meta-stats", _write(tmp_path, f"stats-{tag}.jsonl", _stats(f"{d}T23:00:00Z", f"{d}T09:00:00+0000", day + 1) + "\n")),
        ("meta-quality", _write(tmp_path, f"quality-{tag}.json", _quality(f"{d}T23:00:00Z", 7.0 + day / 10))),
    ]
    ids = []
    for kind, path in files:
        res = ingest_file(db, kind, path, Options())
        assert res.error is None and res.loaded >= 1, (kind, res.error)
        ids.append(res.ingestion_id)
    return ids


def _contents(db: Path) -> dict[str, list[tuple]]:
    """Every table's full contents (sorted), the load history apart."""
    with store.reader(db) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'main' AND table_name <> 'ingestions'").fetchall()]
        return {t: sorted(con.execute(f"SELECT * FROM {store.quote_ident(t)}").fetchall(), key=repr) for t in tables}


def _history(db: Path) -> list[tuple]:
    with store.reader(db) as con:
        return con.execute("SELECT * FROM ingestions ORDER BY ingestion_id").fetchall()


def test_undo_restores_the_store_exactly_then_empties_it(tmp_path):
    db = tmp_path / "a.duckdb"
    a = _load_set(db, tmp_path, "a", 0)
    after_a, history_a = _contents(db), _history(db)
    b = _load_set(db, tmp_path, "b", 1)
    assert _contents(db) != after_a
    with store.writer(db) as con:
        removed = [lifecycle.undo(con, iid) for iid in reversed(b)]
    assert [{t: n for t, n in r.items() if n} for r in removed] == [
        {"meta_quality_events": 1, "meta_quality_match_keys": 1, "meta_quality_snapshots": 1},
        {"meta_stats": 1}, {"deployments": 1}, {"browser_events": 1},
        {"server_events": 2, "rejects": 1}, {"order_hashes": 14, "orders": 2}]
    assert _contents(db) == after_a
    history = _history(db)
    assert history[:len(a)] == history_a           # the earlier loads' rows are untouched
    assert [h[-1] for h in history[len(a):]] == ["undone"] * len(b)
    assert [h[6] for h in history[len(a):]] == [2, 2, 1, 1, 1, 1]   # what they loaded stays on record
    with store.writer(db) as con:
        for iid in reversed(a):
            lifecycle.undo(con, iid)
        with pytest.raises(lifecycle.AlreadyUndone, match=f"Load {a[0]} was already undone"):
            lifecycle.undo(con, a[0])
    # What stays: the schema version and the settings the rollups were built with.
    assert all(rows == [] for t, rows in _contents(db).items() if t not in ("schema_version", "rollup_state"))


def test_an_undone_file_is_loaded_again(tmp_path):
    db = tmp_path / "a.duckdb"
    path = _write(tmp_path, "s.jsonl", _server("1", "Lead", 1790846051, "l1") + "\n")
    first = ingest_file(db, "server-events", path, Options())
    assert ingest_file(db, "server-events", path, Options()).unchanged      # same bytes: skipped
    with store.writer(db) as con:
        lifecycle.undo(con, first.ingestion_id)
    again = ingest_file(db, "server-events", path, Options())
    assert (again.unchanged, again.loaded) == (False, 1)


def test_undo_refuses_what_it_cannot_undo_exactly(tmp_path):
    db = tmp_path / "a.duckdb"
    v1 = _write(tmp_path, "o1.csv", ORDERS_HEAD + "1,2026-10-01T09:00:00Z,10,EUR,paid,,,,,2026-10-01T09:00:00Z\n")
    v2 = _write(tmp_path, "o2.csv", ORDERS_HEAD + "1,2026-10-01T09:00:00Z,12,EUR,paid,,,,,2026-10-02T09:00:00Z\n")
    one, two = (ingest_file(db, "orders", p, Options()).ingestion_id for p in (v1, v2))
    with store.writer(db) as con:
        # Load two replaced load one's order: removing it would not bring version 1 back.
        with pytest.raises(lifecycle.LifecycleError, match=f"Load {two} cannot be undone exactly: earlier load {one} "):
            lifecycle.undo(con, two)
        with pytest.raises(lifecycle.LifecycleError, match="a later load replaced some of its orders rows"):
            lifecycle.undo(con, one)
        assert store.scalar(con, "SELECT total FROM orders") == 12.0
    # A grown log file: the second read found the first read's events already stored.
    log = _write(tmp_path, "s.jsonl", _server("1", "Lead", 1790846051, "l1") + "\n")
    small = ingest_file(db, "server-events", log, Options()).ingestion_id
    log.write_text(log.read_text() + _server("1", "Lead", 1790846111, "l2") + "\n")
    grown = ingest_file(db, "server-events", log, Options()).ingestion_id
    with store.writer(db) as con:
        with pytest.raises(lifecycle.LifecycleError, match=f"later load {grown} found rows already stored"):
            lifecycle.undo(con, small)
        assert lifecycle.undo(con, grown)["server_events"] == 1
        assert lifecycle.undo(con, small)["server_events"] == 1
        with pytest.raises(lifecycle.LifecycleError, match="There is no load 99"):
            lifecycle.undo(con, 99)


def test_ingestions_and_undo_on_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = "a.duckdb"
    _write(tmp_path, "[bold]s.jsonl", _server("1", "Lead", 1790846051, "l1") + "\nnope\n")
    path = Path("[bold]s.jsonl")
    assert main(["--db", db, "ingest", "server-events", str(path)]) == 0
    assert main(["--db", db, "ingest", "deployments", str(_write(
        tmp_path, "d.csv", "deployed_at,name\n2026-10-01T00:00:00Z,x\n"))]) == 0
    assert main(["--db", db, "undo", "1"]) == 0
    assert main(["--db", db, "undo", "1"]) == 0
    assert main(["--db", db, "undo", "7"]) == 1
    assert main(["--db", "typo.duckdb", "undo", "1"]) == 2 and not Path("typo.duckdb").exists()
    err = capsys.readouterr().err
    assert "Undid load 1: removed 1 server_events, 1 rejects." in err
    assert "Load 1 was already undone; nothing to do." in err and "There is no load 7" in err
    assert main(["--db", db, "ingestions", "--format", "json", "--kind", "server-events"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [{k: r[k] for k in ("id", "kind", "file", "read", "loaded", "duplicates", "rejected", "status", "undone")}
            for r in rows] == [{"id": 1, "kind": "server-events", "file": str(path), "read": 2, "loaded": 1,
                                "duplicates": 0, "rejected": 1, "status": "partial", "undone": True}]
    assert main(["--db", db, "ingestions"]) == 0
    out = capsys.readouterr().out
    assert "deployments" in out and "[bold]s.jsonl" in out and "yes" in out


def _dated_files(tmp_path: Path, now: datetime) -> tuple[Path, Path]:
    old, new = now - timedelta(days=100), now - timedelta(days=1)
    server = _write(tmp_path, "s.jsonl", "\n".join(_server("1", "Lead", int(t.timestamp()), f"e{i}")
                                                    for i, t in enumerate((old, old, new))) + "\n")
    orders = _write(tmp_path, "o.csv", ORDERS_HEAD + "".join(
        f"{i},{t:%Y-%m-%dT%H:%M:%SZ},10,EUR,paid,x{i}@example.com,,,,\n" for i, t in enumerate((old, new))))
    return server, orders


def test_purge_counts_asks_for_yes_then_removes(tmp_path, capsys):
    db = str(tmp_path / "a.duckdb")
    now = datetime.now(timezone.utc)
    server, orders = _dated_files(tmp_path, now)
    main(["--db", db, "ingest", "server-events", str(server)])
    main(["--db", db, "ingest", "orders", str(orders)])
    cut = (now - timedelta(days=30)).date().isoformat()
    capsys.readouterr()
    assert main(["--db", db, "purge", "--before", cut]) == 1
    assert main(["--db", db, "purge", "--before", cut, "--dry-run"]) == 0
    assert "Nothing was removed: run again with --yes" in capsys.readouterr().err
    with store.reader(db) as con:
        assert lifecycle.purge(con, date.fromisoformat(cut), dry_run=True) == {
            "server_events": 2, "browser_events": 0, "order_hashes": 2, "orders": 1, "meta_quality_events": 0,
            "meta_quality_match_keys": 0, "meta_quality_snapshots": 0, "meta_stats": 0, "ad_insights": 0}
        assert store.scalar(con, "SELECT count(*) FROM server_events") == 3
    assert main(["--db", db, "purge", "--before", cut, "--yes"]) == 0
    with store.reader(db) as con:
        assert store.scalar(con, "SELECT count(*) FROM server_events") == 1
        assert store.query(con, "SELECT order_id FROM orders") == [{"order_id": "1"}]
        assert store.scalar(con, "SELECT count(DISTINCT order_id) FROM order_hashes") == 1
    assert main(["--db", db, "purge"]) == 2           # no --before and no retention_days
    old_hash = _sha("x0@example.com").encode()        # order 0's email, purged above
    assert old_hash in Path(db).read_bytes()          # deleted rows' bytes stay in DuckDB's free blocks…
    assert main(["--db", db, "purge", "--before", cut, "--yes", "--rewrite"]) == 0
    raw = Path(db).read_bytes()
    assert old_hash not in raw and _sha("x1@example.com").encode() in raw     # …until the file is rewritten
    assert "set retention_days" in capsys.readouterr().err


def test_retention_days_purges_after_each_ingest(tmp_path, capsys):
    db = str(tmp_path / "a.duckdb")
    settings = _write(tmp_path, "capi-audit.toml", "retention_days = 30\n")
    server, orders = _dated_files(tmp_path, datetime.now(timezone.utc))
    assert main(["--db", db, "--config", str(settings), "ingest", "server-events", str(server)]) == 0
    assert main(["--db", db, "--config", str(settings), "ingest", "orders", str(orders)]) == 0
    err = capsys.readouterr().err
    assert "Retention (30 days): removed 2 server_events from before" in err
    assert "Retention (30 days): removed 2 order_hashes, 1 orders from before" in err
    with store.reader(db) as con:
        assert store.scalar(con, "SELECT count(*) FROM server_events") == 1
        assert store.scalar(con, "SELECT count(*) FROM orders") == 1
    assert main(["--db", db, "--config", str(settings), "purge", "--dry-run"]) == 0
    bad = _write(tmp_path, "bad.toml", "retention_days = -3\n")
    assert main(["--db", db, "--config", str(bad), "purge"]) == 2
    assert "retention_days must be a whole number" in capsys.readouterr().err


def test_retention_days_purges_after_a_sync(shops, monkeypatch, capsys):
    # The fake shops' orders and Meta's figures are from November 2026: all before yesterday.
    monkeypatch.setenv("CAPI_AUDIT_RETENTION_DAYS", "1")
    assert main(["--db", str(shops["db"]), "sync", "--since", "2026-01-01"]) == 0
    assert "Retention (1 day): removed " in capsys.readouterr().err
    with store.reader(shops["db"]) as con:
        assert store.scalar(con, "SELECT count(*) FROM orders") == 0
        assert store.scalar(con, "SELECT count(*) FROM meta_stats") == 0
        assert store.scalar(con, "SELECT sum(rows_loaded) FROM ingestions") == 14    # loaded, then purged


def _digests(hexes: set[str]) -> set[bytes]:
    return {h.encode() for h in hexes} | {bytes.fromhex(h) for h in hexes}


def test_forget_erases_one_customer_down_to_the_file_bytes(tmp_path, capsys):
    db = tmp_path / "a.duckdb"
    orders = _write(tmp_path, "o.csv", ORDERS_HEAD
                    + "1,2026-10-01T09:00:00Z,10,EUR,paid, Ann.Lee@Example.com,06 12 34 56 78,FR,cust-ann-77,\n"
                    + "2,2026-10-01T10:00:00Z,20,EUR,paid,ann.lee@example.com,+33612345678,FR,cust-ann-77,\n"
                    + "3,2026-10-01T11:00:00Z,30,EUR,paid,bob@example.net,+33699887766,FR,cust-bob-88,\n")
    ann_em, ann_ph = _sha("ann.lee@example.com"), _sha("33612345678")
    bob_em, bob_ph = _sha("bob@example.net"), _sha("33699887766")
    sloppy = _sha("Ann.Lee@Example.com")             # a sender that forgot to lowercase
    server = _write(tmp_path, "s.jsonl", "\n".join([
        _server("1", "Purchase", 1790845200, "order-1", em=sloppy, ph=ann_ph),
        _server("1", "Purchase", 1790848800, "order-2", em=ann_em.upper()),
        _server("1", "Purchase", 1790852400, "order-3", em=bob_em, ph=bob_ph)]) + "\n")
    browser = _write(tmp_path, "b.jsonl", "\n".join([
        _browser("Purchase", 1790845200, "order-1", em=ann_em), _browser("Purchase", 1790852400, "order-3", em=bob_em)]) + "\n")
    for kind, path in (("orders", orders), ("server-events", server), ("browser-events", browser)):
        assert ingest_file(db, kind, path, Options()).error is None
    with store.reader(db) as con:
        ann = {r[0] for r in con.execute("SELECT hash FROM order_hashes WHERE order_id IN ('1', '2')").fetchall()}
        bob = {r[0] for r in con.execute("SELECT hash FROM order_hashes WHERE order_id = '3'").fetchall()}
        ann_rows = store.scalar(con, "SELECT count(*) FROM order_hashes WHERE order_id IN ('1', '2')")
    assert {ann_em, ann_ph, sloppy, _sha("612345678")} <= ann   # correct and mistaken forms were stored
    raw = db.read_bytes()
    assert sloppy.encode() in raw and b"cust-ann-77" in raw

    assert main(["--db", str(db), "forget", "--email", "ANN.LEE@example.com ", "--phone", "0612345678",
                 "--country", "FR"]) == 0
    captured = capsys.readouterr()
    assert "ann.lee" not in (captured.out + captured.err).lower() and "612345678" not in captured.err
    assert ann_rows == 24
    assert ("Forgot the customer: 2 orders lost their customer id and 24 hashes; 2 server events and 1 browser "
            "events lost their personal fields.") in captured.err

    files = [db] + [p for p in (Path(str(db) + ".wal"),) if p.exists()]
    raw = b"".join(p.read_bytes() for p in files)
    assert ann & bob == {_sha("fr"), _sha("FR"), _sha(_sha("fr"))}   # a country is no one's in particular
    for needle in _digests((ann - bob) | {ann_em.upper()}) | {b"cust-ann-77"}:
        assert needle not in raw
    for needle in (bob_em.encode(), bob_ph.encode(), b"cust-bob-88"):
        assert needle in raw                          # the other customer is untouched
    assert not list(tmp_path.glob("a.duckdb.rewrite*"))
    with store.reader(db) as con:
        assert store.query(con, "SELECT order_id, total, customer_id FROM orders ORDER BY order_id") == [
            {"order_id": "1", "total": 10.0, "customer_id": None}, {"order_id": "2", "total": 20.0, "customer_id": None},
            {"order_id": "3", "total": 30.0, "customer_id": "cust-bob-88"}]
        assert store.query(con, "SELECT event_id, em, ph, client_ip_address, em_p FROM server_events ORDER BY event_id") == [
            {"event_id": "order-1", "em": None, "ph": None, "client_ip_address": None, "em_p": True},
            {"event_id": "order-2", "em": None, "ph": None, "client_ip_address": None, "em_p": True},
            {"event_id": "order-3", "em": [bob_em], "ph": [bob_ph], "client_ip_address": "203.0.113.9", "em_p": True}]
        assert store.scalar(con, "SELECT last_value FROM duckdb_sequences() WHERE sequence_name = 'ingestion_seq'") == 3
    assert main(["--db", str(db), "report", "--since", "2026-10-01", "--until", "2026-10-01"]) == 0
    assert json.loads(capsys.readouterr().out)["window"]["since"] == "2026-10-01"


def test_customer_hashes_are_ingests_hashes():
    assert erasure.customer_hashes(" Ann@X.com", "06 12 34 56 78", "FR") == {
        normalize.hash_value("em", "ann@x.com"): "correct", _sha("Ann@X.com"): "not_lowercased",
        _sha(" ann@x.com"): "not_trimmed", _sha(_sha("ann@x.com")): "double_hashed",
        _sha("33612345678"): "correct", _sha("612345678"): "missing_country_code",
        _sha("0612345678"): "missing_country_code", _sha(_sha("33612345678")): "double_hashed"}
    with pytest.raises(lifecycle.LifecycleError, match="usable --email or --phone"):
        erasure.forget(None, "   ", None)  # type: ignore[arg-type]


def test_forget_needs_an_identifier_and_a_phones_country(tmp_path, capsys):
    db = tmp_path / "a.duckdb"
    ingest_file(db, "server-events", _write(tmp_path, "s.jsonl", _server("1", "Lead", 1790846051, "l1") + "\n"), Options())
    assert main(["--db", str(db), "forget"]) == 2
    assert main(["--db", str(db), "forget", "--phone", "06 12 34 56 78"]) == 2
    assert main(["--db", str(tmp_path / "none.duckdb"), "forget", "--email", "a@b.c"]) == 2
    err = capsys.readouterr().err
    assert "Give the customer's --email, --phone or both." in err
    assert "The phone has no country code" in err and "06 12" not in err
    assert "No database at" in err


def test_a_failed_rewrite_says_so_and_leaves_a_working_store(tmp_path, capsys):
    db = tmp_path / "a.duckdb"
    ingest_file(db, "orders", _write(tmp_path, "o.csv", ORDERS_HEAD + "1,2026-10-01T09:00:00Z,10,EUR,paid,a@b.co,,,,\n"),
                Options())
    (tmp_path / "a.duckdb.rewrite").mkdir()          # the fresh file's place is taken
    assert main(["--db", str(db), "forget", "--email", "a@b.co"]) == 1
    err = capsys.readouterr().err
    assert f"Could not rewrite {db}" in err and "run the command again" in err and "Traceback" not in err
    with store.reader(db) as con:
        assert store.scalar(con, "SELECT count(*) FROM order_hashes") == 0


def test_forget_leaves_an_order_whose_correct_hash_is_only_a_mistaken_form_of_the_customers(tmp_path):
    db = tmp_path / "a.duckdb"
    # No country anywhere: this order's phone hashes as its bare digits, which is also what a sender
    # that drops +33 makes of the customer's number.
    ingest_file(db, "orders", _write(tmp_path, "o.csv", ORDERS_HEAD + "9,2026-10-01T09:00:00Z,10,EUR,paid,,612345678,,z-9,\n"),
                Options())
    with store.writer(db) as con:
        assert erasure.forget(con, None, "+33 6 12 34 56 78") == {
            "server_events": 0, "browser_events": 0, "order_hashes": 0, "orders": 0}
        assert store.query(con, "SELECT hash, customer_id FROM order_hashes JOIN orders USING (order_id) "
                                "WHERE key = 'ph' AND variant = 'correct'") == [
            {"hash": _sha("612345678"), "customer_id": "z-9"}]


def test_an_ad_insights_load_is_undone_and_purged_like_the_others(tmp_path: Path):
    from tests.test_connectors_insights import day

    db = tmp_path / "a.duckdb"
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps({"account_id": "123", "data": [day("2026-11-01", "10", purchase="2"),
                                                               day("2026-11-02", "20", purchase="4")]}))
    second.write_text(json.dumps({"account_id": "123", "data": [day("2026-11-03", "30", purchase="3")]}))
    a = ingest_file(db, "meta-insights", first, Options(at="2026-11-03T06:00:00Z"))
    b = ingest_file(db, "meta-insights", second, Options(at="2026-11-04T06:00:00Z"))
    assert (a.loaded, b.loaded) == (2, 1)
    with store.writer(db) as con:
        assert lifecycle.undo(con, b.ingestion_id)["ad_insights"] == 1
        assert [d for (d,) in con.execute("SELECT day FROM ad_insights ORDER BY day").fetchall()] == [
            date(2026, 11, 1), date(2026, 11, 2)]
        assert lifecycle.purge(con, date(2026, 11, 2))["ad_insights"] == 1
        assert [d for (d,) in con.execute("SELECT day FROM ad_insights").fetchall()] == [date(2026, 11, 2)]
