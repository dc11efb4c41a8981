"""Commands that keep the store: ingestions, undo, rebuild, purge, forget, export."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from analysis import config as config_mod
from analysis import rollups, store
from analysis.cli.common import counts_text, db_path, err, existing_store, progress_bar


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


def cmd_undo(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    from analysis import lifecycle

    if not existing_store(db_path(args, cfg)):
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
    err.print(f"Undid load {args.load_id}: removed {counts_text(removed)}. Its file can be ingested again.")
    return 0


def cmd_rebuild(args: argparse.Namespace, cfg: config_mod.Config) -> int:
    db = db_path(args, cfg)
    if not existing_store(db):
        return 2
    with store.writer(db, wait=float(cfg["lock_timeout"])) as con:
        before = rollups.stale(con, cfg)
        t0 = time.perf_counter()
        with progress_bar() as progress, store.transaction(con):
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


def apply_retention(args: argparse.Namespace, cfg: config_mod.Config) -> None:
    """After ingest and sync: with retention_days set, what fell out of it is purged."""
    from analysis import lifecycle

    days, db = _retention_days(cfg), db_path(args, cfg)
    if not days or not Path(db).is_file():
        return
    before = lifecycle.retention_cutoff(days)
    with store.writer(db, wait=float(cfg["lock_timeout"])) as con:
        removed = lifecycle.purge(con, before)
    if any(removed.values()):
        err.print(f"Retention ({days} day{'s' if days != 1 else ''}): removed {counts_text(removed)} from before {before}.")


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
    if not existing_store(db):
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
    if not existing_store(db):
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
    if not existing_store(db):
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
