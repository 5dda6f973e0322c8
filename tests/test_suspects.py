"""Suspect ranking: each signal moves a change up (or down) for the stated reason.

These tests pin the signals and their hand-set weights, so the learned ranker that ranks
incidents without deploy records is off here (tests/test_ranker.py tests it)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from pmops.analyze import learned
from pmops.analyze.ranker import Model
from pmops.analyze.suspects import WEIGHTS, rank_suspects, suspects_json
from pmops.model import Alert, Change, Deploy, Evidence, FileChange, Incident, Update, Window

START = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def hand_set_weights(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Rank with the signals' weights alone, as when pmops ships no learned model."""
    monkeypatch.setattr(learned, "shipped_model", lambda: Model.of({}))
    yield


END = START + timedelta(minutes=60)


def fake_sha(n: int) -> str:
    return hashlib.sha1(str(n).encode()).hexdigest()


def change(
    n: int,
    minutes_before: float,
    paths: tuple[str, ...] = ("src/app.py",),
    subject: str = "",
    **extra: object,
) -> Change:
    at = START - timedelta(minutes=minutes_before)
    sha = fake_sha(n)
    parent = (fake_sha(n - 1),) if n > 1 else ()
    return Change(
        sha=sha,
        subject=subject or f"change {n}",
        authored_at=at,
        committed_at=at,
        parents=parent,
        files=tuple(FileChange(p, 5, 1) for p in paths),
        **extra,
    )  # type: ignore[arg-type]


def evidence(changes: list[Change], **extra: object) -> Evidence:
    incident = Incident(
        id=1,
        title=str(extra.pop("title", "Errors")),
        started_at=START,
        resolved_at=END,
        services=tuple(extra.pop("services", ())),
    )  # type: ignore[arg-type]
    window = Window(START - timedelta(hours=24), START, END)
    return Evidence(incident=incident, window=window, changes=tuple(reversed(changes)), **extra)  # type: ignore[arg-type]


def top(ev: Evidence) -> str:
    return rank_suspects(ev)[0].sha


def test_recent_changes_rank_higher_all_else_equal() -> None:
    changes = [change(1, 600), change(2, 60), change(3, 5)]
    assert [s.sha for s in rank_suspects(evidence(changes))] == [c.sha for c in reversed(changes)]


def test_changes_after_the_start_are_not_suspects() -> None:
    changes = [change(1, 60), change(2, -10, subject="Fix the outage")]
    assert [s.sha for s in rank_suspects(evidence(changes))] == [changes[0].sha]


def test_empty_window_gives_no_suspects() -> None:
    assert rank_suspects(evidence([])) == ()
    assert rank_suspects(evidence([change(1, 60 * 30)])) == ()


def test_deploy_shortly_before_the_start() -> None:
    changes = [change(1, 300), change(2, 30)]
    deploys = (Deploy(at=START - timedelta(minutes=3), sha=changes[0].sha[:7]),)
    ranked = rank_suspects(evidence(changes, deploys=deploys))
    assert ranked[0].sha == changes[0].sha
    assert any("deployed to production 3 min before" in r for r in ranked[0].reasons)


def test_deploy_of_a_service_ships_only_its_code() -> None:
    changes = [change(1, 50, ("services/billing/app.py",)), change(2, 40, ("services/auth/x.py",))]
    deploys = (Deploy(at=START - timedelta(minutes=2), sha=changes[1].sha, service="billing"),)
    ranked = rank_suspects(evidence(changes, deploys=deploys))
    assert ranked[0].sha == changes[0].sha
    assert not any("deployed" in r for r in ranked[1].reasons)


def test_affected_service_paths() -> None:
    changes = [change(1, 60, ("services/auth/pool.py",)), change(2, 50, ("services/cart/x.py",))]
    ranked = rank_suspects(evidence(changes, services=("auth",)))
    assert ranked[0].sha == changes[0].sha
    assert any(r.startswith("touches auth") for r in ranked[0].reasons)
    assert any("only touches other services (cart)" in r for r in ranked[1].reasons)


def score_of(ev: Evidence, sha: str) -> tuple[float, tuple[str, ...]]:
    found = next(s for s in rank_suspects(ev, limit=None) if s.sha == sha)
    return found.score, found.reasons


