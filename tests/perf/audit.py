"""The read side on a store of about N events, against a plain pandas computation of the same numbers.

The demo generator writes daily files (server events, browser events, Meta's numbers; the orders
CSV is split here by the day each order was created). In one run, each measurement in a fresh
process so that caches and peak memory are its own:
- first ingest: every file of every day but the last, through the real ingest path;
- one more day: the last day's files into that store;
- a cold `capi-audit report` (default window) and `capi-audit check` (that window and the one before);
- the data loading of the Weekly EMQ, Monthly health check and Deployments pages, through
  dashboard.data's public functions as the pages call them (the sidebar's reads included);
- the Weekly EMQ and Monthly health check pages, cold, in Debian's Chromium (when it and Playwright
  are installed; --no-browser skips them);
- pandas: coverage per event, 48-hour pairs and the daily Purchase gap from the counted rows of the
  report's window, already in memory (only the computation is timed).
The pandas numbers must equal the report's: a disagreement is printed and the run exits 1.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Server + browser events the demo writes per order of a day (measured: 24.9); sizes the store to --events.
EVENTS_PER_ORDER_DAY = 25
# The order of a load, as the demo build does it: orders and deployments first, then events, then Meta's numbers.
ORDER = ("orders", "deployments", "server-events", "browser-events", "meta-quality", "meta-stats")
KEYS = ["em", "ph", "fbc", "fbp", "client_ip_address", "client_user_agent"]

GENERATE = r"""
import json, sys
from pathlib import Path
from analysis import demo
files = demo.generate(Path(sys.argv[1]), days=int(sys.argv[2]), orders_per_day=int(sys.argv[3]))
print(json.dumps({kind: [str(p) for p in paths] for kind, paths in files.items()}))
"""

# One load: each kind's files in one ingest_files call (one command per kind, as a user would run them).
INGEST = r"""
import json, sys, time
from pathlib import Path
from analysis.ingest import Options, ingest_files
db, plan = sys.argv[1], json.loads(Path(sys.argv[2]).read_text())
rows, by_kind = {}, {}
for kind, paths in plan:
    t = time.perf_counter()
    res = ingest_files(db, kind, [Path(p) for p in paths], Options())
    by_kind[kind] = round(time.perf_counter() - t, 3)
    bad = [(r.path.name, r.error) for r in res if r.error]
    assert not bad, bad
    rows[kind] = sum(r.loaded for r in res)
print(json.dumps({"rows": rows, "seconds_by_kind": by_kind}))
"""

# The first load's files parsed and nothing kept: `json.loads` per line of JSON Lines, `json.load` per JSON
# file, `csv.reader` per CSV row — the bare parse the first load's time is held against.
BARE = r"""
import csv, json, sys, time
from pathlib import Path
plan = json.loads(Path(sys.argv[1]).read_text())
t = time.perf_counter()
records = 0
for kind, paths in plan:
    for p in map(Path, paths):
        with p.open(encoding="utf-8", newline="") as fh:
            if p.suffix == ".csv":
                for row in csv.reader(fh):
                    records += 1
            elif p.suffix == ".json":
                json.load(fh)
                records += 1
            else:
                for line in fh:
                    if line.strip():
                        json.loads(line)
                        records += 1
print(json.dumps({"records": records, "seconds": time.perf_counter() - t}))
"""

# A page's data loading: the frame's reads (sources, default window), then the page's own, through the
# functions the page calls; st.cache_data is cold in a fresh process.
PAGE = r"""
import json, logging, sys, time
logging.disable(logging.WARNING)              # Streamlit's "no runtime" warnings in bare mode
from analysis.views import health
from dashboard import data
page = sys.argv[1]
t = time.perf_counter()
db = data.db_path()
tz = data.settings()["timezone"]
data.sources(db)
since, until = data.default_window(db, tz, None)
f = data.Filters(db=db, since=since, until=until, tz=tz, pixel=None)
if page == "weekly":
    data.audit(f)
