"""Meta connector against a fake Graph API on 127.0.0.1: Dataset Quality snapshots, /stats pages, errors, throttling."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analysis import config
from analysis.connectors import sync
from tests.test_connectors_http import Call, FakeServer, Reply, Waits

TOKEN = "EAAGm0PX4ZCpsBAtestTOKEN0123456789"
APP_SECRET = "app-secret-5f4dcc3b5aa765d61d83"
PIXEL = "1234567890"
NOW = datetime(2026, 11, 26, 6, 0, 0, tzinfo=timezone.utc)

QUALITY = {"web": [
    {"event_name": "Purchase",
     "event_match_quality": {"composite_score": 7.2,
                             "match_key_feedback": [{"identifier": "email", "coverage": {"percentage": 100}},
                                                    {"identifier": "ip_address", "coverage": {"percentage": 99.9}}],
                             "diagnostics": []},
     "event_coverage": {"percentage": 34.1, "goal_percentage": 75},
     "dedupe_key_feedback": [{"dedupe_key": "event_id", "browser_events_with_dedupe_key": {"percentage": 100},
                              "server_events_with_dedupe_key": {"percentage": 100},
                              "overall_browser_coverage_from_dedupe_key": {"percentage": 14.8}}],
     "data_freshness": {"upload_frequency": "real_time"},
     "acr": {"percentage": 37.9, "description": "…"}},
    {"event_name": "AddToCart", "event_match_quality": {"composite_score": 5.1}},
]}


def bucket(hour: str, **counts: int) -> dict[str, Any]:
    return {"aggregation": "event", "start_time": f"2026-11-25T{hour}:00:00+0000",
            "data": [{"value": k, "count": v} for k, v in counts.items()]}


# WEB_ONLY spans three pages, the middle one empty but with next; SERVER_ONLY is one page.
STATS = {"WEB_ONLY": [[bucket("01", Purchase=3, AddToCart=5), bucket("02", Purchase=1)], [],
                      [bucket("03", Purchase=2)]],
         "SERVER_ONLY": [[bucket("01", Purchase=4)]]}


def graph_error(code: int, message: str, subcode: int | None = None, **extra: Any) -> dict[str, Any]:
    err = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC123"} | extra
    return {"error": err | ({"error_subcode": subcode} if subcode else {})}


class Graph:
    """graph.facebook.com as reference §5–6 describes it, for the pixels it knows."""

    def __init__(self, refuse: tuple[str, ...] = (), before: list[Reply] | None = None) -> None:
        self.refuse, self.before = refuse, list(before or [])

    def __call__(self, call: Call) -> Reply:
        if self.before:
            return self.before.pop(0)
        if call.headers.get("authorization") != f"Bearer {TOKEN}":
            return 400, {}, graph_error(190, "Error validating access token: Session has expired on Thursday, "
                                             "26-Nov-26 04:00:00 PST.", 463)
        q, parts = call.query, call.path.strip("/").split("/")
        if parts == ["v24.0", "dataset_quality"]:
            if q["dataset_id"] != PIXEL:
                return 400, {}, graph_error(100, f"Unsupported get request. Object with ID '{q['dataset_id']}' does "
                                                 "not exist, cannot be loaded due to missing permissions, or does not "
                                                 "support this operation.", 33)
            for name in self.refuse:
                if name in q["fields"]:
                    return 400, {}, graph_error(100, f"(#100) Tried accessing nonexisting field ({name}) on node "
                                                     "type (DatasetQuality)")
            return 200, {}, QUALITY
        if len(parts) == 3 and parts[2] == "stats" and parts[1] == PIXEL:
            pages = STATS[q["event_source"]]
            i = int(q.get("after", "c0")[1:])
            paging: dict[str, Any] = {"cursors": {"before": f"c{i}", "after": f"c{i + 1}"}}
            if i + 1 < len(pages):
                # As Graph writes it: the absolute URL with the access token in it.
                paging["next"] = (f"https://graph.facebook.com/v24.0/{PIXEL}/stats?access_token={TOKEN}"
                                  f"&aggregation=event&event_source={q['event_source']}&start_time={q['start_time']}"
                                  f"&end_time={q['end_time']}&limit=25&after=c{i + 1}")
            return 200, {}, {"data": pages[i], "paging": paging}
        return 404, {}, graph_error(100, "Unknown path components")


def backoff(waits: list[float]) -> list[float]:
    """The backoff steps behind jittered waits (each is its step less up to a quarter)."""
    steps = [0.5 * 2 ** i for i in range(len(waits))]
    assert all(0.75 * s <= w <= s for w, s in zip(waits, steps)), waits
    return steps


def settings(tmp_path: Path, pixels: list[str] = [PIXEL]) -> config.Config:
    toml = tmp_path / "capi-audit.toml"
    toml.write_text(f"[meta]\npixels = {json.dumps(pixels)}\n")
    return config.load(toml, env={})


def run_meta(tmp_path: Path, graph: Graph, waits: Waits | None = None, *, token: str = TOKEN,
             pixels: list[str] = [PIXEL], now: datetime = NOW, since: date | None = None,
             ) -> tuple[sync.Outcome, FakeServer]:
    with FakeServer(graph) as srv:
        env = {"META_ACCESS_TOKEN": token, "META_APP_SECRET": APP_SECRET, "META_GRAPH_URL": srv.url}
        [out] = sync.run(tmp_path / "db.duckdb", settings(tmp_path, pixels), "meta", since, env=env,
                         sleep=waits if waits is not None else Waits(), now=now)
    return out, srv


def rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(tmp_path / "db.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_quality_snapshot_and_every_stats_page(tmp_path: Path):
    out, srv = run_meta(tmp_path, Graph())
    assert (out.status, out.fetched, out.loaded, out.duplicates, out.rejected) == ("ok", 5, 6, 0, 0)
    assert rows(tmp_path, "SELECT event_name, composite_score, event_coverage_pct, acr_pct FROM meta_quality_events "
                          "ORDER BY 1") == [("AddToCart", 5.1, None, None), ("Purchase", 7.2, 34.1, 37.9)]
    assert rows(tmp_path, "SELECT identifier, coverage_pct FROM meta_quality_match_keys ORDER BY 1") == \
        [("email", 100.0), ("ip_address", 99.9)]
    assert rows(tmp_path, "SELECT fetched_at FROM meta_quality_snapshots") == [(datetime(2026, 11, 26, 6, 0),)]
    assert rows(tmp_path, "SELECT event_source, hour(hour), value, count FROM meta_stats ORDER BY ALL") == [
        ("SERVER_ONLY", 1, "Purchase", 4), ("WEB_ONLY", 1, "AddToCart", 5), ("WEB_ONLY", 1, "Purchase", 3),
        ("WEB_ONLY", 2, "Purchase", 1), ("WEB_ONLY", 3, "Purchase", 2)]
    # Every call went to our base URL with the token in the header, never in a URL; next only lent its cursor.
    stats = [c for c in srv.calls if c.path.endswith("/stats")]
    assert [(c.query["event_source"], c.query.get("after")) for c in stats] == \
        [("WEB_ONLY", None), ("WEB_ONLY", "c1"), ("WEB_ONLY", "c2"), ("SERVER_ONLY", None)]
    assert stats[1].query["limit"] == "25"
    proof = hmac.new(APP_SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    for c in srv.calls:
        assert c.headers["authorization"] == f"Bearer {TOKEN}" and TOKEN not in c.target
        assert c.query["appsecret_proof"] == proof
    # Hourly, the last 7 days: from an hour inside Meta's limit up to now.
    assert (int(stats[0].query["start_time"]), int(stats[0].query["end_time"])) == \
        (int(datetime(2026, 11, 19, 7, tzinfo=timezone.utc).timestamp()), int(NOW.timestamp()))
    fields = srv.calls[0].query["fields"]
    assert fields == ("web{event_name,event_match_quality,event_coverage,data_freshness,acr,"
                      "event_potential_aly_acr_increase,dedupe_key_feedback}")
    assert rows(tmp_path, "SELECT kind, path, status FROM ingestions ORDER BY ingestion_id") == [
        ("meta-quality", f"sync:meta/{PIXEL}/dataset_quality", "ok"), ("meta-stats", "sync:meta/stats", "ok")]
    assert rows(tmp_path, "SELECT source, cursor, last_status FROM sync_state") == [("meta", None, "ok")]


def test_a_resync_adds_nothing(tmp_path: Path):
    first, _ = run_meta(tmp_path, Graph())
    again, _ = run_meta(tmp_path, Graph())
    assert (again.status, again.fetched, again.loaded, again.duplicates) == ("ok", 5, 0, first.loaded)
    # A day later the counts are re-read (same rows, newer reading) and a new dated snapshot is kept.
    later, _ = run_meta(tmp_path, Graph(), now=datetime(2026, 11, 27, 6, tzinfo=timezone.utc))
    assert later.status == "ok"
    assert rows(tmp_path, "SELECT count(*) FROM meta_stats") == [(5,)]
    assert rows(tmp_path, "SELECT count(*) FROM meta_quality_snapshots") == [(2,)]


@pytest.mark.parametrize("refused, stored", [
    (("dedupe_key_feedback",), "dedup_key_feedback"),
    (("dedupe_key_feedback", "dedup_key_feedback"), None)])
def test_either_dedup_spelling_or_none(tmp_path: Path, refused: tuple[str, ...], stored: str | None):
    out, srv = run_meta(tmp_path, Graph(refuse=refused))
    assert out.status == "ok"
    quality = [c.query["fields"] for c in srv.calls if c.path.endswith("dataset_quality")]
    assert len(quality) == len(refused) + 1
    assert quality[-1].endswith(f",{stored}}}" if stored else "event_potential_aly_acr_increase}")


def test_agent_name_filters_and_is_kept(tmp_path: Path):
    toml = tmp_path / "capi-audit.toml"
    toml.write_text(f'[meta]\npixels = ["{PIXEL}"]\nagent_name = "mystack_1_2"\n')
    with FakeServer(Graph()) as srv:
        sync.run(tmp_path / "db.duckdb", config.load(toml, env={}), "meta", env={
            "META_ACCESS_TOKEN": TOKEN, "META_GRAPH_URL": srv.url}, sleep=Waits(), now=NOW)
    assert srv.calls[0].query["agent_name"] == "mystack_1_2" and "appsecret_proof" not in srv.calls[0].query
    assert rows(tmp_path, "SELECT agent_name FROM meta_quality_snapshots") == [("mystack_1_2",)]


def test_throttled_with_usage_header_waits_as_told(tmp_path: Path):
    usage = {"1122334455": [{"type": "ads_management", "call_count": 100, "total_cputime": 31, "total_time": 44,
                             "estimated_time_to_regain_access": 3}]}
    waits = Waits()
    graph = Graph(before=[
        (400, {"X-Business-Use-Case-Usage": json.dumps(usage)}, graph_error(80004, "There have been too many calls "
                                                                                  "to this ad-account.")),
        (403, {"X-App-Usage": json.dumps({"call_count": 100})}, graph_error(4, "Application request limit reached"))])
    out, _ = run_meta(tmp_path, graph, waits)
    assert out.status == "ok"
    assert waits[0] == 180.0                  # told: 3 minutes
    assert 0.75 <= waits[1] <= 1.0            # untold (code 4), on the second try: its backoff step, jittered


def test_transient_and_5xx_then_success(tmp_path: Path):
    waits = Waits()
    graph = Graph(before=[(500, {}, graph_error(2, "An unexpected error has occurred.", is_transient=True)),
                          (503, {"Content-Type": "text/html"}, "<html>Service Unavailable</html>"),
                          (400, {}, graph_error(1234, "Please retry", is_transient=True))])
    out, _ = run_meta(tmp_path, graph, waits)
    assert out.status == "ok" and backoff(waits) == [0.5, 1.0, 2.0]


def test_expired_token_is_a_sentence_and_moves_nothing(tmp_path: Path):
    stale = "EAAGstaleTOKEN9876543210"
    out, srv = run_meta(tmp_path, Graph(), token=stale)
    assert out.status == "failed" and len(srv.calls) == 1
    assert out.messages == [f"pixel {PIXEL}: Meta refused the access token because it expired (code 190, subcode 463). "
                            "Create a new system-user token (Business Settings → Users → System users → Generate new "
                            "token) and set META_ACCESS_TOKEN."]
    assert rows(tmp_path, "SELECT count(*) FROM meta_quality_snapshots") == [(0,)]
    [(status,)] = rows(tmp_path, "SELECT last_status FROM sync_state WHERE source = 'meta'")
    assert status.startswith("failed: pixel 1234567890: Meta refused the access token") and stale not in status


def test_missing_permission_names_it(tmp_path: Path):
    graph = Graph(before=[(403, {}, graph_error(200, "(#200) Missing Permission"))])
    out, _ = run_meta(tmp_path, graph)
    assert out.status == "failed"
    assert out.messages == [f"pixel {PIXEL}: Meta says the token may not read /v24.0/dataset_quality (code 200): "
                            "“(#200) Missing Permission”. The token needs ads_read plus ads_management or "
                            "business_management, and its system user must be assigned to the pixel (Business "
                            "Settings → Data sources → Datasets)."]


def test_an_unknown_dataset_fails_alone(tmp_path: Path):
    out, _ = run_meta(tmp_path, Graph(), pixels=["999", PIXEL])
    assert out.status == "partial" and out.loaded == 6
    assert len(out.messages) == 1 and out.messages[0].startswith(
        "pixel 999: Meta knows no dataset 999, or this token cannot see it (code 100): “Unsupported get request.")
    assert "Check the id under [meta] pixels" in out.messages[0]


def test_a_bad_parameter_shows_the_message(tmp_path: Path):
    graph = Graph(before=[(400, {}, graph_error(100, "(#100) param end_time must be after start_time"))])
    out, _ = run_meta(tmp_path, graph)
    assert out.messages == [f"pixel {PIXEL}: Meta rejected a parameter of /v24.0/dataset_quality (code 100): "
                            "“(#100) param end_time must be after start_time”. Check [meta] pixels and graph_version "
                            "in capi-audit.toml."]


def test_malformed_json(tmp_path: Path):
    out, _ = run_meta(tmp_path, Graph(before=[(200, {"Content-Type": "application/json"}, '{"web": [')]))
    assert out.status == "failed" and out.messages == [
        f"pixel {PIXEL}: Meta answered /v24.0/dataset_quality with something that is not JSON (HTTP 200, "
        "application/json, 9 bytes). Check META_GRAPH_URL: is a proxy or a login page in the way?"]


def test_since_inside_the_seven_days_narrows_stats(tmp_path: Path):
    _, srv = run_meta(tmp_path, Graph(), since=date(2026, 11, 24))
    start = {c.query["start_time"] for c in srv.calls if c.path.endswith("/stats")}
    assert start == {str(int(datetime(2026, 11, 24, tzinfo=timezone.utc).timestamp()))}
