"""The near-copy index: which registered works a text copies, whatever was changed in case, spacing,
punctuation or a few words.

The chain keeps only a work's sha256, so the fingerprints (``ledger.similarity``) are kept here, in SQLite
beside the chain, keyed by content hash. A fingerprint is stored before its registration is sent, so a crash
between the chain accepting the work and the service's next step loses nothing; fingerprints whose content
was never registered are ignored. In memory, for each registered work: its normalised text's digest (exact
matches) and its MinHash in an LSH index (candidates), rebuilt at start from this file and the works the
ledger's index lists. Unlike the ledger's index, this file cannot be rebuilt from the chain: keep it with it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from datasketch import MinHashLSH

from ledger.similarity import Fingerprint, SimilaritySettings, jaccard, minhash_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS fingerprints (
    content_hash TEXT PRIMARY KEY, settings TEXT NOT NULL, normal_digest BLOB NOT NULL, signature BLOB NOT NULL,
    shingles BLOB NOT NULL
);
"""


@dataclass(frozen=True)
class Match:
    work_id: int
    similarity: float  # exact Jaccard of the shingle sets; 1.0 for texts equal once normalised


class NearCopyIndex:
    def __init__(self, path: Path, settings: SimilaritySettings):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        self._key = f"k={settings.shingle_chars} perm={settings.num_perm} seed={settings.seed}"
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()  # one connection and one LSH, used from the service's thread pool
        self._lsh = MinHashLSH(threshold=settings.lsh_threshold, num_perm=settings.num_perm)
        self._by_normal: dict[bytes, list[int]] = defaultdict(list)
        self._hash_of: dict[int, str] = {}  # work id -> content hash, whose stored shingles confirm a candidate

    def close(self) -> None:
        self._db.close()

    def __len__(self) -> int:
        return len(self._hash_of)

    def load(self, works: Iterable[tuple[int, str]]) -> int:
        """Index the stored fingerprints of these ``(work id, content hash)`` pairs (the registered works);
        returns how many had one. Fingerprints made with other settings are not comparable: skipped."""
        loaded = 0
        for work_id, content_hash in works:
            with self._lock:
                row = self._db.execute(
                    "SELECT normal_digest, signature FROM fingerprints WHERE content_hash = ? AND settings = ?",
                    (content_hash, self._key),
                ).fetchone()
            if row is not None:
                self._insert(work_id, content_hash, row[0], np.frombuffer(row[1], dtype=np.uint32))
                loaded += 1
        return loaded

    def remember(self, content_hash: str, fingerprint: Fingerprint) -> None:
        """Store a fingerprint (before its registration is sent)."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO fingerprints VALUES (?, ?, ?, ?, ?)",
                (
                    content_hash,
                    self._key,
                    fingerprint.normal_digest,
                    fingerprint.signature.tobytes(),
                    fingerprint.shingles.tobytes(),
                ),
            )

    def add(self, work_id: int, content_hash: str, fingerprint: Fingerprint) -> None:
        """Index a registered work (its fingerprint already remembered)."""
        self._insert(work_id, content_hash, fingerprint.normal_digest, fingerprint.signature)

    def matches(self, fingerprint: Fingerprint) -> list[Match]:
        """The works this text copies, most similar first: equal once normalised, or sharing at least the
        threshold's share of shingles."""
        with self._lock:
            equal = set(self._by_normal.get(fingerprint.normal_digest, ()))
            candidates = set(self._lsh.query(minhash_of(fingerprint.signature, self.settings))) - equal
        found = [Match(work_id, 1.0) for work_id in equal]
        for work_id in candidates:
            similarity = jaccard(fingerprint.shingles, self._shingles(self._hash_of[work_id]))
            if similarity >= self.settings.threshold:
                found.append(Match(work_id, similarity))
        return sorted(found, key=lambda m: (-m.similarity, m.work_id))

    def _insert(self, work_id: int, content_hash: str, normal_digest: bytes, signature: np.ndarray) -> None:
        with self._lock:
            if work_id in self._hash_of:
                return
            self._hash_of[work_id] = content_hash
            self._by_normal[normal_digest].append(work_id)
            self._lsh.insert(work_id, minhash_of(signature, self.settings))

    def _shingles(self, content_hash: str) -> np.ndarray:
        with self._lock:
            row = self._db.execute(
                "SELECT shingles FROM fingerprints WHERE content_hash = ?", (content_hash,)
            ).fetchone()
        return np.frombuffer(row[0], dtype=np.uint32)
