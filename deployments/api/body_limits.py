"""An ASGI middleware that refuses a request body over its size limit before the application reads it, and a
JSON body nested deeper than the limit before anything parses it (see ``common.json_depth`` for why).

A declared ``Content-Length`` over the limit is refused at once, unread. A body without one (chunked) is
counted as it arrives: a JSON body is read here, up to the limit, measured and handed on; any other body
(a multipart upload) streams through, and the read that crosses the limit raises ``BodyTooLarge``, which
the application's handler for ``HTTPException`` answers (413).
"""

from __future__ import annotations

from collections.abc import Collection

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.json_depth import json_depth
from deployments.errors import error_body


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"the request body is over the limit of {limit} bytes ({limit / (1 << 20):g} MiB)")


def _is_json(content_type: str | None) -> bool:
    """FastAPI parses a body without a content type as JSON too."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    return not media_type or media_type == "application/json" or media_type.endswith("+json")


class BodyLimits:
    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        max_json_depth: int,
        max_upload_bytes: int | None = None,
        upload_paths: Collection[str] = (),
    ):
        """``upload_paths`` (exact paths) may carry bodies up to ``max_upload_bytes``; every other path
        up to ``max_body_bytes``."""
        self.app, self.max_body_bytes, self.max_json_depth = app, max_body_bytes, max_json_depth
        self.max_upload_bytes, self.upload_paths = max_upload_bytes or max_body_bytes, frozenset(upload_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        if headers is None or not ("content-length" in headers or "transfer-encoding" in headers):
            await self.app(scope, receive, send)  # no body: nothing to limit
            return
        limit = self.max_upload_bytes if scope["path"] in self.upload_paths else self.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(BodyTooLarge(limit), scope, receive, send)
            return
        counted = _Counted(receive, limit)
        if not _is_json(headers.get("content-type")):
            await self.app(scope, counted.receive, send)
            return
        try:
            body = await counted.read_all()
        except BodyTooLarge as exc:
            await self._refuse(exc, scope, receive, send)
            return
        if body is None:
            return
        if json_depth(body, at_least=self.max_json_depth) > self.max_json_depth:
            await self._refuse(
                HTTPException(
                    400, f"the JSON body nests arrays or objects more than {self.max_json_depth} levels deep"
                ),
                scope,
                receive,
                send,
            )
            return
        await self.app(scope, _replay(body, receive), send)

    @staticmethod
    async def _refuse(exc: HTTPException, scope: Scope, receive: Receive, send: Send) -> None:
        kind = "request_too_large" if exc.status_code == 413 else "invalid_request_error"
        await JSONResponse(error_body(exc.detail, kind), status_code=exc.status_code)(scope, receive, send)


class _Counted:
    """``receive`` that counts the body's bytes and raises ``BodyTooLarge`` past ``limit``."""

    def __init__(self, receive: Receive, limit: int):
        self._receive, self._limit, self._seen = receive, limit, 0

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self._seen += len(message.get("body", b""))
            if self._seen > self._limit:
                raise BodyTooLarge(self._limit)
        return message

    async def read_all(self) -> bytes | None:
        """The whole body, or None when the client goes away before sending it."""
        chunks = []
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                return None
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body, read already, as one message; then the real ``receive`` (which reports a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
