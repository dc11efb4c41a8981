"""Ad account insights against a fake Graph API on 127.0.0.1: daily rows, cursor paging, throttling, errors, no token kept."""
from __future__ import annotations

import json
import logging
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from analysis import config
from analysis.cli import main
from analysis.connectors import sync
from analysis.ingest import Options, ingest_file
from tests.test_connectors_http import Call, FakeServer, Reply, Waits
from tests.test_connectors_meta import APP_SECRET, TOKEN, graph_error, rows

ACCOUNT = "act_5550001"
NOW = datetime(2026, 11, 26, 6, 0, 0, tzinfo=timezone.utc)


def day(d: str, spend: str, **actions: str) -> dict[str, Any]:
    return {"account_id": "5550001", "account_currency": "EUR", "spend": spend, "date_start": d, "date_stop": d,
            "actions": [{"action_type": k.replace("__", "."), "value": v} for k, v in actions.items()] or None}


# Three pages, the middle one empty but with next. Day 23 reports both purchase types (the aggregate wins);
# day 24 only the pixel's; day 25 spent and sold nothing (Meta omits actions that are zero).
PAGES = [[day("2026-11-23", "120.50", purchase="4", offsite_conversion__fb_pixel_purchase="3", link_click="80"),
          day("2026-11-24", "99.00", offsite_conversion__fb_pixel_purchase="2")],
         [],
         [day("2026-11-25", "40.00")]]


class Ads:
    """graph.facebook.com's /act_<id>/insights as the Marketing API documents it."""

    def __init__(self, pages: list[list[dict[str, Any]]] = PAGES, before: list[Reply] | None = None) -> None:
        self.pages, self.before = pages, list(before or [])

    def __call__(self, call: Call) -> Reply:
        if self.before:
            return self.before.pop(0)
        if call.headers.get("authorization") != f"Bearer {TOKEN}":
            return 400, {}, graph_error(190, "Error validating access token: Session has expired.", 463)
        parts, q = call.path.strip("/").split("/"), call.query
        if parts != ["v24.0", ACCOUNT, "insights"]:
            return 400, {}, graph_error(100, f"Unsupported get request. Object with ID '{parts[1]}' does not exist.", 33)
        i = int(q.get("after", "c0")[1:])
        paging: dict[str, Any] = {"cursors": {"before": f"c{i}", "after": f"c{i + 1}"}}
        if i + 1 < len(self.pages):
            paging["next"] = (f"https://graph.facebook.com/v24.0/{ACCOUNT}/insights?access_token={TOKEN}"
                              f"&level=account&limit=100&after=c{i + 1}")
        return 200, {}, {"data": self.pages[i], "paging": paging}


def settings(tmp_path: Path, accounts: list[str] = [ACCOUNT]) -> config.Config:
    toml = tmp_path / "capi-audit.toml"
    toml.write_text(f"[meta]\nad_accounts = {json.dumps(accounts)}\n")
    return config.load(toml, env={})


def run(tmp_path: Path, ads: Ads, waits: Waits | None = None, *, token: str = TOKEN, accounts: list[str] = [ACCOUNT],
        since: date | None = None, now: datetime = NOW) -> tuple[sync.Outcome, FakeServer]:
    with FakeServer(ads) as srv:
        env = {"META_ACCESS_TOKEN": token, "META_APP_SECRET": APP_SECRET, "META_GRAPH_URL": srv.url}
        [out] = sync.run(tmp_path / "db.duckdb", settings(tmp_path, accounts), "meta-insights", since, env=env,
                         sleep=waits if waits is not None else Waits(), now=now)
    return out, srv


STORED = [("act_5550001", date(2026, 11, 23), 120.5, "EUR", 4.0, "purchase"),
          ("act_5550001", date(2026, 11, 24), 99.0, "EUR", 2.0, "offsite_conversion.fb_pixel_purchase"),
          ("act_5550001", date(2026, 11, 25), 40.0, "EUR", 0.0, None)]
Q = "SELECT ad_account_id, day, spend, currency, purchases, purchase_action FROM ad_insights ORDER BY day"


