"""An events map: a table of another shape (here the server-side GTM → BigQuery export the shipped map
`sgtm-bigquery` describes) serves as the server events, and the rollups computed from it equal the rollups of
the same events ingested from Meta's envelopes.

The same generated events are written twice: as server-event envelopes ingested into a store (the oracle:
`rebuild`), and as rows of the export (timestamp in ms, GA4 event names, the event data as event_params) in
Parquet. `rollup --events-map` reads the export for the server side and the store's lake for the browser
side. Every rollup table is compared (pair_repeats without its event_uid: the export has no envelope to
derive the store's identity from).
"""
from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ibis", reason="the engines extra is not installed: pip install -e '.[test]'")

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from analysis import store  # noqa: E402
from analysis.cli import main  # noqa: E402
from analysis.engines import command, compile as compile_sql, mapping  # noqa: E402
from analysis.engines.merge import TABLES  # noqa: E402
from analysis.ingest import Options, ingest_file  # noqa: E402
from analysis.rollups import settings_of  # noqa: E402
from tests.test_rollups import browser_line, rebuilt  # noqa: E402

PIXEL = "555"
T0 = datetime(2026, 10, 1, tzinfo=timezone.utc)
GA4 = {"Purchase": "purchase", "AddToCart": "add_to_cart", "PageView": "page_view", "Lead": "generate_lead",
       "CustomThing": "CustomThing"}
SHA = hashlib.sha256(b"mary@example.com").hexdigest()
# Per identifier, the values a sender gets wrong or right (None: absent).
VALUES: dict[str, list[Any]] = {
    "em": [SHA, SHA, "Mary@Example.com", SHA.upper(), SHA + ".Ag", None],
    "ph": [hashlib.sha256(b"14155550132").hexdigest(), "+1 (415) 555-0132", None],
    "fn": [hashlib.sha256(b"mary").hexdigest(), "Mary", None],
    "ct": [hashlib.sha256(b"paris").hexdigest(), None],
    "zp": ["94110", None],
    "country": [hashlib.sha256(b"us").hexdigest(), "US", None],
    "external_id": ["cust-1", None],
    "client_ip_address": ["203.0.113.7", "2001:db8::1", "999.1.1.1", SHA, None],
    "client_user_agent": ["Mozilla/5.0 (X11; Linux x86_64)", "python-requests/2.31", None],
    "fbc": ["fb.1.1759310000000.IwAR2xK9vQ", "fb.1.1759310000000.iwar2xk9vqabcdefghijklmnop", "fb.1.123.abc",
            None],
    "fbp": ["fb.1.1759310000000.1234567890", "fbp-bad", None],
}
PARAM = {k: f"x-fb-ud-{k}" for k in ("em", "ph", "fn", "ct", "zp", "country", "external_id")} | {
    "client_ip_address": "ip_override", "client_user_agent": "user_agent", "fbc": "x-fb-ck-fbc",
    "fbp": "x-fb-ck-fbp"}


def _events(rnd: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        name = rnd.choice(["Purchase", "Purchase", "AddToCart", "PageView", "Lead", "CustomThing"])
        e: dict[str, Any] = {
            "name": name, "time": int((T0 + timedelta(minutes=rnd.randrange(0, 4 * 24 * 60))).timestamp()),
            "eid": rnd.choice([f"e{rnd.randrange(60)}", f"e{rnd.randrange(60)}", str(int(T0.timestamp()) + 3600), None]),
            "ud": {k: rnd.choice(v) for k, v in VALUES.items()},
            "action_source": rnd.choice(["website", "website", "app"]),
            "url": rnd.choice(["https://shop.example.com/p", None]),
            "test": rnd.random() < 0.05, "i": i,
        }
        if name == "Purchase":
            e["value"] = rnd.choice([74.5, 10, None])
            e["currency"] = rnd.choice(["USD", "usd", "XXY", None])
            e["order_id"] = rnd.choice([f"o{rnd.randrange(40)}", None])
        out.append(e)
    return out


def _envelope(e: dict[str, Any]) -> str:
    event: dict[str, Any] = {"event_name": e["name"], "event_time": e["time"], "action_source": e["action_source"],
                             "user_data": {k: v for k, v in e["ud"].items() if v is not None}}
    if e["eid"] is not None:
        event["event_id"] = e["eid"]
    if e["url"]:
        event["event_source_url"] = e["url"]
    custom = {k: e[k] for k in ("value", "currency", "order_id") if e.get(k) is not None}
    if custom:
        event["custom_data"] = custom
    request: dict[str, Any] = {"data": [event]}
    if e["test"]:
        request["test_event_code"] = "TEST1"
    sent = datetime.fromtimestamp(e["time"], timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"pixel_id": PIXEL, "sent_at": sent, "request": request,
                       "response": {"status": 200, "body": {"events_received": 1}}})


