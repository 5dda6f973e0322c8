"""`pmops site`: the published postmortems as safe static HTML, rebuilt incrementally."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from markupsafe import escape

from pmops.cli.main import cli
from pmops.documents.render import render_postmortem
from pmops.errors import InputError
from pmops.model import Status
from pmops.site.build import MANIFEST, build_site
from pmops.site.markdown import link_allowed, to_html
from pmops.site.pages import CSP
from tests.corpus import Corpus
from tests.site_repo import HOSTILE_ID, build_site_repo


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Corpus]:
    root = tmp_path / "repo"
    return root, build_site_repo(root)


def _published(corpus: Corpus) -> list[str]:
    return [d.path for d in corpus.docs if d.postmortem.status is Status.PUBLISHED]


def test_site_lists_published_postmortems_only(repo: tuple[Path, Corpus], tmp_path: Path) -> None:
    root, corpus = repo
    out = tmp_path / "site"
    result = CliRunner().invoke(
        cli, ["site", str(out), "--repo", str(root)], catch_exceptions=False
    )
    assert result.stdout.strip() == str(out / "index.html")
    index = (out / "index.html").read_text()
    published = _published(corpus)
    assert 0 < len(published) < len(corpus.docs)  # the corpus has drafts too
    rows = re.findall(r'<a href="(pm/[^"]+)">', index)
    assert len(rows) == len(published) + 2  # + the hand-written and the hostile one
    for path in published:
        page = "pm/" + path.removeprefix("postmortems/").replace(".md", ".html")
        assert page in rows and (out / page).is_file()
    drafts = [d for d in corpus.docs if d.postmortem.status is not Status.PUBLISHED]
    assert not any(d.postmortem.title in index for d in drafts if d.postmortem.title not in
                   {p.postmortem.title for p in corpus.docs if p.path in published})  # fmt: skip
    index_js = (out / "search-index.js").read_text()
    data = json.loads(index_js.removeprefix("window.PMOPS_INDEX = ").rstrip(";\n"))
    assert len(data) == len(rows) and {"t", "v", "y", "s"} <= set(data[0])
    assert "<svg" in index and "Incidents per month" in index
    hidden = len(drafts)  # the drafts and edited ones are counted, and the preview named
    assert f"{hidden} not published yet, not shown (--drafts previews them)" in result.stderr


def test_pages_carry_timeline_suspects_and_action_status(
    repo: tuple[Path, Corpus], tmp_path: Path
) -> None:
    root, corpus = repo
    build_site(root, tmp_path / "site")
    doc = next(d for d in corpus.docs if d.postmortem.status is Status.PUBLISHED)
    page = (tmp_path / "site/pm" / doc.path.removeprefix("postmortems/")).with_suffix(".html")
    html = page.read_text()
    assert '<ol class="timeline">' in html and '<span class="source">deploy</span>' in html
    assert doc.postmortem.suspects[0].sha[:7] in html
    for item in doc.postmortem.action_items:
        assert item.title in html
    assert re.search(r'class="status status-(unknown|untracked)"', html)  # built offline
    assert 'href="../../index.html"' in html and 'href="../../site.css"' in html
    sre = (tmp_path / "site/pm/2015/2015-10-21-465-shakespeare-sonnet-postmortem.html").read_text()
    assert "<h2>Overview</h2>" in sre and "Cascading failure" in sre  # the preamble is kept


def test_no_code_or_remote_content_from_postmortems(
    repo: tuple[Path, Corpus], tmp_path: Path
) -> None:
    root, _ = repo
    build_site(root, tmp_path / "site")
    page = next((tmp_path / "site/pm/2026").glob(f"*-{HOSTILE_ID}-*.html")).read_text()
    index = (tmp_path / "site/index.html").read_text()
    for html in (page, index):
        assert f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP)}">' in html
        assert "<script>" not in html and "<img" not in html
        assert not re.search(r"<[^>]*\son\w+=", html, re.IGNORECASE)  # no event handlers
        tags = re.findall(r"<script[^>]*>", html)
        assert all(re.fullmatch(r'<script src="[a-z-]+\.js">', t) for t in tags)
    assert "&lt;script&gt;" in page and "&lt;b&gt;Hostile&lt;/b&gt;" in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert "https://example.com/runbook" in hrefs
    assert not [h for h in hrefs if not re.match(r"(https?://|\.\./|#)", h)], hrefs
    assert "tracker.example" not in page.split("[image:")[0] and "mermaid" not in page
    assert "default-src 'none'" in CSP and "script-src 'self'" in CSP and "unsafe" not in CSP


@pytest.mark.parametrize(
    "url", ["javascript:x", " JavaScript:x", "jav\tascript:x", "data:text/html,x", "file:///etc"]
)
def test_link_policy_drops_other_schemes(url: str) -> None:
    assert not link_allowed(url)
    assert "href" not in to_html(f"[a]({url})")


def test_rebuild_renders_only_what_changed(repo: tuple[Path, Corpus], tmp_path: Path) -> None:
    root, corpus = repo
    out = tmp_path / "site"
    first = build_site(root, out)
    assert first.rendered == first.pages and first.unchanged == 0
    again = build_site(root, out)
    files = len(list((root / "postmortems").rglob("*.md")))
    assert (again.rendered, again.removed, again.unchanged) == (0, 0, files)
    published = [d for d in corpus.docs if d.postmortem.status is Status.PUBLISHED]
    (root / published[1].path).touch()  # new mtime, same bytes: hashed, not rendered
    assert build_site(root, out).rendered == 0
    changed = replace(published[0].postmortem, title="Zeppelin outage in orbit")
    (root / published[0].path).write_text(render_postmortem(changed))
    unpublished = replace(published[2].postmortem, status=Status.EDITED, published_at=None,
                          published_by=None)  # fmt: skip
    (root / published[2].path).write_text(render_postmortem(unpublished))
    gone = out / "pm" / published[2].path.removeprefix("postmortems/").replace(".md", ".html")
    assert gone.is_file()
    report = build_site(root, out)
    assert (report.rendered, report.removed, report.pages) == (1, 1, first.pages - 1)
    assert not gone.exists() and "Zeppelin outage in orbit" in (out / "index.html").read_text()
    manifest = json.loads((out / MANIFEST).read_text())
    assert set(manifest["files"]) == {p.relative_to(root).as_posix()
                                      for p in (root / "postmortems").rglob("*.md")}  # fmt: skip


def test_a_folder_that_is_not_a_site_is_refused(repo: tuple[Path, Corpus], tmp_path: Path) -> None:
    root, _ = repo
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a site built by pmops"):
        build_site(root, out)
    result = CliRunner().invoke(cli, ["site", str(out), "--repo", str(root)])
    assert result.exit_code != 0 and "not a site built by pmops" in result.output
    assert (out / "notes.txt").read_text() == "mine" and len(list(out.iterdir())) == 1


def test_drafts_preview_and_back(repo: tuple[Path, Corpus], tmp_path: Path) -> None:
    root, corpus = repo
    out = tmp_path / "site"
    published = build_site(root, out).pages
    preview = build_site(root, out, drafts=True)
    assert preview.pages == len(corpus.docs) + 2 and preview.rendered == preview.pages
    draft = next(d for d in corpus.docs if d.postmortem.status is Status.DRAFT)
    assert '<span class="status status-draft">draft</span>' in (out / "index.html").read_text()
    page = out / "pm" / draft.path.removeprefix("postmortems/").replace(".md", ".html")
    assert "not published yet" in page.read_text()
    again = build_site(root, out)
    assert again.pages == published and not page.exists()


def test_demo_builds_a_site(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path / "d"), "-q"],
                                catch_exceptions=False)  # fmt: skip
    line = next(x for x in result.stdout.splitlines() if x.startswith("Site:"))
    index = Path(line.split()[1])
    assert index == tmp_path / "d" / "site" / "index.html"
    html = index.read_text()
    assert "Checkout" in html and "status-draft" in html


def test_a_noop_rebuild_writes_nothing_and_broken_files_are_always_reported(
    repo: tuple[Path, Corpus], tmp_path: Path
) -> None:
    root, _ = repo
    out = tmp_path / "site"
    broken = root / "postmortems/2026/2026-01-01-9-broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\n")
    first = build_site(root, out)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = build_site(root, out)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps
    assert again.pages == first.pages and len(again.skipped) == len(first.skipped) == 1
    assert "2026-01-01-9-broken.md" in again.skipped[0]
    retitled = build_site(root, out, "Incident reviews")
    assert (
        retitled.rendered == 0 and "<h1>Incident reviews</h1>" in (out / "index.html").read_text()
    )
