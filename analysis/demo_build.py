"""Builds the demo database: generate the demo store's files, then load them through the real ingest path."""
from __future__ import annotations

import multiprocessing
import queue
import shutil
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from analysis import demo, store
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

    def finish(self) -> None:
        """Wait for the parsing; a file that could not be parsed stops the build with its reason."""
        self.pool.shutdown(wait=True)
        for job in self.jobs:
            job.result()
        if self.batch is not None:
            self.batch.close()

    def remove(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.batch is not None:
            self.batch.remove()


def _generate(messages: "multiprocessing.Queue[tuple]", out: str, days: int, orders_per_day: int) -> None:
    """The generator's process: reports each day and each finished file, then every path (or why it failed)."""
    try:
        paths = demo.generate(Path(out), days=days, orders_per_day=orders_per_day,
                              on_day=lambda d: messages.put(("day", d)),
                              on_file=lambda kind, path: messages.put(("file", kind, str(path))))
    except Exception as e:
        messages.put(("error", f"{type(e).__name__}: {e}"))
        raise
    messages.put(("done", {kind: [str(p) for p in found] for kind, found in paths.items()}))


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
    ctx = multiprocessing.get_context("spawn")
    messages = ctx.Queue()
    generator = ctx.Process(target=_generate, args=(messages, str(tmp), days, orders_per_day), daemon=True,
                            name="capi-demo-generator")
    try:
        generator.start()
        files: dict[str, list[str]] | None = None
        while files is None:
            try:
                message = messages.get(timeout=0.5)
            except queue.Empty:
                if not generator.is_alive():
                    raise RuntimeError(f"The demo generator stopped (exit code {generator.exitcode}).") from None
                continue
            if message[0] == "file":
                loaders[message[1]].add(Path(message[2]))
            elif message[0] == "day":
                if progress:
                    progress("generate", message[1], days)
            elif message[0] == "error":
                raise RuntimeError(f"The demo generator failed: {message[1]}")
            else:
                files = message[1]
        generator.join()
        log(f"Generated the demo store ({days} days) in {time.perf_counter() - t0:.1f} s; loading it…")
        total = sum(len(files.get(kind, [])) for kind in ORDER)
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
                    done = commit_batch(con, loader.batch.staging, loader.staged)
                    results += done
                    log(f"  {kind:15s} {len(done):3d} files, {sum(r.loaded for r in done):8d} rows")
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
        if generator.is_alive():
            generator.terminate()
            generator.join()
        for loader in loaders.values():
            loader.remove()
        shutil.rmtree(tmp, ignore_errors=True)
