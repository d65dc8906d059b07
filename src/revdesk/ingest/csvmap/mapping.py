"""The mapping file of a CSV import: which record type, which column is which field, how
values read. A mapping that does not validate is refused with the path of the wrong entry.

    object: opportunities
    source: pipedrive
    id_prefix: "pd:"
    date_order: dmy
    decimal: ","
    columns: {external_id: Deal ID, name: Title, stage: Stage, amount: Value}
    values: {stage: {Won: Closed Won}}
    defaults: {currency: EUR}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from revdesk.core.errors import InvalidInput
from revdesk.ingest.canonical import SCHEMAS
from revdesk.ingest.dates import DateOrder

OBJECTS = ("accounts", "contacts", "users", "products", "opportunities", "history")
ID_REFERENCES = frozenset(
    {"external_id", "account", "owner", "parent", "manager", "opportunity", "changed_by"}
)


class Mapping(BaseModel):
    """How one CSV file becomes records of one type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    object: Literal["accounts", "contacts", "users", "products", "opportunities", "history"]
    source: str | None = Field(default=None, min_length=1, max_length=30)
    id_prefix: str = ""
    encoding: str | None = None
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    date_order: DateOrder | None = None
    decimal: Literal[".", ","] = "."
    columns: dict[str, str] = Field(min_length=1)
    extra: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    defaults: dict[str, str | int | float | bool] = {}

    @model_validator(mode="after")
    def _known_fields(self) -> Mapping:
        fields = set(SCHEMAS[self.object]) - {"extra"}
        for section in ("columns", "values", "defaults"):
            unknown = sorted(set(getattr(self, section)) - fields)
            if unknown:
                raise ValueError(
                    f"{section}: {', '.join(unknown)} is not a field of {self.object} "
                    f"(fields: {', '.join(sorted(fields))})"
                )
        key = "opportunity" if self.object == "history" else "external_id"
        if key not in self.columns:
            raise ValueError(f"columns: {key} is required (it identifies the records)")
        return self


def _located(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"line {mark.line + 1}: {problem}" if mark is not None else str(problem)


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping YAML file; any problem is InvalidInput naming where."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the mapping: {exc}", where=str(path)) from None
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"not valid YAML: {_located(exc)}", where=str(path)) from None
    if not isinstance(data, dict):
        raise InvalidInput("the mapping must be a YAML mapping (key: value lines)", where=str(path))
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "mapping"
        message = first["msg"].removeprefix("Value error, ")
        raise InvalidInput(f"{where}: {message}", where=str(path)) from None
