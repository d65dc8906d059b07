"""The demo history's audit log: one entry per action, in time order, hash-chained.

Entries are built as columns, including each entry's canonical JSON (the exact text
`revdesk.approvals.audit_chain.canonical` produces for the row read back), so that only the
chain itself, where each hash needs the one before, is a loop.
"""

from __future__ import annotations

import hashlib

import polars as pl

from revdesk.approvals.audit_chain import GENESIS
from revdesk.approvals.states import AuditAction, RequestStatus
from revdesk.demo.approval_requests import REJECTION, Written

__all__ = ["RETURN_COMMENT", "audit_frame", "chain_hashes"]

RETURN_COMMENT = "Please revise the terms and resubmit"
_SLA = "SLA ran out"
_SCHEMA = {
    "at": pl.Int64,
    "rank": pl.Int64,
    "actor_id": pl.Int64,
    "action": pl.String,
    "entity": pl.String,
    "entity_id": pl.Int64,
    "request_id": pl.Int64,
    "comment": pl.String,
    "before": pl.String,
    "after": pl.String,
}


def _quoted(text: pl.Expr) -> pl.Expr:
    """A string column as JSON strings (the demo's texts need no escaping)."""
    return pl.concat_str(pl.lit('"'), text, pl.lit('"'))


def _json(*pairs: tuple[str, pl.Expr | str | int]) -> pl.Expr:
    """Compact JSON with sorted keys: literal texts and ints, or expressions already JSON
    (numbers cast to text, strings through `_quoted`)."""
    parts: list[pl.Expr] = [pl.lit("{")]
    for index, (key, value) in enumerate(sorted(pairs, key=lambda pair: pair[0])):
        parts.append(pl.lit(("," if index else "") + f'"{key}":'))
        if isinstance(value, str):
            parts.append(pl.lit(f'"{value}"'))
        elif isinstance(value, int):
            parts.append(pl.lit(str(value)))
        else:
            parts.append(value.cast(pl.String))
    parts.append(pl.lit("}"))
    return pl.concat_str(parts)


def _entries(frame: pl.DataFrame, **columns: pl.Expr | str | int | None) -> pl.DataFrame:
    exprs = []
    for name, dtype in _SCHEMA.items():
        value = columns.get(name)
        if isinstance(value, pl.Expr):
            exprs.append(value.cast(dtype).alias(name))
        else:
            exprs.append(pl.lit(value, dtype=dtype).alias(name))
    return frame.select(exprs)


def _submissions(written: Written) -> list[pl.DataFrame]:
    quote = pl.col("quote_id").cast(pl.String)
    pending = _json(("quote_id", quote), ("status", RequestStatus.PENDING.value))
    main = written.requests
    resubmitted = pl.col("previous_id").is_not_null()
    return [
        _entries(
            written.returned,
            at=pl.col("submitted"),
            rank=0,
            actor_id=pl.col("owner_id"),
            action=AuditAction.SUBMITTED.value,
            entity="approval_request",
            entity_id=pl.col("request_id"),
            request_id=pl.col("request_id"),
            after=pending,
        ),
        _entries(
            written.returned,
            at=pl.col("closed"),
            rank=3,
            actor_id=pl.col("by"),
            action=AuditAction.RETURNED.value,
            entity="approval_request",
            entity_id=pl.col("request_id"),
            request_id=pl.col("request_id"),
            comment=RETURN_COMMENT,
            before=_json(("status", "pending")),
            after=_json(("status", RequestStatus.RETURNED.value)),
        ),
        _entries(
            main,
            at=pl.col("submitted"),
            rank=0,
            actor_id=pl.col("owner_id"),
            action=pl.when(resubmitted)
            .then(pl.lit(AuditAction.RESUBMITTED.value))
            .otherwise(pl.lit(AuditAction.SUBMITTED.value)),
            entity="approval_request",
            entity_id=pl.col("request_id"),
            request_id=pl.col("request_id"),
            after=_json(("quote_id", quote), ("status", _quoted(pl.col("first_status")))),
        ),
    ]


