"""Files that are either wholly old or wholly new: a kill mid-write never leaves half a file behind.

Every state file Muse keeps (the ledger's ``deployment.json``, the recommender's caches) is written through
``replacing``: the data goes to a unique temporary file beside the target, is flushed to disk, and only then
takes the target's name with ``os.replace``, which is atomic on POSIX file systems.

``locked`` serialises a longer job (a retrain that rewrites those files) across threads and processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A fresh temporary path in ``path``'s folder to write to; when the block ends without an error it is
    fsynced and renamed onto ``path``, else removed. Unique names let concurrent writers never collide."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        with open(temp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes | str) -> None:
    """Replace ``path``'s content with ``data`` (text is written as UTF-8), all or nothing."""
    with replacing(path) as temp:
        temp.write_bytes(data.encode() if isinstance(data, str) else data)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive OS lock on ``path`` (created if missing) for the block; waits while another holder,
    in this process or another, has it. The kernel releases it if the holder dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (the folder's entry), where the platform allows opening a folder."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
