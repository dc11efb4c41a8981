"""Ctrl+C, SIGTERM and SIGKILL during real `ingest` and `sync` processes: earlier files stay, the one in progress never half-loads."""
from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analysis import interrupts, store
from analysis.ingest import staging
from tests.test_connectors_http import Call, FakeServer
from tests.test_connectors_orders import SHOP_TOKEN, WOO_KEY, WOO_SECRET, ShopifyAdmin, WooShop, shop_orders, woo_orders
from tests.test_ingest_server import rows

ROOT = Path(__file__).resolve().parents[1]
SMALL = 3            # events in the file committed before the big one
BIG = 150_000        # events: parsing takes seconds, so a signal lands inside it


def events_file(path: Path, n: int, start: int = 0) -> Path:
    """n one-event envelopes (distinct event ids), plain or gzip by the name."""
    tpl = ('{"pixel_id":"111","sent_at":"2026-10-01T12:00:05Z","request":{"data":[{"event_name":"Purchase",'
           '"event_time":%d,"event_id":"o-%d","action_source":"website","user_data":{"em":["' + "a" * 64 + '"],'
           '"client_user_agent":"Mozilla/5.0"},"custom_data":{"value":10.5,"currency":"USD","order_id":"%d"}}]},'
           '"response":{"status":200,"body":{"events_received":1}}}\n')
    text = "".join(tpl % (1790856000 + i, i, i) for i in range(start, start + n)).encode()
    path.write_bytes(gzip.compress(text, 1) if path.name.endswith(".gz") else text)
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("inputs")
    return {"small": events_file(d / "a-small.jsonl", SMALL, start=10_000_000),
            "big": events_file(d / "b-big.jsonl", BIG), "big_gz": events_file(d / "b-big.jsonl.gz", BIG)}


def cli(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "analysis.cli", "--db", str(db), *args], cwd=db.parent,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(cond: Any, proc: subprocess.Popen[str], what: str) -> None:
    """Poll until cond() (the process must still be running meanwhile)."""
    deadline = time.monotonic() + 120
    while not cond():
        assert proc.poll() is None, f"the process ended before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.01)


def staged_files(db: Path) -> list[Path]:
    return sorted(db.with_name(db.name + ".staging").glob("*/stage.duckdb"))


def staging_dirs(db: Path) -> list[str]:
    area = db.with_name(db.name + ".staging")
    return sorted(p.name for p in area.iterdir()) if area.exists() else []


def reading(proc: subprocess.Popen[str], path: Path) -> bool:
    """Whether the process has `path` open right now (Linux: /proc/PID/fd)."""
    try:
        fds = os.listdir(f"/proc/{proc.pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{proc.pid}/fd/{fd}") == str(path):
                return True
        except OSError:
            pass
    return False


def parsing(db: Path, proc: subprocess.Popen[str], path: Path) -> bool:
    # Staged (after the digest) and open: DuckDB is reading it. Earlier files are committed by then.
    return bool(staged_files(db)) and reading(proc, path)


pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc to see what is being read")


@pytest.mark.parametrize("sig, big, code", [(signal.SIGINT, "big_gz", 130), (signal.SIGTERM, "big", 143),
                                            (signal.SIGINT, "big", 130)])
def test_a_signal_while_parsing_rolls_back_that_file_only(tmp_path: Path, inputs: dict[str, Path], sig: int,
                                                          big: str, code: int):
    db = tmp_path / "audit.duckdb"
    proc = cli(db, "ingest", "server-events", str(inputs["small"]), str(inputs[big]))
    wait_for(lambda: parsing(db, proc, inputs[big]), proc, "the big file being parsed")
    proc.send_signal(sig)
    if sig == signal.SIGINT:
        proc.send_signal(sig)         # pressed twice, as people do
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    name = signal.Signals(sig).name
    assert err.strip().splitlines()[-1] == (f"Interrupted ({name}); each file is stored whole or not at all: run the "
                                            "same command again to load the rest.")
    assert "Traceback" not in err
    assert rows(db, "SELECT count(*), min(event_id) FROM server_events") == [(SMALL, "o-10000000")]
    assert rows(db, "SELECT path, rows_loaded FROM ingestions") == [(str(inputs["small"]), SMALL)]
    assert staging_dirs(db) == []      # its own staging directory went with it


@pytest.mark.parametrize("phase", ["parsing", "writing"])
def test_sigkill_loses_nothing_and_the_next_run_sweeps_its_staging(tmp_path: Path, inputs: dict[str, Path],
                                                                   phase: str):
    db = tmp_path / "audit.duckdb"
    proc = cli(db, "ingest", "server-events", str(inputs["small"]), str(inputs["big_gz"]))
    wait_for(lambda: parsing(db, proc, inputs["big_gz"]), proc, "the big file being parsed")
    if phase == "writing":
        # The big file's rows being moved into the store: the database is open, its staging not yet gone.
        wait_for(lambda: reading(proc, db) and bool(staged_files(db)), proc, "the big file being committed")
    proc.kill()
    proc.communicate(timeout=60)
    left = staging_dirs(db)
    assert len(left) == 1 and left[0].startswith(f"capi-stage-{proc.pid}-")     # what a kill -9 leaves
    again = cli(db, "ingest", "server-events", str(inputs["small"]), str(inputs["big_gz"]))
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert rows(db, "SELECT count(*), count(DISTINCT event_uid) FROM server_events") == [(SMALL + BIG, SMALL + BIG)]
    # The small file is skipped as unchanged; the big one loads once, whole.
    assert rows(db, "SELECT rows_loaded, rows_duplicate FROM ingestions ORDER BY ingestion_id") == [
        (SMALL, 0), (BIG, 0)]
    assert staging_dirs(db) == []


