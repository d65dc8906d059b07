"""How each record type is matched, what it refers to, and what its table accepts (pure data).

`SPECS` says, per canonical record type, which table it lands in, its key (external id, or name
for teams and stages), the references it holds and which of them may create a missing target
(a name only a report export knows), the values it needs and its unique columns. `ColumnRule`
is a table column described without SQLAlchemy: the storage layer builds them from the tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

import polars as pl


@dataclass(frozen=True, slots=True)
class Ref:
    """A canonical column naming another record, by key or by name, and the column it fills."""

    column: str
    target: str
    fk: str
    by_name: bool = False
    stub: bool = False


@dataclass(frozen=True, slots=True)
class Spec:
    """A record type: its table, key, references, required values and unique columns."""

    obj: str
    table: str
    label: str
    key: str = "external_id"
    refs: tuple[Ref, ...] = ()
    required: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    defaults: Mapping[str, object] = field(default_factory=dict)

    def self_refs(self) -> tuple[Ref, ...]:
        """References to records of the same type (parents, managers)."""
        return tuple(r for r in self.refs if r.target == self.obj)

    def other_refs(self) -> tuple[Ref, ...]:
        """References to records of other types."""
        return tuple(r for r in self.refs if r.target != self.obj)


@dataclass(frozen=True, slots=True)
class ColumnRule:
    """What a table column accepts: dtype, text length, digits, allowed values, nullability."""

    name: str
    dtype: pl.DataType
    length: int | None = None
    limit: Decimal | None = None
    choices: tuple[str, ...] | None = None
    nullable: bool = True
    default: object = None


SPECS: Final[Mapping[str, Spec]] = {
    "teams": Spec(
        "teams", "teams", "team", key="name", refs=(Ref("parent", "teams", "parent_id", True),)
    ),
    "users": Spec(
        "users",
        "users",
        "user",
        refs=(
            Ref("manager", "users", "manager_id"),
            Ref("manager_name", "users", "manager_id", by_name=True),
            Ref("team", "teams", "team_id", by_name=True, stub=True),
        ),
        required=("external_id", "name", "email"),
        unique=("email",),
        defaults={"role": "rep"},
    ),
    "accounts": Spec(
        "accounts",
        "accounts",
        "account",
        refs=(
            Ref("parent", "accounts", "parent_id"),
            Ref("parent_name", "accounts", "parent_id", by_name=True),
            Ref("owner", "users", "owner_id"),
            Ref("owner_name", "users", "owner_id", by_name=True, stub=True),
        ),
        required=("external_id", "name"),
    ),
    "contacts": Spec(
        "contacts",
        "contacts",
        "contact",
        refs=(
            Ref("account", "accounts", "account_id"),
            Ref("account_name", "accounts", "account_id", by_name=True, stub=True),
        ),
        required=("external_id", "last_name"),
    ),
    "products": Spec(
        "products", "products", "product", required=("external_id", "sku", "name"), unique=("sku",)
    ),
    "price_books": Spec(
        "price_books",
        "price_books",
        "price book",
        required=("external_id", "name"),
        unique=("name",),
    ),
    "price_book_entries": Spec(
        "price_book_entries",
        "price_book_entries",
        "price book entry",
        refs=(
            Ref("price_book", "price_books", "price_book_id"),
            Ref("product", "products", "product_id"),
        ),
        required=("external_id", "price_book", "product", "currency", "list_price"),
    ),
    "stages": Spec("stages", "stages", "stage", key="name", required=("name",)),
    "opportunities": Spec(
        "opportunities",
        "opportunities",
        "opportunity",
        refs=(
            Ref("account", "accounts", "account_id"),
            Ref("account_name", "accounts", "account_id", by_name=True, stub=True),
            Ref("owner", "users", "owner_id"),
            Ref("owner_name", "users", "owner_id", by_name=True, stub=True),
        ),
        required=("external_id", "name", "stage", "currency"),
        defaults={"type": "new"},
    ),
}
ORDER: Final = tuple(SPECS)
