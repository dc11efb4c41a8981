"""Benchmark of `capi-audit rollup`: the demo's rollups on DuckDB (ibis) and Spark (local) vs `rebuild`, and
the bytes the rollups read, for the scaling note.

Usage: python tests/perf/bench_engines.py [--days 14] [--engines duckdb,pyspark]
Builds the demo store of --days, exports its lake, then times in fresh processes (whole commands, Spark's
start included): `rebuild` (the store's own SQL) and `rollup --engine E` for each engine into a new store.
Prints the rows and Arrow bytes of the four results (what comes back to the store), and per column the lake's compressed Parquet bytes and the logical bytes BigQuery would bill for the
columns the rollups read (STRING 2 + UTF-8 bytes, BOOL 1, TIMESTAMP 8), per event.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _cli(*argv: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analysis.cli", *argv], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _bytes(lake: Path, table: str, columns: tuple[str, ...]) -> tuple[int, dict[str, tuple[int, int]]]:
    """Rows, and per column (Parquet compressed bytes, BigQuery logical bytes)."""
    import duckdb
    import pyarrow.parquet as pq

    files = sorted((lake / table).rglob("*.parquet"))
    compressed = dict.fromkeys(columns, 0)
    for f in files:
        meta = pq.ParquetFile(f).metadata
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            for c in range(rg.num_columns):
                col = rg.column(c)
                if col.path_in_schema in compressed:
                    compressed[col.path_in_schema] += col.total_compressed_size
    con = duckdb.connect()
    src = f"read_parquet({[str(f) for f in files]!r})"
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {src})").fetchall())
    logical = []
    for c in columns:
        if types[c] == "VARCHAR":
            logical.append(f"sum(CASE WHEN \"{c}\" IS NULL THEN 0 ELSE 2 + octet_length(encode(\"{c}\")) END)")
        elif types[c] == "BOOLEAN":
            logical.append(f"count(\"{c}\")")
        else:
            logical.append(f"8 * count(\"{c}\")")
    row = con.execute(f"SELECT count(*), {', '.join(logical)} FROM {src}").fetchall()[0]
    return row[0], {c: (compressed[c], int(row[i + 1] or 0)) for i, c in enumerate(columns)}


def main() -> int:
    from analysis.engines.sources import BROWSER_COLUMNS, SERVER_COLUMNS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--engines", default="duckdb,pyspark")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as tmp:
        db, lake = Path(tmp) / "demo.duckdb", Path(tmp) / "lake"
        _cli("--db", str(db), "demo", "--no-serve", "--days", str(args.days))
        _cli("--db", str(db), "export", "parquet", str(lake))
        print(f"demo of {args.days} days; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"rebuild (the store's SQL, whole command): {_cli('--db', str(db), 'rebuild'):.1f} s")
        for engine in args.engines.split(","):
            seconds = _cli("--db", str(Path(tmp) / f"{engine}.duckdb"), "rollup", "--engine", engine,
                           "--lake", str(lake))
            print(f"rollup --engine {engine} (whole command, from the lake): {seconds:.1f} s")
        from analysis.engines import command
        from analysis.rollups import settings_of

        results, _ = command.compute("duckdb", lake, settings_of({}), None, None)
        print("what comes back to the store (Arrow, all days): " + "; ".join(
            f"{name} {t.num_rows:,} rows {t.nbytes / 1e6:.1f} MB" for name, t in results.items()))
        total_events = 0
        for table, cols in (("server_events", SERVER_COLUMNS), ("browser_events", BROWSER_COLUMNS)):
            rows, sizes = _bytes(lake, table, cols)
            total_events += rows
            comp, logi = sum(v[0] for v in sizes.values()), sum(v[1] for v in sizes.values())
            print(f"{table}: {rows:,} rows; the rollups' {len(cols)} columns: {comp / rows:.1f} B/row in Parquet, "
                  f"{logi / rows:.1f} B/row logical (BigQuery)")
            for c, (cb, lb) in sorted(sizes.items(), key=lambda kv: -kv[1][1]):
                print(f"    {c}: {cb / rows:.2f} B/row Parquet, {lb / rows:.2f} B/row logical")
        print(f"events: {total_events:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