def test_risky_file_kinds() -> None:
    plain = [change(1, 60, ("src/util.py",)), change(2, 55, ("src/app.py",))]
    base, _ = score_of(evidence(plain), plain[0].sha)
    for path in (
        "config/pool.yaml",
        "requirements.txt",
        "db/migrations/0042_add.sql",
        "flags/checkout.json",
        "terraform/main.tf",
        "CMakeLists.txt",
        "DEPS",
        ".gitmodules",
        "constraints.txt",
    ):
        risky = [change(1, 60, (path,)), plain[1]]
        score, reasons = score_of(evidence(risky), risky[0].sha)
        assert score > base, path
        assert any(r.startswith("changes ") for r in reasons), path
        assert not any("only touches docs" in r for r in reasons), path


def test_docs_and_tests_are_penalized() -> None:
    code = [change(1, 120, ("src/core.py",)), change(2, 2, ("src/other.py",))]
    docs = [code[0], change(2, 2, ("docs/a.md", "tests/test_a.py"))]
    with_code, _ = score_of(evidence(code), code[1].sha)
    with_docs, reasons = score_of(evidence(docs), docs[1].sha)
    assert with_docs < with_code
    assert any("only touches docs, tests or CI" in r for r in reasons)
    deployed = (Deploy(at=START - timedelta(minutes=1), sha=docs[1].sha),)
    assert top(evidence(docs, deploys=deployed)) == code[0].sha


def test_revert_during_the_incident() -> None:
    culprit = change(1, 300)
    decoy = change(2, 5)
    revert = change(3, -40, subject="Revert change 1", reverts=(culprit.sha,))
    ranked = rank_suspects(evidence([culprit, decoy, revert]))
    assert ranked[0].sha == culprit.sha
    assert any("reverted during the incident" in r for r in ranked[0].reasons)


def test_mention_by_short_sha_and_by_pr() -> None:
    a, b = change(1, 300), change(2, 5)
    updates = (Update(START + timedelta(minutes=5), f"looks like {a.sha[:8]} broke it"),)
    assert top(evidence([a, b], updates=updates)) == a.sha
    a = replace(change(1, 300), pr=4321)
    alerts = (Alert(START, "Errors", "since PR #4321 deployed"),)
    ranked = rank_suspects(evidence([a, b], alerts=alerts))
    assert ranked[0].sha == a.sha and ranked[0].pr == 4321
    assert "PR #4321 is named in the incident updates" in ranked[0].reasons


def test_incident_text_matches_diff_words_and_paths() -> None:
    a = replace(
        change(1, 600, ("src/render/vulkan_backend.cc",)),
        diff_words=frozenset({"vkcreateswapchain", "arm64"}),
    )
    others = [change(n, 600 - 10 * n, ("src/net/http.cc",)) for n in range(2, 5)]
    updates = (Update(START, "arm64 vulkan renderer broken: vkCreateSwapchain fails"),)
    ranked = rank_suspects(evidence([a, *others], updates=updates))
    assert ranked[0].sha == a.sha
    assert any(r.startswith("matches the incident text") for r in ranked[0].reasons)
    silent = rank_suspects(evidence([a, *others]))
    assert silent[0].sha != a.sha


def test_symptom_words_do_not_decide_the_text_match() -> None:
    """A report of the kind "broke the build, tests failing on main" says nothing about
    which change: a commit that fixes a test build on main must not outrank the one touching
    what the report names."""
    windows = change(1, 300, ("net/socket_windows.go",), subject="net: use overlapped sockets")
    generic = change(2, 30, ("build/main_test.go",), subject="Fix failing test build on main")
    text = "Reverting: this broke the build on main, tests failing on Windows"
    ranked = rank_suspects(evidence([windows, generic], title=text))
    assert ranked[0].sha == windows.sha
    assert any("(window" in r for r in ranked[0].reasons)
    assert not any("matches the incident text" in r for r in ranked[1].reasons)


