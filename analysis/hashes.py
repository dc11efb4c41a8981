"""Personal fields of many records hashed at once: DuckDB for pure string rules, Python once per distinct value."""
from __future__ import annotations

import duckdb
import pandas as pd

from analysis import normalize

# Keys whose normalization, for printable ASCII, is plain string work DuckDB does column-wise:
# trim, lowercase and (names, cities) dropping everything but letters and digits. In printable ASCII
# Python's str.strip() removes only spaces (as DuckDB's trim), lower() agrees, and every character
# that is not a letter, digit or space is punctuation or a symbol (what normalize._compact drops).
SQL_KEYS = ("em", "fn", "ln", "ct", "external_id")
_ASCII = "regexp_full_match(value, '[ -~]*')"
# Keys whose rules depend on the record's country (a phone's calling code, US states and ZIPs).
REGION_KEYS = ("ph", "st", "zp")
VARIANTS_DDL = "(key VARCHAR, value VARCHAR, region VARCHAR, variant VARCHAR, hash VARCHAR)"
_CHUNK = 20_000     # distinct values hashed in Python per batch of rows handed to DuckDB


def _sql_variants(source: str) -> str:
    """normalize.hash_variants as SQL over `source`'s printable-ASCII values of SQL_KEYS, same order."""
    keys = ", ".join(f"'{k}'" for k in SQL_KEYS)
    return f"""
WITH v AS (SELECT key, value, region, trim(value) AS t FROM {source}
           WHERE key IN ({keys}) AND {_ASCII}),
n AS (SELECT *, CASE key WHEN 'em' THEN lower(t) WHEN 'external_id' THEN t
                 ELSE regexp_replace(lower(t), '[^a-z0-9]', '', 'g') END AS norm FROM v),
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


def variants_table(con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    """Create `target` (key, value, region, variant, hash) for the distinct (key, value, region) rows of `source`.

    The result equals normalize.hash_variants(key, value, region or None) for every row; values only
    live in this (in-memory) connection.
    """
    con.execute(f"CREATE TEMP TABLE {target} {VARIANTS_DDL}")
    con.execute(f"INSERT INTO {target} {_sql_variants(source)}")
    keys = ", ".join(f"'{k}'" for k in SQL_KEYS)
    # Everything else (phones, states, ZIPs, countries, non-ASCII text): Python, once per distinct value.
    rest = con.execute(f"SELECT key, value, region FROM {source} WHERE NOT (key IN ({keys}) AND {_ASCII})"
                       ).fetchall()
    # In chunks: a list of Python tuples costs many times the bytes of the same rows in DuckDB.
    for at in range(0, len(rest), _CHUNK):
        rows = [(k, v, r, variant, digest) for k, v, r in rest[at:at + _CHUNK]
                for variant, digest in normalize.hash_variants(k, v, r or None)]
        if not rows:
            continue
        frame = pd.DataFrame(rows, columns=["key", "value", "region", "variant", "hash"], dtype="string")
        del rows
        con.register("_py_variants", frame)
        try:
            con.execute(f"INSERT INTO {target} SELECT * FROM _py_variants")
        finally:
            con.unregister("_py_variants")
