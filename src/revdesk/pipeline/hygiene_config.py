"""Hygiene rule configuration: the YAML format, its models, and a loader that points at lines.

A configuration is a YAML mapping ``{version: 1, rules: [...]}``. Every rule has an ``id`` (a
unique slug), a ``type``, a ``severity`` (info, warning, error), an ``owner`` (who must fix it:
deal_owner, manager, sales_ops), ``enabled`` (default true), an optional ``description``, and
the parameters of its type. The models refuse unknown keys (``extra="forbid"``) and pick the
rule model by ``type`` (a discriminated union), so a typo is an error rather than a silently
ignored setting.

`load_config` turns every refusal into one `InvalidInput` whose text is
``<source>:<line>:<col>: <reason>``: the YAML is composed into nodes (which carry their
position) and each pydantic error location is walked back down those nodes to the offending
key or value. The full format, with the shipped defaults, is in docs/hygiene.md. Example::

    config = load_config("version: 1\\nrules: []\\n", source="inline")
    stale = StaleRule(id="stale", type="stale", severity="warning", owner="deal_owner", days=30)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from revdesk.core.errors import InvalidInput
from revdesk.pipeline.hygiene_yaml import node_at, parse, position

__all__ = [
    "RULE_TYPES",
    "AmountOutlierRule",
    "CloseDatePushedRule",
    "DuplicateRule",
    "ExitCriteriaRule",
    "FixOwner",
    "HygieneConfig",
    "MissingFieldRule",
    "OrphanContactRule",
    "PastCloseDateRule",
    "ProbabilityMismatchRule",
    "Rule",
    "Severity",
    "StageMovedBackRule",
    "StageSkippedRule",
    "StaleRule",
    "default_config",
    "load_config",
    "load_config_file",
]


class Severity(StrEnum):
    """How bad a flag is; fix lists show errors first, then warnings, then infos."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class FixOwner(StrEnum):
    """Who must fix a flag: the deal's owner, the owner's manager, or sales operations."""

    DEAL_OWNER = "deal_owner"
    MANAGER = "manager"
    SALES_OPS = "sales_ops"


class _RuleBase(BaseModel):
    """The keys every rule has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    severity: Severity
    owner: FixOwner
    enabled: bool = True
    description: str | None = None


class PastCloseDateRule(_RuleBase):
    """An open deal whose close date is before today."""

    type: Literal["past_close_date"]


class StaleRule(_RuleBase):
    """An open deal with no activity recorded, or none for more than `days` days."""

    type: Literal["stale"]
    days: int = Field(default=30, ge=1)


class MissingFieldRule(_RuleBase):
    """An open deal without a next step (or a blank one), amount, close date or account."""

    type: Literal["missing_field"]
    field: Literal["next_step", "amount", "close_date", "account"]


class StageSkippedRule(_RuleBase):
    """An open deal whose history moves forward more than one stage at once."""

    type: Literal["stage_skipped"]


class StageMovedBackRule(_RuleBase):
    """An open deal whose history moves back to an earlier open stage."""

    type: Literal["stage_moved_back"]


class CloseDatePushedRule(_RuleBase):
    """An open deal whose close date was moved later `min_pushes` times or more."""

    type: Literal["close_date_pushed"]
    min_pushes: int = Field(default=3, ge=1)


class AmountOutlierRule(_RuleBase):
    """An open deal whose amount is far outside its segment's usual range (log-scale IQR)."""

    type: Literal["amount_outlier"]
    iqr_multiplier: float = Field(default=3.0, gt=0)


class DuplicateRule(_RuleBase):
    """An open deal that repeats an earlier one: same account, same name, near in time and size."""

    type: Literal["duplicate"]
    within_days: int = Field(default=14, ge=0)
    amount_tolerance: Decimal = Field(default=Decimal("0.10"), ge=0)


class ProbabilityMismatchRule(_RuleBase):
    """An open deal whose probability is off its stage's default by more than the tolerance."""

    type: Literal["probability_mismatch"]
    tolerance_points: Decimal = Field(default=Decimal(10), ge=0, le=100)


