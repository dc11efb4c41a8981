"""The command line: capi-audit [--db PATH] [--config FILE] COMMAND …"""
from __future__ import annotations

import contextlib
from typing import Sequence

from rich.markup import escape

from analysis import config as config_mod
from analysis import interrupts, store
from analysis.cli.common import err
from analysis.cli.keeping import cmd_export, cmd_forget, cmd_ingestions, cmd_purge, cmd_rebuild, cmd_undo
from analysis.cli.loading import cmd_calibrate, cmd_capture, cmd_deploy, cmd_ingest, cmd_sync
from analysis.cli.parser import build_parser
from analysis.engines import command as rollup_command
from analysis.cli.reading import cmd_check, cmd_config, cmd_lint, cmd_report, cmd_trace
from analysis.cli.serving import cmd_demo, cmd_serve
from analysis.metrics.scope import ScopeError


COMMANDS = {
    "ingest": cmd_ingest, "report": cmd_report, "check": cmd_check, "lint": cmd_lint, "trace": cmd_trace,
    "deploy": cmd_deploy, "calibrate": cmd_calibrate, "sync": cmd_sync, "capture": cmd_capture,
    "demo": cmd_demo, "serve": cmd_serve, "config": cmd_config,
    "ingestions": cmd_ingestions, "undo": cmd_undo, "purge": cmd_purge, "forget": cmd_forget,
    "rebuild": cmd_rebuild, "export": cmd_export, "rollup": rollup_command.run,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = config_mod.load(args.config)
        for warning in cfg.warnings:
            err.print(f"[yellow]warning[/yellow] {escape(warning)}")
        if args.db:
            cfg.override("db", args.db, "--db")
        store.configure(cfg)
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