def _param(key: str, value: Any) -> dict[str, Any]:
    v = {"string_value": None, "int_value": None, "float_value": None}
    if isinstance(value, float):
        v["float_value"] = value
    elif isinstance(value, int):
        v["int_value"] = value
    else:
        v["string_value"] = value
    return {"key": key, "value": v}


def _export_row(e: dict[str, Any]) -> dict[str, Any]:
    """The event as the server container's BigQuery tag logs it (event data → event_params)."""
    params = [_param(PARAM[k], v) for k, v in e["ud"].items() if v is not None]
    params += [_param("action_source", e["action_source"])]
    for key, field in (("event_id", "eid"), ("page_location", "url"), ("value", "value"), ("currency", "currency"),
                       ("transaction_id", "order_id")):
        if e.get(field) is not None:
            params.append(_param(key, e[field]))
    if e["test"]:
        params.append(_param("test_event_code", "TEST1"))
    params.append(_param("client_id", f"c{e['i']}"))          # a key the map does not read
    return {"timestamp": e["time"] * 1000, "event_name": GA4[e["name"]], "event_params": params}


_VALUE = pa.struct([("string_value", pa.string()), ("int_value", pa.int64()), ("float_value", pa.float64())])
_SCHEMA = pa.schema([("timestamp", pa.int64()), ("event_name", pa.string()),
                     ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", _VALUE)])))])


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("mapped")
    rnd = random.Random(29)
    events = _events(rnd, 500)
    db = tmp / "audit.duckdb"
    (tmp / "server.jsonl").write_text("\n".join(_envelope(e) for e in events) + "\n")
    lines = []
    for e in rnd.sample(events, 300):      # browser copies: most server events have one, some at other times
        when = datetime.fromtimestamp(e["time"], timezone.utc) + timedelta(minutes=rnd.choice([0, 3, -2, 60 * 50]))
        lines.append(browser_line(e["name"] if rnd.random() < 0.9 else e["name"].lower(), when, e["eid"],
                                  fbc=e["ud"]["fbc"]))
    (tmp / "browser.jsonl").write_text("\n".join(json.dumps({**json.loads(x), "pixel_id": PIXEL}) for x in lines) + "\n")
    for kind, path in (("server-events", tmp / "server.jsonl"), ("browser-events", tmp / "browser.jsonl")):
        res = ingest_file(db, kind, path, Options())
        assert res.error is None and not res.rejects, (res.error, [r.reason for r in res.rejects][:3])
    assert main(["--db", str(db), "rebuild"]) == 0
    lake = tmp / "lake"
    assert main(["--db", str(db), "export", "parquet", str(lake)]) == 0
    export = tmp / "export"
    export.mkdir()
    pq.write_table(pa.Table.from_pylist([_export_row(e) for e in events], schema=_SCHEMA), export / "part-0.parquet")
    shipped = (mapping.MAPS / "sgtm-bigquery.toml").read_text()
    assert 'table = "sgtm.events"' in shipped
    events_map = tmp / "sgtm-local.toml"
    events_map.write_text(shipped.replace('table = "sgtm.events"', 'parquet = "export/"'))
    with store.writer(db) as con:
        oracle = rebuilt(con)
    return {"tmp": tmp, "db": db, "lake": lake, "map": events_map, "events": events,
            "oracle": {t: oracle[t] for t in TABLES}}


def _comparable(table: str, rows: list[tuple]) -> list[tuple]:
    if table == "pair_repeats":            # (side, event_uid, pixel_id, event_id): the uid is the store's own
        return sorted(((r[0], r[2], r[3]) for r in rows), key=repr)
    return rows


def rows(db: Path) -> dict[str, list[tuple]]:
    with store.reader(db) as con:
        out = {}
        for t in TABLES:
            rows = con.execute(f"SELECT * FROM {t}").fetchall()
            out[t] = sorted((tuple(tuple(v) if isinstance(v, list) else v for v in r) for r in rows), key=repr)
        return out


def assert_same(got: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> None:
    for table in TABLES:
        g, w = _comparable(table, got[table]), _comparable(table, want[table])
        extra, missing = sorted(set(g) - set(w), key=repr)[:3], sorted(set(w) - set(g), key=repr)[:3]
        assert g == w, (table, extra, missing)


def test_the_generated_events_hit_what_the_map_must_derive(mapped):
    lint = {r[4] for r in mapped["oracle"]["rollup_lint"]}
    assert {"unhashed_pii", "hashed_not_allowed", "invalid_fbc", "invalid_fbp", "server_user_agent",
            "timestamp_event_id", "missing_event_id", "purchase_missing_value", "invalid_currency",
            "test_event_code", "missing_event_source_url", "reused_event_id"} <= lint
    assert any(r[7] for r in mapped["oracle"]["pair_keys"])                    # matched keys


def as_sent(mapped: dict[str, Any]) -> Path:
    """The shipped map with sender_hashes off: the envelopes carry what was sent, plaintext included."""
    events_map = mapped["tmp"] / "sgtm-as-sent.toml"
    events_map.write_text(mapped["map"].read_text().replace("sender_hashes = true", "sender_hashes = false"))
    return events_map


def test_an_sgtm_export_mapped_gives_the_rollups_of_the_same_events_ingested(mapped, tmp_path, capsys):
    db = tmp_path / "engine.duckdb"
    assert main(["--db", str(db), "rollup", "--engine", "duckdb", "--lake", str(mapped["lake"]),
                 "--events-map", str(as_sent(mapped)), "--pixel-id", PIXEL]) == 0
    assert "merged into" in capsys.readouterr().err
    assert_same(rows(db), mapped["oracle"])


def test_sender_hashes_counts_plaintext_as_hashed_by_the_tag(mapped):
    """As Meta's tag for server-side GTM sends it: plaintext becomes a valid hash, a hash-like value stays as is."""
    results, _ = command.compute("duckdb", mapped["lake"], settings_of({}), None, None, pixel=PIXEL,
                                 events_map=mapping.load(mapped["map"]))
    lint = results["rollup_lint"].to_pylist()
    assert not [r for r in lint if r["rule"] == "unhashed_pii"]
    emq = results["rollup_emq"].to_pylist()
    em = 1 << 0
    # Every counted website event with an email: valid unless the value was hash-like but not a lowercase
    # hash (SHA.upper()).
    with_em = [e for e in mapped["events"] if e["ud"]["em"] is not None and e["action_source"] == "website"
               and not e["test"]]
    bad = sum(1 for e in with_em if e["ud"]["em"] == SHA.upper())
    assert sum(r["n"] for r in emq if r["present"] & em) == len(with_em)
    assert sum(r["n"] for r in emq if r["present"] & em and not r["mask"] & em) == bad > 0


def test_a_map_without_the_pixel_or_a_side_is_refused_with_the_fix(mapped, tmp_path, capsys):
    db = tmp_path / "x.duckdb"
    assert main(["--db", str(db), "rollup", "--lake", str(mapped["lake"]), "--events-map", str(mapped["map"])]) == 2
    assert "no pixel_id" in capsys.readouterr().err
    assert main(["--db", str(db), "rollup", "--events-map", str(mapped["map"]), "--pixel-id", PIXEL]) == 2
    assert "Nothing gives the browser_events" in capsys.readouterr().err
    assert main(["--db", str(db), "rollup", "--lake", str(mapped["lake"]), "--events-map", "nope"]) == 2
    assert "sgtm-bigquery" in capsys.readouterr().err           # names the maps that ship
    bad = tmp_path / "bad.toml"
    bad.write_text('[server_events]\nparquet = "x/"\n[server_events.fields]\nevent_name = "n"\nem = { unit = "ms" }\n')
    assert main(["--db", str(db), "rollup", "--lake", str(mapped["lake"]), "--events-map", str(bad)]) == 2
    assert "event_time" in capsys.readouterr().err               # required fields named
    bad.write_text('[server_events]\nparquet = "x/"\n[server_events.fields]\nevent_name = "n"\n'
                   'event_time = { column = "t", unit = "days" }\n')
    assert main(["--db", str(db), "rollup", "--lake", str(mapped["lake"]), "--events-map", str(bad)]) == 2
    assert "use s, ms or us" in capsys.readouterr().err
    bad.write_text('[server_events]\nparquet = "x/"\nsender_hash = true\n[server_events.fields]\nevent_name = "n"\n'
                   'event_time = "t"\n')
    assert main(["--db", str(db), "rollup", "--lake", str(mapped["lake"]), "--events-map", str(bad)]) == 2
    assert "unknown keys sender_hash" in capsys.readouterr().err  # a misspelt setting is not silently ignored


def test_the_sgtm_map_compiles_for_bigquery_as_in_the_golden_files():
    """BigQuery's SQL that turns the export into the server_events table (UNNEST of event_params) is checked in."""
    from tests.test_engines import GOLDEN, REGOLD
    import os

    got = compile_sql.statements("bigquery", 48, *command.bounds(datetime(2026, 10, 1).date(),
                                                                 datetime(2026, 10, 31).date()),
                                 mapping.load("sgtm-bigquery"), "123")
    folder = GOLDEN / "bigquery-sgtm"
    if os.environ.get(REGOLD) == "1":
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "map_server_events.sql").write_text(got["map_server_events"], encoding="utf-8")
    want = (folder / "map_server_events.sql").read_text(encoding="utf-8")
    assert got["map_server_events"] == want, "bigquery-sgtm/map_server_events.sql differs: review, then regenerate " \
                                             f"with {REGOLD}=1"
    assert "UNNEST(`t0`.`event_params`)" in got["map_server_events"] and "`sgtm`.`events`" in got["map_server_events"]
    # The steps after it read the mapped table as they read the lake's: the same SQL as without a map.
    plain = {p.stem: p.read_text(encoding="utf-8") for p in sorted((GOLDEN / "bigquery").glob("*.sql"))}
    assert {k: v for k, v in got.items() if k != "map_server_events"} == plain


def test_sync_runs_the_rollups_of_a_mapped_table(mapped, tmp_path, capsys, monkeypatch):
    """The `events_map` setting (the pixel in the map, as sync takes no --pixel-id) and the lake's browser side."""
    events_map = tmp_path / "with-pixel.toml"
    events_map.write_text(as_sent(mapped).read_text().replace(
        "[server_events.fields]\n", f'[server_events.fields]\npixel_id = {{ literal = "{PIXEL}" }}\n')
        .replace('parquet = "export/"', f'parquet = "{mapped["tmp"] / "export"}"'))
    db = tmp_path / "sync.duckdb"
    monkeypatch.setenv("CAPI_AUDIT_EVENTS_MAP", str(events_map))
    monkeypatch.setenv("CAPI_AUDIT_LAKE", str(mapped["lake"]))
    assert main(["--db", str(db), "sync"]) == 0              # every configured source: the rollups alone here
    assert "│ rollup " in capsys.readouterr().err
    assert_same(rows(db), mapped["oracle"])
