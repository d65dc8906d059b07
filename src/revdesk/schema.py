"""Every capability's tables in one metadata: what Alembic compares the migrations against."""

from revdesk.crm import tables as crm_tables
from revdesk.db.base import Base
from revdesk.demo import tables as demo_tables

metadata = Base.metadata

__all__ = ["crm_tables", "demo_tables", "metadata"]
