"""Model-server answers that cannot fill pmops's memory: the HTTP client cuts an answer off
at `MAX_RESPONSE_BYTES`, declared or streamed. (The whole call's deadline is
`pmops.watchdog.call_within`, as httpx's timeout bounds each read, not the request.)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from functools import cache
from typing import Any

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
"""A draft is a few thousand tokens; 4 MiB is far beyond any honest answer."""


class ResponseTooLarge(Exception):
    """The server's answer is larger than MAX_RESPONSE_BYTES."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the answer is larger than {limit // (1024 * 1024)} MiB")


@cache
def bounded_http_client() -> Any:
    """One connection pool per process (building one loads the CA bundle, ~0.4 s), whose
    answers are cut off at MAX_RESPONSE_BYTES. Built on the HTTP library the installed
    openai package uses (httpx, or httpx2 in newer releases), with the same defaults."""
    import openai

    http = sys.modules[openai.DefaultHttpxClient.__bases__[0].__module__.partition(".")[0]]

    class CappedStream(http.SyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, stream: Any) -> None:
            self.stream = stream

        def __iter__(self) -> Iterator[bytes]:
            seen = 0
            for chunk in self.stream:
                seen += len(chunk)
                if seen > MAX_RESPONSE_BYTES:
                    raise ResponseTooLarge(MAX_RESPONSE_BYTES)
                yield chunk

        def close(self) -> None:
            self.stream.close()

    class CappedTransport(http.HTTPTransport):  # type: ignore[name-defined,misc]
        def handle_request(self, request: Any) -> Any:
            response = super().handle_request(request)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
                response.close()
                raise ResponseTooLarge(MAX_RESPONSE_BYTES)
            response.stream = CappedStream(response.stream)
            return response

    return openai.DefaultHttpxClient(transport=CappedTransport())
