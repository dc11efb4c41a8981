"""Small, hand-checkable sample files of every input kind: one story on 2026-10-01..03."""

from __future__ import annotations

import json
import urllib.parse
from datetime import datetime
from pathlib import Path

from analysis.demo.catalog import (AGENTS, CANONICAL_COLUMNS, ELIGIBLE, KINDS, PIXEL_ID, PRODUCTS, SHOP,
                                   SHOPIFY_COLUMNS, VAT, DAY, Person, Visit)
from analysis.demo.files import compact_json, csv_text, iso, write_deployments
from analysis.demo.meta import stats_page
from analysis.demo.normalization import hashed_user_data, national_digits, sha256

def _ts(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _sample_person(cid: str, first: str, last: str, email: str, phone: str, city: str, state: str, zip_code: str,
                   country: str) -> Person:
    p = Person(cid, first, last, email, phone, city, state, zip_code, country, {})
    p.hashed = hashed_user_data(p)
    return p


_SAMPLE_PEOPLE = {p.cid: p for p in (
    _sample_person("7340000000101", "Mary", "Smith", "Mary.Smith@example.com", "(415) 555-0132", "San Francisco",
                   "CA", "94103", "US"),
    _sample_person("7340000000102", "Oliver", "Taylor", "oliver.taylor@example.com", "07700 900123", "London", "",
                   "SW1A 1AA", "GB"),
    _sample_person("7340000000103", "Lena", "Müller", "lena.muller@example.com", "0151 23456789", "München", "",
                   "80331", "DE"),
    _sample_person("7340000000104", "James", "O'Connor", "james.oconnor@example.com", "(212) 555-0147", "New York",
                   "NY", "10001-2345", "US"),
    _sample_person("7340000000105", "Chloé", "Dubois", "chloe.dubois@example.com", "06 39 98 12 34", "Paris", "",
                   "75002", "FR"),
    _sample_person("7340000000106", "Liam", "Tremblay", "liam.tremblay@example.com", "(416) 555-0199", "Toronto",
                   "ON", "M5V 2T6", "CA"),
    _sample_person("7340000000107", "Emily", "Davis", "emily.davis@example.com", "", "Boston", "MA", "02134", "US"),
    _sample_person("7340000000108", "Ava", "Jones", "ava.jones@example.com", "07700 900456", "Manchester", "",
                   "M1 1AE", "GB"),
    _sample_person("7340000000109", "Noah", "Kim", "noah.kim@example.com", "(312) 555-0110", "Chicago", "IL",
                   "60611", "US"),
    _sample_person("7340000000110", "Sophie", "Clarke", "sophie.clarke@example.com", "07700 900789", "Leeds", "",
                   "LS1 4AP", "GB"),
    _sample_person("7340000000111", "Jonas", "Weber", "jonas.weber@example.com", "0176 55501234", "Berlin", "",
                   "10115", "DE"),
    _sample_person("7340000000112", "Megan", "Brown", "megan.brown@example.com", "(512) 555-0171", "Austin", "TX",
                   "78701", "US"),
    _sample_person("7340000000113", "Hugo", "Martin", "hugo.martin@example.com", "06 39 98 45 67", "Lyon", "",
                   "69002", "FR"),
    _sample_person("7340000000114", "Zoé", "Roy", "zoe.roy@example.com", "(514) 555-0123", "Montréal", "QC",
                   "H2X 1Y4", "CA"),
    _sample_person("7340000000115", "Harry", "Evans", "harry.evans@example.com", "07700 900321", "Bristol", "",
                   "BS1 4ST", "GB"),
    _sample_person("7340000000116", "Ethan", "Miller", "ethan.miller@example.com", "(206) 555-0188", "Seattle", "WA",
                   "98101", "US"),
)}
# order number, created_at, customer id suffix, total, status, channel (the canonical orders.csv)
_SAMPLE_ORDERS = (
    ("1001", "2026-10-01T09:14:07Z", "101", "74.50", "paid", "web"),
    ("1002", "2026-10-01T10:02:41Z", "102", "129.00", "paid", "web"),
    ("1003", "2026-10-01T11:30:12Z", "103", "58.00", "paid", "web"),
    ("1004", "2026-10-01T12:00:03Z", "104", "212.40", "paid", "web"),
    ("1005", "2026-10-01T14:45:55Z", "105", "45.00", "paid", "web"),
    ("1006", "2026-10-01T16:20:30Z", "106", "99.95", "paid", "web"),
    ("1007", "2026-10-01T18:05:09Z", "107", "32.00", "partially_refunded", "web"),
    ("1008", "2026-10-01T20:40:00Z", "108", "150.00", "paid", "web"),
    ("1009", "2026-10-02T08:10:22Z", "101", "64.00", "paid", "web"),
    ("1010", "2026-10-02T09:55:48Z", "109", "28.00", "paid", "web"),
    ("1011", "2026-10-02T11:12:13Z", "110", "89.00", "paid", "web"),
    ("1012", "2026-10-02T13:33:33Z", "111", "118.00", "paid", "web"),
    ("1013", "2026-10-02T15:01:44Z", "112", "49.00", "pending", "web"),
    ("1014", "2026-10-02T17:45:05Z", "113", "78.00", "paid", "web"),
    ("1015", "2026-10-03T09:20:00Z", "102", "45.00", "paid", "web"),
    ("1016", "2026-10-03T10:10:10Z", "114", "84.00", "paid", "web"),
    ("1017", "2026-10-03T12:30:00Z", "115", "64.00", "paid", "web"),
    ("1018", "2026-10-03T14:00:00Z", "116", "39.00", "refunded", "web"),
    ("1019", "", "109", "22.00", "paid", "web"),  # bad: no created_at
    ("1020", "2026-10-03T19:00:00Z", "107", "n/a", "paid", "pos"),  # bad: total is not a number
)
_UA_IPHONE, _UA_CHROME = AGENTS[0][0], AGENTS[2][0]


def _sample_visit(n: int, safari: bool = False, clicked: bool = False) -> Visit:
    fbc = f"fb.1.17592{n:02d}000000.IwAR2xK9vQpLm7ZrT4bNcY8sHd3FgJ6wEa1Ue5Oi{n:02d}" if clicked else None
    return Visit(f"203.0.113.{10 + n}", _UA_IPHONE if safari else _UA_CHROME,
                  f"fb.1.17590{n:02d}000000.{1_000_000_000 + 7919 * n}", fbc, fbc, False)


def _sample_purchase(order: str, visit: Visit, **ud_changes: object) -> dict:
    number, created, cid, total, _, _ = next(o for o in _SAMPLE_ORDERS if o[0] == order)
    person = _SAMPLE_PEOPLE["7340000000" + cid]
    ud: dict = dict(person.hashed)
    ud.update(client_ip_address=visit.ip, client_user_agent=visit.ua, fbp=visit.fbp)
    if visit.fbc:
        ud["fbc"] = visit.fbc
    ud.update(ud_changes)
    return {"event_name": "Purchase", "event_time": _ts(created) + 4, "event_id": f"order-{number}",
            "action_source": "website", "event_source_url": f"{SHOP}/checkouts/cn/c1s{number}/thank-you",
            "user_data": ud, "custom_data": {"value": float(total), "currency": "USD", "order_id": number,
                                             "content_ids": [PRODUCTS[int(number) % len(PRODUCTS)][3]],
                                             "content_type": "product"}}


def _sample_upper(name: str, eid: str, iso: str, visit: Visit, product: int) -> dict:
    handle, _, price, pid = PRODUCTS[product]
    url = f"{SHOP}/checkouts/cn/c1s1017" if name == "InitiateCheckout" else f"{SHOP}/products/{handle}"
    ud = {"client_ip_address": visit.ip, "client_user_agent": visit.ua, "fbp": visit.fbp}
    return {"event_name": name, "event_time": _ts(iso), "event_id": eid, "action_source": "website",
            "event_source_url": url, "user_data": ud,
            "custom_data": {"value": price, "currency": "USD", "content_ids": [pid], "content_type": "product"}}


def _envelope(sent: str, events: list, response: dict | None = None, **request: object) -> dict:
    body = {"data": events, **request}
    ok = {"status": 200, "body": {"events_received": len(events), "messages": [], "fbtrace_id": "AbC1dEf2GhI"}}
    return {"pixel_id": PIXEL_ID, "sent_at": sent, "request": body, "response": response or ok}


def _browser_copy(event: dict, name: str | None = None, fbc: str | None = None) -> dict:
    ud = event["user_data"]
    return {"pixel_id": PIXEL_ID, "event_name": name or event["event_name"], "event_id": event["event_id"],
            "event_time": int(event["event_time"]) - 1, "event_source_url": event["event_source_url"],
            "fbp": ud["fbp"], "fbc": fbc if fbc is not None else ud.get("fbc"),
            "client_user_agent": ud["client_user_agent"], "client_ip_address": ud["client_ip_address"],
            "custom_data": {k: v for k, v in event["custom_data"].items() if k in ("value", "currency", "content_ids")}}


def _pixel_url(event: dict, ts_ms: int) -> str:
    """The image-pixel request fbevents.js sends for an event (query order as fbevents.js writes it)."""
    ud, cd = event["user_data"], event["custom_data"]
    params = [("id", PIXEL_ID), ("ev", event["event_name"]), ("dl", event["event_source_url"]),
              ("rl", f"{SHOP}/"), ("if", "false"), ("ts", str(ts_ms))]
    params += [(f"cd[{k}]", json.dumps(val) if isinstance(val, list) else f"{val:.2f}" if k == "value" else str(val))
               for k, val in cd.items()]
    params += [("sw", "390"), ("sh", "844"), ("v", "2.9.176"), ("r", "stable"), ("ec", "1"), ("o", "4126"),
               ("fbp", ud["fbp"])]
    if ud.get("fbc"):
        params.append(("fbc", ud["fbc"]))
    if isinstance(ud.get("em"), str) and "@" not in ud["em"]:
        params.append(("ud[em]", ud["em"]))  # automatic advanced matching, hashed by fbevents.js
    params += [("eid", event["event_id"]), ("it", str(ts_ms - 4211)), ("coo", "false"), ("rqm", "GET")]
    return "https://www.facebook.com/tr/?" + urllib.parse.urlencode(params)


def _har_entry(started: str, method: str, url: str, mime: str, post: list[tuple[str, str]] | None = None) -> dict:
    parsed = urllib.parse.urlsplit(url)
    request: dict = {"method": method, "url": url, "httpVersion": "http/2.0",
                     "headers": [{"name": "user-agent", "value": _UA_IPHONE}],
                     "queryString": [{"name": k, "value": v} for k, v in urllib.parse.parse_qsl(parsed.query)],
                     "cookies": [], "headersSize": -1, "bodySize": 0}
    if post is not None:
        text = urllib.parse.urlencode(post)
        request["postData"] = {"mimeType": "application/x-www-form-urlencoded",
                               "params": [{"name": k, "value": v} for k, v in post], "text": text}
        request["bodySize"] = len(text)
    return {"startedDateTime": started, "time": 41.7, "request": request,
            "response": {"status": 200, "statusText": "", "httpVersion": "http/2.0", "headers": [], "cookies": [],
                         "content": {"size": 44, "mimeType": mime}, "redirectURL": "", "headersSize": -1,
                         "bodySize": 44},
            "cache": {}, "timings": {"blocked": 1.2, "dns": -1, "ssl": -1, "connect": -1, "send": 0.2,
                                     "wait": 39.1, "receive": 1.2}}


def write_samples(out_dir: Path) -> dict[str, list[Path]]:
    """Write small hand-checkable input files of every kind (a few deliberately bad records) into out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    v = {n: _sample_visit(n, safari=n % 3 == 0, clicked=n in (1, 6, 16)) for n in range(1, 20)}
    p = {o[0]: _sample_purchase(o[0], v[int(o[0]) - 1000]) for o in _SAMPLE_ORDERS[:18]}
    p["1007"]["event_time"] = str(p["1007"]["event_time"])  # a string of digits
    p["1008"]["event_time"] = p["1008"]["event_time"] * 1000 + 250  # milliseconds
    p["1011"] = _sample_purchase("1011", v[11], em="sophie.clarke@example.com")  # plaintext email
    p["1012"] = _sample_purchase("1012", v[12], em=[_SAMPLE_PEOPLE["7340000000111"].hashed["em"],
                                                    sha256("j.weber@example.org")])
    p["1015"] = _sample_purchase("1015", v[15], ph=sha256(national_digits("07700 900123")))  # no country code
    p["1016"]["user_data"]["fbc"] = v[16].fbc.lower()  # the fbclid lowercased by the server
    atc = _sample_upper("AddToCart", "atc-5e1f0a2b9c01", "2026-10-01T10:01:30Z", v[19], 2)
    session = [_sample_upper("ViewContent", "vc-7d21c4e0aa17", "2026-10-03T12:24:05Z", v[17], 0),
               _sample_upper("AddToCart", "atc-7d21c4e0aa18", "2026-10-03T12:26:40Z", v[17], 0),
               _sample_upper("InitiateCheckout", "ic-7d21c4e0aa19", "2026-10-03T12:28:02Z", v[17], 0)]
    lead = {"event_name": "Lead", "event_time": _ts("2026-10-03T14:02:11Z"), "event_id": "lead-3f9a11c2d4e5",
            "action_source": "website", "event_source_url": f"{SHOP}/pages/newsletter",
            "user_data": {"em": sha256("new.subscriber@example.com"),
                          "client_ip_address": "2001:db8:85a3::8a2e:370:7334", "client_user_agent": _UA_CHROME,
                          "fbp": "fb.1.1759400000000.1122334455"},
            "custom_data": {"content_name": "newsletter"}}
    rejected = {"status": 400, "body": {"error": {
        "message": "Error validating access token: Session has expired on Friday, 02-Oct-26 01:00:00 PDT.",
        "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "Ax9kq3Lm0Zp"}}}
    view = _sample_upper("ViewContent", "vc-99aa01bc0d11", "2026-10-03T13:57:41Z", v[18], 5)
    cart = _sample_upper("AddToCart", "atc-99aa01bc0d12", "2026-10-03T13:58:52Z", v[18], 5)
    browse = _sample_upper("ViewContent", "vc-0c0ffee00001", "2026-10-03T16:45:00Z", v[4], 3)
    no_name = {k: val for k, val in cart.items() if k != "event_name"}
    form = urllib.parse.urlencode({"data": json.dumps([p["1006"]]), "access_token": "EAAB-sample-token"})
    server_lines = [
        compact_json(_envelope("2026-10-01T09:14:12Z", [p["1001"]])),
        compact_json(_envelope("2026-10-01T10:02:50Z", [atc, p["1002"]])),
        compact_json({"data": [p["1003"]]}),  # a bare request body
        compact_json(p["1004"]),  # a bare event
        compact_json(_envelope("2026-10-01T14:46:05Z", [json.dumps(p["1005"])])),  # items as JSON strings (Python SDK)
        compact_json({"pixel_id": PIXEL_ID, "sent_at": "2026-10-01T16:20:41Z", "request": form,
               "response": {"status": 200, "body": {"events_received": 1, "messages": [], "fbtrace_id": "Bq2"}}}),
        compact_json(_envelope("2026-10-01T18:05:20Z", [p["1007"]])),
        compact_json(_envelope("2026-10-01T20:40:09Z", [p["1008"]])),
        compact_json(_envelope("2026-10-02T08:10:30Z", [p["1009"]], rejected)),
        compact_json(_envelope("2026-10-02T09:55:58Z", [p["1010"]], test_event_code="TEST12345")),
        compact_json(_envelope("2026-10-02T11:12:20Z", [p["1011"]], partner_agent="shopstack-capi_3.0.0")),
        compact_json(_envelope("2026-10-02T13:33:40Z", [p["1012"]], partner_agent="shopstack-capi_3.0.0")),
        compact_json(_envelope("2026-10-02T15:01:50Z", [p["1013"]])),  # a Purchase for a pending order
        compact_json(_envelope("2026-10-02T17:45:12Z", [p["1014"]])),
        compact_json(_envelope("2026-10-02T18:15:12Z", [p["1014"]])),  # the same Purchase re-sent by a retry job
        compact_json(_envelope("2026-10-03T09:20:09Z", [p["1015"]])),
        compact_json(_envelope("2026-10-03T10:10:20Z", [p["1016"]])),
        compact_json(_envelope("2026-10-03T12:28:10Z", session)),
        compact_json(_envelope("2026-10-03T12:30:09Z", [p["1017"]])),
        compact_json(_envelope("2026-10-03T14:02:20Z", [p["1018"], lead])),
        compact_json(_envelope("2026-10-03T13:59:00Z", [no_name])),  # an event without event_name
        # not JSON: a line cut short
        '{"pixel_id": "1234567890", "sent_at": "2026-10-03T15:00:00Z", "request": {"data": [{"event_name": "Purch',
    ]
    browser = [_browser_copy(p[o]) for o in ("1001", "1002", "1003", "1004", "1005", "1006", "1011", "1013")]
    browser.insert(1, _browser_copy(atc))
    browser.append(_browser_copy(p["1014"], name="purchase"))  # the theme's lowercase event name
    browser.append(_browser_copy(p["1016"], fbc=v[16].fbc))  # the original, mixed-case fbc
    browser[2]["user_data"] = {"em": p["1002"]["user_data"]["em"]}  # advanced matching on one Purchase
    har_events = session + [p["1017"]]
    har_times = ["2026-10-03T12:24:04.310Z", "2026-10-03T12:26:39.120Z", "2026-10-03T12:28:01.870Z",
                 "2026-10-03T12:30:02.450Z"]
    entries = [_har_entry("2026-10-03T12:24:02.900Z", "GET", "https://connect.facebook.net/en_US/fbevents.js",
                          "application/x-javascript")]
    for event, started in zip(har_events, har_times):
        url = _pixel_url(event, _ts(started[:19] + "Z") * 1000 + int(started[20:23]))
        if event["event_name"] == "Purchase":  # fbevents.js POSTs when the URL would be too long
            fields = urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)
            entries.append(_har_entry(started, "POST", "https://www.facebook.com/tr/", "text/plain",
                                      [(k, "POST" if k == "rqm" else val) for k, val in fields]))
        else:
            entries.append(_har_entry(started, "GET", url, "image/gif"))
    entries.insert(2, _har_entry("2026-10-03T12:26:38.800Z", "POST", f"{SHOP}/cart/add.js", "application/json", []))
    har = {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
                   "pages": [{"startedDateTime": "2026-10-03T12:24:01.500Z", "id": "page_1",
                              "title": f"{SHOP}/products/merino-crew-sweater", "pageTimings": {}}],
                   "entries": entries}}
    log_events = [view, cart, p["1018"], lead, browse]
    log_lines = [f"{iso(e['event_time'])} {_pixel_url(e, e['event_time'] * 1000 - 850)}" for e in log_events[:-1]]
    log_lines.append(_pixel_url(browse, browse["event_time"] * 1000))  # a bare URL, no timestamp
    stats = _sample_stats(server_lines, browser, har_events + log_events)

    files: dict[str, list[tuple[str, str]]] = {
        "server-events": [("server-events.jsonl", "\n".join(server_lines) + "\n")],
        "browser-events": [("browser-events.jsonl", "\n".join(compact_json(b) for b in browser) + "\n"),
                           ("browser-events.har", json.dumps(har, indent=2) + "\n"),
                           ("pixel-requests.log", "\n".join(log_lines) + "\n")],
        "orders": [("orders.csv", _sample_canonical()), ("orders-shopify.csv", _sample_shopify()),
                   ("orders-custom.csv", _SAMPLE_CUSTOM)],
        "meta-quality": [("meta-quality.json", json.dumps(_SAMPLE_QUALITY, indent=2) + "\n")],
        "meta-stats": [("meta-stats.jsonl", "\n".join(compact_json(s) for s in stats) + "\n")],
    }
    paths: dict[str, list[Path]] = {kind: [] for kind in KINDS}
    for kind, named in files.items():
        for name, text in named:
            (out_dir / name).write_text(text)
            paths[kind].append(out_dir / name)
    write_deployments(out_dir / "deployments.csv", [
        (_ts("2026-10-02T10:30:00Z"), "server-sdk-3.0", "Upgrade the server-side tracking SDK to 3.0", "server",
         PIXEL_ID),
        (_ts("2026-10-02T16:00:00Z"), "theme-autumn", "Autumn theme: new homepage, PDP and thank-you page", "theme",
         ""),
        (_ts("2026-10-03T08:00:00Z"), "checkout-v2", "New one-page checkout with address autocomplete", "checkout",
         PIXEL_ID)])
    paths["deployments"].append(out_dir / "deployments.csv")
    return paths


def _sample_canonical() -> str:
    rows = []
    for number, created, cid, total, status, channel in _SAMPLE_ORDERS:
        c = _SAMPLE_PEOPLE["7340000000" + cid]
        updated = "2026-10-05T09:00:00Z" if status in ("refunded", "partially_refunded") else created
        rows.append([number, created, total, "USD", status, c.email, c.phone, c.first, c.last, c.city, c.state, c.zip,
                     c.country, c.cid, channel, "false", updated])
    return csv_text(CANONICAL_COLUMNS, rows)


def _sample_shopify() -> str:
    def row(name: str, cid: str, financial: str, created: str, items: list[tuple[int, int]], source: str = "web",
            cancelled: str = "") -> list[list[str]]:
        c = _SAMPLE_PEOPLE["7340000000" + cid]
        subtotal = sum(q * PRODUCTS[i][2] for q, i in items)
        vat = VAT.get(c.country)
        taxes = round(subtotal * vat / (1 + vat), 2) if vat else round(subtotal * 0.0725, 2)
        shipping = 0.0 if subtotal >= 75 or source == "pos" else 6.95
        total = subtotal + shipping + (0 if vat else taxes)
        paid = f"{created[:17]}{int(created[17:19]) // 2 + 30} +0000" if financial in ELIGIBLE else ""
        q, i = items[0]
        first = [name, c.email, financial, paid, "fulfilled" if paid and not cancelled else "unfulfilled", "USD",
                 f"{subtotal:.2f}", f"{shipping:.2f}", f"{taxes:.2f}", f"{total:.2f}", "", created, str(q),
                 PRODUCTS[i][1], f"{PRODUCTS[i][2]:.2f}", f"{c.first} {c.last}", c.phone, c.city, c.zip, c.state,
                 c.country, "", cancelled, source, str(6_130_412_350_000 + int(name[1:]))]
        more = [[name, *[""] * 11, str(q), PRODUCTS[i][1], f"{PRODUCTS[i][2]:.2f}", *[""] * 10] for q, i in items[1:]]
        return [first, *more]

    rows = [
        *row("#1021", "101", "paid", "2026-10-03 08:05:11 +0000", [(1, 0), (2, 3), (1, 6)]),  # three line items
        *row("#1022", "103", "paid", "2026-10-03 09:41:27 +0000", [(1, 1)]),
        *row("#1023", "105", "pending", "2026-10-03 11:02:45 +0000", [(1, 2)]),
        *row("#1024", "106", "refunded", "2026-10-03 12:15:00 +0000", [(1, 10)], cancelled="2026-10-03 18:00:00 +0000"),
        *row("#1025", "108", "paid", "2026-10-03 13:48:19 +0000", [(2, 9)], source="pos"),
        *row("#1026", "110", "partially_refunded", "2026-10-03 15:30:00 +0000", [(1, 14), (1, 4)]),
        *row("#1027", "113", "voided", "2026-10-03 17:12:09 +0000", [(1, 7)]),
        *row("#1028", "116", "paid", "2026-10-03 21:59:58 +0000", [(1, 5)], source="draft"),
    ]
    return csv_text(SHOPIFY_COLUMNS, rows)


_SAMPLE_CUSTOM = """OrderNumber,Date,Amount,Curr,State,Buyer,Channel
1029,2026-10-03T16:00:00+02:00,58.00,USD,paid,noah.kim@example.com,web
1030,2026-10-03T17:30:00+02:00,129.00,USD,paid,lena.muller@example.com,web
1031,2026-10-03T18:45:00+02:00,24.00,USD,refunded,ava.jones@example.com,web
1032,2026-10-03 19:15:00 -0400,89.00,USD,paid,,pos
1033,1791057600,45.00,USD,paid,zoe.roy@example.com,web
"""



_SAMPLE_QUALITY = {
    "pixel_id": PIXEL_ID,
    "fetched_at": "2026-10-03T06:00:00Z",
    "response": {"web": [
        {"event_name": "Purchase",
         "event_match_quality": {
             "composite_score": 7.9,
             "match_key_feedback": [{"identifier": ident, "coverage": {"percentage": pct}} for ident, pct in (
                 ("email", 85.7), ("phone", 92.9), ("ip_address", 100), ("user_agent", 100), ("external_id", 100),
                 ("fbc", 14.3), ("fbp", 100), ("first_name", 100), ("last_name", 100), ("city", 100),
                 ("state", 42.9), ("zip", 100), ("country", 100))],
             "diagnostics": [{"name": "Unhashed customer information parameters",
                              "description": "Your server is sending customer information parameters that are not "
                                             "hashed.",
                              "solution": "Hash em, ph and the other customer information parameters with SHA-256 "
                                          "before sending.",
                              "percentage": 7.1, "affected_event_count": 1, "total_event_count": 14}]},
         "event_coverage": {"percentage": 57.1, "goal_percentage": 75},
         "dedupe_key_feedback": [{"dedupe_key": "event_id",
                                  "browser_events_with_dedupe_key": {"percentage": 100},
                                  "server_events_with_dedupe_key": {"percentage": 100},
                                  "overall_browser_coverage_from_dedupe_key": {"percentage": 88.9}}],
         "data_freshness": {"upload_frequency": "real_time"}},
        {"event_name": "AddToCart",
         "event_match_quality": {
             "composite_score": 6.2,
             "match_key_feedback": [{"identifier": ident, "coverage": {"percentage": 100}}
                                    for ident in ("ip_address", "user_agent", "fbp")]},
         "event_coverage": {"percentage": 100, "goal_percentage": 75},
         "data_freshness": {"upload_frequency": "real_time"}},
    ]},
}


def _sample_stats(server_lines: list[str], browser: list[dict], pixel_events: list[dict]) -> list[dict]:
    """The /stats pages Meta would return for the samples: accepted server events and every pixel event, by hour."""
    hours: dict[tuple[str, int], dict[str, int]] = {}

    def add(source: str, name: str, t: int) -> None:
        bucket = hours.setdefault((source, t // 3600 * 3600), {})
        bucket[name] = bucket.get(name, 0) + 1

    for line in server_lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("response", {}).get("status", 200) != 200:
            continue
        request = record.get("request", record)
        if isinstance(request, str):
            request = {"data": json.loads(urllib.parse.parse_qs(request)["data"][0])}
        for event in request.get("data", [record]):
            event = json.loads(event) if isinstance(event, str) else event
            t = int(event["event_time"])
            if "event_name" in event:
                add("SERVER_ONLY", event["event_name"], t // 1000 if t > 10**11 else t)
    for b in browser:
        add("WEB_ONLY", b["event_name"], b["event_time"])
    for event in pixel_events:
        add("WEB_ONLY", event["event_name"], int(event["event_time"]))
    pages = []
    for day in ("2026-10-01", "2026-10-02", "2026-10-03"):
        start = _ts(day + "T00:00:00Z")
        for source in ("SERVER_ONLY", "WEB_ONLY"):
            buckets = [(h, hours[(source, h)]) for h in range(start, start + DAY, 3600) if (source, h) in hours]
            pages.append(stats_page(start + DAY + 6 * 3600 + 300, source, buckets, last=True))
    return pages

