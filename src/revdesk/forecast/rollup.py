"""The submission roll-up up the management tree, and the submitted-calls method (e).

A *call* is a commit and a best case for one period. Each user's call at a moment is, in order:

1. the latest **override** of that user's call made by a manager above them, if any (overrides
   win over anything the user submits, until a newer override);
2. else the user's latest own **submission** (a manager's own submission is the call for their
   whole tree);
3. else, for a manager, the **roll-up**: the sum of the calls of their direct reports (those
   who have a call; none at all gives no call);
4. else no call.

Only submissions made at or before the moment count; every submission is kept (append-only), so
the roll-up at any past moment can be recomputed. Amounts are converted to the base currency.

    table = rollup(users, submissions, "FY2027-Q1", to_base)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

from revdesk.core.errors import InvalidInput
from revdesk.forecast.model import Method, MethodResult, SubmissionKind, money
from revdesk.forecast.timeline import AsOf

__all__ = ["Call", "company_call", "rollup", "submitted"]

ToBase = Callable[[Decimal, str], Decimal]


@dataclass(frozen=True)
class Call:
    """A commit and best case in the base currency, and where they come from."""

    commit: Decimal
    best_case: Decimal
    source: str

    def __add__(self, other: Call) -> Call:
        return Call(self.commit + other.commit, self.best_case + other.best_case, "roll-up")


def _latest(submissions: pl.DataFrame, period: str, kind: SubmissionKind) -> dict[int, Any]:
    chosen = (
        submissions.filter((pl.col("period") == period) & (pl.col("kind") == kind.value))
        .sort("submitted_at", "id")
        .group_by("user_id", maintain_order=True)
        .last()
    )
    return {row["user_id"]: row for row in chosen.iter_rows(named=True)}


def _children(users: pl.DataFrame) -> dict[int | None, list[int]]:
    tree: dict[int | None, list[int]] = {}
    for user_id, manager_id in users.select("id", "manager_id").sort("id").iter_rows():
        tree.setdefault(manager_id, []).append(user_id)
    return tree


def _order(users: pl.DataFrame, root: int | None) -> list[tuple[int, int]]:
    """(user, depth) of `root`'s tree (or every tree), parents before children."""
    tree = _children(users)
    known = set(users["id"].to_list())
    tops = [root] if root is not None else [u for u in tree.get(None, []) if u in known]
    order: list[tuple[int, int]] = []
    seen: set[int] = set()
    stack = [(u, 0) for u in reversed(tops)]
    while stack:
        user, depth = stack.pop()
        if user in seen:
            raise InvalidInput(f"the reporting lines loop back to user {user}")
        seen.add(user)
        order.append((user, depth))
        stack.extend((child, depth + 1) for child in reversed(tree.get(user, [])))
    return order


def rollup(
    users: pl.DataFrame,
    submissions: pl.DataFrame,
    period: str,
    to_base: ToBase,
    *,
    root: int | None = None,
) -> pl.DataFrame:
    """Each user of `root`'s tree (or of every tree) with their own, override and rolled-up call."""
    own = _latest(submissions, period, SubmissionKind.SUBMIT)
    overrides = _latest(submissions, period, SubmissionKind.OVERRIDE)
    names = dict(users.select("id", "name").iter_rows())
    tree = _children(users)
    order = _order(users, root)
    calls: dict[int, Call | None] = {}
    rows: list[dict[str, Any]] = []
    for user, depth in reversed(order):  # children before parents
        mine = _as_call(own.get(user), to_base, "submitted")
        forced = _as_call(overrides.get(user), to_base, "override")
        below = [c for c in (calls.get(child) for child in tree.get(user, [])) if c is not None]
        rolled = sum(below[1:], below[0]) if below else None
        calls[user] = forced or mine or rolled
        chosen = calls[user]
        override = overrides.get(user)
        rows.append(
            {
                "user_id": user,
                "name": "  " * depth + str(names.get(user, user)),
                "own_commit": mine.commit if mine else None,
                "own_best_case": mine.best_case if mine else None,
                "rollup_commit": rolled.commit if rolled else None,
                "rollup_best_case": rolled.best_case if rolled else None,
                "override_commit": forced.commit if forced else None,
                "override_by": names.get(override["submitted_by_id"]) if override else None,
                "reason": override["reason"] if override else None,
                "call_commit": chosen.commit if chosen else None,
                "call_best_case": chosen.best_case if chosen else None,
                "source": chosen.source if chosen else None,
            }
        )
    money_type = pl.Decimal(38, 2)
    schema: dict[str, pl.DataType] = {
        "user_id": pl.Int64(),
        "name": pl.String(),
        **dict.fromkeys(
            ("own_commit", "own_best_case", "rollup_commit", "rollup_best_case"), money_type
        ),
        "override_commit": money_type,
        "override_by": pl.String(),
        "reason": pl.String(),
        "call_commit": money_type,
        "call_best_case": money_type,
        "source": pl.String(),
    }
    return pl.DataFrame(rows[::-1], schema=schema)


def _as_call(row: dict[str, Any] | None, to_base: ToBase, source: str) -> Call | None:
    if row is None:
        return None
    return Call(
        money(to_base(row["commit"], row["currency"])),
        money(to_base(row["best_case"], row["currency"])),
        source,
    )


def company_call(table: pl.DataFrame, users: pl.DataFrame) -> Call | None:
    """The sum of the calls of the tops of every tree (users without a manager)."""
    tops = set(users.filter(pl.col("manager_id").is_null())["id"].to_list())
    chosen = table.filter(pl.col("user_id").is_in(list(tops)) & pl.col("call_commit").is_not_null())
    if chosen.is_empty():
        return None
    return Call(
        Decimal(chosen["call_commit"].sum()),
        Decimal(chosen["call_best_case"].sum()),
        "company",
    )


def submitted(snap: AsOf) -> MethodResult:
    """The latest company call at T: commit as the point, best case as the upper figure."""
    calls = snap.submissions.filter(pl.col("period") == snap.period.label)
    if calls.is_empty():
        return MethodResult.skipped(
            Method.SUBMITTED,
            f"no call submitted for {snap.period.label} by {snap.at:%Y-%m-%d}",
        )
    table = rollup(snap.users, calls, snap.period.label, snap.to_base)
    call = company_call(table, snap.users)
    if call is None:
        return MethodResult.skipped(
            Method.SUBMITTED, "no call reaches the top of any reporting tree"
        )
    return MethodResult(
        Method.SUBMITTED,
        point=call.commit,
        best_case=call.best_case,
        note=f"{calls.height} submission(s) by {calls['submitted_by_id'].n_unique()} people",
    )
