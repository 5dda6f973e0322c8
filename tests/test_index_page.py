"""`pmops index`: postmortems/README.md is complete, deterministic and valid Mermaid."""

from __future__ import annotations

import random
import re
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from pmops.cli.history import index_command
from pmops.cli.main import PmopsGroup
from pmops.history.index_page import build_index_page, mermaid_label, write_index_page
from pmops.model import Severity
from tests.corpus import THEMES, Corpus, make_postmortem, write_corpus, write_postmortem
from tests.github_render import to_html


@pytest.fixture(autouse=True)
def _cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return write_corpus(tmp_path_factory.mktemp("corpus"), 120)


@pytest.fixture
def repo(corpus: Corpus, tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(corpus.root / "postmortems", root / "postmortems")
    return root


def _mermaid(text: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", text, re.S)


def test_page_lists_every_postmortem_newest_first(corpus: Corpus, repo: Path) -> None:
    page = build_index_page(repo)
    rows = [line for line in page.text.splitlines() if re.match(r"\| \d{4}-\d{2}-\d{2} ", line)]
    assert len(rows) == len(corpus.docs)
    dates = [row.split(" | ")[0].strip("| ") for row in rows]
    assert dates == sorted(dates, reverse=True)
    for link in re.findall(r"\]\(([^)]+\.md)\)", page.text):
        assert (page.path.parent / unquote(link)).is_file()
    newest = max(corpus.docs, key=lambda d: (d.started_at, d.path))
    assert rows[0].startswith(f"| {newest.started_at:%Y-%m-%d} | {newest.severity.value} |")


def test_page_is_deterministic_and_rebuilds_identically(repo: Path, tmp_path: Path) -> None:
    first = build_index_page(repo).text
    assert build_index_page(repo).text == first
    for cache in (tmp_path / "cache").rglob("*.sqlite3"):
        cache.unlink()
    assert build_index_page(repo).text == first


def test_check_reports_a_stale_page_without_writing(repo: Path) -> None:
    group = PmopsGroup(commands=[index_command])
    runner = CliRunner()
    args = ["index", "--repo", str(repo)]
    result = runner.invoke(group, [*args, "--check"], catch_exceptions=False)
    assert result.exit_code == 1 and "stale" in result.stderr
    assert not (repo / "postmortems" / "README.md").exists()
    result = runner.invoke(group, args, catch_exceptions=False)
    assert result.exit_code == 0 and "wrote postmortems/README.md" in result.stderr
    before = (repo / "postmortems" / "README.md").read_bytes()
    assert runner.invoke(group, [*args, "--check"], catch_exceptions=False).exit_code == 0
    assert runner.invoke(group, args, catch_exceptions=False).stderr.endswith("up to date\n")
    assert (repo / "postmortems" / "README.md").read_bytes() == before
    next((repo / "postmortems").rglob("2*.md")).unlink()
    assert runner.invoke(group, [*args, "--check"], catch_exceptions=False).exit_code == 1


def test_charts_are_well_formed_mermaid(corpus: Corpus, repo: Path) -> None:
    blocks = _mermaid(build_index_page(repo).text)
    kinds = [block.splitlines()[0 if not block.startswith("%%") else 1] for block in blocks]
    # no action-item pie offline: their state is in their issues (tests/test_item_status.py)
    assert kinds == ["xychart-beta", "xychart-beta", "xychart-beta horizontal"]
    label_list = r'\[(?:"[^"\[\]\n]*"(?:, )?)*\]'
    for block in blocks[:3]:
        axis = re.search(rf"x-axis ({label_list})\n", block)
        assert axis, block
        labels = re.findall(r'"([^"]*)"', axis.group(1))
        top = int(re.findall(r'y-axis "[^"]+" 0 --> (\d+)\n', block)[0])
        for series in re.findall(r"(?:bar|line) \[([^\]]*)\]", block):
            values = [float(v) for v in series.split(", ")]
            assert len(values) == len(labels) and max(values) <= top
    stacked = re.findall(r"bar \[([^\]]*)\]", blocks[0])
    assert len(stacked) == 4
    totals = [int(v) for v in stacked[0].split(", ")]
    sev1 = [int(v) for v in stacked[-1].split(", ")]
    assert all(t >= s for t, s in zip(totals, sev1, strict=True))
    first_month = re.findall(r'"(\d{4}-\d{2})"', blocks[0])[0]
    shown = [d for d in corpus.docs if f"{d.started_at:%Y-%m}" >= first_month]
    assert sum(totals) == len(shown)
    assert sum(sev1) == sum(d.severity is Severity.SEV1 for d in shown)


def test_labels_cannot_break_out_of_mermaid_strings(tmp_path: Path) -> None:
    assert mermaid_label('evil"] ; bar [1') == '"evil bar 1"'
    assert mermaid_label("\n") == '"-"'
    theme = THEMES[0]
    pm = make_postmortem(
        random.Random(1),
        7,
        theme,
        theme.variants[0],
        ('svc"] %%{init}%%', "a|b"),
        Severity.SEV1,
        datetime(2026, 1, 5, tzinfo=UTC),
    )
    write_postmortem(tmp_path, replace(pm, title="Title with | pipe and [brackets]"))
    text = build_index_page(tmp_path).text
    assert 'x-axis ["svc init", "a b"]' in text or 'x-axis ["a b", "svc init"]' in text
    assert "Title with \\| pipe and \\[brackets\\]" in text
    assert 'svc"] %%{init}%%, a\\|b' in text


def test_titles_and_services_are_quoted_not_rendered(tmp_path: Path) -> None:
    """The page shows file text as text: no HTML, no notifying @mention."""
    theme = THEMES[0]
    pm = make_postmortem(
        random.Random(2),
        8,
        theme,
        theme.variants[0],
        ("<b>api</b>",),
        Severity.SEV2,
        datetime(2026, 1, 6, tzinfo=UTC),
    )
    write_postmortem(tmp_path, replace(pm, title="Pool <img src=x onerror=alert(1)> cc @oncall"))
    text = build_index_page(tmp_path).text
    html = to_html(text)  # GitHub's renderer: the HTML is shown as text, not rendered
    assert "<img" not in html and "<b>" not in html
    assert "Pool &lt;img src=x onerror=alert(1)&gt; cc <code>@oncall</code>" in html
    assert "&lt;b&gt;api&lt;/b&gt;" in html


def test_empty_repository(tmp_path: Path) -> None:
    page, stale = write_index_page(tmp_path)
    assert stale and "No postmortems yet." in page.text and "```mermaid" not in page.text
    assert page.path == tmp_path.resolve() / "postmortems" / "README.md"
