"""Write the demo's approval requests, steps and assignments (ids reserved, bulk inserted).

Returned-for-revision requests are written first (their resubmission points at them), then
one request per quote. A request's frozen plan is JSON built once per distinct (owner, segment,
region, steps) combination and completed with the quote's id, not serialised quote by quote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import polars as pl

from revdesk.approvals.plan import PlanOutcome
from revdesk.approvals.policy import Policy
from revdesk.approvals.program import step_column
from revdesk.approvals.states import AssignmentSource, RequestStatus, StepStatus
from revdesk.crm.bulk import BulkWriter
from revdesk.demo.approval_timeline import Timeline

__all__ = ["Written", "write_requests"]

_KEYS = ["owner_id", "segment", "region"]

MISSING = -1  # no moment (a step not opened, not decided)


@dataclass(frozen=True)
class Written:
    """What the audit needs: requests (main and returned), steps and decided assignments."""

    requests: pl.DataFrame  # row, request_id, quote_id, owner_id, status, outcome, submitted...
    returned: pl.DataFrame  # row, request_id, quote_id, owner_id, submitted, returned_at, by
    steps: pl.DataFrame  # step_row_id, request_id, step_id, status, decided, due, escalation
    decisions: pl.DataFrame  # step_row_id, request_id, user_id, decision, decided, step status


def _stamp(name: str) -> pl.Expr:
    return (
        pl.when(pl.col(name) >= 0)
        .then(pl.col(name))
        .otherwise(None)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
    )


def _plan_json(
    policy: Policy, combo: dict[str, Any], approvers: dict[tuple[Any, ...], list[dict[str, Any]]]
) -> tuple[str, str]:
    """The plan's JSON around the quote id: (text before it, text after it)."""
    chains, present = [], set()
    for chain in policy.chains:
        steps = [s for s in chain.steps if combo[step_column(s)]]
        if not steps:
            continue
        present.add(chain.id)
        rows = []
        for position, step_id in enumerate(steps, start=1):
            step = policy.steps[step_id]
            named = approvers[(combo["owner_id"], combo["segment"], combo["region"], step_id)]
            rows.append(
                {
                    "step_id": step_id,
                    "chain_id": chain.id,
                    "position": position,
                    "approver": {"kind": str(step.approver.kind), "value": step.approver.value},
                    "approvers": named,
                    "quorum": {"kind": str(step.quorum.kind), "value": step.quorum.value},
                    "required_approvals": step.quorum.required(len(named)),
                    "sla_hours": None if step.sla_hours is None else str(step.sla_hours),
                    "rules": list(step.rules),
                    "reasons": [r.reason for r in policy.rules if r.step == step_id],
                    "tolerances": [],
                    "tested": [],
                    "status": "resolved",
                    "problem": "",
                }
            )
        chains.append(
            {"chain_id": chain.id, "after": [a for a in chain.after if a in present], "steps": rows}
        )
    head = {"format": 1, "policy_version": policy.version, "policy_name": policy.name}
    tail = {
        "outcome": combo["outcome"],
        "band": None,
        "fired": [],
        "chains": chains,
        "values": {"region": {"string": combo["region"]}, "segment": {"string": combo["segment"]}},
    }
    return json.dumps(head)[:-1] + ', "quote_id": ', ", " + json.dumps(tail)[1:]


def _plans(quotes: pl.DataFrame, policy: Policy, approvers: pl.DataFrame) -> pl.DataFrame:
    named: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for owner, segment, region, step, user, name, email, label in approvers.select(
        *_KEYS, "step_id", "user_id", "name", "email", "label"
    ).iter_rows():
        named.setdefault((owner, segment, region, step), []).append(
            {"user_id": user, "name": name, "email": email, "label": label}
        )
    columns = [*_KEYS, "outcome", *[step_column(s) for s in policy.steps]]
    combos = quotes.select(columns).unique(maintain_order=True)
    parts = [_plan_json(policy, combo, named) for combo in combos.iter_rows(named=True)]
    combos = combos.with_columns(
        pl.Series("plan_head", [p[0] for p in parts]), pl.Series("plan_tail", [p[1] for p in parts])
    )
    return quotes.join(combos, on=columns, how="left", nulls_equal=True).with_columns(
        pl.concat_str("plan_head", pl.col("quote_id").cast(pl.String), "plan_tail").alias("plan"),
        pl.concat_str(
            pl.lit('{"region": {"string": "'),
            "region",
            pl.lit('"}, "segment": {"string": "'),
            "segment",
            pl.lit('"}}'),
        ).alias("values"),
    )


