"""Demo sign-ins: one user per role gets the demo password, printed at start-up.

For demonstrations over the demo company only; never use `--demo-logins` on real data. The rep
is one who owns deals, and the manager and VP are the people above that rep, so that an
approval can be walked through end to end.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from revdesk.auth.service import set_password
from revdesk.core.clock import utcnow
from revdesk.crm.browse import create_user, list_opportunities, list_users
from revdesk.crm.model import Role
from revdesk.crm.service import manager_chain
from revdesk.db.uow import Database

__all__ = ["DEMO_PASSWORD", "demo_users", "print_demo_logins"]

DEMO_PASSWORD = "revdesk-demo"  # noqa: S105 - printed on purpose, demo data only


def demo_users(session: Session) -> dict[Role, Any]:
    """One active user per role (created when the company has none), the rep's manager and
    VP chosen from the rep's chain."""
    users, _ = list_users(session, limit=100_000, offset=0)
    chosen: dict[Role, Any] = {}
    deals, _ = list_opportunities(session, owners=None, limit=200, offset=0)
    reps = {u.id: u for u in users if u.role is Role.REP and u.active}
    owner = next((d.opportunity.owner_id for d in deals if d.opportunity.owner_id in reps), None)
    if owner is not None:
        chosen[Role.REP] = reps[owner]
        for boss in manager_chain(session, owner):
            if boss.role in (Role.MANAGER, Role.VP) and boss.active:
                chosen.setdefault(boss.role, boss)
    for user in users:
        if user.active:
            chosen.setdefault(user.role, user)
    for role in Role:
        if role not in chosen:  # e.g. no admin in the demo company: add one
            chosen[role] = create_user(
                session,
                name=f"Demo {role.value.replace('_', ' ').title()}",
                email=f"demo-{role.value.replace('_', '-')}@revdesk.example",
                role=role,
            )
    return {role: chosen[role] for role in Role}


def print_demo_logins(db: Database, console: Console) -> None:
    """Give each chosen user the demo password and print the table of sign-ins."""
    with db.uow() as uow:
        people = demo_users(uow.session)
        now = utcnow()
        for user in people.values():
            set_password(uow.session, user_id=user.id, password=DEMO_PASSWORD, at=now)
        uow.commit()
        table = Table(title=f"Demo sign-ins (password for all: {DEMO_PASSWORD})")
        for column in ("role", "name", "e-mail"):
            table.add_column(column)
        for role, user in people.items():
            table.add_row(str(role), user.name, user.email)
    console.print(table)
