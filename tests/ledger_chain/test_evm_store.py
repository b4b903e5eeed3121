"""SqliteStore: writes are visible at once and reach disk only on commit."""

from __future__ import annotations

from pathlib import Path

from ledger.evm_store import SqliteStore


def test_only_committed_writes_survive_a_reopen(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "kv.sqlite3")
    store[b"kept"] = b"1"
    store[b"empty"] = b""
    store[b"deleted"] = b"2"
    store.commit()
    del store[b"deleted"]
    assert b"deleted" not in store and store[b"kept"] == b"1"
    store.commit()
    store[b"uncommitted"] = b"3"
    store._db.close()  # as a killed process would: no commit

    store = SqliteStore(tmp_path / "kv.sqlite3")
    assert store[b"kept"] == b"1" and store[b"empty"] == b""
    assert b"deleted" not in store and b"uncommitted" not in store
    store.close()
