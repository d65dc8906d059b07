"""Who may see which deals and do what: pure rules, no framework, no database.

Record visibility (a record a user may not see is answered 404, so its existence is not
revealed; an action not allowed on a visible record is 403):

| role | deals they see |
|---|---|
| rep | their own; their team's too when `rep_sees_team` is set |
| manager, vp | their own and everyone's below them in the reporting tree |
| deal_desk, finance, legal, product, cfo | every deal (they approve across the company) |
| sales_ops, admin | every deal |

    >>> chart = {1: None, 2: 1, 3: 2, 4: None}
    >>> sorted(reporting_tree(1, chart))
    [1, 2, 3]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from revdesk.crm.model import Role

__all__ = [
    "READ_ALL",
    "Viewer",
    "can_administer",
    "can_edit_policy",
    "can_list_users",
    "can_submit",
    "reporting_tree",
    "visible_owners",
]

TREE_ROLES = frozenset({Role.MANAGER, Role.VP})
READ_ALL = frozenset(
    {
        Role.DEAL_DESK,
        Role.FINANCE,
        Role.LEGAL,
        Role.PRODUCT,
        Role.CFO,
        Role.SALES_OPS,
        Role.ADMIN,
    }
)
_SUBMIT_FOR_OTHERS = frozenset({Role.DEAL_DESK, Role.SALES_OPS, Role.ADMIN})
_POLICY_EDITORS = frozenset({Role.DEAL_DESK, Role.SALES_OPS, Role.ADMIN})
_USER_READERS = frozenset({Role.SALES_OPS, Role.ADMIN})


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as access rules see them."""

    user_id: int
    role: Role
    team_id: int | None = None


def reporting_tree(user_id: int, managers: Mapping[int, int | None]) -> frozenset[int]:
    """The user and everyone who reports to them, directly or not."""
    below: dict[int, list[int]] = {}
    for person, manager in managers.items():
        if manager is not None:
            below.setdefault(manager, []).append(person)
    seen, todo = {user_id}, [user_id]
    while todo:
        for person in below.get(todo.pop(), []):
            if person not in seen:
                seen.add(person)
                todo.append(person)
    return frozenset(seen)


def visible_owners(
    viewer: Viewer,
    *,
    managers: Mapping[int, int | None],
    teams: Mapping[int, int | None],
    rep_sees_team: bool = False,
) -> frozenset[int] | None:
    """Owner ids whose deals the viewer sees; None means every deal."""
    if viewer.role in READ_ALL:
        return None
    if viewer.role in TREE_ROLES:
        return reporting_tree(viewer.user_id, managers)
    if rep_sees_team and viewer.team_id is not None:
        team = frozenset(user for user, t in teams.items() if t == viewer.team_id)
        return team | {viewer.user_id}
    return frozenset({viewer.user_id})


def can_submit(viewer: Viewer, owner_id: int | None) -> bool:
    """Whether the viewer may submit a visible deal's quote for approval.

    The owner, the deal desk, sales ops or an admin may (as the workflow enforces); managers
    review their reps' deals but do not submit for them.
    """
    return viewer.role in _SUBMIT_FOR_OTHERS or owner_id == viewer.user_id


def can_edit_policy(viewer: Viewer) -> bool:
    """Whether the viewer may upload a proposed policy and simulate it."""
    return viewer.role in _POLICY_EDITORS


def can_list_users(viewer: Viewer) -> bool:
    """Whether the viewer may list every user."""
    return viewer.role in _USER_READERS


def can_administer(viewer: Viewer) -> bool:
    """Whether the viewer is an administrator."""
    return viewer.role is Role.ADMIN
