"""The search index: parsing, extraction, updates, ranking, query safety, similar incidents."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmops.cli.history import parse_since, search_command
from pmops.cli.main import PmopsGroup
from pmops.documents.check import find_postmortems
from pmops.documents.render import parse_postmortem, render_postmortem
from pmops.errors import InputError
from pmops.history import search_fields
from pmops.history.search import SCHEMA_VERSION, SearchIndex, cache_path, open_index
from pmops.history.search_fields import (
    count_done,
    extract_errors,
    extract_paths,
    fts_query,
    load_postmortem,
    scan_postmortems,
)
from pmops.history.similar import (
    SimilarIncident,
    SimilarResult,
    format_similar,
    similar_in,
)
from pmops.history.step import find_similar
from pmops.model import Severity
from tests.corpus import THEMES, Corpus, make_postmortem, write_corpus, write_postmortem
from tests.github_render import to_html
from tests.samples import BILLION_LAUGHS

CORPUS_SIZE = 300


@pytest.fixture(autouse=True)
def _cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("corpus")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return write_corpus(root, CORPUS_SIZE)


@pytest.fixture(scope="module")
def index(corpus: Corpus) -> SearchIndex:
    idx = SearchIndex(corpus.root)
    idx.update()
    return idx


def _copy(corpus: Corpus, target: Path, n: int = 40) -> list[Path]:
    """A small repository with the first `n` postmortems of the corpus."""
    files = []
    for doc in corpus.docs[:n]:
        dest = target / doc.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus.root / doc.path, dest)
        files.append(dest)
    return files


# ---------------------------------------------------------------- reading and extraction


def test_fast_loader_reads_exactly_what_the_reference_parser_reads(corpus: Corpus) -> None:
    for doc in corpus.docs[:40]:
        data = (corpus.root / doc.path).read_bytes()
        assert load_postmortem(data, doc.path) == parse_postmortem(data.decode(), doc.path)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("duration_minutes: ", "duration_minutes: 0"),  # octal in YAML 1.1, decimal in 1.2
        ("published_by: bob", "published_by: yes"),  # a bool in YAML 1.1, a string in 1.2
        ("model: deterministic", "model: on"),
    ],
)
def test_fast_loader_defers_to_the_reference_on_yaml_11_values(
    corpus: Corpus, old: str, new: str
) -> None:
    doc = next(d for d in corpus.docs if d.postmortem.published_by == "bob")
    text = (corpus.root / doc.path).read_text().replace(old, new, 1)
    assert load_postmortem(text.encode(), "x.md") == parse_postmortem(text, "x.md")


def test_fast_loader_refuses_yaml_aliases_and_deep_nesting() -> None:
    """libyaml would read the billion strings; the reference parser refuses the file."""
    with pytest.raises(InputError, match=r"x.md:3: YAML aliases \(\*a0\) are not allowed"):
        load_postmortem(BILLION_LAUGHS, "x.md")
    deep = b"---\nid: " + b"[" * 3000 + b"]" * 3000 + b"\ntitle: x\n---\n## Summary\n"
    with pytest.raises(InputError, match="x.md:1: YAML nested too deeply"):
        load_postmortem(deep, "x.md")


def test_error_messages_come_from_log_and_alert_lines_and_backticks() -> None:
    sections = {
        "Timeline": "\n".join(
            [
                "- `2026-03-20T14:23:00Z` alert: HighErrorRate fired for api",
                "- 2026-03-20T14:24:00Z [log] upstream connect error",
                "- `2026-03-20T14:25:00Z` **logs** `x509: certificate has expired`",
                "- `2026-03-20T14:26:00Z` deploy: api deployed `abc1234`",
                "- `2026-03-20T14:27:00Z` (metric) p99 above 2s",
            ]
        ),
        "Root cause": "The pool hit `max_client_conn` at `2026-03-20T14:23:00Z` (`42`).",
    }
    assert extract_errors(sections) == (
        "HighErrorRate fired for api",
        "upstream connect error",
        "x509: certificate has expired",
        "max_client_conn",
    )


def test_paths_come_from_suspects_and_file_names_in_the_body(corpus: Corpus) -> None:
    pm = corpus.docs[0].postmortem
    suspect = replace(pm.suspects[0], reasons=("touches auth-service/config",), subject="Fix")
    sections = dict(pm.sections)
    sections["Root cause"] = (
        "See services/auth/db/pool.py and `deploy/values.yaml`; not https://x.io/a/b.py, "
        "nor i/o or and/or."
    )
    pm = replace(pm, suspects=(suspect,), sections=sections)
    paths = extract_paths(pm)
    assert paths[:3] == ("auth-service/config", "services/auth/db/pool.py", "deploy/values.yaml")
    assert not any("x.io" in p or p in ("i/o", "and/or") for p in paths)


def test_done_action_items_are_ticked_by_title_or_issue(corpus: Corpus) -> None:
    pm = next(d.postmortem for d in corpus.docs if len(d.postmortem.action_items) >= 2)
    first, second = pm.action_items[:2]
    sections = dict(pm.sections)
    sections["Action items"] = f"- [x] {first.title.upper()}\n- [ ] {second.title}"
    assert count_done(replace(pm, sections=sections)) == 1
    ref = f"#{second.issue}" if second.issue else second.title
    sections["Action items"] = f"- [X] tracked in {ref}\n- [ ] {first.title}"
    assert count_done(replace(pm, sections=sections)) == 1


# ---------------------------------------------------------------- index


def test_scan_finds_what_find_postmortems_finds(tmp_path: Path) -> None:
    write_corpus(tmp_path, 30, drafts=True)
    (tmp_path / "postmortems" / "README.md").write_text("index")
    (tmp_path / "postmortems" / "2024" / "readme.MD").write_text("x")
    (tmp_path / "postmortems" / "2024" / "notes.txt").write_text("x")
    nested = tmp_path / "postmortems" / "2024" / ".drafts" / "x.md"
    nested.parent.mkdir()
    nested.write_text("x")
    expected = {p.relative_to(tmp_path).as_posix(): str(p) for p in find_postmortems(tmp_path)}
    assert scan_postmortems(tmp_path, "postmortems") == expected
    assert len(expected) == 30


def test_cache_lives_in_the_git_dir_or_the_user_cache(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert cache_path(repo) == repo / ".git" / "pmops" / "search.sqlite3"
    plain = tmp_path / "plain"
    plain.mkdir()
    path = cache_path(plain)
    assert path.parent == tmp_path / "cache" / "pmops" and path.suffix == ".sqlite3"
    assert cache_path(plain) == path != cache_path(repo)


def test_index_is_never_tracked(corpus: Corpus, index: SearchIndex) -> None:
    assert index.db_path.is_relative_to(corpus.root / ".git")
    status = subprocess.run(
        ["git", "-C", str(corpus.root), "status", "--porcelain", "--ignored"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "pmops" not in status.replace("postmortems", "")


def test_relevance_recall_at_5(corpus: Corpus, index: SearchIndex) -> None:
    recalls = []
    for query in corpus.queries:
        if not query.relevant:
            continue
        found = [h.record.path for h in index.search(query.text, limit=5)]
        recalls.append(len(set(found) & query.relevant) / min(5, len(query.relevant)))
    assert len(recalls) >= 18
    assert sum(recalls) / len(recalls) >= 0.9


def test_hits_carry_facts_and_a_highlighted_snippet(index: SearchIndex) -> None:
    hits = index.search("x509 certificate", limit=3)
    assert hits and hits == sorted(hits, key=lambda h: -h.score)
    top = hits[0]
    assert "certificate" in top.record.title.lower()
    assert "**x509**" in top.snippet or "**certificate**" in top.snippet
    assert top.record.severity in {s.value for s in Severity}


def test_filters_by_service_severity_and_date(corpus: Corpus, index: SearchIndex) -> None:
    since = datetime(2024, 7, 1, tzinfo=UTC)
    hits = index.search(
        "deployed",
        services=["Payments", "ledger"],
        severity=Severity.SEV3,
        since=since,
        limit=CORPUS_SIZE,
    )
    expected = {
        d.path
        for d in corpus.docs
        if {"payments", "ledger"} & set(d.services)
        and d.severity is Severity.SEV3
        and d.started_at >= since
    }
    assert expected and {h.record.path for h in hits} == expected


def test_incremental_update_follows_changes_and_skips_broken_files(
    corpus: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _copy(corpus, tmp_path)
    db = tmp_path / "index.sqlite3"
    with SearchIndex(tmp_path, db) as idx:
        assert idx.update().added == 40
        pm = parse_postmortem(files[0].read_text())
        files[0].write_text(render_postmortem(replace(pm, title="Zeppelin outage in orbit")))
        files[1].unlink()
        broken = files[2].parent / "2020-01-01-1-broken.md"
        broken.write_text("---\ntitle: [unclosed\n---\n# x\n")
        report = idx.update()
        assert (report.added, report.changed, report.removed, report.unchanged) == (0, 1, 1, 38)
        assert len(report.skipped) == 1 and "broken.md" in report.skipped[0]
        assert "warning" in capsys.readouterr().err
        assert [h.record.title for h in idx.search("zeppelin")] == ["Zeppelin outage in orbit"]
        files[3].touch()  # same content, new mtime: re-hashed, not re-indexed
        assert idx.update().unchanged == 39
        assert idx.update([files[0]]).unchanged == 1


def test_rebuild_from_scratch_gives_the_same_results(corpus: Corpus, tmp_path: Path) -> None:
    files = _copy(corpus, tmp_path, 80)
    queries = [q.text for q in corpus.queries] + ["timeout", "deploy rollback"]
    with SearchIndex(tmp_path, tmp_path / "a.sqlite3") as idx:
        idx.update()
        for path in files[::7]:  # churn: change, then change back
            text = path.read_text()
            path.write_text(text.replace("## Summary", "## Summary\n\nExtra."))
            idx.update()
            path.write_text(text)
            idx.update()
        incremental = [idx.search(q, limit=8) for q in queries]
        records = idx.records()
    with SearchIndex(tmp_path, tmp_path / "b.sqlite3") as fresh:
        fresh.rebuild()
        assert [fresh.search(q, limit=8) for q in queries] == incremental
        assert fresh.records() == records


def test_parallel_build_gives_the_same_index(
    corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy(corpus, tmp_path, 30)
    with SearchIndex(tmp_path, tmp_path / "a.sqlite3") as idx:
        idx.update()
        sequential = idx.records(), idx.search("connection pool", limit=10)
    monkeypatch.setattr(search_fields, "PARALLEL_FROM", 10)
    monkeypatch.setattr(search_fields.os, "cpu_count", lambda: 2)
    with SearchIndex(tmp_path, tmp_path / "b.sqlite3") as idx:
        assert idx.update().added == 30
        assert (idx.records(), idx.search("connection pool", limit=10)) == sequential


@pytest.mark.parametrize("damage", ["not a database", "damaged pages"])
def test_corrupt_cache_is_rebuilt_with_a_note(
    corpus: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    _copy(corpus, tmp_path, 10)
    db = tmp_path / "index.sqlite3"
    if damage == "not a database":
        db.write_bytes(b"this is not a database" * 100)
    else:
        open_index(tmp_path, db_path=db).close()
        data = bytearray(db.read_bytes())
        for offset in range(8192, len(data), 4096):  # leave the header and first pages intact
            data[offset + 100 : offset + 400] = random.Random(offset).randbytes(300)
        db.write_bytes(bytes(data))
    with open_index(tmp_path, db_path=db) as idx:
        assert len(idx) == 10 and idx.search("the") and len(idx.records()) == 10
    assert "rebuilding" in capsys.readouterr().err


def test_schema_version_mismatch_rebuilds(corpus: Corpus, tmp_path: Path) -> None:
    _copy(corpus, tmp_path, 5)
    db = tmp_path / "index.sqlite3"
    with open_index(tmp_path, db_path=db) as idx:
        idx.conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'version'", (str(SCHEMA_VERSION + 1),)
        )
        idx.conn.execute("DELETE FROM docs")
        idx.conn.commit()
    with open_index(tmp_path, db_path=db) as idx:
        assert len(idx) == 5


NASTY = [
    '"',
    '"unbalanced',
    "a*",
    "*",
    "AND",
    "OR NOT",
    "-",
    "a:b",
    "title:x",
    "(",
    ")",
    "NEAR(a b)",
    '""',
    "^a",
    "{a b}",
    "a + b",
    "\\",
    "'",
    "\x00",
    "ß ﬁ 東京",
]


@pytest.mark.parametrize("query", NASTY)
def test_query_syntax_is_always_escaped(index: SearchIndex, query: str) -> None:
    assert isinstance(index.search(query), list)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_any_text_is_a_safe_query(index: SearchIndex, text: str) -> None:
    hits = index.search(text, limit=3)
    assert len(hits) <= 3
    if not fts_query(text):
        assert hits == []


def test_phrases_and_prefixes(index: SearchIndex) -> None:
    assert fts_query('"pool exhausted" conn* AND') == '"pool exhausted" AND "conn"* AND "and"'
    assert index.search("pgbounc*")
    assert all("pgbouncer" in h.snippet.lower() for h in index.search('"max client"', limit=3))


# ---------------------------------------------------------------- CLI


def _group() -> PmopsGroup:
    return PmopsGroup(commands=[search_command])


def test_search_cli_json(corpus: Corpus) -> None:
    result = CliRunner().invoke(
        _group(),
        ["search", "kafka consumer lag", "--repo", str(corpus.root), "--json", "--limit", "2"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    hits = json.loads(result.stdout)
    assert len(hits) == 2
    assert set(hits[0]) >= {"id", "title", "date", "severity", "status", "path", "snippet"}
    assert (corpus.root / hits[0]["path"]).is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--since", "last tuesday"], "--since"), (["--severity", "SEV-9"], "--severity")],
)
def test_search_cli_rejects_bad_input(corpus: Corpus, args: list[str], message: str) -> None:
    result = CliRunner().invoke(
        _group(), ["search", "x", "--repo", str(corpus.root), *args], catch_exceptions=False
    )
    assert result.exit_code == 2 and message in result.stderr


def test_since_accepts_dates_times_and_days() -> None:
    now = datetime(2026, 3, 20, tzinfo=UTC)
    assert parse_since("2026-01-02") == datetime(2026, 1, 2, tzinfo=UTC)
    assert parse_since("2026-01-02T03:04:00+01:00") == datetime(2026, 1, 2, 2, 4, tzinfo=UTC)
    assert parse_since("90d", now) == now - timedelta(days=90)


# ---------------------------------------------------------------- similar incidents


def test_similar_incidents_share_cause_and_service(corpus: Corpus, index: SearchIndex) -> None:
    doc = next(d for d in corpus.docs if d.theme == "pool" and d.variant == "slowquery")
    pm = doc.postmortem
    result = similar_in(
        index,
        services=pm.impact.affected_services[:1],
        paths=[pm.suspects[0].reasons[0][8:]],
        text=pm.title,
        errors=["could not obtain connection from pool within 1234ms"],
        exclude_id=pm.id,
    )
    assert result.incidents and all(i.id != pm.id for i in result.incidents)
    best = result.incidents[0]
    assert any(r.startswith("same error") for r in best.reasons)
    assert any(r.startswith("same file") for r in best.reasons)
    by_path = {d.path: d for d in corpus.docs}
    assert all(by_path[i.path].theme == "pool" for i in result.incidents)


def _recurrence_repo(root: Path) -> None:
    rng = random.Random(3)
    pool = next(t for t in THEMES if t.key == "pool")
    disk = next(t for t in THEMES if t.key == "disk")
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    cases = [
        (1, pool, "auth-service", -20),  # in the window
        (2, pool, "auth-service", -75),  # in the window
        (3, pool, "auth-service", -200),  # too old
        (4, pool, "payments", -10),  # other service
        (5, disk, "auth-service", -5),  # other cause
    ]
    for number, theme, service, days in cases:
        variant = theme.variants[0]
        pm = make_postmortem(
            rng, number, theme, variant, (service,), Severity.SEV2, start + timedelta(days=days)
        )
        write_postmortem(root, pm)


def test_recurrence_names_the_service_and_phrase(tmp_path: Path) -> None:
    _recurrence_repo(tmp_path)
    result = find_similar(
        tmp_path,
        services=["auth-service"],
        paths=["auth/db/pool.py"],
        text="auth-service connection pool exhausted; logins time out",
        errors=[],
        now=datetime(2026, 3, 1, 12, tzinfo=UTC),
    )
    rec = result.recurrence
    assert rec is not None
    assert rec.sentence == "third incident touching auth-service connection pool in 90 days"
    assert [i.id for i in rec.incidents] == [2, 1]
    lines = format_similar(result, from_path="postmortems/2026/2026-03-01-9-new.md")
    assert lines[0].startswith("- **Recurrence:** third incident touching auth-service")
    assert "](../2025/" in lines[0] or "](2026-" in lines[0]
    assert {i.id for i in result.incidents} >= {1, 2, 3}


def test_recurrence_phrase_is_a_cause_not_the_service_name(tmp_path: Path) -> None:
    rng = random.Random(5)
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for number, key in enumerate(["pool", "pool", "disk", "disk", "dns"], start=1):
        theme = next(t for t in THEMES if t.key == key)
        pm = make_postmortem(
            rng,
            number,
            theme,
            theme.variants[0],
            ("search-api",),
            Severity.SEV3,
            start - timedelta(days=3 * number),
        )
        write_postmortem(tmp_path, pm)
    result = find_similar(
        tmp_path,
        services=["search-api"],
        paths=[],
        errors=[],
        now=start,
        text="search-api connection pool exhausted by slow queries",
    )
    assert result.recurrence is not None
    assert result.recurrence.sentence == (
        "third incident touching search-api connection pool in 90 days"
    )


def test_no_recurrence_without_a_shared_phrase(tmp_path: Path) -> None:
    _recurrence_repo(tmp_path)
    result = find_similar(
        tmp_path,
        services=["auth-service"],
        paths=[],
        text="Zeppelin landing gear stuck",
        errors=[],
        now=datetime(2026, 3, 1, 12, tzinfo=UTC),
    )
    assert result.recurrence is None
    absolute = format_similar(result, link_base="https://github.com/o/r/blob/main/")
    assert all("https://github.com/o/r/blob/main/postmortems/" in line for line in absolute)


def test_corrupt_index_never_raises_from_find_similar(tmp_path: Path) -> None:
    _recurrence_repo(tmp_path)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    db = cache_path(tmp_path)
    db.parent.mkdir(parents=True)
    db.write_bytes(b"\0garbage" * 512)
    result = find_similar(tmp_path, services=["payments"], paths=[], text="pool", errors=[])
    assert [i.id for i in result.incidents][:1] == [4]


def test_past_titles_are_quoted_safely_in_a_draft_or_pr_body() -> None:
    """A past postmortem's title is file text a writer chose; it is shown, not obeyed."""
    past = SimilarIncident(
        id=3,
        title="Pool <img src=x onerror=alert(1)> [x](https://evil.example) cc @oncall\nnext",
        path="postmortems/2025/2025-01-02-3-pool.md",
        started_at=datetime(2025, 1, 2, tzinfo=UTC),
        severity=Severity.SEV2,
        score=0.5,
        reasons=("same error <b>timeout</b>",),
    )
    (line,) = format_similar(SimilarResult((past,)), link_base="https://github.com/o/r/blob/main")
    html = to_html(line)  # GitHub's renderer: the HTML is shown as text, not rendered
    assert "<img" not in html and "<b>" not in html and "&lt;img" in html
    assert "`@oncall`" in line and "\n" not in line
    assert "[Pool \\<img src=x onerror=alert(1)> (x)(https://evil.example)" in line
    assert line.count("](") == 1  # the title cannot open a second link
