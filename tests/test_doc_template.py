"""A repository's own document template (`.github/pmops/templates/postmortem.md.j2`): used by
`pmops draft` and the Action, refused with a message when it breaks the round trip or the
frontmatter contract, and sandboxed (no attribute tricks, no files outside its folder)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from pmops.documents.doc_template import DOCUMENT, TEMPLATE_DIR, parse_override, read_local
from pmops.documents.render import normalize_sections, parse_postmortem, render_postmortem
from pmops.errors import ConfigError
from tests.github_fake import FakeGitHub
from tests.samples import NAME, sample_postmortem
from tests.test_action_support import OWNER, REPO, T0, Story
from tests.test_draft_cli import demo, invoke  # noqa: F401  (demo is a fixture)

TEAM = """---
{{ frontmatter }}---
# {{ title }}

> {{ meta.severity }} incident, {{ meta.duration_minutes }} minutes. Written with our template.
{% for heading, text in sections %}

## {{ heading }}
{% if text %}

{{ text }}
{% endif %}
{% endfor %}
"""
BANNER = "Written with our template."


def render_with(text: str, **files: str) -> str:
    template = parse_override({DOCUMENT: text, **files})
    assert template is not None
    return render_postmortem(sample_postmortem(), template, NAME)


def test_override_renders_and_reads_back_the_same_postmortem() -> None:
    pm = sample_postmortem()
    text = render_with(TEAM)
    assert "> SEV-2 incident, 47 minutes. Written with our template." in text
    assert parse_postmortem(text) == normalize_sections(pm)
    assert text != render_postmortem(pm)


def test_includes_come_from_the_override_folder() -> None:
    main = TEAM.replace("> {{ meta.severity }}", "{% include 'banner.md.j2' %}\n> x")
    text = render_with(main, **{"banner.md.j2": "> From the banner file."})
    assert "> From the banner file." in text


@pytest.mark.parametrize(
    ("template", "why"),
    [
        (TEAM.replace("{{ frontmatter }}", "id: 1\n"), "'title' is a required property"),
        (TEAM.replace("## {{ heading }}", "### {{ heading }}"), "does not read back"),
        (TEAM.replace("{{ text }}", "{{ text | upper }}"), "does not read back"),
        (TEAM.replace("---\n{{ frontmatter }}---", "{{ frontmatter }}"), "does not parse"),
        (TEAM.replace("{{ title }}", "{{ titel }}"), "'titel' is undefined"),
    ],
)
def test_a_broken_override_is_refused_naming_the_file(template: str, why: str) -> None:
    with pytest.raises(ConfigError) as err:
        render_with(template)
    message = str(err.value)
    assert message.startswith(f"{TEMPLATE_DIR}/{DOCUMENT}: document template refused: ")
    assert why in message


def test_a_syntax_error_names_file_and_line() -> None:
    with pytest.raises(ConfigError, match=rf"^{TEMPLATE_DIR}/{DOCUMENT}:3: template syntax"):
        parse_override({DOCUMENT: "---\n{{ frontmatter }}---\n{% for x in %}\n"})


@pytest.mark.parametrize(
    ("escape", "why"),
    [
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "SecurityError"),
        ("{{ title.__class__ }}", "SecurityError"),
        ("{{ meta.__init__.__globals__ }}", "SecurityError"),
        ("{{ range.__globals__ }}", "SecurityError"),
        ("{% include '../pmops.yml' %}", "TemplateNotFound"),
        ("{% include '/etc/passwd' %}", "TemplateNotFound"),
        ("{{ lipsum.__globals__ }}", "'lipsum' is undefined"),
        ("{{ cycler(1, 2).next() }}", "'cycler' is undefined"),
        ("{% for i in range(10000000) %}{% endfor %}", "a number above 10000"),
        ("{% for i in range(0, 9000) %}{% endfor %}", "range of 9000 items"),
        ("{{ 'x' * 1000000000 }}", "a repeat longer than the output limit"),
        ("{{ 3 ** 99999999 }}", "power 99999999 is too big"),
        ("{{ title.center(1000000000) }}", "a number above 10000"),
        ("{{ '%999999999d' % 1 }}", "`%` formatting of text is not allowed"),
        ("{{ '{:>999999999}'.format(1) }}", "`format` is not allowed"),
        ("{{ title | center(1000000000) }}", "No filter named 'center'"),
        ("{{ title | replace('', title) | replace('', title) }}", "No filter named 'replace'"),
        ("{% set _ = meta.update({'id': 7}) %}", "SecurityError"),
        (
            "{% for a in range(1000) %}{% for b in range(1000) %}xxxxx{% endfor %}{% endfor %}",
            "output longer than",
        ),
    ],
)
def test_sandbox_escapes_are_refused(escape: str, why: str) -> None:
    with pytest.raises(ConfigError) as err:
        render_with(TEAM.replace("# {{ title }}", "# {{ title }}\n" + escape))
    assert "document template refused" in str(err.value)
    assert why in str(err.value)


def test_a_symbolic_link_in_the_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / TEMPLATE_DIR
    folder.mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("token")
    (folder / DOCUMENT).symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ConfigError, match="no symbolic links"):
        read_local(tmp_path)


def test_pmops_draft_uses_the_override_and_check_passes(demo: tuple[Path, Path]) -> None:  # noqa: F811
    repo, incident = demo
    (repo / TEMPLATE_DIR).mkdir(parents=True)
    (repo / TEMPLATE_DIR / DOCUMENT).write_text(TEAM)
    result = invoke("draft", "--repo", str(repo), "--incident", str(incident), "--quiet")
    assert result.exit_code == 0, result.output
    text = Path(result.stdout.strip()).read_text()
    assert BANNER in text
    check = invoke("check", cwd=repo)
    assert check.exit_code == 0, check.output


def test_pmops_draft_with_a_broken_override_fails_clearly(demo: tuple[Path, Path]) -> None:  # noqa: F811
    repo, incident = demo
    (repo / TEMPLATE_DIR).mkdir(parents=True)
    (repo / TEMPLATE_DIR / DOCUMENT).write_text(TEAM.replace("{{ frontmatter }}", ""))
    result = invoke("draft", "--repo", str(repo), "--incident", str(incident), "--quiet")
    assert result.exit_code == 2
    assert f"{TEMPLATE_DIR}/{DOCUMENT}: document template refused" in result.stderr
    assert "Traceback" not in result.output
    assert not list(repo.glob("postmortems/**/*.md"))  # nothing half-written


def test_the_action_renders_with_the_default_branch_override(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    story = Story(fake_github, tmp_path)
    story.seed()
    with fake_github.at(T0 - timedelta(days=1)):
        fake_github.push_commit(
            OWNER,
            REPO,
            "main",
            {f"{TEMPLATE_DIR}/{DOCUMENT}": TEAM},
            "Use our postmortem template",
            author="alice",
        )
    n = story.open_incident()
    run = story.resolve(n, at=T0 + timedelta(hours=1))
    assert run.code == 0, run.log
    text = story.show(f"pmops/incident-{n}", run.outputs["postmortem-path"])
    assert BANNER in text
    parse_postmortem(text)