def _request_frame(frame: pl.DataFrame, policy_id: int) -> pl.DataFrame:
    return frame.select(
        pl.col("request_id").alias("id"),
        "quote_id",
        pl.lit(1).alias("quote_row_version"),
        pl.lit(policy_id).alias("policy_id"),
        "status",
        "plan",
        "values",
        pl.col("owner_id").alias("submitted_by_id"),
        _stamp("submitted").alias("submitted_at"),
        _stamp("closed").alias("closed_at"),
        pl.col("previous_id").alias("previous_request_id"),
        pl.lit(1).alias("row_version"),
    )


def _returned(
    writer: BulkWriter, quotes: pl.DataFrame, timeline: Timeline, policy_id: int
) -> pl.DataFrame:
    """The requests first returned for revision: closed as returned, steps skipped."""
    frame = quotes.with_columns(
        pl.Series("submitted", timeline.returned_submitted),
        pl.Series("closed", timeline.returned_at),
    ).filter(pl.col("submitted") >= 0)
    ids = writer.reserve("approval_requests", frame.height)
    frame = frame.with_columns(
        pl.Series("request_id", list(ids), dtype=pl.Int64),
        pl.lit(RequestStatus.RETURNED.value).alias("status"),
        pl.lit(None, dtype=pl.Int64).alias("previous_id"),
    )
    writer.insert("approval_requests", _request_frame(frame, policy_id))
    return frame


def _main(
    writer: BulkWriter,
    quotes: pl.DataFrame,
    timeline: Timeline,
    *,
    returned: pl.DataFrame,
    steps: pl.DataFrame,
    policy_id: int,
) -> pl.DataFrame:
    """One request per quote: approved at once when no approval is required."""
    closed = steps.group_by("row").agg(pl.col("decided").max().alias("closed"))
    ids = writer.reserve("approval_requests", quotes.height)
    required = pl.col("outcome") == PlanOutcome.APPROVAL_REQUIRED.value
    frame = (
        quotes.with_columns(
            pl.Series("submitted", timeline.submitted),
            pl.Series("request_id", list(ids), dtype=pl.Int64),
        )
        .join(closed, on="row", how="left")
        .join(
            returned.select("row", pl.col("request_id").alias("previous_id")), on="row", how="left"
        )
        .with_columns(
            pl.when(~required)
            .then(pl.lit(RequestStatus.APPROVED.value))
            .otherwise("final")
            .alias("status"),
        )
        .with_columns(
            pl.when(pl.col("status") == RequestStatus.PENDING.value)
            .then(MISSING)
            .when(~required)
            .then("submitted")
            .otherwise(pl.col("closed").fill_null(MISSING))
            .alias("closed"),
        )
    )
    writer.insert("approval_requests", _request_frame(frame, policy_id))
    return frame


def _write_steps(writer: BulkWriter, steps: pl.DataFrame, requests: pl.DataFrame) -> pl.DataFrame:
    ids = writer.reserve("approval_steps", steps.height)
    steps = steps.join(requests.select("row", "request_id"), on="row").sort("request_id", "order")
    steps = steps.with_columns(pl.Series("step_row_id", list(ids), dtype=pl.Int64))
    approved = pl.col("status") == StepStatus.APPROVED.value
    writer.insert(
        "approval_steps",
        steps.select(
            pl.col("step_row_id").alias("id"),
            "request_id",
            "step_id",
            "chain_id",
            "position",
            "status",
            pl.col("required").alias("required_approvals"),
            pl.when(approved).then("required").otherwise(0).alias("approvals"),
            pl.col("sla_hours").cast(pl.Decimal(10, 2)),
            _stamp("opened").alias("opened_at"),
            _stamp("due").alias("due_at"),
            _stamp("decided").alias("decided_at"),
            "escalation_level",
            pl.lit(None, dtype=pl.Int64).alias("carried_from_id"),
            pl.lit(1).alias("row_version"),
        ),
    )
    return steps


