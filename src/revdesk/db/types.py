"""Column types that keep RevDesk's invariants at the storage boundary.

* `UTCDateTime` stores aware datetimes and always hands back aware UTC ones, also on SQLite,
  which has no timezone type; a naive datetime is refused rather than guessed.
* `Amount` stores `Decimal` exactly on PostgreSQL (NUMERIC). SQLite keeps NUMERIC-affinity
  values as REAL, exact to 15 significant digits; values are quantized back to the column's
  scale on the way out so callers always see `Decimal`, never float.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric
from sqlalchemy import Enum as SAEnum
from sqlalchemy.types import TypeDecorator, TypeEngine

from revdesk.core.errors import InvalidInput


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise InvalidInput(f"naive datetime {value.isoformat()} cannot be stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Hand back aware UTC datetimes."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Amount(TypeDecorator[Decimal]):
    """An exact decimal with a fixed scale: money, prices, rates and quantities."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 20, scale: int = 4) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def __repr__(self) -> str:
        return f"Amount({self.precision}, {self.scale})"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """NUMERIC(p, s); on SQLite without Decimal conversion (done here instead)."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=False))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> Any:
        """Refuse floats; bind a quantized Decimal (a string on SQLite)."""
        if value is None:
            return None
        if isinstance(value, float):
            raise InvalidInput(f"float {value!r} cannot be stored as an exact amount")
        quantized = Decimal(value).quantize(self._quantum, rounding=ROUND_HALF_UP)
        return str(quantized) if dialect.name == "sqlite" else quantized

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Return a Decimal at the column's scale."""
        if value is None:
            return None
        return Decimal(str(value)).quantize(self._quantum, rounding=ROUND_HALF_UP)


def enum_column(enum: type[StrEnum]) -> SAEnum:
    """A VARCHAR column holding the enum's values (portable; no native PG enum to migrate)."""
    return SAEnum(
        enum,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
