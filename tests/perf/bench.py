"""Ingest benchmark: N synthetic CAPI envelopes, capi-audit ingest vs a bare json.loads loop.

Prints events per second and peak memory (max RSS of a fresh process per measurement).
Usage: python tests/perf/bench.py [--events 1000000] [--keep DIR]
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
from tests.perf.gen import write_envelopes  # noqa: E402

CHILD = r"""
import json, resource, sys, time
mode, path, db = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
if mode == "ingest":
    from pathlib import Path
    from analysis.ingest import Options, ingest_file
    res = ingest_file(db, "server-events", Path(path), Options())
    n = res.loaded + res.duplicates
    assert res.error is None and not res.rejects, (res.error, res.rejects[:3])
else:
    n = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            n += len(json.loads(line)["request"]["data"])
seconds = time.perf_counter() - t0
print(json.dumps({"events": n, "seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(mode: str, path: Path, db: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), str(db)], check=True,
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="directory to keep the generated file in")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="capi-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"envelopes-{args.events}.jsonl"
    if not path.exists():
        t = time.perf_counter()
        write_envelopes(path, args.events)
        print(f"generated {args.events:,} events ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")
    db = work / "bench.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    bare = run("bare", path, db)
    first = run("ingest", path, db)
    again = run("ingest", path, db)
    rows = [("bare json.loads loop (stores nothing)", bare), ("capi-audit ingest, first load", first),
            ("capi-audit ingest, same file again", again)]
    print(f"{'measurement':40s} {'events':>10s} {'seconds':>8s} {'events/s':>10s} {'peak MB':>8s}")
    for name, r in rows:
        print(f"{name:40s} {r['events']:>10,d} {r['seconds']:>8.2f} {r['events'] / r['seconds']:>10,.0f} {r['peak_mb']:>8.0f}")
    print(f"database size: {db.stat().st_size / 1e6:.0f} MB ({db.stat().st_size / max(first['events'], 1):.0f} bytes/event)")


if __name__ == "__main__":
    main()
