"""Benchmark of the audit's read side on a busy store, against a plain pandas computation of the same numbers.

Builds a store with the demo generator (`--days`, `--orders-per-day`: 30 × 1,400 ≈ 1M events,
30 × 14,000 ≈ 10M) through the real ingest path, then measures, each in a fresh process so that
caches and peak memory are the measurement's own: a cold `capi-audit report` (default window), a
cold `check`, the data loading of the Weekly EMQ, Monthly health check and Deployments pages, and a
pandas computation of coverage per event, 48-hour pairs and the daily Purchase gap on the same rows
already in memory. The pandas numbers must equal the report's: a disagreement exits 1.
Usage: python tests/perf/bench_report.py [--orders-per-day 1400] [--days 30] [--db PATH]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Each child prints one JSON line: its own seconds, plus what it computed.
BUILD = r"""
import json, sys, time
from pathlib import Path
from analysis import demo_build
t = time.perf_counter()
res = demo_build.build(Path(sys.argv[1]), days=int(sys.argv[2]), orders_per_day=int(sys.argv[3]),
                       log=lambda m: print(m, file=sys.stderr))
print(json.dumps({"seconds": time.perf_counter() - t,
                  "rows": {k: sum(r.loaded for r in res if r.kind == k) for k in {r.kind for r in res}}}))
"""

PAGE = r"""
import json, logging, sys, time
logging.disable(logging.WARNING)              # Streamlit's "no runtime" warnings in bare mode
from dashboard import data
page, db = sys.argv[1], sys.argv[2]
t = time.perf_counter()
if page == "weekly":
    data._series.__wrapped__(db, (), None, None, "UTC", None)
