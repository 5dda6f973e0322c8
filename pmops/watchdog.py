"""A deadline for a whole blocking call, not for each read inside it.

Socket timeouts bound each read: a server that sends one byte just before every timeout
keeps a "60 s" request going for hours (in the Action, until the job's 6-hour limit).
`call_within` runs the call in a daemon thread and stops waiting when the budget is spent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Overdue(TimeoutError):
    """The call did not finish within its budget."""


def call_within(budget_s: float, call: Callable[[], T]) -> T:
    """`call()`, or Overdue once `budget_s` has passed.

    An overdue call is abandoned in its daemon thread: its connection is not reused and it
    never delays the process's exit. The call's own exceptions are raised here.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=run, name="pmops-deadline", daemon=True)
    worker.start()
    worker.join(max(budget_s, 0.0))
    if worker.is_alive():
        raise Overdue(f"no answer within {budget_s:.3g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]
