"""Text files as lines in file order, where a line that is not UTF-8 is reported instead of ending the read."""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import duckdb

from analysis.ingest.base import IngestError, sql_str

# The JSON Lines readers' one-column read, keeping going past lines it cannot decode. One thread, so
# the line numbers DuckDB records for them are exact.
_READ = """
SELECT line FROM read_csv({path}, columns={{'line': 'VARCHAR'}}, header=false, delim=chr(31), quote='',
    escape='', auto_detect=false, max_line_size=268435456, strict_mode=false, parallel=false,
    store_rejects=true, rejects_table='_line_rejects', rejects_scan='_line_scans')
"""
WHAT = {"INVALID ENCODING": "line is not valid UTF-8", "INVALID UNICODE": "line is not valid UTF-8",
        "LINE SIZE OVER MAXIMUM": "line is longer than 256 MB"}


def read_lines(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> list[tuple[int, str]]:
    """Create temp table `table` (ln, line) in file order; returns (line number, what is wrong) of unreadable lines.

    An unreadable line stays in the table as NULL (as a blank line is), so rowid + 1 is still the line
    number. For the rare file whose fast read failed; the good path never pays for this.
    """
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _line_kept AS {_READ.format(path=sql_str(path))}")
    except duckdb.Error:
        raise IngestError(unreadable(path, "JSON Lines")) from None
    bad = con.execute("SELECT DISTINCT line, error_type FROM _line_rejects ORDER BY line").fetchall()
    # The kept lines are numbered around the missing ones (at = how many kept lines precede a missing one).
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        WITH gaps AS (SELECT line - 1 - (row_number() OVER (ORDER BY line) - 1) AS at
                      FROM (SELECT DISTINCT line FROM _line_rejects))
        SELECT ln, line FROM (
          SELECT rowid + 1 + (SELECT count(*) FROM gaps WHERE gaps.at <= k.rowid) AS ln, line FROM _line_kept k
          UNION ALL SELECT DISTINCT line AS ln, NULL AS line FROM _line_rejects)
        ORDER BY ln""")
    con.execute("DROP TABLE _line_kept; DROP TABLE _line_rejects; DROP TABLE _line_scans")
    return [(int(ln), WHAT.get(t, "line could not be read")) for ln, t in bad]


def unreadable(path: Path, what: str = "JSON") -> str:
    """Why DuckDB could not read a whole text file, as a sentence with the fix (never its error text)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            for n, raw in enumerate(fh, 1):
                raw.decode("utf-8")
    except (gzip.BadGzipFile, EOFError, zlib.error):
        return f"{path}: is not a complete gzip file; compress it again (gzip FILE) and ingest it again."
    except OSError as exc:
        return f"{path}: cannot be read ({exc.strerror or exc}); check the file and its permissions."
    except UnicodeDecodeError:
        return (f"{path}: line {n} is not valid UTF-8 text; save the file as UTF-8 {what} (not UTF-16 or "
                "Windows-1252) and ingest it again.")
    return f"{path}: could not be read as {what} text; check that it is a complete, saved {what} file."


def check_text(path: Path) -> None:
    """A file that cannot be opened, or is UTF-16 (Windows' "Unicode" text), is refused with the fix.

    UTF-16 would otherwise be read as lines of garbage, every one a reject.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
    except OSError:
        raise IngestError(unreadable(path)) from None
    if head in (b"\xff\xfe", b"\xfe\xff"):
        raise IngestError(f"{path.name} is UTF-16 text, not UTF-8; save it as UTF-8 and ingest it again.")
