"""The report's window and the counted events it looks at, as temp tables every metric reads."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from analysis import store
from analysis.rollups.schema import COUNTED_BROWSER, COUNTED_SERVER

# Pairing looks 48 h past the window edges, order matching 7 days (report contract).
LOOK_PAST_DAYS = 7


class ScopeError(Exception):
    """A window or filter the user must correct."""


@dataclass(frozen=True)
class Scope:
    since: date
    until: date
    tz: str
    pixel_id: str | None = None

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> "Scope":
        """The equal-length window just before this one (the checklist compares with it)."""
        span = timedelta(days=self.days)
        return Scope(self.since - span, self.until - span, self.tz, self.pixel_id)

    def reach(self) -> tuple[datetime, datetime]:
        """utc_bounds() widened by the look-past days: what pairing and order matching may see."""
        start, end = self.utc_bounds()
        look = timedelta(days=LOOK_PAST_DAYS)
        return start - look, end + look

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start, end) of the window in naive UTC, for comparisons with stored times."""
        zone = ZoneInfo(self.tz)
        start = datetime.combine(self.since, datetime.min.time(), zone).astimezone(timezone.utc)
        end = datetime.combine(self.until + timedelta(days=1), datetime.min.time(), zone).astimezone(timezone.utc)
        return start.replace(tzinfo=None), end.replace(tzinfo=None)


def check_tz(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScopeError(f"Unknown time zone {tz!r}; use an IANA name such as UTC or Europe/Paris.") from None
    return tz


def offsets(con: duckdb.DuckDBPyConnection, tz: str, lo: datetime, hi: datetime) -> list[tuple[datetime | None, int]]:
    """The UTC offsets (seconds) of `tz` over [lo, hi] (naive UTC) as DuckDB's own time-zone data has them:
    [(since, offset)], the first since None. Found on a 15-minute grid, each change narrowed to the second.
    """
    sql = """SELECT t, CAST(epoch(CAST(timezone($tz, timezone('UTC', t)) AS TIMESTAMP)) - epoch(t) AS BIGINT)
             FROM generate_series(CAST($lo AS TIMESTAMP), CAST($hi AS TIMESTAMP), INTERVAL {step}) g(t) ORDER BY t"""
    grid = con.execute(sql.format(step="15 MINUTE"), {"tz": tz, "lo": lo, "hi": hi}).fetchall()
    out: list[tuple[datetime | None, int]] = [(None, grid[0][1])]
    for (a, off_a), (b, off_b) in zip(grid, grid[1:]):
        if off_a != off_b:
            fine = con.execute(sql.format(step="1 SECOND"), {"tz": tz, "lo": a, "hi": b}).fetchall()
            out += [(t, o) for (_, p), (t, o) in zip(fine, fine[1:]) if o != p]
    return out


def local_day_sql(con: duckdb.DuckDBPyConnection, col: str, tz: str, lo: datetime, hi: datetime) -> str:
    """The local date in `tz` of a naive-UTC timestamp column whose values lie in [lo, hi].

    Equal to CAST(timezone(tz, col) AS DATE) there, without a time-zone lookup per row: the few offsets
    the zone has over the span are written into the expression.
    """
    lit = lambda t: f"TIMESTAMP '{t.strftime('%Y-%m-%d %H:%M:%S')}'"  # noqa: E731
    spans = offsets(con, tz, lo, hi)
    if len(spans) == 1:
        shift = f"INTERVAL ({spans[0][1]}) SECOND"
    else:
        whens = " ".join(f"WHEN {col} < {lit(spans[i + 1][0])} THEN INTERVAL ({spans[i][1]}) SECOND"
                         for i in range(len(spans) - 1))
        shift = f"CASE {whens} ELSE INTERVAL ({spans[-1][1]}) SECOND END"
    return f"CAST({col} + {shift} AS DATE)"


def latest_day(con: duckdb.DuckDBPyConnection, tz: str, today: date) -> date | None:
    """The latest day with data that is not after today (a garbage future timestamp cannot move it)."""
    bound = datetime.combine(today + timedelta(days=1), datetime.min.time(), ZoneInfo(tz)).astimezone(timezone.utc)
    bound_naive = bound.replace(tzinfo=None)
    value = store.scalar(con, """
        SELECT max(t) FROM (
            SELECT max(event_time) AS t FROM server_events WHERE event_time < ?
            UNION ALL SELECT max(event_time) FROM browser_events WHERE event_time < ?
            UNION ALL SELECT max(created_at) FROM orders WHERE created_at < ?)""",
                         [bound_naive, bound_naive, bound_naive])
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz)).date()



