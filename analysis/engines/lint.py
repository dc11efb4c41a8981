"""The rolled-up lint rules as ibis expressions: rollup_lint and rollup_rule_hits of a range, on any engine.

The same rules as metrics/lint.py (its predicates, fields and diagnoses), for the rules the store rolls up;
the rules that need the orders or a whole day's traffic (rollups.READ_TIME_RULES) stay evaluated when read.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
from ibis import _

from analysis.engines.definitions import Sources, baseline_invalid, bucket, counted_browser, has_id, ranged
from analysis.normalize import HASH_KEYS, HASHLIKE_RE

ROLLED_UP = ("unhashed_pii", "hashed_not_allowed", "invalid_fbc", "invalid_fbp", "fbc_case_modified", "event_time_ms",
             "stale_event_time", "future_event_time", "missing_event_source_url", "missing_client_user_agent",
             "baseline_invalid", "server_user_agent", "timestamp_event_id", "reused_event_id", "missing_event_id",
             "purchase_missing_value", "invalid_currency", "test_event_code", "rejected_request")
FINDING = ("rule", "severity", "side", "pixel_id", "event_name", "field", "diagnosis", "event_uid", "event_id",
           "order_id", "event_time")


def _full(col: ir.StringValue, pattern: str) -> ir.BooleanValue:
    """DuckDB's regexp_full_match, as an anchored search every engine has."""
    return col.re_search(f"^(?:{pattern})$")


def _finding(t: ir.Table, cond: ir.BooleanValue, rule: str, severity: str, side: str, field: str,
             diagnosis: ir.Value | None = None) -> ir.Table:
    return t.filter(cond.fill_null(False)).select(
        rule=ibis.literal(rule), severity=ibis.literal(severity), side=ibis.literal(side), pixel_id=t.pixel_id,
        event_name=t.event_name, field=ibis.literal(field, type="string"),
        diagnosis=(diagnosis if diagnosis is not None else ibis.null("string")).cast("string"),
        event_uid=t.event_uid, event_id=t.event_id, order_id=t.order_id, event_time=t.event_time)


