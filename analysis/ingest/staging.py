"""Staging directories beside the database: one per running load, held by its process, swept once that process is gone."""
from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:                   # Windows: the owner's process id alone decides
    fcntl = None  # type: ignore[assignment]

LOCK = "owner.lock"
# A directory's name ends in "-<pid>-<random>" (tempfile's random part holds no "-").
_PID = re.compile(r"-([0-9]+)-[^-]*$")
_held: dict[Path, int] = {}           # directory -> open descriptor holding its lock


def area(db: str | Path) -> Path | None:
    """`<db>.staging/` beside the database, after removing what dead loads left there; None for :memory:.

    Beside the database, not in the system temp folder: the same filesystem (its size shows where the
    data goes) and one place to sweep. A load killed at any moment (SIGKILL, power loss) leaves its
    directory; the next load into the same database removes it.
    """
    if str(db) == ":memory:":
        return None
    db = Path(db)
    root = db.with_name(db.name + ".staging")
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        sweep(root)
    except OSError:
        return None                   # a folder we may not write to: the writer will say so; stage in temp
    return root


def claim(root: Path | None, prefix: str) -> Path:
    """A new private directory (0700) that this process owns until release(); in the temp folder when root is None."""
    d = Path(tempfile.mkdtemp(prefix=f"{prefix}-{os.getpid()}-", dir=root))
    if fcntl is not None:
        fd = os.open(d / LOCK, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held[d] = fd
    return d


def release(d: Path) -> None:
    """Remove a claimed directory and let go of it."""
    shutil.rmtree(d, ignore_errors=True)
    fd = _held.pop(d, None)
    if fd is not None:
        os.close(fd)


@atexit.register
def _release_all() -> None:
    # A load stopped midway (Ctrl+C while DuckDB closes the staging file, say) may not reach its own
    # release; the process's end does. Only SIGKILL and power loss leave work for the sweep.
    for d in list(_held):
        release(d)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True                   # another user's process
    return True


def _owned(d: Path) -> bool:
    """Whether a live process still holds `d` (a load running now, in this process or another)."""
    if fcntl is not None:
        try:
            fd = os.open(d / LOCK, os.O_RDWR)
        except FileNotFoundError:
            fd = None                 # claimed this instant, or from a process without locks: ask the pid
        if fd is not None:
            try:
                # The owner's lock goes with its process, however it ended; a lock is per open file,
                # so another load of this same process still counts as the owner.
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            finally:
                os.close(fd)
            return False
    m = _PID.search(d.name)
    return m is None or _alive(int(m.group(1)))   # a name not ours: never removed


def sweep(root: Path) -> list[Path]:
    """Remove the directories under root whose owning process is gone; returns them."""
    removed = []
    for d in sorted(root.iterdir()):
        if d.is_dir() and not d.is_symlink() and not _owned(d):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed
