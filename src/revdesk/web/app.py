"""The app factory: `create_app(settings)` builds the FastAPI app over one database.

Nothing is fetched from a CDN: Swagger UI comes from the `swagger-ui-py` package and
plotly.js from the `plotly` package, both served by this app; the own CSS lives in static/.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Awaitable, Callable
from pathlib import Path

import plotly
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from revdesk.core.settings import Settings
from revdesk.db.uow import Database
from revdesk.web.api import approvals as api_approvals
from revdesk.web.api import read as api_read
from revdesk.web.deps import WebState
from revdesk.web.errors import install_handlers
from revdesk.web.pages import actions as action_pages
from revdesk.web.pages import auth as auth_pages
from revdesk.web.pages import deals as deal_pages
from revdesk.web.pages import overview as overview_pages
from revdesk.web.settings import WebSettings
from revdesk.web.templating import install_filters

__all__ = ["create_app"]

HERE = Path(__file__).parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _swagger_static() -> Path:
    """Swagger UI 5 (OpenAPI 3.1) as shipped in the `swagger-ui-py` package's static folder."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.url.path != "/docs":  # Swagger UI starts itself with an inline script
        response.headers.setdefault("Content-Security-Policy", _CSP)
    if request.url.path.startswith(("/api/", "/login")):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _docs(app: FastAPI) -> None:
    app.mount(
        "/static/swagger",
        StaticFiles(directory=_swagger_static()),
        name="swagger",
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="RevDesk API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}


def create_app(
    settings: Settings, web: WebSettings | None = None, *, db: Database | None = None
) -> FastAPI:
    """The RevDesk web app and API over the database of `settings` (or the given `db`)."""
    app = FastAPI(
        title="RevDesk API",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        description="Revenue desk: deals, quotes, approvals and policies. "
        "Authenticate with `Authorization: Bearer <token>` (`revdesk users token create`).",
    )
    templates = Jinja2Templates(directory=HERE / "templates")
    install_filters(templates)
    app.state.revdesk = WebState(
        db=db or Database.connect(settings.database_url, echo=settings.sql_echo),
        settings=settings,
        web=web or WebSettings(),
        templates=templates,
    )
    install_handlers(app)
    app.middleware("http")(_security_headers)
    app.mount("/static/app", StaticFiles(directory=HERE / "static"), name="static")
    _docs(app)
    for router in (
        api_read.router,
        api_approvals.router,
        auth_pages.router,
        action_pages.router,
        overview_pages.router,
        deal_pages.router,
    ):
        app.include_router(router)
    return app
