"""The jinja2 environment for every template in templates/ (documents, PR bodies, prompts)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pmops.resources import resource_dir
from pmops.times import format_clock, format_time


@cache
def environment() -> Environment:
    """StrictUndefined: a missing variable is an error, not an empty string."""
    env = Environment(
        loader=FileSystemLoader(str(resource_dir("templates"))),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["utc"] = format_time
    env.filters["clock"] = format_clock
    return env


def render_template(name: str, **context: Any) -> str:
    """Render templates/<name> with `context`."""
    return environment().get_template(name).render(**context)
