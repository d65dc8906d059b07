"""`revdesk users create | reset-password | list | token create | token revoke | token list`."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from revdesk.auth.model import parse_scopes
from revdesk.auth.service import create_token, list_tokens, revoke_token, set_password
from revdesk.cli_support import DatabaseOption, console, open_database, settings_for
from revdesk.core.clock import utcnow
from revdesk.core.errors import InvalidInput, NotFound
from revdesk.crm.browse import create_user, get_user_by_email, list_users
from revdesk.crm.model import Role

__all__ = ["users_app"]

users_app = typer.Typer(
    help="People who sign in, and API tokens for scripts.", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens (shown once, hashed at rest).", no_args_is_help=True)
users_app.add_typer(token_app, name="token")

PASSWORD_ENV = "REVDESK_PASSWORD"  # noqa: S105 - the name of a variable, not a secret
PasswordOption = Annotated[
    str | None,
    typer.Option(
        "--password",
        help=f"the new password (default: ${PASSWORD_ENV}, else asked for without echo)",
    ),
]


def _password(given: str | None) -> str:
    if given:
        return given
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    entered: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return entered


def _role(raw: str) -> Role:
    try:
        return Role(raw.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InvalidInput(
            f"unknown role {raw!r}: expected one of {names}", where="--role"
        ) from None


@users_app.command("create")
def create(  # noqa: PLR0917 - Typer maps each parameter to an option
    email: Annotated[str, typer.Argument(help="e-mail address, used to sign in")],
    name: Annotated[str, typer.Option("--name", help="full name")],
    role: Annotated[str, typer.Option("--role", help="rep, manager, vp, deal_desk, ...")],
    manager: Annotated[int | None, typer.Option("--manager", help="manager's user id")] = None,
    password: PasswordOption = None,
    database: DatabaseOption = None,
) -> None:
    """Add a person who can sign in (or give an existing CRM user a password)."""
    chosen, secret = _role(role), _password(password)
    db = open_database(settings_for(database))
    with db.uow() as uow:
        user = get_user_by_email(uow.session, email)
        if user is None:
            user = create_user(uow.session, name=name, email=email, role=chosen, manager_id=manager)
        set_password(uow.session, user_id=user.id, password=secret, at=utcnow())
        uow.commit()
        console.print(f"[green]user {user.id}[/green] {user.email} ({user.role}) can sign in")
    db.dispose()


@users_app.command("reset-password")
def reset_password(
    email: Annotated[str, typer.Argument(help="the user's e-mail address")],
    password: PasswordOption = None,
    database: DatabaseOption = None,
) -> None:
    """Set a new password; every open session of the user ends."""
    secret = _password(password)
    db = open_database(settings_for(database))
    with db.uow() as uow:
        user = get_user_by_email(uow.session, email)
        if user is None:
            raise NotFound(f"no user with e-mail {email}", where="EMAIL")
        set_password(uow.session, user_id=user.id, password=secret, at=utcnow())
        uow.commit()
    db.dispose()
    console.print(f"[green]password reset[/green] for {email}; their sessions were ended")


@users_app.command("list")
def list_command(
    limit: Annotated[int, typer.Option("--limit")] = 100, database: DatabaseOption = None
) -> None:
    """Users with their role and manager."""
    db = open_database(settings_for(database))
    with db.uow() as uow:
        users, total = list_users(uow.session, limit=limit, offset=0)
        table = Table(title=f"Users ({total})")
        for column in ("id", "name", "e-mail", "role", "manager", "active"):
            table.add_column(column)
        for u in users:
            table.add_row(
                str(u.id), u.name, u.email, str(u.role), str(u.manager_id or ""), str(u.active)
            )
    db.dispose()
    console.print(table)


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Argument(help="the user the token acts for")],
    name: Annotated[str, typer.Option("--name", help="what the token is for")],
    scopes: Annotated[str, typer.Option("--scopes", help="read,approve,admin")] = "read",
    days: Annotated[int | None, typer.Option("--days", help="expires after N days")] = 90,
    database: DatabaseOption = None,
) -> None:
    """Issue an API token; the secret is printed once and cannot be shown again."""
    chosen = parse_scopes(scopes)
    if days is not None and days <= 0:
        raise InvalidInput("must be a positive number of days", where="--days")
    now = utcnow()
    db = open_database(settings_for(database))
    with db.uow() as uow:
        user = get_user_by_email(uow.session, email)
        if user is None:
            raise NotFound(f"no user with e-mail {email}", where="EMAIL")
        expires = now + timedelta(days=days) if days is not None else None
        row, secret = create_token(
            uow.session, user_id=user.id, name=name, scopes=chosen, at=now, expires_at=expires
        )
        uow.commit()
        console.print(f"[green]token {row.id}[/green] for {email} ({', '.join(row.scopes)})")
    db.dispose()
    console.print(secret, highlight=False, soft_wrap=True)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="the token's id")],
    database: DatabaseOption = None,
) -> None:
    """Revoke an API token at once."""
    db = open_database(settings_for(database))
    with db.uow() as uow:
        revoke_token(uow.session, token_id=token_id, at=utcnow())
        uow.commit()
    db.dispose()
    console.print(f"[green]token {token_id} revoked[/green]")


@token_app.command("list")
def token_list(database: DatabaseOption = None) -> None:
    """Every API token: owner, scopes, expiry, last use (never the secret)."""
    db = open_database(settings_for(database))
    with db.uow() as uow:
        table = Table(title="API tokens")
        for column in ("id", "user", "name", "prefix", "scopes", "expires", "last used", "revoked"):
            table.add_column(column)
        for t in list_tokens(uow.session):
            table.add_row(
                str(t.id), str(t.user_id), t.name, t.prefix, ",".join(t.scopes),
                str(t.expires_at or ""), str(t.last_used_at or ""), str(t.revoked_at or ""),
            )  # fmt: skip
    db.dispose()
    console.print(table)
