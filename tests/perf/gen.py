"""Synthetic CAPI envelope lines for benchmarks (deterministic, no personal data)."""
from __future__ import annotations

import hashlib
import json
import random
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