def test_platform_names_match_in_any_spelling() -> None:
    """A report says "Mac" and "Windows"; the changes say darwin and win32."""
    mac = change(1, 300, ("net/tun_darwin.go",), subject="tun: new utun setup")
    win = change(2, 200, ("net/wintun.go",), subject="tun: use the win32 event API")
    others = [change(n, 100 - n, ("net/tun_linux.go",)) for n in range(3, 6)]
    assert top(evidence([mac, win, *others], title="The VPN does not start on macOS")) == mac.sha
    assert top(evidence([mac, win, *others], title="Windows clients hang")) == win.sha


def test_platform_with_digits_tells_arm64_from_arm() -> None:
    """A "linux-arm64 builder" is arm64, not 32-bit arm; "Win10 Tests" is Windows."""
    arm = change(1, 300, ("runtime/asm_arm.s",), subject="runtime: faster memmove")
    arm64 = change(2, 400, ("runtime/asm_arm64.s",), subject="runtime: faster memclr")
    win = change(3, 500, ("net/fd_windows.go",), subject="net: poll descriptor")
    others = [change(n, 100 - n, ("net/http/server.go",)) for n in range(4, 7)]
    changes = [arm, arm64, win, *others]
    assert top(evidence(changes, title="breaks the linux-arm64-longtest builder")) == arm64.sha
    assert top(evidence(changes, title="breaks the linux-arm builder")) == arm.sha
    assert top(evidence(changes, title="Fails on Win10 Tests x64")) == win.sha


def test_links_count_by_their_path_not_their_host() -> None:
    """A CI link names the builder in its path, percent-encoded; the host (`crbug.com`) and
    the query string would match every change that mentions the same site."""
    mac = change(1, 300, ("ui/views/cocoa/bridge_mac.mm",), subject="Views: new bridge")
    todo = replace(
        change(2, 30, ("ui/views/widget.cc",), subject="Widget: tidy"),
        diff_words=frozenset({"crbug", "com", "component"}),
    )
    others = [change(n, 100 - n, ("net/dns/host_resolver.cc",)) for n in range(3, 6)]
    text = (
        "Suspected to cause failures on "
        "https://ci.chromium.org/ui/p/chromium/builders/ci/Mac%20Builder/12345 "
        "(see crbug.com/1234567, https://issues.example.com/createIssue?component=99)"
    )
    ranked = rank_suspects(evidence([mac, todo, *others], title=text))
    assert ranked[0].sha == mac.sha
    assert not any("matches the incident text" in r for r in ranked[1].reasons)


def test_culprit_finder_boilerplate_does_not_match() -> None:
    """An automated revert's wording ("potential culprit ... verifying before submission")
    names no part of the code: a change about culprit submission must not win by it."""
    words_only = change(
        1, 30, ("tools/culprit/submission.py",), subject="Potential culprits: tidy the list"
    )
    older = change(2, 300, ("libc/bionic/malloc.cpp",), subject="malloc: new arena")
    others = [change(n, 100 - n, ("docs/readme.md",)) for n in range(3, 6)]
    text = "Potential culprit for Bug 315240955, identified by the bisection; before submission."
    ranked = rank_suspects(evidence([words_only, older, *others], title=text))
    assert not any(r.startswith("matches the incident text") for s in ranked for r in s.reasons)


def test_fix_touching_the_same_files() -> None:
    a, b = change(1, 300, ("src/cache.py",)), change(2, 10, ("src/other.py",))
    fix = change(3, -20, ("src/cache.py",), subject="Fix cache eviction")
    ranked = rank_suspects(evidence([a, b, fix]))
    assert ranked[0].sha == a.sha
    assert any("touched the same file" in r for r in ranked[0].reasons)


def test_merge_is_folded_with_its_branch_commits() -> None:
    base = change(1, 600)
    branch = replace(change(2, 500, ("src/pool.py",)), parents=(base.sha,))
    at = START - timedelta(minutes=20)
    merge = Change(
        sha=fake_sha(3),
        subject="Merge pull request #77 from x/pool",
        authored_at=at,
        committed_at=at,
        parents=(base.sha, branch.sha),
        files=branch.files,
        pr=77,
    )
    ranked = rank_suspects(evidence([base, branch, merge]))
    assert [s.sha for s in ranked] == [merge.sha, base.sha]
    assert ranked[0].pr == 77
    assert any("landed 20 min before" in r for r in ranked[0].reasons)


