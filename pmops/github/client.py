"""Connect to the GitHub REST API (github.com or GitHub Enterprise Server) through PyGithub.

`connect` returns an ordinary `github.Github` whose HTTP layer carries a `RetryPolicy`: a
urllib3 retry policy (PyGithub hands its `retry` argument to the requests adapter) that

- retries 5xx answers of idempotent requests with a short exponential backoff;
- retries rate-limited answers (403/429) the way GitHub's documentation asks: wait for
  `Retry-After` if present, else until `x-ratelimit-reset` when `x-ratelimit-remaining` is 0,
  else (a secondary limit without a header) at least a minute, doubling on repeats;
- gives up at once when the wait would exceed `max_wait_s`, so one run never sleeps for an
  hour: the caller gets PyGithub's usual exception and reports the source as unavailable;
- sleeps through an injectable function (tests pass a recorder instead of `time.sleep`);
- counts every HTTP exchange, retries included, in a `RequestCounter`. urllib3 asks the
  policy about every response it receives (`is_retry`), so that is where the count is
  taken; tests/test_github_client.py checks it against the fake GitHub's own request log.

Nothing is patched globally: the policy lives in the one client `connect` builds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from github import Auth, Github
from github.Repository import Repository
from github.Requester import Requester
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
"""GitHub's maximum page size: fewer requests for every list."""

RETRIES = 3
"""Retries per request after the first attempt (5xx and rate limits together)."""

BACKOFF_S = 1.0
"""First wait after a 5xx; doubled on each further retry (1, 2, 4 s)."""

SECONDARY_WAIT_S = 60.0
"""GitHub: after a secondary rate limit without `Retry-After`, wait at least one minute."""

MAX_WAIT_S = 90.0
"""The longest single wait pmops accepts: one secondary-limit minute with margin. A primary
limit that resets in 40 minutes is reported instead of slept through."""

