"""Start-up cost: `pmops --help` against `import click`, and an offline `pmops draft`.

Each command runs in a fresh interpreter (`--quick`: 5 times, else 20) and is measured by
the CPU time (user + system) its process used, read from `getrusage(RUSAGE_CHILDREN)`
around the run, so the figures hold on a loaded machine where wall time does not. `ratio`
is help_s / click_s (goal: at most 3). `draft_offline` drafts the demo repository's
incident with no model (`--offline`) and reports its CPU seconds and peak memory (MiB).
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.table import print_table

HELP = [sys.executable, "-m", "pmops.cli", "--help"]
CLICK = [sys.executable, "-c", "import click"]


def measure(argv: list[str], runs: int, cwd: Path | None = None) -> tuple[float, float]:
    """Median CPU seconds of `runs` runs of `argv`, and the largest peak RSS in MiB."""
    cpu = []
    peak = 0.0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        # ru_maxrss of the children is the largest of any child so far (KiB on Linux)
        peak = max(peak, after.ru_maxrss / 1024)
    return statistics.median(cpu), peak


def run(quick: bool, argv: list[str]) -> dict[str, object]:
    """Measure help, click and an offline draft; print the table; return the figures."""
    runs = 5 if quick else 20
    help_s, _ = measure(HELP, runs)
    click_s, _ = measure(CLICK, runs)
    with tempfile.TemporaryDirectory(prefix="pmops-bench-startup-") as tmp:
        from pmops.demo import build_demo

        repo, incident = build_demo(Path(tmp) / "demo")
        draft = [
            sys.executable,
            "-m",
            "pmops.cli",
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
        # RUSAGE_CHILDREN's peak RSS is the largest child's so far: the draft's, since help
        # and click use a fraction of it
        draft_s, draft_mib = measure(draft, max(3, runs // 4))
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
