"""Request ids: each HTTP request has one (``x-request-id``), which error messages to clients and the server's
log lines about the same failure both carry, so that a reported id finds the details in the log.

``RequestIds`` is an ASGI middleware. Inside Ray Serve the id is already in the request's headers (Serve's
own middleware keeps the caller's ``x-request-id`` or makes one, and echoes it in the response); elsewhere
(tests, a plain ASGI server) this middleware does the same. Either way it makes the id the current one for
the request's code (``current_request_id``), including code that cannot see the request (the assistant).
"""

from __future__ import annotations

import logging
import uuid
from contextvars import ContextVar
from typing import Any, Awaitable, Callable

HEADER = "x-request-id"

_current: ContextVar[str] = ContextVar("request_id", default="-")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def current_request_id() -> str:
    """The id of the request being handled (``-`` outside a request)."""
    return _current.get()


def hidden_failure(log: logging.Logger, what: str, exc: BaseException, request_id: str | None = None) -> str:
    """Log ``exc`` with the request id (by default the current one) and return what a client may see: what
    failed and the id, not how."""
    request_id = request_id or current_request_id()
    log.error("%s (request id %s)", what, request_id, exc_info=exc)
    return f"{what}; request id {request_id} (the details are in the server log)"


class RequestIds:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((value.decode("latin-1") for name, value in scope["headers"] if name == HEADER.encode()), None)
        request_id = given or uuid.uuid4().hex
        token = _current.set(request_id)
        try:
            if given:
                await self.app(scope, receive, send)
                return
            # In place, as Serve's middleware does: the layers outside this one (the handler of unexpected
            # errors, which Starlette runs outermost) read it from the scope too.
            scope["headers"] = [*scope["headers"], (HEADER.encode(), request_id.encode())]

            async def send_with_id(message: dict) -> None:
                if message["type"] == "http.response.start":
                    message = {
                        **message,
                        "headers": [*message.get("headers", []), (HEADER.encode(), request_id.encode())],
                    }
                await send(message)

            await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)
