"""The policy in force: `activate_policy` validates and stores a file; requests use the active one.

A refused file changes nothing (the policy in force stays in force). Without any stored policy
the shipped standard (`examples/policies/standard.yaml`) is used and `ActivePolicy.stored` is
False, so that callers can say so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from revdesk.approvals import audit
from revdesk.approvals.loader import load_policy, load_policy_file
from revdesk.approvals.policy import Policy
from revdesk.approvals.reading import load_directory
from revdesk.approvals.states import AuditAction
from revdesk.approvals.tables import ApprovalPolicyRow, ApprovalRequest
from revdesk.core.clock import start_of_day
from revdesk.core.errors import Conflict, InvalidInput

__all__ = ["SHIPPED", "ActivePolicy", "activate_policy", "active_policy", "policy_of_request"]

SHIPPED = Path("examples/policies/standard.yaml")


@dataclass(frozen=True, slots=True)
class ActivePolicy:
    """The policy requests are submitted under, its row id, and whether it was stored."""

    policy: Policy
    row_id: int | None
    stored: bool
    label: str


@lru_cache(maxsize=16)
def _compiled(text: str, source: str, attachments: tuple[tuple[str, str], ...]) -> Policy:
    files = dict(attachments)

    def read(name: str) -> str:
        if name not in files:
            raise InvalidInput(f"the stored policy has no file {name!r}", where=source)
        return files[name]

    return load_policy(text, source=source, read_file=read)


def _from_row(row: ApprovalPolicyRow) -> Policy:
    source = f"policy {row.name} v{row.version} (#{row.id})"
    return _compiled(row.source_text, source, tuple(sorted(row.attachments.items())))


def _shipped() -> ActivePolicy:
    return ActivePolicy(load_policy_file(SHIPPED), None, False, f"{SHIPPED} (no policy activated)")


def active_policy(session: Session) -> ActivePolicy:
    """The active stored policy, or the shipped standard when none was activated."""
    row = session.scalar(
        select(ApprovalPolicyRow)
        .where(ApprovalPolicyRow.active.is_(True))
        .order_by(ApprovalPolicyRow.id.desc())
    )
    if row is None:
        return _shipped()
    label = f"{row.name} v{row.version} (activated {row.activated_at:%Y-%m-%d %H:%M} UTC)"
    return ActivePolicy(_from_row(row), row.id, True, label)


def policy_of_request(session: Session, request: ApprovalRequest) -> Policy:
    """The policy a request was submitted under."""
    if request.policy_id is None:
        return load_policy_file(SHIPPED)
    row = session.get(ApprovalPolicyRow, request.policy_id)
    return _from_row(row) if row is not None else load_policy_file(SHIPPED)


def _attachments(path: Path, text: str) -> dict[str, str]:
    """The CSV files the policy reads (the authority matrix), relative to the file."""
    found: dict[str, str] = {}

    def read(name: str) -> str:
        try:
            found[name] = (path.parent / name).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read {name}: {exc.strerror}", where=str(path)) from None
        return found[name]

    load_policy(text, source=str(path), read_file=read)
    return found


def activate_policy(
    session: Session, *, path: Path, actor_id: int | None, at: datetime
) -> ApprovalPolicyRow:
    """Validate `path` against the users and make it the policy in force (audited)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc.strerror}", where=str(path)) from None
    files = _attachments(path, text)
    policy = load_policy(
        text, source=str(path), directory=load_directory(session), read_file=files.__getitem__
    )
    return _store(session, policy, text, files, actor_id=actor_id, at=at)


def _store(
    session: Session,
    policy: Policy,
    text: str,
    attachments: dict[str, str],
    *,
    actor_id: int | None,
    at: datetime,
) -> ApprovalPolicyRow:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    row = session.scalar(select(ApprovalPolicyRow).where(ApprovalPolicyRow.sha256 == digest))
    if row is None:
        clash = session.scalar(
            select(ApprovalPolicyRow.id).where(
                ApprovalPolicyRow.name == policy.name, ApprovalPolicyRow.version == policy.version
            )
        )
        if clash is not None:
            raise Conflict(
                f"version {policy.version} of {policy.name!r} is already stored with other "
                "text: raise the version number"
            )
        row = ApprovalPolicyRow(
            name=policy.name,
            version=policy.version,
            source_text=text,
            attachments=attachments,
            sha256=digest,
            effective_from=start_of_day(policy.effective_from),
        )
        session.add(row)
    previous = active_policy(session)
    session.execute(update(ApprovalPolicyRow).values(active=False))
    row.active, row.activated_at, row.activated_by_id = True, at, actor_id
    session.flush()
    audit.append(
        session,
        at=at,
        actor_id=actor_id,
        action=AuditAction.POLICY_ACTIVATED,
        entity="approval_policy",
        entity_id=row.id,
        before={"policy_id": previous.row_id, "label": previous.label},
        after={"policy_id": row.id, "name": row.name, "version": row.version, "sha256": digest},
    )
    return row
