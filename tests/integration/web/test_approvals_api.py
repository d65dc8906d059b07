"""Approval actions through the API: submit, the manager and finance approve, reject, recall,
segregation of duties, delegation, and who may see a request."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from revdesk.auth.model import Scope
from revdesk.core.clock import utcnow
from web_support import OWN_DEAL, OWN_QUOTE, Company, bearer, draft_quote, login


def _submit(company: Company) -> tuple[TestClient, int]:
    draft_quote(company.app.state.revdesk.db, OWN_QUOTE)
    rep = login(company.app, company.emails["rep"])
    response = rep.post(
        "/api/v1/approvals",
        json={"quote_id": OWN_QUOTE, "comment": "customer asked for net 90"},
        headers={"X-CSRF-Token": rep.csrf},  # type: ignore[attr-defined]
    )
    assert response.status_code == 201, response.text
    return rep, response.json()["id"]


def test_submit_then_manager_and_finance_approve(company: Company) -> None:
    # given Alice's discounted quote on net 90 submitted for approval
    rep, request_id = _submit(company)
    db = company.app.state.revdesk.db
    manager = bearer(db, company.ids["manager"], Scope.READ, Scope.APPROVE)
    finance = bearer(db, company.ids["finance"], Scope.READ, Scope.APPROVE)
    client = TestClient(company.app)
    # when the manager finds it in the inbox and approves, then finance does
    inbox = client.get("/api/v1/approvals/inbox", headers=manager).json()
    assert [(i["request_id"], i["step_id"]) for i in inbox] == [(request_id, "manager")]
    first = client.post(f"/api/v1/approvals/{request_id}/approve", json={}, headers=manager)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "pending"
    second = client.post(
        f"/api/v1/approvals/{request_id}/approve", json={"comment": "ok"}, headers=finance
    )
    # then the request is approved and the rep sees it so, with one audit entry per action
    assert second.json()["status"] == "approved"
    seen = rep.get(f"/api/v1/approvals/{request_id}").json()
    assert seen["status"] == "approved"
    assert [e["action"] for e in seen["audit"]] == ["submitted", "approved", "approved"]
    assert client.get("/api/v1/approvals/inbox", headers=manager).json() == []


def test_a_rejection_needs_a_comment(company: Company) -> None:
    _, request_id = _submit(company)
    manager = bearer(company.app.state.revdesk.db, company.ids["manager"], Scope.APPROVE)
    client = TestClient(company.app)
    bare = client.post(f"/api/v1/approvals/{request_id}/reject", json={}, headers=manager)
    assert bare.status_code == 400
    assert bare.json()["error"]["where"] == "comment"
    done = client.post(
        f"/api/v1/approvals/{request_id}/reject",
        json={"comment": "too deep for a 12-month deal"},
        headers=manager,
    )
    assert done.status_code == 200
    assert done.json()["status"] == "rejected"
    manager_step = done.json()["steps"][0]["assignments"][0]
    assert manager_step["decision"] == "rejected"
    assert manager_step["comment"] == "too deep for a 12-month deal"


def test_nobody_approves_their_own_deal(company: Company) -> None:
    rep, request_id = _submit(company)
    response = rep.post(
        f"/api/v1/approvals/{request_id}/approve",
        json={},
        headers={"X-CSRF-Token": rep.csrf},  # type: ignore[attr-defined]
    )
    assert response.status_code == 403
    assert "segregation of duties" in response.json()["error"]["message"]


def test_someone_not_asked_cannot_decide(company: Company) -> None:
    _, request_id = _submit(company)
    legal = bearer(company.app.state.revdesk.db, company.ids["legal"], Scope.APPROVE)
    response = TestClient(company.app).post(
        f"/api/v1/approvals/{request_id}/approve", json={}, headers=legal
    )
    assert response.status_code == 403


def test_a_read_only_token_cannot_approve(company: Company) -> None:
    _, request_id = _submit(company)
    manager = bearer(company.app.state.revdesk.db, company.ids["manager"], Scope.READ)
    response = TestClient(company.app).post(
        f"/api/v1/approvals/{request_id}/approve", json={}, headers=manager
    )
    assert response.status_code == 403
    assert "approve" in response.json()["error"]["message"]


def test_the_submitter_recalls(company: Company) -> None:
    rep, request_id = _submit(company)
    response = rep.post(
        f"/api/v1/approvals/{request_id}/recall",
        json={},
        headers={"X-CSRF-Token": rep.csrf},  # type: ignore[attr-defined]
    )
    assert response.status_code == 200
    assert response.json()["status"] == "recalled"


def test_a_request_outside_ones_deals_is_404(company: Company) -> None:
    _, request_id = _submit(company)
    carla = bearer(company.app.state.revdesk.db, 7, Scope.READ)  # a rep in another team
    response = TestClient(company.app).get(f"/api/v1/approvals/{request_id}", headers=carla)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == f"approval request {request_id} does not exist"


def test_delegation_and_its_errors(company: Company) -> None:
    manager = bearer(company.app.state.revdesk.db, company.ids["manager"], Scope.APPROVE)
    client = TestClient(company.app)
    body = {"delegate_id": company.ids["vp"], "starts_on": "2026-12-01", "ends_on": "2026-12-10"}
    ok = client.post(
        "/api/v1/approvals/delegations", json={**body, "comment": "holiday"}, headers=manager
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["delegate_id"] == company.ids["vp"]
    backwards = client.post(
        "/api/v1/approvals/delegations",
        json={**body, "ends_on": "2026-11-01", "comment": "x"},
        headers=manager,
    )
    assert backwards.status_code == 400
    unknown = client.post(
        "/api/v1/approvals/delegations",
        json={**body, "delegate_id": 9999, "comment": "x"},
        headers=manager,
    )
    assert unknown.status_code == 404


def test_a_stand_in_opens_what_their_inbox_shows(company: Company) -> None:
    # given Marcus (manager) away today, with Priya (a manager in another team) standing in
    db = company.app.state.revdesk.db
    today = utcnow().date()
    manager = bearer(db, company.ids["manager"], Scope.READ, Scope.APPROVE)
    client = TestClient(company.app)
    delegation = client.post(
        "/api/v1/approvals/delegations",
        json={"delegate_id": 3, "starts_on": str(today - timedelta(days=1)),
              "ends_on": str(today + timedelta(days=5)), "comment": "away"},
        headers=manager,
    )  # fmt: skip
    assert delegation.status_code == 201, delegation.text
    # when Alice submits a quote that waits on Marcus
    _, request_id = _submit(company)
    priya = bearer(db, 3, Scope.READ, Scope.APPROVE)
    inbox = client.get("/api/v1/approvals/inbox", headers=priya).json()
    assert [i["request_id"] for i in inbox] == [request_id]
    # then Priya may open the request and its deal, and approve it
    assert client.get(f"/api/v1/approvals/{request_id}", headers=priya).status_code == 200
    assert client.get(f"/api/v1/opportunities/{OWN_DEAL}", headers=priya).status_code == 200
    done = client.post(f"/api/v1/approvals/{request_id}/approve", json={}, headers=priya)
    assert done.status_code == 200, done.text
