"""Every capability's tables in one metadata: what Alembic compares the migrations against."""

from revdesk.approvals import tables as approval_tables  # noqa: F401 - registers the workflow
from revdesk.crm import tables as crm_tables
from revdesk.db.base import Base
from revdesk.demo import tables as demo_tables
from revdesk.forecast import tables as forecast_tables  # noqa: F401 - registers forecast_submissions
from revdesk.ingest import tables as ingest_tables  # noqa: F401 - registers import_runs

metadata = Base.metadata

__all__ = ["crm_tables", "demo_tables", "metadata"]
