"""A repository for the site tests: generated postmortems, a hand-written one, a hostile one."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from pmops.model import Severity, Status
from tests.corpus import Corpus, write_corpus, write_postmortem
from tests.samples import sample_postmortem

FIXTURES = Path(__file__).parent / "fixtures" / "history"

HOSTILE_ID = 666
HOSTILE_TEXT = (
    "<script>document.title='owned'</script> <img src=x onerror=\"document.title='owned'\">\n\n"
    "[click](javascript:document.title='owned') [data](data:text/html,<script>1</script>) "
    "[entity](jav&#x61;script:alert(1)) ![tracker](https://tracker.example/p.gif) "
    "[fine](https://example.com/runbook)\n\n"
    "```mermaid\ntimeline\n  x : <script>y</script>\n```\n"
)
"""Text that would run code or load from elsewhere if the site passed HTML or links through."""


def build_site_repo(root: Path, n: int = 30) -> Corpus:
    """`n` generated postmortems, the SRE-book history file, and a published hostile one."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    corpus = write_corpus(root, n)
    target = root / "postmortems/2015/2015-10-21-465-shakespeare-sonnet-postmortem.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = (FIXTURES / "sre-book-template.md").read_text()
    target.write_text(
        "---\nid: 465\ntitle: Shakespeare Sonnet++ Postmortem\nseverity: SEV-2\n"
        "started_at: 2015-10-21T14:54:00Z\nresolved_at: 2015-10-21T16:00:00Z\n"
        "services: [shakespeare-search]\n---\n" + text
    )
    pm = sample_postmortem(
        id=HOSTILE_ID,
        title="<b>Hostile</b> postmortem",
        status=Status.PUBLISHED,
        severity=Severity.SEV4,
        published_at=datetime(2026, 3, 22, tzinfo=UTC),
        published_by="carol",
        edited_by=("carol",),
    )
    sections = {**pm.sections, "Summary": HOSTILE_TEXT, "Root cause": HOSTILE_TEXT}
    write_postmortem(root, replace(pm, sections=sections))
    shutil.rmtree(root / "postmortems" / ".drafts", ignore_errors=True)
    return corpus