def _claim_and_wait(root: Path) -> subprocess.Popen[str]:
    """Another process holding a staging directory until its stdin closes."""
    code = ("import sys; from pathlib import Path; from analysis.ingest import staging; "
            f"print(staging.claim(Path({str(root)!r}), 'capi-stage').name, flush=True); sys.stdin.read()")
    return subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def test_the_sweep_removes_only_what_dead_processes_left(tmp_path: Path):
    root = tmp_path / "audit.duckdb.staging"
    root.mkdir()
    alive = _claim_and_wait(root)
    alive_dir = alive.stdout.readline().strip()
    dead = _claim_and_wait(root)
    dead_dir = dead.stdout.readline().strip()
    dead.kill()
    dead.wait()
    mine = staging.claim(root, "capi-stage")              # another load of this very process
    (root / "notes").mkdir()                              # not named by us: never touched
    try:
        assert [p.name for p in staging.sweep(root)] == [dead_dir]
        assert sorted(p.name for p in root.iterdir()) == sorted([alive_dir, mine.name, "notes"])
    finally:
        alive.stdin.close()
        alive.wait()
        staging.release(mine)
    assert sorted(p.name for p in root.iterdir()) == ["notes"]     # an owner that ends removes its own


def test_sigint_during_sync_keeps_the_sources_already_synced(tmp_path: Path):
    arrived, release = threading.Event(), threading.Event()
    woo = WooShop(woo_orders())

    def slow_woo(call: Call) -> Any:
        arrived.set()
        release.wait(60)                                   # Meta's or the shop's slow day
        return woo(call)

    toml = tmp_path / "capi-audit.toml"
    toml.write_text('[shopify]\nshop = "demo-store"\n[woocommerce]\nurl = "https://shop.example"\n')
    db = tmp_path / "audit.duckdb"
    try:
        with FakeServer(ShopifyAdmin(shop_orders())) as s, FakeServer(slow_woo) as w:
            proc = cli(db, "sync", "--since", "2026-01-01", env={
                "CAPI_AUDIT_CONFIG": str(toml), "SHOPIFY_ACCESS_TOKEN": SHOP_TOKEN, "SHOPIFY_API_URL": s.url,
                "WOOCOMMERCE_URL": w.url, "WOOCOMMERCE_KEY": WOO_KEY, "WOOCOMMERCE_SECRET": WOO_SECRET})
            wait_for(arrived.is_set, proc, "the WooCommerce request")
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
    finally:
        release.set()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("Interrupted (SIGINT); each file is stored whole or not at all")
    assert rows(db, "SELECT count(*) FROM orders") == [(5,)]                 # Shopify's, committed before
    assert rows(db, "SELECT source, cursor FROM sync_state") == [("shopify", "2026-11-24T10:00:00Z")]
    assert staging_dirs(db) == []          # the fetched (plaintext) orders file went with it


def test_a_signal_inside_a_transaction_rolls_it_back(tmp_path: Path):
    con = store.connect(tmp_path / "db.duckdb")
    con.execute("CREATE TABLE t (x INTEGER)")
    with interrupts.handling(), pytest.raises(interrupts.Interrupted) as caught:
        with store.transaction(con):
            con.execute("INSERT INTO t VALUES (1)")
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)                              # the handler raises here, long before the end
            con.execute("INSERT INTO t VALUES (2)")
    assert caught.value.exit_code == 143
    assert con.execute("SELECT count(*) FROM t").fetchall() == [(0,)]
    con.close()


def test_a_signal_during_the_commit_lets_it_finish_then_stops(tmp_path: Path):
    con = store.connect(tmp_path / "db.duckdb")
    con.execute("CREATE TABLE t (x INTEGER)")
    finished = []
    with interrupts.handling(), pytest.raises(interrupts.Interrupted) as caught:
        with interrupts.deferred():                    # as store.transaction wraps its COMMIT
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)                            # the handler ran meanwhile, without raising
            con.execute("INSERT INTO t VALUES (1)")
            finished.append(True)
    assert finished == [True] and caught.value.exit_code == 130
    assert con.execute("SELECT count(*) FROM t").fetchall() == [(1,)]
    # Outside handling() again: Python's own Ctrl+C handler is back, and no stale signal lingers.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    interrupts.check()
    con.close()


def test_a_signal_stops_a_long_statement_on_the_store_and_rolls_back(tmp_path: Path):
    con = store.connect(tmp_path / "db.duckdb")
    con.execute("CREATE TABLE t (x BIGINT)")
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    with interrupts.handling(), pytest.raises(interrupts.Interrupted) as caught:
        with interrupts.watching(con, writer=True), store.transaction(con):
            con.execute("INSERT INTO t VALUES (1)")
            timer.start()
            # Minutes of work in DuckDB's C++, where no Python signal handler runs: the watcher stops it.
            con.execute("INSERT INTO t SELECT sum(hash(range)) FROM range(20000000000)")
    timer.join()
    assert caught.value.exit_code == 143
    assert isinstance(caught.value.__context__, duckdb.InterruptException)     # stopped, not finished
    assert con.execute("SELECT count(*) FROM t").fetchall() == [(0,)]
    con.close()
