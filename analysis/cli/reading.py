"""Commands that read the audit: report, check, lint, trace, config."""
from __future__ import annotations

import argparse
import sys
from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from analysis import config as config_mod
from analysis import store
from analysis.cli.common import db_path, emit, err, output_problem
from analysis.metrics.scope import ScopeError

# The identifiers `capi-audit trace` shows as present / well-formed, never their values.
USER_KEYS = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id", "client_ip_address",
             "client_user_agent", "fbc", "fbp")


def cmd_config(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    table = Table(title="capi-audit settings", title_justify="left")
    table.add_column("setting")
    table.add_column("value")
    table.add_column("from")
    for name, value, source in config_mod.describe(cfg):
        table.add_row(escape(name), escape(value), escape(source))      # text from the settings file
    Console().print(table)
    return 0


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

    if problem := output_problem(args.output):
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
    return emit(text, args.output, f"Report for {data['window']['since']} … {data['window']['until']}")


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
    return emit(text, args.output, f"Portfolio for {data['window']['since']} … {data['window']['until']}")


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

    if problem := output_problem(args.output):
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
    return emit(text, args.output, f"{len(rows)} rows ({sc.since} … {sc.until})")


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
