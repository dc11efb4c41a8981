"""Benchmarks of capi-audit, one command per side; each measurement runs in a fresh process.

audit: the read side on a store of about --events events (tests/perf/audit.py): first ingest, one more
  day, cold report, check, each dashboard page's data loading and peak memory, against a plain pandas
  computation of the same numbers; exits 1 when they disagree, 2 on a crash, never on timing.
ingest: throughput and fixed costs of the load (peak memory is the largest max RSS of the process and
  those it starts; CPU is user + system time of all their threads, steadier than wall time on a shared
  machine):
  - orders: rows/s for a canonical CSV with emails, phones and names (customers come back);
  - per-file fixed cost: many tiny files of a kind in one command (server events, browser events, a day's
    /stats fetch, a Dataset Quality snapshot), milliseconds per file;
  - server events: events/s of capi-audit ingest against a bare json.loads loop over the same file;
  - the demo build (`capi-audit demo --no-serve`): seconds.
  --quick: small sizes for a smoke run. --only PART: one part alone (orders, files, events or demo).
capture: the latency `capi-audit capture` adds per Conversions API request (median, p99), against a
  fake Graph API on loopback, each in its own process.
Usage: python tests/perf/bench.py audit [--events 1e6] [--days 30] [--keep DIR] [--json FILE]
       python tests/perf/bench.py ingest [--quick] [--only PART] [--events 1000000] [--orders 316000] [--keep DIR] [--json FILE]
       python tests/perf/bench.py capture [--requests 2000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.perf.gen import (write_browser_events, write_envelopes, write_orders, write_quality_day,  # noqa: E402
                            write_stats_day)

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, path, db = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
WHO = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)  # and the processes it waited for (the demo's generator)
def cpu():
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, WHO))
t0, c0 = time.perf_counter(), cpu()
if mode == "bare":
    n = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            n += len(json.loads(line)["request"]["data"])
elif mode == "demo":
    from analysis import demo_build
    n = len(demo_build.build(Path(db), days=int(sys.argv[4]), log=lambda m: None))
else:
    from analysis.ingest import Options, expand, ingest_files
    kind = {"orders": "orders", "bfiles": "browser-events", "sfiles": "meta-stats",
            "qfiles": "meta-quality"}.get(mode, "server-events")
    files = expand([path], kind)
    res = ingest_files(db, kind, files, Options())
    n = len(res) if mode.endswith("files") else sum(r.loaded + r.duplicates for r in res)
    assert all(r.error is None and not r.rejects for r in res), [(r.error, r.rejects[:3]) for r in res][:3]
print(json.dumps({"n": n, "seconds": time.perf_counter() - t0, "cpu": cpu() - c0,
                  "peak_mb": max(resource.getrusage(w).ru_maxrss for w in WHO) / 1024}))
"""


