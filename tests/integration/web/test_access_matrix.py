"""Every route of the app against every role: allowed, 401, 403, or 404 where a record must not
be revealed. A route of the app missing from the table below fails the test.

The company is the sample one (see web_support): Alice (rep) owns quote 9, submitted for
approval (a pending request needing her manager Marcus and finance); Carla's deal 20 and quote
12 lie in another manager's tree, under the VP. State-changing requests run on a fresh copy of
the database, so that every role meets the same state.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount, Route

from revdesk.approvals import service as approvals
from revdesk.auth.model import Scope, Throttle
from revdesk.auth.service import create_token, sign_in
from revdesk.core.clock import utcnow
from revdesk.db.migrate import upgrade
from revdesk.db.uow import Database
from revdesk.web.deps import COOKIE
from web_support import (
    OTHER_DEAL,
    OTHER_QUOTE,
    OWN_QUOTE,
    PASSWORD,
    cheap_password_hashing,
    draft_quote,
    make_app,
    sample_company,
)

ROLES = (
    "rep", "manager", "vp", "deal_desk", "finance", "legal", "product", "cfo", "sales_ops",
    "admin",
)  # fmt: skip
ANON = "anonymous"
LOGIN = "login"  # a page answers anonymous users with a redirect to the sign-in page
POLICY = Path("examples/policies/standard.yaml").read_bytes()


def everyone(
    status: int | str, anonymous: int | str = 401, **per_role: int | str
) -> dict[str, Any]:
    """The same outcome for every role, with exceptions."""
    table: dict[str, Any] = dict.fromkeys(ROLES, status)
    table.update(per_role)
    table[ANON] = anonymous
    return table


@dataclass(frozen=True)
class Case:
    """A concrete request for one route and the outcome per role."""

    method: str
    route: str
    url: str
    expect: dict[str, Any]
    json: Any = None
    form: dict[str, str] | None = None
    files: bool = False
    csrf_form: bool = False
    mutates: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


READERS_OF_OTHER = {"rep": 404, "manager": 404}
SUBMIT_OTHER = {
    "rep": 404, "manager": 404, "vp": 403, "deal_desk": 409, "admin": 409,
    "finance": 403, "legal": 403, "product": 403, "cfo": 403, "sales_ops": 409,
}  # fmt: skip
POLICY_EDITORS = {"deal_desk": 200, "sales_ops": 200, "admin": 200}
DELEGATION = {
    "delegate_id": 1, "starts_on": "2030-01-01", "ends_on": "2030-01-05", "comment": "away"
}  # fmt: skip


def cases(request_id: int) -> list[Case]:
    """The expectation table: every route with a concrete request and its outcome per role."""
    rid = request_id
    page = {"anonymous": LOGIN}
    return [
        Case("GET", "/api/v1/users/me", "/api/v1/users/me", everyone(200)),
        Case("GET", "/api/v1/users", "/api/v1/users", everyone(403, sales_ops=200, admin=200)),
        Case("GET", "/api/v1/opportunities", "/api/v1/opportunities", everyone(200)),
        Case("GET", "/api/v1/opportunities/{opportunity_id}", f"/api/v1/opportunities/{OTHER_DEAL}",
             everyone(200, **READERS_OF_OTHER)),
        Case("GET", "/api/v1/quotes/{quote_id}", f"/api/v1/quotes/{OTHER_QUOTE}",
             everyone(200, **READERS_OF_OTHER)),
        Case("GET", "/api/v1/quotes/{quote_id}/preview", f"/api/v1/quotes/{OTHER_QUOTE}/preview",
             everyone(200, **READERS_OF_OTHER)),
        Case("GET", "/api/v1/policies/active", "/api/v1/policies/active", everyone(200)),
        Case("GET", "/api/v1/policies", "/api/v1/policies", everyone(200)),
        Case("POST", "/api/v1/policies/check", "/api/v1/policies/check",
             everyone(403, **POLICY_EDITORS), files=True),
        Case("GET", "/api/v1/approvals/inbox", "/api/v1/approvals/inbox", everyone(200)),
        Case("GET", "/api/v1/approvals/{request_id}", f"/api/v1/approvals/{rid}", everyone(200)),
        Case("POST", "/api/v1/approvals", "/api/v1/approvals", everyone(0, **SUBMIT_OTHER),
             json={"quote_id": OTHER_QUOTE}, mutates=True),
        Case("POST", "/api/v1/approvals/{request_id}/approve", f"/api/v1/approvals/{rid}/approve",
             everyone(403, manager=200, finance=200), json={}, mutates=True),
        Case("POST", "/api/v1/approvals/{request_id}/reject", f"/api/v1/approvals/{rid}/reject",
             everyone(403, manager=200, finance=200), json={"comment": "no"}, mutates=True),
        Case("POST", "/api/v1/approvals/{request_id}/recall", f"/api/v1/approvals/{rid}/recall",
             everyone(403, rep=200), json={}, mutates=True),
        Case("POST", "/api/v1/approvals/delegations", "/api/v1/approvals/delegations",
             everyone(201, vp=400), json=DELEGATION, mutates=True),
        Case("GET", "/login", "/login", everyone(200, 200)),
        Case("POST", "/login", "/login", everyone(400, 400),
             form={"email": "x@y.z", "password": PASSWORD, "csrf_token": "forged"}),
        Case("POST", "/logout", "/logout", everyone(LOGIN, LOGIN), csrf_form=True, mutates=True),
        Case("GET", "/", "/", everyone(303, **page)),
        Case("GET", "/inbox", "/inbox", everyone(200, **page)),
        Case("GET", "/deals", "/deals", everyone(200, **page)),
        Case("GET", "/deals/{opportunity_id}", f"/deals/{OTHER_DEAL}",
             everyone(200, **page, **READERS_OF_OTHER)),
        Case("GET", "/quotes/{quote_id}/submit", f"/quotes/{OTHER_QUOTE}/submit",
             everyone(200, **page, **READERS_OF_OTHER)),
        Case("POST", "/quotes/{quote_id}/submit", f"/quotes/{OTHER_QUOTE}/submit",
             everyone(0, **page, **SUBMIT_OTHER), csrf_form=True, mutates=True),
        Case("POST", "/approvals/{request_id}/decide", f"/approvals/{rid}/decide",
             everyone(403, **page, manager=303, finance=303), form={"decision": "approve"},
             csrf_form=True, mutates=True),
        Case("POST", "/approvals/{request_id}/recall", f"/approvals/{rid}/recall",
             everyone(403, **page, rep=303), csrf_form=True, mutates=True),
        Case("GET", "/pipeline", "/pipeline", everyone(200, **page)),
        Case("GET", "/policy", "/policy", everyone(200, **page)),
        Case("POST", "/policy/simulate", "/policy/simulate",
             everyone(403, **page, **POLICY_EDITORS), files=True, csrf_form=True),
        Case("GET", "/docs", "/docs", everyone(200, 200)),
        Case("GET", "/openapi.json", "/openapi.json", everyone(200, 200)),
        Case("GET", "/static/vendor/plotly.min.js", "/static/vendor/plotly.min.js",
             everyone(200, 200)),
        Case("GET", "/health", "/health", everyone(200, 200)),
        Case("GET", "/static/app", "/static/app/app.css", everyone(200, 200)),
        Case("GET", "/static/swagger", "/static/swagger/swagger-ui.css", everyone(200, 200)),
    ]  # fmt: skip


def app_routes(routes: Sequence[BaseRoute]) -> set[tuple[str, str]]:
    """(method, path) of every route and mount, also inside included routers.

    FastAPI keeps an included router as one entry holding the original router (whose routes
    carry the router's prefix; the app includes them without another prefix).
    """
    found: set[tuple[str, str]] = set()
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found |= app_routes(inner.routes)
        elif isinstance(route, APIRoute | Route):
            found |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
        elif isinstance(route, Mount):
            found.add(("GET", route.path))
        else:
            found.add(("?", repr(route)))
    return found


@dataclass
class World:
    """The template database and, per role, a session (cookie, CSRF) and an all-scope token."""

    template: Path
    request_id: int
    sessions: dict[str, tuple[str, str]]
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    cheap_password_hashing()
    path = tmp_path_factory.mktemp("matrix") / "template.db"
    db = Database.connect(f"sqlite:///{path}")
    upgrade(db.engine)
    ids, emails = sample_company(db)
    draft_quote(db, OWN_QUOTE)
    sessions, tokens = {}, {}
    with db.uow() as uow:
        now = utcnow()
        request = approvals.submit(
            uow.session, quote_id=OWN_QUOTE, actor_id=ids["rep"],
            policy=approvals.active_policy(uow.session).policy, base_currency="USD", at=now,
        )  # fmt: skip
        for role in ROLES:
            signed = sign_in(
                uow.session, email=emails[role], password=PASSWORD, at=now,
                ttl=timedelta(hours=2), throttle=Throttle(),
            )  # fmt: skip
            assert signed.token is not None
            assert signed.csrf is not None
            sessions[role] = (signed.token, signed.csrf)
            _, tokens[role] = create_token(
                uow.session, user_id=ids[role], name="matrix", scopes=tuple(Scope), at=now
            )
        uow.commit()
        request_id = request.id
    db.dispose()
    return World(path, request_id, sessions, tokens)


def _send(app: FastAPI, case: Case, role: str, world: World, *, api_by_token: bool) -> Any:
    client = TestClient(app, raise_server_exceptions=False)
    headers: dict[str, str] = {}
    form = dict(case.form or {})
    if role != ANON:
        cookie, csrf = world.sessions[role]
        if case.url.startswith("/api/") and api_by_token:
            headers["Authorization"] = f"Bearer {world.tokens[role]}"
        else:
            client.cookies.set(COOKIE, cookie)
            headers["X-CSRF-Token"] = csrf
            if case.csrf_form:
                form["csrf_token"] = csrf
    files = {"file": ("standard.yaml", POLICY, "application/yaml")} if case.files else None
    return client.request(
        case.method, case.url, headers=headers, json=case.json, data=form or None, files=files,
        follow_redirects=False,
    )  # fmt: skip


def _outcome(response: Any) -> int | str:
    if response.status_code == 303 and response.headers["location"].startswith("/login"):
        return LOGIN
    return int(response.status_code)


def test_every_route_is_in_the_table(world: World, tmp_path: Path) -> None:
    # given the app and the expectation table
    db = Database.connect(f"sqlite:///{world.template}")
    app = make_app(db)
    listed = {(c.method, c.route) for c in cases(world.request_id)}
    # then every route of the app has an expectation, and the table names no route that is gone
    assert app_routes(app.routes) - listed == set()
    assert listed - app_routes(app.routes) == set()
    db.dispose()


@pytest.mark.parametrize("api_by_token", [True, False], ids=["bearer", "session"])
def test_every_route_against_every_role(world: World, tmp_path: Path, api_by_token: bool) -> None:
    shared_db = Database.connect(f"sqlite:///{world.template}")
    shared = make_app(shared_db)
    wrong: list[str] = []
    for number, case in enumerate(cases(world.request_id)):
        for role in (*ROLES, ANON):
            if case.mutates:
                copy = tmp_path / f"case{number}-{role}.db"
                shutil.copyfile(world.template, copy)
                db = Database.connect(f"sqlite:///{copy}")
                app = make_app(db)
            else:
                db, app = shared_db, shared
            got = _outcome(_send(app, case, role, world, api_by_token=api_by_token))
            if case.mutates:
                db.dispose()
                copy.unlink()
            if got != case.expect[role]:
                wrong.append(
                    f"{case.method} {case.url} as {role}: got {got}, expected {case.expect[role]}"
                )
    shared_db.dispose()
    assert wrong == [], "\n".join(wrong)
