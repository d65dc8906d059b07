"""Sign-in and sign-out pages.

The sign-in form has no session yet, so its CSRF token is a double-submit cookie: a random
value in an HttpOnly cookie that the form must echo.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from revdesk.auth.service import session_principal, sign_in, sign_out
from revdesk.core.clock import utcnow
from revdesk.core.errors import PermissionDenied
from revdesk.web.deps import COOKIE, UowDep, state_of
from revdesk.web.pages.common import redirect, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
LOGIN_CSRF = "revdesk_login_csrf"


def _secure(request: Request) -> bool:
    mode = state_of(request).web.secure_cookies
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect off-site after signing in.
    # No backslash either: browsers read "/\\evil.example" as "//evil.example".
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/inbox"


def _login_page(request: Request, next_url: str, error: str | None, status: int) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        None,
        {"csrf": token, "next": _safe_next(next_url), "error": error},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF, token, httponly=True, samesite="lax", secure=_secure(request), max_age=3600
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    """The sign-in form."""
    return _login_page(request, next or "/inbox", None, 200)


@router.post("/login")
def login(
    request: Request,
    uow: UowDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/inbox",
) -> Response:
    """Check the password (throttled), open a session and go on."""
    expected = request.cookies.get(LOGIN_CSRF, "")
    if not expected or not secrets.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_page(request, next, "The form expired; please sign in again.", 400)
    state = state_of(request)
    result = sign_in(
        uow.session,
        email=email,
        password=password,
        at=utcnow(),
        ttl=state.session_ttl,
        throttle=state.throttle,
    )
    uow.commit()
    if result.token is None:
        return _login_page(request, next, result.failure, 401)
    response = redirect(_safe_next(next), "Signed in.")
    response.set_cookie(
        COOKIE,
        result.token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(state.session_ttl.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout")
def logout(
    request: Request, uow: UowDep, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """End the session; the form's CSRF token must be the session's."""
    token = request.cookies.get(COOKIE)
    now = utcnow()
    principal = session_principal(uow.session, token=token, at=now) if token else None
    if token and principal is not None:
        if not secrets.compare_digest((principal.csrf or "").encode(), csrf_token.encode()):
            raise PermissionDenied("the form has expired; reload the page and sign out again")
        sign_out(uow.session, token=token, at=now)
        uow.commit()
    response = redirect("/login", "Signed out.")
    response.delete_cookie(COOKIE)
    return response
