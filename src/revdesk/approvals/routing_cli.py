"""`revdesk approvals delegate | reassign | add-approver | escalate | remind | escalate-overdue`,
`revdesk audit verify` and `revdesk policy activate`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from revdesk.approvals import service as svc
from revdesk.approvals.engine import user_id_of
from revdesk.approvals.workflow_cli import (
    AsOption,
    CalendarOption,
    CommentOption,
    JsonOption,
    RequestArg,
    StepOption,
    _act,
    _calendar,
    _done,
    _session,
    approvals_app,
    audit_app,
    plain,
)
from revdesk.cli_support import DatabaseOption, console
from revdesk.core.clock import utcnow
from revdesk.core.errors import InvalidInput

__all__ = ["activate_command", "approvals_app", "audit_app"]

UserArg = Annotated[str, typer.Argument(help="a user's e-mail")]


def _day(raw: str, option: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(f"{raw!r} is not a date (expected YYYY-MM-DD)", where=option) from None


@approvals_app.command("delegate")
def delegate_command(  # noqa: PLR0917 - Typer maps each parameter to an option
    to: Annotated[str, typer.Option("--to", help="the delegate's e-mail")],
    starts: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
    ends: Annotated[str, typer.Option("--until", help="last day, YYYY-MM-DD")],
    reason: Annotated[str, typer.Option("--reason")],
    who: AsOption,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Hand your approvals to a colleague for a date range (they cannot pass them on)."""
    first, last = _day(starts, "--from"), _day(ends, "--until")

    def run(s: Session, actor: int, _: str) -> Any:
        row = svc.delegate(
            s,
            delegator_id=actor,
            delegate_id=user_id_of(s, to, where="--to"),
            starts_on=first,
            ends_on=last,
            reason=reason,
            at=utcnow(),
        )
        return {"delegation_id": row.id, "starts_on": first, "ends_on": last}

    _act(database, who, as_json, run)


@approvals_app.command("reassign")
def reassign_command(  # noqa: PLR0917 - Typer maps each parameter to an option
    request_id: RequestArg,
    source: Annotated[str, typer.Option("--from", help="the current approver's e-mail")],
    target: Annotated[str, typer.Option("--to", help="the new approver's e-mail")],
    who: AsOption,
    step: StepOption = None,
    comment: CommentOption = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Move an undecided assignment to someone else."""
    _act(
        database,
        who,
        as_json,
        lambda s, actor, _: svc.reassign(
            s,
            request_id=request_id,
            from_user_id=user_id_of(s, source, where="--from"),
            to_user_id=user_id_of(s, target, where="--to"),
            actor_id=actor,
            at=utcnow(),
            comment=comment,
            step_row_id=step,
        ),
    )


@approvals_app.command("add-approver")
def add_approver_command(  # noqa: PLR0917 - Typer maps each parameter to an option
    request_id: RequestArg,
    user: UserArg,
    who: AsOption,
    step: StepOption = None,
    comment: CommentOption = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Ask one more person to approve an open step (ad hoc)."""
    _act(
        database,
        who,
        as_json,
        lambda s, actor, _: svc.add_approver(
            s,
            request_id=request_id,
            user_id=user_id_of(s, user, where="USER"),
            actor_id=actor,
            at=utcnow(),
            comment=comment,
            step_row_id=step,
        ),
    )


@approvals_app.command("escalate")
def escalate_command(  # noqa: PLR0917 - Typer maps each parameter to an option
    request_id: RequestArg,
    who: AsOption,
    step: StepOption = None,
    comment: CommentOption = None,
    calendar: CalendarOption = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Escalate an open step to the managers of its undecided approvers."""

    def run(s: Session, actor: int, _: str) -> Any:
        added = svc.escalate(
            s,
            request_id=request_id,
            actor_id=actor,
            at=utcnow(),
            comment=comment,
            step_row_id=step,
            calendar=_calendar(calendar),
        )
        return {"request_id": request_id, "added_user_ids": added}

    _act(database, who, as_json, run)


@approvals_app.command("escalate-overdue")
def escalate_overdue_command(
    calendar: CalendarOption = None, as_json: JsonOption = False, database: DatabaseOption = None
) -> None:
    """Escalate every open step whose business-hours SLA has run out (run it from cron)."""
    with _session(database) as (s, _):
        done = svc.escalate_overdue(s, at=utcnow(), calendar=_calendar(calendar))
    data = [{"request_id": r, "step_row_id": st} for r, st in done]
    _done(data, as_json, f"escalated {len(done)} overdue step(s)")


@approvals_app.command("remind")
def remind_command(
    calendar: CalendarOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list, do not record")] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Who should be reminded now (due soon or overdue); recorded so nobody is reminded twice."""
    with _session(database, commit=not dry_run) as (s, _):
        reminders = svc.due_reminders(s, at=utcnow(), calendar=_calendar(calendar))
        if not dry_run:
            svc.record_reminders(s, reminders, at=utcnow())
    lines = [
        f"{r.email}: request {r.request_id} step {r.step_id} {r.kind} "
        f"(due {r.due_at:%Y-%m-%d %H:%M} UTC)"
        for r in reminders
    ]
    _done(reminders, as_json, "\n".join(lines) or "nobody to remind")


@audit_app.command("verify")
def verify_command(as_json: JsonOption = False, database: DatabaseOption = None) -> None:
    """Walk the audit chain; exit 1 naming the first entry that was edited, deleted or moved."""
    with _session(database, commit=False) as (s, _):
        report = svc.verify_audit(s)
    if as_json:
        console.print_json(data=plain({"checked": report.checked, "broken": report.broken}))
    elif report.ok:
        console.print(f"[green]ok[/green] {report.checked:,} audit entries verified")
    else:
        assert report.broken is not None
        console.print(
            f"[red]broken[/red] at entry {report.broken.row_id}: {report.broken.reason} "
            f"({report.checked:,} entries verified before it)",
            highlight=False,
        )
    if not report.ok:
        raise typer.Exit(1)


def activate_command(
    file: Annotated[Path, typer.Argument(help="the policy file (YAML)")],
    who: Annotated[str | None, typer.Option("--as", help="the acting user's e-mail")] = None,
    database: DatabaseOption = None,
) -> None:
    """Validate a policy and make it the one in force (a refused file changes nothing)."""
    with _session(database) as (s, _):
        actor = user_id_of(s, who, where="--as") if who else None
        row = svc.activate_policy(s, path=file, actor_id=actor, at=utcnow())
        text = (
            f"[green]active[/green] {row.name} v{row.version} (#{row.id}, sha256 {row.sha256[:12]})"
        )
    console.print(text, highlight=False)
