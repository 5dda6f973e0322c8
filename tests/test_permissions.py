"""Roles from the collaborator-permission endpoint (DESIGN §4), checked against the fake."""

from __future__ import annotations

import pytest

from pmops.github.api import GitHubApi
from pmops.lifecycle.permissions import Action, Role, allowed, needed_permission, role_from
from tests.github_fake import FakeGitHub


@pytest.mark.parametrize(("permission", "role_name", "role"), [
    ("admin", "admin", Role.ADMIN),
    ("write", "maintain", Role.ADMIN),
    ("write", "write", Role.MEMBER),
    ("read", "triage", Role.VIEWER),
    ("read", "read", Role.VIEWER),
    ("none", "none", Role.NONE),
    ("write", None, Role.MEMBER),
    ("read", "custom-role", Role.VIEWER),
    (None, None, Role.NONE),
])
def test_role_from(permission: str | None, role_name: str | None, role: Role) -> None:
    assert role_from(permission, role_name) is role


def test_what_each_role_may_do() -> None:
    assert allowed(Role.MEMBER, Action.GENERATE) and not allowed(Role.VIEWER, Action.GENERATE)
    assert allowed(Role.MEMBER, Action.REGENERATE) and not allowed(Role.VIEWER,
                                                                   Action.REGENERATE)
    assert allowed(Role.VIEWER, Action.LABEL) and not allowed(Role.NONE, Action.LABEL)
    assert allowed(Role.ADMIN, Action.PUBLISH_WITHOUT_OWNER)
    assert not allowed(Role.MEMBER, Action.PUBLISH_WITHOUT_OWNER)
    assert needed_permission(Action.GENERATE) == "write"


def test_against_the_permission_endpoint(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("acme", "shop")
    for login, role in (("ann", "admin"), ("max", "maintain"), ("wes", "write"),
                        ("tia", "triage"), ("rob", "read")):
        fake_github.add_collaborator("acme", "shop", login, role)
    fake_github.add_user("stranger")
    api = GitHubApi(fake_github.client(), "acme/shop")
    roles = {login: api.permission(login).role
             for login in ("ann", "max", "wes", "tia", "rob", "stranger", "ghost")}
    assert roles == {"ann": Role.ADMIN, "max": Role.ADMIN, "wes": Role.MEMBER,
                     "tia": Role.VIEWER, "rob": Role.VIEWER, "stranger": Role.NONE,
                     "ghost": Role.NONE}
