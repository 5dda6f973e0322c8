"""The options several commands share, each defined once: `--repo`, and the GitHub access
options (`--github OWNER/NAME`, `--token-env`, `--api-url`) with the token they name."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from pmops.errors import InputError
from pmops.sources.gitcmd import repo_root

F = TypeVar("F", bound=Callable[..., object])


def _default_repo(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path:
    if value is not None:
        return value
    cwd = Path.cwd()
    return repo_root(cwd) or cwd


def repo_option(help: str, *, exists: bool = True) -> Callable[[F], F]:
    """`--repo DIR`, an existing folder unless `exists` is False (`init` makes it); by default
    the git top level of the current directory (the directory itself outside a work tree), so
    a command works from any subfolder."""
    return click.option(
        "--repo",
        type=click.Path(exists=exists, file_okay=False, path_type=Path),
        default=None,
        callback=_default_repo,
        help=f"{help} [default: the git top level of the current directory]",
    )


def github_options(help: str, *, required: bool = False) -> Callable[[F], F]:
    """`--github OWNER/NAME` (described by `help`), `--token-env` and `--api-url`."""

    def decorate(func: F) -> F:
        func = click.option(
            "--api-url", default=None, help="REST API root (GitHub Enterprise Server)."
        )(func)
        func = click.option(
            "--token-env",
            default="GITHUB_TOKEN",
            show_default=True,
            help="Environment variable holding the token for --github.",
        )(func)
        return click.option(
            "--github",
            "github_repo",
            metavar="OWNER/NAME",
            required=required,
            help=help,
            callback=_owner_name,
        )(func)

    return decorate


_OWNER_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")


def _owner_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not _OWNER_NAME.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not OWNER/NAME (for example acme/shop)")
    return value


def token_from(token_env: str, what: str) -> str:
    """The token in `$token_env`; InputError naming `what` needs it when it is unset."""
    token = os.environ.get(token_env, "").strip()
    if not token:
        raise InputError(f"{what} needs a token in ${token_env}")
    return token
