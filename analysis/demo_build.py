"""Builds the demo database: generate the demo store's files, then load them through the real ingest path."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from analysis import demo, store
from analysis.ingest import Options, Result, expand, ingest_files
from analysis.metrics import emq

# Load order: orders and deployments first, then events, then Meta's own numbers.
ORDER = ("orders", "deployments", "server-events", "browser-events", "meta-quality", "meta-stats")


def build(db: Path, *, days: int = 90, orders_per_day: int = 300, workdir: Path | None = None,
          log: Callable[[str], None] = print,
          progress: Callable[[str, int, int], None] | None = None) -> list[Result]:
    """Replace `db` with a freshly built demo database; returns one Result per ingested file.

    progress(step, done, total) follows the build: step "generate" counts days, "load" counts files.
    """
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="capi-demo-", dir=workdir))
    try:
        on_day = (lambda d: progress("generate", d, days)) if progress else None
        files = demo.generate(tmp, days=days, orders_per_day=orders_per_day, on_day=on_day)
        log(f"Generated the demo store ({days} days) in {time.perf_counter() - t0:.1f} s; loading it…")
        fresh = db.with_name(db.name + ".building")
        for p in (fresh, Path(str(fresh) + ".wal")):
            p.unlink(missing_ok=True)
        results: list[Result] = []
        todo = {kind: expand(files.get(kind, []), kind) for kind in ORDER}
        total, done = sum(len(p) for p in todo.values()), 0
        for kind in ORDER:
            paths = todo[kind]
            t1 = time.perf_counter()

            def on_file(_res: object) -> None:
                nonlocal done
                done += 1
                if progress:
                    progress("load", done, total)

            # One command per kind, as `capi-audit ingest KIND DIR` would: one staging area, one commit.
            for res in ingest_files(fresh, kind, paths, Options(), on_file=on_file):
                if res.error:
                    raise RuntimeError(res.error)
                results.append(res)
            loaded = sum(r.loaded for r in results if r.kind == kind)
            log(f"  {kind:15s} {len(paths):3d} files, {loaded:8d} rows in {time.perf_counter() - t1:5.1f} s")
        with store.writer(fresh) as con:
            cals = emq.calibrate(con)
        for c in cals:
            log(f"  EMQ calibration for pixel {c.pixel_id}: RMSE {c.rmse_before:.2f} → {c.rmse_after:.2f} "
                f"over {c.snapshots} snapshots")
        # Swap in the finished database at once, so a dashboard never reads a half-built one.
        Path(str(db) + ".wal").unlink(missing_ok=True)
        fresh.replace(db)
        log(f"Demo database ready at {db} ({time.perf_counter() - t0:.1f} s).")
        return results
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
