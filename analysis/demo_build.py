"""Builds the demo database: generate the demo store's files, then load them through the real ingest path."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from analysis import demo, rollups, store
from analysis.demo import generator as generator_mod
from analysis.ingest import Batch, Options, Result, Staged, commit_batch
from analysis.metrics import emq

# Load order: orders and deployments first, then events, then Meta's own numbers.
ORDER = ("orders", "deployments", "server-events", "browser-events", "meta-quality", "meta-stats")


# A kind whose files are parsed together (server and browser events) is parsed every so many lines
# (about 2 s of parsing each), so that its parsing keeps pace with the generator instead of waiting
# for the last day. Not much smaller: each group costs ~0.3 s more to parse and to commit.
GROUP_LINES = {"server-events": 40_000, "browser-events": 100_000}


class _Loader:
    """Parses one kind's files into its staging database on a thread of its own, in the order given.

    Parsing runs in DuckDB (off Python's lock), so each file is parsed while the generator writes
    the next; the kinds are committed at the end, in ORDER, each as one load of its files would be.
    on_parsed(n) hears of files as they are parsed (a group's files at once).
    """

    def __init__(self, kind: str, on_parsed: Callable[[int], None], generating: threading.Event) -> None:
        self.kind, self.on_parsed, self.generating = kind, on_parsed, generating
        self.one_thread = False
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"demo-{kind}")
        self.batch: Batch | None = None
        self.staged: list[tuple[Staged, datetime]] = []
        self.jobs: list[Future[None]] = []
        self.parsed = 0

    def add(self, path: Path) -> None:
        self.jobs.append(self.pool.submit(self._stage, path))

    def _stage(self, path: Path) -> None:
        if self.batch is None:
            self.batch = Batch(self.kind)
        self._threads()
        started = datetime.now(timezone.utc).replace(tzinfo=None)
        self.staged.append((self.batch.stage(path, Options()), started))
        if self.kind in GROUP_LINES and sum(st.rows_read for st in self.batch.group) >= GROUP_LINES[self.kind]:
            self._raise(self.batch.flush())
        self._raise(self.batch.failed)
        self._count()

    def _threads(self) -> None:
        """One DuckDB thread while the generator runs, every core once it is done.

        While it runs, the loaders and the generator keep both cores busy already: a second thread per
        loader only adds its coordination (about a fifth more CPU to parse the events, measured).
        """
        assert self.batch is not None and self.batch.con is not None
        if self.generating.is_set() != self.one_thread:
            self.one_thread = not self.one_thread
            self.batch.con.execute("SET threads = 1" if self.one_thread else "RESET threads")

    def _count(self) -> None:
        ready = sum(st.ready for st, _ in self.staged)
        if ready > self.parsed:
            self.on_parsed(ready - self.parsed)
            self.parsed = ready

    @staticmethod
    def _raise(failed: list) -> None:
        if failed:
            raise failed[0][1]

    def last(self) -> None:
        """Queue the parsing of what is read but not yet parsed (files parsed in groups) on this loader's thread."""
        self.jobs.append(self.pool.submit(self._finish_batch))

    def _finish_batch(self) -> None:
        if self.batch is not None:
            self._threads()
            self._raise(self.batch.finish())
            self._count()

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

    progress(step, done, total) follows the build: step "generate" counts days, "load" counts the files
    parsed, then each kind stored, then the rollups and the EMQ calibration: it ends when the database is ready.
    """
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="capi-demo-", dir=workdir))
    files = generator_mod.file_count(days)
    steps = files + len(ORDER) + 1
    done = 0
    counting = threading.Lock()

    def advance(n: int) -> None:
        nonlocal done
        with counting:  # loaders report from their own threads
            done += n
            if progress:
                progress("load", done, steps)

    generating = threading.Event()
    generating.set()
    loaders = {kind: _Loader(kind, advance, generating) for kind in ORDER}
    # The generator runs in a process of its own: it is Python, the parsing is DuckDB, and with
    # both in one process the generator and the loaders' Python would take turns on one lock.
    # It names each file as it completes it; this copy of the package is the one it runs.
    here = str(Path(demo.__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (here, os.environ.get("PYTHONPATH")))))
    errors = tempfile.TemporaryFile("w+")
    fresh = db.with_name(db.name + ".building")
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
        generating.clear()
        if generator.wait() != 0:
            errors.seek(0)
            reason = (errors.read().strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"The demo generator failed (exit code {generator.returncode}): {reason}")
        log(f"Generated the demo store ({days} days) in {time.perf_counter() - t0:.1f} s; loading it…")
        # Every kind's last group is parsed on its own thread, all kinds at once (DuckDB lets go of Python's lock);
        # each kind is stored once it is parsed and the kinds before it are stored.
        for loader in loaders.values():
            loader.last()
        for p in (fresh, Path(str(fresh) + ".wal")):
            p.unlink(missing_ok=True)
        results: list[Result] = []
        t1 = time.perf_counter()
        with store.writer(fresh) as con:
            for kind in ORDER:
                loader = loaders[kind]
                loader.finish()
                if loader.batch is not None and loader.staged:
                    stored = commit_batch(con, loader.batch.staging, loader.staged, maintain_rollups=False)
                    results += stored
                    log(f"  {kind:15s} {len(stored):3d} files, {sum(r.loaded for r in stored):8d} rows")
                advance(1)
            # The store is built whole: its rollups once, from every event (what each load would leave).
            with store.transaction(con):
                rollups.rebuild(con)
            log(f"Stored in {time.perf_counter() - t1:.1f} s after the files were written.")
            cals = emq.calibrate(con)
            advance(1 + files - sum(loader.parsed for loader in loaders.values()))  # (+0 unless the count is off)
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
        for p in (fresh, Path(str(fresh) + ".wal")):   # what a failed build began (a finished one was moved)
            p.unlink(missing_ok=True)
