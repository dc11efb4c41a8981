"""CSV files for people: every cell safe to open in a spreadsheet (no formulas, no NUL bytes, no NaN)."""
from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A text that is one plain decimal number ("-12", "-0.5") cannot carry a formula: it stays as it is, so a
# negative amount still sorts and sums as a number. Numbers (int/float) are written as numbers, even negative.
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def safe_cell(value: Any) -> Any:
    """One cell: numbers as numbers (a non-finite one as an empty cell), text without NUL bytes and, when
    it would start a formula, prefixed with a single quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else ""
    text = str(value).replace("\x00", "")
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> str:
    """Rows as CSV (a header line, then one line per row, `\\n` line ends), every cell through safe_cell."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([safe_cell(f) for f in fields])
    for row in rows:
        writer.writerow([safe_cell(row.get(f)) for f in fields])
    return buf.getvalue()
