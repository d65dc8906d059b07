"""Who is who: the users an approver can resolve to, their roles and managers.

A `Directory` is a plain snapshot of the users (built from the database by the approvals
service, or by hand in tests). Only active users are ever named as approvers::

    directory = Directory([
        DirectoryUser(1, "Vera Vp", "vp@t.example", Role.VP),
        DirectoryUser(2, "Max Mgr", "mgr@t.example", Role.MANAGER, manager_id=1),
    ])
    directory.manager_of(2).name   # 'Vera Vp'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from revdesk.core.errors import InvalidInput
from revdesk.crm.model import Role

__all__ = ["Directory", "DirectoryUser"]


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    """A user: id, name, e-mail, role, manager and whether they are active."""

    id: int
    name: str
    email: str
    role: Role
    manager_id: int | None = None
    active: bool = True


class Directory:
    """Users by id, e-mail (case-insensitive) and role."""

    def __init__(self, users: Iterable[DirectoryUser]) -> None:
        self._by_id: dict[int, DirectoryUser] = {}
        self._by_email: dict[str, DirectoryUser] = {}
        for user in users:
            if user.id in self._by_id:
                raise InvalidInput(f"user id {user.id} appears twice in the directory")
            self._by_id[user.id] = user
            self._by_email[user.email.strip().lower()] = user

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, user_id: int | None) -> DirectoryUser | None:
        """The user with this id, or None."""
        return self._by_id.get(user_id) if user_id is not None else None

    def by_email(self, email: str) -> DirectoryUser | None:
        """The user with this e-mail (any case), or None."""
        return self._by_email.get(email.strip().lower())

    def with_role(self, role: Role) -> list[DirectoryUser]:
        """Active users holding `role`, by id."""
        return [u for u in self._by_id.values() if u.role is role and u.active]

    def manager_of(self, user_id: int | None) -> DirectoryUser | None:
        """The user's manager, or None (also when the user is unknown)."""
        user = self.get(user_id)
        return self.get(user.manager_id) if user is not None else None

    def users(self) -> list[DirectoryUser]:
        """Every user, by id."""
        return sorted(self._by_id.values(), key=lambda user: user.id)