class ExitCriteriaRule(_RuleBase):
    """An open deal missing a field that a stage it already passed (or its own) requires."""

    type: Literal["exit_criteria"]
    include_current: bool = False


class OrphanContactRule(_RuleBase):
    """A contact with no account."""

    type: Literal["orphan_contact"]


Rule = Annotated[
    PastCloseDateRule
    | StaleRule
    | MissingFieldRule
    | StageSkippedRule
    | StageMovedBackRule
    | CloseDatePushedRule
    | AmountOutlierRule
    | DuplicateRule
    | ProbabilityMismatchRule
    | ExitCriteriaRule
    | OrphanContactRule,
    Field(discriminator="type"),
]
# rule type -> its model, in the order of the documentation
_BY_TYPE: Final[dict[str, type[_RuleBase]]] = {
    "past_close_date": PastCloseDateRule,
    "stale": StaleRule,
    "missing_field": MissingFieldRule,
    "stage_skipped": StageSkippedRule,
    "stage_moved_back": StageMovedBackRule,
    "close_date_pushed": CloseDatePushedRule,
    "amount_outlier": AmountOutlierRule,
    "duplicate": DuplicateRule,
    "probability_mismatch": ProbabilityMismatchRule,
    "exit_criteria": ExitCriteriaRule,
    "orphan_contact": OrphanContactRule,
}
RULE_TYPES: Final[tuple[str, ...]] = tuple(_BY_TYPE)
MISSING_FIELDS: Final = ("next_step", "amount", "close_date", "account")


class HygieneConfig(BaseModel):
    """A set of hygiene rules; rule ids are unique.

    >>> cfg = HygieneConfig(version=1, rules=[{"id": "old", "type": "past_close_date",
    ...                                        "severity": "error", "owner": "deal_owner"}])
    >>> [rule.id for rule in cfg.enabled_rules]
    ['old']
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> HygieneConfig:
        first: dict[str, int] = {}
        for index, rule in enumerate(self.rules):
            if rule.id in first:
                raise PydanticCustomError(
                    "duplicate_rule_id",
                    "rule id '{rule_id}' is used twice",
                    {"rule_id": rule.id, "index": index, "first": first[rule.id]},
                )
            first[rule.id] = index
        return self

    @property
    def enabled_rules(self) -> tuple[Rule, ...]:
        """The rules that are switched on, in file order."""
        return tuple(rule for rule in self.rules if rule.enabled)


def load_config(text: str, *, source: str) -> HygieneConfig:
    """Parse and validate a YAML configuration; refuse it with `source:line:col: reason`."""
    root, data = parse(text, source)
    try:
        return HygieneConfig.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc.errors(), root, data, source) from None


def load_config_file(path: str | Path) -> HygieneConfig:
    """Read and validate the configuration file at `path` (UTF-8 YAML)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"cannot read the hygiene configuration: {exc}", where=str(path)
        ) from exc
    return load_config(text, source=str(path))


@functools.cache
def default_config() -> HygieneConfig:
    """The rules shipped with RevDesk (src/revdesk/pipeline/hygiene.yaml)."""
    text = resources.files("revdesk.pipeline").joinpath("hygiene.yaml").read_text("utf-8")
    return load_config(text, source="revdesk/pipeline/hygiene.yaml")


# -- validation errors back to lines --------------------------------------------------------


def _first_error(
    errors: Sequence[ErrorDetails], root: yaml.Node, data: Any, source: str
) -> InvalidInput:
    """The error that comes first in the file, as `InvalidInput` at its key or value."""
    located = [_located(error, root, data) for error in errors]
    node, reason = min(located, key=lambda pair: (pair[0].start_mark.index, pair[1]))
    return InvalidInput(reason, where=position(node, source))


