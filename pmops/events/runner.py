"""Run one Action invocation: inputs -> context -> handler -> outputs, summary, exit code.

Every failure is loud: a comment on the issue or PR that triggered the run (secrets masked),
an `::error::` line, and a non-zero exit. Nothing is pushed before a handler's single push, so
a failure never leaves a half-made branch; generate deletes a branch it created again when its
pull request cannot be opened (no branch without a PR).
"""

from __future__ import annotations

import sys
import tempfile
import traceback
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from github import Github, GithubException

from pmops.config import Config, default_config, parse_config
from pmops.documents.doc_template import read_tree
from pmops.errors import PmopsError
from pmops.events import handler_for
from pmops.events.context import ActionInputs, Context, Gather, Outcome
from pmops.events.messages import comment
from pmops.github.api import GitHubApi, error_message, marker
from pmops.github.client import connect
from pmops.gitops import Workspace
from pmops.safety.joblog import command_value, inert
from pmops.safety.outbound import outbound_markdown
from pmops.safety.sanitize import one_line

OUTPUTS = ("pr-number", "postmortem-path", "status")


def default_gather() -> Gather:
    """`pmops.sources.github.gather_github`, imported when first needed."""
    from pmops.sources.github import gather_github

    return gather_github  # type: ignore[return-value]


def open_workspace(inputs: ActionInputs, scratch: Path) -> Workspace:
    """The Action's checkout when there is one (fetch-depth: 0 recommended), else a clone."""
    if (inputs.workspace / ".git").exists():
        return Workspace(inputs.workspace, inputs.token)
    return Workspace.clone(inputs.clone_url, scratch / "repo", inputs.token)


def load_action_config(ws: Workspace, ref: str, inputs: ActionInputs) -> Config:
    """The configuration on the default branch (never the PR's), with the action's inputs."""
    text = ws.read(ref, inputs.config_path)
    config = parse_config(text, inputs.config_path) if text is not None else default_config()
    model = config.model
    if inputs.model:
        model = replace(model, name=None if inputs.model == "none" else inputs.model)
    if inputs.base_url:
        model = replace(model, base_url=inputs.base_url)
    document = read_tree(
        lambda folder: ws.text("ls-tree", "-z", ref, "--", folder), lambda p: ws.read(ref, p)
    )
    return replace(config, model=model, document=document)


def target_number(event_name: str, event: Mapping[str, Any], inputs: ActionInputs) -> int | None:
    """The issue or PR to report a failure on."""
    for key in ("pull_request", "issue"):
        if isinstance(event.get(key), Mapping) and event[key].get("number"):
            return int(event[key]["number"])
    return inputs.issue_number


Connect = Callable[[str, str], Github]
"""(token, api_url) -> client; tests pass one without PyGithub's write throttling."""


def build_context(
    inputs: ActionInputs,
    env: Mapping[str, str],
    scratch: Path,
    *,
    gather: Gather | None = None,
    clock: Callable[[], datetime] | None = None,
    progress: Callable[[str], None] | None = None,
    connect_github: Connect = connect,
) -> Context:
    """Connect, open the workspace, fetch the default branch, read the configuration."""
    gh = connect_github(inputs.token, inputs.api_url)
    api = GitHubApi(gh, inputs.repository)
    repo_data = inputs.event.get("repository") or {}
    default_branch = str(repo_data.get("default_branch") or api.repo.default_branch)
    ws = open_workspace(inputs, scratch)
    ws.fetch(f"+refs/heads/{default_branch}:refs/remotes/origin/{default_branch}")
    config = load_action_config(ws, f"refs/remotes/origin/{default_branch}", inputs)
    api.allowed_links = (f"{inputs.server_url}/{inputs.repository}", *config.allowed_link_hosts)
    run_env = dict(env)
    if inputs.api_key:
        run_env[config.model.api_key_env] = inputs.api_key
    ctx = Context(
        inputs=inputs,
        gh=gh,
        api=api,
        workspace=ws,
        config=config,
        default_branch=default_branch,
        gather=gather or default_gather(),
        env=run_env,
    )
    if clock is not None:
        ctx.clock = clock
    if progress is not None:
        ctx.progress = progress
    return ctx


