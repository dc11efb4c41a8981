"""Readers and writers at once: `report` and the dashboard keep working while another process writes."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analysis import cli
from dashboard import data
from tests.scenario import Scenario, sev

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
ROOT = str(Path(__file__).resolve().parents[1])


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    data._last.clear()
    yield
    st.cache_data.clear()
    data._last.clear()


def three_orders(tmp_path: Path) -> Path:
    """Three paid orders on 2026-10-01, each with its server Purchase."""
    sc = Scenario(tmp_path)
    for i in range(3):
        sc.order(f"10{i}", f"2026-10-01T1{i}:00:00", total=20.0)
        sc.server(sev("Purchase", f"2026-10-01T1{i}:00:05", f"order-10{i}", custom_data={"order_id": f"10{i}"}))
    sc.ingest()
    return sc.db


class Holder:
    """Another process that writes to the database, then keeps it locked until release() (or `seconds`)."""

    def __init__(self, db: Path, seconds: float | None = None) -> None:
        script = textwrap.dedent(f"""
            import os, sys, duckdb
            con = duckdb.connect({str(db)!r})
            con.execute("CREATE TABLE IF NOT EXISTS busy_probe (x INTEGER)")
            con.execute("INSERT INTO busy_probe VALUES (1)")
            con.execute("CHECKPOINT")
            os.utime({str(db)!r})
            print("locked", flush=True)
            sys.stdin.readline()
            con.close()
        """)
        self.proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout.readline().strip() == "locked"
        if seconds is not None:
            threading.Timer(seconds, self.release).start()

    def release(self) -> int:
        if self.proc.poll() is None:
            self.proc.stdin.write("done\n")
            self.proc.stdin.flush()
        return self.proc.wait(timeout=60)


def orders_in(report_json: str) -> tuple[int, int]:
    days = json.loads(report_json)["discrepancy"]["days"]
    return sum(d["backend_orders"] for d in days), sum(d["server_events"] for d in days)


def test_report_waits_for_a_writer_saying_so_then_reports_exact_totals(tmp_path, capsys):
    db = three_orders(tmp_path)
    holder = Holder(db, seconds=3)
    code = cli.main(["--db", str(db), "report", "--since", "2026-10-01", "--until", "2026-10-01"])
    out = capsys.readouterr()
    assert code == 0 and holder.release() == 0
    assert f"Waiting up to 60 s for another process to release {db}" in out.err
    assert orders_in(out.out) == (3, 3)


def test_report_gives_up_after_lock_timeout_with_a_sentence(tmp_path, capsys, monkeypatch):
    db = three_orders(tmp_path)
    monkeypatch.setenv("CAPI_AUDIT_LOCK_TIMEOUT", "1")
    holder = Holder(db)
    code = cli.main(["--db", str(db), "report"])
    err = " ".join(capsys.readouterr().err.split())
    holder.release()
    assert code == 2 and "is still locked by another process after 1 s" in err and "Traceback" not in err


def counts(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.main.metric}


def test_the_dashboard_shows_its_last_numbers_while_a_writer_holds_the_database(tmp_path, monkeypatch):
    db = three_orders(tmp_path)
    monkeypatch.setenv("CAPI_AUDIT_DB", str(db))
    monkeypatch.setattr(data, "READ_WAIT_S", 0.5)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/data_sources.py").run()
    before = counts(at)
    assert before["orders"] == "3" and before["server events"] == "3" and not at.warning
    chart = AppTest.from_file(APP, default_timeout=60).run()         # the weekly EMQ page, with charts
    assert not chart.exception and chart.main.get("plotly_chart")

    holder = Holder(db)
    at.run()                                          # the file changed: the cache misses, the reader finds it locked
    assert not at.exception and counts(at) == before
    notices = [w.value for w in at.warning]
    assert len(notices) == 1
    assert re.fullmatch(r"The database is busy being written \(an ingest or sync is running\); showing numbers "
                        r"from \d\d:\d\d UTC\. They refresh on the next click once it is done\.", notices[0])
    chart.run()
    assert not chart.exception and chart.main.get("plotly_chart") and len(chart.warning) == 1
    # A process that never read the database has no numbers to show: it says so, without a traceback.
    data._last.clear()
    st.cache_data.clear()
    fresh = AppTest.from_file(APP, default_timeout=60).run()
    fresh.switch_page("app_pages/data_sources.py").run()
    assert not fresh.exception
    assert any("busy being written" in e.value and "reload the page in a moment" in e.value for e in fresh.error)
    assert holder.release() == 0

    at.run()                                          # the writer is done: fresh numbers, no notice
    assert not at.exception and counts(at) == before and not at.warning


WRITER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from analysis.ingest import Options, ingest_file

    db, folder, files = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    loaded = 0
    for n in range(files):
        path = folder / f"orders-{n}.csv"
        rows = [f"{n}-{k},2026-10-01T{10 + k}:00:00Z,10.0,USD,paid" for k in range(5)]
        path.write_text("order_id,created_at,total,currency,status\\n" + "\\n".join(rows) + "\\n")
        res = ingest_file(db, "orders", path, Options(), lock_timeout=60.0)
        assert res.error is None and not res.rejects, res.error
        loaded += res.loaded
    print(json.dumps({"loaded": loaded}))
""")


def test_repeated_ingests_while_reports_run_lose_and_tear_nothing(tmp_path, capsys):
    db = three_orders(tmp_path)
    files = 6
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(tmp_path), str(files)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    seen = []
    while writer.poll() is None or not seen:
        assert cli.main(["--db", str(db), "report", "--since", "2026-10-01", "--until", "2026-10-01"]) == 0
        seen.append(orders_in(capsys.readouterr().out)[0])
        # Back-to-back reports would always hold a read lock and starve the writer (it polls, DuckDB has no
        # queue); people and cron jobs leave gaps.
        time.sleep(0.5)
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert json.loads(out) == {"loaded": 5 * files}
    # Every report saw whole files only (3 first orders + 5 per file), never fewer than the one before.
    assert all((n - 3) % 5 == 0 for n in seen) and seen == sorted(seen)
    assert cli.main(["--db", str(db), "report", "--since", "2026-10-01", "--until", "2026-10-01"]) == 0
    assert orders_in(capsys.readouterr().out) == (3 + 5 * files, 3)
