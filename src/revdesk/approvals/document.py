"""The policy file's shape as pydantic models; docs/approval-policy.schema.json is their schema.

These models check the shape only (keys, types, ranges); the meaning (names that exist, types of
conditions, chains, approvers) is checked by `revdesk.approvals.loader`. Every model refuses
unknown keys, so a typo is an error rather than a silently ignored setting. The reference with
examples is docs/approval-policy.md.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from revdesk.crm.model import Role

__all__ = [
    "ApproverDoc",
    "BandDoc",
    "ChainDoc",
    "CountQuorum",
    "EconomicsDoc",
    "MatrixDoc",
    "PercentQuorum",
    "PolicyDoc",
    "ReapprovalDoc",
    "RuleDoc",
    "VariableDoc",
    "json_schema",
]

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
"""A variable, step, chain, group or matrix level name: lower-case identifier."""
RuleId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Condition = Annotated[str, Field(min_length=1, description="A condition (docs/approval-policy.md)")]
AGGREGATIONS = ("sum", "max", "min", "avg")


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EconomicsDoc(_Doc):
    """How economics figures are computed for this policy."""

    discount_rate: Decimal = Field(
        default=Decimal("0.10"),
        ge=0,
        lt=1,
        description="Annual rate that prices payment terms (payment_terms_cost)",
    )


class VariableDoc(_Doc):
    """A derived variable: an expression, or a roll-up over lines or clauses."""

    expr: Condition | None = Field(default=None, description="Expression over quote variables")
    sum: str | None = Field(default=None, description="Sum of this element expression")
    max: str | None = Field(default=None, description="Largest value of this element expression")
    min: str | None = Field(default=None, description="Smallest value of this element expression")
    avg: str | None = Field(default=None, description="Average (half-up, 10 places)")
    count: Literal["lines", "clauses"] | None = Field(
        default=None, description="Number of lines or clauses (matching `where`)"
    )
    over: Literal["lines", "clauses"] = Field(
        default="lines", description="Roll-up collection; the element is `line` or `clause`"
    )
    where: str | None = Field(default=None, description="Filter on the element")
    default: Decimal = Field(default=Decimal(0), description="Value when nothing matches")
    description: str = ""

    @model_validator(mode="after")
    def _one_definition(self) -> VariableDoc:
        given = [name for name in ("expr", *AGGREGATIONS, "count") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("a variable needs exactly one of expr, sum, max, min, avg, count")
        if self.expr is not None and self.where is not None:
            raise ValueError("'where' filters a roll-up, not an expr variable")
        return self

    @property
    def kind(self) -> str:
        """expr, sum, max, min, avg or count."""
        return next(n for n in ("expr", *AGGREGATIONS, "count") if getattr(self, n) is not None)


class ApproverDoc(_Doc):
    """Who approves a step: exactly one of user, role, group, field or matrix."""

    user: str | None = Field(default=None, description="E-mail of one user")
    role: Role | None = Field(default=None, description="Every active user with this role")
    group: Name | None = Field(default=None, description="A group defined under `groups`")
    field: str | None = Field(
        default=None,
        pattern=r"^owner(\.manager){1,5}$",
        description="owner.manager, owner.manager.manager, ... of the deal owner",
    )
    matrix: Name | None = Field(default=None, description="A level of the authority matrix")

    @model_validator(mode="after")
    def _exactly_one(self) -> ApproverDoc:
        given = [n for n in ("user", "role", "group", "field", "matrix") if getattr(self, n)]
        if len(given) != 1:
            raise ValueError("an approver needs exactly one of user, role, group, field, matrix")
        return self


class CountQuorum(_Doc):
    """At least `count` approvers must approve."""

    count: int = Field(ge=1)


class PercentQuorum(_Doc):
    """At least `percent` % of the approvers (rounded up) must approve."""

    percent: int = Field(ge=1, le=100)


class ReapprovalDoc(_Doc):
    """A resubmitted quote keeps this step's approval while `variable` has not worsened by more
    than `tolerance`; `worse` says which direction is worse."""

    variable: str
    tolerance: Decimal = Field(default=Decimal(0), ge=0)
    worse: Literal["higher", "lower"]


class RuleDoc(_Doc):
    """When `when` holds, the quote needs `step`, approved by `approver`."""

    id: RuleId
    when: Condition
    step: Name
    chain: Name | None = Field(default=None, description="Must match the chain listing the step")
    approver: ApproverDoc
    quorum: Literal["all", "any"] | CountQuorum | PercentQuorum = "any"
    sla_hours: Decimal | None = Field(default=None, gt=0, description="Business hours")
    reapproval: ReapprovalDoc | list[ReapprovalDoc] | None = None
    reason: str = Field(min_length=1, description="Shown to the rep")


class BandDoc(_Doc):
    """When `when` holds, the quote is approved automatically."""

    id: RuleId
    when: Condition
    reason: str = ""


class ChainDoc(_Doc):
    """Steps run in the listed order; the chain starts once the chains in `after` are done."""

    steps: list[Name] = Field(min_length=1)
    after: list[Name] = []


class MatrixDoc(_Doc):
    """Authority matrix: rows by segment and region (or `*`), one column per level."""

    csv: str | None = Field(default=None, description="CSV file, relative to the policy file")
    rows: list[dict[str, str]] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> MatrixDoc:
        if (self.csv is None) == (self.rows is None):
            raise ValueError("the authority matrix needs exactly one of csv or rows")
        return self


class PolicyDoc(_Doc):
    """An approval policy: variables, auto-approve bands, chains of steps and rules."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="RevDesk approval policy")

    version: int = Field(ge=1)
    name: str = ""
    description: str = ""
    effective_from: date
    effective_to: date | None = None
    economics: EconomicsDoc = EconomicsDoc()
    variables: dict[Name, VariableDoc | Condition] = {}
    groups: dict[Name, list[str]] = {}
    authority_matrix: MatrixDoc | None = None
    auto_approve: list[BandDoc] = []
    chains: dict[Name, ChainDoc]
    rules: list[RuleDoc]


def json_schema() -> str:
    """The JSON Schema of the policy file, as the text published in docs/."""
    schema = PolicyDoc.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://revdesk.dev/schemas/approval-policy.schema.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