def test_daily_rows_from_every_page_by_cursor(tmp_path: Path):
    out, srv = run(tmp_path, Ads())
    assert (out.status, out.fetched, out.loaded, out.duplicates, out.rejected, out.cursor) == \
        ("ok", 3, 3, 0, 0, "2026-11-25")
    assert rows(tmp_path, Q) == STORED
    assert [c.query.get("after") for c in srv.calls] == [None, "c1", "c2"]
    first = srv.calls[0].query
    assert (first["level"], first["time_increment"], first["fields"], json.loads(first["time_range"])) == (
        "account", "1", "spend,actions,cost_per_action_type,date_start,date_stop,account_currency,account_id",
        {"since": "2026-08-27", "until": "2026-11-25"})   # yesterday, and sync.initial_days (90) before it
    for c in srv.calls:
        assert c.headers["authorization"] == f"Bearer {TOKEN}" and TOKEN not in c.target
    assert rows(tmp_path, "SELECT kind, path, status FROM ingestions") == [
        ("meta-insights", "sync:meta-insights", "ok")]
    assert rows(tmp_path, "SELECT source, cursor, last_status FROM sync_state") == [("meta-insights", "2026-11-25", "ok")]


def test_the_next_sync_rereads_a_week_and_a_newer_reading_wins(tmp_path: Path):
    run(tmp_path, Ads())
    revised = [[day("2026-11-23", "120.50", purchase="5")], [], PAGES[2]]
    out, srv = run(tmp_path, Ads(revised), now=datetime(2026, 11, 27, 6, tzinfo=timezone.utc))
    assert json.loads(srv.calls[0].query["time_range"]) == {"since": "2026-11-18", "until": "2026-11-26"}
    # Both days re-read are newer readings (fetched_at), so both replace the stored ones; day 24 is kept.
    assert (out.status, out.loaded, out.duplicates) == ("ok", 2, 0)
    assert rows(tmp_path, "SELECT day, purchases FROM ad_insights ORDER BY day") == [
        (date(2026, 11, 23), 5.0), (date(2026, 11, 24), 2.0), (date(2026, 11, 25), 0.0)]


def test_purchase_action_types_is_a_setting(tmp_path: Path):
    toml = tmp_path / "capi-audit.toml"
    toml.write_text(f'[meta]\nad_accounts = ["{ACCOUNT}"]\npurchase_action_types = '
                    '["offsite_conversion.fb_pixel_purchase"]\n')
    with FakeServer(Ads()) as srv:
        sync.run(tmp_path / "db.duckdb", config.load(toml, env={}), "meta-insights",
                 env={"META_ACCESS_TOKEN": TOKEN, "META_GRAPH_URL": srv.url}, sleep=Waits(), now=NOW)
    assert rows(tmp_path, "SELECT day, purchases FROM ad_insights ORDER BY day") == [
        (date(2026, 11, 23), 3.0), (date(2026, 11, 24), 2.0), (date(2026, 11, 25), 0.0)]


def test_throttled_ad_account_waits_as_told(tmp_path: Path):
    usage = {"5550001": [{"type": "ads_insights", "call_count": 100, "total_cputime": 20, "total_time": 30,
                          "estimated_time_to_regain_access": 2}]}
    waits = Waits()
    ads = Ads(before=[(400, {"X-Business-Use-Case-Usage": json.dumps(usage)},
                       graph_error(80000, "There have been too many calls from this ad-account.")),
                      (400, {}, graph_error(17, "User request limit reached"))])
    out, srv = run(tmp_path, ads, waits)
    assert out.status == "ok" and rows(tmp_path, Q) == STORED
    assert waits[0] == 120.0                   # told: 2 minutes
    assert 0.75 <= waits[1] <= 1.0             # untold (code 17): the second backoff step, jittered
    assert len(srv.calls) == 5


def test_expired_token_is_a_sentence_and_moves_nothing(tmp_path: Path):
    stale = "EAAGstaleTOKEN9876543210"
    out, _ = run(tmp_path, Ads(), token=stale)
    assert out.status == "failed" and out.cursor is None
    assert out.messages == [f"{ACCOUNT}: Meta refused the access token because it expired (code 190, subcode 463). "
                            "Create a new system-user token (Business Settings → Users → System users → Generate new "
                            "token) and set META_ACCESS_TOKEN."]
    assert rows(tmp_path, "SELECT count(*) FROM ad_insights") == [(0,)]
    assert rows(tmp_path, "SELECT cursor, last_status LIKE 'failed: act_5550001: Meta refused%' FROM sync_state") == [
        (None, True)]


def test_missing_ads_read_names_it_and_other_accounts_load(tmp_path: Path):
    out, _ = run(tmp_path, Ads(before=[(403, {}, graph_error(200, "(#200) Missing Permission"))]),
                 accounts=["act_77", ACCOUNT])
    assert out.status == "partial" and out.loaded == 3 and out.cursor is None
    assert out.messages == ["act_77: Meta says the token may not read the insights of act_77 (code 200): "
                            "“(#200) Missing Permission”. The token needs ads_read, and its system user must be "
                            "assigned to the ad account (Business Settings → Accounts → Ad accounts)."]


