"""CSV files as all-text tables with line numbers: delimiter and encoding sniffing, malformed rows as rejects."""
from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

import duckdb

from analysis.ingest.base import IngestError, Reject, sql_str
from analysis.store import quote_ident as q

# DuckDB's reader records malformed rows (store_rejects) instead of failing the file.
READER_ERRORS = {
    "TOO MANY COLUMNS": "the row has more fields than the header (a value with an unquoted delimiter?)",
    "UNQUOTED VALUE": "the row has a quote inside an unquoted value",
    "INVALID ENCODING": "the row is not valid text",
    "INVALID UNICODE": "the row is not valid text",
    "LINE SIZE OVER MAXIMUM": "the row is longer than 2 MB",
}
_HEADER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9 _#./()-]{0,39}")


def describe_columns(header: list[str]) -> str:
    """The file's column names for an error message, unless the first line looks like a record."""
    if any("@" in h or re.fullmatch(r"[0-9 +().:/-]+", h.strip() or "0") for h in header):
        return "its first line looks like a record, not a header: add a header line"
    named = [h for h in header if _HEADER_NAME.fullmatch(h.strip())]
    more = f" and {len(header) - len(named[:15])} more" if len(header) > len(named[:15]) else ""
    return "its columns are " + ", ".join(named[:15]) + more if named else "it has no usable column names"


def _csv_header(path: Path) -> tuple[list[str], str]:
    """The header line's names and the delimiter (the most frequent of , ; tab |)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            first = fh.readline(1 << 20)
    except (OSError, EOFError) as exc:
        raise IngestError(f"{path}: cannot be read ({exc}); is it a CSV, CSV.gz or Parquet file?") from None
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = first.decode("latin-1")
    text = text.rstrip("\r\n")
    if not text.strip():
        raise IngestError(f"{path}: the first line is empty; the file needs a header line naming its columns.")
    delim = max((",", ";", "\t", "|"), key=text.count)
    return next(csv.reader([text], delimiter=delim)), delim


def read_csv_raw(con: duckdb.DuckDBPyConnection, path: Path, table: str = "raw") -> tuple[list[str], list[Reject]]:
    """Load a CSV as text columns into memory table `table` with `__line` (its row counting the header as 1).

    Malformed rows become rejects; the rest loads. Rows are numbered by position, so a blank line or a
    value spanning lines shifts later numbers (the schema's "CSV row incl. header").
    """
    header, delim = _csv_header(path)
    names: list[str] = []
    for i, name in enumerate(header):
        name = name.strip() or f"column{i + 1}"
        while name in names:                      # duplicate header names: keep both, the second suffixed
            name += "_2"
        names.append(name)
    columns = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    for encoding in ("utf-8", "latin-1"):     # Excel's "CSV" is often Windows-1252, close to Latin-1
        con.execute("DROP TABLE IF EXISTS _csv_read; DROP TABLE IF EXISTS _csv_rejects; DROP TABLE IF EXISTS _csv_scans")
        try:
            con.execute(
                f"CREATE TABLE _csv_read AS SELECT * FROM read_csv({sql_str(path)}, columns={columns}, header=true, "
                f"auto_detect=false, delim={sql_str(delim)}, quote='\"', escape='\"', null_padding=true, "
                f"parallel=false, store_rejects=true, rejects_table='_csv_rejects', rejects_scan='_csv_scans', "
                f"encoding={sql_str(encoding)})")
        except duckdb.Error as exc:
            # Only the first line: DuckDB's later lines quote the offending record, which may hold personal data.
            raise IngestError(f"{path}: could not be read as CSV ({str(exc).splitlines()[0]}).") from None
        bad = con.execute("SELECT DISTINCT line, error_type FROM _csv_rejects ORDER BY line").fetchall()
        if not any(t in ("INVALID ENCODING", "INVALID UNICODE") for _, t in bad):
            break
    # Rejected rows are missing from _csv_read: number the kept rows around them.
    con.execute(f"""
        CREATE OR REPLACE TABLE {q(table)} AS
        WITH gaps AS (SELECT line - 2 - (row_number() OVER (ORDER BY line) - 1) AS at
                      FROM (SELECT DISTINCT line FROM _csv_rejects))
        SELECT rowid + 2 + (SELECT count(*) FROM gaps WHERE gaps.at <= r.rowid) AS __line, *
        FROM _csv_read r""")
    con.execute("DROP TABLE _csv_read; DROP TABLE _csv_rejects; DROP TABLE _csv_scans")
    rejects = [Reject(int(line), f"line {line}: {READER_ERRORS.get(t, 'the row could not be read as CSV')}")
               for line, t in bad]
    return names, rejects
