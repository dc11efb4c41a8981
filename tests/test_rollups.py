"""Rollups kept by every load equal a rebuild from scratch, whatever the files' split, order, re-reads and undos."""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import lifecycle, rollups, store
from analysis.ingest import Options, ingest_file
from analysis.rollups.schema import STATE_TABLES, TABLES
from tests.scenario import PIXEL, Scenario, sev, ud

T0 = datetime(2026, 10, 1, tzinfo=timezone.utc)
KEYS = ("em", "ph", "fbc", "fbp", "client_ip_address", "client_user_agent", "external_id", "ct")


def snapshot(con: Any) -> dict[str, list[tuple]]:
    """Every rollup and pairing-state row, in a canonical order."""
    out = {}
    for table in TABLES + STATE_TABLES:
        rows = con.execute(f"SELECT * FROM {table}").fetchall()
        out[table] = sorted((tuple(tuple(v) if isinstance(v, list) else v for v in r) for r in rows), key=repr)
    return out


def rebuilt(con: Any) -> dict[str, list[tuple]]:
    """The rollups a rebuild from scratch gives (rolled back afterwards: the store is left as it was)."""
    con.execute("BEGIN TRANSACTION")
    try:
        rollups.rebuild(con, rollups.stored_settings(con))
        return snapshot(con)
    finally:
        con.execute("ROLLBACK")


def server_line(name: str, when: datetime, eid: str | None, keys: tuple[str, ...], status: int = 200,
                test_code: str | None = None, order_id: str | None = None) -> str:
    event = sev(name, when.strftime("%Y-%m-%dT%H:%M:%S"), eid, ud(*keys))
    if order_id:
        event["custom_data"] = {"order_id": order_id, "value": 10.0, "currency": "USD"}
    request: dict[str, Any] = {"data": [event]}
    if test_code:
        request["test_event_code"] = test_code
    body = {"events_received": 1} if status == 200 else {"error": {"message": "x", "code": 100}}
    return json.dumps({"pixel_id": PIXEL, "sent_at": (when + timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "request": request, "response": {"status": status, "body": body}})


def browser_line(name: str, when: datetime, eid: str | None, fbc: str | None = None) -> str:
    rec = {"pixel_id": PIXEL, "event_name": name, "event_id": eid, "event_time": int(when.timestamp()),
           "event_source_url": "https://shop.example.com/x", "fbp": "fb.1.1759310000000.1234567890"}
    if fbc:
        rec["fbc"] = fbc
    return json.dumps(rec)


event_strategy = st.fixed_dictionaries({
    "side": st.sampled_from(["server", "browser"]),
    "name": st.sampled_from(["Purchase", "Purchase", "purchase", "AddToCart"]),
    "eid": st.sampled_from(["a", "b", "c", "order-1", "1759310000", None, ""]),
    # Quarter-hour steps over six days, with minutes that land on both sides of bucket edges.
    "minutes": st.integers(0, 6 * 24 * 4).map(lambda q: q * 15) | st.integers(0, 6 * 24 * 60),
    "keys": st.sets(st.sampled_from(KEYS), max_size=5).map(lambda s: tuple(sorted(s))),
    "kind": st.sampled_from(["ok", "ok", "ok", "rejected", "test", "order"]),
})


def write_files(tmp: Path, events: list[dict[str, Any]], parts: int, rnd: random.Random) -> list[tuple[str, Path]]:
    """The events split at random into `parts` files per side (a file of each side may be empty)."""
    files: dict[tuple[str, int], list[str]] = {}
    for i, e in enumerate(events):
        when = T0 + timedelta(minutes=e["minutes"])
        if e["side"] == "server":
            line = server_line(e["name"], when, e["eid"], e["keys"], status=400 if e["kind"] == "rejected" else 200,
                               test_code="TEST1" if e["kind"] == "test" else None,
                               order_id="1001" if e["kind"] == "order" else None)
        else:
            line = browser_line(e["name"], when, e["eid"], fbc="fb.1.1759310000000.IwAR2xK9vQ" if i % 3 else None)
        files.setdefault((e["side"], rnd.randrange(parts)), []).append(line)
    out = []
    for (side, n), lines in sorted(files.items()):
        path = tmp / f"{side}-{n}.jsonl"
        path.write_text("\n".join(lines) + "\n")
        out.append(("server-events" if side == "server" else "browser-events", path))
    rnd.shuffle(out)
    return out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(event_strategy, min_size=1, max_size=40), parts=st.integers(1, 4), seed=st.integers(0, 10**6))
