"""Compilation cache, deployed size and reattaching to a deployment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vyper
from web3 import Web3

from ledger.client import CONTRACT, Ledger
from ledger.compile import compile_contract
from ledger.errors import NotFound
from ledger.types import LedgerAddresses

EIP170_MAX_CODE_BYTES = 24_576


def _no_compiler(*args, **kwargs):
    raise AssertionError("vyper was invoked")


def test_second_compile_reads_the_cache(cache_dir: Path, monkeypatch: pytest.MonkeyPatch):
    (cached,) = cache_dir.glob(f"{CONTRACT}-*.json")
    monkeypatch.setattr(vyper, "compile_code", _no_compiler)
    artifact = compile_contract(CONTRACT, cache_dir)
    assert artifact.abi == json.loads(cached.read_text())["abi"]
    assert artifact.bytecode.startswith("0x")


def test_compiler_upgrade_misses_the_cache(cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for path in cache_dir.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    calls = []
    monkeypatch.setattr(vyper, "__version__", "9.9.9")
    monkeypatch.setattr(vyper, "compile_code", lambda *a, **kw: calls.append(a) or {"abi": [], "bytecode": "0x00"})
    compile_contract(CONTRACT, tmp_path)
    assert len(calls) == 1
    assert len(list(tmp_path.glob(f"{CONTRACT}-*.json"))) == 2


def test_deployed_code_fits_eip170(w3: Web3, ledger: Ledger):
    assert 0 < len(w3.eth.get_code(ledger.addresses.ledger)) < EIP170_MAX_CODE_BYTES


def test_reattach_from_serialised_addresses(w3: Web3, ledger: Ledger, cache_dir: Path):
    addresses = LedgerAddresses.from_dict(json.loads(json.dumps(ledger.addresses.to_dict())))
    assert addresses == ledger.addresses
    assert Ledger.at(w3, addresses, cache_dir).work_count() == ledger.work_count()


def test_attach_to_empty_address_is_not_found(w3: Web3, cache_dir: Path):
    with pytest.raises(NotFound):
        Ledger.at(w3, LedgerAddresses("0x" + "12" * 20, 0), cache_dir)
