"""Who may do what: one function, :func:`allowed`, consulted by every write and every route.

It sits below the store and the services (it knows roles, not tables): every write a person
makes goes through :mod:`mic2025.services`, which calls :func:`require` before it writes, and
the platform's routes ask :func:`allowed` before they read. :class:`Forbidden` is the one
refusal, whoever asks — a page, the API or the command line.

An *actor* holds role grants, each scoped to everything, to a province (and its cities) or
to an enterprise. A *resource* says what is touched: its kind and, where it has them, its
area, its enterprise and its owner. :data:`RULES` lists, for every role, the actions it may
take and the scope within which it may take them; nothing else grants anything. The
anonymous public holds no grant and may only read published data.

Scopes
------
``all``
    anywhere.
``area``
    resources whose area lies in the grant's province (``440000`` covers ``440100``);
    national resources (``000000``) lie in no province. A grant on the national area itself
    (``prov_editor:000000``, the national figures' editor) covers the national resources
    only, never a province's.
``area_own``
    as ``area``, but only the province's own figures, not an enterprise's return (a
    provincial editor uploads for the province, not in an enterprise's name).
``enterprise``
    resources of the grant's enterprise.
``self``
    resources the actor owns (its own API tokens).
``body``
    resources of the grant's responsible body (a ministry, ``body_editor:miit``): the
    supervision milestones that body owns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .errors import Mic2025Error, Words
from .i18n import t
from .reference import NATIONAL, area_label

Action = Literal[
    "published:read",      # plan, observations, evaluations, downloads, pages
    "submission:read",
    "submission:upload",   # create a submission, or replace the file of an open one
    "submission:submit",
    "submission:approve",  # approve (and so lock); bulk approval is many approvals
    "submission:accept",   # national acceptance of a province-approved submission (the
                           # second approval level), or its return
    "submission:return",   # send back with a comment
    "submission:unlock",   # reopen an approved submission, with a reason
    "template:download",
    "board:read",          # the deadlines board: who is late
    "deadline:set",
    "user:manage",
    "audit:read",
    "token:manage",        # one's own API tokens
    "followup:read",       # early warnings, supervision, third-party results and reviews,
                           # the mid-term page
    "milestone:update",    # a supervision status update of a milestone
    "score:write",         # a third-party evaluator's score in a round, or written review
    "round:create",        # open a third-party evaluation round (frozen on a vintage)
    "owners:read",         # the owner directory: who is e-mailed which warnings
    "data:import",         # figures straight into the store, outside the submission
                           # workflow (mic2025 import, microdata estimates)
]
ACTIONS: tuple[Action, ...] = Action.__args__  # type: ignore[attr-defined]

Scope = Literal["all", "area", "area_own", "enterprise", "self", "body"]
Role = Literal["admin", "analyst", "prov_editor", "prov_approver", "enterprise", "evaluator",
               "body_editor", "national_approver"]

_EVERY_USER: dict[Action, Scope] = {"published:read": "all", "token:manage": "self"}

#: role → action → scope within which the role may take the action
RULES: dict[Role, dict[Action, Scope]] = {
    "admin": {a: ("self" if a == "token:manage" else "all") for a in ACTIONS},
    "analyst": {
        **_EVERY_USER, "submission:read": "all", "board:read": "all", "followup:read": "all",
    },
    "prov_editor": {
        **_EVERY_USER,
        "submission:read": "area", "submission:upload": "area_own",
        "submission:submit": "area_own", "template:download": "area_own",
        "board:read": "area", "followup:read": "all",
    },
    "prov_approver": {
        **_EVERY_USER,
        "submission:read": "area", "submission:approve": "area", "submission:return": "area",
        "template:download": "area_own", "board:read": "area", "followup:read": "all",
    },
    "enterprise": {
        **_EVERY_USER,
        "submission:read": "enterprise", "submission:upload": "enterprise",
        "submission:submit": "enterprise", "template:download": "enterprise",
    },
    "evaluator": {  # the third-party evaluator opens, scores and closes its rounds
        **_EVERY_USER,
        "submission:read": "all", "board:read": "all", "followup:read": "all",
        "score:write": "all", "round:create": "all",
    },
    "body_editor": {
        **_EVERY_USER, "followup:read": "all", "milestone:update": "body",
    },
    "national_approver": {
        **_EVERY_USER,
        "submission:read": "all", "submission:accept": "all", "board:read": "all",
        "followup:read": "all",
    },
}


class Forbidden(Mic2025Error):
    """The actor may not take this action on this resource (HTTP 403, exit status 2)."""


@dataclass(frozen=True)
class Grant:
    role: Role
    area: str = ""
    enterprise: str = ""
    body: str = ""


@dataclass(frozen=True)
class Actor:
    """Who is asking. ``id`` is None for the anonymous public."""

    id: int | None
    username: str
    grants: tuple[Grant, ...] = ()
    display_name: str = ""
    demo: bool = False
    #: how the actor authenticated: session, token, cli, system, or anonymous
    via: str = "anonymous"

    @property
    def anonymous(self) -> bool:
        return self.id is None

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.role for g in self.grants))


PUBLIC = Actor(id=None, username="anonymous")
#: the installation acting on itself, with no account: seeding the demo accounts, set-up
#: scripts and tests. It may do anything; no request and no command can become it (a
#: request's actor comes from a session or a token, a command's from ``--as``).
SYSTEM = Actor(id=None, username="system", via="system")


@dataclass(frozen=True)
class Resource:
    """What an action touches. Unused fields stay empty."""

    kind: str
    area: str = ""
    enterprise: str = ""
    owner: str = ""
    body: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False)


SITE = Resource("site")


def _in_province(province: str, area: str) -> bool:
    if not province or not area or area == NATIONAL or province == NATIONAL:
        return False
    return area[:2] == province[:2]


def _within(scope: Scope, grant: Grant, actor: Actor, resource: Resource) -> bool:
    if scope == "all":
        return True
    if scope in ("area", "area_own") and grant.area == NATIONAL:
        return resource.area == NATIONAL and not resource.enterprise
    if scope == "area":
        return _in_province(grant.area, resource.area)
    if scope == "area_own":
        return not resource.enterprise and _in_province(grant.area, resource.area)
    if scope == "enterprise":
        return bool(grant.enterprise) and resource.enterprise == grant.enterprise
    if scope == "body":
        return bool(grant.body) and resource.body == grant.body
    return bool(resource.owner) and resource.owner == actor.username  # self


def allowed(actor: Actor, action: Action, resource: Resource = SITE) -> bool:
    """True when some grant of ``actor`` lets it take ``action`` on ``resource``."""
    if action == "published:read":
        return True  # the public may read what is published; nothing else is public
    if actor.id is None and actor.via == "system":
        return True  # the installation itself (SYSTEM), never a request or a command
    for grant in actor.grants:
        scope = RULES.get(grant.role, {}).get(action)
        if scope is not None and _within(scope, grant, actor, resource):
            return True
    return False


def may_at_all(actor: Actor, action: Action) -> bool:
    """True when ``actor`` may take ``action`` on some resource (to show a menu entry)."""
    return action == "published:read" or any(
        action in RULES.get(g.role, {}) for g in actor.grants
    )


def require(actor: Actor, action: Action, resource: Resource = SITE) -> None:
    """Raise :class:`Forbidden`, naming who, what and where, unless :func:`allowed`."""
    if allowed(actor, action, resource):
        return
    where = [f"{k} {v}" for k, v in (("area", resource.area),
                                     ("enterprise", resource.enterprise),
                                     ("body", resource.body)) if v]
    raise Forbidden(f"{actor.username} may not {action}"
                    + (f" ({', '.join(where)})" if where else "")).saying(
        "error.forbidden", user=actor.username, action=_said(f"may.{action}"),
        where=_place(resource))


def _said(key: str, **params: object) -> Words:
    return Words(t(key, "zh", **params), t(key, "en", **params))


def _place(resource: Resource) -> Words:
    """Where a refused action was aimed, by name: the area (全国 for the nation), or the
    enterprise's code; nothing for a national resource without either."""
    if resource.enterprise:
        return _said("error.forbidden_enterprise", enterprise=resource.enterprise)
    if resource.area:
        return Words(t("error.forbidden_where", "zh", area=area_label(resource.area, "zh")),
                     t("error.forbidden_where", "en", area=area_label(resource.area, "en")))
    return Words("", "")
