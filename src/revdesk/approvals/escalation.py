"""SLAs: escalation by hand and when a step's business-hours SLA ran out (to the manager of
each approver who has not decided), and reminders of steps due soon or overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from revdesk.approvals import audit
from revdesk.approvals.calendar import BusinessCalendar
from revdesk.approvals.engine import (
    conflicts,
    get_request_or_raise,
    quote_and_owner,
    record,
    step_state,
)
from revdesk.approvals.routing import assign, check_router, pending_step
from revdesk.approvals.states import AssignmentSource, AuditAction, RequestStatus, StepStatus
from revdesk.approvals.tables import ApprovalAssignment, ApprovalRequest, ApprovalStep, AuditLog
from revdesk.approvals.workflow import due_at, reminder_kind
from revdesk.core.clock import ensure_utc
from revdesk.crm.tables import User

__all__ = ["Reminder", "due_reminders", "escalate", "escalate_overdue", "record_reminders"]

MAX_ESCALATIONS = 3
_STANDARD = BusinessCalendar()


def _escalate_step(
    session: Session,
    request: ApprovalRequest,
    step: ApprovalStep,
    *,
    actor_id: int | None,
    at: datetime,
    calendar: BusinessCalendar,
    comment: str | None,
) -> list[int]:
    """Add the managers of the undecided approvers; restart the SLA clock. Returns who."""
    before = step_state(step)
    waiting = session.scalars(
        select(ApprovalAssignment).where(
            ApprovalAssignment.step_row_id == step.id,
            ApprovalAssignment.active.is_(True),
            ApprovalAssignment.decision.is_(None),
        )
    ).all()
    _, owner = quote_and_owner(session, request.quote_id)
    parties = {owner, request.submitted_by_id}  # nobody approves their own deal
    added: list[int] = []
    for assignment in waiting:
        person = session.get(User, assignment.user_id)
        boss = session.get(User, person.manager_id) if person and person.manager_id else None
        if boss is None or not boss.active or boss.id in added:
            continue
        taken = session.scalar(
            select(ApprovalAssignment.id).where(
                ApprovalAssignment.step_row_id == step.id, ApprovalAssignment.user_id == boss.id
            )
        )
        if taken is None and boss.id not in parties:
            label = f"escalation: manager of {person.name if person else assignment.user_id}"
            assign(session, step, boss, source=AssignmentSource.ESCALATION, label=label)
            added.append(boss.id)
    step.escalation_level += 1
    step.due_at = due_at(calendar, at, step.sla_hours)
    flag_modified(step, "approvals")
    session.flush()
    record(
        session,
        at=at,
        actor_id=actor_id,
        action=AuditAction.ESCALATED,
        request=request,
        entity="approval_step",
        entity_id=step.id,
        comment=comment,
        before=before,
        after={**step_state(step), "added": added},
    )
    return added


def escalate(
    session: Session,
    *,
    request_id: int,
    actor_id: int,
    at: datetime,
    comment: str | None = None,
    step_row_id: int | None = None,
    calendar: BusinessCalendar = _STANDARD,
) -> list[int]:
    """Escalate an open step by hand to the managers of its undecided approvers."""
    at = ensure_utc(at, where="at")
    request = get_request_or_raise(session, request_id)
    check_router(session, request, actor_id)
    with conflicts(f"escalate request {request_id}"):
        step = pending_step(session, request, step_row_id)
        return _escalate_step(
            session, request, step, actor_id=actor_id, at=at, calendar=calendar, comment=comment
        )


def escalate_overdue(
    session: Session, *, at: datetime, calendar: BusinessCalendar = _STANDARD
) -> list[tuple[int, int]]:
    """Escalate every open step whose SLA ran out by `at`; returns (request id, step row id)."""
    at = ensure_utc(at, where="at")
    overdue = session.execute(
        select(ApprovalStep, ApprovalRequest)
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStep.request_id)
        .where(
            ApprovalStep.status == StepStatus.PENDING,
            ApprovalRequest.status == RequestStatus.PENDING,
            ApprovalStep.due_at <= at,
            ApprovalStep.escalation_level < MAX_ESCALATIONS,
        )
        .order_by(ApprovalStep.due_at, ApprovalStep.id)
    ).all()
    done = []
    with conflicts("escalate overdue steps"):
        for step, request in overdue:
            hours = f"{step.sla_hours} business hours" if step.sla_hours is not None else "its SLA"
            _escalate_step(
                session,
                request,
                step,
                actor_id=None,
                at=at,
                calendar=calendar,
                comment=f"SLA of {hours} ran out at {step.due_at:%Y-%m-%d %H:%M} UTC",
            )
            done.append((request.id, step.id))
    return done


@dataclass(frozen=True, slots=True)
class Reminder:
    """Someone to remind about a step: due soon or overdue."""

    request_id: int
    quote_id: int
    step_row_id: int
    step_id: str
    user_id: int
    email: str
    due_at: datetime
    kind: str


def _reminded(session: Session, step_row_ids: list[int]) -> set[tuple[int, int, str]]:
    rows = session.execute(
        select(AuditLog.entity_id, AuditLog.after).where(
            AuditLog.action == AuditAction.REMINDED,
            AuditLog.entity == "approval_step",
            AuditLog.entity_id.in_(step_row_ids),
        )
    )
    return {(int(e), int(a["user_id"]), str(a["kind"])) for e, a in rows if e and a}


def due_reminders(
    session: Session, *, at: datetime, calendar: BusinessCalendar = _STANDARD
) -> list[Reminder]:
    """Who should be reminded now: undecided approvers of open steps in the last quarter of
    their SLA or past it, once for each (step, person, kind)."""
    at = ensure_utc(at, where="at")
    rows = session.execute(
        select(ApprovalStep, ApprovalRequest.quote_id, User.id, User.email)
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStep.request_id)
        .join(ApprovalAssignment, ApprovalAssignment.step_row_id == ApprovalStep.id)
        .join(User, User.id == ApprovalAssignment.user_id)
        .where(
            ApprovalStep.status == StepStatus.PENDING,
            ApprovalStep.due_at.is_not(None),
            ApprovalAssignment.active.is_(True),
            ApprovalAssignment.decision.is_(None),
        )
        .order_by(ApprovalStep.due_at, ApprovalStep.id, User.id)
    ).all()
    sent = _reminded(session, sorted({step.id for step, *_ in rows}))
    found = []
    for step, quote_id, user_id, email in rows:
        kind = reminder_kind(calendar, at=at, due=step.due_at, sla_hours=step.sla_hours)
        if kind and step.due_at and (step.id, user_id, kind) not in sent:
            found.append(
                Reminder(
                    step.request_id,
                    quote_id,
                    step.id,
                    step.step_id,
                    user_id,
                    email,
                    step.due_at,
                    kind,
                )
            )
    return found


def record_reminders(session: Session, reminders: list[Reminder], *, at: datetime) -> int:
    """Note in the audit log that these reminders went out (so they are not sent twice)."""
    at = ensure_utc(at, where="at")
    with conflicts("record reminders"):
        for reminder in reminders:
            audit.append(
                session,
                at=at,
                actor_id=None,
                action=AuditAction.REMINDED,
                entity="approval_step",
                entity_id=reminder.step_row_id,
                request_id=reminder.request_id,
                after={"user_id": reminder.user_id, "kind": reminder.kind},
            )
    return len(reminders)
