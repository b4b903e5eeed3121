"""Users and their keys (core/users.py) with real ledger keystores: list, revoke, rotate, and a rotation cut
short at any point leaves the account open to exactly the key the users table records."""

from pathlib import Path

import pytest

from core.users import Users, connect
from ledger.keystore import Keystore, KeystoreError


@pytest.fixture
def users(tmp_path: Path) -> Users:
    return Users(connect(tmp_path / "muse.db"))


@pytest.fixture
def keystore(tmp_path: Path) -> Keystore:
    return Keystore(tmp_path / "keystore")


def test_list_shows_everyone_and_no_key(users, keystore):
    ada, _ = users.add("ada", create_account=keystore.create)
    users.add("bob", admin=True)
    listed = users.all()
    assert [(u.name, u.is_admin, u.address) for u in listed] == [("ada", False, ada.address), ("bob", True, None)]
    assert all(u.created_at > 0 and u.revoked_at is None for u in listed)


def test_a_revoked_key_is_refused_and_revoking_is_final(users):
    user, key = users.add("ada")
    assert users.by_key(key) == users.by_name("ada")
    revoked = users.revoke("ada")
    assert revoked.revoked_at is not None and users.by_key(key) is None
    with pytest.raises(ValueError, match="already revoked"):
        users.revoke("ada")
    with pytest.raises(ValueError, match="revoked"):
        users.rotate("ada", key)
    with pytest.raises(ValueError, match="no user named"):
        users.revoke("nobody")


def test_rotation_keeps_the_account_and_refuses_the_old_key(users, keystore):
    user, old = users.add("ada", create_account=keystore.create)
    signer = keystore.unlock(user.address, old)
    with pytest.raises(ValueError, match="not the current API key"):
        users.rotate("ada", "muse_guess", rekey=keystore.rekeying)
    rotated, new = users.rotate("ada", old, rekey=keystore.rekeying)
    assert new != old and rotated.address == user.address
    assert users.by_key(old) is None and users.by_key(new).id == user.id
    assert keystore.unlock(user.address, new).key == signer.key  # the same account, under the new key
    with pytest.raises(KeystoreError):
        keystore.unlock(user.address, old)
    assert [p.name for p in keystore.folder.iterdir()] == [f"{user.address}.json"]


def test_a_failed_recording_leaves_the_old_key_in_charge(users, keystore):
    user, old = users.add("ada", create_account=keystore.create)
    users.db.execute("CREATE TRIGGER refuse BEFORE UPDATE ON users BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(Exception, match="disk full"):
        users.rotate("ada", old, rekey=keystore.rekeying)
    assert users.by_key(old) is not None and keystore.unlock(user.address, old).address == user.address
    assert [p.name for p in keystore.folder.iterdir()] == [f"{user.address}.json"]


def test_a_crash_between_recording_and_renaming_is_finished_by_the_next_unlock(users, keystore):
    user, old = users.add("ada", create_account=keystore.create)
    staged_rotation = keystore.rekeying(user.address, old, "muse_new")
    staged_rotation.__enter__()  # the new keystore is staged; "crash" before the rename
    assert keystore.unlock(user.address, old).address == user.address  # not recorded yet: the old key rules
    assert keystore.unlock(user.address, "muse_new").address == user.address  # recorded: the new key opens it
    assert [p.name for p in keystore.folder.iterdir()] == [f"{user.address}.json"]  # and the rename is done
    with pytest.raises(KeystoreError):
        keystore.unlock(user.address, old)
