"""CSV files as all-text tables with line numbers: delimiter sniffing, malformed rows and bad bytes as rejects."""
from __future__ import annotations

import csv
import gzip
import re
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator

import duckdb

from analysis.hashes import frame as columns_frame
from analysis.ingest.base import IngestError, Reject, sql_str
from analysis.store import quote_ident as q

# DuckDB's reader records malformed rows (store_rejects) instead of failing the file.
READER_ERRORS = {
    "TOO MANY COLUMNS": "the row has more fields than the header (a value with an unquoted delimiter?)",
    "UNQUOTED VALUE": "the row has a quote inside an unquoted value",
    "INVALID ENCODING": "the row is not valid UTF-8 text (save the file as UTF-8)",
    "INVALID UNICODE": "the row is not valid UTF-8 text (save the file as UTF-8)",
    "LINE SIZE OVER MAXIMUM": "the row is longer than 2 MB",
    "UNTERMINATED QUOTES": "a quote opened on this line is never closed",
}
MAX_LINE = 2097152                                 # DuckDB's default max_line_size
_BLANK = re.compile(rb"\n\r?\n")                    # a blank line (faster than two bytes.find here)
_HEADER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9 _#./()-]{0,39}")


def describe_columns(header: list[str]) -> str:
    """The file's column names for an error message, unless the first line looks like a record."""
    if any("@" in h or re.fullmatch(r"[0-9 +().:/-]+", h.strip() or "0") for h in header):
        return "its first line looks like a record, not a header: add a header line"
    named = [h for h in header if _HEADER_NAME.fullmatch(h.strip())]
    more = f" and {len(header) - len(named[:15])} more" if len(header) > len(named[:15]) else ""
    return "its columns are " + ", ".join(named[:15]) + more if named else "it has no usable column names"


def _opener(path: Path) -> Callable[..., IO[bytes]]:
    return gzip.open if path.name.lower().endswith(".gz") else open  # type: ignore[return-value]


def _unreadable(path: Path, exc: BaseException) -> IngestError:
    why = getattr(exc, "strerror", None) or "it is damaged or not a file"
    return IngestError(f"{path}: cannot be read ({why}); check the file and its permissions, and that it is "
                       "a CSV, CSV.gz or Parquet file.")


