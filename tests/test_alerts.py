"""Alerts: the checklist posted to a Slack-compatible incoming webhook on 127.0.0.1 (real HTTP, injected sleep)."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from analysis import alerts, config
from analysis.alerts import NotifyError, message, send
from analysis.cli import main
from tests.scenario import Scenario, h, sev, ud
from tests.test_connectors_http import Call, FakeServer, Reply, Waits, scripted

TOKEN = "Xq7ZbV3kLmN9pR2sT4uW6yA8"                  # the incoming webhook's secret part
HOOK = f"/services/T0ABCD123/B0EFGH456/{TOKEN}"
OK: Reply = (200, {"Content-Type": "text/plain"}, "ok")
EVIL = "<!channel> <https://evil|x>"
EMAILS = ("alice.smith@example.com", "bob@example.org", "carol+shop@example.net", "dave@example.com")
NO_SERVICE = ("The webhook answered 404 (no_service): the URL is wrong or the webhook was removed; create a new "
              "incoming webhook and set CAPI_AUDIT_NOTIFY_URL.")


def item(id_: str, status: str, evidence: str) -> dict[str, Any]:
    return {"id": id_, "title": f"Title of {id_}", "status": status, "evidence": evidence, "details": {"x": 1}}


def report(*items: dict[str, Any], pixel: str | None = None) -> dict[str, Any]:
    return {"window": {"since": "2026-10-08", "until": "2026-10-14", "timezone": "UTC"},
            "previous_window": {"since": "2026-10-01", "until": "2026-10-07", "timezone": "UTC"},
            "pixel_id": pixel, "events": [{"pixel_id": "111"}], "checklist": list(items)}


def texts(payload: dict[str, Any]) -> list[str]:
    """Every string Slack would render from the payload."""
    out = [payload["text"]]
    for b in payload["blocks"]:
        if "text" in b:
            out.append(b["text"]["text"])
        out += [e["text"] for e in b.get("elements", [])]
    return out


# ------------------------------------------------------------------------------------------- message()

MIXED = report(item("emq", "warn", "Purchase 7.4 < 8 target."), item("volume", "pass", "0 of 7 days flagged."),
               item("dedup", "fail", "Purchase: event_id on 50% of browser events (< 90%)."),
               item("coverage", "unknown", "No priority event has server events in both windows."))


def test_failing_then_warning_items_with_their_evidence_and_a_header():
    p = message(MIXED)
    assert p["blocks"][0]["text"]["text"] == ("*capi-audit: 1 failing, 1 warning — 2026-10-08 … 2026-10-14 (UTC) "
                                              "pixel 111*")
    assert [b["text"]["text"] for b in p["blocks"][1:3]] == [
        ":red_circle: *Title of dedup* (fail)\nPurchase: event_id on 50% of browser events (&lt; 90%).",
        ":large_yellow_circle: *Title of emq* (warn)\nPurchase 7.4 &lt; 8 target."]
    assert p["blocks"][3] == {"type": "context", "elements": [
        {"type": "mrkdwn", "text": "1 pass, 1 warn, 1 fail, 1 unknown; compared with 2026-10-01 … 2026-10-07"}]}
    assert p["text"].splitlines() == [
        "capi-audit: 1 failing, 1 warning — 2026-10-08 … 2026-10-14 (UTC) pixel 111",
        ":red_circle: Title of dedup (fail): Purchase: event_id on 50% of browser events (&lt; 90%).",
        ":large_yellow_circle: Title of emq (warn): Purchase 7.4 &lt; 8 target."]
    body = json.dumps(p)
    assert "Title of volume" not in body and "0 of 7 days" not in body          # passing items stay out
    assert "Title of coverage" not in body                                      # unknown too, by default
    assert '"x"' not in body                                                    # never the details
    assert p["unfurl_links"] is False and p["unfurl_media"] is False


def test_unknown_items_join_under_strict_and_the_pixel_filter_names_the_pixel():
    p = message(MIXED, include_unknown=True)
    assert p["blocks"][0]["text"]["text"].startswith("*capi-audit: 1 failing, 1 warning, 1 unknown — ")
    assert p["blocks"][3]["text"]["text"].startswith(":white_circle: *Title of coverage* (unknown)")
    assert "pixel 987" in message(report(item("emq", "fail", "x"), pixel="987"))["text"]


def test_nothing_when_nothing_fails_or_warns_unless_always():
    calm = report(item("emq", "pass", "ok"), item("volume", "unknown", "no orders"))
    assert message(calm) is None and message(report()) is None
    assert message(calm, include_unknown=True) is not None
    p = message(calm, always=True)
    assert p["text"].splitlines() == ["capi-audit: 0 failing, 0 warning — 2026-10-08 … 2026-10-14 (UTC) pixel 111",
                                      ":large_green_circle: Nothing fails or warns."]


def test_input_names_are_escaped_so_they_cannot_link_or_mention():
    p = message(report(item("privacy", "fail", f"{EVIL}: no server events (7 browser); R&D <b>."), pixel="<@U123>"))
    for t in texts(p):
        assert "<" not in t and ">" not in t.replace("&gt;", "")
    assert "&lt;!channel&gt; &lt;https://evil|x&gt;: no server events (7 browser); R&amp;D &lt;b&gt;." in p["text"]
    assert "pixel &lt;@U123&gt;" in p["blocks"][0]["text"]["text"]


def test_emails_never_leave_even_inside_a_name():
    p = message(report(item("emq", "fail", "Signup dave@example.com 4.0 < 8 target; a.b+c@x.co.uk too.")))
    body = json.dumps(p)
    assert "@" not in body and "Signup [email removed] 4.0 &lt; 8 target; [email removed] too." in p["text"]


def test_long_evidence_is_cut_within_slack_limits_never_inside_an_entity():
    p = message(report(item("dedup", "fail", "<" * 5000)))
    section = p["blocks"][1]["text"]["text"]
    assert len(section) <= 3000 and section.endswith("&lt;…")
    assert len(p["text"]) < 1200


# ------------------------------------------------------------------------------------------- send()

def hook_app(*replies: Reply):
    """A Slack-like webhook: only HOOK exists (404 no_service elsewhere), answering `replies` in order."""
    queue = scripted(*replies)

    def app(call: Call) -> Reply:
        if call.path != HOOK:
            return 404, {"Content-Type": "text/plain"}, "no_service"
        return queue(call)
    return app


def opts(**kw: Any) -> dict[str, Any]:
    return {"jitter": lambda: 0.0, "timeout": 2.0} | kw


def test_send_posts_json_to_the_webhook():
    payload = message(MIXED)
    with FakeServer(hook_app(OK)) as srv:
        send(srv.url + HOOK, payload, sleep=Waits(), **opts())
    call = srv.calls[0]
    assert call.method == "POST" and call.path == HOOK and call.json() == payload
    assert call.headers["content-type"] == "application/json"


def test_503_then_200_is_retried_through_the_injected_sleep():
    waits = Waits()
    with FakeServer(hook_app((503, {}, "busy"), OK)) as srv:
        send(srv.url + HOOK, {"text": "x"}, sleep=waits, **opts())
    assert waits == [0.5] and len(srv.calls) == 2 and srv.calls[1].json() == {"text": "x"}


def test_429_waits_as_told_and_a_passed_client_is_used():
    waits = Waits()
    with FakeServer(hook_app((429, {"Retry-After": "3"}, "rate_limited"), OK)) as srv:
        with alerts._client(srv.url + HOOK, waits, **opts()) as client:
            send(srv.url + HOOK, {"text": "x"}, client=client)
            assert client.inspect is None                      # borrowed for the call only
    assert waits == [3.0] and len(srv.calls) == 2


def test_404_no_service_is_one_try_and_a_sentence():
    waits = Waits()
    with FakeServer(hook_app(OK)) as srv:
        with pytest.raises(NotifyError) as info:
            send(srv.url + "/services/T0ABCD123/B0EFGH456/WRONGtoken12345", {"text": "x"}, sleep=waits, **opts())
    assert str(info.value) == NO_SERVICE and waits == [] and len(srv.calls) == 1


@pytest.mark.parametrize("reply, said", [
    ((403, {}, "invalid_token"), "The webhook answered 403 (invalid_token): the webhook's token is no longer valid"),
    ((410, {}, "channel_is_archived"),
     "The webhook answered 410 (channel_is_archived): the webhook's channel is archived"),
    ((400, {}, "invalid_payload"), "The webhook answered 400 (invalid_payload): the service did not accept"),
    ((404, {}, "<html>Not Found</html>"), "The webhook answered 404: the URL is wrong or the webhook was removed"),
    ((403, {}, {"error": "action_prohibited"}), "The webhook answered 403 (action_prohibited): a workspace admin"),
])
def test_other_refusals_are_final_sentences(reply: Reply, said: str):
    waits = Waits()
    with FakeServer(hook_app(reply)) as srv:
        with pytest.raises(NotifyError, match="^" + said.replace("(", r"\(").replace(")", r"\)")):
            send(srv.url + HOOK, {"text": "x"}, sleep=waits, **opts())
    assert waits == [] and len(srv.calls) == 1


def test_retries_are_bounded_and_the_token_never_shows(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    waits = Waits()
    with FakeServer(hook_app((503, {}, f"down, token {TOKEN}"))) as srv:
        with pytest.raises(NotifyError) as info:
            send(srv.url + HOOK, {"text": "x"}, sleep=waits, **opts(max_retries=2))
    assert str(info.value).startswith("The webhook answered HTTP 503, still after 3 tries over ")
    assert "run the check again later" in str(info.value) and "sync" not in str(info.value)
    assert waits == [0.5, 1.0] and len(srv.calls) == 3
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)       # httpx logged each URL …
    for r in caplog.records:                                                     # … without the token
        assert TOKEN not in r.getMessage() and "B0EFGH456" not in r.getMessage()


def test_a_wait_longer_than_allowed_is_not_waited():
    waits = Waits()
    with FakeServer(hook_app((429, {"Retry-After": "3600"}, "rate_limited"))) as srv:
        with pytest.raises(NotifyError, match=r"^The webhook answered HTTP 429 and asks to wait 3600 s, longer than "
                                              r"the 60 s a check waits"):
            send(srv.url + HOOK, {"text": "x"}, sleep=waits, **opts(max_wait=60))
    assert waits == []


def test_an_unreachable_webhook_is_retried_then_a_sentence():
    with FakeServer(hook_app(OK)) as srv:
        url = srv.url + HOOK
    waits = Waits()                                   # the port is closed now
    with pytest.raises(NotifyError, match=r"^The webhook could not be reached \(ConnectError.*still after 2 tries"):
        send(url, {"text": "x"}, sleep=waits, **opts(max_retries=1))
    assert waits == [0.5]


@pytest.mark.parametrize("url, said", [
    ("ftp://hooks.example/x", "The webhook URL (ftp://hooks.example/…) is not an http(s) address"),
    ("hooks.slack.com/services/T/B/SECRETabc123", "The webhook URL ((a URL without scheme://host, not shown))"),
    ("http://hooks.example/services/SECRETabc123", "The webhook: http://hooks.example is plain http"),
])
def test_addresses_that_cannot_be_posted_to(url: str, said: str):
    with pytest.raises(NotifyError) as info:
        alerts.validate(url)
    assert str(info.value).startswith(said) and "SECRET" not in str(info.value)


def test_redact_url_keeps_scheme_and_host_only():
    assert alerts.redact_url("https://hooks.slack.com/services/T0/B0/" + TOKEN) == "https://hooks.slack.com/…"
    assert alerts.redact_url("https://user:pw@chat.example:8443/hooks/abc?token=t") == "https://chat.example:8443/…"
    assert alerts.redact_url("https://chat.example") == "https://chat.example"


# ------------------------------------------------------------------------------------------- check --notify

def _week(sc: Scenario, first_day: int, user: dict[str, Any], orders: bool) -> None:
    """10 paired Purchases a day for 7 days, each with its order (plaintext email) when `orders`."""
    for d in range(first_day, first_day + 7):
        for k in range(10):
            oid = f"{d}{k:02d}"
            sc.server(sev("Purchase", f"2026-10-{d:02d}T10:{k:02d}:00", f"order-{oid}", user,
                          custom_data={"order_id": oid, "value": 10.0, "currency": "USD"}))
            sc.browser("Purchase", f"2026-10-{d:02d}T10:{k:02d}:01", f"order-{oid}")
            if orders:
                sc.order(oid, f"2026-10-{d:02d}T09:{k:02d}:00", email=EMAILS[k % 2], phone="+1 650 555 1212")


@pytest.fixture
def troubled(tmp_path: Path) -> tuple[Scenario, list[str]]:
    """Week 2 vs week 1: plaintext emails sent as `em` (coverage fails), a repeated server copy (dedup warns),
    a browser-only priority event named to inject a mention and one named with an email (privacy fails);
    orders (with plaintext emails) match every Purchase (volume passes)."""
    sc = Scenario(tmp_path)
    good = ud("em", "ph", "fbp", "client_ip_address", "client_user_agent")
    _week(sc, 1, good, orders=True)
    _week(sc, 8, ud("ph", "fbp", "client_ip_address", "client_user_agent", em=EMAILS[0]), orders=True)
    sc.server(sev("Purchase", "2026-10-09T10:00:30", "order-900", ud("ph", "fbp", "client_ip_address",
                                                                      "client_user_agent", em=EMAILS[2]),
                  custom_data={"order_id": "900", "value": 10.0, "currency": "USD"}))
    for d in range(8, 15):
        sc.browser(EVIL, f"2026-10-{d:02d}T12:00:00", f"e{d}")
        sc.browser(f"Signup {EMAILS[3]}", f"2026-10-{d:02d}T12:30:00", f"s{d}")
    sc.ingest()
    toml = tmp_path / "capi-audit.toml"
    toml.write_text('[priority_events]\nPurchase = { tier = 1, target = 8.0 }\n'
                    f'{json.dumps(EVIL)} = {{ tier = 2, target = 6.5 }}\n'
                    f'{json.dumps("Signup " + EMAILS[3])} = {{ tier = 2, target = 6.5 }}\n')
    return sc, ["--db", str(sc.db), "--config", str(toml), "check", "--since", "2026-10-08", "--until", "2026-10-14"]


def _no_secret_anywhere(capsys: pytest.CaptureFixture[str], sc: Scenario) -> str:
    out = capsys.readouterr()
    for text in (out.out, out.err):
        assert TOKEN not in text and "B0EFGH456" not in text and HOOK not in text
    for f in sc.tmp.iterdir():                       # the database (and anything next to it) never stores it
        if f.is_file():
            assert TOKEN.encode() not in f.read_bytes(), f
    return out.err


def test_check_notify_posts_failing_and_warning_items_only(troubled, capsys, monkeypatch):
    monkeypatch.delenv("CAPI_AUDIT_NOTIFY_URL", raising=False)
    sc, args = troubled
    with FakeServer(hook_app(OK)) as srv:
        assert main(args + ["--format", "json"]) == 1           # the checklist's exit code stands
        checklist = {i["id"]: i for i in json.loads(capsys.readouterr().out)["checklist"]}
        capsys.readouterr()
        assert main(args + ["--notify", srv.url + HOOK]) == 1
    statuses = {k: i["status"] for k, i in checklist.items()}
    assert statuses == {"emq": "warn", "volume": "pass", "dedup": "warn", "coverage": "fail",
                        "deployments": "unknown", "privacy": "fail"}
    assert len(srv.calls) == 1
    raw = srv.calls[0].body.decode()
    posted = srv.calls[0].json()
    body = json.dumps(posted, ensure_ascii=False)
    assert posted["blocks"][0]["text"]["text"] == ("*capi-audit: 2 failing, 2 warning — 2026-10-08 … 2026-10-14 "
                                                   "(UTC) pixel 111*")
    for k, i in checklist.items():
        if i["status"] in ("fail", "warn"):
            assert i["title"] in body
            assert alerts._clean(i["evidence"], 3000) in body
        else:
            assert i["title"] not in body and alerts._clean(i["evidence"], 3000) not in body
    # The injected name arrives escaped: no mention, no link.
    assert "&lt;!channel&gt; &lt;https://evil|x&gt;" in body
    assert "<!channel>" not in raw and "<https://evil" not in raw and "<" not in body
    # No personal data: not the plaintext emails of the orders or the events, not one in an event name.
    for text in (raw, body):
        assert "@" not in text and not any(e in text for e in EMAILS) and h(EMAILS[0]) not in text
    err = _no_secret_anywhere(capsys, sc)
    assert f"Posted 4 checklist items to the webhook ({srv.url}/…)." in err


def test_check_notify_404_is_a_sentence_and_exit_2(troubled, capsys):
    sc, args = troubled
    with FakeServer(hook_app(OK)) as srv:
        url = srv.url + f"/services/T0ABCD123/B0EFGH456/{TOKEN}-removed"
        assert main(args + ["--notify", url]) == 2
    err = _no_secret_anywhere(capsys, sc)
    assert f"The alert was not delivered to {srv.url}/…: {NO_SERVICE} Exit 2." in " ".join(err.split())
    assert len(srv.calls) == 1


def test_check_notify_exit_2_after_retries(troubled, capsys, monkeypatch):
    sc, args = troubled
    waits = Waits()
    monkeypatch.setattr(alerts, "_sleep", waits)
    monkeypatch.setenv("CAPI_AUDIT_SYNC__MAX_RETRIES", "2")
    with FakeServer(hook_app((502, {}, "bad gateway"))) as srv:
        assert main(args + ["--notify", srv.url + HOOK]) == 2
    assert len(srv.calls) == 3 and len(waits) == 2
    err = " ".join(_no_secret_anywhere(capsys, sc).split())
    assert "The webhook answered HTTP 502, still after 3 tries" in err and "2 fail" in err


def test_nothing_posted_when_everything_passes(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CAPI_AUDIT_NOTIFY_URL", raising=False)
    sc = Scenario(tmp_path)
    good = ud("em", "ph", "fbp", "client_ip_address", "client_user_agent")
    _week(sc, 1, good, orders=False)
    _week(sc, 8, good, orders=False)
    sc.ingest()
    args = ["--db", str(sc.db), "check", "--since", "2026-10-08", "--until", "2026-10-14"]
    with FakeServer(hook_app(OK)) as srv:
        assert main(args + ["--notify", srv.url + HOOK]) == 0
        assert srv.calls == []
        assert "Nothing posted to http://127.0.0.1:" in _no_secret_anywhere(capsys, sc)
        assert main(args + ["--notify", srv.url + HOOK, "--notify-always"]) == 0
        assert len(srv.calls) == 1 and "Nothing fails or warns" in srv.calls[0].json()["text"]
        assert "Posted an all-clear to the webhook (http://127.0.0.1:" in _no_secret_anywhere(capsys, sc)
        # --strict: unknown items fail the check, so they are posted too.
        assert main(args + ["--notify", srv.url + HOOK, "--strict"]) == 1
        assert len(srv.calls) == 2 and ":white_circle:" in srv.calls[1].json()["text"]
    _no_secret_anywhere(capsys, sc)


def test_the_url_from_the_environment_posts_and_is_never_printed(troubled, capsys, monkeypatch):
    sc, args = troubled
    with FakeServer(hook_app(OK)) as srv:
        monkeypatch.setenv("CAPI_AUDIT_NOTIFY_URL", srv.url + HOOK)
        assert main(args) == 1 and len(srv.calls) == 1             # the setting alone posts
        assert main(args + ["--no-notify"]) == 1 and len(srv.calls) == 1
        assert main(["config"]) == 0
    _no_secret_anywhere(capsys, sc)                              # `config` printed it redacted
    cfg = config.load(env={"CAPI_AUDIT_NOTIFY_URL": "https://hooks.slack.com/services/T/B/" + TOKEN})
    assert cfg["notify_url"].endswith(TOKEN)
    rows = {name: (value, source) for name, value, source in config.describe(cfg)}
    assert rows["notify_url"] == ("https://hooks.slack.com/…", "env CAPI_AUDIT_NOTIFY_URL")


def test_notify_url_with_its_token_is_refused_in_the_settings_file(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CAPI_AUDIT_NOTIFY_URL", raising=False)
    toml = tmp_path / "capi-audit.toml"
    toml.write_text(f'notify_url = "https://hooks.slack.com/services/T/B/{TOKEN}"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["config"]) == 2
    captured = capsys.readouterr()
    assert "CAPI_AUDIT_NOTIFY_URL" in captured.err and TOKEN not in captured.out + captured.err


def test_a_bad_url_fails_before_the_report(troubled, capsys):
    sc, args = troubled
    assert main(args + ["--notify", f"http://hooks.example/services/{TOKEN}"]) == 2
    err = " ".join(_no_secret_anywhere(capsys, sc).split())
    assert "plain http" in err and "capi-audit check" not in err        # no table was printed
