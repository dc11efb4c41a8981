"""Ctrl+C and SIGTERM during a load: stop DuckDB's running statement, roll back the file in progress, exit 130/143."""
from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
from typing import Any, Iterator

import duckdb

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The user or the system asked the load to stop; what was committed before stays."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum          # the shell's convention: 130 for SIGINT, 143 for SIGTERM

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


_lock = threading.Lock()
_active: list[Any] = []               # connections whose running statement a signal stops
_signalled: int | None = None         # the first signal seen (by the watcher thread, at once)
_raised = False                       # the handler raised already: a second Ctrl+C does not cut the clean-up short
_deferring = 0                        # inside deferred(): a COMMIT runs to its end first
_writing = 0                          # watched store connections: their transactions end in order
_finishing = 0                        # inside finishing(): work completed before the signal is stored


def _interrupt_all() -> None:
    with _lock:
        if _deferring:
            return
        for con in list(_active):
            try:
                con.interrupt()
            except duckdb.Error:
                pass                  # closed meanwhile: nothing runs on it


def _watch(fd: int) -> None:
    # Python runs signal handlers only between bytecodes of the main thread; a statement running in
    # DuckDB's C++ keeps it away from them until the statement ends. The C-level handler writes the
    # signal number to the wakeup fd at once, so this thread can stop the statement. Once signalled,
    # it keeps stopping whatever statement starts next (a parser may catch one DuckDB error and retry).
    global _signalled
    while True:
        ready, _, _ = select.select([fd], [], [], 0.1 if _signalled is not None else None)
        if ready:
            try:
                data = os.read(fd, 64)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                if signum in SIGNALS and _signalled is None:
                    _signalled = signum
        if _signalled is not None:
            _interrupt_all()


def _handler(signum: int, frame: object) -> None:
    global _signalled, _raised
    if _signalled is None:
        _signalled = signum
    # While the store is written, the watcher stops DuckDB's statement and the error it raises becomes
    # Interrupted where the code expects errors; raising here instead could land anywhere (half-way
    # through the transaction's ROLLBACK, say). Elsewhere (parsing, a download, a wait) raise now.
    if not _raised and not _deferring and not _writing:
        _raised = True
        raise Interrupted(_signalled)


def check() -> None:
    """Raise Interrupted if a signal came (DuckDB reports a stopped statement as its own error)."""
    global _raised
    if _signalled is not None and not _finishing:
        # The handler, still pending when the watcher was quicker, must not raise a second time
        # in the middle of the clean-up this exception starts.
        _raised = True
        raise Interrupted(_signalled)


@contextlib.contextmanager
def handling() -> Iterator[None]:
    """Within: SIGINT and SIGTERM stop the watched connections' statements and raise Interrupted."""
    global _signalled, _raised
    if os.name != "posix" or threading.current_thread() is not threading.main_thread():
        yield                         # signals reach only the main thread (Windows: Python's own Ctrl+C only)
        return
    _signalled, _raised = None, False
    r, w = os.pipe()
    os.set_blocking(w, False)
    previous = {s: signal.signal(s, _handler) for s in SIGNALS}
    old_fd = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    watcher = threading.Thread(target=_watch, args=(r,), daemon=True, name="capi-audit-interrupts")
    watcher.start()
    try:
        yield
    except Exception as exc:
        if _signalled is None:
            raise
        # Whatever failed after a signal failed because of it (DuckDB turns an exception raised
        # inside one of its calls into its own error): report the interruption.
        raise Interrupted(_signalled) from exc
    finally:
        signal.set_wakeup_fd(old_fd)
        for s, h in previous.items():
            signal.signal(s, h)
        os.close(w)                   # the watcher reads end-of-file and ends
        watcher.join()
        os.close(r)
        _signalled, _raised = None, False


@contextlib.contextmanager
def watching(con: Any, writer: bool = False) -> Iterator[Any]:
    """While inside, a signal stops the statement running on `con` (writer: the store's connection)."""
    global _writing
    with _lock:
        _active.append(con)
        _writing += writer
    try:
        check()
        yield con
        check()                       # a signal while Python code ran between statements
    except Exception:
        # DuckDB reports a stopped statement as its own error, or as a plain RuntimeError ("Query
        # interrupted") from some statements: after a signal, either is the signal's doing.
        check()
        raise
    finally:
        with _lock:
            _active.remove(con)
            _writing -= writer


@contextlib.contextmanager
def finishing() -> Iterator[None]:
    """After a signal: store what was complete before it (files parsed whole); no signal stops this step."""
    global _finishing, _deferring
    with _lock:
        _finishing += 1
        _deferring += 1               # the watcher leaves its statements alone, the handler does not raise
    try:
        yield
    finally:
        with _lock:
            _finishing -= 1
            _deferring -= 1


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A step that must finish once started (a COMMIT): a signal meanwhile raises only after it."""
    global _deferring, _raised
    check()                           # a signal before the step: it does not start
    with _lock:
        _deferring += 1
    try:
        yield
    finally:
        with _lock:
            _deferring -= 1
    if _signalled is not None:
        _raised = True
        raise Interrupted(_signalled)
