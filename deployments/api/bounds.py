"""Bounds for free-form request fields whose shape the route cannot fix in advance."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator

MAX_TOOL_ARGS = 16  # Muse's tools take at most 6 arguments
MAX_TOOL_ARGS_BYTES = 64 * 1024  # as JSON; a work's text to register is the largest argument


def _bounded_args(args: dict[str, Any]) -> dict[str, Any]:
    if len(args) > MAX_TOOL_ARGS:
        raise ValueError(f"give at most {MAX_TOOL_ARGS} arguments (got {len(args)})")
    size = len(json.dumps(args, ensure_ascii=False).encode())
    if size > MAX_TOOL_ARGS_BYTES:
        raise ValueError(f"the arguments take {size} bytes as JSON; the limit is {MAX_TOOL_ARGS_BYTES}")
    return args


ToolArgs = Annotated[dict[str, Any], AfterValidator(_bounded_args)]
