"""Build a scenario into a real git repository and an incident file.

The history is written with one `git fast-import` stream per scenario (fixed identities and
dates, real two-parent merge commits as `git merge --no-ff` makes them), split only where a
commit message must quote an earlier commit's SHA. `tests.gitrepo.GitRepo` makes one porcelain
commit per call with a fixed committer; the suite needs GitHub as the committer of web merges
and builds ~600 commits, so it only borrows `run_git` (isolated git environment) from there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.gitrepo import run_git
from tests.scenarios.spec import Append, CommitSpec, FileEdit, Replace, Scenario

MAIN = "main"
CONFIG_PATH = ".github/pmops.yml"
_REF = re.compile(r"\{\{([\w.-]+)(?::(\d+))?\}\}")


class ScenarioError(ValueError):
    """A scenario's history cannot be built as written (missing key, conflicting edit)."""


@dataclass(frozen=True)
class BuiltScenario:
    """A built scenario: the repository, its incident file and the culprit's SHA."""

    repo: Path
    incident_file: Path
    culprit_sha: str
    scenario: Scenario
    shas: Mapping[str, str]
    """Commit key -> full SHA."""
    accepted_shas: frozenset[str]
    """The culprit, plus the commits of its pull request when the culprit is a merge commit."""

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name


def build_all(dest: Path, scenarios: Iterable[Scenario] | None = None) -> list[BuiltScenario]:
    """Build every scenario (default: the whole catalog) under `dest/<name>/`."""
    if scenarios is None:
        from tests.scenarios.catalog import SCENARIOS

        scenarios = SCENARIOS
    return [build_scenario(s, dest / s.name) for s in scenarios]


def build_scenario(scenario: Scenario, dest: Path) -> BuiltScenario:
    """Create `dest/repo` (a git repo, `main` checked out) and `dest/incident.yml`."""
    repo = dest / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", f"--initial-branch={MAIN}")
    writer = _HistoryWriter(repo)
    commits = list(scenario.commits)
    if scenario.config is not None:
        first = commits[0]
        commits[0] = _with_file(first, CONFIG_PATH, scenario.config)
    for spec in commits:
        writer.add(spec)
    shas = writer.finish()
    if scenario.culprit not in shas:
        raise ScenarioError(f"{scenario.name}: culprit {scenario.culprit!r} is no commit key")
    incident_file = dest / "incident.yml"
    _write_yaml(incident_file, _resolve(scenario.incident, shas))
    culprit = next(c for c in commits if c.key == scenario.culprit)
    accepted = {shas[culprit.key]}
    if culprit.merge_of:
        accepted |= {shas[c.key] for c in commits if c.branch == culprit.merge_of}
    return BuiltScenario(
        repo=repo,
        incident_file=incident_file,
        culprit_sha=shas[scenario.culprit],
        scenario=scenario,
        shas=shas,
        accepted_shas=frozenset(accepted),
    )


def culprit_rank(built: BuiltScenario, ranked_shas: Sequence[str]) -> int | None:
    """1-based rank of the first SHA naming the culprit (or its PR's commits), else None."""
    for rank, sha in enumerate(ranked_shas, 1):
        if any(a.startswith(sha.lower()) for a in built.accepted_shas):
            return rank
    return None


# ------------------------------------------------------------------ history


