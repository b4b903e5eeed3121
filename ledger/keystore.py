"""Users' EVM accounts, kept as encrypted keystore files (the Web3 Secret Storage format geth uses).

Each key is encrypted with its owner's Muse API key as the password, so the server can sign for a user
only while that user's request carries the API key: "acts as the caller and only as the caller" holds
even for someone who reads the data directory. Losing the API key loses the account (there is no reset).

The password is a 256-bit random token, not something a person chose, so key stretching adds no
security; PBKDF2 with a modest iteration count keeps each unlock to a few milliseconds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

PBKDF2_ITERATIONS = 10_000


class KeystoreError(Exception):
    """No keystore for the address, or the password does not open it."""


class Keystore:
    def __init__(self, folder: Path):
        self.folder = folder

    def create(self, password: str) -> str:
        """A new account, saved encrypted under ``password``; returns its checksummed address."""
        account = Account.create()
        encrypted = Account.encrypt(account.key, password, kdf="pbkdf2", iterations=PBKDF2_ITERATIONS)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._path(account.address)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # readable by the owner only
        with os.fdopen(descriptor, "w") as file:
            json.dump(encrypted, file)
        return account.address

    def unlock(self, address: str, password: str) -> LocalAccount:
        path = self._path(address)
        if not path.exists():
            raise KeystoreError(f"no keystore for {address}")
        try:
            key = Account.decrypt(json.loads(path.read_text()), password)
        except ValueError as exc:  # "MAC mismatch": wrong password
            raise KeystoreError(f"the API key does not open the keystore of {address}") from exc
        return Account.from_key(key)

    def _path(self, address: str) -> Path:
        return self.folder / f"{Web3.to_checksum_address(address)}.json"
