"""The models one Generator replica serves: the ``models:`` list of the application's ``args``.

Each entry is its own TextGenerator (its own continuous-batching loop) in every Generator replica; requests
pick one by the OpenAI ``model`` field, and the first entry is the default for ``/v1/generate`` and the
assistant. ``tool_parser`` says how the model writes tool calls (``hermes`` or ``llama3_json``); ``null``
means it writes none: tools in a request are then rendered but calls are only read out under a forced
``tool_choice``, which constrains the output to the hermes format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.paths import BUNDLED_TEXT_MODEL, REPO_ROOT

MAX_MODEL_NAME_CHARS = 256
ToolParserName = Literal["hermes", "llama3_json"]


class ServedModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=MAX_MODEL_NAME_CHARS)  # the id clients see in /v1/models
    path: str = "bundled"  # "bundled", a folder (relative paths from the repository root), or a hub id
    tool_parser: ToolParserName | None = None

    def resolved_path(self) -> str:
        """``bundled`` is the repository's Shakespeare model; a relative folder is read from the repository
        root (replicas do not run in the caller's directory); anything else as given."""
        if self.path == "bundled":
            return str(BUNDLED_TEXT_MODEL)
        in_repo = REPO_ROOT / self.path
        return str(in_repo) if not Path(self.path).is_absolute() and in_repo.exists() else self.path
