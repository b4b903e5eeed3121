"""Atomic file replacement (common/files.py)."""

from pathlib import Path

import pytest

from common.files import replacing, write_atomic


def test_write_atomic_replaces_the_whole_file_and_leaves_no_temporary(tmp_path: Path):
    target = tmp_path / "state" / "deployment.json"
    write_atomic(target, "old")
    write_atomic(target, b"new")
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["deployment.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path):
    target = tmp_path / "model.npz"
    write_atomic(target, "old")
    with pytest.raises(RuntimeError), replacing(target) as temp:
        temp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_concurrent_writers_get_distinct_temporaries(tmp_path: Path):
    target = tmp_path / "cache.npy"
    with replacing(target) as first, replacing(target) as second:
        assert first != second
        first.write_text("a")
        second.write_text("b")
    assert target.read_text() == "a"  # the outer block finishes last