def run_action(
    env: Mapping[str, str],
    *,
    gather: Gather | None = None,
    clock: Callable[[], datetime] | None = None,
    out: TextIO | None = None,
    connect_github: Connect = connect,
) -> int:
    """The whole Action run; returns the process exit code."""
    out = out or sys.stdout

    def command(line: str) -> None:
        print(line, file=out, flush=True)

    def say(text: str) -> None:
        print(inert(text), file=out, flush=True)

    try:
        inputs = ActionInputs.from_env(env)
    except PmopsError as exc:
        command(f"::error title=pmops::{command_value(str(exc))}")
        return exc.exit_code
    for secret in inputs.secrets:
        command(f"::add-mask::{secret}")
    handler = handler_for(inputs.event_name, inputs.event, inputs.command)
    action = inputs.event.get("action")
    if handler is None:
        outcome = Outcome(
            "ignored",
            f"pmops has nothing to do for {inputs.event_name}{'.' + str(action) if action else ''}",
        )
        _write_results(inputs, outcome)
        return 0
    ctx: Context | None = None
    code = 0
    with tempfile.TemporaryDirectory(prefix="pmops-") as scratch:
        try:
            ctx = build_context(
                inputs,
                env,
                Path(scratch),
                gather=gather,
                clock=clock,
                progress=lambda m: say(f"pmops: {m}"),
                connect_github=connect_github,
            )
            outcome = handler(inputs.event, ctx)
        except (PmopsError, GithubException) as exc:
            message = _mask(_describe(exc), inputs)
            outcome, code = Outcome("failed", message), 1
            _report_failure(inputs, ctx, message, connect_github)
            command(f"::error title=pmops::{command_value(message)}")
        except Exception as exc:  # a bug: report it where the user looks, then fail loudly
            message = _mask(f"internal error: {type(exc).__name__}: {exc}", inputs)
            outcome, code = Outcome("failed", message), 1
            say(_mask(traceback.format_exc(), inputs))
            _report_failure(inputs, ctx, message, connect_github)
            command(f"::error title=pmops::{command_value(message)}")
    if inputs.run_doctor and ctx is not None:
        outcome.notes += _doctor_notes(ctx)
    _write_results(inputs, outcome)
    say(f"pmops: {outcome.status}: {outcome.message}")
    return code


def _describe(exc: BaseException) -> str:
    if isinstance(exc, GithubException):
        return f"GitHub answered {exc.status}: {error_message(exc)}"
    return str(exc)


def _mask(text: str, inputs: ActionInputs) -> str:
    for secret in inputs.secrets:
        text = text.replace(secret, "***")
    return text


def _report_failure(
    inputs: ActionInputs, ctx: Context | None, message: str, connect_github: Connect = connect
) -> None:
    """Comment on the triggering issue or PR; a failure to comment is printed, not raised."""
    number = target_number(inputs.event_name, inputs.event, inputs)
    if number is None:
        return
    what = {
        "issues": "draft the postmortem",
        "issue_comment": "run the command",
        "workflow_dispatch": "draft the postmortem",
        "pull_request": "update the postmortem",
        "pull_request_review": "process the review",
    }.get(inputs.event_name, "finish")
    body = comment("failure", what=what, message=_quote(message), run_url=inputs.run_url)
    try:
        api = (
            ctx.api
            if ctx
            else GitHubApi(connect_github(inputs.token, inputs.api_url), inputs.repository)
        )
        api.comment(number, body, marker("failure", number))
    except GithubException as exc:
        print(f"pmops: could not comment on #{number}: {error_message(exc)}", file=sys.stderr)


def _quote(message: str) -> str:
    lines = [one_line(line, 500) for line in message.splitlines() if line.strip()]
    return "\n".join(f"> {line}" for line in lines[:20])


def _doctor_notes(ctx: Context) -> list[str]:
    from pmops.setup.doctor import remote_findings

    return [
        f"doctor: {f.line()}"
        for f in remote_findings(ctx.api, ctx.default_branch, ctx.config)
        if not f.ok or f.note
    ]


def _write_results(inputs: ActionInputs, outcome: Outcome) -> None:
    values = {
        "pr-number": "" if outcome.pr_number is None else str(outcome.pr_number),
        "postmortem-path": outcome.postmortem_path or "",
        "status": outcome.status,
    }
    if inputs.output_path is not None:
        with inputs.output_path.open("a", encoding="utf-8") as handle:
            for key in OUTPUTS:
                handle.write(f"{key}={' '.join(values[key].split())}\n")
    if inputs.summary_path is not None:
        lines = [f"### pmops: {outcome.status}", "", _mask(outcome.message, inputs), ""]
        if outcome.pr_number is not None:
            lines.append(f"- Pull request: #{outcome.pr_number}")
        if outcome.postmortem_path:
            lines.append(f"- Postmortem: `{outcome.postmortem_path}`")
        lines += [f"- {_mask(note, inputs)}" for note in outcome.notes]
        summary = outbound_markdown("\n".join(lines), (f"{inputs.server_url}/{inputs.repository}",))
        with inputs.summary_path.open("a", encoding="utf-8") as handle:
            handle.write(summary.rstrip() + "\n")
