"""Storage: engine and session, unit of work, ORM base, column types and Alembic migrations."""
