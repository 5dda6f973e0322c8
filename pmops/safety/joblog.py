"""Text for a GitHub Actions job log that the runner cannot take as a workflow command, with
secrets redacted.

The runner reads every line pmops prints. A line starting with `::` (after blanks) is a
workflow command (`::error::`, `::add-mask::`, `::stop-commands::`), and the older form
`##[command]` is recognized anywhere in a line. Untrusted text (an issue title, a label,
a commit subject, a model's answer) is printed through `inert`: a `::` line gets a `| `
in front, and every `##[` becomes `## [`. Values inside pmops's own commands go through
`command_value`.
"""

from __future__ import annotations

from pmops.safety.redact import redact_secrets

_LEGACY = "##["
"""The runner's older command prefix, honoured anywhere in a line."""


def inert(text: str) -> str:
    """`text` for the job log: secrets redacted; no line the runner would take as a command
    (`::...` at a line start is printed after a `| `, `##[` anywhere as `## [`)."""
    lines = redact_secrets(text)[0].splitlines() or [""]  # every break the runner knows
    return "\n".join(_line(line) for line in lines)


def _line(line: str) -> str:
    line = line.replace(_LEGACY, "## [")
    return f"| {line}" if line.lstrip().startswith("::") else line


def command_value(text: str) -> str:
    """A value inside a workflow command pmops prints (`::error title=pmops::VALUE`):
    secrets redacted, then GitHub's escapes for %, CR and LF, and no `##[`."""
    text = redact_secrets(text)[0].replace(_LEGACY, "## [")
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
