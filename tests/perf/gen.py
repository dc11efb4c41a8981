"""Synthetic CAPI envelope lines for benchmarks (deterministic, no personal data)."""
from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime, timezone
from pathlib import Path


def write_envelopes(path: Path, events: int, *, per_request: int = 4, seed: int = 1) -> int:
    """Write about `events` server events as JSONL envelopes; returns the events written."""
    rnd = random.Random(seed)
    hashes = [hashlib.sha256(f"user{i}@example.com".encode()).hexdigest() for i in range(5000)]
    base = 1_759_300_000
    written = 0
    with open(path, "w", encoding="utf-8") as fh:
        req = 0
        while written < events:
            n = min(per_request, events - written)
            t = base + req * 3
            data = []
            for k in range(n):
                i = written + k
                u = rnd.randrange(5000)
                data.append({
                    "event_name": rnd.choice(("Purchase", "AddToCart", "ViewContent", "InitiateCheckout")),
                    "event_time": t - rnd.randrange(60), "event_id": f"ev-{i}", "action_source": "website",
                    "event_source_url": "https://shop.example.com/p/1",
                    "user_data": {"em": [hashes[u]], "ph": [hashes[(u * 7) % 5000]], "external_id": [str(u)],
                                  "client_ip_address": f"203.0.{u % 256}.{i % 256}",
                                  "client_user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0",
                                  "fbp": f"fb.1.{(t - 86400) * 1000}.{1000000000 + u}",
                                  "fbc": f"fb.1.{(t - 3600) * 1000}.IwAR{u:08d}AbCdEf" if i % 3 == 0 else None},
                    "custom_data": {"value": round(rnd.uniform(5, 300), 2), "currency": "USD", "order_id": f"{100000 + i}"},
                })
            env = {"pixel_id": "1234567890", "sent_at": t + 5,
                   "request": {"data": data, "partner_agent": "bench"},
                   "response": {"status": 200, "body": {"events_received": n, "messages": [], "fbtrace_id": "x"}}}
            fh.write(json.dumps(env, separators=(",", ":")) + "\n")
            written += n
            req += 1
    return written


def write_browser_events(path: Path, events: int, *, seed: int = 1) -> int:
    """Write `events` browser events as JSON Lines (the pixel's side of write_envelopes' traffic)."""
    rnd = random.Random(seed)
    base = 1_759_300_000
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(events):
            u = rnd.randrange(5000)
            fh.write(json.dumps({"pixel_id": "1234567890", "event_name": rnd.choice(("Purchase", "AddToCart")),
                                 "event_id": f"ev-{seed}-{i}", "event_time": base + i * 3,
                                 "event_source_url": "https://shop.example.com/p/1",
                                 "fbp": f"fb.1.{(base - 86400) * 1000}.{1000000000 + u}",
                                 "client_user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0",
                                 "custom_data": {"value": round(rnd.uniform(5, 300), 2), "currency": "USD"}},
                                separators=(",", ":")) + "\n")
    return events


_DAY0 = 1_759_276_800   # 2025-10-01T00:00:00Z


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def write_stats_day(path: Path, day: int) -> int:
    """Write one day's /stats?aggregation=event fetch, a page per source (as `sync` saves them); returns rows."""
    rnd = random.Random(day)
    start = _DAY0 + day * 86400
    lines, rows = [], 0
    for source in ("SERVER_ONLY", "WEB_ONLY"):
        data = [{"aggregation": "event", "start_time": _iso(start + h * 3600),
                 "data": [{"value": name, "count": rnd.randrange(1, 400)}
                          for name in ("Purchase", "AddToCart", "PageView")]}
                for h in range(24)]
        rows += 24 * 3
        lines.append(json.dumps({"pixel_id": "1234567890", "fetched_at": _iso(start + 86400 + 6 * 3600),
                                 "params": {"aggregation": "event", "event_source": source},
                                 "response": {"data": data}}, separators=(",", ":")))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rows


def write_quality_day(path: Path, day: int) -> int:
    """Write one morning's Dataset Quality snapshot (five events, their match keys); returns events."""
    rnd = random.Random(day)
    keys = ("email", "phone", "fbp", "fbc", "client_ip_address", "client_user_agent", "external_id", "zip")
    web = [{"event_name": name,
            "event_match_quality": {"composite_score": round(rnd.uniform(4, 9.5), 1),
                                    "match_key_feedback": [{"identifier": k,
                                                            "coverage": {"percentage": rnd.randrange(101)}}
                                                           for k in keys]},
            "event_coverage": {"percentage": rnd.randrange(101)}}
           for name in ("Purchase", "AddToCart", "InitiateCheckout", "ViewContent", "PageView")]
    path.write_text(json.dumps({"pixel_id": "1234567890", "fetched_at": _iso(_DAY0 + day * 86400 + 6 * 3600),
                                "response": {"web": web}}), encoding="utf-8")
    return len(web)


_FIRST = ("Mary", "James", "Léa", "Jürgen", "Olivia", "Noah", "Chloé", "Amelia", "Lukas", "Anne-Marie")
_LAST = ("Smith", "Müller", "O'Connor", "Dubois", "Nguyen", "Garcia", "Côté", "Walker", "Schäfer", "Kim")
# (country, city, state, zip, phone format): {0} and {1} take the customer number, so every customer
# has a phone of their own (a phone is parsed once per distinct value, so repeats would flatter).
_PLACES = (("US", "San Francisco", "CA", "94103", "(415) {0:03d}-{1:04d}"), ("US", "New York", "NY", "10001", "212-{0:03d}-{1:04d}"),
           ("GB", "London", "", "SW1A 1AA", "07700 {0:03d}{1:03d}"), ("DE", "München", "", "80331", "0151 2{0:03d}{1:04d}"),
           ("FR", "Paris", "", "75001", "06 1{0:03d} {1:04d}"), ("CA", "Toronto", "ON", "M5V 2T6", "+1 416 {0:03d} {1:04d}"))


def write_orders(path: Path, rows: int, *, seed: int = 1) -> int:
    """A canonical orders CSV of `rows` orders; customers come back (emails, phones and names repeat)."""
    rnd = random.Random(seed)
    customers = max(1, rows * 2 // 3)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("order_id,created_at,total,currency,status,email,phone,first_name,last_name,city,state,zip,"
                 "country,customer_id,channel,test,updated_at\n")
        for i in range(rows):
            c = rnd.randrange(customers)
            country, city, state, zip_, phone = _PLACES[c % len(_PLACES)]
            first, last = _FIRST[c % len(_FIRST)], _LAST[(c // 7) % len(_LAST)]
            email = f"{'' if c % 20 else ' '}{first[0]}.{last}{c}@Example.com"
            phone = phone.format(200 + c // 10_000 % 800, c % (1_000 if "{1:03d}" in phone else 10_000)) if c % 4 else ""
            t = 1_759_300_000 + i * 17
            fh.write(f"{100000 + i},{t},{rnd.uniform(5, 300):.2f},USD,paid,\"{email}\",{phone},{first},"
                     f"\"{last}\",{city},{state},{zip_},{country},{7_340_000_000 + c},web,false,\n")
    return rows
