"""The web app over the sample company, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from revdesk.db.uow import Database
from web_support import Company, cheap_password_hashing, make_app, sample_company


@pytest.fixture(autouse=True)
def _fast_hashes() -> None:
    cheap_password_hashing()


@pytest.fixture
def company(database: Database) -> Company:
    """The sample company with a password for one user per role, and the app over it."""
    ids, emails = sample_company(database)
    return Company(make_app(database), ids, emails)
