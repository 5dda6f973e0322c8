"""A stateful fake of GitHub's REST API for tests and benchmarks.

See :class:`FakeGitHub` (server + seeding helpers), the ``fake_github`` pytest
fixture in :mod:`.fixtures`, and :func:`load_payload` for webhook payloads.
"""

from .contract import Violation
from .payloads import load_payload
from .server import FakeGitHub, RequestRecord, operations
from .state import Protection

__all__ = ["FakeGitHub", "Protection", "RequestRecord", "Violation", "load_payload",
           "operations"]
