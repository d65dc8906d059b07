"""Server-rendered pages: sign-in, CSRF on forms, flash messages, readable error pages,
pagination, empty states, and the walk from submit to approval."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from web_support import OTHER_DEAL, OWN_DEAL, OWN_QUOTE, PASSWORD, Company, draft_quote, login


def test_pages_send_anonymous_users_to_sign_in(company: Company) -> None:
    response = TestClient(company.app).get("/deals?page=2", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/deals%3Fpage%3D2"


def test_the_session_cookie_is_httponly_and_lax(company: Company) -> None:
    client = TestClient(company.app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    response = client.post(
        "/login",
        data={"email": company.emails["rep"], "password": "correct horse battery",
              "csrf_token": token.group(1)},
        follow_redirects=False,
    )  # fmt: skip
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "session" in v
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here; HTTPS requests get Secure


def test_a_wrong_password_shows_the_form_again(company: Company) -> None:
    client = TestClient(company.app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    response = client.post(
        "/login",
        data={"email": company.emails["rep"], "password": "nope nope nope",
              "csrf_token": token.group(1)},
    )  # fmt: skip
    assert response.status_code == 401
    assert "wrong e-mail or password" in response.text


def test_a_form_without_the_csrf_token_is_refused(company: Company) -> None:
    draft_quote(company.app.state.revdesk.db, OWN_QUOTE)
    client = login(company.app, company.emails["rep"])
    response = client.post(f"/quotes/{OWN_QUOTE}/submit", data={"comment": "hi"})
    assert response.status_code == 403
    assert "form has expired" in response.text
    assert "<h1>Not allowed</h1>" in response.text


def test_an_invisible_deal_is_a_readable_404_page(company: Company) -> None:
    client = login(company.app, company.emails["rep"])
    response = client.get(f"/deals/{OTHER_DEAL}")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text
    assert f"opportunity {OTHER_DEAL} does not exist" in response.text
    assert client.get("/deals/not-a-number").status_code == 422


def test_deals_paginate_and_filter_with_an_empty_state(company: Company) -> None:
    client = login(company.app, company.emails["sales_ops"])
    page = client.get("/deals?page=2")
    assert "page 2 of 2 · 28 deals" in page.text
    empty = client.get("/deals?q=zzzz-nothing")
    assert "No deals match." in empty.text


def test_submit_then_approve_from_the_pages(company: Company) -> None:
    # given Alice's discounted quote on net 90
    draft_quote(company.app.state.revdesk.db, OWN_QUOTE)
    rep = login(company.app, company.emails["rep"])
    preview = rep.get(f"/quotes/{OWN_QUOTE}/submit")
    assert "payment-terms-over-60" in preview.text
    # when she submits it
    submitted = rep.post(
        f"/quotes/{OWN_QUOTE}/submit",
        data={"csrf_token": rep.csrf, "comment": "net 90 asked"},  # type: ignore[attr-defined]
    )
    # then the deal page says so with a flash message
    assert "Quote 9 submitted: request 1 is pending." in submitted.text
    # and the manager finds it in the inbox and approves it
    manager = login(company.app, company.emails["manager"])
    inbox = manager.get("/inbox")
    assert f'href="/deals/{OWN_DEAL}"' in inbox.text
    assert " left" in inbox.text
    approved = manager.post(
        "/approvals/1/decide",
        data={"csrf_token": manager.csrf, "decision": "approve"},  # type: ignore[attr-defined]
    )
    assert "You approved request 1; it is now pending." in approved.text
    assert manager.get("/inbox").text.count("Nothing is waiting on you") == 1


def test_the_pipeline_page_draws_with_the_packaged_plotly(company: Company) -> None:
    client = login(company.app, company.emails["vp"])
    page = client.get("/pipeline")
    assert page.status_code == 200
    assert '<script src="/static/vendor/plotly.min.js"></script>' in page.text
    assert 'id="chart-data"' in page.text
    assert "cdn" not in page.text.lower()


def test_the_policy_page_simulates_an_upload(company: Company) -> None:
    client = login(company.app, company.emails["deal_desk"])
    assert "discount-over-10" in client.get("/policy").text
    bad = client.post(
        "/policy/simulate",
        data={"csrf_token": client.csrf},  # type: ignore[attr-defined]
        files={"file": ("p.yaml", b"version: [", "application/yaml")},
    )
    assert bad.status_code == 400
    assert "p.yaml:" in bad.text


def test_non_ascii_form_tokens_are_refused_not_500(company: Company) -> None:
    draft_quote(company.app.state.revdesk.db, OWN_QUOTE)
    client = login(company.app, company.emails["rep"])
    form = client.post(f"/quotes/{OWN_QUOTE}/submit", data={"comment": "hi", "csrf_token": "é"})
    assert form.status_code == 403
    out = client.post("/logout", data={"csrf_token": "é"})
    assert out.status_code == 403
    anonymous = TestClient(company.app, raise_server_exceptions=False)
    anonymous.get("/login")
    sign_in = anonymous.post(
        "/login", data={"email": company.emails["rep"], "password": "x", "csrf_token": "é"}
    )
    assert sign_in.status_code == 400
    assert "The form expired" in sign_in.text


def test_huge_ids_in_page_urls_are_422(company: Company) -> None:
    client = login(company.app, company.emails["rep"])
    assert client.get(f"/deals/{2**63}").status_code == 422
    assert client.get(f"/quotes/{2**31}/submit").status_code == 422


def test_sign_in_never_redirects_off_site_via_a_backslash(company: Company) -> None:
    client = TestClient(company.app)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post(
        "/login",
        data={"email": company.emails["rep"], "password": PASSWORD,
              "csrf_token": token.group(1), "next": "/\\evil.example/x"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox"
