"""CSV exports: a cell that would start a spreadsheet formula is quoted, NUL bytes and NaN never reach the file."""
from __future__ import annotations

import csv
import io

import pandas as pd

from analysis.export import csv_text, safe_cell


def test_formula_starts_are_prefixed_and_numbers_stay_numbers():
    assert [safe_cell(v) for v in ("=1+1", "+Lead", "-2+3", "@SUM(A1)", "\tx", "\rx")] == [
        "'=1+1", "'+Lead", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx"]
    assert [safe_cell(v) for v in (-3.5, -2, "-12", "-0.25", 0.0, True)] == [-3.5, -2, "-12", "-0.25", 0.0, True]
    assert [safe_cell(v) for v in (float("nan"), float("inf"), None)] == ["", "", ""]
    assert safe_cell("\x00=cmd") == "'=cmd" and safe_cell("a\x00b") == "ab"
    assert safe_cell("order-1") == "order-1"


def test_csv_text_every_cell_and_the_header():
    text = csv_text([{"id": "=HYPERLINK(\"http://x\")", "value": -3.0}, {"id": "ok"}], ["id", "value"])
    assert "\x00" not in text
    assert list(csv.reader(io.StringIO(text))) == [["id", "value"], ["'=HYPERLINK(\"http://x\")", "-3.0"], ["ok", ""]]


def test_dashboard_download_goes_through_the_same_writer():
    from dashboard import data

    frame = pd.DataFrame({"event_id": ["=cmd|' /C calc'!A0", None], "n": [1.0, float("nan")]})
    assert list(csv.reader(io.StringIO(data.csv_text(frame)))) == [
        ["event_id", "n"], ["'=cmd|' /C calc'!A0", "1.0"], ["", ""]]
