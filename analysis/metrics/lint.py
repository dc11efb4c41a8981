"""Payload lint: one small definition per rule (id, severity, side, SQL), evaluated over the lint population."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb

from analysis import config as config_mod
from analysis import store
from analysis.ingest.base import nonblank_sql, sql_str
from analysis.metrics import emq
from analysis.metrics.discrepancy import keyed_sql
from analysis.metrics.hash_match import ORDER_KEYS
from analysis.normalize import HASH_KEYS, HASHLIKE_RE

ISO_4217 = frozenset("""AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF
GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD
TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL""".split())

# Every finding row: which event, and which field/diagnosis; examples name ids only.
_COLS = ("pixel_id, event_name, {field} AS field, {diagnosis} AS diagnosis, event_uid, event_id, order_id, "
         "event_time, in_window")


@dataclass(frozen=True)
class Rule:
    """One lint rule: its contract id, severity, side, and the SQL that finds offending events."""

    id: str
    severity: str
    side: str
    where: str                       # condition over the side's base table
    field: str = "NULL"
    diagnosis: str = "NULL"
    source: str | None = None        # a full SELECT instead of base + where, for rules that join

    def sql(self) -> str:
        if self.source:
            return self.source
        base = "m_lint_server" if self.side == "server" else "m_lint_browser"
        cols = _COLS.format(field=self.field, diagnosis=self.diagnosis)
        return f"SELECT {cols} FROM {base} WHERE {self.where}"


def on_tables(sql: str, names: dict[str, str]) -> str:
    """A rule's SQL reading other base tables than the report's (`names`: report's name -> other name)."""
    for name, other in names.items():
        sql = re.sub(rf"\b{name}\b", other, sql)
    return sql


def rules(cfg: config_mod.Config) -> list[Rule]:
    """The contract's rule table (shared/spec/report.md), with thresholds from the settings."""
    hashlike = sql_str(HASHLIKE_RE)
    out: list[Rule] = []
    for k in HASH_KEYS:
        out.append(Rule("unhashed_pii", "error", "server", f"{k}_plain", field=f"'{k}'"))
    for k in ("fbc", "fbp", "client_ip_address", "client_user_agent"):
        out.append(Rule("hashed_not_allowed", "error", "server", f"regexp_full_match({k}, {hashlike})", field=f"'{k}'"))
    out += [
        Rule("invalid_fbc", "error", "server", "fbc_p AND NOT fbc_v", field="'fbc'"),
        Rule("invalid_fbp", "error", "server", "fbp_p AND NOT fbp_v", field="'fbp'"),
        Rule("fbc_case_modified", "warning", "server", "", source=_fbc_case_sql(int(cfg["lint.fbclid_lowercase_min_length"]),
                                                                          int(cfg["dedup.window_hours"]))),
        Rule("event_time_ms", "warning", "server", "event_time_unit IN ('ms', 'us')", field="'event_time'",
             diagnosis="event_time_unit"),
        Rule("stale_event_time", "error", "server", "sent_at - event_time > INTERVAL 7 DAY", field="'event_time'"),
        Rule("future_event_time", "warning", "server", "event_time - sent_at > INTERVAL 10 MINUTE", field="'event_time'"),
        Rule("missing_event_source_url", "error", "server",
             f"action_source = 'website' AND NOT coalesce({nonblank_sql('event_source_url')}, false)",
             field="'event_source_url'"),
        Rule("missing_client_user_agent", "error", "server",
             "action_source = 'website' AND NOT client_user_agent_p", field="'client_user_agent'"),
        Rule("baseline_invalid", "error", "server", emq.baseline_invalid_sql(), field="'user_data'"),
        Rule("server_ip_as_client_ip", "warning", "server", "", source=_server_ip_sql(
            float(cfg["lint.server_ip_share"]), int(cfg["lint.server_ip_min_fbp"]))),
        Rule("server_user_agent", "warning", "server", _ua_patterns(cfg["lint.server_user_agents"]),
             field="'client_user_agent'"),
        Rule("timestamp_event_id", "warning", "server", _timestamp_id(), field="'event_id'"),
        Rule("timestamp_event_id", "warning", "browser", _timestamp_id(), field="'event_id'"),
        Rule("reused_event_id", "error", "server", _reused("server"), field="'event_id'"),
        Rule("reused_event_id", "error", "browser", _reused("browser"), field="'event_id'"),
        Rule("missing_event_id", "warning", "server", _missing_id(), field="'event_id'"),
        Rule("missing_event_id", "warning", "browser", _missing_id(), field="'event_id'"),
        Rule("purchase_missing_value", "error", "server", "event_name = 'Purchase' AND value IS NULL", field="'value'"),
        Rule("invalid_currency", "error", "server",
             f"event_name = 'Purchase' AND (currency IS NULL OR currency NOT IN ({', '.join(map(sql_str, sorted(ISO_4217)))}))",
             field="'currency'", diagnosis="CASE WHEN currency IS NULL THEN 'missing' END"),
        Rule("test_event_code", "warning", "server", "test_event_code IS NOT NULL", field="'test_event_code'"),
        Rule("rejected_request", "error", "server", "rejected", field="'request'",
             diagnosis="CAST(error_code AS VARCHAR)"),
        Rule("purchase_for_unpaid_order", "error", "server",
             "event_name = 'Purchase' AND order_status IN ('pending', 'voided', 'cancelled')",
             field="'order_id'", diagnosis="order_status"),
        # The date range of the event's own pixel's orders: a client onboarded later is not judged by
        # another client's older orders.
        Rule("purchase_without_order", "warning", "server",
             "event_name = 'Purchase' AND matched_order IS NULL AND EXISTS (SELECT 1 FROM m_order_range r "
             "WHERE r.pixel_id IS NOT DISTINCT FROM m_lint_server.pixel_id AND m_lint_server.day BETWEEN r.lo AND r.hi)",
             field="'order_id'"),
        Rule("value_mismatch", "warning", "server",
             f"event_name = 'Purchase' AND matched_order IS NOT NULL AND value IS NOT NULL AND "
             f"abs(value - order_total) > {float(cfg['lint.value_tolerance'])!r} * abs(order_total)", field="'value'"),
        Rule("hash_mismatch", "error", "server", "", source=_hash_mismatch_sql()),
    ]
    return out


def _ua_patterns(patterns: list[str]) -> str:
    """Some pattern is a substring of the lowercased user agent: one regex pass (lower() once, not per pattern)."""
    literal = [re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", p.lower()) for p in patterns if p]
    if not literal:
        return "false"
    return f"client_user_agent IS NOT NULL AND regexp_matches(lower(client_user_agent), {sql_str('|'.join(literal))})"


def _timestamp_id() -> str:
    # 10 digits = seconds, 13 = milliseconds; only an id within a day of the event's own time is a timestamp
    # (a 13-digit Shopify order id is far from any plausible time in ms).
    return ("regexp_full_match(event_id, '[0-9]{10}|[0-9]{13}') AND abs(CAST(event_id AS DOUBLE) / "
            "CASE WHEN length(event_id) = 13 THEN 1000 ELSE 1 END - epoch(event_time)) <= 86400")


def _reused(side: str) -> str:
    return (f"EXISTS (SELECT 1 FROM dd_reused r WHERE r.side = '{side}' AND r.pixel_id = {{b}}.pixel_id "
            f"AND r.event_name = {{b}}.event_name AND r.event_id = {{b}}.event_id)").replace(
        "{b}", "m_lint_server" if side == "server" else "m_lint_browser")


def _missing_id() -> str:
    return ("coalesce(trim(event_id), '') = '' AND (pixel_id, event_name) IN (SELECT pixel_id, event_name FROM m_both)")


def _fbc_case_sql(min_len: int, hours: int) -> str:
    # The paired browser copy is found within the pairing window (dedup.window_hours), as dedup pairs it.
    cols = _COLS.format(field="'fbc'", diagnosis="NULL")
    heur = _COLS.format(field="'fbc'", diagnosis="'heuristic'")
    return f"""
        SELECT {cols} FROM m_lint_server s WHERE fbc IS NOT NULL AND EXISTS (
            SELECT 1 FROM m_lint_browser b WHERE b.pixel_id = s.pixel_id AND b.event_name = s.event_name
              AND b.event_id = s.event_id AND b.fbc <> s.fbc AND lower(b.fbc) = lower(s.fbc)
              AND abs(epoch(b.event_time) - epoch(s.event_time)) <= {hours} * 3600)
        UNION ALL
        SELECT {heur} FROM m_lint_server s WHERE fbc_v AND NOT EXISTS (
            SELECT 1 FROM m_lint_browser b WHERE b.pixel_id = s.pixel_id AND b.event_name = s.event_name
              AND b.event_id = s.event_id AND b.fbc IS NOT NULL
              AND abs(epoch(b.event_time) - epoch(s.event_time)) <= {hours} * 3600)
          AND length(split_part(fbc, '.', 4)) >= {min_len}
          AND split_part(fbc, '.', 4) = lower(split_part(fbc, '.', 4))
          AND regexp_matches(split_part(fbc, '.', 4), '[a-z]')"""


def _server_ip_sql(share: float, min_fbp: int) -> str:
    cols = _COLS.format(field="'client_ip_address'", diagnosis="NULL")
    # Only an address with the share of a day's events can be a server's: one pass counts the days and the
    # addresses, and only the heavy addresses' events are read again (for their distinct browser ids).
    return f"""
        WITH per AS (
            SELECT pixel_id, day, client_ip_address, count(*) AS n, GROUPING(client_ip_address) AS whole_day
            FROM m_server_all GROUP BY GROUPING SETS ((pixel_id, day), (pixel_id, day, client_ip_address))),
        heavy AS (
            SELECT p.pixel_id, p.day, p.client_ip_address FROM per p JOIN per d USING (pixel_id, day)
            WHERE p.whole_day = 0 AND d.whole_day = 1 AND p.client_ip_address IS NOT NULL AND p.n >= {share!r} * d.n),
        rows AS (
            SELECT {cols}, day, client_ip_address, fbp FROM m_server_all
            WHERE (pixel_id, day, client_ip_address) IN (SELECT pixel_id, day, client_ip_address FROM heavy)),
        suspects AS (
            SELECT pixel_id, day, client_ip_address FROM rows GROUP BY ALL HAVING count(DISTINCT fbp) >= {min_fbp})
        SELECT {cols} FROM rows s
        WHERE (pixel_id, day, client_ip_address) IN (SELECT pixel_id, day, client_ip_address FROM suspects)"""


def _hash_mismatch_sql() -> str:
    cols = _COLS.format(field="p.key", diagnosis="coalesce(v.variant, 'unknown')")
    cols = cols.replace("pixel_id,", "p.pixel_id,", 1).replace("event_name,", "p.event_name,", 1)
    cols = cols.replace("event_uid,", "p.event_uid,").replace("event_id,", "p.event_id,").replace(
        "order_id,", "p.matched_order AS order_id,").replace("event_time,", "p.event_time,").replace(
        "in_window", "p.in_window")
    # The first mistake variant that reproduces one of the server's hashes names the cause.
    # Only the pairs that do not match look for a variant, among their own orders' variants.
    return f"""
        WITH mm AS (SELECT * FROM m_hash_pairs WHERE NOT matches)
        SELECT {cols} FROM mm p
        LEFT JOIN (SELECT owner, order_id, key, hash, min(variant) AS variant FROM order_hashes
                   WHERE variant <> 'correct'
                     AND (owner, order_id, key) IN (SELECT matched_owner, matched_order, key FROM mm) GROUP BY ALL) v
          ON v.owner = p.matched_owner AND v.order_id = p.matched_order AND v.key = p.key
         AND list_contains(p.hashes, v.hash)
        QUALIFY row_number() OVER (PARTITION BY p.event_uid, p.key ORDER BY v.variant NULLS LAST) = 1"""


# The event the lint population holds every one of (with the events that name an order).
POPULATION_EVENT = "Purchase"


def prepare_base(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, full: bool = False) -> None:
    """The lint population with each event's order among its own pixel's (needs m_server_all, m_browser,
    m_orders, m_okeys).

    The report needs only the events an order-level rule or the hash check can concern (Purchases, and
    events that name an order): the other rules are in the rollups. `full`: every event, for the
    drill-downs that list each finding of every rule (report.prepare(full_lint=True)).
    """
    keep = "" if full else f"WHERE k.event_name = '{POPULATION_EVENT}' OR ok.order_id IS NOT NULL"
    # Whole rows only for the drill-downs; the report's rules and hash check read these columns (copying
    # every column of the kept rows costs more than the rest of the statement).
    narrow = ["event_uid", "pixel_id", "event_name", "event_id", "order_id", "event_time", "day", "in_window",
              "rejected", "test_event_code", "value", *(c for k in ORDER_KEYS for c in (k, f"{k}_p"))]
    cols = "s.*" if full else ", ".join(f"s.{c}" for c in narrow)
    # The order key of every event on narrow columns first; the whole rows only of the events kept.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE m_lint_server AS
        WITH k AS ({keyed_sql('m_server_all', 'x.event_uid, x.event_name, x.pixel_id')}),
        m AS (SELECT k.event_uid, k.order_key, ok.owner AS matched_owner, ok.order_id AS matched_order FROM k
              LEFT JOIN m_okeys ok ON ok.pixel_id IS NOT DISTINCT FROM k.pixel_id AND ok.k = k.order_key {keep})
        SELECT {cols}, m.order_key, m.matched_owner, m.matched_order, o.status AS order_status, o.total AS order_total
        FROM m_server_all s JOIN m USING (event_uid)
        LEFT JOIN m_orders o ON o.pixel_id IS NOT DISTINCT FROM s.pixel_id AND o.owner = m.matched_owner
         AND o.order_id = m.matched_order""", {"re": cfg["order_key_regex"]})
    con.execute("""CREATE OR REPLACE TEMP TABLE m_order_range AS
        SELECT pixel_id, min(day) AS lo, max(day) AS hi FROM m_orders GROUP BY ALL""")
    con.execute("CREATE OR REPLACE TEMP VIEW m_lint_browser AS SELECT * FROM m_browser")
    con.execute("""CREATE OR REPLACE TEMP VIEW m_both AS
        SELECT pixel_id, event_name FROM m_server_all WHERE in_window
        INTERSECT SELECT pixel_id, event_name FROM m_lint_browser WHERE in_window""")


def prepare(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, full: bool = False) -> None:
    """m_lint: one row per (rule, event, field, diagnosis) (needs m_hash_pairs).

    The report's: the rules evaluated when read (rollups.READ_TIME_RULES); `full`: every rule, over a
    full lint population (prepare_base(full=True)).
    """
    from analysis.rollups import READ_TIME_RULES

    parts = [f"SELECT '{r.id}' AS rule, '{r.severity}' AS severity, '{r.side}' AS side, * FROM ({r.sql()})"
             for r in rules(cfg) if full or r.id in READ_TIME_RULES]
    con.execute("CREATE OR REPLACE TEMP TABLE m_lint AS SELECT DISTINCT * FROM (" + " UNION ALL ".join(parts) + ")")


def server_hits(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, rule: str, t0: Any, t1: Any,
                pixel: str | None) -> list[dict[str, Any]]:
    """Every server event `rule` hit whose hour lies wholly inside [t0, t1) (of `pixel`, or all): ids only."""
    return server_hits_by_rule(con, cfg, (rule,), t0, t1, pixel)[rule]


def server_hits_by_rule(con: duckdb.DuckDBPyConnection, cfg: config_mod.Config, wanted: tuple[str, ...], t0: Any,
                        t1: Any, pixel: str | None) -> dict[str, list[dict[str, Any]]]:
    """server_hits of several rules over one time range, by rule.

    A drill-down: rules evaluated when read come from m_lint; the others are evaluated here over just
    those hours' events (each is a predicate on the event and its pairing, so a narrow population is exact),
    copied once for all of them.
    """
    from analysis.rollups import READ_TIME_RULES

    pix = "AND pixel_id = $pixel" if pixel else ""
    hours = "date_trunc('hour', event_time) >= $t0 AND date_trunc('hour', event_time) + INTERVAL 1 HOUR <= $t1"
    bounds: dict[str, Any] = {"t0": t0, "t1": t1} | ({"pixel": pixel} if pixel else {})
    drilled = False
    out: dict[str, list[dict[str, Any]]] = {}
    for rule in dict.fromkeys(wanted):
        params = dict(bounds)
        if rule in READ_TIME_RULES:
            source = "SELECT * FROM m_lint WHERE side = 'server' AND rule = $rule"
            params["rule"] = rule
        else:
            parts = [on_tables(r.sql(), {"m_lint_server": "m_drill_server"})
                     for r in rules(cfg) if r.id == rule and r.side == "server"]
            if not parts:
                out[rule] = []
                continue
            if not drilled:
                # A view, not a copy: each rule reads only its columns of those hours (a view takes no
                # parameters: the bounds are literals, the pixel a quoted string).
                lit = {k: f"TIMESTAMP {sql_str(bounds[k].isoformat(sep=' '))}" for k in ("t0", "t1")}
                only = f"AND pixel_id = {sql_str(pixel)}" if pixel else ""
                con.execute(f"""CREATE OR REPLACE TEMP VIEW m_drill_server AS SELECT * FROM m_server_all
                                WHERE event_time >= {lit['t0']} AND event_time < {lit['t1']} {only}""")
                drilled = True
            source = " UNION ALL ".join(f"SELECT * FROM ({p})" for p in parts)
        out[rule] = store.query(con, f"""
            SELECT DISTINCT event_uid, pixel_id, event_name, event_id, order_id, event_time FROM ({source})
            WHERE {hours} {pix} ORDER BY event_time, event_id, event_uid""", params)
    return out


def summary(con: duckdb.DuckDBPyConnection, examples: int = 5) -> list[dict[str, Any]]:
    """The report's lint rows: count of events, share of the pixel × event's lint population, example ids.

    Rules over the events alone come from the rollups; the few that need the orders or a whole day's
    traffic (rollups.READ_TIME_RULES) from m_lint. missing_event_id counts only where both sides sent
    the event name inside the scope.
    """
    from analysis.rollups import READ_TIME_RULES, read

    pop: dict[tuple[str, str | None, str], int] = {}
    for r in read.events(con):
        if r["lint_n"]:
            pop[(r["side"], r["pixel_id"], r["event_name"])] = int(r["lint_n"])
    both = {(p, e) for (side, p, e) in pop if side == "server" and ("browser", p, e) in pop}
    rows = [r for r in read.lint(con, examples)
            if r["rule"] != "missing_event_id" or (r["pixel_id"], r["event_name"]) in both]
    rows += store.query(con, f"""
        SELECT l.rule, l.side, l.severity, l.pixel_id, l.event_name, l.field, l.diagnosis,
               count(DISTINCT l.event_uid) AS hits,
               list(DISTINCT CASE WHEN l.event_id IS NOT NULL THEN 'event_id=' || l.event_id
                                  WHEN l.order_id IS NOT NULL THEN 'order_id=' || l.order_id END)
                   FILTER (l.event_id IS NOT NULL OR l.order_id IS NOT NULL) AS examples
        FROM m_lint l WHERE l.in_window AND l.rule IN ({', '.join(sql_str(r) for r in sorted(READ_TIME_RULES))})
        GROUP BY ALL""")
    out = []
    for r in rows:
        population = pop.get((r["side"], r["pixel_id"], r["event_name"]))
        if not population:
            continue
        out.append({"rule": r["rule"], "side": r["side"], "severity": r["severity"], "pixel_id": r["pixel_id"],
                    "event_name": r["event_name"], "field": r["field"], "diagnosis": r["diagnosis"],
                    "count": int(r["hits"]), "share": round(int(r["hits"]) / population, 4),
                    "examples": sorted(r["examples"] or [])[:examples]})
    last = lambda v: (v is None, v or "")  # noqa: E731 — SQL's NULLS LAST
    out.sort(key=lambda r: (r["severity"], -r["count"], r["rule"], last(r["pixel_id"]), r["event_name"], r["side"],
                            last(r["field"]), last(r["diagnosis"])))
    return out


def findings(con: duckdb.DuckDBPyConnection, rule: str | None = None) -> list[dict[str, Any]]:
    """Every affected event (ids only, never personal data), for `capi-audit lint` exports."""
    where = "AND rule = ?" if rule else ""
    return store.query(con, f"""SELECT DISTINCT rule, side, severity, pixel_id, event_name, field, diagnosis,
                                       event_id, order_id, event_time
                                FROM m_lint WHERE in_window {where} ORDER BY rule, event_time, event_id""",
                       [rule] if rule else [])


def daily(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Share of server events hit by each rule, per pixel × event × day (window ± look-past)."""
    return store.query(con, """
        WITH pop AS (SELECT pixel_id, event_name, day, count(*) AS n FROM m_lint_server GROUP BY ALL),
        hits AS (SELECT l.rule, s.pixel_id, s.event_name, s.day, count(DISTINCT l.event_uid) AS k
                 FROM m_lint l JOIN m_lint_server s USING (event_uid) WHERE l.side = 'server' GROUP BY ALL)
        SELECT h.rule, h.pixel_id, h.event_name, h.day, h.k, p.n, h.k / p.n AS share
        FROM hits h JOIN pop p USING (pixel_id, event_name, day) ORDER BY ALL""")
