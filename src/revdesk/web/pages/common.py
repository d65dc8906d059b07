"""What every page shares: rendering with the actor and flash message, redirects with a flash."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from revdesk.web.deps import Actor, state_of

__all__ = ["FLASH", "Pager", "redirect", "render"]

FLASH = "revdesk_flash"


def render(
    request: Request,
    template: str,
    actor: Actor | None,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """Render a page with the navigation, the actor and the pending flash message."""
    raw = request.cookies.get(FLASH)
    flash = unquote(raw) if raw else None
    response: Response = state_of(request).templates.TemplateResponse(
        request,
        template,
        {"actor": actor, "flash": flash, **(context or {})},
        status_code=status_code,
    )
    if raw:
        response.delete_cookie(FLASH)
    return response


def redirect(url: str, message: str | None = None) -> RedirectResponse:
    """A 303 redirect after a form, carrying a flash message for the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        response.set_cookie(FLASH, quote(message), httponly=True, samesite="lax")
    return response


class Pager:
    """Page numbers of a list: which rows to read and the links to the neighbours."""

    def __init__(self, page: int, size: int, total: int) -> None:
        self.size = size
        self.total = total
        self.pages = max(1, -(-total // size))
        self.page = min(max(1, page), self.pages)

    @property
    def offset(self) -> int:
        """The first row of the page."""
        return (self.page - 1) * self.size

    @property
    def previous(self) -> int | None:
        """The previous page number, if any."""
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        """The next page number, if any."""
        return self.page + 1 if self.page < self.pages else None
