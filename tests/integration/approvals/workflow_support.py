"""Shared set-up of the workflow tests: the sample company and the standard policy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from revdesk.approvals.loader import load_policy_file
from revdesk.approvals.policy import Policy
from revdesk.approvals.service import load_directory
from revdesk.crm.dataset import load_company, sample_company
from revdesk.crm.model import QuoteStatus
from revdesk.crm.tables import Opportunity, Quote
from revdesk.db.uow import Database

STANDARD = Path(__file__).resolve().parents[3] / "examples" / "policies" / "standard.yaml"
# Monday 2026-03-02 10:00 UTC: inside the standard calendar's 09:00-17:00 UTC hours.
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

# The sample company's people (ids are stable: the sample is loaded into an empty database).
DANA_VP, MARCUS_MGR, BEN_REP, GRACE_DESK, RACHEL_CFO, OMAR_LEGAL = 1, 2, 6, 13, 14, 16
PRIYA_MGR, JONAH_OPS, HANNAH_FIN = 3, 12, 15
# Halcyon v1: owned by Ben (manager Marcus); desk review, then manager then VP; legal alongside.
HALCYON = "o_halcyon_exp"


def load_sample(db: Database) -> None:
    """The sample company, with every quote back in draft."""
    with db.uow() as uow:
        load_company(uow.session, sample_company())
        uow.session.execute(update(Quote).values(status=QuoteStatus.DRAFT))
        uow.commit()


def quote_of(session: Session, deal: str, version: int = 1) -> int:
    """The id of a deal's quote."""
    found = session.scalar(
        select(Quote.id)
        .join(Opportunity, Quote.opportunity_id == Opportunity.id)
        .where(Opportunity.external_id == deal, Quote.version == version)
    )
    assert found is not None
    return found


def standard(session: Session) -> Policy:
    """The shipped standard policy, checked against the sample's users."""
    return load_policy_file(STANDARD, directory=load_directory(session))
