"""python -m analysis.demo OUT [--days 90] [--orders-per-day 300] [--seed 7]: write the demo store's files.

Prints `day N` after each day and `file KIND PATH` as soon as each file is complete, for the demo
build (analysis/demo_build.py), which reads them in another process while the next are written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.demo.generator import generate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analysis.demo", description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--orders-per-day", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    def say(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    generate(args.out, seed=args.seed, days=args.days, orders_per_day=args.orders_per_day,
             on_day=lambda d: say(f"day {d}"), on_file=lambda kind, path: say(f"file {kind} {path}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
