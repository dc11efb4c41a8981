"""Tests for how an orders load numbers its values: a salted hash, another salt when two values would share a number."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analysis.ingest import Options, ingest_file, orders

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
TABLES = {"orders": "SELECT * EXCLUDE (ingestion_id) FROM orders ORDER BY ALL",
          "order_hashes": "SELECT * FROM order_hashes ORDER BY ALL"}


def _load(db: Path) -> dict[str, list[tuple]]:
    for name in ("orders.csv", "orders-shopify.csv"):
        res = ingest_file(db, "orders", SAMPLES / name, Options())
        assert res.error is None and res.loaded
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(sql).fetchall() for t, sql in TABLES.items()}
    finally:
        con.close()


def test_values_that_would_share_a_number_are_numbered_again_with_another_salt(tmp_path: Path, monkeypatch):
    expected = _load(tmp_path / "plain.duckdb")
    salts: list[int] = []
    real = orders._numbered

    def numbered(con):
        salts.append(real(con))
        return salts[-1]
    # Under salt 0 every value gets number 1: the load must see it and take the next salt.
    monkeypatch.setattr(orders, "_VID", "CASE WHEN {salt} = 0 THEN 1 ELSE hash({key}, {value}, {region}, {salt}) END")
    monkeypatch.setattr(orders, "_numbered", numbered)
    assert _load(tmp_path / "salted.duckdb") == expected
    assert salts and set(salts) == {1}
    assert len(expected["order_hashes"]) > 100


def test_no_number_is_zero_and_no_salt_is_taken_blindly(monkeypatch):
    con = duckdb.connect()
    try:
        con.execute("CREATE TEMP TABLE _distinct AS SELECT 'em' AS key, 'a@b.c' AS value, '' AS region")
        assert orders._numbered(con) == 0
        # 0 stands for "no value" in a digest's set: a value numbered 0 takes the next salt.
        monkeypatch.setattr(orders, "_VID",
                            "CASE WHEN {salt} < 3 THEN 0 ELSE hash({key}, {value}, {region}, {salt}) END")
        assert orders._numbered(con) == 3
        con.execute("INSERT INTO _distinct VALUES ('em', 'd@e.f', '')")
        monkeypatch.setattr(orders, "_VID", "1")
        with pytest.raises(RuntimeError, match="no salt"):
            orders._numbered(con)
    finally:
        con.close()
