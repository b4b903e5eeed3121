"""Text fingerprints for finding near-copies: normalised text, character shingles and their MinHash.

Two texts are the same work when they are identical once case, whitespace and punctuation are set aside
(``normalise``), and near-copies when they share most of their character shingles (k-grams of the normalised
text): Jaccard similarity of the shingle sets at or above a threshold. MinHash (``datasketch``) estimates that
similarity from a fixed-size signature, which the near-copy index buckets with LSH so that a check looks at a
few candidates, not at every work; candidates are then confirmed by the exact Jaccard of the shingle sets.
The settings (shingle size, threshold) were measured with ``muse bench nearcopy``.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

# Unicode general categories kept by `normalise`: letters, marks (accents, vowel signs) and numbers. Everything
# else goes: punctuation (ASCII, CJK "，。「」", ...), symbols (emoji too), spaces and separators, and control and
# format characters (zero-width spaces and joiners, which are invisible in a copied text).
_KEPT = frozenset("LMN")
_MIX = np.uint64(0x9E3779B97F4A7C15)  # the golden-ratio constant: a shingle's code points -> one 64-bit hash


@dataclass(frozen=True)
class SimilaritySettings:
    shingle_chars: int = 4  # k: characters per shingle
    threshold: float = 0.5  # exact Jaccard of the shingle sets at or above which a text is a near-copy
    num_perm: int = 128  # MinHash signature length
    seed: int = 1  # MinHash permutations: fixed, so that stored signatures stay comparable

    @property
    def lsh_threshold(self) -> float:
        """LSH finds candidates a little below the threshold; the exact Jaccard then decides. A candidate missed
        by LSH is a copy let through, one too many only costs a check."""
        return max(0.1, self.threshold - 0.15)


@dataclass(frozen=True)
class Fingerprint:
    normal_digest: bytes  # sha256 of the normalised text: equal for texts equal but for case, spaces, punctuation
    shingles: np.ndarray  # the sorted distinct 32-bit shingle hashes (uint32)
    signature: np.ndarray  # MinHash hash values (uint32, num_perm of them)


class _KeptCharacters(dict[int, int | None]):
    """A ``str.translate`` table that keeps letters, marks and numbers and deletes the rest, filled as
    characters are first seen (a lookup per character, not a category test: 100x faster)."""

    def __missing__(self, code: int) -> int | None:
        kept = code if unicodedata.category(chr(code))[0] in _KEPT else None
        self[code] = kept
        return kept


_KEEP = _KeptCharacters()


def normalise(text: str) -> str:
    """Case-folded NFKC text with only its letters, marks and numbers (full-width forms fold to plain ones)."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_KEEP)


def shingles(normal: str, k: int) -> np.ndarray:
    """The distinct k-character shingles of a normalised text as sorted 32-bit hashes; a text shorter than k
    is one shingle. Vectorised: a 1 MiB text takes a fraction of a second."""
    codes = np.frombuffer(normal.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if codes.size == 0:
        return np.empty(0, dtype=np.uint32)
    width = min(k, codes.size)
    count = codes.size - width + 1
    hashes = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping multiplication is the point
        for offset in range(width):
            hashes = hashes * _MIX + codes[offset : offset + count]
        hashes ^= hashes >> np.uint64(29)
        hashes *= _MIX
    return np.unique((hashes >> np.uint64(32)).astype(np.uint32))


@functools.cache
def _empty_minhash(num_perm: int, seed: int) -> MinHash:
    """Making the permutations costs more than hashing a short text: made once, copied."""
    return MinHash(num_perm=num_perm, seed=seed, hashfunc=int)


def signature(shingle_hashes: np.ndarray, settings: SimilaritySettings) -> MinHash:
    """The MinHash of a shingle set, fed in chunks (``update_batch`` makes a shingles x permutations matrix)."""
    minhash = _empty_minhash(settings.num_perm, settings.seed).copy()
    for start in range(0, shingle_hashes.size, 4096):
        minhash.update_batch(shingle_hashes[start : start + 4096].tolist())
    return minhash


def minhash_of(values: np.ndarray, settings: SimilaritySettings) -> MinHash:
    """A MinHash from stored signature values (the same scheme and permutations as ``signature``)."""
    template = _empty_minhash(settings.num_perm, settings.seed)
    return MinHash(hashvalues=values, permutations=template.permutations, scheme=template.scheme, hashfunc=int)


def fingerprint(text: str, settings: SimilaritySettings) -> Fingerprint | None:
    """The text's fingerprint; None when nothing is left once normalised (only punctuation, emoji, spaces)."""
    normal = normalise(text)
    if not normal:
        return None
    shingle_hashes = shingles(normal, settings.shingle_chars)
    return Fingerprint(
        hashlib.sha256(normal.encode()).digest(), shingle_hashes, signature(shingle_hashes, settings).hashvalues.copy()
    )


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted distinct shingle arrays."""
    if a.size == 0 and b.size == 0:
        return 1.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common)
