"""Append-only daily JSONL files written by one background thread, so forwarding never waits on the disk."""
from __future__ import annotations

import os
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Callable

# Lines waiting for the disk beyond this are dropped (and counted): memory must stay bounded
# when the disk stalls, and forwarding must go on.
MAX_PENDING = 100_000
_STOP = object()


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Journal:
    """`put(kind, day, build)`: `build()` returns the bytes to append to ROOT/kind/day.jsonl (a UTC day)."""

    def __init__(self, root: Path, warn: Callable[[str], None] = _stderr, max_pending: int = MAX_PENDING) -> None:
        self.root = Path(root)
        self.warn = warn
        self.written = 0
        self.failed = 0
        self.dropped = 0
        self._queue: queue.Queue = queue.Queue(maxsize=max_pending)
        self._files: dict[str, tuple[str, int, int]] = {}   # kind -> (day, fd, inode)
        self._torn: set[str] = set()                         # kinds whose last line was cut by a failed write
        self._last_warning = 0.0
        self._thread = threading.Thread(target=self._run, name="capture-journal", daemon=True)
        self._thread.start()

    def put(self, kind: str, day: str, build: Callable[[], bytes]) -> None:
        """Queue one record; never raises and never blocks (a full queue drops the record, with a warning)."""
        try:
            self._queue.put_nowait((kind, day, build))
        except queue.Full:
            self.dropped += 1
            self._warn(f"capture: {self.dropped} log records dropped: the disk under {self.root} is not keeping up "
                       "(requests are still forwarded).")

    def path(self, kind: str, day: str) -> Path:
        return self.root / kind / f"{day}.jsonl"

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, then close the files."""
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything queued so far is on disk (tests and benchmarks)."""
        done = threading.Event()
        self._queue.put(("", "", done))
        done.wait(timeout)

    def _warn(self, message: str) -> None:
        # At most one warning per 10 s: a full disk must not flood the terminal.
        now = time.monotonic()
        if now - self._last_warning >= 10:
            self._last_warning = now
            self.warn(message)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            kind, day, build = item
            if isinstance(build, threading.Event):
                build.set()
                continue
            try:
                data = build()
            except Exception as exc:   # a bug in building one line must not stop the writer
                self.failed += 1
                self._warn(f"capture: could not build a {kind} log line ({type(exc).__name__}: {exc}); "
                           "the request was forwarded but is not logged.")
                continue
            try:
                self._append(kind, day, data)
                self.written += 1
            except OSError as exc:
                self.failed += 1
                self._warn(f"capture: could not write {self.path(kind, day)} ({exc.strerror or exc}); requests "
                           "are still forwarded but not logged until this is fixed (disk space, permissions).")
        for _day, fd, _ino in self._files.values():
            os.close(fd)
        self._files.clear()

    def _fd(self, kind: str, day: str) -> int:
        path = self.path(kind, day)
        cur = self._files.get(kind)
        if cur and cur[0] == day:
            try:
                if os.stat(path).st_ino == cur[2]:
                    return cur[1]
            except FileNotFoundError:
                pass      # moved or deleted by someone else: start a new file
        if cur:
            os.close(cur[1])
            del self._files[kind]
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._files[kind] = (day, fd, os.fstat(fd).st_ino)
        return fd

    def _append(self, kind: str, day: str, data: bytes) -> None:
        fd = self._fd(kind, day)
        if kind in self._torn:
            # The previous write failed midway: end that fragment so it cannot swallow this line.
            data = b"\n" + data
        # O_APPEND and one write per line: nothing is buffered in this process, and a reader sees
        # whole lines except, at worst, the one being written at that instant.
        view = memoryview(data)
        try:
            while view:
                n = os.write(fd, view)
                view = view[n:]
        except OSError:
            if len(view) < len(data):
                self._torn.add(kind)
            raise
        self._torn.discard(kind)