SECONDS_BETWEEN_WRITES = 1.0
"""GitHub asks for a second between content-creating requests; reads are not throttled."""

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods retried after a 5xx (a POST may have taken effect before the server failed)."""

Sleep = Callable[[float], None]


@dataclass
class RequestCounter:
    """HTTP exchanges made by one client: every attempt, retries included (thread-safe)."""

    count: int = 0
    retries: int = 0
    waited_s: float = 0.0
    by_status: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, status: int) -> None:
        """Count one response with its status."""
        with self._lock:
            self.count += 1
            self.by_status[status] = self.by_status.get(status, 0) + 1

    def record_retry(self, wait_s: float) -> None:
        """Count one retry and the time waited before it."""
        with self._lock:
            self.retries += 1
            self.waited_s += wait_s


class RetryPolicy(Retry):
    """GitHub's retry rules as a urllib3 `Retry` (see the module docstring)."""

    def __init__(
        self,
        total: int | None = RETRIES,
        *,
        counter: RequestCounter | None = None,
        sleep: Sleep = time.sleep,
        max_wait_s: float = MAX_WAIT_S,
        clock: Callable[[], float] = time.time,
        planned_wait: float | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("backoff_factor", BACKOFF_S)
        kwargs["raise_on_status"] = False  # exhausted: hand PyGithub the last answer
        kwargs.setdefault("redirect", False)
        super().__init__(total=total, **kwargs)
        self.counter = counter
        self.sleeper = sleep
        self.max_wait_s = max_wait_s
        self.clock = clock
        self.planned_wait = planned_wait

    def new(self, **kw: Any) -> RetryPolicy:
        """A copy for the next attempt, keeping the counter, sleep, clock and limits."""
        kw.setdefault("counter", self.counter)
        kw.setdefault("sleep", self.sleeper)
        kw.setdefault("max_wait_s", self.max_wait_s)
        kw.setdefault("clock", self.clock)
        return super().new(**kw)  # type: ignore[return-value]

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Count the response; 403/429 go to `increment` (which reads the headers)."""
        if self.counter is not None:
            self.counter.record(status_code)
        if status_code in (403, 429):
            return True
        return 500 <= status_code < 600 and method.upper() in IDEMPOTENT

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> RetryPolicy:
        """Plan the next attempt, or raise MaxRetryError to return this answer as it is."""
        if response is not None and response.status in (403, 429):
            wait = self._rate_limit_wait(response, url)
            if wait is None or wait > self.max_wait_s:
                raise MaxRetryError(_pool, url or "", ResponseError("rate limited"))
            retry = super().increment(method, url, response, error, _pool, _stacktrace)
            assert isinstance(retry, RetryPolicy)
            retry.planned_wait = wait
            return retry
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        assert isinstance(retry, RetryPolicy)
        return retry

    def _rate_limit_wait(self, response: Any, url: str | None) -> float | None:
        """Seconds to wait before retrying a 403/429, or None when it is no rate limit.

        Order as GitHub documents it: Retry-After, then x-ratelimit-reset when no request
        remains, then at least a minute (doubling) for a secondary limit without headers.
        A 403 that is no rate limit is raised as PyGithub's own exception: its body had to
        be read to tell, so it cannot be handed back.
        """
        headers = response.headers
        retry_after = headers.get("Retry-After")
        if retry_after:
            return self.parse_retry_after(retry_after)
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            reset = float(headers["x-ratelimit-reset"])
            return max(0.0, reset - self.clock()) + 1.0
        if response.status == 429:
            return self._secondary_wait()
        body = _json_body(response)
        message = body.get("message", "") if isinstance(body, dict) else ""
        if Requester.isRateLimitError(message):
            return self._secondary_wait()
        raise Requester.createException(response.status, dict(headers), body)

    def _secondary_wait(self) -> float:
        repeats = sum(1 for h in self.history if h.status in (403, 429))
        return SECONDARY_WAIT_S * 2**repeats

    def sleep(self, response: Any = None) -> None:
        """Wait before the next attempt: the planned rate-limit wait, Retry-After or backoff."""
        if self.planned_wait is not None:
            wait = self.planned_wait
        elif response is not None and response.headers.get("Retry-After"):
            wait = self.parse_retry_after(response.headers["Retry-After"])
        else:
            wait = self._backoff()
        wait = min(wait, self.max_wait_s)
        if self.counter is not None:
            self.counter.record_retry(wait)
        if wait > 0:
            self.sleeper(wait)

    def _backoff(self) -> float:
        doublings = max(0, len(self.history) - 1)
        return float(min(self.backoff_max, self.backoff_factor * 2**doublings))


def _json_body(response: Any) -> Any:
    try:
        return json.loads(response.data or b"{}")
    except ValueError:
        return {"message": "unreadable answer"}


def connect(
    token: str,
    base_url: str | None = None,
    *,
    retry: bool = True,
    counter: RequestCounter | None = None,
    sleep: Sleep = time.sleep,
    max_wait_s: float = MAX_WAIT_S,
    timeout_s: int = 30,
) -> Github:
    """A PyGithub client; `base_url` is e.g. https://ghe.example.com/api/v3 for GHES.

    `retry=False` keeps the counting but makes no second attempt. Pass a `counter` to learn
    how many requests the client made; `sleep` and `max_wait_s` bound the waiting.
    """
    policy = RetryPolicy(
        RETRIES if retry else 0, counter=counter, sleep=sleep, max_wait_s=max_wait_s
    )
    return Github(
        base_url=(base_url or DEFAULT_API_URL).rstrip("/"),
        auth=Auth.Token(token),
        per_page=PER_PAGE,
        retry=policy,
        timeout=timeout_s,
        seconds_between_requests=None,
        seconds_between_writes=SECONDS_BETWEEN_WRITES,
    )


def lazy_repo(gh: Github, full_name: str) -> Repository:
    """A PyGithub Repository that costs no request until an attribute other than its URL is
    read (calls under it, like issues, pulls and labels, need only the URL)."""
    return Repository(gh.requester.withLazy(True), url=f"/repos/{full_name}")
