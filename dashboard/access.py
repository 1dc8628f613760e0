"""Who may change progress from the console: a plain rule, kept apart from Streamlit.

Viewing needs no role. Writing needs the support role:
- a person signed in with `st.login` (when `[auth]` is configured) or named by the reverse proxy's
  trusted header has it when their name is in `PROGRESS_OPS_SUPPORT_USERS`;
- on the embedded demo database only, a name typed in the sidebar is enough (it is a demo);
- otherwise the console is read-only, and says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

IdentitySource = Literal["login", "header", "typed", "none"]


class AccessSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROGRESS_OPS_", extra="ignore")

    support_users: list[str] = []
    trusted_user_header: str | None = None


@dataclass(frozen=True)
class Identity:
    name: str | None
    source: IdentitySource


def identify(
    *, login: Mapping[str, object] | None, header: str | None, typed: str | None
) -> Identity:
    """Who is looking, first match wins: the signed-in user (`login`: Streamlit's user info when
    someone is signed in, else None) by e-mail, else by name; else the trusted header's value (None
    when no header is configured or the request has none); else a typed name. A value that is
    missing, blank or not text does not identify anyone."""
    user = login or {}
    ordered: tuple[tuple[IdentitySource, tuple[object, ...]], ...] = (
        ("login", (user.get("email"), user.get("name"))),
        ("header", (header,)),
        ("typed", (typed,)),
    )
    for source, candidates in ordered:
        for candidate in candidates:
            if isinstance(candidate, str) and candidate.strip():
                return Identity(candidate.strip(), source)
    return Identity(None, "none")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def may_write(identity: Identity, *, support_users: list[str], embedded: bool) -> Decision:
    if identity.name is None or identity.source == "none":
        if embedded:
            return Decision(False, "Type your name in the sidebar to make changes (demo database).")
        return Decision(False, "Sign in to make changes; viewing needs no sign-in.")
    if identity.source == "typed":
        if embedded:
            return Decision(True, f"Signed in as {identity.name} (demo database).")
        return Decision(
            False,
            "Typed names are accepted only on the embedded demo database; sign in instead.",
        )
    if identity.name in support_users:
        return Decision(True, f"Signed in as {identity.name} (support).")
    return Decision(
        False,
        f"{identity.name} does not have the support role; ask an admin to add you to "
        "PROGRESS_OPS_SUPPORT_USERS.",
    )
