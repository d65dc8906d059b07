"""The JSON API through the ASGI client: reads, record access, tokens, errors (never a 500)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import update

from revdesk.auth.model import Scope
from revdesk.auth.tables import ApiToken, WebSession
from revdesk.core.clock import utcnow
from web_support import OTHER_DEAL, OTHER_QUOTE, OWN_DEAL, OWN_QUOTE, Company, bearer, login


def test_me_through_a_session_cookie(company: Company) -> None:
    # given a rep signed in through the form
    client = login(company.app, company.emails["rep"])
    # when they ask who they are
    response = client.get("/api/v1/users/me")
    # then it is them
    assert response.status_code == 200
    assert response.json()["id"] == company.ids["rep"]
    assert response.json()["role"] == "rep"


def test_a_rep_lists_only_their_own_deals(company: Company) -> None:
    # given Alice, who owns deals 1, 8, 15 and 17 in the sample company
    client = login(company.app, company.emails["rep"])
    # when she lists opportunities two at a time
    first = client.get("/api/v1/opportunities", params={"limit": 2}).json()
    second = client.get("/api/v1/opportunities", params={"limit": 2, "offset": 2}).json()
    # then she sees her four, newest first, in two pages
    assert first["total"] == 4
    assert [o["id"] for o in first["items"]] == [17, 15]
    assert [o["id"] for o in second["items"]] == [8, 1]


def test_the_stage_filter_and_search(company: Company) -> None:
    client = login(company.app, company.emails["sales_ops"])
    proposal = client.get("/api/v1/opportunities", params={"stage": "Proposal"}).json()
    assert sorted(o["id"] for o in proposal["items"]) == [17, 20, 23]
    nothing = client.get("/api/v1/opportunities", params={"q": "no such deal at all"}).json()
    assert nothing == {"items": [], "total": 0, "limit": 25, "offset": 0}


def test_a_deal_outside_the_users_tree_is_404_not_403(company: Company) -> None:
    # given Alice's manager, Marcus; Carla's deal is in Priya's tree
    client = login(company.app, company.emails["manager"])
    # when he asks for his rep's deal and for Carla's
    own = client.get(f"/api/v1/opportunities/{OWN_DEAL}")
    other = client.get(f"/api/v1/opportunities/{OTHER_DEAL}")
    missing = client.get("/api/v1/opportunities/99999")
    # then the first is shown and the second answers exactly like one that does not exist
    assert own.status_code == 200
    assert other.status_code == 404
    assert other.json() == {
        "error": {
            "code": "not_found",
            "message": f"opportunity {OTHER_DEAL} does not exist",
            "where": None,
        }
    }
    assert missing.json()["error"]["message"] == "opportunity 99999 does not exist"


def test_a_quote_with_its_economics(company: Company) -> None:
    client = login(company.app, company.emails["rep"])
    response = client.get(f"/api/v1/quotes/{OWN_QUOTE}")
    assert response.status_code == 200
    body = response.json()
    assert body["opportunity_id"] == OWN_DEAL
    lines = body["lines"]
    list_total = sum(Decimal(line["list_total"]) for line in lines)
    net_total = sum(Decimal(line["net_total"]) for line in lines)
    assert Decimal(body["economics"]["list_total"]) == list_total
    assert Decimal(body["economics"]["net_total"]) == net_total
    assert client.get(f"/api/v1/quotes/{OTHER_QUOTE}").status_code == 404


def test_the_preview_names_the_outcome(company: Company) -> None:
    client = login(company.app, company.emails["rep"])
    response = client.get(f"/api/v1/quotes/{OWN_QUOTE}/preview")
    assert response.status_code == 200
    body = response.json()
    assert body["quote_id"] == OWN_QUOTE
    assert body["outcome"] == "approval_required"


def test_only_sales_ops_and_admins_list_users(company: Company) -> None:
    ops = login(company.app, company.emails["sales_ops"]).get("/api/v1/users", params={"limit": 5})
    rep = login(company.app, company.emails["rep"]).get("/api/v1/users")
    assert ops.status_code == 200
    assert ops.json()["total"] == 18
    assert len(ops.json()["items"]) == 5
    assert rep.status_code == 403
    assert rep.json()["error"]["code"] == "forbidden"


def test_anonymous_api_calls_are_401_with_a_json_body(company: Company) -> None:
    client = TestClient(company.app)
    response = client.get("/api/v1/opportunities")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_an_expired_session_is_401_on_the_api_and_a_redirect_on_pages(company: Company) -> None:
    # given a signed-in rep whose session then expires
    client = login(company.app, company.emails["rep"])
    db = company.app.state.revdesk.db
    with db.uow() as uow:
        uow.session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    # when they use the API and a page
    api = client.get("/api/v1/users/me")
    page = client.get("/deals", follow_redirects=False)
    # then the API says 401 and the page sends them to sign in again
    assert api.status_code == 401
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/deals"


def test_bearer_tokens_scopes_and_revocation(company: Company) -> None:
    db = company.app.state.revdesk.db
    client = TestClient(company.app)
    reader = bearer(db, company.ids["finance"], Scope.READ)
    approver_only = bearer(db, company.ids["finance"], Scope.APPROVE)
    assert client.get("/api/v1/users/me", headers=reader).json()["role"] == "finance"
    refused = client.get("/api/v1/users/me", headers=approver_only)
    assert refused.status_code == 403
    assert refused.json()["error"]["where"] == "Authorization"
    wrong = client.get("/api/v1/users/me", headers={"Authorization": "Bearer rdt_nope"})
    assert wrong.status_code == 401
    malformed = client.get("/api/v1/users/me", headers={"Authorization": "Basic abc"})
    assert malformed.status_code == 401


def test_an_expired_token_is_refused(company: Company) -> None:
    db = company.app.state.revdesk.db
    headers = bearer(db, company.ids["finance"], Scope.READ)
    with db.uow() as uow:
        uow.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    response = TestClient(company.app).get("/api/v1/users/me", headers=headers)
    assert response.status_code == 401


def test_unsafe_cookie_requests_need_the_csrf_header(company: Company) -> None:
    client = login(company.app, company.emails["deal_desk"])
    files = {"file": ("p.yaml", b"version: 1\n", "application/yaml")}
    without = client.post("/api/v1/policies/check", files=files)
    assert without.status_code == 403
    assert without.json()["error"]["where"] == "X-CSRF-Token"


def test_bad_input_is_4xx_with_a_json_error(company: Company) -> None:
    db = company.app.state.revdesk.db
    client = TestClient(company.app, raise_server_exceptions=False)
    headers = bearer(db, company.ids["admin"], Scope.READ, Scope.APPROVE, Scope.ADMIN)
    cases = [
        client.get("/api/v1/opportunities/not-a-number", headers=headers),
        client.get("/api/v1/opportunities", params={"limit": "many"}, headers=headers),
        client.get("/api/v1/opportunities", params={"limit": 0}, headers=headers),
        client.post("/api/v1/policies/check", content=b"{not json", headers=headers),
        client.get("/api/v1/quotes/424242", headers=headers),
        client.get("/api/v1/nothing-here", headers=headers),
    ]
    assert [r.status_code for r in cases] == [422, 422, 422, 422, 404, 404]
    for response in cases:
        assert set(response.json()["error"]) == {"code", "message", "where"}


def test_a_bad_policy_upload_points_at_the_line(company: Company) -> None:
    db = company.app.state.revdesk.db
    headers = bearer(db, company.ids["deal_desk"], Scope.READ)
    files = {"file": ("bad.yaml", b"version: 1\nrules: [\n", "application/yaml")}
    response = TestClient(company.app).post("/api/v1/policies/check", files=files, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert response.json()["error"]["where"].startswith("bad.yaml:")


def test_the_shipped_policy_simulates_as_unchanged(company: Company) -> None:
    db = company.app.state.revdesk.db
    headers = bearer(db, company.ids["deal_desk"], Scope.READ)
    with open("examples/policies/standard.yaml", "rb") as handle:
        files = {"file": ("standard.yaml", handle.read(), "application/yaml")}
    response = TestClient(company.app).post("/api/v1/policies/check", files=files, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["simulation"]["changed_count"] == 0


def test_the_active_policy_lists_its_rules(company: Company) -> None:
    client = login(company.app, company.emails["legal"])
    body = client.get("/api/v1/policies/active").json()
    assert body["rules"]
    assert {"id", "when", "step", "approver", "reason"} <= set(body["rules"][0])


def test_a_non_ascii_csrf_header_is_403_not_500(company: Company) -> None:
    client = login(company.app, company.emails["deal_desk"])
    files = {"file": ("p.yaml", b"version: 1\n", "application/yaml")}
    response = client.post(
        "/api/v1/policies/check", files=files, headers={"X-CSRF-Token": "é".encode()}
    )
    assert response.status_code == 403
    assert response.json()["error"]["where"] == "X-CSRF-Token"


def test_ids_beyond_the_integer_columns_are_422_not_500(company: Company) -> None:
    db = company.app.state.revdesk.db
    client = TestClient(company.app, raise_server_exceptions=False)
    headers = bearer(db, company.ids["admin"], Scope.READ, Scope.APPROVE, Scope.ADMIN)
    cases = [
        client.get(f"/api/v1/opportunities/{2**63}", headers=headers),
        client.get(f"/api/v1/quotes/{2**31}", headers=headers),
        client.get(f"/api/v1/approvals/{2**63}", headers=headers),
        client.post("/api/v1/approvals", json={"quote_id": 2**63}, headers=headers),
        client.post(
            "/api/v1/approvals/delegations",
            json={"delegate_id": 2**63, "starts_on": "2030-01-01", "ends_on": "2030-01-05"},
            headers=headers,
        ),
    ]
    assert [r.status_code for r in cases] == [422] * 5
    assert client.get(f"/api/v1/quotes/{2**31 - 1}", headers=headers).status_code == 404
