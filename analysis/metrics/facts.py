"""Facts: per pixel × event name × UTC hour, the numerator and denominator of every comparable metric.

Deployments and suspected breaks compare metrics over arbitrary ranges. A range's value is
sum(numerator) / sum(denominator) over its hours, so a range need not be whole days, and "days with
data" are distinct local days. Summed from the rollups' quarter hours (the order-level parts — hash
checks, the rules read with the orders, the Purchase gap — from the report's temp tables); the facts
span window ± 7 days.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from analysis import config as config_mod
from analysis import store
from analysis.metrics import emq
from analysis.metrics.hash_match import ORDER_KEYS
from analysis.metrics.scope import Scope, local_day_sql
from analysis.normalize import USER_DATA_KEYS
from analysis.rollups import READ_TIME_RULES, read
from analysis.rollups.schema import name_fold_sql

# How a metric's two sides are compared (thresholds in analysis.metrics.deployments).
SHARE, MEAN, GAP, MISMATCH = "share", "mean", "gap", "mismatch"


@dataclass(frozen=True)
class Metric:
    """A comparable metric: contract name, kind, and its m_facts numerator/denominator columns."""

    name: str
    kind: str
    num: str
    den: str
    den2: str | None = None            # dedup.overlap: a range's denominator is min(Σ browser, Σ server)
    higher_is_worse: bool = False


METRICS: tuple[Metric, ...] = (
    *(Metric(f"coverage.{k}", SHARE, f"v_{k}", "n_server") for k in USER_DATA_KEYS),
    *(Metric(f"hash_match.{k}", SHARE, f"hm_{k}", f"hp_{k}") for k in ORDER_KEYS),
    Metric("emq_estimate", MEAN, "emq_sum", "n_website"),
    Metric("dedup.overlap", SHARE, "matched", "n_browser", "n_server"),
    # A share of the browser events whose name equals this one ignoring case and whitespace
    # (when every browser event becomes `purchase`, the exact-name browser count drops to 0).
    Metric("dedup.name_mismatch", MISMATCH, "name_mismatch", "n_browser_ci", higher_is_worse=True),
    Metric("dedup.server_with_event_id", SHARE, "s_with_id", "n_server"),
    Metric("dedup.browser_with_event_id", SHARE, "b_with_id", "n_browser"),
)
_BY_NAME = {m.name: m for m in METRICS}

COLUMNS: tuple[str, ...] = (
    "n_server", *(f"v_{k}" for k in USER_DATA_KEYS), "n_website", "emq_sum", "s_with_id",
    "n_browser", "b_with_id", "matched", "name_mismatch",
    *(f"hp_{k}" for k in ORDER_KEYS), *(f"hm_{k}" for k in ORDER_KEYS), "n_lint",
)


def kind(metric: str) -> tuple[str, bool]:
    """(kind, higher_is_worse) of a metric name, including `lint.RULE` and `discrepancy.gap`."""
    if metric.startswith("lint."):
        return SHARE, True
    if metric == "discrepancy.gap":
        return GAP, True
    m = _BY_NAME[metric]
    return m.kind, m.higher_is_worse


@dataclass(frozen=True)
class Agg:
    """A metric over a range: numerator, denominator (its volume) and local days with data."""

    num: float
    den: float
    days: int

    @property
    def value(self) -> float | None:
        return self.num / self.den if self.den else None


def _norm(col: str) -> str:
    return name_fold_sql(col)


def prepare(con: duckdb.DuckDBPyConnection, sc: Scope, cfg: config_mod.Config) -> None:
    """m_facts (wide, hour grain), m_facts_lint (server rule hits) and m_facts_gap (orders vs Purchases).

    Needs the report's temp tables (report.prepare). Idempotent per scope: a second call for the same
    window on the same connection reuses the tables.
    """
    marker = f"{sc.since}|{sc.until}|{sc.tz}|{sc.pixel_id}|{cfg['dedup.window_hours']}|{cfg['discrepancy.event_name']}"
    try:
        if store.scalar(con, "SELECT marker FROM m_facts_scope") == marker:
            return
    except duckdb.CatalogException:
        pass
    lo, hi = sc.reach()
    params = {"lo": lo, "hi": hi, "pixel": sc.pixel_id}
    read_time = ", ".join(f"'{r}'" for r in sorted(READ_TIME_RULES))
    # Counted per key first, then spread into columns (one filtered count per key and row costs more).
    pairs = ", ".join(f"sum(n) FILTER (key = '{k}') AS hp_{k}, sum(m) FILTER (key = '{k}') AS hm_{k}"
                      for k in ORDER_KEYS)
    sums = ", ".join(f"coalesce(sum({c}), 0) AS {c}" for c in COLUMNS)
    # The rollups' 15-minute buckets, summed to hours; each keeps the local day of its quarter hour,
    # so an hour that a +05:45 midnight splits stays split, as its events are.
    rng = "r.bucket >= $lo AND r.bucket < $hi AND (CAST($pixel AS VARCHAR) IS NULL OR r.pixel_id = $pixel)"
    day = lambda col: local_day_sql(con, col, sc.tz, lo, hi)  # noqa: E731  (every time here lies in [lo, hi))
    when = "date_trunc('hour', {t}) AS hour, " + day("{t}") + " AS day"
    valid = ", ".join(f"sum(r.v_{k}) AS v_{k}" for k in USER_DATA_KEYS)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE m_facts AS
        WITH parts AS (
            (SELECT r.pixel_id, r.event_name, {when.format(t='r.bucket')}, sum(r.n) AS n_server, {valid},
                    sum(r.website) AS n_website, sum(r.with_id) AS s_with_id, sum(r.lint_n) AS n_lint
             FROM rollup_events r WHERE r.side = 'server' AND {rng} GROUP BY ALL)
            UNION ALL BY NAME
            (SELECT r.pixel_id, r.event_name, {when.format(t='r.bucket')}, sum(r.n) AS n_browser,
                    sum(r.with_id) AS b_with_id
             FROM rollup_events r WHERE r.side = 'browser' AND {rng} GROUP BY ALL)
            UNION ALL BY NAME
            (SELECT r.pixel_id, r.event_name, {when.format(t='r.bucket')}, {read.emq_sum_sql(emq.DEFAULT_WEIGHTS, emq.TAU)} AS emq_sum
             FROM rollup_emq r WHERE {rng} GROUP BY ALL)
            UNION ALL BY NAME
            -- A pairing counts once, at the earliest server cluster that paired (and a name mismatch alike).
            (SELECT r.pixel_id, r.event_name, {when.format(t='r.matched_at')}, count(*) AS matched
             FROM (SELECT *, matched_at AS bucket FROM pair_keys) r WHERE r.matched_at IS NOT NULL AND {rng} GROUP BY ALL)
            UNION ALL BY NAME
            (SELECT r.pixel_id, r.event_name, {when.format(t='r.mismatch_at')}, count(*) AS name_mismatch
             FROM (SELECT *, mismatch_at AS bucket FROM pair_keys) r WHERE r.mismatch_at IS NOT NULL AND {rng} GROUP BY ALL)
            UNION ALL BY NAME
            (SELECT pixel_id, event_name, hour, day, {pairs} FROM (
                SELECT p.pixel_id, p.event_name, {when.format(t='p.event_time')}, p.key, count(*) AS n,
                       count(*) FILTER (p.matches) AS m
                FROM m_hash_pairs p WHERE p.counted GROUP BY ALL) GROUP BY ALL))
        SELECT pixel_id, event_name, hour, day, {sums} FROM parts GROUP BY ALL""", params)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE m_facts_lint AS
        SELECT r.pixel_id, r.event_name, {when.format(t='r.bucket')}, r.rule, sum(r.hits) AS hits
        FROM rollup_rule_hits r WHERE r.side = 'server' AND {rng}
          -- missing_event_id counts where both sides send the event name (as the report's lint does)
          AND (r.rule <> 'missing_event_id' OR (r.pixel_id, r.event_name) IN (SELECT pixel_id, event_name FROM m_both))
        GROUP BY ALL
        UNION ALL
        SELECT l.pixel_id, l.event_name, {when.format(t='l.event_time')}, l.rule, count(*) AS hits
        FROM (SELECT DISTINCT rule, event_uid, pixel_id, event_name, event_time FROM m_lint
              WHERE side = 'server' AND rule IN ({read_time})) l GROUP BY ALL""", params)
    # discrepancy.gap: eligible orders by their created_at hour and the server Purchase conversions
    # (clusters) matched to them, whatever their event_time. Per pixel (all_pixels false: the orders of
    # that pixel and its Purchases) and for the whole scope (all_pixels true: every order once), as the
    # report's discrepancy counts them.
    con.execute("""CREATE OR REPLACE TEMP TABLE m_facts_gap AS
        WITH per AS (
            SELECT o.pixel_id, o.owner, o.order_id, o.created_at, o.day, coalesce(p.n, 0) AS n
            FROM m_orders o LEFT JOIN (SELECT pixel_id, matched_owner, matched_order, count(*) AS n FROM m_purchases
                                       WHERE side = 'server' AND matched_order IS NOT NULL GROUP BY ALL) p
              ON p.pixel_id IS NOT DISTINCT FROM o.pixel_id AND p.matched_owner = o.owner
             AND p.matched_order = o.order_id
            WHERE o.eligible AND o.created_at >= $lo AND o.created_at < $hi)
        SELECT false AS all_pixels, pixel_id, date_trunc('hour', created_at) AS hour, day, count(*) AS orders,
               sum(n) AS matched FROM per GROUP BY ALL
        UNION ALL
        SELECT true, NULL, date_trunc('hour', created_at), day, count(*), sum(n)
        FROM (SELECT owner, order_id, any_value(created_at) AS created_at, any_value(day) AS day, sum(n) AS n
              FROM per GROUP BY owner, order_id) GROUP BY ALL""", {"lo": lo, "hi": hi})
    con.execute("CREATE OR REPLACE TEMP TABLE m_facts_scope AS SELECT ? AS marker", [marker])


def _long_sql(metrics: tuple[Metric, ...] = METRICS) -> str:
    """Per-day long rows from the per-day wide relation `dw` (side_id, pixel_id, event_name, day, …)."""
    items = ", ".join(
        f"{{'metric': '{m.name}', 'num': CAST({m.num} AS DOUBLE), 'den': CAST({m.den} AS DOUBLE), "
        f"'den2': CAST({m.den2 or 'NULL'} AS DOUBLE)}}" for m in metrics)
    return f"SELECT side_id, pixel_id, event_name, day, unnest([{items}], recursive := true) FROM dw"


def _per_day(con: duckdb.DuckDBPyConnection, sides: list[tuple[int, str | None, datetime, datetime]],
             gap_event: str, final: str) -> list[dict[str, Any]]:
    """Sum the facts inside each side (id, pixel or None for all, [t0, t1)) per local day, long form.

    An hour bucket belongs to a side only when it lies wholly inside it: the hour around a boundary
    that is not on the hour is left out of both sides.
    """
    con.execute("CREATE OR REPLACE TEMP TABLE m_sides (side_id INTEGER, pixel VARCHAR, t0 TIMESTAMP, t1 TIMESTAMP)")
    if sides:
        con.executemany("INSERT INTO m_sides VALUES (?, ?, ?, ?)", [list(s) for s in sides])
    inside = "{a}.hour >= s.t0 AND {a}.hour + INTERVAL 1 HOUR <= s.t1"
    pixel = "(s.pixel IS NULL OR {a}.pixel_id = s.pixel)"
    sums = ", ".join(f"sum({c}) AS {c}" for c in COLUMNS)
    sql = f"""
        WITH d AS (
            SELECT s.side_id, f.pixel_id, f.event_name, f.day, {sums}
            FROM m_facts f JOIN m_sides s ON {inside.format(a='f')} AND {pixel.format(a='f')} GROUP BY ALL),
        dw AS (SELECT *, sum(n_browser) OVER (PARTITION BY side_id, pixel_id, {_norm('event_name')}, day)
                         AS n_browser_ci
               FROM d),
        -- Lint rules that fire anywhere for the event name get a row (0 hits) on every day with events.
        rules AS (SELECT DISTINCT pixel_id, event_name, rule FROM m_facts_lint),
        hits AS (
            SELECT s.side_id, l.pixel_id, l.event_name, l.day, l.rule, sum(l.hits) AS hits
            FROM m_facts_lint l JOIN m_sides s ON {inside.format(a='l')} AND {pixel.format(a='l')} GROUP BY ALL),
        long AS (
            {_long_sql()}
            UNION ALL
            SELECT dw.side_id, dw.pixel_id, dw.event_name, dw.day, 'lint.' || r.rule,
                   CAST(coalesce(h.hits, 0) AS DOUBLE), CAST(dw.n_lint AS DOUBLE), CAST(NULL AS DOUBLE)
            FROM dw JOIN rules r ON r.pixel_id IS NOT DISTINCT FROM dw.pixel_id AND r.event_name = dw.event_name
            LEFT JOIN hits h ON h.side_id = dw.side_id AND h.pixel_id IS NOT DISTINCT FROM dw.pixel_id
                 AND h.event_name = dw.event_name AND h.day = dw.day AND h.rule = r.rule
            WHERE dw.n_lint > 0
            UNION ALL
            -- The gap is the scope's (or the deployment's pixel's): the orders of that pixel.
            SELECT s.side_id, s.pixel, $gap_event, g.day, 'discrepancy.gap', CAST(sum(g.orders - g.matched) AS DOUBLE),
                   CAST(sum(g.orders) AS DOUBLE), CAST(NULL AS DOUBLE)
            FROM m_facts_gap g JOIN m_sides s ON {inside.format(a='g')}
             AND (CASE WHEN s.pixel IS NULL THEN g.all_pixels ELSE NOT g.all_pixels AND g.pixel_id = s.pixel END)
            GROUP BY ALL)
        {final}"""
    return store.query(con, sql, {"gap_event": gap_event})


def ranges(con: duckdb.DuckDBPyConnection, sides: list[tuple[int, str | None, datetime, datetime]],
           gap_event: str) -> dict[int, dict[tuple[str | None, str, str], Agg]]:
    """Per side: {(pixel_id, event_name, metric): Agg} summed over the side's hours."""
    rows = _per_day(con, sides, gap_event, """
        SELECT side_id, pixel_id, event_name, metric, sum(num) AS num,
               CASE WHEN count(den2) > 0 THEN least(sum(den), sum(den2)) ELSE sum(den) END AS den,
               count(*) FILTER (den > 0 AND coalesce(den2, 1) > 0) AS days
        FROM long GROUP BY ALL""")
    out: dict[int, dict[tuple[str | None, str, str], Agg]] = {s[0]: {} for s in sides}
    for r in rows:
        out[r["side_id"]][(r["pixel_id"], r["event_name"], r["metric"])] = Agg(
            float(r["num"] or 0.0), float(r["den"] or 0.0), int(r["days"]))
    return out


def daily(con: duckdb.DuckDBPyConnection, sc: Scope, gap_event: str) -> list[dict[str, Any]]:
    """Every metric per pixel × event name × local day over window ± 7 days (pixel_id, event_name, metric,
    day, num, den); dedup.overlap's den is min(browser, server) of the day."""
    lo, hi = sc.reach()
    return _per_day(con, [(0, sc.pixel_id, lo, hi)], gap_event, """
        SELECT * FROM (SELECT pixel_id, event_name, metric, day, num,
                              CASE WHEN den2 IS NULL THEN den ELSE least(den, den2) END AS den FROM long)
        WHERE den > 0 ORDER BY pixel_id, event_name, metric, day""")