@contextmanager
def _field_limit() -> Iterator[None]:
    """Python's csv module refuses fields over 128 KB; DuckDB's reader allows 2 MB lines, so allow as much."""
    old = csv.field_size_limit(MAX_LINE)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _csv_header(path: Path) -> tuple[list[str], str]:
    """The header line's names and the delimiter (the most frequent of , ; tab |)."""
    try:
        with _opener(path)(path, "rb") as fh:
            first = fh.readline(MAX_LINE + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise _unreadable(path, exc) from None
    if first.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first:
        raise IngestError(f"{path.name} is UTF-16 text, not UTF-8; save it as \"CSV UTF-8\" (or convert it to "
                          "UTF-8) and ingest it again.")
    if len(first) > MAX_LINE:
        raise IngestError(f"{path.name}: the first line is longer than 2 MB; the file needs a header line naming "
                          "its columns.")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IngestError(f"{path.name}: the header line is not UTF-8 text (Windows-1252 or Latin-1?); save the "
                          "file as \"CSV UTF-8\" (or convert it to UTF-8) and ingest it again.") from None
    text = text.rstrip("\r\n")
    if not text.strip():
        raise IngestError(f"{path}: the first line is empty; the file needs a header line naming its columns.")
    if "\r" in text:
        raise IngestError(f"{path.name} ends its lines with a bare carriage return (old Mac \"CSV\"); save it as "
                          "\"CSV UTF-8\" and ingest it again.")
    delim = max((",", ";", "\t", "|"), key=text.count)
    with _field_limit():
        try:
            return next(csv.reader([text], delimiter=delim)), delim
        except csv.Error:
            raise IngestError(f"{path.name}: the header line could not be read as CSV; the first line must name "
                              "the columns, separated by commas, semicolons or tabs.") from None


@dataclass
class _Scan:
    """One fast pass over the bytes: quote count, a blank line before the end, the last 1–2 MB."""

    quotes: int = 0
    blank_inside: bool = False
    whole: bool = True
    tail: bytes = b""


def _scan(path: Path) -> _Scan:
    scan = _Scan()
    first_blank, content_end, offset, prev = -1, 0, 0, b""
    try:
        with _opener(path)(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                scan.quotes += chunk.count(b'"')
                if first_blank < 0 and (hit := _BLANK.search(prev + chunk)):
                    first_blank = offset - len(prev) + hit.start()
                if kept := len(chunk.rstrip()):
                    content_end = offset + kept
                prev, offset = chunk[-2:], offset + len(chunk)
                scan.whole = scan.whole and len(scan.tail) <= 1 << 20
                scan.tail = scan.tail[-(1 << 20):] + chunk
    except (OSError, EOFError, zlib.error) as exc:
        raise _unreadable(path, exc) from None
    scan.blank_inside = 0 <= first_blank < content_end - 1
    return scan


def _foreign(path: Path) -> bool:
    """Several lines are not UTF-8 and none holds UTF-8 beyond ASCII: the file is in one other encoding."""
    bad = 0
    with _opener(path)(path, "rb") as fh:
        for raw in fh:
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
                return False
            except UnicodeDecodeError:
                bad += 1
    return bad > 1


def _ends_clean(con: duckdb.DuckDBPyConnection, scan: _Scan, delim: str) -> bool:
    """Did DuckDB's read reach the file's last record? (An open quote makes it drop the rest silently.)"""
    # A rejected record spanning lines: a quote opened in one row and closed in a later one took the
    # rows between into the reject.
    if con.execute("SELECT count(*) FROM _csv_rejects WHERE contains(csv_line, chr(10))").fetchall()[0][0]:
        return False
    lines = [x for x in scan.tail.split(b"\n") if x.strip()]
    if not lines or (scan.whole and len(lines) == 1):
        return True                              # nothing after the header
    last_rej = con.execute("SELECT max(line) FROM _csv_rejects").fetchall()[0][0]
    n = con.execute("SELECT count(*) FROM _csv_read").fetchall()[0][0]
    if n == 0:
        return last_rej is not None
    row = con.execute("SELECT * FROM _csv_read WHERE rowid = ?", [n - 1]).fetchall()[0]
    last_row = con.execute("SELECT count(*) FROM (SELECT DISTINCT line FROM _csv_rejects)").fetchall()[0][0] + n + 1
    if last_rej is not None and last_rej >= last_row:
        return True                              # the last record was rejected: read to the end
    with _field_limit():
        try:
            fields = next(csv.reader([lines[-1].decode("utf-8", "surrogateescape").rstrip("\r")], delimiter=delim))
        except csv.Error:
            return False
    got = ["" if v is None else v for v in row]
    while got and got[-1] == "":
        got.pop()
    while fields and fields[-1] == "":
        fields.pop()
    return got == fields


def _read_duckdb(con: duckdb.DuckDBPyConnection, path: Path, names: list[str], delim: str, table: str,
                 scan: _Scan) -> list[Reject] | None:
    """DuckDB's reader (the fast path); None when it failed or lost records, for the exact reader to redo."""
    columns = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    con.execute("DROP TABLE IF EXISTS _csv_read; DROP TABLE IF EXISTS _csv_rejects; DROP TABLE IF EXISTS _csv_scans")
    try:
        con.execute(
            f"CREATE TABLE _csv_read AS SELECT * FROM read_csv({sql_str(path)}, columns={columns}, header=true, "
            f"auto_detect=false, delim={sql_str(delim)}, quote='\"', escape='\"', null_padding=true, "
            f"parallel=false, store_rejects=true, rejects_table='_csv_rejects', rejects_scan='_csv_scans', "
            f"encoding='utf-8')")
        clean = _ends_clean(con, scan, delim)
    except duckdb.Error:
        clean = False
    if not clean:
        con.execute("DROP TABLE IF EXISTS _csv_read; DROP TABLE IF EXISTS _csv_rejects; "
                    "DROP TABLE IF EXISTS _csv_scans")
        return None
    bad = con.execute("SELECT DISTINCT line, error_type FROM _csv_rejects ORDER BY line").fetchall()
    con.execute("DROP TABLE _csv_scans")
    if not bad:
        # Every row was read: its line is its row number after the header, and the rows need no copy.
        con.execute(f"CREATE VIEW {q(table)} AS SELECT rowid + 2 AS __line, * FROM _csv_read")
        con.execute("DROP TABLE _csv_rejects")
        return []
    # Rejected rows are missing from _csv_read: number the kept rows around them.
    con.execute(f"""
        CREATE OR REPLACE TABLE {q(table)} AS
        WITH gaps AS (SELECT line - 2 - (row_number() OVER (ORDER BY line) - 1) AS at
                      FROM (SELECT DISTINCT line FROM _csv_rejects))
        SELECT rowid + 2 + (SELECT count(*) FROM gaps WHERE gaps.at <= r.rowid) AS __line, *
        FROM _csv_read r""")
    con.execute("DROP TABLE _csv_read; DROP TABLE _csv_rejects")
    return [Reject(int(line), f"line {line}: {READER_ERRORS.get(t, 'the row could not be read as CSV')}")
            for line, t in bad]


def _python_error(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return READER_ERRORS["UNTERMINATED QUOTES"]
    if "expected after" in text:
        return READER_ERRORS["UNQUOTED VALUE"]
    if "field larger" in text:
        return READER_ERRORS["LINE SIZE OVER MAXIMUM"]
    return "the row could not be read as CSV"


def _read_python(con: duckdb.DuckDBPyConnection, path: Path, names: list[str], delim: str, table: str) -> list[Reject]:
    """The exact reader for a file DuckDB's cannot read whole: records numbered by the line they start on.

    A record that cannot be read (a quote never closed, a stray quote) is rejected as its first line
    alone and reading restarts on the next line, so the records after it still load.
    """
    try:
        with _opener(path)(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise _unreadable(path, exc) from None
    texts: list[str] = []
    not_utf8: set[int] = set()                         # indexes of lines that are not UTF-8
    for raw in data.split(b"\n"):
        try:
            texts.append(raw.decode("utf-8") + "\n")
        except UnicodeDecodeError:
            not_utf8.add(len(texts))
            texts.append(raw.decode("utf-8", "replace") + "\n")
    del data
    rows: list[list[str | None]] = []
    rejects: list[Reject] = []
    pos, n = 1, len(texts)

    def feed() -> Iterator[str]:
        nonlocal pos
        while pos < n:
            pos += 1
            yield texts[pos - 1]

    def reject(line: int, reason: str) -> None:
        rejects.append(Reject(line, f"line {line}: {reason}"))

    with _field_limit():
        while pos < n:
            reader = csv.reader(feed(), delimiter=delim, strict=True)
            while True:
                start = pos
                try:
                    rec = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    reject(start + 1, _python_error(exc))
                    pos = start + 1                  # restart on the line after the broken record's first
                    break
                if not rec:
                    continue                         # a blank line
                if len(rec) > len(names):
                    reject(start + 1, READER_ERRORS["TOO MANY COLUMNS"])
                elif not_utf8 and not not_utf8.isdisjoint(range(start, pos)):
                    reject(start + 1, READER_ERRORS["INVALID ENCODING"])
                elif sum(map(len, rec)) > MAX_LINE:
                    reject(start + 1, READER_ERRORS["LINE SIZE OVER MAXIMUM"])
                else:
                    rows.append([str(start + 1), *rec, *([None] * (len(names) - len(rec)))])
    con.execute(f"CREATE OR REPLACE TABLE {q(table)} (__line BIGINT, "
                + ", ".join(f"{q(c)} VARCHAR" for c in names) + ")")
    if rows:
        frame = columns_frame(zip(*rows))
        del rows
        con.register("_csv_rows", frame)
        con.execute(f"INSERT INTO {q(table)} SELECT * FROM _csv_rows")
        con.unregister("_csv_rows")
    return rejects


def read_csv_raw(con: duckdb.DuckDBPyConnection, path: Path, table: str = "raw") -> tuple[list[str], list[Reject]]:
    """Load a CSV as text columns into memory table (or view) `table` with `__line` (its row counting the header as 1).

    Malformed rows and rows that are not UTF-8 become rejects; the rest loads. Rows are numbered by
    position, so a value spanning lines shifts later numbers (the schema's "CSV row incl. header"); a
    file DuckDB's reader cannot read whole (an unclosed quote) or would misnumber (blank lines between
    rows) is read exactly, each record numbered by the line it starts on.
    """
    header, delim = _csv_header(path)
    names: list[str] = []
    for i, name in enumerate(header):
        name = name.strip() or f"column{i + 1}"
        while name in names:                      # duplicate header names: keep both, the second suffixed
            name += "_2"
        names.append(name)
    scan = _scan(path)
    # An odd number of quotes leaves one open: DuckDB's reader would drop every record after it. Blank
    # lines between records: DuckDB numbers its rejects counting them but the rows it keeps not.
    fast = scan.quotes % 2 == 0 and not scan.blank_inside
    rejects = _read_duckdb(con, path, names, delim, table, scan) if fast else None
    if rejects is None:
        rejects = _read_python(con, path, names, delim, table)
    # Never re-decoded as another encoding (that would hash Müller as mã¼ller): a file wholly in one
    # other encoding is refused with the fix; a stray non-UTF-8 row is a reject.
    if any(r.reason.endswith(READER_ERRORS["INVALID ENCODING"]) for r in rejects) and _foreign(path):
        raise IngestError(f"{path.name} is not UTF-8: its accented letters are in another encoding (Windows-1252 "
                          "or Latin-1, as Excel's plain \"CSV\" saves them); save it as \"CSV UTF-8\" (or convert "
                          "it to UTF-8) and ingest it again.")
    return names, rejects