def test_a_malformed_account_id_says_how_to_write_it(tmp_path: Path):
    out, srv = run(tmp_path, Ads(), accounts=["acct-12"])
    assert out.status == "failed" and not srv.calls
    assert out.messages == ["'acct-12' is not an ad account id; write it as \"act_\" and its digits under [meta] "
                            "ad_accounts in capi-audit.toml (Ads Manager shows it)."]


def test_no_token_in_output_logs_or_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    db = tmp_path / "db.duckdb"
    (tmp_path / "capi-audit.toml").write_text(f'[meta]\nad_accounts = ["{ACCOUNT}", "act_99"]\n[sync]\nmax_retries = 2\n')
    monkeypatch.chdir(tmp_path)
    with FakeServer(Ads(before=[(503, {}, ""), (400, {}, graph_error(4, "limit"))])) as srv:
        monkeypatch.setenv("META_GRAPH_URL", srv.url)
        monkeypatch.setenv("META_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("META_APP_SECRET", APP_SECRET)
        assert main(["--db", str(db), "sync", "--source", "meta-insights"]) == 1    # act_99 is unknown: partial
        monkeypatch.setenv("META_ACCESS_TOKEN", TOKEN + "-expired")
        assert main(["--db", str(db), "sync", "--source", "meta-insights"]) == 1
    captured = capsys.readouterr()
    assert "Meta refused the access token" in captured.err and "Meta knows no ad account act_99" in captured.err
    stored = db.read_bytes() + (Path(str(db) + ".wal").read_bytes() if Path(str(db) + ".wal").exists() else b"")
    texts = {"stdout": captured.out, "stderr": captured.err, "database": stored.decode("latin-1"),
             "logs": "\n".join(r.getMessage() for r in caplog.records)}
    for where, text in texts.items():
        assert TOKEN not in text and APP_SECRET not in text, where
    assert rows(tmp_path, "SELECT count(*) FROM ad_insights") == [(3,)]


def test_a_saved_response_goes_through_the_same_parser(tmp_path: Path):
    saved = tmp_path / "insights.json"
    saved.write_text(json.dumps({"data": PAGES[0] + PAGES[2] + [
        day("2026-11-26", "-3"), {**day("2026-11-27", "1"), "date_stop": "2026-11-28"},
        day("2026-11-28", "5", purchase="two")], "paging": {"next": f"https://x/?access_token={TOKEN}"}}))
    res = ingest_file(tmp_path / "db.duckdb", "meta-insights", saved, Options(at="2026-11-26T06:00:00Z"))
    assert (res.loaded, res.rejected) == (3, 3)
    assert [r.reason for r in res.rejects] == [
        "data item 4: spend is not a non-negative number",
        "data item 5: spans 2026-11-27 to 2026-11-28, not one day; fetch with time_increment=1",
        "data item 6: the purchase action's value is not a non-negative number"]
    assert rows(tmp_path, Q) == STORED
    assert rows(tmp_path, "SELECT DISTINCT fetched_at FROM ad_insights") == [(datetime(2026, 11, 26, 6),)]


def test_saved_envelopes_with_a_bad_account_or_error_are_counted_rejects(tmp_path: Path):
    saved = tmp_path / "insights.jsonl"
    saved.write_text("\n".join([
        json.dumps({"ad_account_id": "acct-9", "fetched_at": "2026-11-26T06:00:00Z", "response": {"data": PAGES[0]}}),
        json.dumps({"ad_account_id": ACCOUNT, "fetched_at": "2026-11-26T06:00:00Z",
                    "response": graph_error(190, "expired")}),
        "{not json",
        json.dumps({"ad_account_id": ACCOUNT, "fetched_at": "2026-11-26T06:00:00Z", "response": {"data": PAGES[2]}}),
    ]) + "\n")
    res = ingest_file(tmp_path / "db.duckdb", "meta-insights", saved, Options())
    assert (res.rows_read, res.loaded) == (4, 1)
    assert [(r.line, r.reason) for r in res.rejects] == [
        (1, "ad_account_id is not an ad account id (act_ and its digits)"),
        (2, "response is a Graph API error (code 190), not insights; fetch the page again"),
        (3, "line is not valid JSON")]
    assert rows(tmp_path, "SELECT day, spend, purchases FROM ad_insights") == [(date(2026, 11, 25), 40.0, 0.0)]
