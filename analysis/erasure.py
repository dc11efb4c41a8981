"""Forgetting one customer: every hash of their email and phone, and a database file that never held them."""
from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import duckdb

from analysis import normalize, rollups, store
from analysis.lifecycle import LifecycleError


def _changed(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchall()[0][0])


# server_events' personal columns: blanked in an erased customer's events (the *_p/*_v flags, which
# only say a value was present and well-formed, stay so coverage figures keep their denominators).
_SERVER_PERSONAL = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id",
                    "client_ip_address", "client_user_agent", "fbc", "fbp")
_BROWSER_PERSONAL = ("em", "ph", "fbp", "fbc", "client_user_agent", "client_ip_address")


def customer_hashes(email: str | None, phone: str | None, country: str | None) -> dict[str, str]:
    """The hashes of one customer's email and phone as ingest makes them: hash -> correct or the mistake's name."""
    out: dict[str, str] = {}
    for key, value in (("em", email), ("ph", phone)):
        correct = normalize.hash_value(key, value, country)
        if correct is None:
            continue
        out[correct] = "correct"
        out.update((h, diagnosis) for diagnosis, h in normalize.mistake_variants(key, value, country))
    return out


def forget(con: duckdb.DuckDBPyConnection, email: str | None, phone: str | None,
           country: str | None = None) -> dict[str, int]:
    """Erase one customer's personal data from every table in one transaction; rows changed per table.

    Orders keep their amounts (the audit needs them) but lose every hash and the customer id. The
    freed bytes stay in the file until compact() copies the live data to a fresh one.
    """
    given = customer_hashes(email, phone, country)
    if not given:
        raise LifecycleError("Give a usable --email or --phone (after Meta's normalization nothing was left to match).")
    q = store.quote_ident
    with store.transaction(con):
        con.execute("CREATE OR REPLACE TEMP TABLE _forget_hash (hash VARCHAR, variant VARCHAR)")
        con.executemany("INSERT INTO _forget_hash VALUES (?, ?)", sorted(given.items()))
        # Orders by correct hashes only: a mistaken form (a national number without its country code)
        # can be another customer's correct one, and their order is not this customer's.
        con.execute("CREATE OR REPLACE TEMP TABLE _forget_order AS SELECT owner, order_id, customer_id FROM orders "
                    "WHERE (owner, order_id) IN (SELECT h.owner, h.order_id FROM order_hashes h JOIN _forget_hash f "
                    "ON h.hash = f.hash WHERE h.key IN ('em', 'ph') AND h.variant = 'correct' "
                    "AND f.variant = 'correct')")
        # The forms stored with their orders come from the raw values as the shop had them (its
        # capitals, its spaces): the same forms a sender may have hashed into an event.
        # Events are matched by every form, mistaken ones too: blanking a stranger's event by a rare
        # collision costs a little audit data; missing one of this customer's would keep their data.
        con.execute("INSERT INTO _forget_hash SELECT DISTINCT lower(hash), variant FROM order_hashes "
                    "WHERE key IN ('em', 'ph', 'external_id') AND (owner, order_id) IN (SELECT owner, order_id FROM _forget_order) "
                    "UNION SELECT DISTINCT lower(customer_id), 'customer_id' FROM _forget_order "
                    "WHERE customer_id IS NOT NULL")
        hashes = "(SELECT list(DISTINCT hash) FROM _forget_hash)"
        lowered = "list_transform({0}, lambda x: lower(x))"
        match = " OR ".join(f"list_has_any({lowered.format(q(c))}, {hashes})" for c in ("em", "ph", "external_id"))
        browser_match = "lower(em) IN (SELECT hash FROM _forget_hash) OR lower(ph) IN (SELECT hash FROM _forget_hash)"
        # Lint rules read some of the blanked values: the rollups of these events are recomputed.
        rollups.changed_where(con, match, browser_match)
        changed = {
            "server_events": _changed(con, "UPDATE server_events SET " + ", ".join(
                f"{q(c)} = NULL" for c in _SERVER_PERSONAL) + f" WHERE {match}"),
            "browser_events": _changed(con, "UPDATE browser_events SET " + ", ".join(
                f"{q(c)} = NULL" for c in _BROWSER_PERSONAL) + f" WHERE {browser_match}"),
            "order_hashes": _changed(con, "DELETE FROM order_hashes WHERE (owner, order_id) IN "
                                                  "(SELECT owner, order_id FROM _forget_order)"),
            "orders": _changed(con, "UPDATE orders SET customer_id = NULL, pii_digest = NULL "
                                    "WHERE (owner, order_id) IN (SELECT owner, order_id FROM _forget_order)"),
        }
        rollups.refresh(con)
        con.execute("DROP TABLE _forget_order")
        con.execute("DROP TABLE _forget_hash")
    return changed


def compact(path: str | Path, wait: float = 60.0) -> None:
    """Rewrite the store into a fresh file holding only its live data, and put it in the store's place.

    DuckDB reuses a deleted row's blocks but never blanks them (CHECKPOINT and VACUUM leave the old
    bytes), so erasure needs a file that never held them. The copy sits beside the store (same
    file system) and replaces it by an atomic rename, keeping its path and permissions.
    """
    path = Path(path)
    fresh = path.with_name(path.name + ".rewrite")
    try:
        fresh.unlink(missing_ok=True)
        Path(f"{fresh}.wal").unlink(missing_ok=True)
        with store.writer(path, wait=wait) as con:
            main = store.scalar(con, "SELECT current_database()")
            con.execute("CHECKPOINT")
            con.execute("ATTACH '" + str(fresh).replace("'", "''") + "' AS _fresh")
            try:
                con.execute(f"COPY FROM DATABASE {store.quote_ident(main)} TO _fresh")
            finally:
                con.execute("DETACH _fresh")
        if Path(f"{path}.wal").exists():
            raise LifecycleError(f"{path}.wal is still there after closing the database, so another process is "
                                 "writing it; stop it and run the command again")
        os.chmod(fresh, stat.S_IMODE(path.stat().st_mode))     # the store's permissions, not the umask's
        with open(fresh, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(fresh, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except (duckdb.Error, OSError, LifecycleError) as exc:
        with contextlib.suppress(OSError):
            fresh.unlink(missing_ok=True)
            Path(f"{fresh}.wal").unlink(missing_ok=True)
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LifecycleError(f"Could not rewrite {path} ({why}). The rows are removed, but their bytes stay in "
                             "the file until a rewrite succeeds: fix that and run the command again.") from None