elif page == "health":
    month = health.default_month(data.months(db, tz, None))
    data.month_report(f, month)
    data.month_numbers(f, health.previous_month(month))
elif page == "deployments":
    rep = data.audit(f)
    deps = rep["deployments"]
    rules = sorted({(d["name"], d["deployed_at"], r["metric"][len("lint."):]) for d in deps for r in d["regressions"]
                    if r["metric"].startswith("lint.")}
                   | {(d["name"], d["deployed_at"], a["rule"]) for d in deps for a in d.get("lint_appeared") or []})
    data.deployments(f, tuple(rules))
else:
    raise SystemExit(f"no page {page}")
print(json.dumps({"seconds": time.perf_counter() - t}))
"""

# A page in a real browser, cold: a fresh `capi-audit serve` on the store (empty caches), Debian's Chromium
# opens the page, and the clock stops when the run is over and its charts are drawn (the browser tests'
# own readiness rule). Server start-up is not timed: a user opens a dashboard that is already running.
BROWSER = r"""
import json, socket, subprocess, sys, time, urllib.request
from playwright.sync_api import sync_playwright
from tests.conftest import CHROMIUM_ARGS, chromium_path
from tests.test_browser import PAGES, _settle
db, slug = sys.argv[1], sys.argv[2]
charts = dict(PAGES)[slug]
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
proc = subprocess.Popen([sys.executable, "-m", "analysis.cli", "--db", db, "serve", "--port", str(port)],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.2)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        t = time.perf_counter()
        page.goto(f"{url}/{slug}")
        _settle(page, charts)
        seconds = time.perf_counter() - t
        errors = page.locator("[data-testid='stException']").count()
        browser.close()
finally:
    proc.terminate()
    proc.wait(timeout=30)
print(json.dumps({"seconds": seconds, "exceptions": errors}))
"""


def chromium_available() -> bool:
    sys.path.insert(0, str(ROOT))
    try:
        from tests.conftest import chromium_path
        import playwright  # noqa: F401
    except ImportError:
        return False
    finally:
        sys.path.pop(0)
    return chromium_path() is not None


# The pandas side: the counted rows of the report's window (± 7 days for the pairing) are read into
# memory first (not timed), then the three core numbers are computed from the contract's definitions.
PANDAS = r"""
import json, sys, time
import duckdb, pandas as pd
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


class Failed(Exception):
    """A measured command crashed: the message says which, with the end of its error output."""


