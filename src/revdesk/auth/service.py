"""Use cases of identity: passwords, sign-in with throttling, sessions and API tokens.

Every function works inside the caller's unit of work and never commits; `sign_in` records the
attempt even when it fails, so the caller commits in both cases (the throttle counts failures
in the database, which every worker process shares).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from revdesk.auth.model import (
    Scope,
    Throttle,
    digest,
    hash_password,
    new_secret,
    verify_password,
)
from revdesk.auth.tables import ApiToken, Credential, LoginAttempt, WebSession
from revdesk.core.errors import InvalidInput, NotFound
from revdesk.crm.browse import get_user_by_email
from revdesk.crm.service import get_user_or_raise

__all__ = [
    "Principal",
    "SignIn",
    "create_token",
    "list_tokens",
    "revoke_token",
    "session_principal",
    "set_password",
    "sign_in",
    "sign_out",
    "token_principal",
]

_TOUCH_EVERY = timedelta(minutes=1)
_SCOPE_NAMES = frozenset(s.value for s in Scope)
# A digest verified when the e-mail is unknown, so that timing does not reveal which exist.
_DUMMY_HASH = hash_password("not-a-real-password-0")


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: a session token and CSRF token, or the reason it failed."""

    user_id: int | None = None
    token: str | None = None
    csrf: str | None = None
    failure: str | None = None


@dataclass(frozen=True)
class Principal:
    """Who a request acts for, and how it was authenticated."""

    user_id: int
    scopes: frozenset[Scope]
    csrf: str | None = None
    via_token: bool = False


def set_password(session: Session, *, user_id: int, password: str, at: datetime) -> None:
    """Set a user's password and end every session they have open."""
    get_user_or_raise(session, user_id)
    hashed = hash_password(password)
    row = session.get(Credential, user_id)
    if row is None:
        session.add(Credential(user_id=user_id, password_hash=hashed, updated_at=at))
    else:
        row.password_hash, row.updated_at = hashed, at
    session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def _failures(session: Session, email: str, since: datetime) -> list[tuple[int, datetime]]:
    query = select(LoginAttempt.id, LoginAttempt.at).where(
        LoginAttempt.email == email, LoginAttempt.at > since, LoginAttempt.succeeded.is_(False)
    )
    return [(row.id, row.at) for row in session.execute(query)]


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    at: datetime,
    ttl: timedelta,
    throttle: Throttle,
) -> SignIn:
    """Check the password and open a session; the attempt is recorded either way."""
    address = email.strip().lower()
    # Record the attempt as a failure before the (slow) password check, so it counts
    # against the throttle even if the check is cut short; it is marked good only after.
    attempt = LoginAttempt(email=address, at=at, succeeded=False)
    session.add(attempt)
    session.flush()
    user = get_user_by_email(session, address) if address else None
    # Locking the credential row serialises concurrent attempts on one account: each waits
    # for the previous one to commit and so counts its failure (a no-op on SQLite).
    credential = (
        session.get(Credential, user.id, with_for_update=True) if user is not None else None
    )
    earlier = [
        moment
        for attempt_id, moment in _failures(session, address, at - throttle.window)
        if attempt_id != attempt.id
    ]
    if throttle.locked(earlier, at):
        session.delete(attempt)  # a locked-out try is not checked, so not counted either
        return SignIn(failure="too many failed sign-ins; try again in a few minutes")
    stored = credential.password_hash if credential is not None else _DUMMY_HASH
    matches = verify_password(stored, password) and credential is not None
    ok = matches and user is not None and user.active
    if not ok or user is None:
        return SignIn(failure="wrong e-mail or password")
    attempt.succeeded = True
    token, csrf = new_secret("rds"), secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=at,
            expires_at=at + ttl,
        )
    )
    return SignIn(user_id=user.id, token=token, csrf=csrf)


def session_principal(session: Session, *, token: str, at: datetime) -> Principal | None:
    """The signed-in user of a session cookie, or None when unknown, expired or revoked."""
    row = session.scalar(select(WebSession).where(WebSession.token_hash == digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= at:
        return None
    return Principal(row.user_id, frozenset(Scope), csrf=row.csrf_token)


def sign_out(session: Session, *, token: str, at: datetime) -> None:
    """Revoke the session of this cookie (nothing happens for an unknown one)."""
    session.execute(
        update(WebSession)
        .where(WebSession.token_hash == digest(token), WebSession.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def create_token(
    session: Session,
    *,
    user_id: int,
    name: str,
    scopes: tuple[Scope, ...],
    at: datetime,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue an API token; the secret is returned once and only its digest is kept."""
    get_user_or_raise(session, user_id)
    if not name.strip():
        raise InvalidInput("an API token needs a name", where="--name")
    if expires_at is not None and expires_at <= at:
        raise InvalidInput("the expiry must be in the future", where="--expires")
    secret = new_secret("rdt")
    row = ApiToken(
        token_hash=digest(secret),
        prefix=secret[:10],
        user_id=user_id,
        name=name.strip(),
        scopes=[str(s) for s in scopes],
        created_at=at,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row, secret


def revoke_token(session: Session, *, token_id: int, at: datetime) -> ApiToken:
    """Revoke an API token by id; NotFound when there is none."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"API token {token_id} does not exist", where="token")
    if row.revoked_at is None:
        row.revoked_at = at
    return row


def list_tokens(session: Session, *, user_id: int | None = None) -> list[ApiToken]:
    """API tokens, newest first, of one user or of everyone."""
    query = select(ApiToken)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.scalars(query.order_by(ApiToken.id.desc())))


def token_principal(session: Session, *, secret: str, at: datetime) -> Principal | None:
    """The user and scopes of a bearer token, or None; stamps last use about once a minute."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= at:
        return None
    if row.last_used_at is None or at - row.last_used_at >= _TOUCH_EVERY:
        row.last_used_at = at
    scopes = frozenset(Scope(s) for s in row.scopes if s in _SCOPE_NAMES)
    return Principal(row.user_id, scopes, via_token=True)
