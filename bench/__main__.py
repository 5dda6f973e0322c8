"""Run one benchmark by name, or list them (DESIGN §9).

A benchmark is a module `bench/<name with underscores>.py` (or a package of that name) with a
docstring and a function `run(quick: bool, argv: list[str]) -> dict`; it prints its readable
table to stderr and returns its figures, which this runner prints as one JSON line, last on
stdout.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path


def available() -> dict[str, str]:
    """Benchmark names and the first line of their docstrings."""
    result = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            result[info.name.replace("_", "-")] = (module.__doc__ or "").strip().splitlines()[0]
    return dict(sorted(result.items()))


def main(argv: list[str] | None = None) -> int:
    """Parse `NAME [--quick] [extra args]`, run it, print the figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", nargs="?", help="benchmark to run; omit to list them")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args, rest = parser.parse_known_args(argv)
    benches = available()
    if not args.name:
        for name, summary in benches.items():
            print(f"{name:18} {summary}")
        return 0
    if args.name not in benches:
        print(f"unknown benchmark {args.name!r}; available: {', '.join(benches)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.{args.name.replace('-', '_')}")
    figures = module.run(args.quick, rest)
    print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
