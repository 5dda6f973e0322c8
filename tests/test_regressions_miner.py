"""The regression miner (bench/regressions): reverts with reasons on a real git repository,
culprit resolution in each message format, the lookback, and sanitization of every leak."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bench.regressions import run
from bench.regressions.cases import Case, load_cases, write_cases
from bench.regressions.evaluate import evaluate, incident_document
from bench.regressions.mine import main, merge_cases, mine_repository
from bench.regressions.reasons import extract_reason, find_refs, is_revert, is_squash_list
from bench.regressions.sanitize import Leaks, incident_title, sanitize_reason
from pmops.sources.incident_file import parse_incident
from tests.gitrepo import GitRepo, utc

T0 = utc(2026, 3, 20, 8, 0)
ALICE = "Alice Liddell <alice.liddell@example.org>"


def _revert_with(repo: GitRepo, sha: str, message: str, at, **kw) -> str:
    """Revert `sha` in the work tree and commit it with exactly `message`."""
    repo.git("revert", "--no-commit", sha)
    return repo.commit({}, message, at, **kw)


def _filler(repo: GitRepo, start, count: int, tag: str) -> None:
    for i in range(count):
        repo.commit(
            {f"misc/{tag}{i}.txt": f"{i}\n"},
            f"Tidy {tag} notes {i}",
            start + timedelta(minutes=3 * i),
        )


@pytest.fixture
def history(git_repo: GitRepo) -> dict[str, str]:
    """A history with one revert per message format, plus reverts that must not be cases."""
    repo = git_repo
    shas: dict[str, str] = {}
    repo.commit({"README.md": "hello\n"}, "Initial commit", T0 - timedelta(days=5))
    shas["old"] = repo.commit({"old/a.py": "x = 1\n"}, "Rework old parser", T0 - timedelta(days=3))
    _filler(repo, T0 - timedelta(hours=2), 6, "a")
    shas["gerrit"] = repo.commit(
        {"build/arm64.cfg": "flags = -O3\n"},
        "Enable LTO for arm64 builds\n\nTurns on thin LTO in the arm64 toolchain config.\n\n"
        "Change-Id: I0123456789abcdef0123456789abcdef01234567",
        T0,
        author=ALICE,
    )
    shas["pr"] = repo.commit(
        {"cache/layer.py": "CACHE = {}\n"}, "Add cache layer (#123)", T0 + timedelta(minutes=20)
    )
    shas["short"] = repo.commit(
        {"docs/conf.py": "theme = 'x'\n"}, "Switch docs theme", T0 + timedelta(minutes=40)
    )
    shas["silent"] = repo.commit(
        {"net/retry.py": "RETRIES = 5\n"}, "Raise retry count", T0 + timedelta(minutes=50)
    )
    shas["phab"] = repo.commit(
        {"parse/fast.py": "FAST = True\n"},
        "Speed up parser\n\nSummary: use a table.\n\nDifferential Revision: D12345",
        T0 + timedelta(minutes=55),
    )
    _filler(repo, T0 + timedelta(hours=1), 4, "b")
    at = T0 + timedelta(hours=2)
    shas["gerrit_revert"] = _revert_with(
        repo,
        shas["gerrit"],
        'Revert "Enable LTO for arm64 builds"\n\n'
        f"This reverts commit {shas['gerrit']}.\n\n"
        "Reason for revert: breaks the linux-arm64 builder\n\n"
        "Original change's description:\n> Enable LTO for arm64 builds\n>\n"
        "> Change-Id: I0123456789abcdef0123456789abcdef01234567\n\n"
        "Bug: 4242\nChange-Id: Ifedcba9876543210fedcba9876543210fedcba98",
        at,
        committed_at=at + timedelta(minutes=30),
    )
    shas["pr_revert"] = _revert_with(
        repo,
        shas["pr"],
        'Revert "Add cache layer (#123)" (#130)\n\nReverts o/r#123\n\n'
        "TestFoo times out on Windows since this landed.",
        at + timedelta(minutes=5),
    )
    shas["short_revert"] = _revert_with(
        repo,
        shas["short"],
        f'Revert "Switch docs theme"\n\nThis reverts commit {shas["short"][:9]} because it broke '
        "the docs build.",
        at + timedelta(minutes=10),
    )
    shas["silent_revert"] = repo.revert(shas["silent"], at + timedelta(minutes=15))
    shas["phab_revert"] = _revert_with(
        repo,
        shas["phab"],
        "Revert D12345: Speed up parser\n\nSummary:\nThis diff reverts D12345\n"
        "Crashes the nightly importer on empty input\n\nDepends on D12345\n\n"
        "Differential Revision: D12399",
        at + timedelta(minutes=20),
    )
    shas["old_revert"] = repo.revert(
        shas["old"], at + timedelta(minutes=25), "It corrupts cached parse trees."
    )
    return shas


def test_miner_finds_each_format_and_drops_the_rest(git_repo: GitRepo, history) -> None:
    report = mine_repository(git_repo.path, "o/r", "python")
    cases = {c.culprit: c for c in report.cases}
    assert set(cases) == {history[k] for k in ("gerrit", "pr", "short", "phab")}
    gerrit = cases[history["gerrit"]]
    assert gerrit.reason == "breaks the linux-arm64 builder"
    assert gerrit.format == "gerrit"
    assert gerrit.revert == history["gerrit_revert"]
    assert gerrit.base == git_repo.git("rev-parse", f"{history['gerrit_revert']}^").strip()
    assert gerrit.started_at == "2026-03-20T10:00:00Z"
    assert gerrit.resolved_at == "2026-03-20T10:30:00Z"
    assert gerrit.candidates >= 5
    assert cases[history["pr"]].reason == "TestFoo times out on Windows since this landed."
    assert cases[history["short"]].reason == "because it broke the docs build."
    assert cases[history["phab"]].reason == "Crashes the nightly importer on empty input"
    assert report.skipped["no reason"] == 1  # the silent revert
    assert report.skipped["culprit outside the lookback"] == 1  # the 3-day-old culprit


def test_cases_round_trip_and_make_valid_incident_files(tmp_path: Path, git_repo, history) -> None:
    cases = mine_repository(git_repo.path, "o/r").cases
    path = tmp_path / "cases.jsonl"
    assert write_cases(path, cases) == len(cases)
    assert load_cases(path) == sorted(cases, key=lambda c: (c.repo, c.started_at, c.revert))
    for number, case in enumerate(cases, 1):
        incident = parse_incident(incident_document(case, number)).incident
        assert incident.started_at.isoformat().startswith(case.started_at[:19])


def test_evaluator_ranks_cases_in_a_scratch_repo_without_later_refs(
    tmp_path: Path, git_repo: GitRepo, history
) -> None:
    clones = tmp_path / "clones"
    clones.mkdir()
    (clones / "o__r").symlink_to(git_repo.path)
    cases = mine_repository(git_repo.path, "o/r").cases
    outcomes = evaluate(cases, clones, min_candidates=1, progress=lambda _: None)
    assert len(outcomes) == len(cases)
    for outcome in outcomes:
        assert all(rank is not None for rank in outcome.ranks.values()), outcome
        assert outcome.ranks["recent"] <= outcome.candidates
    write_cases(tmp_path / "cases.jsonl", cases)
    figures = run(
        False,
        [
            "--clones",
            str(clones),
            "--cases",
            str(tmp_path / "cases.jsonl"),
            "--min-candidates",
            "1",
        ],
    )
    assert figures["cases"] == len(cases)
    assert set(figures["baselines"]) == {"recent", "lexical"}
    assert set(figures["per_repo"]["o/r"]) == {"cases", "top1", "top3", "mrr"}
    json.dumps(figures)


def test_merge_that_folds_the_culprit_counts_as_the_culprit(tmp_path: Path, git_repo) -> None:
    repo = git_repo
    repo.commit({"a.txt": "a\n"}, "Initial", T0)
    repo.branch("feature")
    repo.checkout("feature")
    culprit = repo.commit({"f.txt": "f\n"}, "Feature part 1", T0 + timedelta(minutes=10))
    repo.checkout("main")
    repo.commit({"b.txt": "b\n"}, "Main work", T0 + timedelta(minutes=20))
    merge = repo.merge("feature", "Merge pull request #7 from o/feature", T0 + timedelta(hours=1))
    base = repo.head()
    case = Case(
        "o/r",
        "x",
        "0" * 40,
        culprit,
        base,
        "2026-03-20T10:00:00Z",
        "2026-03-20T10:10:00Z",
        "feature breaks the build",
        3,
        "body",
    )
    clones = tmp_path / "clones"
    clones.mkdir()
    (clones / "o__r").symlink_to(repo.path)
    [outcome] = evaluate([case], clones, min_candidates=1, progress=lambda _: None)
    assert outcome.ranks["recent"] == 1  # the merge, newest, stands for the culprit
    assert merge == base


# ---------------------------------------------------------------- reason formats


@pytest.mark.parametrize(
    ("body", "reason", "fmt"),
    [
        (
            "This reverts commit abcdef1.\n\nReason for revert: flaky on mac\n\nChange-Id: I"
            + "a" * 40,
            "flaky on mac",
            "gerrit",
        ),
        (
            "Automated rollback of commit abcdef1.\n\n*** Reason for rollback ***\n\n"
            "Breaks tsan\n\n*** Original change description ***\n\nFoo",
            "Breaks tsan",
            "copybara",
        ),
        (
            "Reverts o/r#12\nInitiated by: bob\nReason for reverting: red tree on linux\n"
            "Original PR Author: carol",
            "red tree on linux",
            "gerrit",
        ),
        (
            "Reverted https://github.com/o/r/pull/5 on behalf of https://github.com/bob due to "
            "Broke trunk on ROCm ([comment](https://github.com/o/r/pull/5#issuecomment-1))",
            "Broke trunk on ROCm",
            "bot-due-to",
        ),
        (
            "This reverts commit abcdef1 because\nit doubles memory use.",
            "because\nit doubles memory use.",
            "git-revert",
        ),
        ("Reverts #99", "", "pr-body"),
        (
            "This reverts commit abcdef12, reversing\nchanges made to 1234567890.\n\n"
            "This broke Active Record.",
            "This broke Active Record.",
            "git-revert",
        ),
        ("This reverts commits r312465 and r312463, as they broke", "as they broke", "pr-body"),
        ("This reverts commit abcdef12 added in 1.2: slow", "added in 1.2: slow", "git-revert"),
        ('* Revert "Support scroll views (#12)"\n\n* Change files', "", "pr-body"),
        ("* Why\n* Name clash", "* Why\n* Name clash", "pr-body"),
        ("This reverts 63f1aa6c72 commit, it broke merges.", "it broke merges.", "pr-body"),
        (
            "Reason for revert: deadlocks\n\nThis reverts commit 1b15349e011a.",
            "deadlocks",
            "gerrit",
        ),
        (
            "Summary:\nThis diff is reverting D1\nD1: Fix it by Jane Roe has been identified to "
            "be causing the following test failure:\n\nTests affected:\n- a:b\n",
            "Causes the following test failure:\n\nTests affected:\n- a:b",
            "pr-body",
        ),
        (
            "This diff is reverting D12 (https://x.org/c/abc)\nD12 (https://x.org/c/abc) has been "
            "identified to be causing the following test failures:\n- a:b",
            "Causes the following test failures:\n- a:b",
            "pr-body",
        ),
        (
            "Summary: Reverting this, it affects many external tests.\n\nDifferential Revision: D5",
            "Reverting this, it affects many external tests.",
            "pr-body",
        ),
    ],
)
def test_extract_reason_formats(body: str, reason: str, fmt: str) -> None:
    assert extract_reason(body) == (reason, fmt)


def test_find_refs_reads_shas_prs_titles_and_diffs() -> None:
    refs = find_refs(
        'Revert "Add cache (#12)" (#14)', "Reverts o/r#12\nThis reverts commit ABCDEF12."
    )
    assert refs.shas == ("abcdef12",)
    assert ("o/r", 12) in refs.prs and ("", 12) in refs.prs
    assert refs.title == "Add cache"
    assert find_refs("Revert D7700: x", "").diffs == ("D7700",)
    assert find_refs("Revert 98cee8c92587a8e, it did not help", "").shas == ("98cee8c92587a8e",)
    assert find_refs("Reverting commit 98cee8c9: flaky", "").shas == ("98cee8c9",)
    assert find_refs("Revert deadline handling", "").shas == ()


# ---------------------------------------------------------------- sanitization

CULPRIT = "0f11f38d4743db98d4524a06d0f3522eee9347c6"
LEAKS = Leaks(
    shas=(CULPRIT,),
    title="Bump terraform-svchost to v0.2.0 (#38064)",
    description="Moves host discovery onto the shared retrying client so that every provider "
    "lookup honours the same timeout.\n\nSigned-off-by: Alice Liddell <alice.liddell@example.org>",
    people=("Alice Liddell", "alice.liddell@example.org", "Bob Stone", "bstone@example.com"),
    numbers=("38064",),
)
HUMAN = "breaks the linux-arm64 builder"


@pytest.mark.parametrize(
    ("planted", "gone"),
    [
        (f"since {CULPRIT}", CULPRIT[:7]),
        (f"since {CULPRIT[:10]}", CULPRIT[:7]),
        ("since deadbee1", "deadbee1"),
        ("see #38064", "38064"),
        ("see o/r#38064", "38064"),
        ("see https://github.com/o/r/pull/38064", "38064"),
        ("see https://github.com/o/r/commit/" + CULPRIT, "github"),
        ("Reviewed-on: https://review.example.org/c/proj/+/12345", "12345"),
        ("Change-Id: I0123456789abcdef0123456789abcdef01234567", "I0123456789"),
        ("in I0123456789abcdef0123456789abcdef01234567", "I0123456789"),
        ("in crrev.com/c/4567890 and CL 4567890", "4567890"),
        ("in D123456", "D123456"),
        ("landed as change 38064", "38064"),
        ("Bump terraform-svchost to v0.2.0", "svchost"),
        ('the "bump Terraform-Svchost to v0.2.0" change', "vchost"),
        ("because it moves host discovery onto the shared retrying client", "retrying"),
        ("Signed-off-by: Alice Liddell <alice.liddell@example.org>", "Alice"),
        ("Reviewed-by: Bob Stone <bstone@example.com>", "Bob"),
        ("Bug: 1234567", "1234567"),
        ("Alice Liddell says", "Alice"),
        ("Alice says", "Alice"),
        ("ping alice.liddell@example.org", "liddell"),
        ("ping bstone", "bstone"),
        ("cc @alice-l", "alice"),
        ("see llvm/llvm-project@d37fa5a838db", "d37fa5a"),
        ("> Bump terraform-svchost to v0.2.0\n> Signed-off-by: x", "svchost"),
    ],
)
def test_sanitize_removes_each_leak_and_keeps_the_reason(planted: str, gone: str) -> None:
    texts = [f"{HUMAN}\n{planted}", f"{planted}\n\n{HUMAN}"]
    if not re.match(r"[\w-]+:", planted):  # trailers stand on their own line
        texts.append(f"{HUMAN}, {planted}")
    for text in texts:
        clean = sanitize_reason(text, LEAKS)
        assert gone.lower() not in clean.lower(), (text, clean)
        assert HUMAN in clean, (text, clean)


def test_sanitize_keeps_ordinary_words_numbers_and_names_in_lower_case() -> None:
    text = "TestFoo times out on Windows after 300 s; we will retry with PKCS#8 keys"
    assert sanitize_reason(text, Leaks(people=("Will Smith",))) == text


def test_incident_title_is_one_short_line() -> None:
    title = incident_title("Breaks the arm64 builder. Also something else\nmore")
    assert title == "Breaks the arm64 builder."
    assert len(incident_title("word " * 40)) <= 84
    assert incident_title("") == "Regression"


def test_copybara_roll_forward_is_not_a_revert() -> None:
    assert not is_revert("Make foo faster", "Reverts abcdef1234\n\nPiperOrigin-RevId: 1")
    assert is_revert("Reverts abcdef1234", "PiperOrigin-RevId: 1")
    assert is_revert("Fix the cache", "This reverts commit abcdef1234 and fixes it properly.")
    assert not is_revert('Reland "Add cache"', "This reverts commit abcdef1234.")


def test_reverting_a_merge_hides_the_description_of_the_commits_it_brought_in(
    git_repo: GitRepo,
) -> None:
    repo = git_repo
    repo.commit({"a.txt": "a\n"}, "Initial", T0)
    repo.branch("feature")
    repo.checkout("feature")
    repo.commit(
        {"cache.py": "CACHE = {}\n"},
        "Add fancy cache\n\nIntroduces a write-through cache for every provider lookup request.",
        T0 + timedelta(minutes=10),
    )
    repo.checkout("main")
    merge = repo.merge("feature", "Merge pull request #7 from o/feature", T0 + timedelta(hours=1))
    repo.git("revert", "--no-commit", "-m", "1", merge)
    repo.commit(
        {},
        f'Revert "Merge pull request #7 from o/feature"\n\nThis reverts commit {merge}.\n\n'
        "It introduces a write-through cache for every provider lookup request, and login broke.",
        T0 + timedelta(hours=2),
    )
    [case] = mine_repository(repo.path, "o/r").cases
    assert case.culprit == merge
    assert "write-through" not in case.reason
    assert "login broke" in case.reason


def test_mirrored_back_outs_find_their_diff_when_the_quoted_sha_is_not_in_the_mirror(
    git_repo: GitRepo,
) -> None:
    """Exported Phabricator histories: `Back out "Title"` naming the diff on its own line, and
    `Revert D1: title` quoting an internal SHA; a back-out of a revert is a reland, not a case."""
    repo = git_repo
    repo.commit({"README.md": "hello\n"}, "Initial commit", T0 - timedelta(days=1))
    _filler(repo, T0 - timedelta(hours=2), 5, "a")
    touch = repo.commit(
        {"ui/touch.py": "TOUCH = 1\n"},
        "Remove touch handling from host units\n\nDifferential Revision: D61474707",
        T0,
    )
    cache = repo.commit(
        {"ui/cache.py": "CACHE = 1\n"},
        "Cache layouts\n\nDifferential Revision: D4663787",
        T0 + timedelta(minutes=5),
    )
    back_out = _revert_with(
        repo,
        touch,
        'Back out "Remove touch handling from host units"\n\nSummary:\n'
        "Original commit changeset: b4c5fcc98e28\n\nOriginal Phabricator Diff: D61474707\n\n"
        "Changes are breaking the lite app.\n\nDifferential Revision: D61663140",
        T0 + timedelta(hours=1),
    )
    _revert_with(
        repo,
        cache,
        "Revert D4663787: Cache layouts\n\nSummary: This reverts commit "
        "1a135cb92ef264c10b7c76b77aa57285eeffbd03\n\nScrolling stutters on low-end phones.\n\n"
        "Differential Revision: D4663799",
        T0 + timedelta(hours=1, minutes=5),
    )
    repo.git("revert", "--no-commit", back_out)
    repo.commit(
        {},
        'Back out "Revert D61663140: Back out "Remove touch handling from host units""\n\n'
        "Summary:\nOriginal Phabricator Diff: D61663140\n\nFixed the lite app.",
        T0 + timedelta(hours=2),
    )
    report = mine_repository(repo.path, "o/r")
    cases = {c.culprit: c for c in report.cases}
    assert set(cases) == {touch, cache}
    assert cases[touch].reason == "Changes are breaking the lite app."
    assert cases[cache].reason == "Scrolling stutters on low-end phones."
    assert not is_revert('Back out "Revert D1: Cache layouts"', "")


def test_keep_adds_only_new_cases_up_to_the_per_repository_limit(
    tmp_path: Path, git_repo: GitRepo, history
) -> None:
    clones = tmp_path / "clones"
    clones.mkdir()
    (clones / "o__r").symlink_to(git_repo.path)
    out = tmp_path / "cases.jsonl"
    found = mine_repository(git_repo.path, "o/r").cases
    first = replace(found[0], reason="reason written by an earlier miner")
    other = replace(found[0], repo="x/y", revert="f" * 40)
    write_cases(out, [first, other])
    assert main(["--clones", str(clones), "--repo", "o/r", "--out", str(out), "--keep"]) == 0
    cases = load_cases(out)
    assert first in cases and other in cases  # kept as they were
    assert sorted(c.revert for c in cases if c.repo == "o/r") == sorted(c.revert for c in found)
    assert len(merge_cases([first], found, limit=2)) == 2  # the newest new one fills the limit


def test_a_squash_list_is_no_reason_once_its_sign_offs_are_gone() -> None:
    body = '* Revert "Bump deps"\n\nSigned-off-by: Al Li <al@example.org>\n\n* regenerate'
    raw, _ = extract_reason(body)
    assert raw  # the sign-off hides the list until sanitizing
    assert is_squash_list(sanitize_reason(raw, Leaks()))
    assert not is_squash_list("* Why\n* The build broke on arm")
