"""Compile the ledger's Vyper contracts, caching ABI and bytecode on disk.

A cache file is keyed by the target EVM version (``ledger.evm_version``), and the sha256 of every source in
``ledger/contracts`` (a contract's modules are part of its code) and the vyper version, so any edit or compiler
upgrade recompiles.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import vyper
from vyper.compiler.input_bundle import FilesystemInputBundle
from vyper.compiler.settings import Settings

from common.files import write_atomic
from ledger.evm_version import DEFAULT_EVM_VERSION, EvmVersion

log = logging.getLogger(__name__)

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"


@dataclass(frozen=True)
class Artifact:
    abi: list[dict]
    bytecode: str  # 0x-prefixed deployment bytecode


def compile_contract(name: str, cache_dir: Path, evm_version: EvmVersion = DEFAULT_EVM_VERSION) -> Artifact:
    """ABI and bytecode of ``ledger/contracts/<name>.vy`` for ``evm_version``, from ``cache_dir`` when already
    compiled."""
    cached = cache_dir / f"{name}-{evm_version}-{sources_key()}.json"
    try:
        return Artifact(**json.loads(cached.read_text()))
    except FileNotFoundError:
        pass
    except (ValueError, TypeError) as exc:  # damaged (written by an older Muse without atomic writes): recompile
        log.warning("compile cache %s is unreadable (%s); recompiling", cached, exc)
    source = CONTRACTS_DIR / f"{name}.vy"
    out = vyper.compile_code(
        source.read_text(),
        contract_path=source,
        input_bundle=FilesystemInputBundle([CONTRACTS_DIR]),
        output_formats=["abi", "bytecode"],
        settings=Settings(evm_version=evm_version),
    )
    artifact = Artifact(abi=out["abi"], bytecode=out["bytecode"])
    write_atomic(cached, json.dumps(asdict(artifact)))  # concurrent compilers never read half a file
    return artifact


def sources_key() -> str:
    digest = hashlib.sha256(vyper.__version__.encode())
    for path in sorted(CONTRACTS_DIR.glob("*.vy")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