def test_any_split_order_reread_and_undo_equals_a_rebuild(tmp_path_factory, events, parts, seed):
    tmp = tmp_path_factory.mktemp("roll")
    rnd = random.Random(seed)
    db = tmp / "audit.duckdb"
    files = write_files(tmp, events, parts, rnd)
    loads = []
    for kind, path in files:
        res = ingest_file(db, kind, path, Options())
        assert res.error is None and not res.rejects, (res.error, [r.reason for r in res.rejects])
        loads.append((kind, path, res.ingestion_id))
        if rnd.random() < 0.3:           # the same file again: nothing changes
            assert ingest_file(db, kind, path, Options()).loaded == 0
    kind, path, iid = rnd.choice(loads)
    with store.writer(db) as con:
        if iid is not None and rnd.random() < 0.7:
            try:
                lifecycle.undo(con, iid)     # one load removed, and (maybe) its file read again below
            except lifecycle.LifecycleError:
                pass                         # refused: a later load found some of its rows (undo says so)
            assert snapshot(con) == rebuilt(con)
    if rnd.random() < 0.5:
        ingest_file(db, kind, path, Options())
    with store.writer(db) as con:
        assert snapshot(con) == rebuilt(con)


@pytest.fixture
def sc(tmp_path):
    return Scenario(tmp_path)


def _dedup(rep: dict[str, Any], name: str = "Purchase") -> dict[str, Any]:
    return next(e["dedup"] for e in rep["events"] if e["event_name"] == name)


def test_a_late_browser_file_pairs_and_undoing_it_unpairs(sc, tmp_path):
    sc.server(sev("Purchase", "2026-10-01T10:00:00", "p1"))
    sc.ingest()
    assert _dedup(sc.report("2026-10-01", "2026-10-01"))["server_only"] == 1
    late = tmp_path / "late.jsonl"
    late.write_text(browser_line("Purchase", datetime(2026, 10, 2, 9, tzinfo=timezone.utc), "p1") + "\n")
    res = ingest_file(sc.db, "browser-events", late, Options())
    d = _dedup(sc.report("2026-10-01", "2026-10-01"))
    assert (d["matched"], d["server_only"]) == (1, 0)
    with store.writer(sc.db) as con:
        lifecycle.undo(con, res.ingestion_id)
    d = _dedup(sc.report("2026-10-01", "2026-10-01"))
    assert (d["matched"], d["server_only"]) == (0, 1)


def test_a_rejected_request_becomes_reused_when_a_later_load_reuses_its_id(tmp_path):
    # The lint population holds rejected requests too: when a later file makes their id reused (two
    # clusters days apart), their bucket must be recomputed, as a rebuild would count it.
    db = tmp_path / "audit.duckdb"
    first, later = tmp_path / "first.jsonl", tmp_path / "later.jsonl"
    first.write_text(server_line("Purchase", datetime(2026, 10, 1, 10, tzinfo=timezone.utc), "x1", ("em",),
                                 status=400) + "\n")
    later.write_text("\n".join(server_line("Purchase", when, "x1", ("em",)) for when in (
        datetime(2026, 10, 1, 11, tzinfo=timezone.utc), datetime(2026, 10, 5, 11, tzinfo=timezone.utc))) + "\n")
    for path in (first, later):
        assert ingest_file(db, "server-events", path, Options()).error is None
    with store.writer(db) as con:
        reused = con.execute("SELECT bucket FROM rollup_lint WHERE rule = 'reused_event_id' ORDER BY bucket").fetchall()
        assert reused == [(datetime(2026, 10, 1, 10),), (datetime(2026, 10, 1, 11),), (datetime(2026, 10, 5, 11),)]
        assert snapshot(con) == rebuilt(con)


def test_a_load_recomputes_only_the_buckets_it_touches(sc, tmp_path):
    sc.server(sev("Purchase", "2026-10-01T10:00:00", "p1"))
    sc.ingest()
    with store.writer(sc.db) as con:        # a marker in the stored rollup of Oct 1
        con.execute("UPDATE rollup_events SET website = 999")
    far = tmp_path / "far.jsonl"
    far.write_text(server_line("Purchase", datetime(2026, 10, 20, 10, tzinfo=timezone.utc), "p2", ("em",)) + "\n")
    ingest_file(sc.db, "server-events", far, Options())
    with store.reader(sc.db) as con:
        kept = con.execute("SELECT bucket, website FROM rollup_events ORDER BY bucket").fetchall()
    assert kept == [(datetime(2026, 10, 1, 10), 999), (datetime(2026, 10, 20, 10), 1)]
    with store.writer(sc.db) as con:        # ... which a rebuild puts right
        with store.transaction(con):
            rollups.rebuild(con, rollups.stored_settings(con))
        assert [r[0] for r in con.execute("SELECT website FROM rollup_events ORDER BY bucket").fetchall()] == [1, 1]


