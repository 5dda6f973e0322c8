"""The ``fake_github`` pytest fixture.

Import it into a conftest: ``from tests.github_fake.fixtures import fake_github  # noqa``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import FakeGitHub


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A running :class:`FakeGitHub`; teardown fails on any contract violation.

    A test that provokes violations on purpose must clear ``fake.violations``.
    """
    with FakeGitHub() as fake:
        yield fake
        fake.assert_no_violations()