elif page == "health":
    frame = data._months.__wrapped__(db, (), "UTC", None)
    import pandas as pd
    for col in ("month", "first_day", "last_day"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    month = data.default_month(frame)
    since, until = data.month_bounds(month)
    data._month.__wrapped__(db, (), since, until, "UTC", None, True)
    prev = data.month_bounds(data.previous_month(since))
    data._month.__wrapped__(db, (), prev[0], prev[1], "UTC", None, False)   # the month-over-month table
elif page == "deployments":
    data._deployments.__wrapped__(db, (), None, None, "UTC", None, ())
print(json.dumps({"seconds": time.perf_counter() - t}))
"""

# The pandas side: the counted rows of the report's window (± the look-past) are read into memory
# first (not timed), then the three core numbers are computed from the contract's definitions.
PANDAS = r"""
import json, re, sys, time
from datetime import timedelta
import duckdb, numpy as np, pandas as pd
db, since, until, hours = sys.argv[1], pd.Timestamp(sys.argv[2]), pd.Timestamp(sys.argv[3]), int(sys.argv[4])
start, end = since, until + pd.Timedelta(days=1)
lo, hi = start - pd.Timedelta(days=7), end + pd.Timedelta(days=7)
con = duckdb.connect(db, read_only=True)
con.execute("SET TimeZone = 'UTC'")
keys = ["em", "ph", "fbc", "fbp", "client_ip_address", "client_user_agent"]
server = con.execute(f"SELECT pixel_id, event_name, event_id, event_time, order_id, {', '.join(k + '_v' for k in keys)} "
                     "FROM server_events WHERE NOT rejected AND test_event_code IS NULL "
                     "AND event_time >= ? AND event_time < ?", [lo.to_pydatetime(), hi.to_pydatetime()]).df()
browser = con.execute("SELECT pixel_id, event_name, event_id, event_time FROM browser_events WHERE source <> 'mirror' "
                      "AND event_time >= ? AND event_time < ?", [lo.to_pydatetime(), hi.to_pydatetime()]).df()
orders = con.execute("SELECT order_id, alt_id, created_at, status, test, channel FROM orders").df()
con.close()
t = time.perf_counter()
inw = lambda f: (f.event_time >= start) & (f.event_time < end)
# Coverage per pixel × event name: the share of in-window server events whose key is well-formed.
s_in = server[inw(server)]
coverage = s_in.groupby(["pixel_id", "event_name"])[[k + "_v" for k in keys]].mean()
# 48-hour clusters per side and key; a key is matched when a browser and a server cluster start ≤ 48 h apart.
def clusters(f, side):
    f = f[f.event_id.notna() & (f.event_id.str.strip() != "")][["pixel_id", "event_name", "event_id", "event_time", "order_id"]]
    f = f.sort_values(["pixel_id", "event_name", "event_id", "event_time"], kind="stable")
    g = f.groupby(["pixel_id", "event_name", "event_id"], sort=False).event_time
    first = g.transform("min")
    long = (g.transform("max") - first) > pd.Timedelta(hours=hours)
    starts = first.copy()
    window = pd.Timedelta(hours=hours)
    for _, part in f[long].groupby(["pixel_id", "event_name", "event_id"], sort=False):
        s = None
        for idx, tt in part.event_time.items():
            if s is None or tt - s > window:
                s = tt
            starts[idx] = s
    return f.assign(start=starts, side=side)
browser = browser.assign(order_id=None)
sc, bc = clusters(server, "server"), clusters(browser, "browser")
pairs = sc[["pixel_id", "event_name", "event_id", "start"]].drop_duplicates().merge(
    bc[["pixel_id", "event_name", "event_id", "start"]].drop_duplicates(), on=["pixel_id", "event_name", "event_id"])
pairs = pairs[(pairs.start_x - pairs.start_y).abs() <= pd.Timedelta(hours=hours)]
matched_keys = pairs[["pixel_id", "event_name", "event_id"]].drop_duplicates()
keys_in = pd.concat([sc[inw(sc)], bc[inw(bc)]])[["pixel_id", "event_name", "event_id"]].drop_duplicates()
matched = matched_keys.merge(keys_in).groupby(["pixel_id", "event_name"]).size()
# Daily Purchase gap: eligible orders per day of created_at vs the server Purchase conversions (a cluster's
# first copy, or an id-less event) naming them; Purchases naming no order count on their own day.
eligible = orders[orders.status.isin(["paid", "authorized", "partially_paid", "partially_refunded", "refunded"])
                  & ~orders.test & (orders.channel != "pos")]
okeys = pd.concat([orders[["order_id"]].assign(k=orders.order_id),
                   orders[orders.alt_id.notna()][["order_id"]].assign(k=orders.alt_id.dropna())]).drop_duplicates("k")
okeys = okeys.rename(columns={"order_id": "matched_order"})
firsts = sc[sc.event_name == "Purchase"].drop_duplicates(["pixel_id", "event_name", "event_id", "start"])
idless = server[(server.event_name == "Purchase") & (server.event_id.isna() | (server.event_id.str.strip() == ""))]
purch = pd.concat([firsts[["event_id", "event_time", "order_id"]], idless[["event_id", "event_time", "order_id"]]])
own = purch.order_id.where(purch.order_id.notna() & (purch.order_id.str.strip() != "")).str.strip()
key = own.fillna(purch.event_id.where(purch.event_id.isin(okeys.k)))
key = key.fillna(purch.event_id.str.replace(r"^(?:order[-_]|#)", "", regex=True))
purch = purch.assign(k=key).merge(okeys, on="k", how="left")
eligible = eligible[(eligible.created_at >= start) & (eligible.created_at < end)]
backend = eligible.groupby(eligible.created_at.dt.date).size()
conv = purch.merge(eligible[["order_id", "created_at"]], left_on="matched_order", right_on="order_id")
conv = conv.groupby(conv.created_at.dt.date).size()
orphan = purch[purch.matched_order.isna() & inw(purch)]
orphan = orphan.groupby(orphan.event_time.dt.date).size()
days = sorted(set(backend.index) | set(conv.index) | set(orphan.index))
gap = {str(d): [int(backend.get(d, 0)), int(conv.get(d, 0)) + int(orphan.get(d, 0))] for d in days}
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "rows": len(server) + len(browser) + len(orders),
                  "coverage": {f"{p}|{e}": {k: round(float(v), 4) for k, v in r.items()}
                               for (p, e), r in coverage.iterrows()},
                  "matched": {f"{p}|{e}": int(v) for (p, e), v in matched.items()},
                  "gap": gap}))
"""


def run(argv: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> tuple[str, float, float]:
    """Run a child to the end; returns (its stdout, wall seconds, peak RSS in MB of that child alone).

    Output goes to files, not pipes: a report is larger than a pipe's buffer, and wait4 (which gives the
    child's own peak memory) must not wait on a child blocked writing to us.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *argv], stdout=out, stderr=err, text=True, cwd=ROOT,
                                env=dict(os.environ, **(env or {})))
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code not in ok:
            sys.exit(f"{' '.join(argv[:3])}… failed ({code}):\n{err.read()[-3000:]}")
        return out.read(), wall, usage.ru_maxrss / 1024


