"""The Action's entry point: read GITHUB_* / PMOPS_* variables, run pmops, exit with its code.

Everything happens in `pmops.events.runner.run_action`; this file only calls it, so the same
run can be driven in-process by tests (`main(env)`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping


def main(env: Mapping[str, str] | None = None) -> int:
    """Run one Action invocation; returns the exit code."""
    from pmops.events.runner import run_action

    return run_action(os.environ if env is None else env)


if __name__ == "__main__":
    sys.exit(main())
