"""The command line's arguments: one sub-parser per command, with its options and their help."""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from analysis.engines import command as rollup_command


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="capi-audit", description="Audit Meta Pixel + Conversions API tracking.")
    p.add_argument("--db", help="DuckDB database file (default: setting `db`, env CAPI_AUDIT_DB)")
    p.add_argument("--config", help="settings file (default: ./capi-audit.toml, env CAPI_AUDIT_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ing = sub.add_parser("ingest", help="load input files (see README: input kinds)")
    ing.add_argument("kind", choices=["server-events", "browser-events", "orders", "deployments",
                                      "meta-quality", "meta-stats", "meta-insights"])
    ing.add_argument("paths", nargs="+", type=Path, help="files or directories")
    ing.add_argument("--pixel-id", help="pixel for records that do not name one")
    ing.add_argument("--at", help="fetched_at for a bare Meta response (ISO 8601)")
    ing.add_argument("--aggregation", help="aggregation of a bare /stats response (default event)")
    ing.add_argument("--event-source", help="event_source of a bare /stats response (SERVER_ONLY, WEB_ONLY)")
    ing.add_argument("--map", action="append", default=[], metavar="COL=SOURCE",
                     help="orders: take canonical column COL from your column SOURCE (repeatable)")
    ing.add_argument("--strict", action="store_true", help="exit 1 when any record is rejected")

    rep = sub.add_parser("report", help="the audit report for a window (JSON, Markdown or one HTML file)")
    rep.add_argument("--since", type=_date, help="first day (YYYY-MM-DD, inclusive)")
    rep.add_argument("--until", type=_date, help="last day (YYYY-MM-DD, inclusive)")
    rep.add_argument("--tz", help="time zone of the calendar days (default: setting timezone)")
    rep.add_argument("--pixel-id", help="only this pixel")
    rep.add_argument("--format", choices=["json", "markdown", "html"], default="json",
                     help="html: one self-contained file with charts (opens without a network)")
    rep.add_argument("--output", type=Path, help="write to this file instead of stdout")
    rep.add_argument("--portfolio", action="store_true",
                     help="one row of headline numbers per pixel in the store, worst first (json or markdown)")

    chk = sub.add_parser("check", help="the monthly health check: the checklist vs the previous window; exit 1 on a fail")
    chk.add_argument("--since", type=_date, help="first day (YYYY-MM-DD, inclusive)")
    chk.add_argument("--until", type=_date, help="last day (YYYY-MM-DD, inclusive)")
    chk.add_argument("--tz", help="time zone of the calendar days (default: setting timezone)")
    chk.add_argument("--pixel-id", help="only this pixel")
    chk.add_argument("--strict", action="store_true", help="exit 1 on warn or unknown too")
    chk.add_argument("--format", choices=["text", "json"], default="text")
    hook = chk.add_mutually_exclusive_group()
    hook.add_argument("--notify", metavar="URL",
                      help="then post failing and warning items (with --strict, unknown too) to this "
                           "Slack-compatible incoming webhook "
                           "(default: setting notify_url, env CAPI_AUDIT_NOTIFY_URL, which keeps it out of `ps`); "
                           "exit 2 when it cannot be delivered")
    hook.add_argument("--no-notify", action="store_true", help="do not post, even when notify_url is set")
    chk.add_argument("--notify-always", action="store_true",
                     help="post an all-clear too when nothing fails or warns (default: post nothing then)")

    lint_p = sub.add_parser("lint", help="export every event or order a lint rule (or the reconciliation) found")
    lint_p.add_argument("--rule", help="one rule id (default: all rules)")
    lint_p.add_argument("--reconciliation", action="store_true", help="export the order-level reconciliation instead")
    lint_p.add_argument("--since", type=_date)
    lint_p.add_argument("--until", type=_date)
    lint_p.add_argument("--tz")
    lint_p.add_argument("--pixel-id")
    lint_p.add_argument("--format", choices=["csv", "json"], default="csv")
    lint_p.add_argument("--output", type=Path, help="write to this file instead of stdout")

    tr = sub.add_parser("trace", help="everything known about one order id or event id")
    tr.add_argument("id")
    tr.add_argument("--format", choices=["text", "json"], default="text")

    demo_p = sub.add_parser("demo", help="build the demo database (data/demo.duckdb) and open the dashboard on it")
    demo_p.add_argument("--no-serve", action="store_true", help="only build the data")
    demo_p.add_argument("--days", type=int, default=90)
    demo_p.add_argument("--orders-per-day", type=int, default=300)
    demo_p.add_argument("--rebuild", action="store_true", help="rebuild even if the demo database exists")
    _serve_args(demo_p)

    serve = sub.add_parser("serve", help="open the dashboard on a database")
    _serve_args(serve)

    cap = sub.add_parser("capture", help="log what is sent: a Conversions API proxy and the pixel mirror (POST /collect)")
    cap.add_argument("--listen", default="127.0.0.1:8787", metavar="HOST:PORT", help="default 127.0.0.1:8787")
    cap.add_argument("--upstream", metavar="URL",
                     help="Graph API base URL (default: env META_GRAPH_URL, else https://graph.facebook.com)")
    cap.add_argument("--log-dir", type=Path, default=Path("data/capture"), help="default data/capture")
    cap.add_argument("--upstream-timeout", type=float, default=20.0, metavar="SECONDS",
                     help="answer the sender 504 when Meta takes longer (default 20)")
    cap.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                     help="a shop origin allowed to post to /collect, e.g. https://shop.example (repeatable; default any)")

    sync_p = sub.add_parser("sync", help="fetch Meta quality snapshots and /stats, Shopify or WooCommerce orders, "
                            "and the rollups of a lake's new days (settings in capi-audit.toml, secrets in the "
                            "environment; see README)")
    sync_p.add_argument("--source", choices=["meta", "meta-insights", "shopify", "woocommerce", "rollup", "all"],
                        default="all", help="one source (default: every configured one)")
    sync_p.add_argument("--since", type=_date, help="orders updated since this day, /stats from it when within "
                        "Meta's 7 days, the lake's rollups from it (default: where the last sync stopped)")

    dep = sub.add_parser("deploy", help="record a deployment now (for a CI pipeline to call after a release)")
    dep.add_argument("name", help="what was deployed, e.g. checkout-v2")
    dep.add_argument("--at", help="when (ISO 8601, e.g. 2026-10-12T09:00:00Z; default: now, UTC)")
    dep.add_argument("--component", help="which part changed (checkout, theme, server, …)")
    dep.add_argument("--pixel-id", help="the pixel it affects (default: all pixels)")
    dep.add_argument("--description", help="a sentence about the change")

    sub.add_parser("calibrate", help="fit the EMQ model's weights to the ingested Meta quality snapshots")
    sub.add_parser("config", help="print every setting, its value and where it came from")

    lds = sub.add_parser("ingestions", help="the load history: every ingest and sync load, newest first")
    lds.add_argument("--kind", help="only loads of this kind (server-events, orders, …)")
    lds.add_argument("--limit", type=int, default=50, help="at most this many loads (default 50)")
    lds.add_argument("--format", choices=["table", "json"], default="table")

    und = sub.add_parser("undo", help="remove exactly the rows one load added (its id from `ingestions`)")
    und.add_argument("load_id", type=int, metavar="LOAD_ID")

    pur = sub.add_parser("purge", help="remove events, orders, quality snapshots and stats older than a day")
    pur.add_argument("--before", type=_date, help="first day kept (YYYY-MM-DD, UTC; default: today minus the "
                     "setting retention_days)")
    act = pur.add_mutually_exclusive_group()
    act.add_argument("--yes", action="store_true", help="remove them (without it, only the counts are shown)")
    act.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    pur.add_argument("--rewrite", action="store_true", help="with --yes: then rewrite the database file, so the "
                     "removed rows' bytes are gone from it too (DuckDB only marks their space free)")

    sub.add_parser("rebuild", help="recompute the rollups from the stored events (after a setting that defines "
                   "them changed: dedup.window_hours, lint.*)")

    exp = sub.add_parser("export", help="write the store's canonical tables elsewhere (see README: Exporting a Parquet lake)")
    exp_sub = exp.add_subparsers(dest="format", required=True, metavar="FORMAT")
    pq = exp_sub.add_parser("parquet", help="a Hive-partitioned Parquet lake (by UTC day and pixel) in DIR, hashes only")
    pq.add_argument("dir", type=Path, metavar="DIR", help="a new or empty folder (an earlier export with --overwrite)")
    pq.add_argument("--since", type=_date, help="first UTC day (YYYY-MM-DD, inclusive)")
    pq.add_argument("--until", type=_date, help="last UTC day (YYYY-MM-DD, inclusive)")
    pq.add_argument("--pixel-id", help="only this pixel's rows (its orders, deployments for it or all pixels)")
    pq.add_argument("--overwrite", action="store_true", help="replace an earlier export in DIR (once the new one is "
                    "complete)")

    rollup_command.add_parser(sub, _date)

    fgt = sub.add_parser("forget", help="erase one customer's personal data everywhere in the database")
    fgt.add_argument("--email", help="the customer's email as they gave it")
    fgt.add_argument("--phone", help="the customer's phone as they gave it")
    fgt.add_argument("--country", help="ISO country for a phone without +CC (default: setting default_country)")
    return p


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only; any other needs "
                        "CAPI_AUDIT_PASSWORD or --no-auth; see SECURITY.md)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--no-auth", action="store_true",
                   help="ask for no password even off 127.0.0.1 (only behind a proxy that authenticates)")


# Days a window may start or end on: beyond them no tracking data exists, and the window before one (which
# the checklist reads) or the day after its end would overflow Python's dates.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-10-01") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range: give a day from {FIRST_DAY} to {LAST_DAY}")
    return day
