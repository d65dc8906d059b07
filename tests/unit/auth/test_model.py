"""Secrets, password hashing, scopes and the sign-in throttle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from revdesk.auth.model import (
    Scope,
    Throttle,
    digest,
    hash_password,
    new_secret,
    parse_scopes,
    verify_password,
)
from revdesk.core.errors import InvalidInput
from web_support import cheap_password_hashing

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_the_digest_is_sha256_hex() -> None:
    assert digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_secrets_are_prefixed_and_unique() -> None:
    first, second = new_secret("rdt"), new_secret("rdt")
    assert first.startswith("rdt_")
    assert len(first) == 4 + 43
    assert first != second


def test_passwords_hash_with_argon2id_and_verify() -> None:
    cheap_password_hashing()
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    assert not verify_password("not a hash", "correct horse battery")


def test_short_passwords_are_refused() -> None:
    with pytest.raises(InvalidInput, match="at least 10 characters"):
        hash_password("  short  ")


def test_scopes_parse_and_refuse_unknown_names() -> None:
    assert parse_scopes("read, approve,read") == (Scope.READ, Scope.APPROVE)
    with pytest.raises(InvalidInput, match="unknown scope 'write'"):
        parse_scopes("read,write")
    with pytest.raises(InvalidInput, match="at least one scope"):
        parse_scopes(" , ")


def test_the_throttle_counts_failures_inside_its_window() -> None:
    throttle = Throttle(max_failures=3, window=timedelta(minutes=15))
    recent = [NOW - timedelta(minutes=m) for m in (1, 5, 14)]
    old = [NOW - timedelta(minutes=m) for m in (1, 5, 15)]
    assert throttle.locked(recent, NOW)
    assert not throttle.locked(old, NOW)
    assert not throttle.locked(recent[:2], NOW)
