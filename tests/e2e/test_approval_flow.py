"""In a real browser: a rep submits a discounted quote, the manager approves from the inbox,
finance approves, the rep sees it approved; a rejection with a comment; a self-approval
refused."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from web_support import OWN_DEAL, OWN_QUOTE, PASSWORD

pytestmark = pytest.mark.timeout(240)


def _sign_in(request: pytest.FixtureRequest, base: str, email: str) -> Page:
    page: Page = request.node.new_page()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".flash")).to_have_text("Signed in.")
    return page


def _submit_as_rep(request: pytest.FixtureRequest, server: dict[str, Any]) -> Page:
    rep = _sign_in(request, server["base"], server["emails"]["rep"])
    rep.goto(f"{server['base']}/deals/{OWN_DEAL}")
    rep.click("text=Submit for approval…")
    expect(rep.get_by_test_id("outcome")).to_have_text("approval_required")
    rep.fill("#comment", "The customer needs net 90.")
    rep.click("button:has-text('Submit for approval')")
    expect(rep.locator(".flash")).to_contain_text(f"Quote {OWN_QUOTE} submitted")
    return rep


def _decide(page: Page, base: str, decision: str, comment: str = "") -> None:
    page.goto(f"{base}/inbox")
    page.click(f"a[href='/deals/{OWN_DEAL}']")
    if comment:
        page.fill("textarea[name=comment]", comment)
    page.click(f"button[value={decision}]")


def test_rep_submits_manager_and_finance_approve(
    server: dict[str, Any], pages: list[Page], request: pytest.FixtureRequest
) -> None:
    base = server["base"]
    rep = _submit_as_rep(request, server)
    manager = _sign_in(request, base, server["emails"]["manager"])
    manager.goto(f"{base}/inbox")
    expect(manager.locator("td.left")).to_have_count(1)  # the SLA clock is running
    _decide(manager, base, "approve")
    expect(manager.locator(".flash")).to_contain_text("it is now pending")
    finance = _sign_in(request, base, server["emails"]["finance"])
    _decide(finance, base, "approve")
    expect(finance.locator(".flash")).to_contain_text("it is now approved")
    rep.goto(f"{base}/deals/{OWN_DEAL}")
    expect(rep.get_by_test_id("request-status").first).to_have_text("approved")


def test_a_rejection_with_a_comment(
    server: dict[str, Any], pages: list[Page], request: pytest.FixtureRequest
) -> None:
    base = server["base"]
    rep = _submit_as_rep(request, server)
    manager = _sign_in(request, base, server["emails"]["manager"])
    _decide(manager, base, "reject")  # without a comment first
    expect(manager.locator(".error")).to_contain_text("a rejection needs a comment")
    _decide(manager, base, "reject", "Too deep a discount for a one-year term.")
    expect(manager.locator(".flash")).to_contain_text("it is now rejected")
    rep.goto(f"{base}/deals/{OWN_DEAL}")
    expect(rep.get_by_test_id("request-status").first).to_have_text("rejected")
    expect(rep.locator("text=Too deep a discount for a one-year term.").first).to_be_visible()


def test_a_self_approval_is_refused(
    server: dict[str, Any], pages: list[Page], request: pytest.FixtureRequest
) -> None:
    rep = _submit_as_rep(request, server)
    # the page offers the rep no decision on her own deal
    expect(rep.locator("button[value=approve]")).to_have_count(0)
    # and posting the decision form anyway (with her valid CSRF token) is refused
    rep.evaluate(
        """() => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = '/approvals/1/decide';
            const token = document.querySelector('input[name=csrf_token]').value;
            for (const [name, value] of [['csrf_token', token], ['decision', 'approve']]) {
                const input = document.createElement('input');
                input.name = name; input.value = value; form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }"""
    )
    expect(rep.locator("h1")).to_have_text("Not allowed")
    expect(rep.locator(".error")).to_contain_text("segregation of duties")
