"""One in-memory chain and ledger deployment per test module; the contract compiles once per session."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester, PyEVMBackend
from web3 import EthereumTesterProvider, Web3

from ledger.client import CONTRACT, Ledger
from ledger.compile import compile_contract


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger-cache")
    compile_contract(CONTRACT, path)
    return path


@pytest.fixture(scope="module")
def w3() -> Web3:
    return Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))


@pytest.fixture(scope="module")
def accounts(w3: Web3) -> list[LocalAccount]:
    """eth-tester's ten pre-funded accounts (1,000,000 ether each)."""
    return [Account.from_key(key) for key in w3.provider.ethereum_tester.backend.account_keys]


@pytest.fixture(scope="module")
def ledger(w3: Web3, accounts: list[LocalAccount], cache_dir: Path) -> Ledger:
    return Ledger.deploy(w3, accounts[0], cache_dir)


@pytest.fixture(scope="session")
def new_hash() -> Callable[[], bytes]:
    """A fresh sha256 digest per call, so every test registers distinct content."""
    counter = itertools.count()
    return lambda: hashlib.sha256(f"work {next(counter)}".encode()).digest()
