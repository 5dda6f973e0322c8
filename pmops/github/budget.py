"""A request budget for one run: sources ask before optional calls and degrade when refused.

`GITHUB_TOKEN` has 1,000 REST requests per hour per repository, shared with every other
workflow (DESIGN §4), so a gather must never spend them all. Essential requests (the
incident issue) are `charge`d without asking; every optional one asks `allow(cost, what)`
first. A refusal is remembered as a sentence for `Evidence.unavailable`, so the draft says
what it lacks instead of the run failing.

The spend is the sum of the costs charged and allowed, or, with a `RequestCounter` (from
`pmops.github.client.connect`), what was really sent when that is more (retries, pages).
"""

from __future__ import annotations

from pmops.github.client import RequestCounter


class RequestBudget:
    """At most `limit` REST requests; `skipped` says what was left out because of it."""

    def __init__(self, limit: int, counter: RequestCounter | None = None) -> None:
        if limit < 1:
            raise ValueError("a request budget must allow at least one request")
        self.limit = limit
        self.counter = counter
        self._committed = 0
        self._skipped: list[str] = []

    @property
    def spent(self) -> int:
        """Requests made or granted so far."""
        counted = self.counter.count if self.counter is not None else 0
        return max(counted, self._committed)

    @property
    def remaining(self) -> int:
        """Requests still allowed (never negative)."""
        return max(0, self.limit - self.spent)

    def charge(self, cost: int = 1) -> None:
        """Record `cost` essential requests that are made whatever the budget says."""
        self._committed = self.spent + cost

    def allow(self, cost: int, what: str) -> bool:
        """True (and the cost is charged) if `cost` more requests fit; else remember `what`."""
        if self.spent + cost > self.limit:
            if what not in self._skipped:
                self._skipped.append(what)
            return False
        self._committed = self.spent + cost
        return True

    @property
    def skipped(self) -> tuple[str, ...]:
        """What was left out, in the order it was refused."""
        return tuple(self._skipped)

    def sentences(self) -> tuple[str, ...]:
        """One `Evidence.unavailable` sentence per refusal."""
        return tuple(
            f"GitHub request budget of {self.limit} reached: skipped {what}"
            for what in self._skipped
        )
