"""Request dependencies: the unit of work, the signed-in actor, CSRF and scope checks.

API requests authenticate with `Authorization: Bearer <token>` or with the session cookie; a
cookie-authenticated unsafe request must also send the session's CSRF token in `X-CSRF-Token`.
Pages authenticate with the cookie only and check the CSRF token of every form they accept.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.templating import Jinja2Templates

from revdesk.auth.model import Scope, Throttle
from revdesk.auth.service import Principal, session_principal, token_principal
from revdesk.core.clock import utcnow
from revdesk.core.errors import PermissionDenied
from revdesk.core.settings import Settings
from revdesk.crm.browse import org_chart
from revdesk.crm.model import Role
from revdesk.crm.service import get_user
from revdesk.db.uow import Database, UnitOfWork
from revdesk.web.access import TREE_ROLES, Viewer, reporting_tree, visible_owners
from revdesk.web.errors import Unauthenticated
from revdesk.web.settings import WebSettings

__all__ = [
    "COOKIE",
    "MAX_ID",
    "Actor",
    "ApiActor",
    "Id",
    "PageActor",
    "UowDep",
    "WebState",
    "check_form_csrf",
    "require_scope",
    "state_of",
]

COOKIE = "revdesk_session"
# Row ids are 32-bit integer columns: a larger id is a 422, not a database overflow (500).
MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class WebState:
    """What every request shares: the database, the settings, templates and the policy."""

    db: Database
    settings: Settings
    web: WebSettings
    templates: Jinja2Templates

    @property
    def session_ttl(self) -> timedelta:
        """How long a new session lasts."""
        return timedelta(hours=self.web.session_hours)

    @property
    def throttle(self) -> Throttle:
        """The sign-in throttle."""
        return Throttle(
            self.web.login_max_failures, timedelta(minutes=self.web.login_window_minutes)
        )


def state_of(request: Request) -> WebState:
    """The app's shared state."""
    state: WebState = request.app.state.revdesk
    return state


def _uow(request: Request) -> Iterator[UnitOfWork]:
    with state_of(request).db.uow() as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(_uow)]


@dataclass(frozen=True)
class Actor:
    """The signed-in user, how they authenticated, and which deals they may see."""

    user_id: int
    name: str
    email: str
    role: Role
    principal: Principal
    owners: frozenset[int] | None
    tree: frozenset[int] | None

    @property
    def viewer(self) -> Viewer:
        """The user as the access rules see them."""
        return Viewer(self.user_id, self.role)

    @property
    def csrf(self) -> str:
        """The session's CSRF token ('' for bearer tokens, which need none)."""
        return self.principal.csrf or ""

    def sees(self, owner_id: int | None) -> bool:
        """Whether a deal owned by `owner_id` is visible."""
        return self.owners is None or owner_id in self.owners


def _actor(request: Request, uow: UnitOfWork, principal: Principal | None) -> Actor:
    if principal is None:
        raise Unauthenticated("sign in first: no session, or it expired or was revoked")
    user = get_user(uow.session, principal.user_id)
    if user is None or not user.active:
        raise Unauthenticated("this account is not active")
    chart = org_chart(uow.session)
    viewer = Viewer(user.id, user.role, user.team_id)
    owners = visible_owners(
        viewer,
        managers=chart.managers,
        teams=chart.teams,
        rep_sees_team=state_of(request).web.rep_sees_team,
    )
    tree = reporting_tree(user.id, chart.managers) if user.role in TREE_ROLES else None
    return Actor(user.id, user.name, user.email, user.role, principal, owners, tree)


def _api_actor(request: Request, uow: UowDep) -> Actor:
    header = request.headers.get("authorization")
    now = utcnow()
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("expected 'Authorization: Bearer <token>'")
        principal = token_principal(uow.session, secret=secret.strip(), at=now)
        uow.commit()  # last_used_at
        if principal is None:
            raise Unauthenticated("the API token is unknown, expired or revoked")
        actor = _actor(request, uow, principal)
        if request.method in _SAFE:
            require_scope(actor, Scope.READ)
        return actor
    cookie = request.cookies.get(COOKIE)
    principal = session_principal(uow.session, token=cookie, at=now) if cookie else None
    actor = _actor(request, uow, principal)
    if request.method in _SAFE:
        require_scope(actor, Scope.READ)
    else:
        sent = request.headers.get("x-csrf-token", "")
        if not secrets.compare_digest(sent.encode(), actor.csrf.encode()):
            raise PermissionDenied("missing or wrong X-CSRF-Token header", where="X-CSRF-Token")
    return actor


def _page_actor(request: Request, uow: UowDep) -> Actor:
    cookie = request.cookies.get(COOKIE)
    principal = session_principal(uow.session, token=cookie, at=utcnow()) if cookie else None
    return _actor(request, uow, principal)


ApiActor = Annotated[Actor, Depends(_api_actor)]
PageActor = Annotated[Actor, Depends(_page_actor)]


def require_scope(actor: Actor, scope: Scope) -> None:
    """Refuse a bearer token that lacks `scope` (sessions carry every scope)."""
    if scope not in actor.principal.scopes:
        raise PermissionDenied(f"the API token lacks the {scope!r} scope", where="Authorization")


def check_form_csrf(actor: Actor, sent: str | None) -> None:
    """Refuse a form whose CSRF token is not the session's."""
    if not sent or not secrets.compare_digest(sent.encode(), actor.csrf.encode()):
        raise PermissionDenied("the form has expired or was not sent by RevDesk; reload the page")
