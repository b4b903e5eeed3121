"""``POST /v1/embeddings``: OpenAI's embeddings API over the recommender's offline MiniLM, so that the ``openai``
client (``embeddings.create``) and LangChain's ``OpenAIEmbeddings`` work against Muse.

The vectors come from the Recommender deployment (``Recommender.embed``, batched), which holds the encoder: they
are the very vectors its recommendations compare. Text only (``input`` a string or a list of strings; token
arrays are a 400), ``encoding_format`` ``float`` or ``base64``, and no ``dimensions`` (as vLLM answers for a model
without Matryoshka training). A text longer than the encoder reads (256 tokens) is truncated, as the
recommender's own texts are; ``usage`` counts the tokens read.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from deployments.errors import OPENAI_TAG, ApiError
from deployments.served_models import MAX_MODEL_NAME_CHARS
from models.recsys.content import ENCODER_DIMENSIONS, ENCODER_ID, Embeddings

EMBEDDING_MODEL = ENCODER_ID  # the one embedding model, listed in /v1/models
MAX_EMBEDDING_INPUTS = 128  # texts per request
MAX_EMBEDDING_INPUT_CHARS = 8_000  # per text

router = APIRouter(tags=[OPENAI_TAG])

InputText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_EMBEDDING_INPUT_CHARS)]


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(max_length=MAX_MODEL_NAME_CHARS, description=f"'{EMBEDDING_MODEL}'")
    input: InputText | Annotated[list[InputText], Field(min_length=1, max_length=MAX_EMBEDDING_INPUTS)] = Field(
        description=f"a text, or up to {MAX_EMBEDDING_INPUTS} texts, of 1 to {MAX_EMBEDDING_INPUT_CHARS} characters "
        "each (token arrays are not supported)"
    )
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(None, description=f"not supported: the vectors have {ENCODER_DIMENSIONS}")
    user: str | None = Field(None, max_length=256)

    @field_validator("input", mode="before")
    @classmethod
    def _text_only(cls, value: Any) -> Any:
        """Token arrays (``[1, 2]``, ``[[1, 2]]``) would otherwise fail as 'not a string', which says less."""
        if isinstance(value, list) and any(isinstance(item, (int, float, list)) for item in value):
            raise ValueError("token arrays are not supported: send text (a string or a list of strings)")
        return value

    @field_validator("dimensions")
    @classmethod
    def _no_dimensions(cls, value: int | None) -> None:
        if value is not None:
            raise ValueError(
                f"not supported: {EMBEDDING_MODEL} vectors always have {ENCODER_DIMENSIONS} "
                "dimensions; leave dimensions out"
            )

    @property
    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)


class Embedding(BaseModel):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str = Field(
        description="the unit vector; with encoding_format base64, its little-endian float32 bytes in base64"
    )


class EmbeddingUsage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage


def _encoded(vector: np.ndarray, encoding_format: str) -> list[float] | str:
    if encoding_format == "base64":
        return base64.b64encode(vector.astype("<f4").tobytes()).decode()
    return vector.tolist()


@router.post(
    "/v1/embeddings",
    response_model=EmbeddingList,
    summary=f"Embeddings of texts ({EMBEDDING_MODEL}, {ENCODER_DIMENSIONS} dimensions, unit length)",
)
async def embeddings(body: EmbeddingRequest, request: Request) -> EmbeddingList:
    if body.model != EMBEDDING_MODEL:
        raise ApiError(
            404,
            f"The model '{body.model}' does not exist or does not embed; this server embeds with '{EMBEDDING_MODEL}'",
            param="model",
            kind="not_found_error",
            code="model_not_found",
        )
    result: Embeddings = await request.app.state.recommender.embed.remote(body.texts)
    data = [Embedding(index=i, embedding=_encoded(v, body.encoding_format)) for i, v in enumerate(result.vectors)]
    return EmbeddingList(
        data=data, model=body.model, usage=EmbeddingUsage(prompt_tokens=result.tokens, total_tokens=result.tokens)
    )