def _write_assignments(
    writer: BulkWriter, assignments: pl.DataFrame, steps: pl.DataFrame
) -> pl.DataFrame:
    frame = assignments.join(
        steps.select("row", "step_id", "step_row_id", "request_id"), on=["row", "step_id"]
    ).sort("step_row_id", "rank")
    ids = writer.reserve("approval_assignments", frame.height)
    rejected = pl.col("decision") == "rejected"
    writer.insert(
        "approval_assignments",
        frame.select(
            pl.Series("id", list(ids), dtype=pl.Int64),
            "step_row_id",
            "user_id",
            pl.lit(AssignmentSource.PLAN.value).alias("source"),
            pl.lit(None, dtype=pl.Int64).alias("on_behalf_of_id"),
            "label",
            pl.lit(True).alias("active"),
            "decision",
            _stamp("decided").alias("decided_at"),
            pl.when(rejected).then(pl.lit(REJECTION)).otherwise(None).alias("comment"),
        ),
    )
    return frame.filter(pl.col("decision").is_not_null())


def _write_escalations(
    writer: BulkWriter, steps: pl.DataFrame, asked: pl.DataFrame, managers: pl.DataFrame
) -> None:
    """The manager of each late step's first approver, asked in addition (no decision)."""
    late = steps.filter(pl.col("escalation_level") > 0).select("row", "step_id", "step_row_id")
    first = asked.filter(pl.col("rank") == 0).select("row", "step_id", "user_id", "owner_id")
    frame = (
        late.join(first, on=["row", "step_id"])
        .join(managers, on="user_id")
        .filter(pl.col("manager_id") != pl.col("owner_id"))
        .join(
            asked.select("row", "step_id", pl.col("user_id").alias("manager_id")),
            on=["row", "step_id", "manager_id"],
            how="anti",
        )
        .sort("step_row_id")
    )
    ids = writer.reserve("approval_assignments", frame.height)
    writer.insert(
        "approval_assignments",
        frame.select(
            pl.Series("id", list(ids), dtype=pl.Int64),
            "step_row_id",
            pl.col("manager_id").alias("user_id"),
            pl.lit(AssignmentSource.ESCALATION.value).alias("source"),
            pl.lit(None, dtype=pl.Int64).alias("on_behalf_of_id"),
            pl.concat_str(
                pl.lit("escalation: manager of user "), pl.col("user_id").cast(pl.String)
            ).alias("label"),
            pl.lit(True).alias("active"),
            pl.lit(None, dtype=pl.String).alias("decision"),
            pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("decided_at"),
            pl.lit(None, dtype=pl.String).alias("comment"),
        ),
    )


REJECTION = "Too deep a discount for this deal"


def write_requests(
    writer: BulkWriter,
    quotes: pl.DataFrame,
    timeline: Timeline,
    *,
    steps: pl.DataFrame,
    assignments: pl.DataFrame,
    approvers: pl.DataFrame,
    managers: pl.DataFrame,
    policy: Policy,
    policy_id: int,
) -> Written:
    """Write requests, steps and assignments; return what the audit log records."""
    quotes = _plans(quotes, policy, approvers)
    returned = _returned(writer, quotes, timeline, policy_id)
    requests = _main(writer, quotes, timeline, returned=returned, steps=steps, policy_id=policy_id)
    never = pl.lit(MISSING, dtype=pl.Int64)
    _write_steps(  # the returned requests' steps: closed before anyone decided
        writer,
        steps.join(returned.select("row"), on="row").with_columns(
            pl.lit(StepStatus.SKIPPED.value).alias("status"),
            never.alias("opened"),
            never.alias("decided"),
            never.alias("due"),
            pl.lit(0, dtype=pl.Int64).alias("escalation_level"),
        ),
        returned,
    )
    steps = _write_steps(writer, steps, requests)
    decisions = _write_assignments(writer, assignments, steps)
    asked = assignments.join(quotes.select("row", "owner_id"), on="row")
    _write_escalations(writer, steps, asked, managers)
    first = (
        steps.filter(pl.col("position") == 1)
        .join(
            assignments.filter(pl.col("rank") == 0).select("row", "step_id", "user_id"),
            on=["row", "step_id"],
        )
        .group_by("row")
        .agg(pl.col("user_id").first().alias("by"))
    )
    returned = returned.join(first, on="row", how="left")
    return Written(requests, returned, steps, decisions)
