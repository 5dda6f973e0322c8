"""Render the site's HTML from templates/site/ (jinja2, autoescaped, StrictUndefined)."""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Sequence
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from pmops import __version__
from pmops.model import Postmortem, Severity
from pmops.resources import resource_dir
from pmops.site.charts import SEVERITY_COLORS, count_chart, mttr_chart
from pmops.site.entries import Entry, ItemStates, action_statuses, timeline_rows
from pmops.site.markdown import parser, to_html
from pmops.times import format_time

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'"
)
"""No script, style or image from anywhere but the site itself, none inline: a postmortem's
text can never run code, even if markdown rendering had a hole."""

ASSETS = ("site.css", "site.js")
"""Files copied as they are from templates/site/ into the site."""


def duration(minutes: int) -> str:
    """`47 min`, `2 h 5 min`, `3 d 4 h`."""
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, rest = divmod(minutes, 24 * 60)
    return f"{days} d {rest // 60} h" if rest // 60 else f"{days} d"


@cache
def environment() -> Environment:
    """HTML templates: every value escaped unless it is Markup made by pmops."""
    env = Environment(
        loader=FileSystemLoader(str(resource_dir("templates"))),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["utc"] = format_time
    env.filters["duration"] = duration
    env.globals.update(csp=CSP, version=__version__)
    return env


@cache
def templates_digest() -> str:
    """A digest of the site templates and pmops's version: a change rebuilds every page."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted((resource_dir("templates") / "site").iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def render_page(source: str, page: str, pm: Postmortem, states: ItemStates | None = None) -> str:
    """The HTML page of one postmortem; action items' state from `states` (unknown without)."""
    sections = []
    for heading, text in pm.sections.items():
        if not text.strip():
            continue
        rows = timeline_rows(text) if heading == "Timeline" else None
        timeline = [
            {"at": r.at, "source": r.source, "html": Markup(parser().renderInline(r.text))}
            for r in rows or ()
        ]
        sections.append((heading, Markup(to_html(text)), timeline))
    root = "../" * page.count("/")
    return (
        environment()
        .get_template("site/postmortem.html.j2")
        .render(
            pm=pm,
            source=source,
            sections=sections,
            actions=action_statuses(pm, states),
            states_read=states is not None,
            root=root,
        )
    )


def render_index(entries: Sequence[Entry], title: str, drafts: bool = False) -> str:
    """The index page: search, filters, charts and every postmortem, newest first."""
    durations = [e.duration_minutes for e in entries]
    mttr = duration(round(statistics.fmean(durations))) if durations else "no incidents yet"
    return (
        environment()
        .get_template("site/index.html.j2")
        .render(
            site_title=title,
            drafts=drafts,
            entries=entries,
            mttr=mttr,
            severities=[s.value for s in Severity],
            services=sorted({s for e in entries for s in e.services}, key=str.lower),
            years=sorted({e.year for e in entries}, reverse=True),
            colors=SEVERITY_COLORS,
            count_chart=Markup(count_chart(entries)),
            mttr_chart=Markup(mttr_chart(entries)),
            root="",
        )
    )


def search_index(entries: Sequence[Entry]) -> str:
    """search-index.js: one object per index row, in row order (a script, as file:// pages
    cannot fetch JSON)."""
    rows = [{"t": e.text, "v": e.severity, "y": e.year, "s": list(e.services)} for e in entries]
    data = json.dumps(rows, ensure_ascii=True, separators=(",", ":"))
    return f"window.PMOPS_INDEX = {data};\n"
