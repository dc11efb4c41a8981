"""deployments: what changed and when, from a CSV or a JSON list of objects."""
from __future__ import annotations

from pathlib import Path

import duckdb

from analysis.ingest.base import IngestError, Options, Reject, Staged, collect_rejects, sql_str
from analysis.ingest.csvfile import describe_columns, read_csv_raw
from analysis.ingest.lines import check_text, unreadable
from analysis.store import quote_ident as q

KIND = "deployments"
FIELDS = ("deployed_at", "name", "description", "component", "pixel_id")
REQUIRED = ("deployed_at", "name")
DDL = """CREATE TABLE out.deployments (deployed_at TIMESTAMP, name VARCHAR, description VARCHAR,
    component VARCHAR, pixel_id VARCHAR)"""


def _from_csv(con: duckdb.DuckDBPyConnection, path: Path) -> list[Reject]:
    header, rejects = read_csv_raw(con, path)
    by_ci: dict[str, str] = {}
    for name in header:
        by_ci.setdefault(name.strip().lower(), name)
    missing = [f for f in REQUIRED if f not in by_ci]
    if missing:
        raise IngestError(f"{path.name}: no column for {', '.join(missing)} ({describe_columns(header)}). "
                          f"Deployments need columns named deployed_at and name (optional: description, "
                          f"component, pixel_id).")
    cols = ", ".join(f"nullif(trim({q(by_ci[f])}), '') AS {f}" if f in by_ci else f"NULL AS {f}" for f in FIELDS)
    cells = ", ".join(f"nullif(trim({q(h)}), '')" for h in header)
    con.execute(f"CREATE TABLE records AS SELECT __line AS line, 'line ' AS unit, 'row' AS shape, {cols} FROM raw "
                f"WHERE coalesce({cells}) IS NOT NULL")
    return rejects


def _from_json(con: duckdb.DuckDBPyConnection, path: Path) -> list[Reject]:
    try:
        # A byte-order mark (Windows editors) is not JSON; drop it rather than refuse the file.
        con.execute(f"CREATE TABLE doc AS SELECT ltrim(content, chr(65279)) AS content FROM read_text({sql_str(path)})")
    except duckdb.Error:
        raise IngestError(unreadable(path)) from None
    kind = con.execute("SELECT CASE WHEN json_valid(content) THEN json_type(content) END FROM doc").fetchall()[0][0]
    if kind != "ARRAY":
        what = "is not valid JSON" if kind is None else f"holds a JSON {kind.lower()}"
        raise IngestError(f"{path.name} {what}; deployments in JSON are a list of objects such as "
                          f'[{{"deployed_at": "2026-10-02T10:30:00Z", "name": "checkout-v2"}}].')
    # Numbers (a Unix deployed_at) come out as their text; nested values as JSON text.
    cols = ", ".join(f"nullif(trim(json_extract_string(item, {sql_str('$.' + f)})), '') AS {f}" for f in FIELDS)
    con.execute(f"""
        CREATE TABLE records AS
        SELECT line, 'record ' AS unit, CASE WHEN json_type(item) = 'OBJECT' THEN 'object' END AS shape, {cols}
        FROM (SELECT unnest(items) AS item, generate_subscripts(items, 1) AS line
              FROM (SELECT json_extract(content, '$[*]') AS items FROM doc))""")
    return collect_rejects(con, "SELECT line, 'record ' || line || ': not a JSON object' FROM records "
                                "WHERE shape IS NULL ORDER BY line")


def parse(path: Path, staged: Staged, con: duckdb.DuckDBPyConnection, opts: Options) -> None:
    """Fill `out.deployments` from one CSV or JSON file."""
    check_text(path)
    with open(path, "rb") as fh:
        first = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    json = path.name.lower().endswith(".json") or first == b"["
    rejects = _from_json(con, path) if json else _from_csv(con, path)
    # Records that are not objects were rejected above (shape NULL).
    con.execute("""
        CREATE TABLE checked AS
        SELECT *, CASE
            WHEN deployed_raw IS NULL THEN unit || line || ': deployed_at is empty'
            WHEN deployed_at IS NULL THEN unit || line || ': deployed_at is not a recognised timestamp'
            WHEN NOT capi_ts_ok(deployed_at) THEN unit || line || ': deployed_at is outside 2015–2100'
            WHEN name IS NULL THEN unit || line || ': name is empty'
          END AS reason
        FROM (SELECT * EXCLUDE (deployed_at), deployed_at AS deployed_raw, try(capi_ts(deployed_at)) AS deployed_at
              FROM records WHERE shape IS NOT NULL)""")
    rejects += collect_rejects(con, "SELECT line, reason FROM checked WHERE reason IS NOT NULL")
    con.execute(DDL)
    # The same (deployed_at, name) twice in one file: the later record wins.
    con.execute("INSERT INTO out.deployments SELECT deployed_at, name, description, component, pixel_id "
                "FROM checked WHERE reason IS NULL "
                "QUALIFY row_number() OVER (PARTITION BY deployed_at, name ORDER BY line DESC) = 1 ORDER BY line")
    staged.rejects.extend(sorted(rejects, key=lambda r: r.line or 0))
    staged.rows_read = con.execute("SELECT count(*) FROM out.deployments").fetchall()[0][0] + len(rejects)
    staged.tables.append(("deployments", "new"))
