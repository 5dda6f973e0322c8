"""Comment and PR-body text, rendered from templates/comments/*.j2 and templates/pr_body.md.j2.

Untrusted values (titles, feedback, reasons, commit subjects) are passed through
`pmops.safety.sanitize.one_line` here, before they reach a template.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pmops.documents.templating import render_template
from pmops.model import Postmortem, Verification
from pmops.safety.sanitize import one_line


def comment(name: str, **values: Any) -> str:
    """Render templates/comments/<name>.md.j2."""
    return render_template(f"comments/{name}.md.j2", **values).strip() + "\n"


def pr_title(pm: Postmortem) -> str:
    """`Postmortem: <title> (#42)`."""
    return f"Postmortem: {one_line(pm.title, 180)} (#{pm.id})"


def pr_body(
    pm: Postmortem,
    *,
    path: str,
    drafts_path: str,
    verification: Verification,
    notes: Sequence[str],
    unavailable: Sequence[str],
    similar: Sequence[str],
    folder: str,
    html_base: str,
) -> str:
    """The PR description: summary, suspects with links, verification, similar, checklist."""
    html_base = html_base.rstrip("/")  # `…/shop/` + `/commit/…` would read `…/shop//commit/…`
    suspects = [
        {
            "sha": s.sha,
            "subject": one_line(s.subject or "", 80).replace("|", "\\|"),
            "commit_url": f"{html_base}/commit/{s.sha}",
            "pr": s.pr,
            "pr_url": f"{html_base}/pull/{s.pr}" if s.pr else "",
            "score": s.score,
            "reasons": one_line("; ".join(s.reasons), 300).replace("|", "\\|"),
        }
        for s in pm.suspects
    ]
    unverified = [
        {"kind": c.kind, "section": c.section, "text": one_line(c.text, 80).replace("`", "'")}
        for c in verification.unverified[:20]
    ]
    summary = pm.sections.get("Summary", "").strip() or "(no summary)"
    return render_template(
        "pr_body.md.j2",
        incident=pm.id,
        title=one_line(pm.title, 200),
        severity=pm.severity.value,
        duration=pm.duration_minutes,
        confidence=pm.confidence.value,
        path=path,
        drafts_path=drafts_path,
        summary=summary,
        suspects=suspects,
        verified=len(verification.claims) - len(verification.unverified),
        claims=len(verification.claims),
        unverified=unverified,
        notes=[one_line(n, 300) for n in notes],
        unavailable=[one_line(u, 200) for u in unavailable],
        similar=list(similar),
        folder=folder,
    )