def months_with_data(con: duckdb.DuckDBPyConnection, tz: str, pixel_id: str | None, today: date) -> list[dict]:
    """Calendar months (in tz, not after today) with server or browser events, orders or Meta /stats:
    month, first_day, last_day, events. Connectors alone (orders, Meta's /stats) make a month to check too."""
    pixel_sql = "AND pixel_id = $pixel" if pixel_id else ""
    params: dict = {"tz": tz, "today": today} | ({"pixel": pixel_id} if pixel_id else {})
    # Counted per UTC quarter hour first, then each quarter hour's local day: every zone's midnight is on
    # a quarter hour, so this is exact, and the zone is looked up once per quarter hour, not per row.
    q = "time_bucket(INTERVAL 15 MINUTE, {t}) AS q, count(*) AS n"
    con.execute("SET TimeZone = 'UTC'")        # stored times are naive UTC
    return store.query(con, f"""
        WITH per_q AS (
              SELECT {q.format(t='event_time')} FROM server_events WHERE event_time IS NOT NULL {pixel_sql} GROUP BY q
              UNION ALL
              SELECT {q.format(t='event_time')} FROM browser_events
              WHERE event_time IS NOT NULL AND source <> 'mirror' {pixel_sql} GROUP BY q
              UNION ALL
              SELECT {q.format(t='created_at')} FROM orders
              WHERE true {pixel_sql.replace('pixel_id', 'coalesce(pixel_id, $pixel)')} GROUP BY q
              UNION ALL
              SELECT {q.format(t='hour')} FROM meta_stats WHERE true {pixel_sql} GROUP BY q),
        per_day AS (SELECT CAST(timezone($tz, CAST(q AS TIMESTAMPTZ)) AS DATE) AS d, sum(n) AS n
                    FROM per_q GROUP BY ALL)
        SELECT CAST(date_trunc('month', d) AS DATE) AS month, min(d) AS first_day, max(d) AS last_day,
               CAST(sum(n) AS BIGINT) AS events
        FROM per_day WHERE d <= $today GROUP BY ALL ORDER BY month""", params)


def resolve(con: duckdb.DuckDBPyConnection, since: date | None, until: date | None, tz: str,
            pixel_id: str | None, days: int = 30, today: date | None = None) -> Scope:
    """Explicit --since/--until, else the `days` days ending on the latest day with data."""
    check_tz(tz)
    today = today or datetime.now(ZoneInfo(tz)).date()
    if until is None:
        until = (latest_day(con, tz, today) or today) if since is None else min(today, since + timedelta(days=days - 1))
    if since is None:
        since = until - timedelta(days=days - 1)
    if since > until:
        raise ScopeError(f"--since {since} is after --until {until}.")
    return Scope(since, until, tz, pixel_id)


def prepare(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    """Temp views of counted events (window ± look-past) with their local day and an in-window flag.

    Views, not copies: each reader scans only the columns and rows it asks for (most metrics read the
    rollups; these serve the order-level drill-downs and the few rules evaluated when read).

    m_server: server events whose request was not rejected and that carry no test_event_code.
    m_browser: browser events the pixel sent (not the mirror's copies). Both per pixel and exact event name (case-sensitive).
    """
    con.execute("SET TimeZone = 'UTC'")
    start, end = scope.utc_bounds()
    lo, hi = scope.reach()
    # The scope itself, for the readers of the rollups (analysis/rollups/read.py).
    con.execute("""CREATE OR REPLACE TEMP TABLE m_scope AS
        SELECT CAST($start AS TIMESTAMP) AS start, CAST($end AS TIMESTAMP) AS stop, CAST($tz AS VARCHAR) AS tz,
               CAST($pixel AS VARCHAR) AS pixel""", {"start": start, "end": end, "tz": scope.tz, "pixel": scope.pixel_id})
    # A view cannot hold parameters: the bounds are written in as literals (values the code made).
    lit = lambda t: f"TIMESTAMP '{t.strftime('%Y-%m-%d %H:%M:%S.%f')}'"  # noqa: E731
    day = local_day_sql(con, "event_time", scope.tz, lo, hi)
    in_win = f"(event_time >= {lit(start)} AND event_time < {lit(end)})"
    rng = f"event_time >= {lit(lo)} AND event_time < {lit(hi)}"
    pixel = ("AND pixel_id = '" + scope.pixel_id.replace("'", "''") + "'") if scope.pixel_id else ""
    con.execute(f"""CREATE OR REPLACE TEMP VIEW m_server AS
        SELECT *, {day} AS day, {in_win} AS in_window FROM server_events
        WHERE {COUNTED_SERVER} AND {rng} {pixel}""")
    # Mirror events (capi-audit capture's first-party copy) are not what the pixel sent to Meta:
    # they only feed the estimate of pixel events lost to blockers (metrics/mirror.py).
    con.execute(f"""CREATE OR REPLACE TEMP VIEW m_browser AS
        SELECT *, {day} AS day, {in_win} AS in_window FROM browser_events
        WHERE {rng} AND {COUNTED_BROWSER} {pixel}""")
    con.execute(f"""CREATE OR REPLACE TEMP VIEW m_mirror AS
        SELECT *, {day} AS day, {in_win} AS in_window FROM browser_events
        WHERE {rng} AND source = 'mirror' {pixel}""")
    # The lint population: every ingested server event, rejected and test-coded included
    # (window ± look-past, so that deployments near the edges can be compared before/after).
    con.execute(f"""CREATE OR REPLACE TEMP VIEW m_server_all AS
        SELECT *, {day} AS day, {in_win} AS in_window FROM server_events
        WHERE {rng} {pixel}""")
