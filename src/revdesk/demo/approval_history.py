"""Step of the demo build: run the company's quotes through the approval workflow.

Every quote past draft gets the approval request the standard policy asks for: steps in chain
order with their named approvers, decisions at realistic moments (business hours, some past
their SLA and escalated), rejections where the quote was rejected, some requests first returned
for revision and resubmitted, pending ones where the quote is in review. Written columnar with
the bulk writer; the audit log gets one hash-chained entry per action, so that
`revdesk audit verify` passes on the demo database.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import polars as pl

from revdesk.approvals.context_frames import evaluation_frames
from revdesk.approvals.directory import Directory
from revdesk.approvals.loader import load_policy_file
from revdesk.approvals.policy import Policy
from revdesk.approvals.program import run_policy, step_column
from revdesk.approvals.service import load_directory, quote_rates
from revdesk.approvals.states import RequestStatus
from revdesk.crm.bulk import BulkWriter
from revdesk.crm.model import QuoteStatus
from revdesk.demo.approval_audit import audit_frame, chain_hashes
from revdesk.demo.approval_requests import write_requests
from revdesk.demo.approval_rows import approver_frame, assignment_rows, step_rows
from revdesk.demo.approval_timeline import clamped, step_timeline
from revdesk.pricing.service import quote_frames

__all__ = ["write_approval_history"]

_FINAL = {
    QuoteStatus.IN_REVIEW.value: RequestStatus.PENDING.value,
    QuoteStatus.REJECTED.value: RequestStatus.REJECTED.value,
    QuoteStatus.APPROVED.value: RequestStatus.APPROVED.value,
    QuoteStatus.PRESENTED.value: RequestStatus.APPROVED.value,
    QuoteStatus.ACCEPTED.value: RequestStatus.APPROVED.value,
    QuoteStatus.EXPIRED.value: RequestStatus.APPROVED.value,
}


REJECTED_SHARE = 35  # percent of superseded quote versions that had been rejected


def _superseded_and_rejected(seed: int) -> pl.Expr:
    """A superseded version (a newer one followed) was often a rejected one: a stable draw."""
    draw = (pl.col("quote_id") * 7919 + seed).hash(seed) % 100
    superseded = (pl.col("status") == QuoteStatus.EXPIRED.value) & ~pl.col("is_primary")
    return superseded & (draw < REJECTED_SHARE)


def _quotes(writer: BulkWriter, policy: Policy, base_currency: str, seed: int) -> pl.DataFrame:
    """Quotes past draft with their policy result: owner, segment, region, step:<id>, outcome."""
    session = writer.session
    frames = quote_frames(session)
    rates = quote_rates(session, frames.quotes, base_currency=base_currency)
    evaluation = evaluation_frames(
        frames, rates, annual_rate=policy.discount_rate, reads=policy.reads()
    )
    result = run_policy(policy, evaluation).drop("owner_id", "segment", "region")
    facts = frames.quotes.select(
        "quote_id", "owner_id", "segment", "region", "status", "is_primary", "created_at"
    )
    return (
        facts.join(result, on="quote_id", how="inner")
        .filter(pl.col("status").is_in(list(_FINAL)), pl.col("owner_id").is_not_null())
        .with_columns(
            pl.when(_superseded_and_rejected(seed))
            .then(pl.lit(RequestStatus.REJECTED.value))
            .otherwise(pl.col("status").replace_strict(_FINAL, return_dtype=pl.String))
            .alias("final"),
            pl.col("segment").fill_null(""),
            pl.col("region").fill_null(""),
        )
        .sort("quote_id")
    )


def _resolvable(quotes: pl.DataFrame, approvers: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Quotes whose every needed step names somebody (others were never submitted)."""
    keys = ["owner_id", "segment", "region"]
    named = approvers.select(*keys, "step_id").unique()
    ok = pl.lit(True)
    for step in policy.steps:
        has = (
            named.filter(pl.col("step_id") == step)
            .select(*keys)
            .with_columns(pl.lit(True).alias(f"has:{step}"))
        )
        quotes = quotes.join(has, on=keys, how="left")
        ok = ok & (~pl.col(step_column(step)) | pl.col(f"has:{step}").fill_null(False))
    return quotes.filter(ok).drop([f"has:{s}" for s in policy.steps])