def _located(error: ErrorDetails, root: yaml.Node, data: Any) -> tuple[yaml.Node, str]:
    """The node an error is about and the reason to show for it."""
    loc = _without_tag(tuple(error["loc"]))
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "duplicate_rule_id":
        first = node_at(root, ("rules", ctx["first"], "id"))
        where = f"line {first.start_mark.line + 1}"
        node = node_at(root, ("rules", ctx["index"], "id"))
        return node, f"rule id {ctx['rule_id']!r} is used twice (first on {where})"
    allowed = f"allowed: {', '.join(RULE_TYPES)}"
    if kind == "union_tag_invalid":
        reason = f"{_label(data, loc)}unknown rule type {ctx['tag']!r}; {allowed}"
        return node_at(root, (*loc, "type")), reason
    if kind == "union_tag_not_found":
        return node_at(root, loc), f"{_label(data, loc)}has no 'type'; {allowed}"
    return node_at(root, loc, key=kind == "extra_forbidden"), _reason(error, loc, data)


def _reason(error: ErrorDetails, loc: tuple[str | int, ...], data: Any) -> str:
    """A sentence for the other pydantic errors, naming the rule and the key."""
    kind, key = error["type"], loc[-1] if loc else None
    label = _label(data, loc)
    if kind == "extra_forbidden":
        return f"{label}unknown key {key!r}{_allowed_keys(data, loc)}"
    if kind == "missing":
        return f"{label}missing required key {key!r}"
    special = _value_reason(error, loc, data)
    if special is not None:
        return f"{label}{special}"
    path = ".".join(str(part) for part in (loc[2:] if _in_rule(loc) else loc))
    return f"{label}{path}: {error['msg']}" if path else f"{label}{error['msg']}"


def _value_reason(error: ErrorDetails, loc: tuple[str | int, ...], data: Any) -> str | None:
    """Our own wording for wrong values where pydantic's would be unclear; None otherwise."""
    kind, found = error["type"], error["input"]
    if loc == ("version",):
        return f"unsupported version {found!r}; this RevDesk reads version 1"
    if loc == ("rules",) and kind == "tuple_type":
        return f"rules must be a list of rules, found {type(found).__name__}"
    if (
        kind == "literal_error"
        and loc[-1:] == ("field",)
        and _rule_type(data, loc) == "missing_field"
    ):
        return f"unknown field {found!r}; allowed: {', '.join(MISSING_FIELDS)}"
    if kind in {"model_type", "model_attributes_type"}:
        return f"expected a mapping, found {type(found).__name__}"
    return None


def _without_tag(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Drop the rule type that pydantic puts in a discriminated union's error location."""
    if _in_rule(loc) and len(loc) >= 3 and loc[2] in _BY_TYPE:
        return (*loc[:2], *loc[3:])
    return loc


def _in_rule(loc: tuple[str | int, ...]) -> bool:
    """Whether an error location is inside one rule: ('rules', index, ...)."""
    return len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int)


def _rule_data(data: Any, loc: tuple[str | int, ...]) -> dict[Any, Any] | None:
    """The raw mapping of the rule an error location is in, if it is one."""
    if not _in_rule(loc) or not isinstance(data, dict):
        return None
    rules, index = data.get("rules"), loc[1]
    if isinstance(rules, list) and isinstance(index, int) and index < len(rules):
        rule = rules[index]
        return rule if isinstance(rule, dict) else None
    return None


def _rule_type(data: Any, loc: tuple[str | int, ...]) -> object:
    """The raw `type` of the rule an error is in, if any."""
    rule = _rule_data(data, loc)
    return rule.get("type") if rule else None


def _label(data: Any, loc: tuple[str | int, ...]) -> str:
    """`rule 'id': ` (or `rule #n: ` without a usable id) for errors inside a rule."""
    if not _in_rule(loc):
        return ""
    rule = _rule_data(data, loc)
    rule_id = rule.get("id") if rule else None
    return f"rule {rule_id!r}: " if isinstance(rule_id, str) else f"rule #{int(loc[1]) + 1}: "


def _allowed_keys(data: Any, loc: tuple[str | int, ...]) -> str:
    """`; allowed: ...` listing the keys valid where an unknown key was found."""
    if len(loc) == 1:
        return "; allowed: " + ", ".join(HygieneConfig.model_fields)
    model = _BY_TYPE.get(str(_rule_type(data, loc)))
    if model is None or len(loc) != 3:
        return ""
    return f" for a {_rule_type(data, loc)} rule; allowed: " + ", ".join(model.model_fields)
