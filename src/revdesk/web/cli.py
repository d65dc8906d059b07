"""`revdesk serve`: the web app and API under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from revdesk.cli_support import DatabaseOption, console, open_database, settings_for
from revdesk.core.settings import ENV_PREFIX
from revdesk.web.demo_logins import print_demo_logins

__all__ = ["serve"]


def serve(
    host: Annotated[str, typer.Option("--host", help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="worker processes")] = 1,
    demo_logins: Annotated[
        bool,
        typer.Option("--demo-logins", help="give one user per role a password and print them"),
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Serve the web app and the JSON API (OpenAPI at /docs)."""
    settings = settings_for(database)
    db = open_database(settings)  # refuses an unmigrated database before any worker starts
    if demo_logins:
        print_demo_logins(db, console)
    db.dispose()
    # Workers are separate processes: they read the settings from the environment.
    os.environ[f"{ENV_PREFIX}DATABASE_URL"] = settings.database_url
    console.print(f"[green]RevDesk on http://{host}:{port}[/green] (API docs at /docs)")
    uvicorn.run(
        "revdesk.web.main:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=False,
    )
