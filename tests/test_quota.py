"""Quota (DESIGN §5): counted from history — generate commits on every ref that matters,
postmortem files for squash merges — deduplicated by incident, in the month of the first
generate; the decision itself is pure."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from pmops.cli.action import quota
from pmops.lifecycle.quota import (
    Generation,
    count_quota,
    decide,
    month_start,
    next_month,
    parse_month,
)
from pmops.lifecycle.trailers import format_message, pmops_trailers

MARCH = datetime(2026, 3, 1, tzinfo=UTC)


def at(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 12, 0, tzinfo=UTC)


def test_decide_counts_first_generation_once() -> None:
    records = [Generation("1", at(2), "a"), Generation("1", at(9), "b"),
               Generation("2", at(20, 2), "c"), Generation("2", at(3), "d"),
               Generation("3", at(31), "e"), Generation("4", at(1, 4), "f")]
    use = decide(records, MARCH, "starter", 5)
    assert use.incidents == ("1", "3")
    assert use.used == 2 and use.remaining == 3
    assert use.resets_at == datetime(2026, 4, 1, tzinfo=UTC)


def test_allows_at_the_limit_only_incidents_already_counted() -> None:
    use = decide([Generation(str(i), at(i), "x") for i in range(1, 6)], MARCH, "starter", 5)
    assert not use.allows(6) and use.allows(3) and use.allows("3")
    assert not decide([], MARCH, "free", 0).allows(1)


def test_months() -> None:
    assert month_start(at(17)) == MARCH
    assert next_month(datetime(2026, 12, 1, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert parse_month("2026-03") == MARCH


class Repo:
    """A small repository with dated commits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.git("init", "-q", "-b", "main")
        self.commit("README.md", "x", "Initial", at(1, 1))

    def git(self, *args: str, when: datetime | None = None) -> str:
        env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(self.path), "PATH": "/usr/bin:/bin",
               "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "T",
               "GIT_COMMITTER_EMAIL": "t@x"}
        if when:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
        return subprocess.run(["git", "-C", str(self.path), *args], env=env, check=True,
                              capture_output=True, text=True).stdout

    def commit(self, path: str, text: str, message: str, when: datetime) -> str:
        (self.path / path).parent.mkdir(parents=True, exist_ok=True)
        (self.path / path).write_text(text)
        self.git("add", path)
        self.git("commit", "-q", "-m", message, when=when)
        return self.git("rev-parse", "HEAD").strip()


def generate_message(incident: int, first: datetime, event: str = "generate") -> str:
    return format_message(f"Draft postmortem for #{incident}", "",
                          pmops_trailers(incident, event, "deterministic", first))


def postmortem(incident: int, generated: datetime) -> str:
    return (f"---\nid: {incident}\ntitle: x\ngenerated_at: {generated:%Y-%m-%dT%H:%M:%SZ}\n"
            "---\n# x\n")


def test_count_from_history(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    # 7: first generated in February, redrafted in March: counts in February only.
    repo.commit("a.txt", "1", generate_message(7, at(27, 2)), at(27, 2))
    repo.commit("a.txt", "2", generate_message(7, at(27, 2)), at(2))
    # 8: generated in March on the default branch; regenerations never count again.
    repo.commit("b.txt", "1", generate_message(8, at(3)), at(3))
    repo.commit("b.txt", "2", generate_message(8, at(3), "regenerate"), at(4))
    # 9: squash-merged without trailers; its file says when it was first generated.
    repo.commit("postmortems/2026/2026-03-05-9-x.md", postmortem(9, at(5)), "Squash (#12)",
                at(8))
    repo.commit("postmortems/.drafts/2026/2026-03-05-9-x.md", postmortem(9, at(5)), "copy",
                at(8))
    # 10: only on a pmops branch; 11: only on a closed PR's head ref (branch deleted).
    main = repo.git("rev-parse", "HEAD").strip()
    repo.git("checkout", "-q", "-b", "pmops/incident-10")
    repo.commit("c.txt", "1", generate_message(10, at(9)), at(9))
    repo.git("checkout", "-q", "-b", "gone")
    repo.commit("d.txt", "1", generate_message(11, at(10)), at(10))
    repo.git("update-ref", "refs/pull/5/head", "HEAD")
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "gone")
    assert repo.git("rev-parse", "HEAD").strip() == main
    use = count_quota(tmp_path, "main", at(15), "starter", 5, "postmortems")
    assert use.incidents == ("8", "9", "10", "11")
    feb = count_quota(tmp_path, "main", at(15, 2), "starter", 5, "postmortems")
    assert feb.incidents == ("7",)


def test_cli_quota_json(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit("b.txt", "1", generate_message(8, at(3)), at(3))
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/pmops.yml").write_text("plan: starter\nmonthly_limit: 1\n")
    result = CliRunner().invoke(quota, ["--repo", str(tmp_path), "--month", "2026-03", "--json"],
                                catch_exceptions=False)
    data = json.loads(result.output)
    assert data == {"month": "2026-03", "plan": "starter", "limit": 1, "used": 1,
                    "remaining": 0, "incidents": ["8"], "resets_at": "2026-04-01T00:00:00Z"}
    text = CliRunner().invoke(quota, ["--repo", str(tmp_path), "--month", "2026-03"],
                              catch_exceptions=False)
    assert "1 of 1" in text.output and "#8" in text.output


def test_cli_quota_names_a_cli_incident_id_without_a_hash(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    message = format_message("Draft postmortem for INC-7", "",
                             pmops_trailers("INC-7", "generate", "deterministic", at(3)))
    repo.commit("b.txt", "1", message, at(3))
    repo.commit("c.txt", "1", generate_message(8, at(4)), at(4))
    text = CliRunner().invoke(quota, ["--repo", str(tmp_path), "--month", "2026-03"],
                              catch_exceptions=False)
    assert "incidents: #8, INC-7;" in text.output
