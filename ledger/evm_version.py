"""The EVM versions the ledger contract can be compiled for, and which of them a node can run.

Vyper 0.4.3 targets cancun by default: its code copies memory with MCOPY and ``@nonreentrant`` keeps its lock in
transient storage (TLOAD/TSTORE). A node on an older fork accepts the deployment (the constructor uses neither) and
fails the first call that does with "invalid opcode". Compiled for shanghai, the lock is storage slot 0 and memory
is copied word by word; for paris, PUSH0 is not used either. ``node_evm_version`` runs, in ``eth_call``, tiny
contract creations that use what each version adds, so a node's fork is known before anything is deployed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from web3 import Web3

EvmVersion = Literal["paris", "shanghai", "cancun"]
EVM_VERSIONS: tuple[EvmVersion, ...] = get_args(EvmVersion)  # oldest first
DEFAULT_EVM_VERSION: EvmVersion = "cancun"
ADDED_OPCODES: dict[EvmVersion, str] = {"paris": "", "shanghai": "PUSH0", "cancun": "MCOPY, TLOAD, TSTORE"}

# Creation code returning the word 1 only if everything the version adds ran.
_PROBES: dict[EvmVersion, str] = {
    "paris": "600160005260206000f3",  # mstore(0, 1); return(0, 32)
    "shanghai": "60015f5260205ff3",  # the same, with PUSH0 for each 0
    # tstore(0, 1); mstore(32, tload(0)); mcopy(0, 32, 32); return(0, 32)
    "cancun": "600160005d60005c6020526020602060005e60206000f3",
}
_RAN = (1).to_bytes(32, "big")
MAX_ERROR_CHARS = 200  # of a failed probe's error, in messages (a node may append its whole stack trace)


@dataclass(frozen=True)
class NodeEvm:
    """What a node's probes showed: the newest version it runs (None: not even the oldest), and why the next
    version's probe failed (None: every probe ran)."""

    version: EvmVersion | None
    failure: str | None

    def runs(self, version: EvmVersion) -> bool:
        return self.version is not None and EVM_VERSIONS.index(self.version) >= EVM_VERSIONS.index(version)

    def lacks(self, version: EvmVersion) -> str:
        """The opcodes that code compiled for ``version`` may use and this node did not run."""
        first = 0 if self.version is None else EVM_VERSIONS.index(self.version) + 1
        newer = EVM_VERSIONS[first : EVM_VERSIONS.index(version) + 1]
        return ", ".join(ADDED_OPCODES[v] for v in newer if ADDED_OPCODES[v])


def node_evm_version(w3: Web3) -> NodeEvm:
    """Probe the node behind ``w3``, oldest version first, up to the first probe it does not run."""
    newest: EvmVersion | None = None
    for version in EVM_VERSIONS:
        try:
            result = bytes(w3.eth.call({"data": "0x" + _PROBES[version]}))
        except Exception as error:  # noqa: BLE001 - an invalid opcode reads differently on every node
            return NodeEvm(newest, _reason(error))
        if result != _RAN:
            return NodeEvm(newest, f"the probe returned 0x{result.hex()} instead of 1")
        newest = version
    return NodeEvm(newest, None)


def _reason(error: Exception) -> str:
    """A failed probe's error as one short line: a node's own message where it sent one (Ganache appends its
    stack trace to the error object, which web3 prints whole)."""
    response = getattr(error, "rpc_response", None) or {}
    sent = response.get("error") if isinstance(response, dict) else None
    message = sent.get("message") if isinstance(sent, dict) else None
    return (str(message) if message else f"{type(error).__name__}: {error}")[:MAX_ERROR_CHARS]
