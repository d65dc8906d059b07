"""The unit of work: a use case opens one, does its reads and writes, and commits once.

Repositories and queries never commit; leaving the block without `commit()` rolls back::

    with db.uow() as uow:
        uow.session.add(account)
        uow.commit()
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from revdesk.db.engine import check_connection, make_engine


class UnitOfWork:
    """One transaction around one use case."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The session of the open unit of work."""
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        self._session = self._factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed, without expiring loaded objects, so a
        # use case may hand its results to the caller after the block.
        self.session.close()
        self._session = None

    def commit(self) -> None:
        """Make the work durable."""
        self.session.commit()

    def rollback(self) -> None:
        """Discard the work done so far."""
        self.session.rollback()


class Database:
    """An engine and its session factory; hands out units of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def connect(cls, url: str, *, echo: bool = False) -> Database:
        """Create the engine for `url` and prove it is reachable."""
        engine = make_engine(url, echo=echo)
        check_connection(engine)
        return cls(engine)

    @property
    def dialect(self) -> str:
        """The backend name: 'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    def uow(self) -> UnitOfWork:
        """Start a unit of work."""
        return UnitOfWork(self._factory)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
