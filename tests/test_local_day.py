"""The local day written as the zone's offsets over a span (read from DuckDB's own time-zone data) equals
DuckDB's time-zone conversion, row by row."""
from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
from hypothesis import given, settings, strategies as st

from analysis.metrics.scope import local_day_sql, offsets

ZONES = ["UTC", "Europe/Paris", "America/New_York", "America/St_Johns", "Asia/Kathmandu", "Asia/Kolkata",
         "Australia/Lord_Howe", "Pacific/Chatham", "Africa/Casablanca", "America/Santiago", "Pacific/Apia"]


def _both(tz: str, lo: datetime, hi: datetime, times: list[datetime]) -> list[tuple]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE t (event_time TIMESTAMP)")
    con.executemany("INSERT INTO t VALUES (?)", [[x] for x in times])
    return con.execute(f"""SELECT event_time, CAST(timezone($tz, CAST(event_time AS TIMESTAMPTZ)) AS DATE),
                                  {local_day_sql(con, 'event_time', tz, lo, hi)} FROM t""", {"tz": tz}).fetchall()


def test_transitions_are_found_to_the_second() -> None:
    con = duckdb.connect()
    spans = offsets(con, "Europe/Paris", datetime(2026, 3, 20), datetime(2026, 11, 10))
    assert spans == [(None, 3600), (datetime(2026, 3, 29, 1, 0, 0), 7200), (datetime(2026, 10, 25, 1, 0, 0), 3600)]
    # Lord Howe moves by half an hour; Kathmandu never moves.
    assert [o for _, o in offsets(con, "Australia/Lord_Howe", datetime(2026, 1, 1), datetime(2026, 12, 31))] == [39600, 37800, 39600]
    assert offsets(con, "Asia/Kathmandu", datetime(2026, 1, 1), datetime(2026, 12, 31)) == [(None, 20700)]


def test_every_second_around_a_change_and_a_local_midnight() -> None:
    lo, hi = datetime(2026, 10, 20), datetime(2026, 11, 5)
    change = datetime(2026, 11, 1, 6, 0, 0)          # New York leaves daylight time at 06:00 UTC
    times = [change + timedelta(seconds=s) for s in range(-5, 6)]
    times += [datetime(2026, 11, 2, 4, 59, 59), datetime(2026, 11, 2, 5, 0, 0)]   # local midnight, after the change
    for _, theirs, ours in _both("America/New_York", lo, hi, times):
        assert ours == theirs


@settings(max_examples=60, deadline=None)
@given(tz=st.sampled_from(ZONES), start=st.datetimes(datetime(2000, 1, 1), datetime(2037, 1, 1)),
       days=st.integers(1, 120), offsets_s=st.lists(st.integers(0, 120 * 86400 - 1), min_size=1, max_size=40))
def test_equals_duckdb_for_any_zone_and_span(tz: str, start: datetime, days: int, offsets_s: list[int]) -> None:
    lo, hi = start.replace(microsecond=0), start.replace(microsecond=0) + timedelta(days=days)
    times = [lo + timedelta(seconds=s % (days * 86400), microseconds=123) for s in offsets_s]
    for t, theirs, ours in _both(tz, lo, hi, times):
        assert ours == theirs, (tz, t)
