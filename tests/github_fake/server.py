"""The fake GitHub REST API server: HTTP plumbing and GitHub's manners.

``FakeGitHub`` runs a ``ThreadingHTTPServer`` on 127.0.0.1 (random port) under
``/api/v3`` (the GitHub Enterprise layout PyGithub expects for a custom
``base_url``). Around every handler it applies injected latency and failures,
primary and secondary rate limits, ETag/``If-None-Match``, pagination with
``Link`` headers, a request log, and the contract check of
:mod:`.contract`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from .auth import authenticate, authorize, need_of
from .contract import Violation, format_violations, load
from .core import Core
from .graphql import GraphQL
from .handlers_git import GitHandlers
from .handlers_issues import IssueHandlers
from .handlers_misc import MiscHandlers
from .handlers_orgs import OrgHandlers
from .handlers_pulls import PullHandlers
from .routing import ApiError, Paged, Request, Response, Router
from .seeding import Seeder
from .state import Store

API_PREFIX = "/api/v3"
GRAPHQL_PATH = "/api/graphql"  # where PyGithub (and GHES) send GraphQL for this base URL
DEFAULT_TOKEN = "test-token"
"""A personal access token of the fake's default user, registered explicitly at start;
any other unregistered token is refused with 401 as GitHub does."""
RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID "
    "0000:0000:0000000:0000000:00000000."
)


def build_router(core: Core) -> Router:
    """All served operations; order matters where greedy templates overlap."""
    router = Router()
    for group in (MiscHandlers(core), OrgHandlers(core), IssueHandlers(core), PullHandlers(core),
                  GitHandlers(core)):
        group.register(router)
    return router


def operations() -> list[tuple[str, str]]:
    """(METHOD, OpenAPI path template) of every operation the fake serves."""
    router = build_router(Core(Store(Path("."))))
    return [(r.method, r.template) for r in router]


@dataclass(frozen=True)
class RequestRecord:
    """One served request, for benchmarks and assertions."""

    method: str
    route: str  # the OpenAPI path template, or the raw path if unserved
    path: str
    status: int
    seconds: float


@dataclass
class _Failure:
    remaining: int
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    method: str | None
    route: str | None


class _Bucket:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.reset = int(time.time()) + 3600

    def headers(self, resource: str) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(self.limit - self.used, 0)),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-resource": resource,
        }


class FakeGitHub(Seeder):
    """A stateful fake of GitHub's REST API, served over real HTTP.

    Use as a context manager (``with FakeGitHub() as gh:``) or call
    :meth:`start`/:meth:`stop`. Seed state with the :class:`Seeder` helpers,
    point PyGithub at :attr:`api_url`.
    """

    def __init__(self, root: Path | None = None, *, validate: bool = True,
                 rate_limit: int = 5000, search_rate_limit: int = 30,
                 default_login: str = "pmops-bot") -> None:
        self._tmp = None if root else tempfile.mkdtemp(prefix="github-fake-")
        self.store = Store(Path(root or self._tmp or "."))
        self.store.default_login = default_login
        self.store.user(default_login)
        self.set_token(DEFAULT_TOKEN, default_login)
        self.core = Core(self.store)
        self.graphql = GraphQL(self.core)
        self.issues = IssueHandlers(self.core)
        self.router = build_router(self.core)
        self.validate = validate
        self.contract = load() if validate else None
        self.latency = 0.0
        self.requests: list[RequestRecord] = []
        self.violations: list[Violation] = []
        self.buckets = {"core": _Bucket(rate_limit), "search": _Bucket(search_rate_limit)}
        self._failures: list[_Failure] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        if self.contract:
            for method, template in ((r.method, r.template) for r in self.router):
                if self.contract.operation(method, template) is None:
                    raise RuntimeError(f"served operation {method} {template} is not in "
                                       f"the trimmed spec; rerun extract_spec.py")

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> FakeGitHub:
        """Bind a free port on 127.0.0.1 and serve in a background thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        port = server.server_address[1]
        self.store.html = f"http://127.0.0.1:{port}"
        self.store.api = self.store.html + API_PREFIX
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True,
                                        name="github-fake")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and delete the temporary directory (if the fake made it)."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The web root, e.g. ``http://127.0.0.1:PORT`` (html_url values start here)."""
        return self.store.html

    @property
    def api_url(self) -> str:
        """The REST root to give PyGithub as ``base_url``."""
        return self.store.api

    def client(self, token: str = DEFAULT_TOKEN, **kwargs: Any) -> Any:
        """A ``github.Github`` (PyGithub) for this fake: no throttling, no retries by default."""
        import github

        kwargs.setdefault("retry", None)
        kwargs.setdefault("seconds_between_requests", 0)
        kwargs.setdefault("seconds_between_writes", 0)
        return github.Github(base_url=self.api_url, auth=github.Auth.Token(token), **kwargs)

    # -- failure injection -------------------------------------------------
    def fail_next(self, n: int = 1, status: int = 502, *, method: str | None = None,
                  route: str | None = None, retry_after: int | None = None) -> None:
        """Answer the next ``n`` requests (optionally only matching ones) with ``status``."""
        messages = {500: "Server Error", 502: "Server Error", 503: "Service Unavailable",
                    504: "We couldn't respond to your request in time.",
                    409: "Git Repository is empty.", 404: "Not Found"}
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"message": messages.get(status, "Error"),
                "documentation_url": "https://docs.github.com/rest"}
        with self._lock:
            self._failures.append(_Failure(n, status, body, headers, method, route))

    def secondary_rate_limit(self, n: int = 1, *, retry_after: int = 1,
                             status: int = 403) -> None:
        """Answer the next ``n`` requests with GitHub's secondary rate limit (403 or 429)."""
        with self._lock:
            self._failures.append(_Failure(
                n, status, {"message": SECONDARY_MESSAGE, "documentation_url":
                            f"{RATE_DOCS}#about-secondary-rate-limits"},
                {"Retry-After": str(retry_after)}, None, None))

    def set_rate_limit(self, limit: int, *, used: int = 0, resource: str = "core") -> None:
        """Reset a rate-limit bucket (e.g. 1000 for a ``GITHUB_TOKEN``)."""
        with self._lock:
            bucket = self.buckets[resource]
            bucket.limit, bucket.used = limit, used

    # -- measurement -------------------------------------------------------
    @property
    def request_count(self) -> int:
        """How many requests were served since start or :meth:`reset_log`."""
        return len(self.requests)

    def reset_log(self) -> None:
        """Forget the request log."""
        with self._lock:
            self.requests.clear()

    def assert_no_violations(self) -> None:
        """Raise ``AssertionError`` listing every contract violation seen so far."""
        if self.violations:
            raise AssertionError(format_violations(self.violations))

    # -- request pipeline --------------------------------------------------
    def _take_failure(self, method: str, template: str) -> _Failure | None:
        for f in self._failures:
            if f.remaining > 0 and (f.method in (None, method)) and (f.route in (None, template)):
                f.remaining -= 1
                if f.remaining == 0:
                    self._failures.remove(f)
                return f
        return None

    def _record(self, kind: str, method: str, path: str, template: str, status: int,
                errors: list[str]) -> None:
        for e in errors:
            self.violations.append(Violation(kind, method, path, template, status, e))

    def handle(self, method: str, raw_path: str, headers: dict[str, str],
               raw_body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Serve one request; returns (status, headers, body bytes)."""
        started = time.perf_counter()
        if self.latency:
            time.sleep(self.latency)
        parts = urlsplit(raw_path)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if path.startswith(API_PREFIX):
            path = path[len(API_PREFIX):] or "/"
        try:
            body: Any = json.loads(raw_body) if raw_body.strip() else None
        except ValueError:
            body = None
        with self._lock:
            if path == GRAPHQL_PATH and method == "POST":
                status, out_headers, payload, template = self._graphql(headers, body)
            else:
                status, out_headers, payload, template = self._dispatch(
                    method, path, query, headers, body, raw_path)
            self.requests.append(RequestRecord(method, template, path, status,
                                               time.perf_counter() - started))
        data = b"" if payload is None else json.dumps(payload).encode()
        return status, out_headers, data

    def _dispatch(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
                  body: Any, raw_path: str) -> tuple[int, dict[str, str], Any, str]:
        match = self.router.match(method, path)
        if match is None:
            if self.validate:
                self._record("unserved", method, path, "", 404,
                             ["the fake does not serve this operation"])
            err = ApiError(404, "Not Found")
            return 404, {}, err.body(), path
        route, params = match
        template = route.template
        if self.contract and body is not None:
            self._record("request-body", method, path, template, 0,
                         self.contract.check_request(method, template, body))
        failure = self._take_failure(method, template)
        resource = "search" if path.startswith("/search/") else "core"
        bucket = self.buckets[resource]
        if failure:
            bucket.used += 1
            hdrs = {**failure.headers, **bucket.headers(resource)}
            return failure.status, hdrs, failure.body, template
        if path == "/rate_limit":
            return 200, bucket.headers(resource), self._rate_limit_body(), template
        if bucket.used >= bucket.limit:
            msg = f"API rate limit exceeded for user ID {self.store.user(self._login(headers)).id}."
            return 403, bucket.headers(resource), {
                "message": msg, "documentation_url": f"{RATE_DOCS}#about-the-primary-rate-limit"
            }, template
        try:
            token = authenticate(self.store, headers)
            authorize(self.store, token, need_of(method, template), params)
        except ApiError as err:
            bucket.used += 1
            if self.contract:
                self._record("response", method, path, template, err.status,
                             self.contract.check_error(err.body()))
            return err.status, {**err.headers, **bucket.headers(resource)}, err.body(), template
        login = token.login if token else ""
        req = Request(method, path, params, query, body, login, headers,
                      app=bool(token and token.kind == "actions"))
        try:
            resp = route.handler(req)
        except ApiError as err:
            resp = Response(err.status, err.body(), err.headers)
        payload, extra = self._paginate(resp.body, query, raw_path)
        out = {**resp.headers, **extra}
        if method == "GET" and resp.status == 200:
            etag = 'W/"' + hashlib.sha256(json.dumps(payload, sort_keys=True).encode()
                                          ).hexdigest()[:40] + '"'
            out["ETag"] = etag
            if etag in {t.strip() for t in headers.get("if-none-match", "").split(",")}:
                out.update(bucket.headers(resource))  # 304s do not count
                return 304, out, None, template
        bucket.used += 1
        out.update(bucket.headers(resource))
        if self.contract:
            self._record("response", method, path, template, resp.status,
                         self.contract.check_response(method, template, resp.status, payload))
        return resp.status, out, payload, template

    def _login(self, headers: dict[str, str]) -> str:
        auth = headers.get("authorization", "")
        token = self.store.tokens.get(auth.split(" ", 1)[1].strip() if " " in auth else "")
        return token.login if token else "anonymous"

    def _graphql(self, headers: dict[str, str], body: Any
                 ) -> tuple[int, dict[str, str], Any, str]:
        """POST /graphql: authenticate, then answer from the same state as REST."""
        bucket = self.buckets["core"]
        bucket.used += 1
        try:
            token = authenticate(self.store, headers)
        except ApiError as err:
            return 401, bucket.headers("graphql"), {
                "message": err.message, "documentation_url": "https://docs.github.com/graphql"
            }, "/graphql"
        if token is None:
            return 401, bucket.headers("graphql"), {
                "message": "This endpoint requires you to be authenticated.",
                "documentation_url": "https://docs.github.com/graphql/guides/forming-calls-"
                                     "with-graphql#authenticating-with-graphql"}, "/graphql"
        answer = self.graphql.execute(token, body if isinstance(body, dict) else {})
        return 200, bucket.headers("graphql"), answer, "/graphql"

    def _rate_limit_body(self) -> dict[str, Any]:
        res = {k: {"limit": b.limit, "remaining": max(b.limit - b.used, 0), "reset": b.reset,
                   "used": b.used, "resource": k} for k, b in self.buckets.items()}
        core = dict(res["core"])
        core.pop("resource")
        return {"resources": {k: {kk: vv for kk, vv in v.items() if kk != "resource"}
                              for k, v in res.items()}, "rate": core}

    def _paginate(self, body: Any, query: dict[str, str],
                  raw_path: str) -> tuple[Any, dict[str, str]]:
        if not isinstance(body, Paged):
            return body, {}
        try:
            per_page = min(max(int(query.get("per_page", 30)), 1), 100)
            page = max(int(query.get("page", 1)), 1)
        except ValueError:
            per_page, page = 30, 1
        items = body.items
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page: page * per_page]
        out = body.wrap(chunk, len(items)) if body.wrap else chunk
        base = self.store.html + urlsplit(raw_path).path

        def link(p: int) -> str:
            return f"{base}?{urlencode({**query, 'page': str(p)})}"

        rels = []
        if page < last:
            rels += [f'<{link(page + 1)}>; rel="next"', f'<{link(last)}>; rel="last"']
        if page > 1:
            rels += [f'<{link(page - 1)}>; rel="prev"', f'<{link(1)}>; rel="first"']
        return out, ({"Link": ", ".join(rels)} if rels else {})


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the owning :class:`FakeGitHub`."""

    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"

    def _serve(self) -> None:
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, out_headers, data = fake.handle(self.command, self.path, headers, raw)
        except Exception as exc:  # surface fake bugs as 500s, and as violations
            fake.violations.append(Violation("fake-error", self.command, self.path, "", 500,
                                             repr(exc)))
            status, out_headers, data = 500, {}, json.dumps({"message": repr(exc)}).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in out_headers.items():
            self.send_header(k, v)
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Stay quiet."""
