"""Start-up cost: `pmops --help` against `import click`, and an offline `pmops draft`.

Each command runs in a fresh interpreter (`--quick`: 5 times, else 20, after a warm-up run)
and is measured by the CPU time its process used (bench/processes.py), so the figures hold
on a loaded machine where wall time does not. `ratio` is help_s / click_s (goal: at most 3).
`draft_offline` drafts the demo repository's incident with no model (`--offline`) and
reports its CPU seconds and peak memory (MiB).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.processes import measure, python_env
from bench.table import print_table

HELP = [sys.executable, "-m", "pmops.cli.main", "--help"]
CLICK = [sys.executable, "-c", "import click"]


def run(quick: bool, argv: list[str]) -> dict[str, object]:
    """Measure help, click and an offline draft; print the table; return the figures."""
    runs = 5 if quick else 20
    with tempfile.TemporaryDirectory(prefix="pmops-bench-startup-") as tmp:
        env = python_env(Path(tmp) / "pycache")
        help_s, _ = measure(HELP, runs, env)
        click_s, _ = measure(CLICK, runs, env)
        from pmops.setup.demo import build_demo

        repo, incident = build_demo(Path(tmp) / "demo")
        draft = [
            *HELP[:3],
            "draft",
            "--repo",
            str(repo),
            "--incident",
            str(incident),
            "--offline",
            "--quiet",
            "--out",
            str(Path(tmp) / "out.md"),
        ]
        # the peak RSS is the largest child's so far: the draft's (help and click use less)
        draft_s, draft_mib = measure(draft, max(3, runs // 4), env)
    ratio = help_s / click_s if click_s else float("inf")
    figures = {
        "help_s": round(help_s, 3),
        "click_s": round(click_s, 3),
        "ratio": round(ratio, 2),
        "draft_offline_cpu_s": round(draft_s, 3),
        "draft_offline_mib": round(draft_mib, 1),
    }
    print_table("startup: CPU seconds per process (median)", [figures])
    print(
        f"goal: pmops --help within 3x of import click; {'met' if ratio <= 3 else 'MISSED'}",
        file=sys.stderr,
    )
    return figures
