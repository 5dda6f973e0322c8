"""Chat completions against any OpenAI-compatible server, with response-format fallbacks.

Structured output is asked for in the strongest form the server accepts: `json_schema`, then
`json_object` with a `schema` key (llama.cpp constrains output to it), then plain
`json_object`, then free text. A server that refuses a format (HTTP 400/422/5xx) is asked again
in the next one, and the format that worked is kept for later calls. A model that refuses
`max_tokens` or a temperature (OpenAI's reasoning models) is asked again without them. A 429
is retried after its `retry-after` (at most twice, within the deadline); every other failure
raises `ModelError` with a message for the PR.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import openai

from pmops.config import ModelConfig
from pmops.draft.bounded_http import ResponseTooLarge, bounded_http_client
from pmops.errors import PmopsError
from pmops.watchdog import Overdue, call_within

MODES = ("json_schema", "json_object_schema", "json_object", "text")
"""Response formats, strongest first."""
ENFORCED = frozenset({"json_schema", "json_object_schema"})
"""Modes where the server holds the output to the schema, so the prompt need not carry it."""
MAX_RATE_RETRIES = 2
DEFAULT_BACKOFF_S = 1.0
"""Wait after a 429 without `retry-after`, doubled on the second retry."""
FORMAT_REFUSALS = frozenset({400, 415, 422, 500, 501, 502, 503})
"""Statuses that may mean "this response_format is not supported": try the next format."""
NO_KEY = "unused"
"""Sent as the key to servers that need none (Ollama, llama.cpp, vLLM without --api-key)."""

Messages = Callable[[str], list[dict[str, str]]]
"""The messages for a response format (the schema goes into the prompt when not enforced)."""


class ModelError(PmopsError):
    """The model could not produce an answer; the message says why, for the PR."""


@dataclass(frozen=True)
class Completion:
    """One answer and what it cost."""

    text: str
    finish_reason: str | None
    mode: str
    prompt_tokens: int | None
    output_tokens: int | None


class ChatClient:
    """One model on one server; remembers which response format the server accepts."""

    def __init__(self, config: ModelConfig, env: Mapping[str, str], deadline: float) -> None:
        if not config.name:
            raise ModelError("no model is configured")
        key = env.get(config.api_key_env, "").strip()
        if not key and not config.base_url:
            raise ModelError(f"{config.api_key_env} is not set, so the OpenAI API cannot be used")
        self.config = config
        self.key = key
        self.deadline = deadline
        self.mode_index = 0
        self.token_parameter = "max_tokens"
        self.send_temperature = True
        self.sleep: Callable[[float], None] = time.sleep
        base_url, query = _split_query(config.base_url)
        headers = {"api-key": key} if key and _is_azure(base_url) else None
        self.client = openai.OpenAI(
            api_key=key or NO_KEY,
            base_url=base_url,
            timeout=config.timeout_s,
            max_retries=0,
            default_query=query or None,
            default_headers=headers,
            http_client=bounded_http_client(),
        )

    @property
    def mode(self) -> str:
        """The response format the next call starts with."""
        return MODES[self.mode_index]

    def complete(
        self, messages: Messages, schema: dict[str, Any], name: str = "postmortem_draft"
    ) -> Completion:
        """One answer, trying weaker response formats while the server refuses stronger ones.

        `name` names the schema in a `json_schema` response format."""
        while True:
            mode = self.mode
            try:
                return self._with_rate_retries(mode, messages(mode), schema, name)
            except openai.APIStatusError as error:
                if error.status_code == 400 and self._adapt(_error_text(error)):
                    continue  # same format, with the parameters this model wants
                last = self.mode_index == len(MODES) - 1
                if error.status_code not in FORMAT_REFUSALS or last:
                    raise ModelError(_status_message(error, self.config)) from None
                self.mode_index += 1

    def _adapt(self, message: str) -> bool:
        """Reasoning models (o1, o3, gpt-5) refuse `max_tokens` and a temperature: adapt once."""
        if "max_completion_tokens" in message and self.token_parameter == "max_tokens":
            self.token_parameter = "max_completion_tokens"
            return True
        if "temperature" in message and self.send_temperature:
            self.send_temperature = False
            return True
        return False

    def _with_rate_retries(
        self, mode: str, messages: list[dict[str, str]], schema: dict[str, Any], name: str
    ) -> Completion:
        retries = 0
        while True:
            try:
                return self._create(mode, messages, schema, name)
            except openai.RateLimitError as error:
                wait = _retry_after(error.response.headers, DEFAULT_BACKOFF_S * 2**retries)
                if retries >= MAX_RATE_RETRIES:
                    raise ModelError(
                        f"the model server kept answering 429 (rate limited) after "
                        f"{MAX_RATE_RETRIES} retries"
                    ) from None
                if time.monotonic() + wait >= self.deadline:
                    raise ModelError(
                        f"the model server answered 429 (rate limited) and asked to wait "
                        f"{wait:g} s, longer than the time left"
                    ) from None
                retries += 1
                self.sleep(wait)

    def _create(
        self, mode: str, messages: list[dict[str, str]], schema: dict[str, Any], name: str
    ) -> Completion:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ModelError(f"the model did not answer within {self.config.timeout_s:g} s")
        extra: dict[str, Any] = {self.token_parameter: self.config.max_output_tokens}
        if self.send_temperature:
            extra["temperature"] = self.config.temperature
        response_format = _response_format(mode, schema, name)
        if response_format is not None:
            extra["response_format"] = response_format
        budget = min(self.config.timeout_s, remaining)
        try:
            response = call_within(
                budget,
                lambda: self.client.chat.completions.create(
                    model=self.config.name or "",
                    messages=messages,  # type: ignore[arg-type]
                    timeout=budget,
                    **extra,
                ),
            )
        except (openai.APITimeoutError, Overdue):
            raise ModelError(f"the model did not answer within {budget:.3g} s") from None
        except (ResponseTooLarge, openai.APIConnectionError) as error:
            # some openai releases wrap what the HTTP client raises, others let it through
            if isinstance(_root(error), ResponseTooLarge):
                raise ModelError(f"the model server's answer was refused: {_root(error)}") from None
            raise ModelError(f"the model server could not be reached: {_cause(error)}") from None
        except openai.APIResponseValidationError:
            raise ModelError("the model server's answer is not an OpenAI chat completion") from None
        except openai.APIStatusError:
            raise  # the caller decides: next response format, retry after 429, or give up
        except Exception as error:  # openai.APIError, or a body that is not UTF-8 or JSON
            raise ModelError(
                f"the model server's answer could not be read: {_cause(error)}"
            ) from None
        return _completion(response, mode)


def _completion(response: Any, mode: str) -> Completion:
    choices = getattr(response, "choices", None)
    if not choices:
        raise ModelError("the model server returned no choices")
    choice = choices[0]
    message = choice.message
    refusal = getattr(message, "refusal", None)
    if refusal:
        raise ModelError(f"the model refused: {' '.join(str(refusal).split())[:200]}")
    if choice.finish_reason == "content_filter":
        raise ModelError("the model's answer was withheld by a content filter")
    usage = getattr(response, "usage", None)
    return Completion(
        text=_text(message.content),
        finish_reason=choice.finish_reason,
        mode=mode,
        prompt_tokens=getattr(usage, "prompt_tokens", None),
        output_tokens=getattr(usage, "completion_tokens", None),
    )


def _response_format(mode: str, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "strict": False, "schema": schema},
        }
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def _retry_after(headers: Mapping[str, str], default: float) -> float:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    if value := headers.get("retry-after-ms"):
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    if value := headers.get("retry-after"):
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    return default


def _status_message(error: openai.APIStatusError, config: ModelConfig) -> str:
    status = error.status_code
    detail = " ".join(_error_text(error).split())[:200]
    if status in (401, 403):
        hint = f"; check {config.api_key_env}"
    elif status == 404:
        hint = f"; is the model name {config.name!r} right?"
    else:
        hint = ""
    return f"the model server answered HTTP {status}{f': {detail}' if detail else ''}{hint}"


def _error_text(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or body
        if isinstance(message, dict):
            message = message.get("message", "")
        return str(message)
    return str(body or "")


def _text(content: Any) -> str:
    """The answer's text: a string, or the text parts of a list of content parts (some
    servers answer in the request's multi-part form); anything else is no text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = (p.get("text") if isinstance(p, dict) else getattr(p, "text", 0) for p in content)
        return "".join(t for t in texts if isinstance(t, str))
    return ""


def _root(error: BaseException) -> BaseException:
    while error.__cause__ is not None:
        error = error.__cause__
    return error


def _cause(error: BaseException) -> str:
    root = _root(error)
    return " ".join(str(root).split())[:200] or type(root).__name__


def _split_query(base_url: str | None) -> tuple[str | None, dict[str, str]]:
    """Azure puts `api-version` in the URL's query: send it with every request instead."""
    if not base_url:
        return None, {}
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(query="")), dict(parse_qsl(parts.query))


def _is_azure(base_url: str | None) -> bool:
    host = (urlsplit(base_url).hostname or "") if base_url else ""
    return host.endswith((".openai.azure.com", ".cognitiveservices.azure.com"))
