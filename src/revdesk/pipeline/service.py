"""Use cases of the pipeline capability: read the CRM once, build the report or run hygiene."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy.orm import Session

from revdesk.core.fiscal import FiscalCalendar
from revdesk.crm import frames
from revdesk.pipeline.discipline import criteria_gaps, playbook, process_consistency
from revdesk.pipeline.flow import stage_path
from revdesk.pipeline.hygiene import (
    HygieneConfig,
    checked_fields,
    evaluate,
    fix_list,
    quality_scores,
)
from revdesk.pipeline.report import (
    REPORT_FIELDS,
    CrmFrames,
    PipelineReport,
    build_report,
    check_moment,
    current,
)


def load_frames(session: Session, *, base_currency: str) -> CrmFrames:
    """Every frame a report needs, read in bulk (and at once) inside the caller's unit of work."""
    # The history's parts first: the reader deals queries out to its connections in turn.
    (history, opps, stages, users, teams, accounts, products, quotes, lines, contacts) = (
        frames.read_frames(
            session,
            [
                _HISTORY,
                frames.OPPORTUNITIES,
                frames.STAGES,
                frames.USERS,
                frames.TEAMS,
                frames.ACCOUNTS,
                frames.PRODUCTS,
                frames.QUOTES,
                frames.QUOTE_LINES,
                frames.CONTACTS,
            ],
        )
    )
    return CrmFrames(
        opportunities=opps,
        history=history,
        stages=stages.sort("sort_order"),
        users=users,
        teams=teams,
        accounts=accounts,
        products=products,
        quote_lines=frames.primary_lines(quotes, lines),
        contacts=contacts,
        rates=frames.rate_table(session, base_currency),
    )


# Only the history the report and the rules read: no forecast_category rows (a quarter of the
# rows; see REPORT_FIELDS) and not who made each change.
_HISTORY = frames.history_query(
    REPORT_FIELDS, [name for name in frames.HISTORY_FRAME if name != "changed_by_id"]
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


@dataclass(frozen=True)
class HygieneResult:
    """Flags per deal, data-quality scores per rep, team and field, and the fix list."""

    now: datetime
    flags: pl.DataFrame
    scores: dict[str, pl.DataFrame]
    fixes: pl.DataFrame

    def sections(self) -> dict[str, pl.DataFrame]:
        """Everything as named frames, for rendering."""
        return {
            "flags": self.flags,
            **{f"score_by_{name}": frame for name, frame in self.scores.items()},
            "fix_list": self.fixes,
        }


def hygiene_run(
    session: Session, *, config: HygieneConfig, now: datetime, base_currency: str
) -> HygieneResult:
    """Evaluate the hygiene rules over the current state of every deal and contact."""
    return hygiene_of(load_frames(session, base_currency=base_currency), config=config, now=now)


def hygiene_of(data: CrmFrames, *, config: HygieneConfig, now: datetime) -> HygieneResult:
    """The hygiene run over frames already read."""
    deals = current(data, now)
    flags = evaluate(
        config,
        deals=deals,
        history=data.history,
        stages=data.stages,
        contacts=data.contacts,
        now=now,
    )
    scores = quality_scores(flags, deals, fields=checked_fields(config))
    return HygieneResult(now, flags, scores, fix_list(flags, deals, users=data.users))


def pipeline_review(
    session: Session,
    *,
    at: datetime,
    now: datetime,
    calendar: FiscalCalendar,
    base_currency: str,
    by: list[str],
    config: HygieneConfig | None,
    targets: pl.DataFrame | None = None,
) -> tuple[PipelineReport, HygieneResult | None]:
    """The pipeline report and, given rules, the hygiene run, from one read of the CRM."""
    data = load_frames(session, base_currency=base_currency)
    check_moment(data, at, now)
    report = build_report(data, at=at, calendar=calendar, by=by, targets=targets)
    return report, None if config is None else hygiene_of(data, config=config, now=now)


def stage_discipline(
    session: Session, *, now: datetime, calendar: FiscalCalendar, base_currency: str
) -> dict[str, pl.DataFrame]:
    """The stage playbook, deals missing exit criteria, and each rep's conversion vs the team."""
    data = load_frames(session, base_currency=base_currency)
    deals = current(data, now)
    period = calendar.quarter(now.date())
    first = calendar.previous(calendar.previous(calendar.previous(period)))
    path = stage_path(data.history, data.stages, now)
    return {
        "stages": playbook(data.stages),
        "criteria_gaps": criteria_gaps(deals, data.stages),
        "process_consistency": process_consistency(
            deals, path, data.stages, calendar, start=first.start, end=now.date()
        ),
    }
