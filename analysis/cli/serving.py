"""Commands that open the dashboard: serve, demo."""
from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from analysis import config as config_mod
from analysis.cli.common import db_path, err, progress_bar


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
        with progress_bar() as progress:
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
    app = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"     # two folders up from analysis/cli/
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
