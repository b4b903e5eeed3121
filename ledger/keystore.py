"""Users' EVM accounts, kept as encrypted keystore files (the Web3 Secret Storage format geth uses).

Each key is encrypted with its owner's Muse API key as the password, so the server can sign for a user
only while that user's request carries the API key: "acts as the caller and only as the caller" holds
even for someone who reads the data directory. Losing the API key loses the account (there is no reset).

The password is a 256-bit random token, not something a person chose, so key stretching adds no
security; PBKDF2 with a modest iteration count keeps each unlock to a few milliseconds.

Rotating the API key re-encrypts the same key (same address) under the new one (``rekeying``).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from common.files import write_atomic

PBKDF2_ITERATIONS = 10_000


class KeystoreError(Exception):
    """No keystore for the address, or the password does not open it."""


class Keystore:
    def __init__(self, folder: Path):
        self.folder = folder

    def create(self, password: str) -> str:
        """A new account, saved encrypted under ``password``; returns its checksummed address."""
        account = Account.create()
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._path(account.address)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # readable by the owner only
        with os.fdopen(descriptor, "w") as file:
            json.dump(_encrypt(account, password), file)
        return account.address

    def unlock(self, address: str, password: str) -> LocalAccount:
        """The account, from its keystore or, after a rotation cut short, from the staged one (see ``rekeying``)."""
        path, staged = self._path(address), self._staged(address)
        if not path.exists():
            raise KeystoreError(f"no keystore for {address}")
        for candidate in (path, staged):
            try:
                key = Account.decrypt(json.loads(candidate.read_text()), password)
            except (FileNotFoundError, ValueError):  # no staged file; "MAC mismatch": another password
                continue
            if candidate == staged:  # only the new key opens it, so the rotation was recorded: finish it
                with contextlib.suppress(FileNotFoundError):
                    os.replace(staged, path)
            return Account.from_key(key)
        raise KeystoreError(f"the API key does not open the keystore of {address}")

    def stamp(self, address: str) -> tuple[int, int] | None:
        """Changes whenever the keystore file is replaced (a rotation): its inode and modification time."""
        try:
            status = self._path(address).stat()
        except FileNotFoundError:
            return None
        return status.st_ino, status.st_mtime_ns

    @contextlib.contextmanager
    def rekeying(self, address: str, password: str, new_password: str) -> Iterator[None]:
        """Re-encrypt the account under ``new_password``; the block records the new password (the users table).

        The new keystore is written (atomically) beside the current one before the block and takes its place
        after it; ``unlock`` tries both. So a crash at any moment leaves the account open to whichever API key
        was recorded, and to no other."""
        account = self.unlock(address, password)
        staged = self._staged(address)
        write_atomic(staged, json.dumps(_encrypt(account, new_password)))  # a fresh file: owner-only
        try:
            yield
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        with contextlib.suppress(FileNotFoundError):  # an unlock with the new key may have finished it already
            os.replace(staged, self._path(address))

    def _path(self, address: str) -> Path:
        return self.folder / f"{Web3.to_checksum_address(address)}.json"

    def _staged(self, address: str) -> Path:
        return self.folder / f"{Web3.to_checksum_address(address)}.json.next"


def _encrypt(account: LocalAccount, password: str) -> dict:
    return Account.encrypt(account.key, password, kdf="pbkdf2", iterations=PBKDF2_ITERATIONS)