def write_approval_history(
    writer: BulkWriter, *, policy_path: Path, base_currency: str, seed: int, now: int
) -> int:
    """Write the approval history of every quote in the database; returns the audit entries."""
    policy = load_policy_file(policy_path)
    quotes = _quotes(writer, policy, base_currency, seed)
    directory = load_directory(writer.session)
    keys = (
        quotes.select("owner_id", "segment", "region")
        .unique()
        .sort("owner_id", "segment", "region")
    )
    approvers = approver_frame(policy, keys, directory)
    quotes = (
        _resolvable(quotes, approvers, policy)
        .with_row_index("row")
        .with_columns(
            pl.col("row").cast(pl.Int64),
            pl.col("created_at").dt.epoch("us").alias("created"),
        )
    )
    rng = np.random.default_rng([seed, 5])
    order = tuple(step for chain in policy.chains for step in chain.steps)
    needed = quotes.select(step_column(s) for s in order).to_numpy().astype(bool)
    closed = quotes["final"].to_numpy() != RequestStatus.PENDING.value
    timeline = step_timeline(rng, policy, needed, quotes["created"].to_numpy(), closed)
    timeline = clamped(timeline, closed, now)
    steps = _with_quorum(
        step_rows(timeline, needed, quotes, policy, now), approvers, quotes, policy
    )
    assignments = assignment_rows(steps, approvers, quotes)
    policy_id = writer.reserve("approval_policies", 1).start
    activated = int(timeline.submitted.min()) - 86_400_000_000 if quotes.height else now
    writer.insert("approval_policies", _policy_row(policy_path, policy, policy_id, activated))
    written = write_requests(
        writer,
        quotes,
        timeline,
        steps=steps,
        assignments=assignments,
        approvers=approvers,
        managers=_managers(directory),
        policy=policy,
        policy_id=policy_id,
    )
    entries = audit_frame(written, policy_id=policy_id, version=policy.version, at=activated)
    rows, last_hash = chain_hashes(entries)
    writer.insert("audit_log", rows)
    writer.insert(
        "audit_head", pl.DataFrame({"id": [1], "last_id": [rows.height], "last_hash": [last_hash]})
    )
    return rows.height


def _managers(directory: Directory) -> pl.DataFrame:
    """(user_id, manager_id) of every user whose manager is active: who an escalation reaches."""
    pairs = [
        (user.id, boss.id)
        for user in directory.users()
        if (boss := directory.manager_of(user.id)) is not None and boss.active
    ]
    return pl.DataFrame(pairs, schema=["user_id", "manager_id"], orient="row")


def _with_quorum(
    steps: pl.DataFrame, approvers: pl.DataFrame, quotes: pl.DataFrame, policy: Policy
) -> pl.DataFrame:
    """required_approvals per step: the step's quorum over the people its key names."""
    keys = ["owner_id", "segment", "region", "step_id"]
    people = approvers.group_by(keys).agg(pl.col("n").first())
    combos = people.select("step_id", "n").unique()
    required = {(step, n): policy.steps[step].quorum.required(n) for step, n in combos.iter_rows()}
    table = pl.DataFrame(
        [(s, n, r) for (s, n), r in required.items()],
        schema=["step_id", "n", "required"],
        orient="row",
    )
    return (
        steps.join(quotes.select("row", "owner_id", "segment", "region"), on="row")
        .join(people, on=keys, how="left")
        .join(table, on=["step_id", "n"], how="left")
        .drop("owner_id", "segment", "region")
    )


def _policy_row(path: Path, policy: Policy, policy_id: int, at: int) -> pl.DataFrame:
    text = path.read_text(encoding="utf-8")
    moment = pl.Series([at]).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    return pl.DataFrame(
        {
            "id": [policy_id],
            "name": [policy.name],
            "version": [policy.version],
            "source_text": [text],
            "attachments": ["{}"],
            "sha256": [hashlib.sha256(text.encode("utf-8")).hexdigest()],
            "effective_from": moment,
            "activated_at": moment,
            "active": [True],
        }
    )
