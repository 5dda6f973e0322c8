"""Who may do what (DESIGN §4), from the collaborator-permission endpoint, never from
`author_association`.

The endpoint answers a coarse `permission` (admin/write/read/none: maintain counts as write,
triage as read) and a fine `role_name` (admin, maintain, write, triage, read). Seed roles:
Owner/Admin <- admin or maintain; Member <- write; Viewer <- read or triage.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Role(IntEnum):
    """pmops roles, ordered so that a higher role can do everything a lower one can."""

    NONE = 0
    VIEWER = 1
    MEMBER = 2
    ADMIN = 3


class Action(StrEnum):
    """What a user can ask pmops to do, directly or through a GitHub event."""

    GENERATE = "generate"
    REGENERATE = "regenerate"
    EDIT = "edit"
    LABEL = "label"
    PUBLISH_WITHOUT_OWNER = "publish where no CODEOWNERS rule matches"


REQUIRED: dict[Action, Role] = {
    Action.GENERATE: Role.MEMBER,
    Action.REGENERATE: Role.MEMBER,
    Action.EDIT: Role.MEMBER,
    Action.LABEL: Role.VIEWER,
    Action.PUBLISH_WITHOUT_OWNER: Role.ADMIN,
}
"""Least role per action: generate and edit need write; labeling needs triage (which the
coarse permission reports as read); publishing needs a code owner, or an admin when no rule
matches the file."""

_ROLE_NAMES = {
    "admin": Role.ADMIN,
    "maintain": Role.ADMIN,
    "write": Role.MEMBER,
    "triage": Role.VIEWER,
    "read": Role.VIEWER,
    "none": Role.NONE,
}
_PERMISSIONS = {"admin": Role.ADMIN, "write": Role.MEMBER, "read": Role.VIEWER, "none": Role.NONE}


def role_from(permission: str | None, role_name: str | None = None) -> Role:
    """The role for the endpoint's answer; the fine `role_name` wins when it is known."""
    if role_name and role_name.lower() in _ROLE_NAMES:
        return _ROLE_NAMES[role_name.lower()]
    return _PERMISSIONS.get((permission or "none").lower(), Role.NONE)


def allowed(role: Role, action: Action) -> bool:
    """True when `role` may perform `action`."""
    return role >= REQUIRED[action]


def needed_permission(action: Action) -> str:
    """The GitHub permission to name in a refusal message."""
    return {Role.ADMIN: "admin", Role.MEMBER: "write", Role.VIEWER: "triage"}.get(
        REQUIRED[action], "read"
    )
