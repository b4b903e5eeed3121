"""The contract compiled for each accepted EVM version works on a chain of that fork (py-evm's own VMs), and the
start-up probe tells a node's fork from what it runs, refusing a node too old for the configured version."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import vyper
from eth.abc import VirtualMachineAPI
from eth.vm.forks import CancunVM, ParisVM, PragueVM, ShanghaiVM
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester, PyEVMBackend
from web3 import EthereumTesterProvider, Web3

from ledger.chain import ChainError, require_evm_version
from ledger.client import CONTRACT, Ledger
from ledger.compile import compile_contract
from ledger.errors import LedgerError
from ledger.evm_version import EVM_VERSIONS, EvmVersion, node_evm_version
from ledger.types import Template, Terms

FORK_VM: dict[EvmVersion, type[VirtualMachineAPI]] = {"paris": ParisVM, "shanghai": ShanghaiVM, "cancun": CancunVM}
FEE = 10**15


def chain_on(vm: type[VirtualMachineAPI]) -> tuple[Web3, list[LocalAccount]]:
    """A fresh eth-tester chain running ``vm``'s rules, and its funded accounts."""
    backend = PyEVMBackend(vm_configuration=((0, vm),))
    return (
        Web3(EthereumTesterProvider(EthereumTester(backend))),
        [Account.from_key(key) for key in backend.account_keys],
    )


@pytest.mark.parametrize("version", EVM_VERSIONS)
def test_each_version_runs_the_licensing_flow_on_its_own_fork(
    version: EvmVersion, cache_dir: Path, new_hash: Callable[[], bytes]
):
    """Register, offer, buy, verify and withdraw (the guarded payout) on the oldest fork the version targets."""
    w3, (deployer, owner, buyer, *_) = chain_on(FORK_VM[version])
    ledger = Ledger.deploy(w3, deployer, cache_dir, version)
    work = ledger.register_work(owner, new_hash(), "ipfs://forked")
    ledger.set_terms(owner, work.id, Terms(Template.COMMERCIAL_USE, fee_wei=FEE))
    ledger.buy_license(buyer, work.id)
    assert ledger.verify(work.id, buyer.address, "commercial")
    assert ledger.withdraw(owner) == FEE
    assert Ledger.at(w3, ledger.addresses, cache_dir, version).royalties_owed(owner.address) == 0


def test_without_transient_storage_the_reentrancy_lock_is_storage_slot_0(
    cache_dir: Path, new_hash: Callable[[], bytes]
):
    """Compiled for shanghai, @nonreentrant keeps its lock in storage slot 0, set once a guarded function ran; for
    cancun slot 0 is the token owners' mapping, whose own slot stays empty (the lock is transient)."""
    slot0 = {}
    for version in ("shanghai", "cancun"):
        w3, (deployer, owner, buyer, *_) = chain_on(FORK_VM[version])
        ledger = Ledger.deploy(w3, deployer, cache_dir, version)
        work = ledger.register_work(owner, new_hash(), "ipfs://locked")
        ledger.set_terms(owner, work.id, Terms(Template.COMMERCIAL_USE, fee_wei=FEE))
        ledger.buy_license(buyer, work.id)
        ledger.withdraw(owner)
        slot0[version] = int.from_bytes(w3.eth.get_storage_at(ledger.addresses.ledger, 0), "big")
    assert slot0["shanghai"] != 0 and slot0["cancun"] == 0


def test_cancun_code_on_a_shanghai_chain_deploys_then_fails(cache_dir: Path, new_hash: Callable[[], bytes]):
    """What a user saw on Ganache 7.9 before the setting existed, and what the probe now prevents."""
    w3, (deployer, owner, *_) = chain_on(ShanghaiVM)
    ledger = Ledger.deploy(w3, deployer, cache_dir, "cancun")
    with pytest.raises(LedgerError, match="(?i)invalid opcode"):
        ledger.register_work(owner, new_hash(), "ipfs://doomed")


def test_each_version_is_compiled_once_and_cached_apart(cache_dir: Path, monkeypatch: pytest.MonkeyPatch):
    artifacts = {version: compile_contract(CONTRACT, cache_dir, version) for version in EVM_VERSIONS}
    assert len({artifact.bytecode for artifact in artifacts.values()}) == len(EVM_VERSIONS)
    assert len({str(artifact.abi) for artifact in artifacts.values()}) == 1
    assert {p.name.split("-")[1] for p in cache_dir.glob(f"{CONTRACT}-*.json")} == set(EVM_VERSIONS)
    monkeypatch.setattr(vyper, "compile_code", lambda *a, **kw: pytest.fail("vyper was invoked"))
    assert compile_contract(CONTRACT, cache_dir, "shanghai") == artifacts["shanghai"]


@pytest.mark.parametrize(
    ("vm", "fork"), [(ParisVM, "paris"), (ShanghaiVM, "shanghai"), (CancunVM, "cancun"), (PragueVM, "cancun")]
)
def test_the_probe_names_the_newest_version_a_chain_runs(vm: type[VirtualMachineAPI], fork: EvmVersion):
    w3, _ = chain_on(vm)
    node = node_evm_version(w3)
    assert node.version == fork
    assert (node.failure is None) == (fork == EVM_VERSIONS[-1])
    for version in EVM_VERSIONS:
        runs = EVM_VERSIONS.index(version) <= EVM_VERSIONS.index(fork)
        assert node.runs(version) == runs
        if runs:
            require_evm_version(w3, "the test chain", version)
        else:
            with pytest.raises(ChainError) as refused:
                require_evm_version(w3, "the test chain", version)
            message = str(refused.value)
            assert f"looks like a {fork} chain" in message and f"ledger_evm_version '{version}'" in message
            assert f"Set ledger_evm_version: {fork}" in message and "invalid opcode" in message.lower()


def test_the_probe_names_what_an_old_node_lacks():
    w3, _ = chain_on(ParisVM)
    assert node_evm_version(w3).lacks("cancun") == "PUSH0, MCOPY, TLOAD, TSTORE"
    assert node_evm_version(chain_on(ShanghaiVM)[0]).lacks("cancun") == "MCOPY, TLOAD, TSTORE"
