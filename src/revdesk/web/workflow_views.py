"""The approval workflow as the pages show it: the inbox and a deal's requests.

The workflow service lands on another branch; until it is merged these views are empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from revdesk.web.deps import Actor

__all__ = ["deal_requests", "inbox"]


def deal_requests(_session: Session, _actor: Actor, _quote_ids: Sequence[int]) -> list[Any]:
    """The approval requests of a deal's quotes, newest first, with steps and audit."""
    return []


def inbox(_session: Session, _actor: Actor) -> list[Any]:
    """The steps waiting on the actor, oldest due first."""
    return []
