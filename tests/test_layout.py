"""Which way the code points: the dashboard holds no SQL, the figures read no store, analysis needs no UI."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# SQL as this code base writes it: upper-case keywords that start a statement or a clause of one.
SQL = re.compile(r"\bSELECT\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\bCREATE\s+(OR\s+REPLACE\s+)?"
                 r"(TEMP\s+|TEMPORARY\s+)?(TABLE|VIEW|MACRO)\b|\bDROP\s+(TABLE|VIEW)\b|\bWITH\s+\w+\s+AS\s*\(|"
                 r"\bFROM\s+\w+\s+(WHERE|GROUP\s+BY|ORDER\s+BY|JOIN)\b")
# Calls that run SQL: a connection's or relation's methods, and the store's query helpers.
RUNS_SQL = {"execute", "executemany", "sql", "fetchall", "fetchone", "fetchmany", "fetchdf", "fetch_df"}
STORE_SQL = {"query", "scalar", "execute"}


def sql_in(source: str) -> list[str]:
    """Each string literal that reads as SQL and each call that runs SQL, as "line: what"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            found.append(f"{node.lineno}: SQL text {node.value.strip()[:40]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value.id if isinstance(node.func.value, ast.Name) else None
            if node.func.attr in RUNS_SQL or (owner == "store" and node.func.attr in STORE_SQL):
                found.append(f"{node.lineno}: runs SQL with .{node.func.attr}()")
    return found


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return names


def dashboard_files() -> list[Path]:
    return sorted((ROOT / "dashboard").glob("*.py")) + sorted((ROOT / "dashboard" / "app_pages").glob("*.py"))


@pytest.mark.parametrize("snippet", [
    'rows = store.query(con, "SELECT pixel_id, count(*) AS n FROM server_events GROUP BY 1")',
    "con.execute(f'DELETE FROM rejects WHERE ingestion_id = {i}')",
    'frame = con.sql(text).df()',
    'q = """WITH k AS (SELECT 1) SELECT * FROM k"""',
    'n = store.scalar(con, sql)',
    "x = conn.execute(statement).fetchall()",
])
def test_the_sql_finder_finds_sql(snippet: str):
    assert sql_in(snippet)


def test_the_sql_finder_leaves_page_text_alone():
    prose = ('st.caption("Select a month: every item compares it with the month before.")\n'
             'st.selectbox("Events on the timeline", names)\nframe.groupby("day").sum()\n'
             'st.info("Update the tag, then deploy from the checkout.")')
    assert sql_in(prose) == []


def test_the_dashboard_holds_no_sql():
    files = dashboard_files()
    assert {"data.py", "app.py", "present.py", "deployments.py", "weekly_emq.py"} <= {f.name for f in files}
    found = {str(f.relative_to(ROOT)): sql_in(f.read_text(encoding="utf-8")) for f in files}
    assert {f: hits for f, hits in found.items() if hits} == {}


def test_the_dashboard_reads_the_store_only_through_analysis():
    # The pages ask dashboard.data (or analysis's pure functions); only data.py opens the store.
    for f in dashboard_files():
        if f.name != "data.py":
            assert not {n for n in imports_of(f) if n.split(".")[0] == "duckdb" or n == "analysis.store"}, f.name


def test_figures_only_draw_and_analysis_never_needs_the_dashboard():
    for f in sorted((ROOT / "analysis").rglob("*.py")):
        names = imports_of(f)
        assert not {n for n in names if n.split(".")[0] in ("streamlit", "dashboard")}, f.relative_to(ROOT)
        if "figures" in f.parts:
            assert not {n for n in names if n.split(".")[0] == "duckdb" or n in ("analysis.store", "analysis.report")
                        or n.startswith("analysis.metrics")}, f.name
            assert sql_in(f.read_text(encoding="utf-8")) == [], f.name


def arithmetic_in(source: str) -> list[str]:
    """Each division and each mean or aggregation (ratios, shares, weighted means: metric arithmetic) as
    "line: what"; joining paths with / is not arithmetic."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)):
            path = [s for s in (node.left, node.right)
                    if isinstance(s, ast.Call) and isinstance(s.func, ast.Name) and s.func.id == "Path"]
            if not path and not isinstance(node.left, ast.Constant):      # "%" formatting is not arithmetic
                found.append(f"{node.lineno}: {ast.unparse(node)[:50]}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                "mean", "agg", "aggregate", "pivot_table", "resample", "pct_change", "cumsum", "rolling", "div"):
            found.append(f"{node.lineno}: .{node.func.attr}()")
    return found


@pytest.mark.parametrize("snippet", [
    "share = lost / paired", "g = part.groupby('k')['w'].sum() / part['events'].sum()", "x = frame.mean()",
    "m = frame.agg({'a': 'sum'})", "rate = (a - b) // n",
])
def test_the_arithmetic_finder_finds_ratios_and_means(snippet: str):
    assert arithmetic_in(snippet)


def test_the_dashboard_divides_nothing_and_averages_nothing():
    # Ratios, shares and means are metrics: analysis computes them (metrics/, views/); pages format what they get.
    assert arithmetic_in("path = Path(tmp) / Path(name).name\nlabel = '%d rows' % n") == []
    found = {str(f.relative_to(ROOT)): arithmetic_in(f.read_text(encoding="utf-8")) for f in dashboard_files()}
    assert {f: hits for f, hits in found.items() if hits} == {}
