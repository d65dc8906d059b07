"""Read use cases for browsing the CRM from the web: people, deals and quotes, page by page.

Record access is decided by the caller (a set of owner ids, or None for every owner); these
functions only filter, count and page. They write nothing, except `create_user`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from revdesk.core.errors import Conflict, InvalidInput, NotFound
from revdesk.core.fiscal import FiscalCalendar
from revdesk.crm import frames
from revdesk.crm.model import Role
from revdesk.crm.summary import Summary, summarise
from revdesk.crm.tables import Account, Opportunity, Quote, User

__all__ = [
    "DealRow",
    "OrgChart",
    "count_by_role",
    "create_user",
    "get_opportunity_or_raise",
    "get_user_by_email",
    "list_opportunities",
    "list_users",
    "opportunity_of_quote",
    "org_chart",
    "pipeline_summary",
    "quotes_of",
]


@dataclass(frozen=True)
class OrgChart:
    """Who reports to whom and who sits in which team: what record access is computed from."""

    managers: dict[int, int | None]
    teams: dict[int, int | None]


@dataclass(frozen=True)
class DealRow:
    """An opportunity with its account's name, for lists."""

    opportunity: Opportunity
    account_name: str | None


def org_chart(session: Session) -> OrgChart:
    """Every user's manager and team."""
    rows = session.execute(select(User.id, User.manager_id, User.team_id)).all()
    return OrgChart(
        managers={row.id: row.manager_id for row in rows},
        teams={row.id: row.team_id for row in rows},
    )


def get_user_by_email(session: Session, email: str) -> User | None:
    """The user with this e-mail address (case-insensitive), or None."""
    wanted = email.strip().lower()
    return session.scalar(select(User).where(func.lower(User.email) == wanted))


def create_user(
    session: Session, *, name: str, email: str, role: Role, manager_id: int | None = None
) -> User:
    """Add a user; a taken e-mail address is a Conflict."""
    address = email.strip()
    if "@" not in address or not name.strip():
        raise InvalidInput("a user needs a name and an e-mail address", where="user")
    if get_user_by_email(session, address) is not None:
        raise Conflict(f"a user with e-mail {address} already exists")
    if manager_id is not None and session.get(User, manager_id) is None:
        raise NotFound(f"manager {manager_id} does not exist", where="--manager")
    user = User(name=name.strip(), email=address, role=role, manager_id=manager_id, active=True)
    session.add(user)
    session.flush()
    return user


def list_users(
    session: Session, *, limit: int, offset: int, role: Role | None = None
) -> tuple[list[User], int]:
    """A page of users ordered by id, and how many there are in all."""
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    users = session.scalars(query.order_by(User.id).limit(limit).offset(offset)).all()
    return list(users), total


def count_by_role(session: Session) -> dict[Role, int]:
    """Active users per role."""
    rows = session.execute(
        select(User.role, func.count()).where(User.active).group_by(User.role)
    ).all()
    return {Role(role): int(n) for role, n in rows}


def _deals(owners: Collection[int] | None) -> Select[Opportunity, str]:
    query = select(Opportunity, Account.name).outerjoin(
        Account, Account.id == Opportunity.account_id
    )
    if owners is not None:
        query = query.where(Opportunity.owner_id.in_(list(owners)))
    return query


def list_opportunities(
    session: Session,
    *,
    owners: Collection[int] | None,
    limit: int,
    offset: int,
    stage: str | None = None,
    search: str | None = None,
) -> tuple[list[DealRow], int]:
    """A page of the deals owned by `owners` (all when None), newest first, and the total."""
    query = _deals(owners)
    if stage:
        query = query.where(Opportunity.stage == stage)
    if search and search.strip():
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            or_(func.lower(Opportunity.name).like(pattern), func.lower(Account.name).like(pattern))
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.execute(query.order_by(Opportunity.id.desc()).limit(limit).offset(offset)).all()
    return [DealRow(row[0], row[1]) for row in page], total


def get_opportunity_or_raise(session: Session, opportunity_id: int) -> DealRow:
    """The opportunity with its account name, or NotFound."""
    row = session.execute(_deals(None).where(Opportunity.id == opportunity_id)).first()
    if row is None:
        raise NotFound(f"opportunity {opportunity_id} does not exist")
    return DealRow(row[0], row[1])


def quotes_of(session: Session, opportunity_id: int) -> list[Quote]:
    """The opportunity's quotes, newest version first."""
    query = select(Quote).where(Quote.opportunity_id == opportunity_id)
    return list(session.scalars(query.order_by(Quote.version.desc())).all())


def opportunity_of_quote(session: Session, quote_id: int) -> int:
    """The id of the opportunity a quote belongs to, or NotFound."""
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFound(f"quote {quote_id} does not exist")
    return quote.opportunity_id


def pipeline_summary(
    session: Session,
    *,
    owners: Collection[int] | None,
    base_currency: str,
    calendar: FiscalCalendar,
    today: date,
) -> Summary:
    """Open pipeline by stage and quarter and closed business, over the deals of `owners`."""
    deals = frames.opportunities(session)
    if owners is not None:
        deals = deals.filter(pl.col("owner_id").is_in(list(owners)))
    return summarise(
        deals, frames.stages(session), frames.rate_table(session, base_currency), calendar,
        today=today,
    )  # fmt: skip
