"""Builds the demo database: generate the demo store's files, then load them through the real ingest path."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from analysis import demo, rollups, store
from analysis.ingest import Batch, Options, Result, Staged, commit_batch
from analysis.metrics import emq

# Load order: orders and deployments first, then events, then Meta's own numbers.
ORDER = ("orders", "deployments", "server-events", "browser-events", "meta-quality", "meta-stats")


class _Loader:
    """Parses one kind's files into its staging database on a thread of its own, in the order given.

    Parsing runs in DuckDB (off Python's lock), so each file is parsed while the generator writes
    the next; all kinds are committed together at the end, in ORDER, as one load per
    kind would be.
    """

    def __init__(self, kind: str, on_file: Callable[[], None]) -> None:
        self.kind, self.on_file = kind, on_file
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"demo-{kind}")
        self.batch: Batch | None = None
        self.staged: list[tuple[Staged, datetime]] = []
        self.jobs: list[Future[None]] = []

    def add(self, path: Path) -> None:
        self.jobs.append(self.pool.submit(self._stage, path))

    def _stage(self, path: Path) -> None:
        if self.batch is None:
            self.batch = Batch(self.kind)
        started = datetime.now(timezone.utc).replace(tzinfo=None)
        self.staged.append((self.batch.stage(path, Options()), started))
        self.on_file()

    def last(self) -> None:
        """Queue the parsing of what is read but not yet parsed (files parsed in groups) on this loader's thread."""
        self.jobs.append(self.pool.submit(self._finish_batch))

    def _finish_batch(self) -> None:
        if self.batch is not None:
            failed = self.batch.finish()
            if failed:
                raise failed[0][1]

    def finish(self) -> None:
        """Wait for the parsing; a file that could not be parsed stops the build with its reason."""
        self.pool.shutdown(wait=True)
        for job in self.jobs:
            job.result()

    def remove(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.batch is not None:
            self.batch.remove()


def build(db: Path, *, days: int = 90, orders_per_day: int = 300, workdir: Path | None = None,
          log: Callable[[str], None] = print,
          progress: Callable[[str, int, int], None] | None = None) -> list[Result]:
    """Replace `db` with a freshly built demo database; returns one Result per ingested file.

    progress(step, done, total) follows the build: step "generate" counts days, "load" counts files.
    """
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="capi-demo-", dir=workdir))
    parsed = 0

    def on_file() -> None:
        nonlocal parsed
        parsed += 1
        if progress:
            # Every file is handed over as written: three a day, Meta's snapshots, the orders.
            progress("load", parsed, max(parsed, 4 * days))

    loaders = {kind: _Loader(kind, on_file) for kind in ORDER}
    # The generator runs in a process of its own: it is Python, the parsing is DuckDB, and with
    # both in one process the generator and the loaders' Python would take turns on one lock.
    # It names each file as it completes it; this copy of the package is the one it runs.
    here = str(Path(demo.__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (here, os.environ.get("PYTHONPATH")))))
    errors = tempfile.TemporaryFile("w+")
    generator = subprocess.Popen([sys.executable, "-m", "analysis.demo", str(tmp), "--days", str(days),
                                  "--orders-per-day", str(orders_per_day)],
                                 stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
    try:
        assert generator.stdout is not None
        for line in generator.stdout:
            what, _, rest = line.rstrip("\n").partition(" ")
            if what == "file":
                kind, _, path = rest.partition(" ")
                loaders[kind].add(Path(path))
            elif what == "day" and progress:
                progress("generate", int(rest), days)
        if generator.wait() != 0:
            errors.seek(0)
            reason = (errors.read().strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"The demo generator failed (exit code {generator.returncode}): {reason}")
        log(f"Generated the demo store ({days} days) in {time.perf_counter() - t0:.1f} s; loading it…")
        total = sum(len(loader.jobs) for loader in loaders.values())
        # Every kind's last group is parsed on its own thread, all kinds at once (DuckDB lets go of Python's lock).
        for loader in loaders.values():
            loader.last()
        for loader in loaders.values():
            loader.finish()
        if progress:
            progress("load", total, total)
        fresh = db.with_name(db.name + ".building")
        for p in (fresh, Path(str(fresh) + ".wal")):
            p.unlink(missing_ok=True)
        results: list[Result] = []
        t1 = time.perf_counter()
        with store.writer(fresh) as con:
            for kind in ORDER:
                loader = loaders[kind]
                if loader.batch is not None and loader.staged:
                    done = commit_batch(con, loader.batch.staging, loader.staged, maintain_rollups=False)
                    results += done
                    log(f"  {kind:15s} {len(done):3d} files, {sum(r.loaded for r in done):8d} rows")
            # The store is built whole: its rollups once, from every event (what each load would leave).
            with store.transaction(con):
                rollups.rebuild(con)
            log(f"Loaded in {time.perf_counter() - t1:.1f} s after the files were parsed.")
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
        if generator.poll() is None:
            generator.kill()
        generator.wait()
        errors.close()
        for loader in loaders.values():
            loader.remove()
        shutil.rmtree(tmp, ignore_errors=True)