def child(code: str, *args: str, env: dict[str, str] | None = None) -> tuple[dict, float, float]:
    """A snippet that prints one JSON line; returns (that line, wall seconds, peak MB)."""
    out, wall, peak = run(["-c", code, *args], env)
    return json.loads(out.strip().splitlines()[-1]), wall, peak


def cli(db: Path, *args: str) -> tuple[str, float, float]:
    # check exits 1 on a failing item: that is a result, not a crash.
    return run(["-m", "analysis.cli", "--db", str(db), *args], ok=(0, 1))


def compare(rep: dict, pan: dict) -> list[str]:
    """Where the report and the pandas computation disagree (empty: they agree)."""
    bad = []
    keys = ["em", "ph", "fbc", "fbp", "client_ip_address", "client_user_agent"]
    for e in rep["events"]:
        k = f"{e['pixel_id']}|{e['event_name']}"
        if e["server_events"]:
            for key in keys:
                want = pan["coverage"].get(k, {}).get(f"{key}_v")
                got = e["coverage"][key]
                if want is None or got is None or abs(want - got) > 1e-4:
                    bad.append(f"coverage.{key} of {k}: report {got}, pandas {want}")
        if e["dedup"]["matched"] != pan["matched"].get(k, 0):
            bad.append(f"dedup.matched of {k}: report {e['dedup']['matched']}, pandas {pan['matched'].get(k, 0)}")
    for d in rep["discrepancy"]["days"]:
        want = pan["gap"].get(d["date"], [0, 0])
        if [d["backend_orders"], d["server_events"]] != want:
            bad.append(f"Purchases on {d['date']}: report {d['backend_orders']} orders / {d['server_events']} "
                       f"server, pandas {want[0]} / {want[1]}")
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders-per-day", type=int, default=1400)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--db", type=Path, help="reuse (or keep) the store at this path")
    args = ap.parse_args()
    db = args.db or Path(tempfile.mkdtemp(prefix="capi-bench-report-")) / "bench.duckdb"
    rows_out: list[tuple[str, float, float]] = []
    if not db.exists():
        built, wall, peak = child(BUILD, str(db), str(args.days), str(args.orders_per_day))
        print(f"built {db}: {built['rows']} in {built['seconds']:.1f} s (generation included)", flush=True)
        rows_out.append(("first load (demo generation + ingest)", wall, peak))
    out, wall, peak = cli(db, "report", "--format", "json")
    rep = json.loads(out)
    rows_out.append(("cold report, default window", wall, peak))
    _, wall, peak = cli(db, "check")
    rows_out.append(("cold check (window + the one before)", wall, peak))
    for page in ("weekly", "health", "deployments"):
        _, wall, peak = child(PAGE, page, str(db), env={"CAPI_AUDIT_DB": str(db)})
        rows_out.append((f"page data: {page}", wall, peak))
    w = rep["window"]
    pan, wall, peak = child(PANDAS, str(db), w["since"], w["until"], "48")
    n_server = sum(e["server_events"] for e in rep["events"])
    n_browser = sum(e["browser_events"] for e in rep["events"])
    print(f"window {w['since']} … {w['until']}: {n_server:,} server + {n_browser:,} browser events counted; "
          f"pandas held {pan['rows']:,} rows; {os.cpu_count()} CPUs")
    print(f"{'measurement':44s} {'seconds':>8s} {'× pandas':>9s} {'peak MB':>8s}")
    for name, secs, mb in rows_out:
        print(f"{name:44s} {secs:>8.1f} {secs / pan['seconds']:>9.1f} {mb:>8.0f}")
    print(f"{'pandas on rows in memory (compute only)':44s} {pan['seconds']:>8.1f} {1.0:>9.1f} {peak:>8.0f}")
    bad = compare(rep, pan)
    if bad:
        print(f"DISAGREEMENT ({len(bad)}):\n  " + "\n  ".join(bad[:20]))
        sys.exit(1)
    print("the report and pandas agree on coverage, 48-hour pairs and the daily Purchase gap")


if __name__ == "__main__":
    main()
