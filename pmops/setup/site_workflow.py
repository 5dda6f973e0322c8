"""`pmops init --site`: a workflow that publishes the postmortems site to GitHub Pages.

Two jobs with least permissions: `build` (contents: read) runs `pmops site` and uploads the
Pages artifact; `deploy` (pages: write, id-token: write) deploys it. The build installs the
same pmops the main workflow uses, from the repository and ref of `--action`.
"""

from __future__ import annotations

import re

from pmops.errors import InputError

SITE_WORKFLOW_PATH = ".github/workflows/pmops-site.yml"
SITE_TITLE = "Postmortems"

_ACTION = re.compile(r"^([A-Za-z0-9][\w.-]*/[\w.-]+)@([\w.-]+)$")
"""OWNER/NAME@REF: the only shape that goes into the workflow's shell line (no injection)."""


def install_source(action: str) -> tuple[str, str]:
    """(OWNER/NAME, REF) of an action reference like `pmops/pmops@SHA # v1.0.0`."""
    match = _ACTION.match(action.split("#", 1)[0].strip())
    if not match:
        raise InputError(f"--action {action!r}: expected OWNER/NAME@REF (a tag or a commit SHA)")
    return match.group(1), match.group(2)


def render_site_workflow(action: str, postmortems_dir: str, title: str = SITE_TITLE) -> str:
    """The Pages workflow for a repository whose pmops workflow uses `action`."""
    repository, ref = install_source(action)
    if not re.fullmatch(r"[\w .,:()-]{1,80}", title):
        raise InputError(f"site title {title!r}: letters, digits, spaces and .,:()- only")
    from pmops.documents.templating import (
        render_template,  # jinja2 loads only when a file is written
    )

    return render_template(
        "init/site-workflow.yml.j2",
        repository=repository,
        ref=ref,
        title=title,
        postmortems_dir=postmortems_dir.strip("/"),
    )
