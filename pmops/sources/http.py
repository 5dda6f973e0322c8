"""HTTP for evidence backends: credentials from named environment variables, and one JSON
request with a deadline, a size cap, no redirects (they would resend credentials) and no
secret in any message."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any

from pmops.config import BackendConfig
from pmops.errors import SourceError
from pmops.safety.sanitize import clean_text
from pmops.watchdog import call_within

WATCHDOG_GRACE_S = 0.5
"""The watchdog fires this long after the deadline, so the exchange's own checks (with
their more precise messages) normally come first."""
MAX_BODY_BYTES = 20 * 1024 * 1024
"""A response larger than this is refused: no incident query needs more, and a runaway
query must not exhaust the runner's memory."""


class MissingCredential(SourceError):
    """A credential variable named in the config is not set; the message names the variable."""


def credential(env: Mapping[str, str], backend: BackendConfig, role: str, default: str = "") -> str:
    """The value of the variable that `auth.<role>` names (or `default`); MissingCredential
    names the variable, never a value."""
    name = backend.auth.get(role, default)
    value = env.get(name, "") if name else ""
    if not value:
        raise MissingCredential(f"environment variable {name} (auth.{role}) is not set")
    return value


def auth_headers(env: Mapping[str, str], backend: BackendConfig) -> dict[str, str]:
    """Authorization for Prometheus-style APIs: a bearer token or basic auth, as configured."""
    auth = backend.auth
    if "bearer_token_env" in auth:
        return {"Authorization": "Bearer " + credential(env, backend, "bearer_token_env")}
    if "username_env" in auth or "password_env" in auth:
        if "username_env" not in auth or "password_env" not in auth:
            raise MissingCredential("auth.username_env and auth.password_env go together")
        user = credential(env, backend, "username_env")
        password = credential(env, backend, "password_env")
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return {"Authorization": "Basic " + token}
    return {}


# ---------------------------------------------------------------- HTTP


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are refused: urllib would resend the credentials to wherever they point."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def request_json(
    method: str,
    url: str,
    *,
    timeout_s: float,
    params: Mapping[str, str] | None = None,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    max_bytes: int = MAX_BODY_BYTES,
) -> Any:
    """GET or POST and decode a JSON answer within `timeout_s` (the whole exchange).

    Every failure is a SourceError whose message is short, names no URL and holds no header
    value: "HTTP 503: <the server's error text>", "timed out after 2 s", "connection refused",
    "response is not JSON", "response larger than 20 MB".
    """
    headers = dict(headers or {})
    secrets = [v for v in headers.values() if v]
    if params:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    headers.setdefault("Accept", "application/json")
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    deadline = time.monotonic() + timeout_s

    def exchange() -> bytes:
        with _OPENER.open(request, timeout=timeout_s) as response:
            return _read_capped(response, max_bytes, deadline, timeout_s)

    try:
        # the watchdog bounds the whole exchange: socket timeouts bound only each read, and
        # a server sending a byte at a time (headers included) would never trip them
        raw = call_within(timeout_s + WATCHDOG_GRACE_S, exchange)
    except urllib.error.HTTPError as exc:
        detail = _error_detail(exc, deadline, timeout_s)
        raise SourceError(redact(f"HTTP {exc.code}{detail}", secrets)) from None
    except TimeoutError:
        raise SourceError(f"timed out after {_seconds(timeout_s)}") from None
    except urllib.error.URLError as exc:
        raise SourceError(redact(_network_reason(exc.reason, timeout_s), secrets)) from None
    except (OSError, ValueError, http.client.HTTPException) as exc:  # ValueError: a bad URL
        raise SourceError(redact(_network_reason(exc, timeout_s), secrets)) from None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise SourceError("response is not JSON") from None


def _read_capped(response: Any, max_bytes: int, deadline: float, timeout_s: float) -> bytes:
    read = getattr(response, "read1", response.read)  # what has arrived; read() waits for all
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise SourceError(f"timed out after {_seconds(timeout_s)}")
        chunk = read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise SourceError(f"response larger than {max_bytes // (1024 * 1024)} MB")
        chunks.append(chunk)


def _error_detail(exc: urllib.error.HTTPError, deadline: float, timeout_s: float) -> str:
    """The server's own error text from a JSON error body, short and cleaned, or ""."""
    try:
        payload = json.loads(_read_capped(exc, 64 * 1024, deadline, timeout_s))
    except (SourceError, OSError, ValueError, http.client.HTTPException):
        return ""
    text: Any = None
    if isinstance(payload, dict):
        text = payload.get("error") or payload.get("errors") or payload.get("message")
    if isinstance(text, list):
        text = "; ".join(str(t) for t in text[:3])
    return f": {clean_text(str(text), 200)}" if text else ""


def _network_reason(reason: object, timeout_s: float) -> str:
    if isinstance(reason, TimeoutError):
        return f"timed out after {_seconds(timeout_s)}"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "host name not found"
    if isinstance(reason, OSError) and reason.strerror:
        return f"connection failed: {reason.strerror}"
    return f"connection failed ({type(reason).__name__})"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (and every part of a `Bearer x`/`Basic x` value) masked."""
    for secret in secrets:
        for part in {secret, *secret.split()[1:]}:
            if len(part) >= 4:
                text = text.replace(part, "***")
    return text


# ---------------------------------------------------------------- text and series
