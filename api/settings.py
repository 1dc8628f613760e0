"""The API's configuration, from `PROGRESS_OPS_API_*` environment variables (or `.env`).

Every setting is documented in `docs/api.md`; `tests/api/test_docs.py` fails when one is not.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Role = Literal["learner", "service"]


class ApiToken(BaseModel):
    """One accepted bearer token, stored as the SHA-256 of the token (never the token itself)."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the token")
    role: Role
    user_id: str | None = Field(default=None, description="learner tokens: whose progress")
    name: str | None = Field(default=None, description="service tokens: the actor in history")

    @model_validator(mode="after")
    def _role_fields(self) -> Self:
        if self.role == "learner" and not self.user_id:
            raise ValueError("a learner token needs the user_id of its learner")
        if self.role == "service" and not self.name:
            raise ValueError("a service token needs a name (recorded as the actor of its changes)")
        return self


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PROGRESS_OPS_API_", env_file=".env", extra="ignore"
    )

    host: str = Field(default="127.0.0.1", description="address `progress-ops api` listens on")
    port: int = Field(default=8000, ge=1, le=65535, description="port `progress-ops api` uses")
    workers: int = Field(default=1, ge=1, le=32, description="uvicorn worker processes")
    tokens: list[ApiToken] = Field(
        default=[],
        description='JSON list: [{"sha256": "…", "role": "learner", "user_id": "…"}, '
        '{"sha256": "…", "role": "service", "name": "…"}]',
    )
    trusted_user_header: str | None = Field(
        default=None,
        description="header a reverse proxy sets to the signed-in learner's user id; honoured "
        "only when set, so set it only behind a proxy that strips it from clients",
    )
    allow_anonymous: bool | None = Field(
        default=None,
        description="requests without credentials act as a service; unset = only on the "
        "embedded demo database when no tokens and no trusted header are configured",
    )
    cors_origins: list[str] = Field(
        default=[], description='JSON list of origins allowed by CORS, e.g. ["https://app.example"]'
    )
    max_body_bytes: int = Field(
        default=128 * 1024, ge=1024, description="largest request body accepted (413 above)"
    )
    request_log: bool = Field(default=True, description="log every request to `api_logs`")
    log_batch_rows: int = Field(default=500, ge=1, description="write the log every N rows…")
    log_interval_ms: int = Field(default=250, ge=1, description="…or every T milliseconds")
    rollup_refresh_seconds: float = Field(
        default=5.0,
        ge=0,
        description="fold logged requests into the dashboard's rollups at most this often "
        "(after a log write; 0 = after every write)",
    )
    metrics_open_on_localhost: bool = Field(
        default=True,
        description="`GET /metrics` answers clients on this machine (loopback) without a token; "
        "turn off when a reverse proxy on this machine forwards outside requests",
    )
    metrics_token_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="hex SHA-256 of the bearer token Prometheus sends to `GET /metrics` from "
        "elsewhere; unset = metrics only on this machine",
    )
    retry_after_seconds: int = Field(
        default=5, ge=1, description="`Retry-After` of a 503 when the database is unreachable"
    )

    def anonymous_allowed(self, *, embedded: bool) -> bool:
        if self.allow_anonymous is not None:
            return self.allow_anonymous
        return embedded and not self.tokens and not self.trusted_user_header
