"""Validated generation parameters and the documented limits.

Limits (also in the README):
- ``MAX_PROMPT_CHARS``: a prompt longer than this is refused before tokenizing.
- ``MAX_NEW_TOKENS_CAP``: the most tokens one request may ask for.
- ``MAX_STOP_SEQUENCES`` / ``MAX_STOP_CHARS``: at most 4 stop strings of 1-64 characters.
- A prompt whose tokens plus ``max_new_tokens`` exceed the model's context is refused.
- ``GREEDY_BELOW``: a temperature under 0.01 (0 included) decodes greedily.
- ``MAX_GRAMMAR_CHARS``: a grammar (``models.text.grammar`` builds them) of at most 65,536 characters; one that
  llguidance refuses is a ``ValueError`` when the request starts. Each step of a constrained request also
  runs within llguidance's default parser limits (``grammar.LIMITS``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_PROMPT_CHARS = 8_000
MAX_NEW_TOKENS_CAP = 512
MAX_STOP_SEQUENCES = 4
MAX_STOP_CHARS = 64
MAX_SEED = 2**31 - 1
GREEDY_BELOW = 1e-2  # a temperature under this decodes greedily
MAX_GRAMMAR_CHARS = 65_536


class GenerationParams(BaseModel):
    """Sampling parameters for one request. ``temperature=0`` means greedy decoding."""

    model_config = ConfigDict(extra="forbid")

    max_new_tokens: int = Field(64, ge=1, le=MAX_NEW_TOKENS_CAP, description="tokens to generate at most")
    temperature: float = Field(
        0.8, ge=0.0, le=2.0, description=f"0 = greedy; below {GREEDY_BELOW} decodes greedily too"
    )
    top_p: float = Field(0.95, gt=0.0, le=1.0, description="nucleus sampling mass")
    top_k: int = Field(50, ge=0, le=100_000, description="0 = no top-k filter")
    stop: list[str] = Field(default_factory=list, max_length=MAX_STOP_SEQUENCES, description="stop strings")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="makes sampling reproducible")
    grammar: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_GRAMMAR_CHARS,
        description="llguidance grammar the output must follow (see models.text.grammar); "
        "generation ends when it is complete",
    )

    @field_validator("stop", mode="before")
    @classmethod
    def _stop_as_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("stop")
    @classmethod
    def _stop_lengths(cls, value: list[str]) -> list[str]:
        for item in value:
            if not 1 <= len(item) <= MAX_STOP_CHARS:
                raise ValueError(f"each stop string must have 1 to {MAX_STOP_CHARS} characters")
        return value

    @property
    def greedy(self) -> bool:
        """Temperatures this low pick the top token anyway; dividing the logits by them would overflow."""
        return self.temperature < GREEDY_BELOW


Prompt = str | list[dict[str, Any]]  # plain text, or chat messages rendered with the model's template


class PromptTooLong(ValueError):
    """The prompt does not fit the model's context together with ``max_new_tokens``."""
