"""Sign-in with throttling, sessions and API tokens on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from revdesk.auth.model import Scope, Throttle, digest
from revdesk.auth.service import (
    create_token,
    revoke_token,
    session_principal,
    set_password,
    sign_in,
    sign_out,
    token_principal,
)
from revdesk.auth.tables import ApiToken, LoginAttempt, WebSession
from revdesk.core.errors import InvalidInput
from revdesk.crm.browse import create_user
from revdesk.crm.model import Role
from revdesk.db.uow import Database
from web_support import cheap_password_hashing

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TTL = timedelta(hours=1)
EMAIL = "rita@t.example"


@pytest.fixture
def db(database: Database) -> Database:
    cheap_password_hashing()
    with database.uow() as uow:
        user = create_user(uow.session, name="Rita Rep", email=EMAIL, role=Role.REP)
        set_password(uow.session, user_id=user.id, password="correct horse battery", at=NOW)
        uow.commit()
    return database


def _sign_in(db: Database, password: str, at: datetime = NOW, email: str = EMAIL) -> object:
    with db.uow() as uow:
        result = sign_in(
            uow.session, email=email, password=password, at=at, ttl=TTL,
            throttle=Throttle(max_failures=3, window=timedelta(minutes=15)),
        )  # fmt: skip
        uow.commit()
    return result


def test_a_session_stores_only_the_digest_and_expires(db: Database) -> None:
    result = _sign_in(db, "correct horse battery")
    token = result.token  # type: ignore[attr-defined]
    with db.uow() as uow:
        stored = uow.session.scalars(select(WebSession.token_hash)).all()
        assert stored == [digest(token)]
        assert session_principal(uow.session, token=token, at=NOW + TTL / 2) is not None
        assert session_principal(uow.session, token=token, at=NOW + TTL) is None
        assert session_principal(uow.session, token="rds_guess", at=NOW) is None


def test_sign_out_revokes_the_session(db: Database) -> None:
    token = _sign_in(db, "correct horse battery").token  # type: ignore[attr-defined]
    with db.uow() as uow:
        sign_out(uow.session, token=token, at=NOW)
        uow.commit()
    with db.uow() as uow:
        assert session_principal(uow.session, token=token, at=NOW) is None


def test_a_password_reset_ends_every_session(db: Database) -> None:
    token = _sign_in(db, "correct horse battery").token  # type: ignore[attr-defined]
    with db.uow() as uow:
        set_password(uow.session, user_id=1, password="another long password", at=NOW)
        uow.commit()
    with db.uow() as uow:
        assert session_principal(uow.session, token=token, at=NOW) is None


def test_wrong_passwords_and_unknown_emails_fail_alike(db: Database) -> None:
    wrong = _sign_in(db, "wrong password!")
    unknown = _sign_in(db, "correct horse battery", email="nobody@t.example")
    assert wrong.failure == unknown.failure == "wrong e-mail or password"  # type: ignore[attr-defined]


def test_three_failures_lock_the_account_even_for_the_right_password(db: Database) -> None:
    # given three failures in a row (the throttle counts rows, so every worker sees them)
    for minute in range(3):
        _sign_in(db, "wrong password!", at=NOW + timedelta(minutes=minute))
    # when the right password comes a minute later, and again after the window
    locked = _sign_in(db, "correct horse battery", at=NOW + timedelta(minutes=3))
    later = _sign_in(db, "correct horse battery", at=NOW + timedelta(minutes=16))
    # then the first is refused and the second succeeds
    assert locked.failure.startswith("too many failed sign-ins")  # type: ignore[attr-defined]
    assert later.token is not None  # type: ignore[attr-defined]
    with db.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(LoginAttempt)) == 4


def test_tokens_scopes_expiry_revocation_and_last_use(db: Database) -> None:
    with db.uow() as uow:
        row, secret = create_token(
            uow.session, user_id=1, name="ci", scopes=(Scope.READ,), at=NOW,
            expires_at=NOW + timedelta(days=1),
        )  # fmt: skip
        uow.commit()
        token_id = row.id
    with db.uow() as uow:
        principal = token_principal(uow.session, secret=secret, at=NOW + timedelta(hours=1))
        uow.commit()
        assert principal is not None
        assert principal.scopes == {Scope.READ}
        assert uow.session.get(ApiToken, token_id).last_used_at == NOW + timedelta(hours=1)  # type: ignore[union-attr]
        assert token_principal(uow.session, secret=secret, at=NOW + timedelta(days=1)) is None
        assert uow.session.scalar(select(ApiToken.token_hash)) == digest(secret)
        revoke_token(uow.session, token_id=token_id, at=NOW)
        uow.commit()
    with db.uow() as uow:
        assert token_principal(uow.session, secret=secret, at=NOW) is None


def test_a_token_needs_a_name_and_a_future_expiry(db: Database) -> None:
    with db.uow() as uow, pytest.raises(InvalidInput, match="needs a name"):
        create_token(uow.session, user_id=1, name=" ", scopes=(Scope.READ,), at=NOW)
    with db.uow() as uow, pytest.raises(InvalidInput, match="in the future"):
        create_token(uow.session, user_id=1, name="x", scopes=(Scope.READ,), at=NOW, expires_at=NOW)