class _HistoryWriter:
    """Feeds commits to `git fast-import`, tracking each branch's tree in memory."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.marks_file = repo / ".git" / "scenario-marks"
        self.stream: list[bytes] = []
        self.marks: dict[str, int] = {}
        self.shas: dict[str, str] = {}
        self.trees: dict[str, dict[str, str]] = {}
        self.parent: dict[str, str | None] = {}
        self.heads: dict[str, str] = {}
        self.fork: dict[str, str] = {}
        self.branches: set[str] = set()

    def add(self, spec: CommitSpec) -> None:
        if spec.key in self.marks:
            raise ScenarioError(f"duplicate commit key {spec.key!r}")
        message = spec.message
        if any(m.group(1) not in self.shas for m in _REF.finditer(message)):
            self._flush()
        message = _substitute(message, self.shas)
        branch = spec.branch or MAIN
        if branch != MAIN and branch not in self.heads:
            self.fork[branch] = self.heads[MAIN]
            self.heads[branch] = self.heads[MAIN]
            self.branches.add(branch)
        parent = self.heads.get(branch)
        tree = dict(self.trees[parent]) if parent else {}
        merge_parent = None
        if spec.merge_of:
            merge_parent = self.heads[spec.merge_of]
            self._merge(tree, spec.merge_of, spec.key)
        if spec.reverts:
            self._revert(tree, spec.reverts, spec.key)
        for path, edit in spec.files.items():
            _apply(tree, path, edit, spec.key)
        old = self.trees[parent] if parent else {}
        self.marks[spec.key] = mark = len(self.marks) + 1
        self.trees[spec.key] = tree
        self.parent[spec.key] = parent
        self.heads[branch] = spec.key
        parent_mark = self.marks[parent] if parent else None
        merge_mark = self.marks[merge_parent] if merge_parent else None
        self.stream.append(
            _commit_command(spec, message, branch, mark, parent_mark, merge_mark, old, tree)
        )

    def finish(self) -> dict[str, str]:
        self._flush()
        for branch in sorted(self.branches):
            _git(self.repo, "update-ref", "-d", f"refs/heads/{branch}")
        _git(self.repo, "reset", "-q", "--hard", MAIN)
        self.marks_file.unlink()
        return dict(self.shas)

    def _merge(self, tree: dict[str, str], branch: str, key: str) -> None:
        base, theirs = self.trees[self.fork[branch]], self.trees[self.heads[branch]]
        for path in sorted(base.keys() | theirs.keys()):
            if base.get(path) == theirs.get(path):
                continue
            if tree.get(path) not in (base.get(path), theirs.get(path)):
                raise ScenarioError(f"{key}: merge of {branch} conflicts on {path}")
            _set(tree, path, theirs.get(path))

    def _revert(self, tree: dict[str, str], target: str, key: str) -> None:
        after = self.trees[target]
        before = self.trees[p] if (p := self.parent[target]) else {}
        for path in sorted(before.keys() | after.keys()):
            if before.get(path) == after.get(path):
                continue
            if tree.get(path) != after.get(path):
                raise ScenarioError(f"{key}: revert of {target} conflicts on {path}")
            _set(tree, path, before.get(path))

    def _flush(self) -> None:
        if not self.stream:
            return
        args = ["fast-import", "--quiet", "--force", "--done", f"--export-marks={self.marks_file}"]
        if self.marks_file.exists():
            args.append(f"--import-marks={self.marks_file}")
        _git(self.repo, *args, input=b"".join([*self.stream, b"done\n"]))
        self.stream.clear()
        by_mark = {m: k for k, m in self.marks.items()}
        for line in self.marks_file.read_text().splitlines():
            mark, sha = line.split()
            self.shas[by_mark[int(mark[1:])]] = sha


def _commit_command(
    spec: CommitSpec,
    message: str,
    branch: str,
    mark: int,
    parent: int | None,
    merge_parent: int | None,
    old: Mapping[str, str],
    new: Mapping[str, str],
) -> bytes:
    author_time = spec.authored_at or spec.at
    lines = [
        f"commit refs/heads/{branch}",
        f"mark :{mark}",
        f"author {spec.author} {_epoch(author_time)} +0000",
        f"committer {spec.committer or spec.author} {_epoch(spec.at)} +0000",
    ]
    body = message.rstrip("\n").encode() + b"\n"
    out = ("\n".join(lines) + f"\ndata {len(body)}\n").encode() + body
    if parent is not None:
        out += f"from :{parent}\n".encode()
    if merge_parent is not None:
        out += f"merge :{merge_parent}\n".encode()
    for path in sorted(old.keys() | new.keys()):
        if path not in new:
            out += f"D {path}\n".encode()
        elif old.get(path) != new[path]:
            data = new[path].encode()
            out += f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"
    return out + b"\n"


def _apply(tree: dict[str, str], path: str, edit: FileEdit, key: str) -> None:
    current = tree.get(path)
    if isinstance(edit, Append):
        _set(tree, path, (current or "") + edit.text)
    elif isinstance(edit, Replace):
        if current is None or current.count(edit.old) != 1:
            raise ScenarioError(f"{key}: {edit.old!r} is not in {path} exactly once")
        _set(tree, path, current.replace(edit.old, edit.new))
    else:
        _set(tree, path, edit)


def _set(tree: dict[str, str], path: str, content: str | None) -> None:
    if content is None:
        tree.pop(path, None)
    else:
        tree[path] = content


def _with_file(spec: CommitSpec, path: str, content: str) -> CommitSpec:
    files = {**spec.files, path: content}
    return CommitSpec(**{**spec.__dict__, "files": files})


# ------------------------------------------------------------------ incident file


def _substitute(text: str, shas: Mapping[str, str]) -> str:
    def sha(match: re.Match[str]) -> str:
        key, width = match.group(1), match.group(2)
        if key not in shas:
            raise ScenarioError(f"unknown commit key {key!r} in {text!r}")
        return shas[key][: int(width)] if width else shas[key]

    return _REF.sub(sha, text)


def _resolve(value: Any, shas: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _substitute(value, shas)
    if isinstance(value, Mapping):
        return {k: _resolve(v, shas) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_resolve(v, shas) for v in value]
    return value


def _write_yaml(path: Path, data: Any) -> None:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 100
    with path.open("w", encoding="utf-8") as stream:
        yaml.dump(data, stream)


def _epoch(at: str) -> int:
    return int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp())


def _git(repo: Path, *args: str, input: bytes | None = None) -> str:
    try:
        return run_git(repo, *args, input=input)
    except RuntimeError as error:
        raise ScenarioError(str(error)) from error
