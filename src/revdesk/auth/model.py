"""Pure rules of identity: secrets, their digests, scopes and the login throttle.

Secrets (session tokens, API tokens) are random and shown once; only their SHA-256 digest is
stored, so a copy of the database cannot be replayed. Passwords are hashed with argon2id::

    >>> token = new_secret("rd")
    >>> digest(token) == digest(token)
    True
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from revdesk.core.errors import InvalidInput

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "Scope",
    "Throttle",
    "check_password_rules",
    "digest",
    "hash_password",
    "new_secret",
    "parse_scopes",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 10
_HASHER = PasswordHasher()


class Scope(StrEnum):
    """What an API token may do: read records, take approval actions, administer users."""

    READ = "read"
    APPROVE = "approve"
    ADMIN = "admin"


def parse_scopes(raw: str) -> tuple[Scope, ...]:
    """Comma-separated scope names as scopes; an unknown name is InvalidInput."""
    names = [part.strip().lower() for part in raw.split(",") if part.strip()]
    if not names:
        raise InvalidInput("give at least one scope (read, approve, admin)", where="--scopes")
    chosen: list[Scope] = []
    for name in names:
        try:
            chosen.append(Scope(name))
        except ValueError:
            raise InvalidInput(
                f"unknown scope {name!r}: expected read, approve or admin", where="--scopes"
            ) from None
    return tuple(dict.fromkeys(chosen))


def new_secret(prefix: str) -> str:
    """A fresh random secret (256 bits), prefixed so that leaked tokens are recognisable."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def digest(secret: str) -> str:
    """The hex SHA-256 of a secret: what is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_password_rules(password: str) -> None:
    """Refuse a password that is too short or only whitespace."""
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters", where="password"
        )


def hash_password(password: str) -> str:
    """The argon2id hash of a password that meets the rules."""
    check_password_rules(password)
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` matches the stored argon2 hash (False for a malformed hash)."""
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Throttle:
    """At most `max_failures` failed sign-ins per e-mail within `window`, then a lock-out.

    Counted from rows in the database, so every worker process sees the same count.
    """

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)

    def locked(self, failures: list[datetime], now: datetime) -> bool:
        """Whether the recent failures lock the account out at `now`."""
        recent = [moment for moment in failures if now - moment < self.window]
        return len(recent) >= self.max_failures
