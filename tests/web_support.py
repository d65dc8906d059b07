"""Helpers for web tests: the sample company with one signed-in user per role, clients."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from revdesk.auth import model
from revdesk.auth.model import Scope
from revdesk.auth.service import create_token, set_password
from revdesk.core.clock import utcnow
from revdesk.core.settings import Settings
from revdesk.crm import dataset
from revdesk.crm.browse import create_user
from revdesk.crm.model import QuoteStatus, Role
from revdesk.crm.service import get_user_or_raise
from revdesk.crm.tables import Quote
from revdesk.db.uow import Database
from revdesk.web.app import create_app
from revdesk.web.settings import WebSettings

PASSWORD = "correct horse battery"

# The sample company: Alice (rep, 5) reports to Marcus (manager, 2), who reports to Dana (vp, 1).
# Carla (rep, 7) reports to Priya (manager, 3). Opportunity 17 (quote 9) is Alice's; opportunity
# 20 (quote 12) is Carla's.
USERS = {
    "rep": 5,
    "manager": 2,
    "vp": 1,
    "sales_ops": 12,
    "deal_desk": 13,
    "cfo": 14,
    "finance": 15,
    "legal": 16,
}
OWN_DEAL, OWN_QUOTE = 17, 9
OTHER_DEAL, OTHER_QUOTE = 20, 12


@dataclass
class Company:
    """The app over the sample company and each role's user id and e-mail."""

    app: FastAPI
    ids: dict[str, int]
    emails: dict[str, str]


def sample_company(db: Database) -> tuple[dict[str, int], dict[str, str]]:
    """Load the sample company, add a product user and an admin, give everyone a password."""
    ids = dict(USERS)
    with db.uow() as uow:
        dataset.load_company(uow.session, dataset.sample_company())
        extra = {
            "product": create_user(
                uow.session, name="Pat Product", email="pat@northwind.example", role=Role.PRODUCT
            ),
            "admin": create_user(
                uow.session, name="Ada Admin", email="ada@northwind.example", role=Role.ADMIN
            ),
        }
        ids.update({role: user.id for role, user in extra.items()})
        now = utcnow()
        for user_id in ids.values():
            set_password(uow.session, user_id=user_id, password=PASSWORD, at=now)
        uow.session.flush()
        emails = {role: get_user_or_raise(uow.session, i).email for role, i in ids.items()}
        uow.commit()
    return ids, emails


def make_app(db: Database, **web: object) -> FastAPI:
    """The app over `db` with test settings."""
    return create_app(
        Settings(database_url="sqlite://"),
        WebSettings(**web),
        db=db,  # type: ignore[arg-type]
    )


def login(app: FastAPI, email: str, password: str = PASSWORD) -> TestClient:
    """A client signed in through the sign-in form; its CSRF token is in `client.csrf`."""
    client = TestClient(app, raise_server_exceptions=False)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    client.csrf = page_csrf(client)  # type: ignore[attr-defined]
    return client


def page_csrf(client: TestClient) -> str:
    """The session's CSRF token, read from a page's sign-out form."""
    page = client.get("/deals")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def bearer(db: Database, user_id: int, *scopes: Scope, days: int = 1) -> dict[str, str]:
    """Headers carrying a fresh API token of `user_id`."""
    with db.uow() as uow:
        now = utcnow()
        _, secret = create_token(
            uow.session,
            user_id=user_id,
            name="test",
            scopes=scopes or (Scope.READ,),
            at=now,
            expires_at=now + timedelta(days=days),
        )
        uow.commit()
    return {"Authorization": f"Bearer {secret}"}


def cheap_password_hashing() -> None:
    """Argon2 with tiny costs, so that tests hash quickly (the production costs are the
    library's defaults; verification reads the costs from each hash)."""
    model._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def draft_quote(db: Database, quote_id: int, *, payment_terms_days: int = 90) -> None:
    """Make a sample quote a draft again, with payment terms that need finance's approval."""
    with db.uow() as uow:
        quote = uow.session.get(Quote, quote_id)
        assert quote is not None
        quote.status = QuoteStatus.DRAFT
        quote.payment_terms_days = payment_terms_days
        uow.commit()
