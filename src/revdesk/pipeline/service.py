"""Use cases of the pipeline capability: read the CRM once, build the report or run hygiene."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from sqlalchemy.orm import Session

from revdesk.core.fiscal import FiscalCalendar
from revdesk.crm import frames
from revdesk.pipeline.report import CrmFrames, PipelineReport, build_report, check_moment


def load_frames(session: Session, *, base_currency: str) -> CrmFrames:
    """Every frame a report needs, read in bulk inside the caller's unit of work."""
    return CrmFrames(
        opportunities=frames.opportunities(session),
        history=frames.history(session),
        stages=frames.stages(session),
        users=frames.users(session),
        teams=frames.teams(session),
        accounts=frames.accounts(session),
        products=frames.products(session),
        quote_lines=frames.primary_quote_lines(session),
        rates=frames.rate_table(session, base_currency),
    )


def pipeline_report(
    session: Session,
    *,
    at: datetime,
    now: datetime,
    calendar: FiscalCalendar,
    base_currency: str,
    by: list[str],
    targets: pl.DataFrame | None = None,
) -> PipelineReport:
    """The full pipeline report as of `at` (refused when `at` is outside the data)."""
    data = load_frames(session, base_currency=base_currency)
    check_moment(data, at, now)
    return build_report(data, at=at, calendar=calendar, by=by, targets=targets)
