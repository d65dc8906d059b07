"""The uvicorn entry point: an app built from the environment's settings."""

from __future__ import annotations

from fastapi import FastAPI

from revdesk.core.settings import load_settings
from revdesk.web.app import create_app

__all__ = ["app_from_environment"]


def app_from_environment() -> FastAPI:
    """The app over the configured database (uvicorn calls this once per worker)."""
    return create_app(load_settings())
