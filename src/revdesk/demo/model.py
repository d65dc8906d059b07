"""The demo company's parameters: every knob of the generative model, with its default and why.

The parameters are a tree of frozen dataclasses. Each field carries a one-line description in its
metadata, so `parameter_rows()` can list every parameter with its default (docs/demo-company.md
is checked against it) and `as_dict()` can record the exact parameters of a run in `demo_runs`.
Values given per segment are tuples in the order of `SEGMENTS`: SMB, mid-market, enterprise.

    >>> params = DemoParameters()
    >>> params.segments.win_rate
    (0.3, 0.28, 0.22)
    >>> rows = parameter_rows(params)
    >>> rows[0][0]
    'batch_size'
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Final

from revdesk.crm.model import ForecastCategory, Segment
from revdesk.demo.deal_parameters import PipelineParameters, QuoteParameters
from revdesk.demo.parameters import (
    Competitor,
    Country,
    DefectParameters,
    OrgParameters,
    ProductSpec,
    Region,
    SegmentParameters,
    doc,
)

__all__ = [
    "Competitor",
    "Country",
    "DefectParameters",
    "DemoParameters",
    "OrgParameters",
    "PipelineParameters",
    "ProductSpec",
    "QuoteParameters",
    "Region",
    "SegmentParameters",
    "as_dict",
    "parameter_rows",
]

SEGMENTS: Final = (Segment.SMB, Segment.MID_MARKET, Segment.ENTERPRISE)
SMB, MID_MARKET, ENTERPRISE = 0, 1, 2

# The pipeline stages (the same set as the bundled sample company), in order.
STAGE_NAMES: Final = (
    "Prospecting",
    "Discovery",
    "Solution",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)
STAGE_PROBABILITY: Final = (10, 20, 40, 60, 80, 100, 0)
STAGE_CATEGORY: Final = (
    ForecastCategory.PIPELINE,
    ForecastCategory.PIPELINE,
    ForecastCategory.PIPELINE,
    ForecastCategory.BEST_CASE,
    ForecastCategory.COMMIT,
    ForecastCategory.CLOSED,
    ForecastCategory.OMITTED,
)
PROSPECTING, DISCOVERY, SOLUTION, PROPOSAL, NEGOTIATION, WON, LOST = range(7)
OPEN_STAGES: Final = 5


@dataclass(frozen=True)
class DemoParameters:
    """Every parameter of the demo company's generative model."""

    batch_size: int = field(
        default=20_000, metadata=doc("opportunities generated and written per batch")
    )
    org: OrgParameters = field(default=OrgParameters(), metadata=doc("organisation"))
    segments: SegmentParameters = field(default=SegmentParameters(), metadata=doc("segments"))
    pipeline: PipelineParameters = field(
        default=PipelineParameters(), metadata=doc("pipeline dynamics")
    )
    quotes: QuoteParameters = field(default=QuoteParameters(), metadata=doc("quotes"))
    defects: DefectParameters = field(default=DefectParameters(), metadata=doc("hygiene defects"))


def as_dict(params: object) -> Any:
    """Return the parameters as plain JSON-ready data (dicts, lists, numbers, strings)."""
    if is_dataclass(params) and not isinstance(params, type):
        return {f.name: as_dict(getattr(params, f.name)) for f in fields(params)}
    if isinstance(params, tuple | list):
        return [as_dict(item) for item in params]
    return params


def parameter_rows(params: object, prefix: str = "") -> list[tuple[str, str, str]]:
    """Return (dotted name, default shown as text, description) for every leaf parameter."""
    rows: list[tuple[str, str, str]] = []
    assert is_dataclass(params)
    for item in fields(params):
        value = getattr(params, item.name)
        name = f"{prefix}{item.name}"
        if is_dataclass(value):
            rows.extend(parameter_rows(value, f"{name}."))
        else:
            rows.append((name, _shown(value), str(item.metadata.get("doc", ""))))
    return rows


def _shown(value: object) -> str:
    """A compact text form of a parameter value for the documentation."""
    if isinstance(value, tuple) and value and is_dataclass(value[0]):
        return "; ".join(str(item) for item in value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_shown(item) for item in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
