"""Reading the recommender's ``.npz`` files, where any kind of damage (truncated, garbage, missing arrays) is one
error that callers can answer by rebuilding the file."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np


class UnreadableFile(ValueError):
    """A file that exists but is not the ``.npz`` expected."""


def read_npz(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays ``names`` of the ``.npz`` at ``path``, read at once. A missing file is FileNotFoundError."""
    try:
        saved = np.load(path, allow_pickle=False)
        if not isinstance(saved, np.lib.npyio.NpzFile):
            raise UnreadableFile(f"{path} is not an .npz archive")
        with saved:
            return {name: saved[name] for name in names}
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise UnreadableFile(f"{path} is unreadable: {exc}") from exc
