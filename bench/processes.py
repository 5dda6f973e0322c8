"""CPU time and memory of commands run in fresh interpreters (shared by `startup` and `draft`).

CPU time (user + system, from `getrusage(RUSAGE_CHILDREN)`) rather than wall time, so the
figures hold on a loaded machine. The interpreters cache bytecode in a folder of the
benchmark's own, as an installed package has it (pip compiles it), even where
PYTHONDONTWRITEBYTECODE is set: otherwise every run would compile pmops from source.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
from pathlib import Path


def children_cpu() -> float:
    """CPU seconds used so far by the child processes this process waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def python_env(pycache: Path) -> dict[str, str]:
    """This environment, with bytecode written to and read from `pycache`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def measure(argv: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    """Median CPU seconds of `runs` runs of `argv` after one warm-up run (which writes the
    bytecode cache), and the largest peak RSS of any child so far in MiB."""
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    cpu = []
    for _ in range(runs):
        before = children_cpu()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
        cpu.append(children_cpu() - before)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    return statistics.median(cpu), peak
