"""Personal fields of many records hashed at once: DuckDB for pure string rules, Python once per distinct value."""
from __future__ import annotations

import threading
from typing import Callable, Iterable, Sequence

import duckdb
import numpy as np

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
# Keys whose rules depend on the record's country (a phone's calling code, US states and ZIPs).
REGION_KEYS = ("ph", "st", "zp")
VARIANTS_DDL = "(key VARCHAR, value VARCHAR, region VARCHAR, variant VARCHAR, hash VARCHAR)"
_COLUMNS = ["key", "value", "region", "variant", "hash"]
_CHUNK = 20_000     # distinct values hashed in Python per batch of rows handed to DuckDB


def in_sql_alphabet(x: str) -> str:
    """SQL: the text x is made only of the characters whose normalization SQL does as Python does."""
    return f"regexp_full_match({x}, '[ -~{_LATIN1_LETTERS}]*')"


def normalized_sql(key: str, t: str) -> str:
    """SQL: Meta's normalization of the trimmed text `t` of a key of SQL_KEYS in the SQL alphabet."""
    if key == "em":
        return f"lower({t})"
    if key == "external_id":
        return t
    return f"regexp_replace(lower({t}), '[^a-z0-9{_LATIN1_LOWER}]', '', 'g')"


def column_wise_sql(source: str) -> str:
    """normalize.hash_variants as SQL over `source`'s values of SQL_KEYS in the SQL alphabet, same order:
    rows (key, value, region, variant, hash)."""
    keys = ", ".join(f"'{k}'" for k in SQL_KEYS)
    return f"""
WITH v AS (SELECT key, value, region, trim(value) AS t FROM {source}
           WHERE key IN ({keys}) AND {in_sql_alphabet('value')}),
n AS (SELECT *, CASE key {' '.join(f"WHEN '{k}' THEN {normalized_sql(k, 't')}" for k in SQL_KEYS)} END AS norm FROM v),
c AS (SELECT *, sha256(norm) AS correct FROM n WHERE norm <> '')
-- hash_variants drops a mistake that hashes like the correct form or an earlier mistake; here none can:
-- each hashes a different string (not_lowercased has a capital, which norm has not; not_trimmed has the
-- surrounding spaces t and norm have not; double_hashed is the correct form's 64 hex digits, no
-- capitals or spaces, and sha256 has no fixed point), so the rows need no grouping by hash.
SELECT key, value, region, 'correct' AS variant, correct AS hash FROM c
UNION ALL SELECT key, value, region, 'not_lowercased', sha256(t) FROM c
    WHERE key <> 'external_id' AND t <> lower(t)
UNION ALL SELECT key, value, region, 'not_trimmed',
    sha256(CASE WHEN key = 'external_id' THEN value ELSE lower(value) END) FROM c WHERE value <> t
UNION ALL SELECT key, value, region, 'double_hashed', sha256(correct) FROM c"""


def frame(columns: Iterable[Sequence[str | None]]) -> dict[str, np.ndarray]:
    """Columns of Python text as a frame DuckDB scans by position (c0, c1, …).

    NumPy, not Arrow: building an Arrow array from a list imports pandas (a third of a second).
    """
    return {f"c{i}": np.array(column, dtype=object) for i, column in enumerate(columns)}


def _python_variants(rest: list[tuple[str, str, str]], chunks: list[dict[str, np.ndarray]],
                     stop: threading.Event) -> None:
    """normalize.hash_variants of every (key, value, region) in `rest`, as frames of variant rows."""
    # In chunks: a list of Python tuples costs many times the bytes of the same rows in arrays.
    for at in range(0, len(rest), _CHUNK):
        rows = []
        for k, v, r in rest[at:at + _CHUNK]:
            if stop.is_set():           # checked per value: a phone takes tens of microseconds
                return
            rows.extend((k, v, r, variant, digest) for variant, digest in normalize.hash_variants(k, v, r or None))
        if rows:
            chunks.append(frame(zip(*rows)))


