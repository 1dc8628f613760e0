"""Who is calling, and whose progress they may touch.

A caller is identified, in this order, by
1. a bearer token (`Authorization: Bearer <token>`): the SHA-256 of the token is looked up in
   `PROGRESS_OPS_API_TOKENS`. A *learner* token may touch only its own learner's progress; a
   *service* token may act for anyone. A token that is sent but not known is a 401, always;
2. the trusted header named by `PROGRESS_OPS_API_TRUSTED_USER_HEADER`, set by a reverse proxy to
   the signed-in learner's user id (a learner caller);
3. nothing: allowed as the service `anonymous` only when anonymous access is on (by default only
   on the embedded demo database with no tokens and no header configured); otherwise a 401.

The actor recorded in `progress_events` is the learner's user id or the service token's name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.logging_middleware import note_user
from api.settings import ApiSettings, Role
from progress.errors import InvalidInput
from progress.validation import check_id

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Caller:
    actor: str
    role: Role
    user_id: str | None = None

    def may_act_for(self, user_id: str) -> bool:
        return self.role == "service" or self.user_id == user_id


ANONYMOUS = Caller(actor="anonymous", role="service")


def hash_token(token: str) -> str:
    """The form a token is configured in: its SHA-256 as 64 hex digits."""
    return hashlib.sha256(token.encode()).hexdigest()


class Authenticator:
    def __init__(self, settings: ApiSettings, *, anonymous: bool) -> None:
        self._tokens = {token.sha256: token for token in settings.tokens}
        self._header = settings.trusted_user_header
        self.anonymous = anonymous

    def identify(self, *, bearer: str | None, headers: Mapping[str, str]) -> Caller:
        if bearer is not None:
            token = self._tokens.get(hash_token(bearer))
            if token is None:
                raise ApiError(
                    401, "unauthenticated", "The bearer token is not valid.", headers=_CHALLENGE
                )
            if token.role == "learner":
                assert token.user_id is not None  # checked when the settings were read
                return Caller(actor=token.user_id, role="learner", user_id=token.user_id)
            assert token.name is not None
            return Caller(actor=token.name, role="service")
        if self._header and (user := headers.get(self._header)):
            try:
                user = check_id("user_id", user)
            except InvalidInput as error:
                raise ApiError(401, "unauthenticated", f"{self._header}: {error.message}") from None
            return Caller(actor=user, role="learner", user_id=user)
        if self.anonymous:
            return ANONYMOUS
        raise ApiError(
            401,
            "unauthenticated",
            "Send a bearer token: Authorization: Bearer <token>.",
            headers=_CHALLENGE,
        )


_bearer = HTTPBearer(
    auto_error=False,
    description="A learner token (its own progress only) or a service token (anyone's).",
)


def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None and "authorization" in request.headers:
        raise ApiError(
            401, "unauthenticated", "Only bearer tokens are accepted.", headers=_CHALLENGE
        )
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator.identify(
        bearer=credentials.credentials if credentials else None, headers=request.headers
    )


CallerDep = Annotated[Caller, Depends(current_caller)]


def authorize(request: Request, caller: Caller, user_id: str) -> str:
    """The user id the request acts for, once the caller may act for it (403 otherwise)."""
    note_user(request, user_id)
    if not caller.may_act_for(user_id):
        raise ApiError(
            403,
            "forbidden",
            f"This token may only read and change the progress of {caller.user_id}.",
            field="userId",
        )
    return user_id
