"""Serve's handle calling convention (``await handle.method.remote(*args)``) over a plain object, so the
gateway's FastAPI app and the assistant can be tested in process against real services."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any


class _Method:
    def __init__(self, method: Callable[..., Any]):
        self._method = method

    def remote(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        if inspect.iscoroutinefunction(self._method):
            return self._method(*args, **kwargs)
        return asyncio.to_thread(self._method, *args, **kwargs)  # as Serve runs blocking methods: off the loop


class LocalHandle:
    def __init__(self, target: Any):
        self._target = target

    def __getattr__(self, name: str) -> _Method:
        return _Method(getattr(self._target, name))
