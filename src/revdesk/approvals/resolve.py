"""Name the people who approve a step of one quote, and say why each of them.

User: the active user with that e-mail. Role: every active user with the role. Group: its
members (e-mails and `role:` entries). Field: the deal owner's manager (`owner.manager`), the
manager's manager, ... Matrix: the cell of the authority matrix for the deal's segment and
region at that level, itself an e-mail, role or group. The deal owner is never named: nobody
approves their own deal. When nobody is left, the step is unresolved with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from revdesk.approvals.directory import Directory, DirectoryUser
from revdesk.approvals.matrix import AuthorityMatrix
from revdesk.approvals.plan import ApproverKind, ApproverSpec, NamedApprover
from revdesk.crm.model import Role

__all__ = ["Resolution", "manager_label", "resolve_approvers"]

_ORDINALS = {2: "manager's manager", 3: "third-line manager", 4: "fourth-line manager"}


@dataclass(frozen=True, slots=True)
class Resolution:
    """The named approvers, or why there are none."""

    approvers: tuple[NamedApprover, ...]
    problem: str = ""


def manager_label(levels: int, owner: str) -> str:
    """'manager of Rita Rep', "manager's manager of Rita Rep", ..."""
    title = _ORDINALS.get(levels, f"level-{levels} manager") if levels > 1 else "manager"
    return f"{title} of {owner}"


def _named(users: list[DirectoryUser], label: str) -> list[NamedApprover]:
    return [NamedApprover(u.id, u.name, u.email, f"{label}: {u.name}") for u in users]


def _member(
    member: str, directory: Directory, groups: Mapping[str, tuple[str, ...]], label: str
) -> list[NamedApprover]:
    """Users a group member or matrix cell names; `label` says where it came from."""
    if member.startswith("role:"):
        role = member.removeprefix("role:")
        return _named(
            directory.with_role(Role(role)), ", ".join([*filter(None, [label]), f"role {role}"])
        )
    if member.startswith("group:"):
        group = member.removeprefix("group:")
        found = []
        for inner in groups.get(group, ()):
            found += _member(inner, directory, groups, label or f"group {group}")
        return found
    user = directory.by_email(member)
    return _named([user], label or "named approver") if user and user.active else []


def _field(spec: ApproverSpec, owner_id: int | None, directory: Directory) -> Resolution:
    owner = directory.get(owner_id)
    if owner is None:
        return Resolution((), "the deal has no owner in the directory")
    levels = spec.value.count(".manager")
    current = owner
    for _ in range(levels):
        manager = directory.manager_of(current.id)
        if manager is None:
            return Resolution((), f"{current.name} has no manager")
        current = manager
    label = manager_label(levels, owner.name)
    if not current.active:
        return Resolution((), f"{current.name}, {label}, is not active")
    return Resolution(
        (NamedApprover(current.id, current.name, current.email, f"{label}: {current.name}"),)
    )


def resolve_approvers(
    spec: ApproverSpec,
    *,
    owner_id: int | None,
    segment: str,
    region: str,
    directory: Directory,
    groups: Mapping[str, tuple[str, ...]],
    matrix: AuthorityMatrix | None,
) -> Resolution:
    """The people `spec` names for a deal owned by `owner_id` in `segment` and `region`."""
    if spec.kind is ApproverKind.FIELD:
        resolution = _field(spec, owner_id, directory)
    elif spec.kind is ApproverKind.MATRIX:
        row = matrix.lookup(segment, region, spec.value) if matrix is not None else None
        if row is None:
            return Resolution(
                (),
                f"the authority matrix has no '{spec.value}' approver for segment "
                f"'{segment or '-'}' and region '{region or '-'}'",
            )
        label = f"authority matrix {spec.value} ({row.segment}/{row.region})"
        resolution = Resolution(tuple(_member(row.cells[spec.value], directory, groups, label)))
    else:
        member = {ApproverKind.ROLE: "role:", ApproverKind.GROUP: "group:"}.get(spec.kind, "")
        resolution = Resolution(tuple(_member(member + spec.value, directory, groups, "")))
    return _without_owner(resolution, owner_id, spec)


def _without_owner(resolution: Resolution, owner_id: int | None, spec: ApproverSpec) -> Resolution:
    unique: dict[int, NamedApprover] = {}
    for approver in resolution.approvers:
        if approver.user_id != owner_id:
            unique.setdefault(approver.user_id, approver)
    if unique or resolution.problem:
        return Resolution(tuple(unique.values()), resolution.problem)
    owner_only = bool(resolution.approvers)
    why = "only the deal owner, who cannot approve their own deal" if owner_only else "nobody"
    return Resolution((), f"{spec} names {why}")