def test_local_days_are_exact_in_quarter_hour_time_zones(sc):
    # Kathmandu is UTC+05:45: its Oct 2 starts at 18:15 UTC on Oct 1.
    sc.server(sev("Lead", "2026-10-01T18:14:59", "x1"), sev("Lead", "2026-10-01T18:15:00", "x2", ud("fbp")))
    rep = sc.full_report("2026-10-01", "2026-10-02", tz="Asia/Kathmandu", daily=True)
    days = {r["day"].isoformat(): r["server_events"] for r in rep["daily"]["coverage"]}
    assert days == {"2026-10-01": 1, "2026-10-02": 1}
    em = {r["day"].isoformat(): r["em"] for r in rep["daily"]["coverage"]}
    assert em == {"2026-10-01": 1.0, "2026-10-02": 0.0}


def test_a_changed_pairing_window_is_computed_for_the_report_and_named_stale_until_rebuild(sc):
    sc.browser("Purchase", "2026-10-01T00:00:00", "p1")
    sc.server(sev("Purchase", "2026-10-01T20:00:00", "p1"))
    assert _dedup(sc.report("2026-10-01", "2026-10-01"))["matched"] == 1
    narrow = sc.report("2026-10-01", "2026-10-01", dedup__window_hours=12)
    assert narrow["rollups"] == {"state": "stale", "stale_settings": ["dedup.window_hours"]}
    assert _dedup(narrow)["matched"] == 0
    from analysis import config as config_mod

    cfg = config_mod.load(env={})
    cfg.override("dedup.window_hours", 12, "test")
    with store.writer(sc.db) as con:
        with store.transaction(con):
            rollups.rebuild(con, rollups.settings_of(cfg))
        assert rollups.stale(con, cfg) == []
    again = sc.report("2026-10-01", "2026-10-01", dedup__window_hours=12)
    assert again["rollups"]["state"] == "current" and _dedup(again)["matched"] == 0


def test_a_store_of_the_previous_version_gets_its_rollups_on_first_opening(sc):
    sc.browser("Purchase", "2026-10-01T00:00:00", "p1")
    sc.server(sev("Purchase", "2026-10-01T20:00:00", "p1"), sev("Lead", "2026-10-02T20:00:00", "l1"))
    sc.ingest()
    with store.writer(sc.db) as con:
        before = snapshot(con)
        for table in TABLES + STATE_TABLES + ("rollup_state",):
            con.execute(f"DROP TABLE {table}")
        con.execute("UPDATE schema_version SET version = 3")
    with store.writer(sc.db) as con:
        assert store.scalar(con, "SELECT version FROM schema_version") == store.SCHEMA_VERSION
        assert snapshot(con) == before


def test_the_rebuild_command_applies_a_changed_setting_and_the_report_says_stale_until_then(sc, tmp_path, capsys):
    from analysis.cli import main

    sc.browser("Purchase", "2026-10-01T00:00:00", "p1")
    sc.server(sev("Purchase", "2026-10-01T20:00:00", "p1"))
    sc.ingest()
    settings_file = tmp_path / "narrow.toml"
    settings_file.write_text("[dedup]\nwindow_hours = 12\n")
    args = ["--db", str(sc.db), "--config", str(settings_file)]
    report = [*args, "report", "--since", "2026-10-01", "--until", "2026-10-01"]
    capsys.readouterr()
    assert main(report) == 0
    out, err = capsys.readouterr()
    stale = json.loads(out)
    assert stale["rollups"] == {"state": "stale", "stale_settings": ["dedup.window_hours"]}
    assert "dedup.window_hours changed" in err and "capi-audit rebuild" in err
    assert main([*args, "rebuild"]) == 0
    assert "with the current dedup.window_hours" in capsys.readouterr().err
    with store.reader(sc.db) as con:
        assert rollups.stored_settings(con)["dedup.window_hours"] == 12
    assert main(report) == 0
    out, err = capsys.readouterr()
    current = json.loads(out)
    assert current["rollups"]["state"] == "current" and "rebuild" not in err
    # The same numbers either way: the stale report computed its window's own with the new window.
    strip = lambda r: {k: v for k, v in r.items() if k not in ("generated_at", "rollups")}  # noqa: E731
    assert strip(current) == strip(stale)
    assert _dedup(current)["matched"] == 0
