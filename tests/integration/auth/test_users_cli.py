"""`revdesk users create | reset-password | list | token create | token revoke` in process."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from revdesk.cli import app
from revdesk.core.errors import InvalidInput
from revdesk.db.migrate import upgrade
from revdesk.db.uow import Database
from web_support import cheap_password_hashing


@pytest.fixture
def url(tmp_path: Path) -> str:
    cheap_password_hashing()
    address = f"sqlite:///{tmp_path / 'cli.db'}"
    db = Database.connect(address)
    upgrade(db.engine)
    db.dispose()
    return address


def test_create_list_token_and_revoke(url: str) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app,
        ["users", "create", "ada@t.example", "--name", "Ada Admin", "--role", "admin",
         "--password", "a long enough password", "--database", url],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "user 1" in created.output
    listed = runner.invoke(app, ["users", "list", "--database", url])
    assert "ada@t.example" in listed.output
    token = runner.invoke(
        app, ["users", "token", "create", "ada@t.example", "--name", "ci", "--scopes",
              "read,approve", "--database", url],
    )  # fmt: skip
    assert token.exit_code == 0, token.output
    assert "rdt_" in token.output
    revoked = runner.invoke(app, ["users", "token", "revoke", "1", "--database", url])
    assert revoked.exit_code == 0
    assert "token 1 revoked" in revoked.output


def test_bad_role_and_short_password_are_refused(url: str) -> None:
    runner = CliRunner()
    bad_role = runner.invoke(
        app, ["users", "create", "x@t.example", "--name", "X", "--role", "boss",
              "--password", "a long enough password", "--database", url],
    )  # fmt: skip
    assert isinstance(bad_role.exception, InvalidInput)
    assert bad_role.exception.where == "--role"
    assert "unknown role 'boss'" in bad_role.exception.message
    short = runner.invoke(
        app, ["users", "create", "x@t.example", "--name", "X", "--role", "rep",
              "--password", "short", "--database", url],
    )  # fmt: skip
    assert isinstance(short.exception, InvalidInput)
    assert short.exception.message == "a password needs at least 10 characters"
