"""Tests for the demo store generator and the sample files."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from analysis.demo import (
    ELIGIBLE,
    KINDS,
    generate,
    national_digits,
    normalize_phone,
    sha256,
    timeline,
    write_samples,
)

DAYS, ORDERS_PER_DAY, END = 10, 30, date(2026, 11, 22)
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[Path]]]:
    out = tmp_path_factory.mktemp("demo")
    return out, generate(out, days=DAYS, orders_per_day=ORDERS_PER_DAY, end=END)


def _ts(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def _shopify_ts(value: str) -> int:
    return int(datetime.strptime(value, "%Y-%m-%d %H:%M:%S %z").timestamp())


def _orders(paths: list[Path]) -> dict[str, dict[str, str]]:
    """Shopify export rows → one dict per order (the first row of each Name carries the order's columns)."""
    orders: dict[str, dict[str, str]] = {}
    for path in paths:
        with path.open(newline="") as f:
            for row in csv.DictReader(f):
                orders.setdefault(row["Name"].lstrip("#"), row)
    return orders


def _requests(paths: list[Path]) -> list[dict]:
    return [json.loads(line) for path in paths for line in path.read_text().splitlines()]


def _server_events(paths: list[Path]) -> list[tuple[dict, dict]]:
    return [(req, ev) for req in _requests(paths) for ev in req["request"]["data"]]


def test_normalizer_matches_metas_test_vectors() -> None:
    assert sha256("John_Smith@gmail.com".strip().lower()) == \
        "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
    assert normalize_phone("(650)555-1212", "US") == "16505551212"
    assert sha256(normalize_phone("(650)555-1212", "US")) == \
        "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"
    assert normalize_phone("07700 900123", "GB") == "447700900123"
    assert normalize_phone("+49 151 23456789", "DE") == "4915123456789"
    assert national_digits("07700 900123") == "7700900123"


def test_default_timeline_dates() -> None:
    tl = timeline()
    when = {name: datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
            for t, name, *_ in tl.deployments()}
    assert tl.start == date(2026, 8, 25)
    assert when == {"copy-tweaks": "2026-09-18T15:18Z", "checkout-v2": "2026-09-29T09:12Z",
                    "theme-autumn": "2026-10-14T14:06Z", "theme-autumn-hotfix": "2026-10-21T10:30Z",
                    "server-sdk-3.0": "2026-10-28T16:45Z", "gtm-consent-banner": "2026-11-09T11:00Z"}
    iso = lambda t: datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%MZ")  # noqa: E731
    assert (iso(tl.outage_start), iso(tl.outage_end)) == ("2026-11-03T03:00Z", "2026-11-05T15:00Z")
    assert iso(tl.atc_event_id_break) == "2026-11-15T13:00Z"
    # the unannotated break has no deployment within 5 days
    assert min(abs(t - tl.atc_event_id_break) for t, *_ in tl.deployments()) > 5 * 86400


def test_same_seed_same_bytes(demo: tuple[Path, dict[str, list[Path]]], tmp_path: Path) -> None:
    out, paths = demo
    again = generate(tmp_path, days=DAYS, orders_per_day=ORDERS_PER_DAY, end=END)
    assert set(paths) == set(KINDS) == set(again)
    for kind in KINDS:
        assert [p.relative_to(out) for p in paths[kind]] == [p.relative_to(tmp_path) for p in again[kind]]
        for a, b in zip(paths[kind], again[kind]):
            assert a.read_bytes() == b.read_bytes(), a
    other = generate(tmp_path / "other", seed=8, days=2, orders_per_day=ORDERS_PER_DAY, end=END)
    assert other["orders"][0].read_bytes() != paths["orders"][0].read_bytes()


def test_file_layout(demo: tuple[Path, dict[str, list[Path]]]) -> None:
    out, paths = demo
    assert [p.name for p in paths["server-events"]] == [f"2026-11-{d}.jsonl" for d in range(13, 23)]
    assert [p.name for p in paths["browser-events"]] == [f"2026-11-{d}.jsonl" for d in range(13, 23)]
    assert [p.name for p in paths["meta-stats"]] == [f"2026-11-{d}.jsonl" for d in range(13, 23)]
    assert [p.name for p in paths["meta-quality"]] == [f"2026-11-{d}.json" for d in range(14, 23)]
    assert [p.name for p in paths["orders"]] == ["2026-11-13_2026-11-22.csv"]
    assert paths["deployments"] == [out / "deployments" / "deployments.csv"]
    with paths["orders"][0].open(newline="") as f:
        assert next(csv.reader(f))[:4] == ["Name", "Email", "Financial Status", "Paid at"]


def test_every_line_parses_and_events_are_complete(demo: tuple[Path, dict[str, list[Path]]]) -> None:
    _, paths = demo
    server = _server_events(paths["server-events"])
    assert server
    for request, event in server:
        assert request["pixel_id"] == "1234567890" and request["sent_at"].endswith("Z")
        assert 1 <= len(request["request"]["data"]) <= 5
        assert event["event_name"] and isinstance(event["event_time"], int)
        assert event["action_source"] == "website" and event["event_source_url"].startswith("https://")
        assert _ts(request["sent_at"]) >= min(event["event_time"], event["event_time"] // 1000)
    browser = [json.loads(line) for p in paths["browser-events"] for line in p.read_text().splitlines()]
    for event in browser:
        assert {"pixel_id", "event_name", "event_id", "event_time", "fbp"} <= set(event)
    for path in paths["meta-stats"]:
        pages = [json.loads(line) for line in path.read_text().splitlines()]
        assert [p["params"]["event_source"] for p in pages] == ["SERVER_ONLY"] * 2 + ["WEB_ONLY"] * 2
        assert ["next" in p["response"]["paging"] for p in pages] == [True, False, True, False]
    for path in paths["meta-quality"]:
        snapshot = json.loads(path.read_text())
        assert snapshot["fetched_at"].endswith("T06:00:00Z")
        for entry in snapshot["response"]["web"]:
            assert 0 < entry["event_match_quality"]["composite_score"] <= 10


def test_purchases_follow_the_orders(demo: tuple[Path, dict[str, list[Path]]]) -> None:
    _, paths = demo
    orders = _orders(paths["orders"])
    eligible = {n for n, o in orders.items()
                if o["Source"] == "web" and not o["Cancelled at"] and o["Financial Status"] in ELIGIBLE}
    pending = {n for n, o in orders.items() if o["Source"] == "web" and o["Financial Status"] == "pending"}
    copies: dict[str, list[str]] = {}
    for _, event in _server_events(paths["server-events"]):
        if event["event_name"] == "Purchase":
            copies.setdefault(event["event_id"].removeprefix("order-"), []).append(json.dumps(event))
    sent = set(copies)
    assert eligible <= sent  # one Purchase per eligible web order ...
    assert sent - eligible <= pending  # ... plus a few for pending orders, and none for pos/draft/voided/cancelled
    for number in sent:
        assert len(set(copies[number])) == 1  # a repeat is the same event re-sent
    per_day = Counter(orders[n]["Created at"][:10] for n in sent)
    expected = Counter(orders[n]["Created at"][:10] for n in eligible | (sent & pending))
    assert per_day == expected
    for number in sent:
        event = json.loads(copies[number][0])
        assert event["custom_data"]["value"] == float(orders[number]["Total"])
        assert event["custom_data"]["order_id"] == number


def test_outage_rejects_every_request_and_nothing_else(demo: tuple[Path, dict[str, list[Path]]]) -> None:
    _, paths = demo
    tl = timeline(DAYS, END)
    inside = outside = 0
    for request in _requests(paths["server-events"]):
        response = request["response"]
        if tl.outage_start <= _ts(request["sent_at"]) < tl.outage_end:
            inside += 1
            assert response["status"] == 400
            assert (response["body"]["error"]["code"], response["body"]["error"]["error_subcode"]) == (190, 463)
        else:
            outside += 1
            assert response["status"] == 200
            assert response["body"]["events_received"] == len(request["request"]["data"])
    assert inside > 10 and outside > inside


def test_checkout_v2_drops_the_country_code_on_purchase_phones(demo: tuple[Path, dict[str, list[Path]]]) -> None:
    _, paths = demo
    tl = timeline(DAYS, END)
    orders = _orders(paths["orders"])
    before = after = 0
    for _, event in _server_events(paths["server-events"]):
        order = orders.get(event.get("event_id", "").removeprefix("order-"))
        if event["event_name"] != "Purchase" or not order or not order["Billing Phone"]:
            continue
        phone, country = order["Billing Phone"], order["Billing Country"]
        if _shopify_ts(order["Created at"]) >= tl.checkout_v2:
            after += country == "GB"
            assert event["user_data"]["ph"] == sha256(national_digits(phone))
            if country == "GB":
                assert national_digits(phone).startswith("7700")
        else:
            before += country == "GB"
            assert event["user_data"]["ph"] == sha256(normalize_phone(phone, country))
    assert before and after


def test_server_sdk_3_plaintext_em_and_lowercased_fbc(demo: tuple[Path, dict[str, list[Path]]]) -> None:
    _, paths = demo
    tl = timeline(DAYS, END)
    plain, with_em, mixed_before = 0, 0, 0
    for _, event in _server_events(paths["server-events"]):
        ud, t = event["user_data"], event["event_time"]
        t = t // 1000 if t > 10**11 else t
        if t >= tl.server_sdk_3:
            if "em" in ud:
                with_em += 1
                plain += "@" in ud["em"]
            if "fbc" in ud:
                assert ud["fbc"] == ud["fbc"].lower()
        else:
            assert "@" not in ud.get("em", "")
            mixed_before += "fbc" in ud and ud["fbc"] != ud["fbc"].lower()
    assert 0.3 < plain / with_em < 0.5
    assert mixed_before > 0


def test_theme_autumn_lowercases_the_pixel_purchase_until_the_hotfix(
        demo: tuple[Path, dict[str, list[Path]]]) -> None:
    _, paths = demo
    tl = timeline(DAYS, END)
    names: dict[bool, Counter] = {True: Counter(), False: Counter()}
    for path in paths["browser-events"]:
        for line in path.read_text().splitlines():
            event = json.loads(line)
            if event["event_id"].startswith("order-"):
                names[tl.theme_autumn <= event["event_time"] < tl.theme_autumn_hotfix][event["event_name"]] += 1
    assert set(names[True]) == {"purchase"} and set(names[False]) == {"Purchase"}


def test_unannotated_break_drops_event_id_on_server_add_to_cart(demo: tuple[Path, dict[str, list[Path]]]) -> None:
    _, paths = demo
    tl = timeline(DAYS, END)
    seen = {True: Counter(), False: Counter()}
    for _, event in _server_events(paths["server-events"]):
        if event["event_name"] == "AddToCart":
            seen[event["event_time"] >= tl.atc_event_id_break]["event_id" in event] += 1
        else:
            assert "event_id" in event
    assert seen[False][False] == 0
    assert 0.45 < seen[True][False] / sum(seen[True].values()) < 0.75


def test_browser_copies_share_ids_and_lose_about_a_quarter(demo: tuple[Path, dict[str, list[Path]]]) -> None:
    _, paths = demo
    server = {e["event_id"]: e for _, e in _server_events(paths["server-events"]) if "event_id" in e}
    browser = [json.loads(line) for p in paths["browser-events"] for line in p.read_text().splitlines()]
    atc_without_id = sum(1 for _, e in _server_events(paths["server-events"]) if "event_id" not in e)
    assert 0.6 < len(browser) / (len(server) + atc_without_id) < 0.85
    for b in browser:
        if b["event_id"] in server:
            s = server[b["event_id"]]
            assert b["event_name"].lower() == s["event_name"].lower()
            assert b["fbp"] == s["user_data"]["fbp"]
            assert 0 <= s["event_time"] - b["event_time"] <= 5 or s["event_time"] > 10**11


def test_meta_stats_count_what_meta_accepted(demo: tuple[Path, dict[str, list[Path]]]) -> None:
    _, paths = demo
    accepted: Counter = Counter()
    for request, event in _server_events(paths["server-events"]):
        if request["response"]["status"] == 200:
            t = event["event_time"] // 1000 if event["event_time"] > 10**11 else event["event_time"]
            accepted[(datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d"), event["event_name"])] += 1
    pixel: Counter = Counter()
    for path in paths["browser-events"]:
        for line in path.read_text().splitlines():
            pixel[(path.stem, json.loads(line)["event_name"])] += 1
    reported: dict[str, Counter] = {"SERVER_ONLY": Counter(), "WEB_ONLY": Counter()}
    for path in paths["meta-stats"]:
        for line in path.read_text().splitlines():
            page = json.loads(line)
            for hour in page["response"]["data"]:
                for row in hour["data"]:
                    reported[page["params"]["event_source"]][(hour["start_time"][:10], row["value"])] += row["count"]
    assert reported["SERVER_ONLY"] == accepted
    assert reported["WEB_ONLY"] == pixel


def test_meta_quality_snapshots(demo: tuple[Path, dict[str, list[Path]]], tmp_path: Path) -> None:
    _, paths = demo
    snapshots = [json.loads(p.read_text()) for p in paths["meta-quality"]]
    without = [s for s in snapshots if not any("dedupe_key_feedback" in e for e in s["response"]["web"])]
    assert len(without) == 3
    purchase = [next(e for e in s["response"]["web"] if e["event_name"] == "Purchase") for s in snapshots]
    scores = [e["event_match_quality"]["composite_score"] for e in purchase]
    assert scores[0] >= 8.2 and scores[-1] <= scores[0] - 0.4  # checkout-v2 and server-sdk-3.0 pull it down
    last = purchase[-1]
    keys = {k["identifier"] for k in last["event_match_quality"]["match_key_feedback"]}
    assert {"email", "phone", "ip_address", "user_agent", "external_id", "fbp", "country"} <= keys
    assert {d["name"] for d in last["event_match_quality"]["diagnostics"]} == {
        "Unhashed customer information parameters", "Server sending modified fbclid values"}
    # Meta's percentages are 0-100: the ingest rejects anything else, so the demo must never write it
    # (a small demo, where a day's paired server events can outnumber its browser copies, wrote more than 100 %).
    small = tmp_path / "small"
    snapshots += [json.loads(p.read_text()) for p in generate(small, days=20, orders_per_day=40, end=END)["meta-quality"]]
    for entry in (e for s in snapshots for e in s["response"]["web"]):
        shares = [entry.get("event_coverage", {}).get("percentage", 0)]
        shares += [f[k]["percentage"] for f in entry.get("dedupe_key_feedback", []) for k in f if "percentage" in f[k]]
        assert all(0 <= x <= 100 for x in shares), (entry["event_name"], shares)


def test_samples_cover_every_kind(tmp_path: Path) -> None:
    paths = write_samples(tmp_path)
    assert set(paths) == set(KINDS)
    for kind in KINDS:
        assert paths[kind] and all(p.exists() and p.stat().st_size > 0 for p in paths[kind]), kind
    lines = (tmp_path / "server-events.jsonl").read_text().splitlines()
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            parsed.append(None)
    assert 18 <= len(lines) <= 24 and parsed.count(None) == 1
    text = "\n".join(lines)
    for needle in ('"code":190', '"test_event_code":"TEST12345"', '"em":"sophie.clarke@example.com"', '"em":["',
                   '"request":"data=', '"data":["{', '"event_time":"17'):
        assert needle in text, needle
    har = json.loads((tmp_path / "browser-events.har").read_text())
    urls = [e["request"]["url"] for e in har["log"]["entries"]]
    assert sum("facebook.com/tr" in u for u in urls) == 4 and len(urls) == 6
    assert [e["request"]["method"] for e in har["log"]["entries"] if "facebook.com/tr" in e["request"]["url"]
            ].count("POST") == 1
    with (tmp_path / "orders-shopify.csv").open(newline="") as f:
        names = [row["Name"] for row in csv.DictReader(f)]
    assert len(set(names)) == 8 and len(names) > 8


def test_committed_samples_are_current(tmp_path: Path) -> None:
    paths = write_samples(tmp_path)
    for path in (p for kind in KINDS for p in paths[kind]):
        committed = REPO / "data" / "samples" / path.name
        assert committed.read_bytes() == path.read_bytes(), f"run write_samples(Path('data/samples')): {path.name}"
