"""Personal fields of many records hashed at once: DuckDB for pure string rules, Python once per distinct value."""
from __future__ import annotations

import threading
from typing import Callable

import duckdb
import pyarrow as pa

from analysis import normalize

# Keys whose normalization, for printable ASCII and Latin-1's letters, is plain string work DuckDB does
# column-wise: trim, lowercase and (names, cities) dropping everything but letters and digits. In that
# alphabet Python's str.strip() removes only spaces (as DuckDB's trim), lower() agrees letter by letter,
# NFC changes nothing (every letter is precomposed), and every character that is not a letter, digit
# or space is ASCII punctuation or a symbol (what normalize._compact drops). Other text (non-breaking
# spaces, combining accents, İ whose Python lowercase is two code points) is Python's.
SQL_KEYS = ("em", "fn", "ln", "ct", "external_id")
_LATIN1_LETTERS = "À-ÖØ-öø-ÿ"       # without × and ÷, the two Latin-1 symbols in that block
_LATIN1_LOWER = "ß-öø-ÿ"           # their lowercase forms (and ß, ÿ, which have no capital here)
_SQL_TEXT = f"regexp_full_match(value, '[ -~{_LATIN1_LETTERS}]*')"
# Keys whose rules depend on the record's country (a phone's calling code, US states and ZIPs).
REGION_KEYS = ("ph", "st", "zp")
VARIANTS_DDL = "(key VARCHAR, value VARCHAR, region VARCHAR, variant VARCHAR, hash VARCHAR)"
_COLUMNS = ["key", "value", "region", "variant", "hash"]
_CHUNK = 20_000     # distinct values hashed in Python per batch of rows handed to DuckDB


def _sql_variants(source: str) -> str:
    """normalize.hash_variants as SQL over `source`'s values of SQL_KEYS in the SQL alphabet, same order."""
    keys = ", ".join(f"'{k}'" for k in SQL_KEYS)
    return f"""
WITH v AS (SELECT key, value, region, trim(value) AS t FROM {source}
           WHERE key IN ({keys}) AND {_SQL_TEXT}),
n AS (SELECT *, CASE key WHEN 'em' THEN lower(t) WHEN 'external_id' THEN t
                 ELSE regexp_replace(lower(t), '[^a-z0-9{_LATIN1_LOWER}]', '', 'g') END AS norm FROM v),
c AS (SELECT *, sha256(norm) AS correct FROM n WHERE norm <> ''),
cand AS (
    SELECT key, value, region, 0 AS pos, 'correct' AS variant, correct AS hash FROM c
    UNION ALL SELECT key, value, region, 1, 'not_lowercased', sha256(t) FROM c
        WHERE key <> 'external_id' AND t <> lower(t)
    UNION ALL SELECT key, value, region, 2, 'not_trimmed',
        sha256(CASE WHEN key = 'external_id' THEN value ELSE lower(value) END) FROM c WHERE value <> t
    UNION ALL SELECT key, value, region, 3, 'double_hashed', sha256(correct) FROM c
)
-- A mistake that hashes like the correct form, or like an earlier mistake, is no mistake of its own.
SELECT key, value, region, arg_min(variant, pos) AS variant, hash FROM cand GROUP BY key, value, region, hash"""


def _python_variants(rest: list[tuple[str, str, str]], chunks: list[pa.Table], stop: threading.Event) -> None:
    """normalize.hash_variants of every (key, value, region) in `rest`, as Arrow tables of variant rows."""
    # In chunks: a list of Python tuples costs many times the bytes of the same rows in Arrow.
    for at in range(0, len(rest), _CHUNK):
        rows = []
        for k, v, r in rest[at:at + _CHUNK]:
            if stop.is_set():           # checked per value: a phone takes tens of microseconds
                return
            rows.extend((k, v, r, variant, digest) for variant, digest in normalize.hash_variants(k, v, r or None))
        if rows:
            chunks.append(pa.table([pa.array(col, pa.string()) for col in zip(*rows)], names=_COLUMNS))


def column_wise(con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    """Create `target` (key, value, region, variant, hash) for the rows of `source` that SQL hashes."""
    con.execute(f"CREATE TEMP TABLE {target} {VARIANTS_DDL}")
    con.execute(f"INSERT INTO {target} {_sql_variants(source)}")


def per_value(con: duckdb.DuckDBPyConnection, source: str, target: str,
              meanwhile: Callable[[], None] | None = None) -> None:
    """Create `target` (key, value, region, variant, hash) for the other rows of `source`, hashed in Python.

    `meanwhile` (the caller's own statements, which must not read `target`) runs while Python hashes:
    Python works in a thread of its own, and DuckDB lets go of the GIL while it runs a statement.
    """
    con.execute(f"CREATE TEMP TABLE {target} {VARIANTS_DDL}")
    keys = ", ".join(f"'{k}'" for k in SQL_KEYS)
    rest = con.execute(f"SELECT key, value, region FROM {source} WHERE NOT (key IN ({keys}) AND {_SQL_TEXT})"
                       ).fetchall()
    chunks: list[pa.Table] = []
    failed: list[BaseException] = []
    stop = threading.Event()

    def work() -> None:
        try:
            _python_variants(rest, chunks, stop)
        except BaseException as exc:    # handed to the caller's thread below
            failed.append(exc)

    worker = threading.Thread(target=work, name="capi-hash-variants", daemon=True)
    worker.start()
    try:
        if meanwhile is not None:
            meanwhile()
        worker.join()
    except BaseException:
        stop.set()                      # an interrupt or error: the rest of Python's work is not wanted
        worker.join()
        raise
    if failed:
        raise failed[0]
    del rest
    for chunk in chunks:
        con.register("_py_variant_rows", chunk)
        try:
            con.execute(f"INSERT INTO {target} SELECT * FROM _py_variant_rows")
        finally:
            con.unregister("_py_variant_rows")


def variants_table(con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    """Create `target` (key, value, region, variant, hash) for the distinct (key, value, region) rows of `source`.

    The result equals normalize.hash_variants(key, value, region or None) for every row; values only
    live in this (in-memory) connection.
    """
    per_value(con, source, target, meanwhile=lambda: con.execute(f"INSERT INTO {target} {_sql_variants(source)}"))
