"""`pmops check` re-verifies what humans add (SHAs, PR/issue numbers) against the repository
and flags blaming wording, each with file:line and a deliberate way to accept (issue #20)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmops.cli.main import cli
from pmops.documents.blameless_check import find_blame
from pmops.documents.check import check_files
from pmops.documents.document import rewrite_frontmatter
from pmops.documents.render import parse_postmortem, render_postmortem
from pmops.draft.compose import drafts_path
from tests.blameless_corpus import BLAMELESS, BLAMING
from tests.github_fake import FakeGitHub
from tests.github_fake.server import DEFAULT_TOKEN
from tests.gitrepo import GitRepo
from tests.samples import NAME, sample_postmortem, sample_text

AT = datetime(2026, 3, 19, 12, 0, tzinfo=UTC)


def _repo(tmp_path: Path) -> tuple[GitRepo, str]:
    repo = GitRepo(tmp_path)
    base = repo.commit({"app.py": "x = 1\n"}, "Initial import", AT)
    repo.commit({"app.py": "x = 2\n"}, "Raise the pool size (#12)", AT)
    repo.commit({"app.py": "x = 3\n"}, "Guard the pool\n\nFixes #31", AT)
    return repo, base


def _write(repo: GitRepo, summary: str, **frontmatter: object) -> Path:
    text = sample_text().replace("Text of summary.", summary)
    if frontmatter:
        text = rewrite_frontmatter(text, frontmatter)
    path = repo.path / NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    drafts = repo.path / drafts_path(NAME)  # the AI draft: its claims were verified then
    drafts.parent.mkdir(parents=True, exist_ok=True)
    drafts.write_text(sample_text(), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_claims_humans_add_must_resolve(tmp_path: Path) -> None:
    repo, base = _repo(tmp_path)
    path = _write(repo, f"Caused by deadbee in PR #999; the fix was {base[:9]} (#12), see #31.")
    problems = [str(p) for p in check_files([path], repo.path, None)]
    line = _line_of(path, "deadbee")
    assert sorted(problems) == sorted(
        [
            f"{NAME}:{line}: commit deadbee is not in this repository; fix it, or add "
            '"deadbee" to accepted_claims to keep it deliberately',
            f"{NAME}:{line}: PR #999 is not a pull request or issue this repository's history "
            'names; fix it, or add "PR #999" to accepted_claims to keep it deliberately',
        ]
    )


def test_a_reviewer_accepts_a_claim_deliberately(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    path = _write(repo, "Caused by deadbee in PR #999.", accepted_claims=["deadbee", "PR #999"])
    assert check_files([path], repo.path, None) == []


def test_claims_already_in_the_ai_draft_are_not_checked_again(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)  # the sample's timeline names abc1234, unknown to this repo
    path = _write(repo, "Better summary.")
    assert "abc1234" in path.read_text(encoding="utf-8")
    assert check_files([path], repo.path, None) == []


def test_blaming_sentences_are_flagged_with_their_line(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    path = _write(repo, "Amy carelessly forgot the certificate. Bob should have caught it.")
    problems = check_files([path], repo.path, None)
    line = _line_of(path, "Amy carelessly")
    assert sorted((p.line, p.message.split("\u201d")[0]) for p in problems) == [
        (line, "\u201cBob should have"),
        (line, "\u201ccarelessly"),
    ]
    result = CliRunner().invoke(cli, ["check", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert f"{NAME}:{line}: \u201ccarelessly\u201d blames whoever it describes" in result.output


def test_a_reviewer_accepts_a_sentence_deliberately(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    path = _write(
        repo,
        "Bob should have caught it, he wrote in his own review.",
        accepted_wording=["he wrote in his own review"],
    )
    assert check_files([path], repo.path, None) == []


def test_blameless_corpus_has_no_false_positives_and_blaming_is_caught() -> None:
    assert [s for s in BLAMELESS if find_blame(s)] == []
    assert [s for s in BLAMING if not find_blame(s)] == []


def test_accepted_lists_survive_a_round_trip() -> None:
    pm = sample_postmortem(accepted_claims=("deadbee",), accepted_wording=("own review",))
    back = parse_postmortem(render_postmortem(pm), NAME)
    assert (back.accepted_claims, back.accepted_wording) == (("deadbee",), ("own review",))


def test_check_looks_numbers_up_on_github_with_a_token(
    tmp_path: Path, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pmops check --github`: a number the history does not name passes when GitHub has it,
    is flagged when GitHub answers 404, and is flagged as not checked when the token is
    refused (401); without the token in its variable the command says so."""
    repo, _ = _repo(tmp_path / "repo")
    fake_github.create_repo("acme", "shop", files={"README.md": "# shop\n"})
    issue = fake_github.create_issue("acme", "shop", "Pool alerts are noisy").number
    path = _write(repo, f"See #{issue} and PR #999, after #12.")
    line = _line_of(path, "PR #999")
    monkeypatch.chdir(repo.path)

    def check(token: str) -> tuple[int, str]:
        monkeypatch.setenv("PMOPS_TEST_TOKEN", token)
        args = ["check", "--github", "acme/shop", "--token-env", "PMOPS_TEST_TOKEN"]
        result = CliRunner().invoke(cli, [*args, "--api-url", fake_github.api_url])
        return result.exit_code, result.output

    fake_github.reset_log()
    code, output = check(DEFAULT_TOKEN)
    assert code == 1
    assert output.splitlines()[0] == (
        f"{NAME}:{line}: PR #999 is not a pull request or issue of this repository on GitHub "
        '(HTTP 404); fix it, or add "PR #999" to accepted_claims to keep it deliberately'
    )
    assert f"#{issue} " not in output  # found on GitHub; #12 is named by the history
    assert sorted(r.path for r in fake_github.requests) == [
        f"/repos/acme/shop/issues/{n}" for n in sorted((issue, 999))
    ]

    code, output = check("ghp_revoked")
    assert code == 1
    assert (
        f"{NAME}:{line}: #{issue} could not be checked on GitHub (HTTP 401: Bad credentials)"
        in output
    )
    assert "PR #999 could not be checked on GitHub (HTTP 401" in output

    code, output = check("")
    assert code != 0 and "--github needs a token in $PMOPS_TEST_TOKEN" in output