def _ua(t: ir.Table, patterns: list[str]) -> ir.BooleanValue:
    literal = [re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", p.lower()) for p in patterns if p]
    if not literal:
        return ibis.literal(False)
    return t.client_user_agent.notnull() & t.client_user_agent.lower().re_search("|".join(literal))


def _timestamp_id(t: ir.Table) -> ir.BooleanValue:
    # 10 digits = seconds, 13 = milliseconds; only an id within a day of the event's own time is a timestamp.
    scale = ibis.ifelse(t.event_id.length() == 13, 1000.0, 1.0)
    seconds = t.event_id.try_cast("float64") / scale
    # The event's epoch seconds with their fraction, as DuckDB's epoch() gives them (microseconds / 1e6):
    # epoch_seconds() is whole seconds on Spark, and Spark extracts no microseconds, but counts them between two times.
    epoch = t.event_time.delta(ibis.timestamp("1970-01-01 00:00:00"), unit="microsecond").cast("float64") / 1e6
    return _full(t.event_id, "[0-9]{10}|[0-9]{13}") & ((seconds - epoch).abs() <= 86400)


def _reused(t: ir.Table, pk: ir.Table, side: str) -> ir.Table:
    r = pk.filter(pk[f"reused_{side}"]).select(r_pixel=_.pixel_id, r_name=_.event_name, r_id=_.event_id)
    return t.semi_join(r, [t.pixel_id == r.r_pixel, t.event_name == r.r_name, t.event_id == r.r_id])


def _fbc_case(s: ir.Table, around: ir.Table, hours: int, min_len: int) -> list[ir.Table]:
    """fbc_case_modified: the browser copy's fbc differs only in case, or (heuristic) no browser fbc to compare
    and the fbclid is long and all lowercase. Browser copies are those within the pairing window."""
    b = around.select(b_pixel=_.pixel_id, b_name=_.event_name, b_id=_.event_id, b_fbc=_.fbc, b_time=_.event_time)
    window = ibis.interval(hours=hours)
    same = [s.pixel_id == b.b_pixel, s.event_name == b.b_name, s.event_id == b.b_id,
            b.b_time <= s.event_time + window, s.event_time <= b.b_time + window]
    case_only = s.filter(s.fbc.notnull()).semi_join(
        b, [*same, b.b_fbc != s.fbc, b.b_fbc.lower() == s.fbc.lower()])
    no_copy = s.filter(s.fbc_v.fill_null(False)).anti_join(b, [*same, b.b_fbc.notnull()])
    clid = no_copy.fbc.re_extract(r"^[^.]*\.[^.]*\.[^.]*\.([^.]*)", 1)
    heuristic = no_copy.filter((clid.length() >= min_len) & (clid == clid.lower()) & clid.re_search("[a-z]"))
    return [_finding(case_only, ibis.literal(True), "fbc_case_modified", "warning", "server", "fbc"),
            _finding(heuristic, ibis.literal(True), "fbc_case_modified", "warning", "server", "fbc",
                     ibis.literal("heuristic"))]


def findings(src: Sources, pk: ir.Table, settings: dict[str, Any], lo: datetime | None,
             hi: datetime | None) -> ir.Table:
    """One row per (rule, event, field, diagnosis) of the range's events: the rolled-up rules' hits."""
    from analysis.metrics.lint import ISO_4217

    hours = int(settings["dedup.window_hours"])
    s = ranged(src.server, lo, hi)
    b = ranged(src.browser, lo, hi)
    b = b.filter(counted_browser(b))
    wide = timedelta(hours=hours)
    around = ranged(src.browser, lo - wide if lo else None, hi + wide if hi else None)
    around = around.filter(counted_browser(around))
    website = s.action_source == "website"
    parts = [_finding(s, s[f"{k}_plain"], "unhashed_pii", "error", "server", k) for k in HASH_KEYS]
    parts += [_finding(s, _full(s[k], HASHLIKE_RE), "hashed_not_allowed", "error", "server", k)
              for k in ("fbc", "fbp", "client_ip_address", "client_user_agent")]
    parts += [
        _finding(s, s.fbc_p & ~s.fbc_v, "invalid_fbc", "error", "server", "fbc"),
        _finding(s, s.fbp_p & ~s.fbp_v, "invalid_fbp", "error", "server", "fbp"),
        *_fbc_case(s, around, hours, int(settings["lint.fbclid_lowercase_min_length"])),
        _finding(s, s.event_time_unit.isin(["ms", "us"]), "event_time_ms", "warning", "server", "event_time",
                 s.event_time_unit),
        _finding(s, s.sent_at > s.event_time + ibis.interval(days=7), "stale_event_time", "error", "server",
                 "event_time"),
        _finding(s, s.event_time > s.sent_at + ibis.interval(minutes=10), "future_event_time", "warning", "server",
                 "event_time"),
        _finding(s, website & ~has_id(s.event_source_url), "missing_event_source_url", "error", "server",
                 "event_source_url"),
        _finding(s, website & ~s.client_user_agent_p, "missing_client_user_agent", "error", "server",
                 "client_user_agent"),
        _finding(s, baseline_invalid(s), "baseline_invalid", "error", "server", "user_data"),
        _finding(s, _ua(s, list(settings["lint.server_user_agents"])), "server_user_agent", "warning", "server",
                 "client_user_agent"),
        _finding(s, _timestamp_id(s), "timestamp_event_id", "warning", "server", "event_id"),
        _finding(b, _timestamp_id(b), "timestamp_event_id", "warning", "browser", "event_id"),
        _finding(_reused(s, pk, "server"), ibis.literal(True), "reused_event_id", "error", "server", "event_id"),
        _finding(_reused(b, pk, "browser"), ibis.literal(True), "reused_event_id", "error", "browser", "event_id"),
        # (A row whose pixel is null is in no (pixel, event name) pair, as in the store's rule.)
        _finding(s, ~has_id(s.event_id) & s.pixel_id.notnull(), "missing_event_id", "warning", "server", "event_id"),
        _finding(b, ~has_id(b.event_id) & b.pixel_id.notnull(), "missing_event_id", "warning", "browser", "event_id"),
        _finding(s, (s.event_name == "Purchase") & s.value.isnull(), "purchase_missing_value", "error", "server",
                 "value"),
        _finding(s, (s.event_name == "Purchase") & (s.currency.isnull() | ~s.currency.isin(sorted(ISO_4217))),
                 "invalid_currency", "error", "server", "currency",
                 ibis.ifelse(s.currency.isnull(), ibis.literal("missing"), ibis.null("string"))),
        _finding(s, s.test_event_code.notnull(), "test_event_code", "warning", "server", "test_event_code"),
        _finding(s, s.rejected, "rejected_request", "error", "server", "request", s.error_code.cast("string")),
    ]
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p, distinct=False)
    return out


def rollup_lint(found: ir.Table, examples: int) -> ir.Table:
    """Per pixel × name × side × bucket × rule × field × diagnosis: distinct events hit, smallest example ids."""
    ex = ibis.cases((found.event_id.notnull(), "event_id=" + found.event_id),
                    (found.order_id.notnull(), "order_id=" + found.order_id), else_=ibis.null("string"))
    t = found.mutate(bucket=bucket(found.event_time), ex=ex)
    listed = t.ex.collect(distinct=True).sort()[:max(int(examples), 1)]
    return t.group_by("pixel_id", "event_name", "side", "bucket", "rule", "severity", "field", "diagnosis").aggregate(
        hits=t.event_uid.nunique(), examples=ibis.ifelse(t.ex.count() == 0, ibis.null("array<string>"), listed))


def rollup_rule_hits(found: ir.Table) -> ir.Table:
    """Distinct events each rule hit per pixel × name × side × bucket."""
    t = found.mutate(bucket=bucket(found.event_time))
    return t.group_by("pixel_id", "event_name", "side", "bucket", "rule").aggregate(hits=t.event_uid.nunique())
