"""`revdesk approvals ...` and `revdesk audit verify`: the approval workflow for scripting.

Every command acts as the user named by `--as EMAIL`, at the current time, in one transaction;
`--json` prints a machine-readable result. Refusals are one line with the error's exit code
(2 bad input, 4 not found, 5 conflict, 6 permission denied).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from revdesk.approvals import service as svc
from revdesk.approvals.calendar import BusinessCalendar, load_calendar_file
from revdesk.approvals.engine import user_id_of
from revdesk.approvals.states import RequestStatus
from revdesk.cli_support import DatabaseOption, console, open_database, settings_for
from revdesk.core.clock import utcnow
from revdesk.core.errors import InvalidInput

__all__ = ["approvals_app", "audit_app"]

approvals_app = typer.Typer(
    help="The approval workflow: inbox, decisions, routing.", no_args_is_help=True
)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)

AsOption = Annotated[str, typer.Option("--as", help="the acting user's e-mail")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]
CommentOption = Annotated[str | None, typer.Option("--comment", help="a comment for the log")]
StepOption = Annotated[int | None, typer.Option("--step", help="the step's row id")]
CalendarOption = Annotated[
    Path | None,
    typer.Option("--calendar", help="business-hours YAML (default Mon-Fri 09:00-17:00 UTC)"),
]
RequestArg = Annotated[int, typer.Argument(help="the approval request's id")]


_SCALARS: tuple[tuple[Any, Callable[[Any], Any]], ...] = (
    (Enum, lambda v: v.value),
    ((datetime, date), lambda v: v.isoformat()),
    (Decimal, str),
)


def plain(value: Any) -> Any:
    """JSON-safe data from dataclasses, enums, decimals and datetimes."""
    if is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return plain(value.to_dict())
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    for kind, convert in _SCALARS:
        if isinstance(value, kind):
            return convert(value)
    return value


@contextmanager
def _session(database: str | None, *, commit: bool = True) -> Iterator[tuple[Session, str]]:
    settings = settings_for(database)
    db = open_database(settings)
    try:
        with db.uow() as uow:
            yield uow.session, settings.base_currency
            if commit:
                uow.commit()
    finally:
        db.dispose()


def _calendar(path: Path | None) -> BusinessCalendar:
    return load_calendar_file(path) if path is not None else BusinessCalendar()


def _done(result: Any, as_json: bool, text: str) -> None:
    if as_json:
        console.print_json(json.dumps(plain(result)))
    else:
        console.print(text, highlight=False)


def _request_line(request: Any) -> str:
    return f"request {request.id} on quote {request.quote_id}: [bold]{request.status}[/bold]"


@approvals_app.command("list")
def list_command(
    mine: Annotated[
        str | None, typer.Option("--inbox", help="e-mail: steps waiting on them")
    ] = None,
    status: Annotated[RequestStatus | None, typer.Option("--status")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Requests, newest first, or one approver's inbox (soonest due first)."""
    with _session(database, commit=False) as (s, _):
        approver = user_id_of(s, mine, where="--inbox") if mine else None
        rows = svc.list_requests(s, approver_id=approver, status=status, limit=limit, at=utcnow())
    if as_json:
        console.print_json(json.dumps(plain(rows)))
        return
    table = Table(title="Inbox" if mine else "Approval requests")
    for name in ("request", "quote", "status", "submitted", "step", "due", "for"):
        table.add_column(name)
    for r in rows:
        table.add_row(
            str(r.request_id),
            str(r.quote_id),
            str(r.status),
            f"{r.submitted_at:%Y-%m-%d %H:%M}",
            r.step_id or "",
            f"{r.due_at:%Y-%m-%d %H:%M}" if r.due_at else "",
            str(r.on_behalf_of_id or ""),
        )
    console.print(table)


@approvals_app.command("show")
def show_command(
    request_id: RequestArg, as_json: JsonOption = False, database: DatabaseOption = None
) -> None:
    """A request: its steps, who is asked, what they decided, and its audit entries."""
    with _session(database, commit=False) as (s, _):
        view = svc.request_view(s, request_id=request_id)
    if as_json:
        console.print_json(json.dumps(plain(view)))
        return
    console.print(
        f"request {view.id} on quote {view.quote_id}: [bold]{view.status}[/bold]", highlight=False
    )
    table = Table()
    for name in ("row", "step", "chain", "status", "approvals", "due", "assignees"):
        table.add_column(name)
    for st in view.steps:
        people = ", ".join(
            f"{a.user_id}:{a.source}{'' if a.active else '(off)'}"
            + (f"={a.decision}" if a.decision else "")
            for a in st.assignments
        )
        table.add_row(
            str(st.id),
            st.step_id,
            st.chain_id,
            str(st.status),
            f"{st.approvals}/{st.required_approvals}",
            f"{st.due_at:%Y-%m-%d %H:%M}" if st.due_at else "",
            people,
        )
    console.print(table)
    for entry in view.audit:
        console.print(
            f"  {entry['at']:%Y-%m-%d %H:%M} {entry['action']} by {entry['actor_id']}"
            f"{': ' + entry['comment'] if entry['comment'] else ''}",
            highlight=False,
        )