def _step_events(written: Written) -> list[pl.DataFrame]:
    late = written.steps.filter(pl.col("escalation_level") > 0)
    decided = written.decisions
    return [
        _entries(
            late,
            at=pl.col("due"),
            rank=1,
            action=AuditAction.ESCALATED.value,
            entity="approval_step",
            entity_id=pl.col("step_row_id"),
            request_id=pl.col("request_id"),
            comment=_SLA,
            before=_json(("escalation_level", 0)),
            after=_json(("escalation_level", 1)),
        ),
        _entries(
            decided,
            at=pl.col("decided"),
            rank=2,
            actor_id=pl.col("user_id"),
            action=pl.col("decision"),
            entity="approval_step",
            entity_id=pl.col("step_row_id"),
            request_id=pl.col("request_id"),
            comment=pl.when(pl.col("decision") == "rejected").then(pl.lit(REJECTION)),
            before=_json(("status", "pending")),
            after=_json(
                ("status", _quoted(pl.col("decision"))), ("step_id", _quoted(pl.col("step_id")))
            ),
        ),
    ]


def audit_frame(written: Written, *, policy_id: int, version: int, at: int) -> pl.DataFrame:
    """Every entry of the history, in time order, numbered from 1, with its canonical JSON."""
    requests = written.requests.with_columns(
        pl.when(pl.col("status") == RequestStatus.PENDING.value)
        .then(pl.lit("pending"))
        .when(pl.col("outcome") == "approval_required")
        .then(pl.lit("pending"))
        .otherwise(pl.lit("approved"))
        .alias("first_status")
    )
    written = Written(requests, written.returned, written.steps, written.decisions)
    activation = _entries(
        pl.DataFrame({"x": [0]}),
        at=at,
        rank=0,
        action=AuditAction.POLICY_ACTIVATED.value,
        entity="approval_policy",
        entity_id=policy_id,
        after=_json(("policy_id", policy_id), ("version", version)),
    )
    frame = pl.concat([activation, *_submissions(written), *_step_events(written)])
    frame = frame.sort("at", "rank", "request_id", "entity_id", nulls_last=False)
    frame = frame.with_row_index("id", offset=1).with_columns(pl.col("id").cast(pl.Int64))
    return frame.with_columns(_canonical().alias("canonical"))


def _text(name: str, *, quoted: bool) -> pl.Expr:
    value = pl.col(name).cast(pl.String)
    shown = pl.concat_str(pl.lit('"'), value, pl.lit('"')) if quoted else value
    return pl.when(pl.col(name).is_null()).then(pl.lit("null")).otherwise(shown)


def _canonical() -> pl.Expr:
    at = pl.from_epoch("at", time_unit="us").dt.strftime("%Y-%m-%dT%H:%M:%S.%6f+00:00")
    return pl.concat_str(
        pl.lit('{"action":"'),
        "action",
        pl.lit('","actor_id":'),
        _text("actor_id", quoted=False),
        pl.lit(',"after":'),
        _text("after", quoted=False),
        pl.lit(',"at":"'),
        at,
        pl.lit('","before":'),
        _text("before", quoted=False),
        pl.lit(',"comment":'),
        _text("comment", quoted=True),
        pl.lit(',"entity":"'),
        "entity",
        pl.lit('","entity_id":'),
        _text("entity_id", quoted=False),
        pl.lit(',"id":'),
        pl.col("id").cast(pl.String),
        pl.lit(',"request_id":'),
        _text("request_id", quoted=False),
        pl.lit("}"),
    )


def chain_hashes(frame: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """The audit_log rows with prev_hash and hash, and the last hash."""
    previous, prevs, hashes = GENESIS, [], []
    for text in frame["canonical"].to_list():
        digest = hashlib.sha256((previous + text).encode("utf-8")).hexdigest()
        prevs.append(previous)
        hashes.append(digest)
        previous = digest
    rows = frame.select(
        "id",
        pl.from_epoch("at", time_unit="us").dt.replace_time_zone("UTC").alias("at"),
        "actor_id",
        "action",
        "entity",
        "entity_id",
        "request_id",
        "comment",
        "before",
        "after",
    ).with_columns(pl.Series("prev_hash", prevs), pl.Series("hash", hashes))
    return rows, previous
