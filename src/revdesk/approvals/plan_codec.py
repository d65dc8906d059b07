"""`ApprovalPlan` to and from JSON-safe data, for the workflow to store the plan it froze.

Decimals become strings, enums their values, tuples lists; a plan value carries its type
(`{"number": "0.25"}`, `{"string": "smb"}`, `{"bool": true}`, `{"strings": [...]}`) so that
"0.25" the number and "0.25" the text stay apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from revdesk.approvals.plan import (
    ApprovalPlan,
    ApproverKind,
    ApproverSpec,
    BandMatch,
    ChainPlan,
    NamedApprover,
    PlanOutcome,
    PlanValue,
    Quorum,
    QuorumKind,
    ResolutionStatus,
    RuleFiring,
    StepPlan,
    TestedValue,
    Tolerance,
    Worse,
)

__all__ = ["decode_plan", "encode_plan"]

FORMAT = 1


def _value(value: PlanValue) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, Decimal):
        return {"number": str(value)}
    if isinstance(value, str):
        return {"string": value}
    return {"strings": list(value)}


def _read_value(data: Mapping[str, Any]) -> PlanValue:
    if "bool" in data:
        return bool(data["bool"])
    if "number" in data:
        return Decimal(data["number"])
    if "string" in data:
        return str(data["string"])
    return tuple(str(item) for item in data["strings"])


def _tested(items: tuple[TestedValue, ...]) -> list[dict[str, Any]]:
    return [{"name": t.name, "value": _value(t.value), "detail": t.detail} for t in items]


def _read_tested(items: list[Mapping[str, Any]]) -> tuple[TestedValue, ...]:
    return tuple(TestedValue(t["name"], _read_value(t["value"]), t["detail"]) for t in items)


def _step(step: StepPlan) -> dict[str, Any]:
    return {
        "step_id": step.step_id,
        "chain_id": step.chain_id,
        "position": step.position,
        "approver": {"kind": str(step.approver.kind), "value": step.approver.value},
        "approvers": [
            {"user_id": a.user_id, "name": a.name, "email": a.email, "label": a.label}
            for a in step.approvers
        ],
        "quorum": {"kind": str(step.quorum.kind), "value": step.quorum.value},
        "required_approvals": step.required_approvals,
        "sla_hours": None if step.sla_hours is None else str(step.sla_hours),
        "rules": list(step.rules),
        "reasons": list(step.reasons),
        "tolerances": [
            {
                "variable": t.variable,
                "snapshot": str(t.snapshot),
                "tolerance": str(t.tolerance),
                "worse": str(t.worse),
            }
            for t in step.tolerances
        ],
        "tested": _tested(step.tested),
        "status": str(step.status),
        "problem": step.problem,
    }


def _read_step(data: Mapping[str, Any]) -> StepPlan:
    sla = data["sla_hours"]
    return StepPlan(
        step_id=data["step_id"],
        chain_id=data["chain_id"],
        position=int(data["position"]),
        approver=ApproverSpec(ApproverKind(data["approver"]["kind"]), data["approver"]["value"]),
        approvers=tuple(NamedApprover(**a) for a in data["approvers"]),
        quorum=Quorum(QuorumKind(data["quorum"]["kind"]), data["quorum"]["value"]),
        required_approvals=int(data["required_approvals"]),
        sla_hours=None if sla is None else Decimal(sla),
        rules=tuple(data["rules"]),
        reasons=tuple(data["reasons"]),
        tolerances=tuple(
            Tolerance(
                t["variable"], Decimal(t["snapshot"]), Decimal(t["tolerance"]), Worse(t["worse"])
            )
            for t in data["tolerances"]
        ),
        tested=_read_tested(data["tested"]),
        status=ResolutionStatus(data["status"]),
        problem=data["problem"],
    )


def encode_plan(plan: ApprovalPlan) -> dict[str, Any]:
    """JSON-safe data of `plan`."""
    band = plan.band
    return {
        "format": FORMAT,
        "quote_id": plan.quote_id,
        "policy_version": plan.policy_version,
        "policy_name": plan.policy_name,
        "outcome": str(plan.outcome),
        "band": None
        if band is None
        else {
            "band_id": band.band_id,
            "condition": band.condition,
            "reason": band.reason,
            "tested": _tested(band.tested),
        },
        "fired": [
            {
                "rule_id": f.rule_id,
                "step_id": f.step_id,
                "chain_id": f.chain_id,
                "condition": f.condition,
                "reason": f.reason,
                "tested": _tested(f.tested),
                "where": f.where,
            }
            for f in plan.fired
        ],
        "chains": [
            {"chain_id": c.chain_id, "after": list(c.after), "steps": [_step(s) for s in c.steps]}
            for c in plan.chains
        ],
        "values": {name: _value(value) for name, value in plan.values.items()},
    }


def decode_plan(data: Mapping[str, Any]) -> ApprovalPlan:
    """The plan `encode_plan` wrote."""
    band = data["band"]
    return ApprovalPlan(
        quote_id=data["quote_id"],
        policy_version=int(data["policy_version"]),
        policy_name=data["policy_name"],
        outcome=PlanOutcome(data["outcome"]),
        band=None
        if band is None
        else BandMatch(
            band["band_id"], band["condition"], band["reason"], _read_tested(band["tested"])
        ),
        fired=tuple(
            RuleFiring(
                f["rule_id"],
                f["step_id"],
                f["chain_id"],
                f["condition"],
                f["reason"],
                _read_tested(f["tested"]),
                f["where"],
            )
            for f in data["fired"]
        ),
        chains=tuple(
            ChainPlan(c["chain_id"], tuple(c["after"]), tuple(_read_step(s) for s in c["steps"]))
            for c in data["chains"]
        ),
        values=MappingProxyType({n: _read_value(v) for n, v in data["values"].items()}),
    )
