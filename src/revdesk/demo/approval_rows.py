"""The demo's approval requests, steps and assignments as frames, from the policy run and the
timeline (see `approval_timeline`). Pure: ids come in as starts, nothing touches a database."""

from __future__ import annotations

import numpy as np
import polars as pl

from revdesk.approvals.directory import Directory
from revdesk.approvals.policy import Policy
from revdesk.approvals.resolve import resolve_approvers
from revdesk.approvals.states import Decision, RequestStatus, StepStatus
from revdesk.demo.approval_timeline import Timeline

__all__ = ["approver_frame", "assignment_rows", "step_rows"]

MISSING = -1  # no moment (a step not opened, not decided)


def approver_frame(policy: Policy, keys: pl.DataFrame, directory: Directory) -> pl.DataFrame:
    """(owner_id, segment, region, step_id) -> user_id, label, rank, n: resolved once per key."""
    rows: list[tuple[int, str, str, str, int, str, str, str, int, int]] = []
    for owner, segment, region in keys.select("owner_id", "segment", "region").iter_rows():
        for step in policy.steps.values():
            found = resolve_approvers(
                step.approver,
                owner_id=owner,
                segment=segment or "",
                region=region or "",
                directory=directory,
                groups=policy.groups,
                matrix=policy.matrix,
            ).approvers
            for rank, person in enumerate(found):
                rows.append(
                    (
                        owner,
                        segment,
                        region,
                        step.id,
                        person.user_id,
                        person.name,
                        person.email,
                        person.label,
                        rank,
                        len(found),
                    )
                )
    schema = [
        "owner_id",
        "segment",
        "region",
        "step_id",
        "user_id",
        "name",
        "email",
        "label",
        "rank",
        "n",
    ]
    return pl.DataFrame(rows, schema=schema, orient="row", infer_schema_length=None)


def _long(timeline: Timeline, needed: np.ndarray) -> pl.DataFrame:
    rows, cols = np.nonzero(needed)
    return pl.DataFrame(
        {
            "row": rows.astype(np.int64),
            "step_id": np.asarray(timeline.steps)[cols],
            "order": cols.astype(np.int64),
            "opened": timeline.opened[rows, cols],
            "decided": timeline.decided[rows, cols],
            "due": timeline.due[rows, cols],
        }
    )


def step_rows(
    timeline: Timeline,
    needed: np.ndarray,
    quotes: pl.DataFrame,
    policy: Policy,
    now: int,
) -> pl.DataFrame:
    """Every step of every main request with status, moments, approvals and escalation."""
    chain_of = {step.id: step.chain for step in policy.steps.values()}
    sla = {step.id: float(step.sla_hours or 24) for step in policy.steps.values()}
    frame = _long(timeline, needed).join(
        quotes.select("row", "final", "quote_id"), on="row", how="left"
    )
    last = pl.col("decided") == pl.col("decided").max().over("row")
    pending = pl.col("final") == RequestStatus.PENDING.value
    status = (
        pl.when(pending & (pl.col("decided") <= now))
        .then(pl.lit(StepStatus.APPROVED.value))
        .when(pending & (pl.col("opened") <= now))
        .then(pl.lit(StepStatus.PENDING.value))
        .when(pending)
        .then(pl.lit(StepStatus.WAITING.value))
        .when((pl.col("final") == RequestStatus.REJECTED.value) & last)
        .then(pl.lit(StepStatus.REJECTED.value))
        .otherwise(pl.lit(StepStatus.APPROVED.value))
    )
    frame = frame.with_columns(status.alias("status"))
    all_done = (pl.col("status") == StepStatus.APPROVED.value).all().over("row")
    stuck = pending & all_done & last  # a pending request keeps its last step open
    frame = frame.with_columns(
        pl.when(stuck).then(pl.lit(StepStatus.PENDING.value)).otherwise("status").alias("status"),
        pl.col("step_id").replace_strict(chain_of, return_dtype=pl.String).alias("chain_id"),
        pl.col("step_id").replace_strict(sla, return_dtype=pl.Float64).alias("sla_hours"),
    )
    waiting = pl.col("status") == StepStatus.WAITING.value
    undecided = waiting | (pl.col("status") == StepStatus.PENDING.value)
    late = pl.when(undecided).then(pl.lit(now)).otherwise("decided") > pl.col("due")
    return frame.with_columns(
        pl.col("order").rank("ordinal").over("row", "chain_id").cast(pl.Int64).alias("position"),
        pl.when(waiting).then(MISSING).otherwise("opened").alias("opened"),
        pl.when(undecided).then(MISSING).otherwise("decided").alias("decided"),
        pl.when(waiting).then(MISSING).otherwise("due").alias("due"),
        (late & ~waiting).cast(pl.Int64).alias("escalation_level"),
    ).sort("row", "order")


def assignment_rows(
    steps: pl.DataFrame, approvers: pl.DataFrame, quotes: pl.DataFrame
) -> pl.DataFrame:
    """Who was asked to decide each opened step, and who decided (approved or rejected)."""
    opened = steps.filter(pl.col("status") != StepStatus.WAITING.value)
    keyed = opened.join(quotes.select("row", "owner_id", "segment", "region"), on="row")
    asked = keyed.join(approvers, on=["owner_id", "segment", "region", "step_id"], how="inner")
    turn = (pl.col("rank") + pl.col("quote_id")) % pl.col("n")
    decision = (
        pl.when((pl.col("status") == StepStatus.APPROVED.value) & (turn < pl.col("required")))
        .then(pl.lit(Decision.APPROVED.value))
        .when((pl.col("status") == StepStatus.REJECTED.value) & (turn == 0))
        .then(pl.lit(Decision.REJECTED.value))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return asked.with_columns(decision.alias("decision")).with_columns(
        pl.when(pl.col("decision").is_not_null())
        .then("decided")
        .otherwise(MISSING)
        .alias("decided")
    )
