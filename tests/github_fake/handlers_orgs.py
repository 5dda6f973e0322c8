"""Handlers for organization teams and branch rules (rulesets).

Who may call them is decided before a handler runs (:mod:`.auth`): a workflow's
``GITHUB_TOKEN`` is refused the team endpoints and ruleset administration, while the rules
that apply to a branch are readable by anyone who can read the repository.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .builders import node_id, simple_user
from .routing import ApiError, Paged, Request, Response, Router, not_found, validation_failed
from .rules import active_rules, rule_detail
from .state import Ruleset, Team, iso

if TYPE_CHECKING:
    from .core import Core

RULE_TYPES = frozenset(
    {
        "pull_request",
        "required_status_checks",
        "deletion",
        "non_fast_forward",
        "required_linear_history",
        "creation",
        "update",
    }
)
"""Rule types the fake stores (others are refused as unsupported rather than ignored)."""


class OrgHandlers:
    """Teams of organizations, and repository rulesets."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.store

    def register(self, r: Router) -> None:
        """Add this group's routes."""
        t = "/orgs/{org}/teams/{team_slug}"
        r.add("GET", f"{t}/memberships/{{username}}", self.get_membership)
        r.add("GET", f"{t}/members", self.list_members)
        p = "/repos/{owner}/{repo}"
        r.add("GET", f"{p}/rules/branches/{{branch}}", self.branch_rules)
        r.add("GET", f"{p}/rulesets", self.list_rulesets)
        r.add("POST", f"{p}/rulesets", self.create_ruleset)

    # -- teams -------------------------------------------------------------
    def _team(self, req: Request) -> Team:
        team = self.store.team(req.params["org"], req.params["team_slug"])
        if team is None:
            raise not_found()
        return team

    def get_membership(self, req: Request) -> Response:
        """GET a user's membership of a team: 200 with role and state, else 404."""
        team = self._team(req)
        login = req.params["username"]
        role = next((r for m, r in team.members.items() if m.lower() == login.lower()), None)
        if role is None:
            raise not_found()
        user = self.store.user(login)
        return Response(
            200,
            {
                "url": f"{self.store.api}/organizations/{self.store.user(team.org).id}/team/"
                f"{team.id}/memberships/{user.login}",
                "role": role,
                "state": "active",
            },
        )

    def list_members(self, req: Request) -> Response:
        """GET a team's members."""
        team = self._team(req)
        return Response(200, Paged([simple_user(self.store, m) for m in sorted(team.members)]))

    # -- rules -------------------------------------------------------------
    def branch_rules(self, req: Request) -> Response:
        """GET the active rules that apply to a branch (which need not exist)."""
        repo = self.core.repo(req.params)
        rules = active_rules(repo, req.params["branch"])
        return Response(200, Paged([rule_detail(repo, rs, rule) for rs, rule in rules]))

    def list_rulesets(self, req: Request) -> Response:
        """GET the repository's rulesets (summaries)."""
        repo = self.core.repo(req.params)
        return Response(200, Paged([self._ruleset(repo, rs, full=False) for rs in repo.rulesets]))

    def create_ruleset(self, req: Request) -> Response:
        """POST a ruleset (what Settings → Rules → Rulesets → Import does with a JSON file)."""
        repo = self.core.repo(req.params)
        name = req.json("name")
        if not name:
            raise validation_failed("Ruleset", "name", "missing_field")
        if any(rs.name == name for rs in repo.rulesets):
            raise validation_failed("Ruleset", "name", "already_exists", "Name must be unique")
        if (req.json("target") or "branch") != "branch":
            raise ApiError(422, "Validation Failed", errors=["only branch rulesets are faked"])
        rules = req.json("rules") or []
        unknown = [r.get("type") for r in rules if r.get("type") not in RULE_TYPES]
        if unknown:
            raise ApiError(
                422,
                "Validation Failed",
                errors=[f"Invalid rule '{t}': not supported by the fake" for t in unknown],
            )
        ref_name = (req.json("conditions") or {}).get("ref_name") or {}
        rs = Ruleset(
            self.store.new_id(),
            name,
            req.json("enforcement"),
            list(ref_name.get("include") or []),
            list(ref_name.get("exclude") or []),
            list(rules),
            self.store.now(),
            list(req.json("bypass_actors") or []),
        )
        repo.rulesets.append(rs)
        return Response(201, self._ruleset(repo, rs, full=True))

    def _ruleset(self, repo: Any, rs: Ruleset, *, full: bool) -> dict[str, Any]:
        url = f"{self.store.api}/repos/{repo.full_name}/rulesets/{rs.id}"
        out: dict[str, Any] = {
            "id": rs.id,
            "name": rs.name,
            "target": "branch",
            "source_type": "Repository",
            "source": repo.full_name,
            "enforcement": rs.enforcement,
            "node_id": node_id("RRS", rs.id),
            "_links": {
                "self": {"href": url},
                "html": {"href": f"{self.store.html}/{repo.full_name}/rules/{rs.id}"},
            },
            "created_at": iso(rs.created_at),
            "updated_at": iso(rs.created_at),
        }
        if full:
            out.update(
                bypass_actors=rs.bypass_actors,
                current_user_can_bypass="never",
                conditions={"ref_name": {"include": rs.include, "exclude": rs.exclude}},
                rules=rs.rules,
            )
        return out
