"""Who is calling: ``Authorization: Bearer <api key>`` (keys from ``muse users add``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from deployments.errors import ApiError
from core.paths import muse_home
from core.users import User

bearer = HTTPBearer(auto_error=False, description="an API key from `muse users add NAME`")


async def optional_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User | None:
    """The caller, or None without a key; a key that matches nobody is a 401, not anonymity."""
    if credentials is None:
        return None
    user = request.app.state.users.by_key(credentials.credentials)
    if user is None:
        raise ApiError(
            401,
            f"invalid API key: no user of this Muse has it. Keys belong to one data folder; this "
            f"server's is MUSE_HOME={muse_home()} (a key made with `muse users add` in another "
            "folder is the usual cause)",
            kind="authentication_error",
        )
    return user


async def required_caller(user: Annotated[User | None, Depends(optional_caller)]) -> User:
    if user is None:
        raise ApiError(401, "this route needs an API key: Authorization: Bearer <key>", kind="authentication_error")
    return user


Caller = Annotated[User | None, Depends(optional_caller)]
RequiredCaller = Annotated[User, Depends(required_caller)]
