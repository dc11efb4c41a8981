"""The read-side benchmark runs end to end at a small size and the report agrees with pandas.

Timing is never judged here (the figures belong to the benchmark's output): this fails only when a
measured command crashes or the report and the pandas computation disagree.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from tests.conftest import chromium_path

ROOT = Path(__file__).resolve().parents[1]


def test_audit_benchmark_runs_and_the_report_agrees_with_pandas(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "perf" / "bench.py"), "audit", "--events", "3e4",
                           "--days", "7", "--keep", str(tmp_path / "work"), "--json", str(figures)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    res = json.loads(figures.read_text())
    assert res["disagreements"] == []
    # The agreement rests on real figures: every event's coverage and pairs, every day of the window.
    assert res["compared"]["coverage"] > 0 and res["compared"]["matched_pairs"] > 0
    window = date.fromisoformat(res["window"]["until"]) - date.fromisoformat(res["window"]["since"])
    assert res["compared"]["purchase_days"] == window.days + 1
    # Both loads happened, the last day's files in the second, and every measurement was taken.
    assert res["rows"]["one_more_day"]["server-events"] > 0 and res["rows"]["first_ingest"]["server-events"] > 0
    assert res["events"] > 20_000
    browser = {"chromium_weekly", "chromium_health"} if chromium_path() else set()
    assert set(res["measurements"]) == {"first_ingest", "one_more_day", "bare_parse", "report", "check",
                                        "page_weekly", "page_health", "page_deployments", "pandas"} | browser
    # The bare parse read every record of the first load's event files (and the other files' rows).
    first = res["rows"]["first_ingest"]
    assert res["rows"]["bare_parse_records"] >= first["server-events"] // 10 + first["browser-events"]
    assert res["ratios"]["first_ingest_over_bare_parse"] > 0
    assert set(res["ratios"]["chromium_over_pandas"]) == {b[len("chromium_"):] for b in browser}
    assert "against the targets" in proc.stdout