def _act(
    database: str | None, who: str, as_json: bool, run: Callable[[Session, int, str], Any]
) -> None:
    with _session(database) as (s, base):
        actor = user_id_of(s, who, where="--as")
        result = run(s, actor, base)
        text = _request_line(result) if hasattr(result, "quote_id") else json.dumps(plain(result))
        payload = (
            plain(svc.request_view(s, request_id=result.id))
            if hasattr(result, "quote_id")
            else plain(result)
        )
    _done(payload, as_json, text)


@approvals_app.command("submit")
def submit_command(  # noqa: PLR0917 - Typer maps each parameter to an option
    quote_id: Annotated[int, typer.Argument(help="the quote's id")],
    who: AsOption,
    comment: CommentOption = None,
    calendar: CalendarOption = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Submit a quote under the policy in force (the shipped standard if none was activated)."""

    def run(s: Session, actor: int, base: str) -> Any:
        active = svc.active_policy(s)
        if not active.stored and not as_json:
            console.print(f"[yellow]using {active.label}[/yellow]", highlight=False)
        return svc.submit(
            s,
            quote_id=quote_id,
            actor_id=actor,
            policy=active.policy,
            base_currency=base,
            at=utcnow(),
            comment=comment,
            calendar=_calendar(calendar),
        )

    _act(database, who, as_json, run)


@approvals_app.command("resubmit")
def resubmit_command(  # noqa: PLR0917 - Typer maps each parameter to an option
    request_id: RequestArg,
    who: AsOption,
    comment: CommentOption = None,
    calendar: CalendarOption = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Submit a returned, recalled, withdrawn or rejected request again (smart re-approval)."""

    def run(s: Session, actor: int, base: str) -> Any:
        return svc.resubmit(
            s,
            request_id=request_id,
            actor_id=actor,
            policy=svc.active_policy(s).policy,
            base_currency=base,
            at=utcnow(),
            comment=comment,
            calendar=_calendar(calendar),
        )

    _act(database, who, as_json, run)


@approvals_app.command("approve")
def approve_command(  # noqa: PLR0917 - Typer maps each parameter to an option
    request_id: RequestArg,
    who: AsOption,
    step: StepOption = None,
    comment: CommentOption = None,
    calendar: CalendarOption = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Approve your open step of a request."""
    _act(
        database,
        who,
        as_json,
        lambda s, actor, _: svc.approve(
            s,
            request_id=request_id,
            step_row_id=step,
            actor_id=actor,
            at=utcnow(),
            comment=comment,
            calendar=_calendar(calendar),
        ),
    )


def _required(comment: str | None, what: str) -> str:
    if not (comment or "").strip():
        raise InvalidInput(f"{what} needs --comment", where="--comment")
    return str(comment)


@approvals_app.command("reject")
def reject_command(  # noqa: PLR0917 - Typer maps each parameter to an option
    request_id: RequestArg,
    who: AsOption,
    comment: CommentOption = None,
    step: StepOption = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Reject your open step (a comment is required); the request is rejected."""
    text = _required(comment, "a rejection")
    _act(
        database,
        who,
        as_json,
        lambda s, actor, _: svc.reject(
            s, request_id=request_id, step_row_id=step, actor_id=actor, at=utcnow(), comment=text
        ),
    )


@approvals_app.command("recall")
def recall_command(
    request_id: RequestArg,
    who: AsOption,
    comment: CommentOption = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Take your request back; the quote returns to draft."""
    _act(
        database,
        who,
        as_json,
        lambda s, actor, _: svc.recall(
            s, request_id=request_id, actor_id=actor, at=utcnow(), comment=comment
        ),
    )


@approvals_app.command("return")
def return_command(
    request_id: RequestArg,
    who: AsOption,
    comment: CommentOption = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Send the quote back to the rep for revision (a comment is required)."""
    text = _required(comment, "a return for revision")
    _act(
        database,
        who,
        as_json,
        lambda s, actor, _: svc.return_for_revision(
            s, request_id=request_id, actor_id=actor, at=utcnow(), comment=text
        ),
    )


@approvals_app.command("bypass")
def bypass_command(
    request_id: RequestArg,
    who: AsOption,
    reason: Annotated[str, typer.Option("--reason", help="why (mandatory)")],
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Approve a request without its open steps (admins only, with a reason)."""
    _act(
        database,
        who,
        as_json,
        lambda s, actor, _: svc.bypass(
            s, request_id=request_id, actor_id=actor, reason=reason, at=utcnow()
        ),
    )
