"""Settings of the web app (environment prefix `REVDESK_WEB_`), beside the core settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["WebSettings"]


class WebSettings(BaseSettings):
    """Sessions, cookies, throttling, record access and the policy in force."""

    model_config = SettingsConfigDict(env_prefix="REVDESK_WEB_", extra="forbid", frozen=True)

    session_hours: float = Field(default=12, gt=0, description="a session's lifetime")
    secure_cookies: Literal["auto", "always", "never"] = Field(
        default="auto", description="auto: Secure when the request came over HTTPS"
    )
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    rep_sees_team: bool = Field(default=False, description="reps see their team's deals")
    page_size: int = Field(default=25, ge=1, le=500)
