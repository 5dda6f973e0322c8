"""A repository's own sections: the config's layout, drafting in it, checking against it,
the model's prompt carrying its instructions, and `pmops init --template`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pmops.cli.main import cli
from pmops.config import load_config, parse_config
from pmops.documents.document import parse_document
from pmops.documents.render import parse_postmortem, render_postmortem
from pmops.documents.sections import LAYOUTS, REQUIRED
from pmops.errors import ConfigError
from pmops.setup.demo import build_demo
from tests.github_render import to_html
from tests.llm_server import LLMServer, answer_json
from tests.test_llm_draft import good_answer

CUSTOM = """sections:
  - Summary
  - {heading: Impact, from: Customer impact, instruction: "Say how many users, for how long."}
  - Root cause
  - {heading: Detection, instruction: "How we noticed, and how to notice sooner."}
  - Action items
  - Timeline
"""


@pytest.fixture(autouse=True)
def _cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, Path]:
    repo, incident = build_demo(tmp_path / "demo")
    (repo / ".github").mkdir(exist_ok=True)
    (repo / ".github/pmops.yml").write_text(CUSTOM)
    return repo, incident


def _draft(repo: Path, incident: Path, *extra: str) -> Path:
    args = ["draft", "--repo", str(repo), "--incident", str(incident), "-q", *extra]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip())


@pytest.mark.parametrize(
    ("sections", "message"),
    [("[Summary, Timeline, Resolution, Action items]", "Root cause must stay"),
     ("[Summary, Timeline, {heading: Why, from: Root cause}, Action items]",
      "Root cause must stay, under that name"),
     ("[Summary, Timeline, Root cause, Action items, {heading: summary}]", "listed twice"),
     ("[Summary, Timeline, Root cause, Action items, {heading: X, from: Summary}]",
      "standard section used twice: Summary")],
)  # fmt: skip
def test_broken_layouts_are_refused(sections: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(f"sections: {sections}\n")


def test_draft_follows_the_layout_and_check_uses_it(
    demo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, incident = demo
    path = _draft(repo, incident)
    doc = parse_document(path.read_text())
    assert [s.heading for s in doc.sections] == [
        "Summary", "Impact", "Root cause", "Detection", "Action items", "Timeline"
    ]  # fmt: skip
    sections = doc.section_map()
    assert "users" in sections["Impact"] or "affected" in sections["Impact"].lower()
    assert "To be written by the reviewers: How we noticed" in sections["Detection"]
    assert sections["Timeline"].startswith("- 20")
    outside = CliRunner().invoke(cli, ["check", str(path)], catch_exceptions=False)
    assert outside.exit_code != 0  # from outside the repository: the standard layout applies
    assert "missing section '## Customer impact'" in outside.output
    monkeypatch.chdir(repo)
    inside = CliRunner().invoke(cli, ["check"], catch_exceptions=False)
    assert inside.exit_code == 0, inside.output
    config = CUSTOM + '  - {heading: Follow-up, instruction: "Who checks back, and when."}\n'
    (repo / ".github/pmops.yml").write_text(config)
    changed = CliRunner().invoke(cli, ["check"], catch_exceptions=False)
    assert "missing section '## Follow-up'" in changed.output


def test_a_custom_layout_survives_a_round_trip(demo: tuple[Path, Path]) -> None:
    repo, incident = demo
    text = _draft(repo, incident).read_text()
    assert render_postmortem(parse_postmortem(text)) == text


def test_the_models_prompt_carries_the_instructions(
    demo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, incident = demo
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with LLMServer() as server:
        server.queue(answer_json(good_answer()))
        config = CUSTOM + f"model:\n  name: test-model\n  base_url: {server.url}\n"
        (repo / ".github/pmops.yml").write_text(config)
        path = _draft(repo, incident)
        system = server.completions[0].body["messages"][0]["content"]
    assert 'customer_impact (shown as "Impact"): Say how many users, for how long.' in system
    doc = parse_document(path.read_text()).section_map()
    assert doc["Impact"].startswith("2300 users could not pay")  # the model's customer_impact


def test_init_templates_write_layouts_that_parse(tmp_path: Path) -> None:
    for name in LAYOUTS:
        folder = tmp_path / name
        args = ["init", "--repo", str(folder), "--template", name]
        assert CliRunner().invoke(cli, args, catch_exceptions=False).exit_code == 0
        layout = load_config(folder).sections
        headings = [s.heading for s in layout]
        assert set(REQUIRED) <= set(headings), name
        assert headings == [e if isinstance(e, str) else e["heading"] for e in LAYOUTS[name]]
    sre = [s.heading for s in load_config(tmp_path / "sre-book").sections]
    assert sre[:3] == ["Summary", "Impact", "Root cause"] and "Where we got lucky" in sre


def test_the_model_writes_the_team_sections_verified_and_sanitized(
    demo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, incident = demo
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    detection = (
        "The checkout error alert paged the on-call; commit deadbee1 made it louder.\n\n"
        "## Sooner\n\nAlert on pool saturation. [graph](https://evil.example/x) "
        "<img src=x onerror=alert(1)>"
    )
    extra = {"detection": detection, "Bogus": "A section the layout does not have."}
    with LLMServer() as server:
        server.queue(answer_json(good_answer(extra_sections=extra)))
        config = CUSTOM + f"model:\n  name: test-model\n  base_url: {server.url}\n"
        (repo / ".github/pmops.yml").write_text(config)
        path = _draft(repo, incident)
        request = server.completions[0]
    system = request.body["messages"][0]["content"]
    assert (
        'extra_sections["Detection"] (the team\'s own section): How we noticed, and how to '
        "notice sooner." in system
    )
    schema = request.body["response_format"]["json_schema"]["schema"]
    assert "extra_sections" in schema["properties"]
    text = path.read_text()
    sections = parse_document(text).section_map()
    written = sections["Detection"]
    assert written.startswith("The checkout error alert paged the on-call")
    assert "To be written by the reviewers" not in written
    assert "deadbee1 \u26a0\ufe0f unverified" in written  # verified like every other section
    assert "### Sooner" in written and "\n## Sooner" not in text  # cannot split the file
    assert "evil.example" not in text  # a link to a host not allowed keeps its words only
    html = to_html(written)  # GitHub's renderer: the tag is shown as text, not rendered
    assert "<img" not in html and "&lt;img" in html
    assert "Bogus" not in text and "does not have" not in text
    monkeypatch.chdir(repo)
    assert CliRunner().invoke(cli, ["check"], catch_exceptions=False).exit_code == 0


def test_a_team_section_the_model_leaves_out_shows_its_instruction(
    demo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, incident = demo
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with LLMServer() as server:
        server.queue(answer_json(good_answer(extra_sections={"Detection": "   "})))
        config = CUSTOM + f"model:\n  name: test-model\n  base_url: {server.url}\n"
        (repo / ".github/pmops.yml").write_text(config)
        sections = parse_document(_draft(repo, incident).read_text()).section_map()
    assert sections["Detection"].startswith("_To be written by the reviewers: How we noticed")
