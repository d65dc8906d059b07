"""The approval statistics report: one table per grouping, the outcome mix, end-to-end time.

    stats = approval_stats(steps, requests, Grouping.APPROVER, as_of=utcnow())
    stats.table     # approver_id, count, median/p90/mean hours, with_sla, breached, ..., decisions
    stats.to_dict() # JSON-safe

Pure: frames from `revdesk.approvals.analytics_service.approval_history` in, a dataclass out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import polars as pl

from revdesk.approvals.analytics import (
    BusinessHours,
    CycleStats,
    Grouping,
    cycle_times,
    end_to_end,
    outcome_mix,
    sla_breaches,
    volume,
)

__all__ = ["ApprovalStats", "approval_stats"]


@dataclass(frozen=True, slots=True)
class ApprovalStats:
    """Approval figures grouped by `by`, as of `as_of` (see `revdesk.approvals.analytics`)."""

    by: Grouping
    as_of: datetime
    steps: int
    requests: int
    table: pl.DataFrame
    outcomes: pl.DataFrame
    end_to_end: CycleStats
    end_to_end_business: CycleStats | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data: the rows of each table as records."""
        return {
            "by": str(self.by),
            "as_of": self.as_of.isoformat(),
            "steps": self.steps,
            "requests": self.requests,
            "rows": self.table.to_dicts(),
            "outcomes": self.outcomes.to_dicts(),
            "end_to_end_hours": asdict(self.end_to_end),
            "end_to_end_business_hours": None
            if self.end_to_end_business is None
            else asdict(self.end_to_end_business),
        }


def _merge(frames: list[pl.DataFrame], key: str) -> pl.DataFrame:
    merged = frames[0]
    for frame in frames[1:]:
        merged = merged.join(frame, on=key, how="full", coalesce=True)
    return merged.sort(key)


def approval_stats(
    steps: pl.DataFrame,
    requests: pl.DataFrame,
    by: Grouping,
    *,
    as_of: datetime,
    business_hours: BusinessHours | None = None,
) -> ApprovalStats:
    """Cycle time and SLA breaches per key of `by` (with volume per approver and week)."""
    frames = [
        cycle_times(steps, by, business_hours=business_hours),
        sla_breaches(steps, by, as_of=as_of),
    ]
    if by in (Grouping.APPROVER, Grouping.WEEK):
        frames.append(volume(steps, by).drop("decisions"))  # the same as `count`
    table = _merge(frames, by.key)
    counts = [c for c in ("count", "with_sla", "breached", "open_breached") if c in table.columns]
    table = table.with_columns(pl.col(counts).fill_null(0))
    wall, business = end_to_end(requests, business_hours=business_hours)
    return ApprovalStats(
        by=by,
        as_of=as_of,
        steps=steps.height,
        requests=requests.height,
        table=table,
        outcomes=outcome_mix(requests),
        end_to_end=wall,
        end_to_end_business=business,
    )
