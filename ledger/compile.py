"""Compile the ledger's Vyper contracts, caching ABI and bytecode on disk.

A cache file is keyed by the sha256 of every source in ``ledger/contracts`` (a contract's
modules are part of its code) and the vyper version, so any edit or compiler upgrade recompiles.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import vyper
from vyper.compiler.input_bundle import FilesystemInputBundle

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"


@dataclass(frozen=True)
class Artifact:
    abi: list[dict]
    bytecode: str  # 0x-prefixed deployment bytecode


def compile_contract(name: str, cache_dir: Path) -> Artifact:
    """ABI and bytecode of ``ledger/contracts/<name>.vy``, from ``cache_dir`` when already compiled."""
    cached = cache_dir / f"{name}-{_sources_key()}.json"
    if cached.exists():
        return Artifact(**json.loads(cached.read_text()))
    source = CONTRACTS_DIR / f"{name}.vy"
    out = vyper.compile_code(source.read_text(), contract_path=source,
                             input_bundle=FilesystemInputBundle([CONTRACTS_DIR]),
                             output_formats=["abi", "bytecode"])
    artifact = Artifact(abi=out["abi"], bytecode=out["bytecode"])
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(asdict(artifact)))
    partial.replace(cached)  # atomic: concurrent compilers never read half a file
    return artifact


def _sources_key() -> str:
    digest = hashlib.sha256(vyper.__version__.encode())
    for path in sorted(CONTRACTS_DIR.glob("*.vy")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