def run(argv: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> dict:
    """Run a child to the end: its stdout, wall seconds, CPU seconds and peak RSS in MB (of that child alone).

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
            raise Failed(f"{' '.join(argv[:4])[:120]}… failed (exit {code}):\n{err.read()[-3000:]}")
        return {"stdout": out.read(), "seconds": wall, "cpu": usage.ru_utime + usage.ru_stime,
                "peak_mb": usage.ru_maxrss / 1024}


def child(code: str, *args: str, env: dict[str, str] | None = None) -> dict:
    """A snippet that prints one JSON line as its last: that line's fields plus the measurement."""
    r = run(["-c", code, *args], env)
    out = json.loads(r.pop("stdout").strip().splitlines()[-1])
    return {**out, "own_seconds": out.get("seconds"), **r}


def cli(db: Path, *args: str) -> dict:
    # check exits 1 on a failing item: that is a result, not a crash.
    return run(["-m", "analysis.cli", "--db", str(db), *args], env={"CAPI_AUDIT_NOTIFY_URL": ""}, ok=(0, 1))


def split_orders(path: Path, day: str, first: Path, last: Path) -> tuple[int, int]:
    """Rows of orders created on `day` go to `last`, the others to `first`; returns (first rows, last rows).

    An order's further rows (line items of a Shopify export) leave the creation time empty: they follow
    the order's first row.
    """
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    lower = [h.strip().lower() for h in header]
    when = next(lower.index(c) for c in ("created at", "created_at") if c in lower)
    key = next(lower.index(c) for c in ("name", "order_id", "id") if c in lower)
    out = {first: [header], last: [header]}
    seen: dict[str, str] = {}
    for row in body:
        created = row[when].strip()[:10] or seen.get(row[key], "")
        seen[row[key]] = created
        out[last if created == day else first].append(row)
    for p, part in out.items():
        with p.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(part)
    return len(out[first]) - 1, len(out[last]) - 1


def plan(files: dict[str, list[str]], work: Path) -> tuple[list, list, str]:
    """(first load, last day) as [[kind, paths], …] in load order, and the last day (YYYY-MM-DD)."""
    days = sorted(Path(p).name[:10] for p in files.get("server-events", []))
    if len(days) < 2:
        raise Failed(f"the generator wrote {len(days)} daily server-events file(s) named by day; two are needed")
    day = days[-1]
    first, last = [], []
    for kind in ORDER:
        paths = [Path(p) for p in files.get(kind, [])]
        if kind == "orders":
            split = []
            for i, p in enumerate(paths):
                a, b = work / f"orders-{i}-before.csv", work / f"orders-{i}-{day}.csv"
                split_orders(p, day, a, b)
                split.append((a, b))
            early, late = [a for a, _ in split], [b for _, b in split]
        elif kind == "deployments":
            early, late = paths, []
        else:
            early = [p for p in paths if not p.name.startswith(day)]
            late = [p for p in paths if p.name.startswith(day)]
        if early:
            first.append([kind, [str(p) for p in early]])
        if late:
            last.append([kind, [str(p) for p in late]])
    return first, last, day


def compare(rep: dict, pan: dict) -> list[str]:
    """Where the report and the pandas computation disagree (empty: they agree)."""
    bad = []
    for e in rep["events"]:
        k = f"{e['pixel_id']}|{e['event_name']}"
        if e["server_events"]:
            for key in KEYS:
                want = pan["coverage"].get(k, {}).get(f"{key}_v")
                got = e["coverage"][key]
                if want is None or got is None or abs(want - got) > 1e-4:
                    bad.append(f"coverage.{key} of {k}: report {got}, pandas {want}")
        if e["dedup"]["matched"] != pan["matched"].get(k, 0):
            bad.append(f"dedup.matched of {k}: report {e['dedup']['matched']}, pandas {pan['matched'].get(k, 0)}")
    seen = {f"{e['pixel_id']}|{e['event_name']}" for e in rep["events"]}
    for k, n in pan["matched"].items():
        if k not in seen and n:
            bad.append(f"dedup.matched of {k}: not in the report, pandas {n}")
    days = {d["date"] for d in rep["discrepancy"]["days"]}
    for d in rep["discrepancy"]["days"]:
        want = pan["gap"].get(d["date"], [0, 0])
        if [d["backend_orders"], d["server_events"]] != want:
            bad.append(f"Purchases on {d['date']}: report {d['backend_orders']} orders / {d['server_events']} "
                       f"server, pandas {want[0]} / {want[1]}")
    for day, want in pan["gap"].items():
        if day not in days and want != [0, 0]:
            bad.append(f"Purchases on {day}: not in the report, pandas {want[0]} orders / {want[1]} server")
    return bad


def bench(events: int, days: int, work: Path, log=print, browser: bool = False) -> dict:
    """Generate, load and measure; returns the figures (see main's table) with `disagreements`.

    browser: also time the Weekly EMQ and Monthly health check pages, cold, in Chromium."""
    work.mkdir(parents=True, exist_ok=True)
    opd = max(1, round(events / (days * EVENTS_PER_ORDER_DAY)))
    db = work / "bench.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    t = time.perf_counter()
    files = child(GENERATE, str(work / "files"), str(days), str(opd))
    first, last, day = plan({k: v for k, v in files.items() if k in ORDER}, work)
    log(f"generated {days} days × {opd:,} orders a day in {time.perf_counter() - t:.1f} s; loading…")
    (work / "first.json").write_text(json.dumps(first))
    (work / "last.json").write_text(json.dumps(last))
    m: dict[str, dict] = {}
    m["first_ingest"] = child(INGEST, str(db), str(work / "first.json"))
    m["one_more_day"] = child(INGEST, str(db), str(work / "last.json"))
    m["bare_parse"] = child(BARE, str(work / "first.json"))
    log("loaded; reading…")
    rep_run = cli(db, "report", "--format", "json")
    rep = json.loads(rep_run.pop("stdout"))
    m["report"] = rep_run
    check = cli(db, "check", "--no-notify", "--format", "json")
    verdict = json.loads(check.pop("stdout"))
    m["check"] = check
    for page in ("weekly", "health", "deployments"):
        r = child(PAGE, page, env={"CAPI_AUDIT_DB": str(db)})
        # The loading alone: a running dashboard has imported Streamlit and the app before a page runs.
        m[f"page_{page}"] = {**r, "wall_seconds": r["seconds"], "seconds": r["own_seconds"]}
    if browser:
        for page, slug in (("weekly", ""), ("health", "health_check")):
            r = child(BROWSER, str(db), slug)
            if r.pop("exceptions"):
                raise Failed(f"the {page} page showed an exception in Chromium")
            m[f"chromium_{page}"] = {**r, "wall_seconds": r["seconds"], "seconds": r["own_seconds"]}
    w = rep["window"]
    pan = child(PANDAS, str(db), w["since"], w["until"], "48")
    m["pandas"] = {k: pan[k] for k in ("seconds", "cpu", "peak_mb")}
    m["pandas"]["wall_seconds"] = m["pandas"]["seconds"]
    m["pandas"]["seconds"] = pan["own_seconds"]           # the computation alone, the rows already in memory
    for r in m.values():
        r.pop("own_seconds", None)
    rows = lambda r: sum(r["rows"].values())
    first_rows, day_rows = rows(m["first_ingest"]), rows(m["one_more_day"])
    events_loaded = sum(r["rows"].get(k, 0) for r in (m["first_ingest"], m["one_more_day"])
                        for k in ("server-events", "browser-events"))
    share = m["first_ingest"]["seconds"] * day_rows / max(first_rows, 1)
    p = max(m["pandas"]["seconds"], 1e-9)
    return {
        "events": events_loaded, "days": days, "orders_per_day": opd, "last_day": day, "cpus": os.cpu_count(),
        "window": {"since": w["since"], "until": w["until"], "timezone": w["timezone"]},
        "check_window": {"window": verdict["window"], "previous_window": verdict["previous_window"]},
        "rows": {"first_ingest": m["first_ingest"]["rows"], "one_more_day": m["one_more_day"]["rows"],
                 "pandas_in_memory": pan["rows"], "bare_parse_records": m["bare_parse"]["records"]},
        "measurements": {k: {f: round(v[f], 3) for f in ("seconds", "wall_seconds", "cpu", "peak_mb") if f in v}
                         for k, v in m.items()},
        "ingest_seconds_by_kind": {k: m[k]["seconds_by_kind"] for k in ("first_ingest", "one_more_day")},
        "ratios": {"report_over_pandas": m["report"]["seconds"] / p, "check_over_pandas": m["check"]["seconds"] / p,
                   "pages_over_pandas": {k[5:]: m[k]["seconds"] / p for k in m if k.startswith("page_")},
                   "chromium_over_pandas": {k[9:]: m[k]["seconds"] / p for k in m if k.startswith("chromium_")},
                   "one_more_day_over_its_share": m["one_more_day"]["seconds"] / max(share, 1e-9),
                   "first_ingest_over_bare_parse": m["first_ingest"]["seconds"] / max(m["bare_parse"]["seconds"], 1e-9),
                   "report_peak_mb": m["report"]["peak_mb"]},
        # What the agreement rests on: figures compared (a run that compares nothing proves nothing).
        "compared": {"coverage": sum(len(KEYS) for e in rep["events"] if e["server_events"]),
                     "matched": len(rep["events"]), "purchase_days": len(rep["discrepancy"]["days"]),
                     "matched_pairs": sum(pan["matched"].values())},
        "disagreements": compare(rep, pan),
    }


LABELS = {"first_ingest": "first ingest (all days but the last)", "one_more_day": "one more day (the last day's files)",
          "bare_parse": "bare parse of the first ingest's files",
          "report": "cold report, default window", "check": "check (window and the one before)",
          "page_weekly": "page data: Weekly EMQ", "page_health": "page data: Monthly health check",
          "page_deployments": "page data: Deployments",
          "chromium_weekly": "Chromium, cold: Weekly EMQ", "chromium_health": "Chromium, cold: Monthly health check",
          "pandas": "pandas on rows in memory (compute only)"}


def table(res: dict) -> str:
    m, r = res["measurements"], res["ratios"]
    p = m["pandas"]["seconds"]
    w, c = res["window"], res["check_window"]
    lines = [f"{res['events']:,} events ({res['days']} days × {res['orders_per_day']:,} orders a day); "
             f"report window {w['since']} … {w['until']} ({w['timezone']}); pandas held "
             f"{res['rows']['pandas_in_memory']:,} rows; {res['cpus']} CPUs",
             f"check: {c['window']['since']} … {c['window']['until']} against {c['previous_window']['since']} … "
             f"{c['previous_window']['until']}",
             f"{'measurement':42s} {'seconds':>8s} {'CPU s':>7s} {'× pandas':>9s} {'peak MB':>8s}"]
    for k, label in LABELS.items():
        if k not in m:
            continue
        x = m[k]
        lines.append(f"{label:42s} {x['seconds']:>8.2f} {x['cpu']:>7.2f} {x['seconds'] / max(p, 1e-9):>9.1f} "
                     f"{x['peak_mb']:>8.0f}")
    day_rows, first_rows = sum(res["rows"]["one_more_day"].values()), sum(res["rows"]["first_ingest"].values())
    lines += [
        "against the targets:",
        f"  report / pandas                     {r['report_over_pandas']:8.2f}   (target ≤ 0.25)",
        f"  report peak                         {r['report_peak_mb']:8.0f} MB (target ≤ 2048)",
        f"  check / pandas                      {r['check_over_pandas']:8.2f}   (target ≤ 0.25)",
        f"  one more day / its share of the first load {r['one_more_day_over_its_share']:5.2f}   (target ≤ 2; "
        f"{day_rows:,} of {first_rows + day_rows:,} rows)",
        f"  first ingest / bare parse of its files {r['first_ingest_over_bare_parse']:6.2f}   (target ≤ 1: json.loads per "
        "line, csv.reader per row)",
        "  pages / pandas                      " + ", ".join(f"{k} {v:.2f}" for k, v in r["pages_over_pandas"].items())
        + "   (data loading, for comparison)",
        "  pages in Chromium / pandas          " + (", ".join(f"{k} {v:.2f}" for k, v in r["chromium_over_pandas"].items())
                                                 or "not measured (no Chromium)") + "   (target ≤ 1)",
    ]
    return "\n".join(lines)


def main(args) -> int:
    work = args.keep or Path(tempfile.mkdtemp(prefix="capi-bench-audit-"))
    try:
        browser = not args.no_browser and chromium_available()
        if not args.no_browser and not browser:
            print("Chromium or Playwright is missing: the pages are not timed in a browser", file=sys.stderr)
        res = bench(args.events, args.days, work, log=lambda s: print(s, file=sys.stderr, flush=True), browser=browser)
    except Failed as exc:
        print(f"CRASH: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(table(res))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")
    bad = res["disagreements"]
    if bad:
        print(f"DISAGREEMENT ({len(bad)}):\n  " + "\n  ".join(bad[:40]))
        return 1
    n = res["compared"]
    print(f"the report and pandas agree on coverage ({n['coverage']} figures), 48-hour pairs ({n['matched']} "
          f"events, {n['matched_pairs']:,} pairs) and the daily Purchase gap ({n['purchase_days']} days)")
    return 0
