"""The command line: capi-audit [--db PATH] [--config FILE] COMMAND …"""
from __future__ import annotations

import argparse
import contextlib
import re
import sys
import time
from datetime import date
from collections import Counter
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from analysis import config as config_mod
from analysis import interrupts, rollups, store
from analysis.engines import command as rollup_command
from analysis.metrics.scope import ScopeError

err = Console(stderr=True, highlight=False, soft_wrap=True)
USER_KEYS = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id", "client_ip_address",
             "client_user_agent", "fbc", "fbp")


def _parser() -> argparse.ArgumentParser:
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

    sync_p = sub.add_parser("sync", help="fetch Meta quality snapshots and /stats, Shopify or WooCommerce orders "
                            "(settings in capi-audit.toml, secrets in the environment; see README)")
    sync_p.add_argument("--source", choices=["meta", "meta-insights", "shopify", "woocommerce", "all"], default="all",
                        help="one source (default: every configured one)")
    sync_p.add_argument("--since", type=_date, help="orders updated since this day, and /stats from it when within "
                        "Meta's 7 days (default: where the last sync stopped)")

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


def _emit(text: str, output: Path | None, what: str) -> int:
    """A result to --output (saying so on stderr) or alone on stdout, where scripts read it."""
    if output:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            err.print(f"[red]error[/red] {escape(_unwritable(output, exc))}")
            return 2
        err.print(escape(f"{what} written to {output}."))
    else:
        sys.stdout.write(text)
    return 0


def _output_problem(output: Path | None) -> str | None:
    """Why --output cannot be written, when that is known before the work is done."""
    if output is None:
        return None
    if output.is_dir():
        return f"--output {output} is a folder; give a file name, e.g. {output / 'report.json'}."
    if not output.parent.is_dir():
        return f"--output {output}: the folder {output.parent} does not exist; create it first or choose another."
    return None


def _unwritable(output: Path, exc: OSError) -> str:
    return _output_problem(output) or f"Cannot write --output {output} ({exc.strerror or exc}); choose a file you may write."


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                    TimeElapsedColumn(), console=err, transient=True)


