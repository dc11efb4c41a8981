"""The canonical → rollup computations as ibis expressions: written once, compiled for DuckDB, Spark or a warehouse.

They compute what analysis/rollups/maintain.py keeps in the store (pair_keys, pair_repeats, rollup_events,
rollup_emq; rollup_lint and rollup_rule_hits in engines/lint.py) with the same semantics, over the canonical columns as the Parquet lake holds them:

- the pairing unit is (pixel, event_id): every counted copy of an id that has a copy in the range is
  re-clustered, wherever it lies in time, so keys that span the range's edges are exact;
- a key whose copies span more than the window holds several clusters, each starting at the first copy
  past the previous start's window. That walk depends on the copy before, so it runs on the client over
  those keys' copies only (ids reused days apart: a few rows) and comes back as a small table.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis import _

from analysis.normalize import USER_DATA_KEYS
from analysis.rollups.schema import BUCKET_MINUTES

COPY_COLS = ("side", "event_uid", "pixel_id", "event_name", "event_id", "event_time", "order_id")
KEY = ("side", "pixel_id", "event_name", "event_id")
LONG_SCHEMA = ibis.schema({"side": "string", "event_uid": "string", "long_start": "timestamp"})


def _invalid_sets() -> tuple[frozenset[str], ...]:
    from analysis.metrics.emq import INVALID_SETS

    return INVALID_SETS


def bucket(ts: ir.TimestampValue) -> ir.TimestampValue:
    """The 15-minute UTC bucket (DuckDB's time_bucket), in operations every backend compiles."""
    return ts.truncate("h") + ((ts.minute() // BUCKET_MINUTES) * BUCKET_MINUTES).as_interval("m")


def has_id(col: ir.StringValue) -> ir.BooleanValue:
    """A non-empty event_id: one character other than a space (DuckDB's trim strips spaces only)."""
    return col.notnull() & col.re_search("[^ ]")


def name_fold(col: ir.StringValue) -> ir.StringValue:
    """An event name with case and whitespace ignored (schema.name_fold_sql)."""
    return col.re_replace(r"\s", "").lower()


def counted_server(t: ir.Table) -> ir.BooleanValue:
    return ~t.rejected & t.test_event_code.isnull()


def counted_browser(t: ir.Table) -> ir.BooleanValue:
    return t.source != "mirror"


def in_range(ts: ir.TimestampValue, lo: datetime | None, hi: datetime | None) -> ir.BooleanValue:
    cond = ibis.literal(True)
    if lo is not None:
        cond &= ts >= ibis.timestamp(lo)
    if hi is not None:
        cond &= ts < ibis.timestamp(hi)
    return cond


def ranged(t: ir.Table, lo: datetime | None, hi: datetime | None) -> ir.Table:
    """The rows of [lo, hi); a lake's `date` partition column (the UTC day) is filtered too, so readers prune."""
    t = t.filter(in_range(t.event_time, lo, hi))
    if "date" in t.columns:
        if lo is not None:
            t = t.filter(t.date >= ibis.date(lo.date()))
        if hi is not None:
            t = t.filter(t.date <= ibis.date((hi - timedelta(microseconds=1)).date()))
    return t


@dataclass
class Sources:
    """The canonical event tables on one engine (columns as stored; a lake adds date and pixel)."""
    server: ir.Table
    browser: ir.Table


def copies(src: Sources, lo: datetime | None, hi: datetime | None) -> ir.Table:
    """Every counted copy with an event_id of the (pixel, event_id) units that have one in [lo, hi)."""
    def side(t: ir.Table, name: str, counted: ir.BooleanValue) -> ir.Table:
        return t.filter(counted, has_id(t.event_id)).select(
            side=ibis.literal(name), event_uid=t.event_uid, pixel_id=t.pixel_id, event_name=t.event_name,
            event_id=t.event_id, event_time=t.event_time, order_id=t.order_id)

    every = side(src.server, "server", counted_server(src.server)).union(
        side(src.browser, "browser", counted_browser(src.browser)))
    if lo is None and hi is None:
        return every
    # Also the ids of the range's other server events (rejected, test-coded): the lint's reused_event_id
    # reads the pairing of their keys.
    srv = ranged(src.server, lo, hi)
    units = every.filter(in_range(every.event_time, lo, hi)).select("pixel_id", "event_id").union(
        srv.filter(has_id(srv.event_id)).select("pixel_id", "event_id")).distinct()
    return every.semi_join(units, [every.pixel_id.identical_to(units.pixel_id), every.event_id == units.event_id])


def keys(cp: ir.Table, hours: int) -> ir.Table:
    """Per (side, pixel, name, event_id): copies, first and last, distinct orders, and whether it spans the window."""
    return cp.group_by(KEY).aggregate(
        n=_.count(), t0=_.event_time.min(), t1=_.event_time.max(),
        orders=_.order_id.min() != _.order_id.max(),
    ).mutate(long=_.t1 > _.t0 + ibis.interval(hours=hours))


def long_copies(cp: ir.Table, ks: ir.Table) -> ir.Table:
    """The copies of the keys that span more than the window: what the client walks (`walk` orders them)."""
    lk = ks.filter(_.long).select(*KEY)
    return cp.semi_join(lk, [cp.side == lk.side, cp.pixel_id.identical_to(lk.pixel_id),
                             cp.event_name == lk.event_name, cp.event_id == lk.event_id]) \
        .select("side", "event_uid", "pixel_id", "event_name", "event_id", "event_time")


def walk(rows: pd.DataFrame, hours: int) -> pd.DataFrame:
    """Cluster starts of the long keys' copies: a copy past its cluster start's window starts the next one."""
    out, key, start = [], None, None
    window = pd.Timedelta(hours=hours)
    ordered = rows.sort_values(["side", "pixel_id", "event_name", "event_id", "event_time", "event_uid"],
                               na_position="first", kind="stable")
    for side, uid, pixel, name, eid, t in ordered[["side", "event_uid", "pixel_id", "event_name", "event_id",
                                                   "event_time"]].itertuples(index=False, name=None):
        k = (side, None if pd.isna(pixel) else pixel, name, eid)
        if k != key or t - start > window:
            key, start = k, t
        out.append((side, uid, start))
    return pd.DataFrame(out, columns=["side", "event_uid", "long_start"]).astype(
        {"side": "object", "event_uid": "object", "long_start": "datetime64[us]"})


def clustered(cp: ir.Table, long_starts: ir.Table) -> ir.Table:
    """Every copy with its cluster's start and whether it is a repeat (not the first of its cluster)."""
    c = cp.mutate(t0=_.event_time.min().over(group_by=list(KEY)))
    c = c.left_join(long_starts, [c.side == long_starts.side, c.event_uid == long_starts.event_uid]) \
        .select(c, long_start=long_starts.long_start)
    c = c.select(*COPY_COLS, cluster_start=ibis.coalesce(_.long_start, _.t0))
    nth = ibis.row_number().over(group_by=[*KEY, "cluster_start"], order_by=["event_time", "event_uid"])
    return c.mutate(repeat=nth > 0)


def pair_keys(ks: ir.Table, cl: ir.Table, hours: int) -> ir.Table:
    """One row per (pixel, name, event_id): the pair_keys table of maintain._pair."""
    k = ks.group_by("pixel_id", "event_name", "event_id").aggregate(
        first_at=_.t0.min(), last_at=_.t1.max(),
        has_server=(_.side == "server").any(), has_browser=(_.side == "browser").any(),
        reused_server=((_.side == "server") & (_.long | _.orders.fill_null(False))).any(),
        reused_browser=((_.side == "browser") & (_.long | _.orders.fill_null(False))).any())
    cs = cl.select(*KEY, "cluster_start").distinct()
    s = cs.filter(_.side == "server")
    b = cs.filter(_.side == "browser").select(b_pixel=_.pixel_id, b_id=_.event_id, b_name=_.event_name,
                                              b_start=_.cluster_start)
    window = ibis.interval(hours=hours)
    pairs = s.join(b, [s.pixel_id == b.b_pixel, s.event_id == b.b_id,
                       b.b_start <= s.cluster_start + window, s.cluster_start <= b.b_start + window,
                       (b.b_name == s.event_name) | (name_fold(b.b_name) == name_fold(s.event_name))]) \
        .select(s.pixel_id, s.event_name, s.event_id, b.b_name, s_start=s.cluster_start)
    matched = pairs.filter(_.b_name == _.event_name).group_by("pixel_id", "event_name", "event_id") \
        .aggregate(matched_at=_.s_start.min())
    mism = pairs.filter(_.b_name != _.event_name)
    mism_keys = mism.group_by("pixel_id", "event_name", "event_id").aggregate(mismatch_at=_.s_start.min())
    # The span of a mismatch: the server key's copies and those of the browser names it pairs with.
    srv = ks.filter(_.side == "server")
    a = mism_keys.join(srv, [mism_keys.pixel_id == srv.pixel_id, mism_keys.event_name == srv.event_name,
                             mism_keys.event_id == srv.event_id]) \
        .select(mism_keys.pixel_id, mism_keys.event_name, mism_keys.event_id, srv.t0, srv.t1)
    names = mism.select("pixel_id", "event_name", "event_id", "b_name").distinct()
    brw = ks.filter(_.side == "browser")
    bb = names.join(brw, [names.pixel_id == brw.pixel_id, names.event_id == brw.event_id,
                          names.b_name == brw.event_name]) \
        .select(names.pixel_id, names.event_name, names.event_id, brw.t0, brw.t1)
    mm = a.union(bb, distinct=False).group_by("pixel_id", "event_name", "event_id") \
        .aggregate(mm_first=_.t0.min(), mm_last=_.t1.max())
    mm = mm.join(mism_keys, ["pixel_id", "event_name", "event_id"]).select(
        mm_pixel=mm.pixel_id, mm_name=mm.event_name, mm_id=mm.event_id, mm_first=mm.mm_first, mm_last=mm.mm_last,
        mismatch_at=mism_keys.mismatch_at)
    m = matched.select(m_pixel=_.pixel_id, m_name=_.event_name, m_id=_.event_id, matched_at=_.matched_at)
    out = k.left_join(m, [k.pixel_id == m.m_pixel, k.event_name == m.m_name, k.event_id == m.m_id]) \
        .left_join(mm, [k.pixel_id == mm.mm_pixel, k.event_name == mm.mm_name, k.event_id == mm.mm_id])
    return out.select(
        "pixel_id", "event_name", "event_id", "first_at", "last_at", "has_server", "has_browser",
        matched=_.m_id.notnull(), reused_server=_.reused_server.fill_null(False),
        reused_browser=_.reused_browser.fill_null(False), name_mismatch=_.mm_id.notnull(),
        mm_first=_.mm_first, mm_last=_.mm_last, matched_at=_.matched_at, mismatch_at=_.mismatch_at)


def pair_repeats(cl: ir.Table) -> ir.Table:
    return cl.filter(_.repeat).select("side", "event_uid", "pixel_id", "event_id")


def _flags(cl: ir.Table, pk: ir.Table) -> ir.Table:
    """(side, event_uid) → whether the copy's key paired and whether the copy is a repeat."""
    m = pk.filter(_.matched).select(k_pixel=_.pixel_id, k_name=_.event_name, k_id=_.event_id)
    j = cl.left_join(m, [cl.pixel_id == m.k_pixel, cl.event_name == m.k_name, cl.event_id == m.k_id])
    return j.select(f_side=cl.side, f_uid=cl.event_uid, k_matched=m.k_id.notnull(), is_repeat=cl.repeat)


def _with_flags(events: ir.Table, side: str, flags: ir.Table) -> ir.Table:
    f = flags.filter(_.f_side == side)
    j = events.left_join(f, events.event_uid == f.f_uid)
    return j.select(*(events[c] for c in events.columns), k_matched=f.k_matched.fill_null(False),
                    is_repeat=f.is_repeat.fill_null(False))


def _count_if(cond: ir.BooleanValue) -> ir.IntegerValue:
    return cond.fill_null(False).cast("int64").sum().fill_null(0)


def rollup_events(src: Sources, cl: ir.Table, pk: ir.Table, lo: datetime | None, hi: datetime | None) -> ir.Table:
    """Per pixel × name × side × bucket of [lo, hi): counted events, ids, pairing, keys (maintain._recompute)."""
    flags = _flags(cl, pk)
    srv = ranged(src.server, lo, hi)
    srv = _with_flags(srv.mutate(counted=counted_server(srv), has_id=has_id(srv.event_id),
                                 bucket=bucket(srv.event_time)), "server", flags)
    brw = ranged(src.browser, lo, hi)
    brw = brw.filter(counted_browser(brw))
    brw = _with_flags(brw.mutate(counted=ibis.literal(True), has_id=has_id(brw.event_id),
                                 bucket=bucket(brw.event_time)), "browser", flags)

    def common(t: ir.Table) -> dict[str, Any]:
        return dict(n=_count_if(t.counted), lint_n=t.count(), with_id=_count_if(t.counted & t.has_id),
                    matched=_count_if(t.counted & t.k_matched), repeats=_count_if(t.counted & t.is_repeat))

    key_sums = {}
    for k in USER_DATA_KEYS:
        key_sums[f"p_{k}"] = _count_if(srv.counted & srv[f"{k}_p"])
        key_sums[f"v_{k}"] = _count_if(srv.counted & srv[f"{k}_v"])
    s = srv.group_by("pixel_id", "event_name", "bucket").aggregate(
        **common(srv), website=_count_if(srv.counted & (srv.action_source == "website")),
        opt_out=_count_if(srv.counted & srv.opt_out.fill_null(False)),
        ldu=_count_if(srv.counted & srv.ldu.fill_null(False)), **key_sums).mutate(side=ibis.literal("server"))
    zero = ibis.literal(0, type="int64")
    b = brw.group_by("pixel_id", "event_name", "bucket").aggregate(**common(brw)).mutate(
        side=ibis.literal("browser"), website=zero, opt_out=zero, ldu=zero,
        **{f"{p}_{k}": zero for k in USER_DATA_KEYS for p in ("p", "v")})
    cols = ["pixel_id", "event_name", "side", "bucket", "n", "lint_n", "with_id", "matched", "repeats", "website",
            "opt_out", "ldu", *(c for k in USER_DATA_KEYS for c in (f"p_{k}", f"v_{k}"))]
    return s.select(*cols).union(b.select(*cols), distinct=False)


def baseline_invalid(t: ir.Table) -> ir.BooleanValue:
    """Meta's baseline rule: the present identifier keys lie within one of the invalid sets (none present counts)."""
    invalid = ibis.literal(False)
    for inv in _invalid_sets():
        outside = [t[f"{k}_p"] for k in USER_DATA_KEYS if k not in inv]
        any_outside = outside[0]
        for col in outside[1:]:
            any_outside |= col
        invalid |= ~any_outside
    return invalid


def rollup_emq(src: Sources, lo: datetime | None, hi: datetime | None) -> ir.Table:
    """Website server events per identifier pattern and bucket (maintain._recompute's rollup_emq)."""
    t = ranged(src.server, lo, hi)
    t = t.filter(counted_server(t), t.action_source == "website")
    mask = sum((t[f"{k}_v"].cast("int32") * (1 << i) for i, k in enumerate(USER_DATA_KEYS)), ibis.literal(0, "int32"))
    present = sum((t[f"{k}_p"].cast("int32") * (1 << i) for i, k in enumerate(USER_DATA_KEYS)), ibis.literal(0, "int32"))
    return t.mutate(bucket=bucket(t.event_time), invalid=baseline_invalid(t), mask=mask.cast("int32"),
                    present=present.cast("int32")) \
        .group_by("pixel_id", "event_name", "bucket", "invalid", "mask", "present").aggregate(n=_.count())


@dataclass
class Plan:
    """The expressions of one range's rollups (the long keys' walk already applied)."""
    pair_keys: ir.Table
    pair_repeats: ir.Table
    rollup_events: ir.Table
    rollup_emq: ir.Table
    rollup_lint: ir.Table
    rollup_rule_hits: ir.Table
    long_copies: int


def _held(con: Any, t: ir.Table) -> ir.Table:
    """On Spark a cached DataFrame: the walk and four results read it. DuckDB recomputes it (fast), as ibis 12
    cannot drop its cached tables on DuckDB 2 (its DROP statement fails to parse there)."""
    return t if con.name == "duckdb" else t.cache()


def expressions(cp: ir.Table, ks: ir.Table, src: Sources, long_starts: ir.Table, settings: dict[str, Any],
                lo: datetime | None, hi: datetime | None) -> dict[str, ir.Table]:
    """The six results, given the copies, their keys and the long keys' cluster starts."""
    from analysis.engines import lint

    hours = int(settings["dedup.window_hours"])
    cl = clustered(cp, long_starts)
    pk = pair_keys(ks, cl, hours)
    found = lint.findings(src, pk, settings, lo, hi)
    return {"pair_keys": pk, "pair_repeats": pair_repeats(cl), "rollup_events": rollup_events(src, cl, pk, lo, hi),
            "rollup_emq": rollup_emq(src, lo, hi), "rollup_lint": lint.rollup_lint(found, int(settings["lint.examples"])),
            "rollup_rule_hits": lint.rollup_rule_hits(found)}


def plan(con: Any, src: Sources, settings: dict[str, Any], lo: datetime | None = None,
         hi: datetime | None = None) -> Plan:
    """Build the expressions on backend `con`; runs one small query (the long keys' copies) for the walk."""
    from analysis.engines import lint

    hours = int(settings["dedup.window_hours"])
    cp = _held(con, copies(src, lo, hi))
    ks = _held(con, keys(cp, hours))
    rows = con.to_pandas(long_copies(cp, ks))
    starts = walk(rows, hours) if len(rows) else pd.DataFrame(
        {"side": pd.Series([], dtype="object"), "event_uid": pd.Series([], dtype="object"),
         "long_start": pd.Series([], dtype="datetime64[us]")})
    cl = _held(con, clustered(cp, _small_table(con, starts)))
    pk = _held(con, pair_keys(ks, cl, hours))
    # The range's events (the browser's widened by the window, for fbc_case_modified), read once: the
    # bucket tables and some thirty lint predicates scan them.
    wide = timedelta(hours=hours)
    near = Sources(_held(con, ranged(src.server, lo, hi)),
                   _held(con, ranged(src.browser, lo - wide if lo else None, hi + wide if hi else None)))
    found = _held(con, lint.findings(near, pk, settings, lo, hi))
    return Plan(pk, pair_repeats(cl), rollup_events(near, cl, pk, lo, hi), rollup_emq(near, lo, hi),
                lint.rollup_lint(found, int(settings["lint.examples"])), lint.rollup_rule_hits(found), len(rows))


def _small_table(con: Any, starts: pd.DataFrame) -> ir.Table:
    """The walk's result on the engine. On Spark a temp view of the session: ibis registers an in-memory
    table when a query runs, but not when it caches one (cluster starts and pair_keys are cached)."""
    if con.name == "duckdb":
        return ibis.memtable(starts, schema=LONG_SCHEMA)
    session = con._session
    frame = session.createDataFrame(starts.astype({"long_start": "datetime64[us]"}),
                                    schema="side string, event_uid string, long_start timestamp_ntz")
    frame.createOrReplaceTempView("capi_audit_long_starts")
    return con.table("capi_audit_long_starts")