def test_scores_are_bounded_and_ranking_is_deterministic() -> None:
    changes = [change(i, 10 * i) for i in range(1, 30)]
    first = rank_suspects(evidence(changes))
    assert first == rank_suspects(evidence(list(changes)))
    assert all(0 <= s.score <= 1 for s in first)
    assert [s.score for s in first] == sorted((s.score for s in first), reverse=True)


def test_weights_are_documented_in_one_place() -> None:
    assert {
        "mention",
        "revert",
        "deploy",
        "text",
        "time",
        "service",
        "risky",
        "size",
        "noise",
    } <= set(WEIGHTS)


def test_json_shape() -> None:
    (item,) = suspects_json(rank_suspects(evidence([change(1, 5)])))
    assert set(item) >= {"sha", "score", "reasons"}
    assert len(item["sha"]) == 40 and isinstance(item["score"], float)


def test_a_change_ruled_out_in_the_updates_drops() -> None:
    a, b = change(1, 30), change(2, 300)
    updates = (Update(START + timedelta(minutes=9), f"reverting {a.sha[:7]} did not help"),)
    ranked = rank_suspects(evidence([b, a], updates=updates))
    assert ranked[0].sha == b.sha
    assert any("ruled out" in r for r in ranked[1].reasons)


def test_changes_absent_from_the_production_deploys_were_not_live() -> None:
    shipped, later = change(1, 120), change(2, 10)
    deploys = (Deploy(at=START - timedelta(minutes=60), sha=shipped.sha),)
    ranked = rank_suspects(evidence([shipped, later], deploys=deploys))
    assert ranked[0].sha == shipped.sha
    assert any("not in any production deploy" in r for r in ranked[1].reasons)


def test_staging_deploys_do_not_make_a_change_live() -> None:
    prod, staged = change(1, 120), change(2, 10)
    deploys = (
        Deploy(at=START - timedelta(minutes=60), sha=prod.sha),
        Deploy(at=START - timedelta(minutes=5), sha=staged.sha, environment="staging"),
    )
    assert top(evidence([prod, staged], deploys=deploys)) == prod.sha


def test_feature_flags_reach_production_without_a_deploy() -> None:
    shipped, flag = change(1, 300), change(2, 20, ("flags/production.json",))
    deploys = (Deploy(at=START - timedelta(minutes=280), sha=shipped.sha),)
    ranked = rank_suspects(evidence([shipped, flag], deploys=deploys))
    assert ranked[0].sha == flag.sha
    assert not any("not in any production deploy" in r for r in ranked[0].reasons)


def test_schedule_changes_keep_their_time_value() -> None:
    cron = change(1, 19 * 60, ("ops/cron/jobs.yaml",))
    old = change(2, 19 * 60 + 5, ("ops/app.yaml",))
    ranked = {s.sha: s for s in rank_suspects(evidence([old, cron]))}
    assert ranked[cron.sha].score > ranked[old.sha].score


def test_api_break_errors_point_at_dependency_changes() -> None:
    dep = change(1, 300, ("package-lock.json",), subject="Bump date-fns from 2.30.0 to 3.6.0")
    code = change(2, 30, ("src/checkout.js",))
    updates = (Update(START, "TypeError: format is not a function"),)
    ranked = rank_suspects(evidence([dep, code], updates=updates))
    assert ranked[0].sha == dep.sha
    assert any("major version upgrade" in r for r in ranked[0].reasons)
    assert any("changed library API" in r for r in ranked[0].reasons)


def test_ci_files_are_not_noise_when_the_incident_is_about_ci() -> None:
    ci = change(1, 120, (".github/workflows/release.yml",), subject="Build arm64 on arm runners")
    code = change(2, 60, ("src/util.go",))
    assert top(evidence([ci, code], title="arm64 release builder broken")) == ci.sha
    assert top(evidence([ci, code], title="checkout errors")) == code.sha


def test_alert_services_count_as_affected() -> None:
    mine = change(1, 100, ("workers/fulfillment/consumer.yaml",))
    other = change(2, 20, ("workers/notifications/consumer.yaml",))
    alerts = (Alert(START, "Lag", "group=fulfillment lag", service="fulfillment"),)
    assert top(evidence([mine, other], alerts=alerts)) == mine.sha
