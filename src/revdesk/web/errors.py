"""One mapping from RevDesk errors to HTTP: a JSON body from the API, a readable page in the UI.

    NotFound -> 404, PermissionDenied -> 403, InvalidInput -> 400, Conflict -> 409,
    Unauthenticated -> 401 (the UI redirects to the sign-in page instead),
    StorageError -> 503, request validation (malformed JSON, wrong types) -> 422.

Every API error body is `{"error": {"code", "message", "where"}}`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from revdesk.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RevDeskError,
    StorageError,
)

__all__ = ["Unauthenticated", "error_body", "install_handlers", "is_api", "status_of"]


class Unauthenticated(RevDeskError):
    """No valid session or token: signed out, expired, revoked or never signed in."""


_STATUS: tuple[tuple[type[RevDeskError], int, str], ...] = (
    (Unauthenticated, 401, "unauthenticated"),
    (NotFound, 404, "not_found"),
    (PermissionDenied, 403, "forbidden"),
    (Conflict, 409, "conflict"),
    (InvalidInput, 400, "invalid_input"),
    (StorageError, 503, "storage_unavailable"),
)
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


def status_of(error: RevDeskError) -> tuple[int, str]:
    """The HTTP status and error code of a RevDesk error."""
    for kind, status, code in _STATUS:
        if isinstance(error, kind):
            return status, code
    return 500, "internal_error"


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API (as opposed to a page)."""
    return request.url.path.startswith("/api/")


def error_body(code: str, message: str, where: str | None = None) -> dict[str, Any]:
    """The JSON error body."""
    return {"error": {"code": code, "message": message, "where": where}}


def _page(request: Request, status: int, message: str, where: str | None) -> Response:
    templates = request.app.state.revdesk.templates
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request,
        "error.html",
        {"status": status, "message": message, "where": where, "actor": None, "flash": None},
        status_code=status,
    )


def _respond(request: Request, status: int, code: str, message: str, where: str | None) -> Response:
    if is_api(request):
        return JSONResponse(error_body(code, message, where), status_code=status)
    if status == 401:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        response = RedirectResponse(f"/login?next={target}", status_code=303)
        response.set_cookie("revdesk_flash", quote(message), httponly=True, samesite="lax")
        return response
    return _page(request, status, message, where)


async def _revdesk(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RevDeskError)
    status, code = status_of(exc)
    return _respond(request, status, code, exc.message, exc.where)


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ())) or None
    message = str(first.get("msg", "the request is not valid"))
    return _respond(request, 422, "invalid_request", message, where)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    response = _respond(request, exc.status_code, code, str(exc.detail), None)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected(request: Request, _exc: Exception) -> Response:
    return _respond(request, 500, "internal_error", "something went wrong on our side", None)


def install_handlers(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(RevDeskError, _revdesk)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


def error_page_html(status: int, message: str) -> HTMLResponse:
    """A bare page for failures before templates are available."""
    return HTMLResponse(f"<h1>{status}</h1><p>{message}</p>", status_code=status)
