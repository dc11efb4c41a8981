"""What every command shares: the stderr console, the database path, --output, progress bars."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from analysis import config as config_mod


err = Console(stderr=True, highlight=False, soft_wrap=True)


def emit(text: str, output: Path | None, what: str) -> int:
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


def output_problem(output: Path | None) -> str | None:
    """Why --output cannot be written, when that is known before the work is done."""
    if output is None:
        return None
    if output.is_dir():
        return f"--output {output} is a folder; give a file name, e.g. {output / 'report.json'}."
    if not output.parent.is_dir():
        return f"--output {output}: the folder {output.parent} does not exist; create it first or choose another."
    return None


def _unwritable(output: Path, exc: OSError) -> str:
    return output_problem(output) or f"Cannot write --output {output} ({exc.strerror or exc}); choose a file you may write."


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                    TimeElapsedColumn(), console=err, transient=True)


def db_path(args: argparse.Namespace, cfg: config_mod.Config) -> str:
    return args.db or cfg["db"]


def counts_text(counts: dict[str, int]) -> str:
    shown = [f"{n:,} {table}" for table, n in counts.items() if n]
    return ", ".join(shown) if shown else "no rows"


def existing_store(db: str) -> bool:
    """Whether the database exists (said when not): a writer would create an empty one for a mistyped --db."""
    if Path(db).is_file():
        return True
    err.print(f"No database at {db}; check --db (or the setting db).", markup=False)
    return False
