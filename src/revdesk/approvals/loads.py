"""Approval load of a policy run: on how many deals each person, and each role, must approve.

Approvers depend on a deal only through its owner, segment and region (its "key"), so each
step's approvers are resolved once per distinct key with the same `resolve_approvers` as the
preview, never per deal. A person (or role) asked in one step only is then counted by summing
that step's deals per key; one asked in several steps is counted on the deals themselves, so
that a deal on which they approve twice counts once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import polars as pl

from revdesk.approvals.directory import Directory
from revdesk.approvals.policy import Policy
from revdesk.approvals.program import step_column
from revdesk.approvals.resolve import resolve_approvers

__all__ = ["Demand", "approval_demand"]

KEY = "__key"


@dataclass(frozen=True, slots=True)
class Demand:
    """Deals per approver (user id) and per role."""

    users: dict[int, int]
    roles: dict[str, int]


def _keyed(result: pl.DataFrame) -> pl.DataFrame:
    """`result` with an integer key per distinct (owner, segment, region)."""
    codes = {
        name: {value: code for code, value in enumerate(result[name].unique().sort().to_list())}
        for name in ("segment", "region")
    }
    segment = pl.col("segment").replace_strict(codes["segment"], return_dtype=pl.Int64)
    region = pl.col("region").replace_strict(codes["region"], return_dtype=pl.Int64)
    owner = pl.col("owner_id").fill_null(-1) + 1
    return result.with_columns(((owner * 1000 + segment) * 1000 + region).alias(KEY))


Counts = dict[str, dict[int, int]]
"""Step -> key -> deals needing the step."""
Where = dict[int, dict[str, set[int]]]
"""User -> step -> keys on which the user approves that step."""


def _who(policy: Policy, keyed: pl.DataFrame, directory: Directory) -> tuple[Counts, Where]:
    """For each step: deals per key, and (user -> keys where the user approves)."""
    steps = list(policy.steps.values())
    per_key = keyed.group_by(KEY).agg(
        pl.col("owner_id").first(),
        pl.col("segment").first(),
        pl.col("region").first(),
        *[pl.col(step_column(step.id)).sum().alias(step.id) for step in steps],
    )
    counts: Counts = {step.id: {} for step in steps}
    where: Where = defaultdict(lambda: defaultdict(set))
    for row in per_key.iter_rows(named=True):
        for step in steps:
            deals = row[step.id]
            if not deals:
                continue
            counts[step.id][row[KEY]] = deals
            resolution = resolve_approvers(
                step.approver,
                owner_id=row["owner_id"],
                segment=row["segment"],
                region=row["region"],
                directory=directory,
                groups=policy.groups,
                matrix=policy.matrix,
            )
            for approver in resolution.approvers:
                where[approver.user_id][step.id].add(row[KEY])
    return counts, where


def _count(
    keyed: pl.DataFrame, counts: dict[str, dict[int, int]], steps: dict[str, set[int]]
) -> int:
    """Deals on which someone asked in `steps` (step -> keys) must approve."""
    if len(steps) == 1:
        ((step, keys),) = steps.items()
        return sum(counts[step][key] for key in keys)
    needed = pl.any_horizontal(
        pl.col(step_column(step)) & pl.col(KEY).is_in(sorted(keys)) for step, keys in steps.items()
    )
    return int(keyed.select(needed.sum()).item())


def approval_demand(policy: Policy, result: pl.DataFrame, directory: Directory) -> Demand:
    """Deals per approver and per role for a `run_policy` result (see the module doc)."""
    keyed = _keyed(result)
    counts, where = _who(policy, keyed, directory)
    users = {user: _count(keyed, counts, steps) for user, steps in where.items()}
    by_role: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for user, steps in where.items():
        person = directory.get(user)
        assert person is not None
        for step, keys in steps.items():
            by_role[str(person.role)][step] |= keys
    roles = {role: _count(keyed, counts, steps) for role, steps in by_role.items()}
    return Demand(users, roles)
