"""Use cases of the revenue data core: changing opportunities with history, reading people.

Services receive an open unit of work and never commit it themselves unless they are the whole
use case (named as a verb the user performs); callers compose them inside one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from revdesk.core.clock import ensure_utc
from revdesk.core.errors import InvalidInput, NotFound
from revdesk.core.fiscal import FiscalCalendar
from revdesk.crm import frames
from revdesk.crm.model import (
    ForecastCategory,
    StageDefinition,
    StageStatus,
    TrackedField,
    reporting_chain,
)
from revdesk.crm.summary import Summary, summarise
from revdesk.crm.tables import (
    Account,
    Contact,
    Opportunity,
    OpportunityHistory,
    Product,
    Quote,
    QuoteLine,
    Stage,
    Team,
    User,
)

_AMOUNT_QUANTUM = Decimal("0.0001")

# Opportunity attribute behind each tracked field.
_ATTRIBUTE = {
    TrackedField.STAGE: "stage",
    TrackedField.AMOUNT: "amount",
    TrackedField.CLOSE_DATE: "close_date",
    TrackedField.FORECAST_CATEGORY: "forecast_category",
    TrackedField.OWNER: "owner_id",
}


def encode_value(field: TrackedField, value: object) -> str | None:
    """The text form a tracked value takes in history (ISO dates, plain decimals, ids)."""
    if value is None:
        return None
    if field is TrackedField.AMOUNT:
        # Same scale and rounding as the amount column, so history and row never disagree.
        return format(Decimal(str(value)).quantize(_AMOUNT_QUANTUM, ROUND_HALF_UP), "f")
    if field is TrackedField.CLOSE_DATE and isinstance(value, date):
        return value.isoformat()
    return str(value)


def decode_value(field: TrackedField, text: str | None) -> object:
    """Inverse of `encode_value`; a malformed value is InvalidInput naming the field."""
    if text is None:
        return None
    try:
        if field is TrackedField.AMOUNT:
            return Decimal(text)
        if field is TrackedField.CLOSE_DATE:
            return date.fromisoformat(text)
        if field is TrackedField.OWNER:
            return int(text)
        if field is TrackedField.FORECAST_CATEGORY:
            return ForecastCategory(text)
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"cannot read {text!r} as {field.value}") from None
    return text


def stage_definitions(session: Session) -> dict[str, StageDefinition]:
    """Every stage definition by name, in pipeline order."""
    rows = session.scalars(select(Stage).order_by(Stage.sort_order)).all()
    return {row.name: to_stage_definition(row) for row in rows}


def to_stage_definition(row: Stage) -> StageDefinition:
    """The pure domain view of a stage row."""
    return StageDefinition(
        name=row.name,
        sort_order=row.sort_order,
        default_probability=row.default_probability,
        forecast_category=row.forecast_category,
        status=row.status,
        required_fields=tuple(row.required_fields),
        playbook=row.playbook,
    )


def change_opportunity(
    session: Session,
    opportunity: Opportunity,
    changes: Mapping[TrackedField, object],
    *,
    at: datetime,
    by: int | None,
    source: str = "app",
    stages: Mapping[str, StageDefinition] | None = None,
) -> list[OpportunityHistory]:
    """Apply changes to tracked fields and write one history row per real change.

    A stage change also moves forecast category and probability to the stage's defaults (unless
    the caller sets the category) and stamps `closed_at` when the new stage closes the deal.
    """
    moment = ensure_utc(at, where="change time")
    stages = stages if stages is not None else stage_definitions(session)
    pending = dict(changes)
    new_stage = pending.get(TrackedField.STAGE)
    if new_stage is not None and new_stage != opportunity.stage:
        definition = stages.get(str(new_stage))
        if definition is None:
            raise InvalidInput(
                f"unknown stage {new_stage!r}", where=f"opportunity {opportunity.id}"
            )
        pending.setdefault(TrackedField.FORECAST_CATEGORY, definition.forecast_category)
        opportunity.probability = definition.default_probability
        closing = definition.status is not StageStatus.OPEN
        opportunity.closed_at = moment if closing else None
    rows: list[OpportunityHistory] = []
    for field, value in pending.items():
        attribute = _ATTRIBUTE[field]
        old = getattr(opportunity, attribute)
        if encode_value(field, old) == encode_value(field, value):
            continue
        setattr(opportunity, attribute, value)
        rows.append(
            OpportunityHistory(
                opportunity_id=opportunity.id,
                field=field,
                old_value=encode_value(field, old),
                new_value=encode_value(field, value),
                changed_at=moment,
                changed_by_id=by,
                source=source,
            )
        )
    session.add_all(rows)
    return rows


def get_user(session: Session, user_id: int) -> User | None:
    """The user with this id, or None."""
    return session.get(User, user_id)


def get_user_or_raise(session: Session, user_id: int) -> User:
    """The user with this id, or NotFound."""
    user = get_user(session, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def manager_chain(session: Session, user_id: int) -> list[User]:
    """The user's manager, the manager's manager, and so on, nearest first."""
    get_user_or_raise(session, user_id)
    managers: dict[int, int | None] = dict(session.execute(select(User.id, User.manager_id)).all())
    ids = reporting_chain(user_id, managers)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}
    return [users[i] for i in ids]


def record_values(opportunity: Opportunity) -> dict[str, Any]:
    """The opportunity's fields by name, as exit criteria see them."""
    return {
        "amount": opportunity.amount,
        "close_date": opportunity.close_date,
        "next_step": opportunity.next_step,
        "account_id": opportunity.account_id,
        "competitors": opportunity.competitors,
        "lead_source": opportunity.lead_source,
        "forecast_category": opportunity.forecast_category,
    }


def record_creation(
    session: Session, opportunity: Opportunity, *, by: int | None, source: str = "app"
) -> list[OpportunityHistory]:
    """Write the 'created' history row (old value None) of every tracked field that has a value."""
    rows = [
        OpportunityHistory(
            opportunity_id=opportunity.id,
            field=field,
            old_value=None,
            new_value=encode_value(field, getattr(opportunity, attribute)),
            changed_at=opportunity.created_at,
            changed_by_id=by,
            source=source,
        )
        for field, attribute in _ATTRIBUTE.items()
        if getattr(opportunity, attribute) is not None
    ]
    session.add_all(rows)
    return rows


def count_records(session: Session) -> dict[str, int]:
    """Rows per record type."""
    tables = {
        "users": User,
        "teams": Team,
        "accounts": Account,
        "contacts": Contact,
        "products": Product,
        "stages": Stage,
        "opportunities": Opportunity,
        "history": OpportunityHistory,
        "quotes": Quote,
        "quote_lines": QuoteLine,
    }
    return {
        name: session.scalar(select(func.count()).select_from(t)) or 0 for name, t in tables.items()
    }


def company_summary(
    session: Session, *, base_currency: str, calendar: FiscalCalendar, today: date
) -> tuple[dict[str, int], Summary]:
    """Record counts and the pipeline summary of the whole company."""
    summary = summarise(
        frames.opportunities(session),
        frames.stages(session),
        frames.rate_table(session, base_currency),
        calendar,
        today=today,
    )
    return count_records(session), summary