def _phone_variants_sql(forms: str) -> str:
    """normalize.hash_variants("ph", value, region) from each phone's forms in `forms`, in its order."""
    return f"""
WITH f AS (SELECT value, region, national, sha256(normalized) AS correct FROM {forms})
-- No two of these hash the same string (see column_wise_sql): the normalized digits lead with the country
-- code, which the national number lacks and which never is 0; the double hash is 64 hex digits.
SELECT 'ph' AS key, value, region, 'correct' AS variant, correct AS hash FROM f
UNION ALL SELECT 'ph', value, region, 'missing_country_code', sha256(national) FROM f WHERE national IS NOT NULL
-- the trunk-prefixed form as dialled at home
UNION ALL SELECT 'ph', value, region, 'missing_country_code', sha256('0' || national) FROM f
    WHERE national IS NOT NULL AND NOT starts_with(national, '0')
UNION ALL SELECT 'ph', value, region, 'double_hashed', sha256(correct) FROM f"""


class Phones:
    """Distinct (phone, region) pairs parsed by Python in a thread of its own, started as soon as they are known.

    Parsing a phone (phonenumbers) is most of the Python work of a load; the thread does only that
    (normalize.phone_forms: the normalized digits and the national number), while DuckDB goes on with
    the caller's statements, which let go of the GIL. `variants` waits for it and makes the hashes in SQL.
    """

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        self._rows = rows
        self._chunks: list[dict[str, np.ndarray]] = []
        self._failed: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="capi-hash-phones", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        forms = normalize.phone_forms
        stop = self._stop
        try:
            for at in range(0, len(self._rows), _CHUNK):
                values: list[str] = []
                regions: list[str] = []
                digits: list[str] = []
                nationals: list[str | None] = []
                for value, region in self._rows[at:at + _CHUNK]:
                    if stop.is_set():       # checked per value: a phone takes tens of microseconds
                        return
                    if not value.strip():   # a blank phone has no hash (hash_variants returns none)
                        continue
                    normalized, national = forms(value, region or None)
                    if normalized is not None:
                        values.append(value)
                        regions.append(region)
                        digits.append(normalized)
                        nationals.append(national)
                if values:
                    self._chunks.append(frame((values, regions, digits, nationals)))
        except BaseException as exc:    # handed to the caller's thread by variants()
            self._failed.append(exc)

    def cancel(self) -> None:
        """Stop the thread (its work is not wanted) and forget the phones."""
        self._stop.set()
        self._thread.join()
        self._rows, self._chunks = [], []

    def variants(self, con: duckdb.DuckDBPyConnection, target: str) -> None:
        """Create `target` (key, value, region, variant, hash): hash_variants("ph", value, region or None) of each."""
        try:
            self._thread.join()
        except BaseException:
            self.cancel()               # an interrupt while waiting: the rest of the work is not wanted
            raise
        if self._failed:
            self.cancel()
            raise self._failed[0]
        chunks = self._chunks
        self._rows, self._chunks = [], []
        con.execute("CREATE TEMP TABLE _phone_forms "
                    "(value VARCHAR, region VARCHAR, normalized VARCHAR, national VARCHAR)")
        for chunk in chunks:
            con.register("_phone_form_rows", chunk)
            try:
                con.execute("INSERT INTO _phone_forms SELECT * FROM _phone_form_rows")
            finally:
                con.unregister("_phone_form_rows")
        del chunks
        con.execute(f"CREATE TEMP TABLE {target} {VARIANTS_DDL}")
        con.execute(f"INSERT INTO {target} {_phone_variants_sql('_phone_forms')}")
        con.execute("DROP TABLE _phone_forms")


def column_wise(con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    """Create `target` (key, value, region, variant, hash) for the rows of `source` that SQL hashes."""
    con.execute(f"CREATE TEMP TABLE {target} {VARIANTS_DDL}")
    con.execute(f"INSERT INTO {target} {column_wise_sql(source)}")


def per_value(con: duckdb.DuckDBPyConnection, source: str, target: str,
              meanwhile: Callable[[], None] | None = None) -> None:
    """Create `target` (key, value, region, variant, hash) for the other rows of `source`, hashed in Python.

    `meanwhile` (the caller's own statements, which must not read `target`) runs while Python hashes:
    Python works in a thread of its own, and DuckDB lets go of the GIL while it runs a statement.
    """
    con.execute(f"CREATE TEMP TABLE {target} {VARIANTS_DDL}")
    keys = ", ".join(f"'{k}'" for k in SQL_KEYS)
    rest = con.execute(f"SELECT key, value, region FROM {source} WHERE NOT (key IN ({keys}) AND {in_sql_alphabet('value')})"
                       ).fetchall()
    chunks: list[dict[str, np.ndarray]] = []
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
    per_value(con, source, target, meanwhile=lambda: con.execute(f"INSERT INTO {target} {column_wise_sql(source)}"))
