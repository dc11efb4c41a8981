"""Commands that load data: ingest, sync, capture, deploy, calibrate."""
from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from analysis import config as config_mod
from analysis import rollups, store
from analysis.cli.common import db_path, err, progress_bar
from analysis.cli.keeping import apply_retention


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
    with progress_bar() as progress:
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
    apply_retention(args, cfg)
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
    apply_retention(args, cfg)
    # meta-insights' and rollup's cursors are days they re-read from, not orders timestamps.
    cursors = [f"{o.source} {o.cursor}" for o in outcomes if o.cursor and o.source not in ("meta-insights", "rollup")]
    if cursors:
        err.print(escape("The next sync reads orders updated since: " + ", ".join(cursors) + "."))
    for o in outcomes:
        colour = {"skipped": "dim", "partial": "yellow"}.get(o.status, "red")
        for message in dict.fromkeys(o.messages):
            err.print(f"[{colour}]{o.source}[/{colour}] {escape(message)}")
    return 1 if any(o.status in ("failed", "partial") for o in outcomes) else 0


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