def run(mode: str, path: Path, db: Path, *extra: str) -> dict:
    for p in (db, Path(str(db) + ".wal")):
        if mode != "again":
            p.unlink(missing_ok=True)
    out = subprocess.run([sys.executable, "-c", CHILD, "ingest" if mode == "again" else mode, str(path), str(db),
                          *extra], check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    return json.loads(out.stdout.strip().splitlines()[-1])


# A fake Graph API: answers every POST at once, keep-alive, in its own process. Like a production
# server it writes each answer in one piece with TCP_NODELAY (Python's BaseHTTPRequestHandler writes
# head and body apart, which meets the receiver's delayed ACK: 40 ms that would be the fake's, not ours).
FAKE_GRAPH = r"""
import json, socket, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
OUT = json.dumps({"events_received": 1, "messages": [], "fbtrace_id": "bench"}).encode()
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(OUT), OUT)
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.wfile.write(ANSWER)
    def log_message(self, *a):
        pass
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_port, flush=True)
srv.serve_forever()
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def capture_bench(requests: int, work: Path) -> None:
    """Paired requests (direct, then through the proxy) so both see the same machine noise."""
    import hashlib
    import os
    import re

    import httpx

    root = Path(__file__).resolve().parents[2]
    graph = subprocess.Popen([sys.executable, "-c", FAKE_GRAPH], stdout=subprocess.PIPE, text=True)
    graph_url = f"http://127.0.0.1:{graph.stdout.readline().strip()}"
    log_dir = work / "capture"
    proxy = subprocess.Popen([sys.executable, "-m", "analysis.cli", "capture", "--listen", "127.0.0.1:0",
                              "--upstream", graph_url, "--log-dir", str(log_dir)],
                             stderr=subprocess.PIPE, text=True, cwd=root, env=dict(os.environ, COLUMNS="400"))
    try:
        m = re.search(r"http://127\.0\.0\.1:([0-9]+)", proxy.stderr.readline())
        assert m, "capture did not announce its port"
        proxy_url = f"http://127.0.0.1:{m.group(1)}"
        em = hashlib.sha256(b"bench@example.com").hexdigest()

        def body(n: int) -> dict:
            return {"data": [{"event_name": "Purchase", "event_time": 1790856000, "event_id": f"o-{i}",
                              "action_source": "website", "event_source_url": "https://shop.example/thanks",
                              "user_data": {"em": [em], "client_ip_address": "203.0.113.7",
                                            "client_user_agent": "Mozilla/5.0", "fbp": "fb.1.1790850000000.42"},
                              "custom_data": {"value": 59.0, "currency": "EUR"}} for i in range(n)]}

        print(f"{'request':26s} {'n':>6s} {'direct p50':>11s} {'proxied p50':>12s} "
              f"{'added p50':>10s} {'added p99':>10s}   (milliseconds)")
        with httpx.Client(timeout=30) as direct, httpx.Client(timeout=30) as via:
            for events in (1, 100):
                payload = json.dumps(body(events)).encode()
                label = f"{events} event{'s' if events > 1 else ''} ({len(payload) / 1000:.1f} kB)"
                n = requests if events == 1 else max(requests // 5, 50)
                for c, base in ((direct, graph_url), (via, proxy_url)):       # warm the connections
                    for _ in range(20):
                        c.post(f"{base}/v25.0/111/events?access_token=BENCH", content=payload,
                               headers={"Content-Type": "application/json"})
                d_ms, p_ms = [], []
                for _ in range(n):
                    for c, base, out in ((direct, graph_url, d_ms), (via, proxy_url, p_ms)):
                        t = time.perf_counter()
                        r = c.post(f"{base}/v25.0/111/events?access_token=BENCH", content=payload,
                                   headers={"Content-Type": "application/json"})
                        out.append((time.perf_counter() - t) * 1000)
                        assert r.status_code == 200, r.text
                added = [p - d for p, d in zip(p_ms, d_ms)]
                print(f"{label:26s} {n:>6d} {_percentile(d_ms, .5):>11.2f} {_percentile(p_ms, .5):>12.2f} "
                      f"{_percentile(added, .5):>10.2f} {_percentile(added, .99):>10.2f}")
    finally:
        proxy.terminate()
        proxy.wait(30)
        graph.terminate()
        graph.wait(10)
    lines = sum(len(f.read_bytes().splitlines()) for f in log_dir.rglob("*.jsonl"))
    print(f"logged {lines} envelopes in {log_dir} (every proxied request, warm-up included); "
          f"{os.cpu_count()} CPUs, sender, proxy and fake Graph API share them")


PARTS = ("orders", "files", "events", "demo")


def ingest_bench(args: argparse.Namespace) -> int:
    q = args.quick
    events = args.events or (20_000 if q else 1_000_000)
    orders = args.orders or (5_000 if q else 316_000)
    n_files = args.files or (20 if q else 100)
    days = args.days or (3 if q else 90)
    work = args.keep or Path(tempfile.mkdtemp(prefix="capi-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.duckdb"
    rows = []
    parts = (args.only,) if args.only else PARTS

    if "orders" in parts:
        orders_path = work / f"orders-{orders}.csv"
        if not orders_path.exists():
            write_orders(orders_path, orders)
        r = run("orders", orders_path, db)
        rows.append((f"orders, canonical CSV ({orders:,} rows)", r, "rows/s", r["n"] / r["seconds"]))

    if "files" in parts:
        tiny = work / f"tiny-{n_files}"
        if not tiny.exists():
            tiny.mkdir()
            for i in range(n_files):
                write_envelopes(tiny / f"{i:04d}.jsonl", 4, seed=i)
        r = run("files", tiny, db)
        rows.append((f"{n_files} tiny server-event files, one command", r, "ms/file", r["seconds"] / r["n"] * 1000))
        tiny = work / f"tiny-browser-{n_files}"
        if not tiny.exists():
            tiny.mkdir()
            for i in range(n_files):
                write_browser_events(tiny / f"{i:04d}.jsonl", 4, seed=i)
        r = run("bfiles", tiny, db)
        rows.append((f"{n_files} tiny browser-event files, one command", r, "ms/file", r["seconds"] / r["n"] * 1000))
        for mode, what, write in (("sfiles", "daily meta-stats files", write_stats_day),
                                  ("qfiles", "meta-quality snapshots", write_quality_day)):
            daily = work / f"{mode}-{n_files}"
            if not daily.exists():
                daily.mkdir()
                for i in range(n_files):
                    write(daily / f"{i:04d}.json{'l' if mode == 'sfiles' else ''}", i)
            r = run(mode, daily, db)
            rows.append((f"{n_files} {what}, one command", r, "ms/file", r["seconds"] / r["n"] * 1000))

    if "events" in parts:
        path = work / f"envelopes-{events}.jsonl"
        if not path.exists():
            write_envelopes(path, events)
        bare = run("bare", path, db)
        first = run("ingest", path, db)
        again = run("again", path, db)
        rows.append(("bare json.loads loop (stores nothing)", bare, "events/s", bare["n"] / bare["seconds"]))
        rows.append(("server events, first load", first, "events/s", first["n"] / first["seconds"]))
        rows.append(("server events, same file again", again, "events/s", again["n"] / again["seconds"]))
        size = db.stat().st_size

    if "demo" in parts:
        r = run("demo", work, work / "demo.duckdb", str(days))
        rows.append((f"demo build, {days} days ({r['n']} files)", r, "s", r["seconds"]))

    print(f"{'measurement':46s} {'seconds':>8s} {'CPU s':>7s} {'figure':>12s} {'':8s} {'peak MB':>8s}")
    for name, res, unit, figure in rows:
        shown = f"{figure:,.1f}" if unit in ("ms/file", "s") else f"{figure:,.0f}"
        print(f"{name:46s} {res['seconds']:>8.2f} {res['cpu']:>7.2f} {shown:>12s} {unit:8s} {res['peak_mb']:>8.0f}")
    extra = {}
    if "events" in parts:
        by_wall = first["n"] / first["seconds"] / (bare["n"] / bare["seconds"])
        by_cpu = first["n"] / first["cpu"] / (bare["n"] / bare["cpu"])
        print(f"server events, ingest / bare json.loads: {by_wall:.2f}× by wall time, {by_cpu:.2f}× per CPU "
              f"second; database {size / 1e6:.0f} MB ({size / max(first['n'], 1):.0f} bytes/event)")
        extra = {"ingest_over_bare": {"wall": by_wall, "cpu": by_cpu}, "database_bytes": size}
    if args.json:
        args.json.write_text(json.dumps({
            "measurements": [{"name": name, "unit": unit, "figure": figure, **res} for name, res, unit, figure in rows],
            **extra}, indent=2) + "\n")
    return 0


def _count(text: str) -> int:
    """1e6, 1_000_000 or 1000000."""
    return int(float(text.replace("_", "")))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="side", required=True)
    au = sub.add_parser("audit", help="the read side against pandas on a demo store of about --events events")
    au.add_argument("--events", type=_count, default=1_000_000, help="server + browser events (default 1e6)")
    au.add_argument("--days", type=int, default=30, help="daily files a side (default 30); orders a day follow")
    au.add_argument("--keep", type=Path, help="generate and load in this directory and keep it")
    au.add_argument("--json", type=Path, help="also write the figures to this file")
    au.add_argument("--no-browser", action="store_true", help="do not time the pages in Chromium")
    ing = sub.add_parser("ingest", help="ingest throughput, per-file cost, demo build")
    ing.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every measurement")
    ing.add_argument("--events", type=_count, help="server events in the events file (default 1,000,000)")
    ing.add_argument("--orders", type=_count, help="rows in the orders file (default 316,000)")
    ing.add_argument("--files", type=int, help="tiny files for the per-file cost (default 100)")
    ing.add_argument("--days", type=int, help="days of the demo build (default 90)")
    ing.add_argument("--only", choices=PARTS, help="run one part alone")
    ing.add_argument("--keep", type=Path, help="directory to keep the generated files in")
    ing.add_argument("--json", type=Path, help="also write the figures to this file")
    cap = sub.add_parser("capture", help="the latency capi-audit capture adds per request")
    cap.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    cap.add_argument("--keep", type=Path, help="directory for the proxy's logs")
    args = ap.parse_args()
    if args.side == "capture":
        capture_bench(args.requests, args.keep or Path(tempfile.mkdtemp(prefix="capi-bench-capture-")))
        return 0
    if args.side == "audit":
        from tests.perf import audit
        return audit.main(args)
    return ingest_bench(args)


if __name__ == "__main__":
    sys.exit(main())
