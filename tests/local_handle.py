"""Serve's handle calling convention (``await handle.method.remote(*args)``) over a plain object, so the
gateway's FastAPI app and the assistant can be tested in process against real services."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any


class _Method:
    def __init__(self, target: Any, name: str):
        self._target, self._name = target, name

    def remote(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        method = getattr(self._target, self._name)
        if inspect.iscoroutinefunction(method):
            return method(*args, **kwargs)
        return asyncio.to_thread(method, *args, **kwargs)  # as Serve runs blocking methods: off the loop


class LocalHandle:
    def __init__(self, target: Any):
        self._target = target

    def __getattr__(self, name: str) -> _Method:
        """Any name is a method, as on a DeploymentHandle (which answers even ``__deepcopy__`` with a handle):
        the method is looked up only when called."""
        return _Method(self._target, name)
