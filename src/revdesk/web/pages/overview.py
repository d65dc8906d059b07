"""The approvals inbox, the pipeline overview (chart by plotly.js from the plotly package) and
the policy page (rules in readable form; upload a proposed policy and see its simulation)."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from revdesk.approvals.render import policy_summary
from revdesk.core.clock import utcnow
from revdesk.core.errors import InvalidInput, PermissionDenied
from revdesk.crm.browse import pipeline_summary
from revdesk.web.access import can_edit_policy
from revdesk.web.api.read import MAX_POLICY_BYTES, check_policy_text
from revdesk.web.deps import PageActor, UowDep, check_form_csrf, state_of
from revdesk.web.pages.common import redirect, render
from revdesk.web.views import policy_in_force, policy_rules
from revdesk.web.workflow_views import inbox

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(actor: PageActor) -> Response:
    """The inbox is home."""
    return redirect("/inbox")


@router.get("/inbox")
def inbox_page(request: Request, actor: PageActor, uow: UowDep) -> Response:
    """Approvals waiting on the user, with the time left (or overdue) on each SLA."""
    items = inbox(uow.session, actor)
    return render(request, "inbox.html", actor, {"items": items, "now": utcnow()})


def _chart(open_pipeline: list[dict[str, Any]]) -> dict[str, Any]:
    """One stacked bar per stage across fiscal quarters, as a plotly figure spec."""
    by_stage: dict[str, dict[str, Decimal]] = defaultdict(dict)
    quarters = sorted({row["quarter"] for row in open_pipeline})
    for row in open_pipeline:
        by_stage[row["stage"]][row["quarter"]] = row["amount"]
    data = [
        {
            "type": "bar",
            "name": stage,
            "x": quarters,
            "y": [float(cells.get(q, 0)) for q in quarters],
        }
        for stage, cells in by_stage.items()
    ]
    layout = {"barmode": "stack", "margin": {"t": 20}, "yaxis": {"title": "amount"}}
    return {"data": data, "layout": layout}


@router.get("/pipeline")
def pipeline(request: Request, actor: PageActor, uow: UowDep) -> Response:
    """Open pipeline by stage and fiscal quarter, closed business by quarter, and a chart."""
    settings = state_of(request).settings
    summary = pipeline_summary(
        uow.session,
        owners=actor.owners,
        base_currency=settings.base_currency,
        calendar=settings.fiscal_calendar,
        today=utcnow().date(),
    )
    rows = summary.open_pipeline.to_dicts()
    quarters = sorted({row["quarter"] for row in rows})
    table: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        table[row["stage"]][row["quarter"]] = row["amount"]
    context = {
        "quarters": quarters,
        "table": dict(table),
        "closed": summary.closed_by_quarter.to_dicts(),
        "currency": summary.base_currency,
        "chart": json.dumps(_chart(rows)),
    }
    return render(request, "pipeline.html", actor, context)


@router.get("/policy")
def policy_page(request: Request, actor: PageActor, uow: UowDep) -> Response:
    """The policy in force, rule by rule, and the upload form for a proposed one."""
    policy = policy_in_force(uow.session)
    context = {
        "policy": policy,
        "summary": policy_summary(policy),
        "rules": policy_rules(policy),
        "may_edit": can_edit_policy(actor.viewer),
        "result": None,
        "error": None,
    }
    return render(request, "policy.html", actor, context)


@router.post("/policy/simulate")
def simulate_page(
    request: Request,
    actor: PageActor,
    uow: UowDep,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check an uploaded policy and show its simulation against the policy in force."""
    check_form_csrf(actor, csrf_token)
    if not can_edit_policy(actor.viewer):
        raise PermissionDenied("only the deal desk, sales ops and admins may simulate policies")
    policy = policy_in_force(uow.session)
    raw = file.file.read(MAX_POLICY_BYTES + 1)
    result, error = None, None
    try:
        result = check_policy_text(request, uow, raw, file.filename or "upload.yaml")
    except InvalidInput as exc:
        error = str(exc)
    context = {
        "policy": policy,
        "summary": policy_summary(policy),
        "rules": policy_rules(policy),
        "may_edit": True,
        "result": result,
        "error": error,
    }
    return render(request, "policy.html", actor, context, status_code=400 if error else 200)