def cmd_ingest(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from analysis.ingest import Options, expand, ingest_files

    column_map = dict(cfg.get("orders.map") or {})
    for item in args.map:
        if "=" not in item:
            err.print(escape(f"--map {item!r} must look like COL=SOURCE, e.g. --map order_id=OrderNumber"))
            return 2
        col, source = item.split("=", 1)
        column_map[col.strip()] = source.strip()
    opts = Options(pixel_id=args.pixel_id, at=args.at, aggregation=args.aggregation,
                   event_source=args.event_source, column_map=column_map,
                   default_country=cfg.get("default_country") or None, pixels=cfg.get("pixels") or {},
                   purchase_actions=tuple(cfg["meta.purchase_action_types"]),
                   rollup_settings=rollups.settings_of(cfg))
    files = expand(args.paths, args.kind)
    if not files:
        err.print(escape(f"No {args.kind} files found in {', '.join(map(str, args.paths))}."))
        return 1
    with _progress() as progress:
        # One bar for the command: files parsed so far, plus DuckDB's progress within a large one.
        # A single quick file shows none.
        task = progress.add_task(f"{args.kind}, {len(files)} file{'s' if len(files) > 1 else ''}",
                                 total=len(files), visible=len(files) > 1)
        done = 0

        def report(pct: float) -> None:
            progress.update(task, completed=done + pct / 100, visible=True)

        def on_file(_res: object) -> None:
            nonlocal done
            done += 1
            progress.update(task, completed=done)

        # All files are parsed first, then committed together in one short transaction.
        results = ingest_files(db_path(args, cfg), args.kind, files, opts,
                               lock_timeout=float(cfg["lock_timeout"]), report=report, on_file=on_file)
    table = Table(title=f"ingest {args.kind}", title_justify="left")
    for col in ("file", "read", "loaded", "already there", "rejected", "seconds"):
        table.add_column(col, justify="left" if col == "file" else "right")
    reasons: Counter[str] = Counter()
    for r in results:
        if r.error:
            table.add_row(escape(str(r.path)), "-", "-", "-", "-", f"{r.seconds:.2f}")
            continue
        table.add_row(escape(str(r.path)), str(r.rows_read), str(r.loaded), str(r.duplicates), str(r.rejected),
                      f"{r.seconds:.2f}")
        reasons.update(_reason_kind(x.reason) for x in r.rejects)
    err.print(table)
    _apply_retention(args, cfg)
    for r in results:
        if r.error:
            err.print(f"[red]error[/red] {escape(r.error)}")
    if reasons:
        err.print(escape("Top reject reasons: " + "; ".join(f"{n}× {why}" for why, n in reasons.most_common(5))))
        err.print("Every reject (file, line, reason) is in the `rejects` table and on the dashboard's Data sources page.")
    good = sum(r.rows_read - r.rejected for r in results if not r.error)
    if args.strict and (any(r.rejects for r in results) or any(r.error for r in results)):
        return 1
    if good == 0 and not any(r.duplicates for r in results):
        return 1
    return 0


_POSITION = re.compile(r"^(?:(?:line|row|entry|event|item|data item|record)\s+\d+[,:]\s*)+")


def _reason_kind(reason: str) -> str:
    """"line 7: event 3: missing event_name" -> "missing event_name" (aggregate across positions)."""
    return _POSITION.sub("", reason)


def cmd_config(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    table = Table(title="capi-audit settings", title_justify="left")
    table.add_column("setting")
    table.add_column("value")
    table.add_column("from")
    for name, value, source in config_mod.describe(cfg):
        table.add_row(escape(name), escape(value), escape(source))      # text from the settings file
    Console().print(table)
    return 0


def db_path(args: argparse.Namespace, cfg: config_mod.Config) -> str:
    return args.db or cfg["db"]


def _full_report(args: argparse.Namespace, cfg: config_mod.Config, daily: bool = False) -> dict | None:
    """The report with its checklist (None after printing why the window is unusable)."""
    from analysis import report
    from analysis.metrics.scope import ScopeError

    try:
        with store.reader(db_path(args, cfg), wait=float(cfg["lock_timeout"])) as con:
            data = report.full(con, cfg, report.Options(args.since, args.until, args.tz, args.pixel_id), daily=daily)
    except ScopeError as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}")
        return None
    state = data.get("rollups") or {}
    if state.get("state") == "stale":
        err.print(escape(f"Note: {', '.join(state['stale_settings'])} changed since the stored rollups were built; "
                         "this report computed its window's own (slower). Run `capi-audit rebuild` once."))
    return data


def cmd_report(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from analysis import render, report

    if problem := _output_problem(args.output):
        err.print(f"[red]error[/red] {escape(problem)}")
        return 2
    if args.portfolio:
        return _portfolio(args, cfg)
    data = _full_report(args, cfg, daily=args.format == "html")
    if data is None:
        return 2
    if args.format == "html":
        text = render.html(data, data.pop("daily", None))
    elif args.format == "markdown":
        text = render.markdown(data)
    else:
        text = report.to_json(data)
    return _emit(text, args.output, f"Report for {data['window']['since']} … {data['window']['until']}")


def _portfolio(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    """`report --portfolio`: every pixel's headline numbers from its own report over one window."""
    from analysis import portfolio, report
    from analysis.metrics.scope import ScopeError

    if args.pixel_id or args.format == "html":
        err.print("[red]error[/red] --portfolio covers every pixel as JSON or Markdown; drop --pixel-id and "
                  "use --format json or --format markdown.")
        return 2
    try:
        with store.reader(db_path(args, cfg), wait=float(cfg["lock_timeout"])) as con:
            data = portfolio.build(con, cfg, report.Options(args.since, args.until, args.tz))
    except ScopeError as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}")
        return 2
    text = portfolio.markdown(data) if args.format == "markdown" else report.to_json(data)
    return _emit(text, args.output, f"Portfolio for {data['window']['since']} … {data['window']['until']}")


STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "unknown": "dim"}


def cmd_check(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from rich.markup import escape

    from analysis import alerts, report

    # The webhook URL is a credential: only alerts.redact_url(url) (scheme://host/…) is ever printed.
    url = None if args.no_notify else (args.notify or cfg.get("notify_url") or None)
    if url:
        try:
            alerts.validate(url)          # a wrong URL fails before the report is computed
        except alerts.NotifyError as exc:
            err.print(f"[red]error[/red] {escape(str(exc))}")
            return 2
    data = _full_report(args, cfg)
    if data is None:
        return 2
    items = data["checklist"]
    failing = {"fail", "warn", "unknown"} if args.strict else {"fail"}
    code = 1 if any(i["status"] in failing for i in items) else 0
    w, p = data["window"], data["previous_window"]
    if args.format == "json":
        out = {"window": w, "previous_window": p, "pixel_id": data.get("pixel_id"), "strict": args.strict,
               "exit_code": code, "checklist": items}
        sys.stdout.write(report.to_json(out))
    else:
        table = Table(title=f"capi-audit check {w['since']} … {w['until']} ({w['timezone']}) "
                            f"vs {p['since']} … {p['until']}", title_justify="left")
        table.add_column("item")
        table.add_column("status")
        table.add_column("evidence")
        for i in items:
            style = STATUS_STYLE.get(i["status"], "")
            # Evidence quotes event and deployment names: escaped so that no name reads as rich markup.
            table.add_row(i["id"], f"[{style}]{i['status']}[/{style}]", escape(i["evidence"]))
        Console().print(table)
    counts = Counter(i["status"] for i in items)
    err.print(", ".join(f"{counts[s]} {s}" for s in ("pass", "warn", "fail", "unknown") if counts[s])
              + f"; exit {code}" + (" (--strict: warn and unknown count too)" if args.strict else ""))
    if url:
        # After printing: the check's result stands even when the alert cannot be delivered (then exit 2).
        try:
            said = alerts.notify(url, data, always=args.notify_always, include_unknown=args.strict,
                                 **alerts.options(cfg))
        except alerts.NotifyError as exc:
            err.print(f"[red]error[/red] The alert was not delivered to {escape(alerts.redact_url(url))}: "
                      f"{escape(str(exc))} Exit 2.")
            return 2
        err.print(escape(said))
    return code


def cmd_lint(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from analysis import export, report
    from analysis.metrics import lint, reconciliation
    from analysis.metrics.scope import ScopeError

    if problem := _output_problem(args.output):
        err.print(f"[red]error[/red] {escape(problem)}")
        return 2
    known = sorted({r.id for r in lint.rules(cfg)})
    if args.rule and args.rule not in known:
        err.print(escape(f"Unknown rule {args.rule!r}; the rules are: {', '.join(known)}."))
        return 2
    try:
        with store.reader(db_path(args, cfg), wait=float(cfg["lock_timeout"])) as con:
            sc = report.prepare_window(con, cfg, report.Options(args.since, args.until, args.tz, args.pixel_id),
                                       full_lint=not args.reconciliation)
            if args.reconciliation:
                rows = reconciliation.rows(con, sc, float(cfg["lint.value_tolerance"]))
            else:
                rows = lint.findings(con, args.rule)
    except ScopeError as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}")
        return 2
    if args.format == "json":
        text = report.to_json(rows, indent=1)
    else:
        fields = list(rows[0]) if rows else (["issue", "order_id"] if args.reconciliation else
                                             ["rule", "side", "severity", "pixel_id", "event_name", "field",
                                              "diagnosis", "event_id", "order_id", "event_time"])
        # Ids and names come from the tracked site and the shop: export.csv_text keeps them from acting as formulas.
        text = export.csv_text(rows, fields)
    return _emit(text, args.output, f"{len(rows)} rows ({sc.since} … {sc.until})")


def cmd_trace(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from analysis import report, trace

    with store.reader(db_path(args, cfg), wait=float(cfg["lock_timeout"])) as con:
        found = trace.trace(con, cfg, args.id)
    if args.format == "json":
        sys.stdout.write(report.to_json(found, indent=1))
        return 0 if found["found"] else 1
    out = Console()
    if not found["found"]:
        err.print(escape(f"Nothing is known about {args.id!r}: no order, server event or browser event carries it."))
        return 1
    for o in found["orders"]:
        # Ids, names and statuses are the shop's and the site's text: printed literally, never as markup.
        out.print(f"[bold]Order {escape(str(o['order_id']))}[/bold] " + escape(
            f"of {o['owner'] or 'every pixel'} · created {o['created_at']} · {o['status']} · {o['channel']}"
            f" · {o['total']} {o['currency'] or ''} · hashed: {', '.join(o['hashed_keys'] or []) or 'none'}"))
    for side in ("server", "browser"):
        rows = found[side]
        table = Table(title=f"{side} copies ({len(rows)})", title_justify="left")
        for col in ("event_name", "event_id", "event_time", "pixel_id", "details"):
            table.add_column(col)
        for e in rows:
            if side == "server":
                valid = [k for k in USER_KEYS if e[f"{k}_valid"]]
                bad = [k for k in USER_KEYS if e[f"{k}_present"] and not e[f"{k}_valid"]]
                details = (("REJECTED (code %s) · " % e["error_code"]) if e["rejected"] else "") + \
                    f"valid: {', '.join(valid) or '-'}" + (f" · malformed: {', '.join(bad)}" if bad else "")
            else:
                details = f"{e['source']} · fbp {'yes' if e['fbp_present'] else 'no'} · fbc {'yes' if e['fbc_present'] else 'no'}"
            table.add_row(*(escape(str(c)) for c in (e["event_name"], e["event_id"], e["event_time"], e["pixel_id"],
                                                      details)))
        out.print(table)
    for p in found["paired"]:
        state = "paired" if p["paired"] else "NOT paired"
        out.print(escape(f"{p['event_name']} {p['event_id']}: {state}"
                         + (" (name differs only in case)" if p["name_mismatch"] else "")))
    for r in found["lint"]:
        out.print(escape(f"lint {r['severity']}: {r['rule']} ({r['side']}, {r['field'] or '-'}"
                         + (f", {r['diagnosis']}" if r["diagnosis"] else "") + ")"))
    return 0


def cmd_deploy(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    """One deployment through the real ingest path: a one-row deployments CSV in a temp directory."""
    import csv
    import tempfile
    from datetime import datetime, timezone

    from analysis.ingest import Options, ingest_file

    at = args.at or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with tempfile.TemporaryDirectory(prefix="capi-audit-deploy-") as tmp:
        path = Path(tmp) / "deployment.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["deployed_at", "name", "description", "component", "pixel_id"])
            writer.writerow([at, args.name, args.description or "", args.component or "", args.pixel_id or ""])
        res = ingest_file(db_path(args, cfg), "deployments", path, Options(), lock_timeout=float(cfg["lock_timeout"]))
    if res.error:
        err.print(f"[red]error[/red] {escape(res.error)}")
        return 2
    if res.rejects:
        err.print(f"[red]error[/red] The deployment was not recorded: {escape(_reason_kind(res.rejects[0].reason))}. "
                  "Give --at as ISO 8601 (e.g. 2026-10-12T09:00:00Z) and a non-empty NAME.")
        return 2
    scope = f"pixel {args.pixel_id}" if args.pixel_id else "all pixels"
    if res.duplicates:
        err.print(escape(f"Deployment {args.name!r} at {at} was already recorded."))
    else:
        err.print(escape(f"Recorded deployment {args.name!r} at {at} ({scope})."))
    return 0


def cmd_calibrate(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from analysis.metrics import emq

    with store.writer(db_path(args, cfg), wait=float(cfg["lock_timeout"])) as con:
        cals = emq.calibrate(con)
    if not cals:
        err.print(f"No pixel has {emq.MIN_SNAPSHOTS} or more Meta quality snapshots with server events in the 7 days "
                  "before them; ingest meta-quality files (one per day) first.")
        return 1
    table = Table(title="EMQ calibration", title_justify="left")
    for col in ("pixel", "snapshots", "RMSE before", "RMSE after"):
        table.add_column(col)
    for c in cals:
        table.add_row(escape(c.pixel_id), str(c.snapshots), f"{c.rmse_before:.3f}", f"{c.rmse_after:.3f}")
    Console().print(table)
    return 0


def cmd_sync(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from rich.markup import escape

    from analysis.connectors import sync

    progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,.0f} fetched"),
                        TimeElapsedColumn(), console=err, transient=True)
    tasks: dict[str, int] = {}

    def report(source: str, doing: str, fetched: int) -> None:
        if source not in tasks:
            tasks[source] = progress.add_task(source, total=None)
        progress.update(tasks[source], description=f"{source}: {doing}", completed=fetched)

    try:
        with progress:
            outcomes = sync.run(db_path(args, cfg), cfg, args.source, args.since, report=report,
                                lock_timeout=float(cfg["lock_timeout"]))
    except sync.SyncError as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}")      # messages name [meta] etc.: not markup
        return 2
    table = Table(title="sync", title_justify="left")
    for col in ("source", "status", "fetched", "loaded", "already there", "rejected", "seconds"):
        table.add_column(col, justify="left" if col in ("source", "status") else "right",
                         no_wrap=col in ("source", "status"))
    for o in outcomes:
        skipped = o.status == "skipped"
        table.add_row(o.source, o.status, *(["-"] * 5 if skipped else [
            str(o.fetched), str(o.loaded), str(o.duplicates), str(o.rejected), f"{o.seconds:.1f}"]))
    err.print(table)
    _apply_retention(args, cfg)
    # meta-insights' cursor is a day it re-reads from, not an orders timestamp.
    cursors = [f"{o.source} {o.cursor}" for o in outcomes if o.cursor and o.source != "meta-insights"]
    if cursors:
        err.print(escape("The next sync reads orders updated since: " + ", ".join(cursors) + "."))
    for o in outcomes:
        colour = {"skipped": "dim", "partial": "yellow"}.get(o.status, "red")
        for message in dict.fromkeys(o.messages):
            err.print(f"[{colour}]{o.source}[/{colour}] {escape(message)}")
    return 1 if any(o.status in ("failed", "partial") for o in outcomes) else 0


DEMO_DB = "data/demo.duckdb"


def cmd_demo(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from rich.markup import escape

    from analysis import demo_build

    db = Path(args.db or DEMO_DB)
    # The host is the user's text ("[::]"): escaped, never read as markup.
    if not args.no_serve and _serve_refusal(args):
        err.print(f"[red]error[/red] {escape(_serve_refusal(args) or '')}")       # before the build, not after it
        return 2
    if args.rebuild or not db.exists():
        with _progress() as progress:
            tasks = {"generate": progress.add_task("Generating the demo store", total=args.days),
                     "load": progress.add_task("Loading it", total=None, visible=False)}

            def step(name: str, done: int, total: int) -> None:
                progress.update(tasks[name], completed=done, total=total, visible=True)

            demo_build.build(db, days=args.days, orders_per_day=args.orders_per_day,
                             log=lambda m: progress.console.print(escape(m)), progress=step)
    else:
        err.print(escape(f"Using the existing demo database {db} (--rebuild to build it again)."))
    if args.no_serve:
        return 0
    args.db = str(db)
    return cmd_serve(args, cfg)


def _serve_password(args: argparse.Namespace) -> str | None:
    import os

    from analysis import serve_process

    return None if args.no_auth else (os.environ.get(serve_process.PASSWORD_ENV) or None)


def _serve_refusal(args: argparse.Namespace) -> str | None:
    from analysis import serve_process

    return serve_process.refusal(args.host, _serve_password(args), args.no_auth)


def cmd_serve(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    import os

    from rich.markup import escape

    from analysis import serve_process

    db = Path(db_path(args, cfg))
    if not db.exists():
        err.print(f"No database at {db}. Build the demo (capi-audit demo) or ingest files first.")
        return 2
    password = _serve_password(args)
    refusal = _serve_refusal(args)
    if refusal:
        err.print(f"[red]error[/red] {escape(refusal)}")
        return 2
    if args.no_auth:
        err.print(f"[yellow]{escape(serve_process.no_auth_warning(args.host, args.port))}[/yellow]")
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    # The password stays with the front: Streamlit and the commands it runs never see it.
    env = {k: v for k, v in os.environ.items() if k != serve_process.PASSWORD_ENV}
    env["CAPI_AUDIT_DB"] = str(db.resolve())
    if args.config:
        env["CAPI_AUDIT_CONFIG"] = str(Path(args.config).resolve())

    def ready(port: int) -> None:
        login = "password login" if password else "no password"
        err.print(escape(f"Dashboard on http://{args.host}:{port} ({login}; database {db}); Ctrl+C stops it."))

    try:
        return serve_process.run(app, env, args.host, args.port, password, int(cfg["serve.max_upload_mb"]), ready)
    except serve_process.ServeError as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}")
        return 2


def cmd_capture(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    import os

    from analysis import capture

    try:
        host, port = capture.parse_listen(args.listen)
    except capture.ListenError as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}")
        return 2
    if not args.upstream_timeout > 0:
        err.print("[red]error[/red] --upstream-timeout must be a number of seconds above 0, e.g. 20.")
        return 2
    upstream = args.upstream or os.environ.get("META_GRAPH_URL") or capture.DEFAULT_UPSTREAM
    if not upstream.startswith(("http://", "https://")):
        err.print(f"[red]error[/red] {escape(f'--upstream {upstream!r} must be a URL such as https://graph.facebook.com')}")
        return 2
    settings = capture.Settings(upstream=upstream, log_dir=args.log_dir, upstream_timeout=args.upstream_timeout,
                                allow_origins=tuple(args.allow_origin) or ("*",))

    def ready(bound: int) -> None:
        err.print(escape(f"Capturing on http://{host}:{bound} → {upstream}; logs in {args.log_dir}/server-events and "
                         f"{args.log_dir}/browser-events (one file per UTC day). Ctrl+C stops it."))

    try:
        capture.serve(settings, host, port, ready)
    except OSError as exc:
        err.print(f"[red]error[/red] {escape(f'Cannot listen on {args.listen} ({exc.strerror or exc}); ')}"
                  "pick a free port with --listen HOST:PORT.")
        return 2
    return 0


def cmd_ingestions(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from rich.text import Text

    from analysis import lifecycle, report

    with store.reader(db_path(args, cfg), wait=float(cfg["lock_timeout"])) as con:
        rows = lifecycle.loads(con, args.kind, max(args.limit, 0))
    if args.format == "json":
        sys.stdout.write(report.to_json([r.as_dict() for r in rows]))
        return 0
    table = Table(title="ingestions (newest first)", title_justify="left")
    for col in ("id", "kind", "file", "when (UTC)", "read", "loaded", "already there", "rejected", "status", "undone"):
        table.add_column(col, justify="right" if col in ("id", "read", "loaded", "already there", "rejected") else "left",
                         no_wrap=col != "file", overflow="fold" if col == "file" else "ellipsis")
    for r in rows:
        d = r.as_dict()
        # Text cells: a file name like "[x].csv" is no markup.
        table.add_row(*(Text(str(d[k])) for k in ("id", "kind", "file", "when", "read", "loaded", "duplicates",
                                                  "rejected", "status")), "yes" if r.undone else "")
    # Piped, a table is not squeezed into 80 columns: it is the command's whole output.
    Console(highlight=False, width=None if sys.stdout.isatty() else 160).print(table)
    if not rows:
        err.print("No loads yet" + (f" of kind {args.kind}" if args.kind else "") + ".", markup=False)
    return 0


def _counts(counts: dict[str, int]) -> str:
    shown = [f"{n:,} {table}" for table, n in counts.items() if n]
    return ", ".join(shown) if shown else "no rows"


def _existing(db: str) -> bool:
    """Whether the database exists (said when not): a writer would create an empty one for a mistyped --db."""
    if Path(db).is_file():
        return True
    err.print(f"No database at {db}; check --db (or the setting db).", markup=False)
    return False


def cmd_undo(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from analysis import lifecycle

    if not _existing(db_path(args, cfg)):
        return 2
    with store.writer(db_path(args, cfg), wait=float(cfg["lock_timeout"])) as con:
        try:
            removed = lifecycle.undo(con, args.load_id)
        except lifecycle.AlreadyUndone as exc:
            err.print(str(exc))
            return 0
        except lifecycle.LifecycleError as exc:
            err.print(f"[red]error[/red] {exc}")
            return 1
    err.print(f"Undid load {args.load_id}: removed {_counts(removed)}. Its file can be ingested again.")
    return 0


def cmd_rebuild(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    db = db_path(args, cfg)
    if not _existing(db):
        return 2
    with store.writer(db, wait=float(cfg["lock_timeout"])) as con:
        before = rollups.stale(con, cfg)
        t0 = time.perf_counter()
        with _progress() as progress, store.transaction(con):
            task = progress.add_task("rollups", total=None)
            rollups.rebuild(con, rollups.settings_of(cfg),
                            progress=lambda m: progress.update(task, description=escape(m)))
        events = store.scalar(con, "SELECT (SELECT count(*) FROM server_events) + (SELECT count(*) FROM browser_events)")
    changed = f" with the current {', '.join(before)}" if before else ""
    err.print(f"Rebuilt the rollups of {events:,} events{changed} in {time.perf_counter() - t0:.1f} s.")
    return 0


def _retention_days(cfg: config_mod.Config) -> int:
    value = cfg.get("retention_days") or 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise config_mod.ConfigError("retention_days must be a whole number of days to keep (0: keep everything).")
    return value


def _apply_retention(args: argparse.Namespace, cfg: config_mod.Config) -> None:
    """After ingest and sync: with retention_days set, what fell out of it is purged."""
    from analysis import lifecycle

    days, db = _retention_days(cfg), db_path(args, cfg)
    if not days or not Path(db).is_file():
        return
    before = lifecycle.retention_cutoff(days)
    with store.writer(db, wait=float(cfg["lock_timeout"])) as con:
        removed = lifecycle.purge(con, before)
    if any(removed.values()):
        err.print(f"Retention ({days} day{'s' if days != 1 else ''}): removed {_counts(removed)} from before {before}.")


def cmd_purge(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from rich.markup import escape

    from analysis import erasure, lifecycle

    before = args.before
    if before is None:
        days = _retention_days(cfg)
        if not days:
            err.print("[red]error[/red] Give --before YYYY-MM-DD, or set retention_days (days to keep) in "
                      "capi-audit.toml or CAPI_AUDIT_RETENTION_DAYS.")
            return 2
        before = lifecycle.retention_cutoff(days)
    if args.rewrite and not args.yes:
        err.print("[red]error[/red] --rewrite goes with --yes (it rewrites the file after removing the rows).")
        return 2
    db = db_path(args, cfg)
    if not _existing(db):
        return 2
    opener = store.writer if args.yes else store.reader
    with opener(db, wait=float(cfg["lock_timeout"])) as con:
        counts = lifecycle.purge(con, before, dry_run=not args.yes)
    table = Table(title=f"purge: rows from before {before} (UTC)", title_justify="left")
    table.add_column("table")
    table.add_column("removed" if args.yes else "would remove", justify="right")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    err.print(table)
    if args.rewrite:
        try:
            erasure.compact(db, wait=float(cfg["lock_timeout"]))
        except lifecycle.LifecycleError as exc:
            err.print(f"[red]error[/red] {escape(str(exc))}")
            return 1
        err.print(f"{escape(db)} was rewritten to a fresh file: the removed rows' bytes are gone from it.")
    if args.yes:
        return 0
    if not args.dry_run and any(counts.values()):
        err.print("Nothing was removed: run again with --yes to remove these rows (--dry-run only shows them).")
        return 1
    return 0


def cmd_forget(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from rich.markup import escape

    from analysis import erasure, lifecycle

    if not args.email and not args.phone:
        err.print("[red]error[/red] Give the customer's --email, --phone or both.")
        return 2
    db = db_path(args, cfg)
    if not _existing(db):
        return 2
    country = args.country or cfg.get("default_country") or None
    if args.phone and not country and not args.phone.strip().startswith(("+", "00")):
        err.print("[red]error[/red] The phone has no country code: write it with +CC, or give --country "
                  "(or the setting default_country), so it hashes as ingest hashed it.")
        return 2
    with store.writer(db, wait=float(cfg["lock_timeout"])) as con:
        try:
            changed = erasure.forget(con, args.email, args.phone, country)
        except lifecycle.LifecycleError as exc:
            err.print(f"[red]error[/red] {exc}")
            return 2
    try:
        erasure.compact(db, wait=float(cfg["lock_timeout"]))
    except lifecycle.LifecycleError as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}")
        return 1
    # Counts only: the email and phone are never printed.
    err.print(f"Forgot the customer: {changed['orders']:,} orders lost their customer id and "
              f"{changed['order_hashes']:,} hashes; {changed['server_events']:,} server events and "
              f"{changed['browser_events']:,} browser events lost their personal fields. {escape(db)} was rewritten to a "
              "fresh file, so the erased bytes are gone from it; input files, capture logs and backups still hold "
              "them.")
    return 0


def cmd_export(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from importlib import metadata

    from analysis import export_lake

    db = db_path(args, cfg)
    if not _existing(db):
        return 2
    if args.since and args.until and args.since > args.until:
        err.print(f"[red]error[/red] --since {args.since} is after --until {args.until}.")
        return 2
    window = export_lake.Window(args.since, args.until, args.pixel_id,
                                export_lake.shops_of(cfg.get("pixels") or {}, args.pixel_id))
    try:
        version = metadata.version("capi-audit")
    except metadata.PackageNotFoundError:
        version = ""

    def said(w: export_lake.Written) -> None:
        parts = f" by {', '.join(w.partition_by)}" if w.partition_by else ""
        err.print(escape(f"{w.table}: {w.rows:,} row{'s' if w.rows != 1 else ''} in {w.files:,} file{'s' if w.files != 1 else ''}{parts}"))

    t0 = time.perf_counter()
    try:
        export_lake.export(db, args.dir, window, overwrite=args.overwrite, wait=float(cfg["lock_timeout"]),
                           version=version, on_table=said)
    except export_lake.ExportError as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}")
        return 2
    err.print(escape(f"Exported to {args.dir} in {time.perf_counter() - t0:.1f} s ({export_lake.MANIFEST} "
                     "lists every table)."))
    return 0


COMMANDS = {
    "ingest": cmd_ingest, "report": cmd_report, "check": cmd_check, "lint": cmd_lint, "trace": cmd_trace,
    "deploy": cmd_deploy, "calibrate": cmd_calibrate, "sync": cmd_sync, "capture": cmd_capture,
    "demo": cmd_demo, "serve": cmd_serve, "config": cmd_config,
    "ingestions": cmd_ingestions, "undo": cmd_undo, "purge": cmd_purge, "forget": cmd_forget,
    "rebuild": cmd_rebuild, "export": cmd_export, "rollup": rollup_command.run,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        cfg = config_mod.load(args.config)
        for warning in cfg.warnings:
            err.print(f"[yellow]warning[/yellow] {escape(warning)}")
        if args.db:
            cfg.override("db", args.db, "--db")
        # Loads stop cleanly on Ctrl+C or SIGTERM, even inside a long DuckDB statement.
        with interrupts.handling() if args.command in ("ingest", "sync") else contextlib.nullcontext():
            return COMMANDS[args.command](args, cfg)
    except (config_mod.ConfigError, store.StoreError, ScopeError) as exc:
        err.print(f"[red]error[/red] {escape(str(exc))}")
        return 2
    except OSError as exc:
        # A file or folder the system refused (missing, a folder, no permission, disk full): say which.
        what = f"{exc.filename} ({exc.strerror or exc})" if exc.filename else f"a file ({exc.strerror or exc})"
        err.print(f"[red]error[/red] {escape(f'Cannot use {what}; check the path and try again.')}")
        return 2
    except KeyboardInterrupt as exc:
        # Each file (each source of a sync) commits whole or not at all: what was loaded before stays.
        sig = exc if isinstance(exc, interrupts.Interrupted) else interrupts.Interrupted(2)
        err.print(f"Interrupted ({sig.name}); each file is stored whole or not at all: run the same command "
                  "again to load the rest.")
        return sig.exit_code


if __name__ == "__main__":
    sys.exit(main())
