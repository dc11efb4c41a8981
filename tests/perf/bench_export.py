"""Benchmark of `capi-audit export parquet`: seconds, rows and bytes for a demo store, in a fresh process.

Usage: python tests/perf/bench_export.py [--days 14] [--db STORE] [--runs 3]
  --db: export this store instead of building the demo one (the demo of --days, about 7k events a day).
Prints the store's events and size, then per run the export's wall seconds, and the lake's files and size.
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


def _cli(*argv: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "analysis.cli", *argv], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        db = args.db or Path(tmp) / "demo.duckdb"
        if not args.db:
            _cli("--db", str(db), "demo", "--no-serve", "--days", str(args.days))
        for run in range(1, args.runs + 1):
            lake = Path(tmp) / f"lake{run}"
            t0 = time.perf_counter()
            _cli("--db", str(db), "export", "parquet", str(lake))
            seconds = time.perf_counter() - t0
            tables = json.loads((lake / "_manifest.json").read_text())["tables"]
            events = tables["server_events"]["rows"] + tables["browser_events"]["rows"]
            files = sum(t["files"] for t in tables.values())
            print(f"run {run}: {events:,} events ({sum(t['rows'] for t in tables.values()):,} rows) in "
                  f"{seconds:.2f} s wall (whole command); {files} files, lake {_size(lake) / 1e6:.1f} MB, "
                  f"store {_size(db) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
