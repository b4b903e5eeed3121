"""Benchmark of the durable embedded chain: write N storage-heavy transactions, then reopen.

    .venv/bin/python -m tests.ledger_chain.bench_chain [--txs 1000] [--dir DIR]

Reopening is timed in a fresh process, as Muse starting, from `open_embedded_chain` to
a first answer; reading every event log from block 0 (an off-chain index rebuild) is
timed separately.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ledger.chain import open_embedded_chain
from tests.ledger_chain.registry import compiled, deploy, register

URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/work-{:06d}/metadata.json#v1"


def write(data_dir: Path, txs: int) -> str:
    chain = open_embedded_chain(data_dir)
    try:
        registry = deploy(chain.w3, chain.funder)
        start = time.perf_counter()
        for i in range(txs):
            receipt = register(chain.w3, chain.funder, registry, URI.format(i))
        seconds = time.perf_counter() - start
        print(f"wrote {txs} txs in {seconds:.1f} s: {txs / seconds:.1f} tx/s ({receipt['gasUsed']} gas each)")
        return registry.address
    finally:
        chain.close()


def reopen(data_dir: Path, address: str) -> None:
    """Run in a fresh process: time start-up and a full log read."""
    start = time.perf_counter()
    chain = open_embedded_chain(data_dir)
    head = chain.w3.eth.block_number
    opened = time.perf_counter() - start
    print(f"reopened at block {head} in {opened:.3f} s (imports excluded)")
    registry = chain.w3.eth.contract(address=address, abi=compiled()[0])
    start = time.perf_counter()
    logs = registry.events.Registered.get_logs(from_block=0)
    print(f"read {len(logs)} event logs from block 0 in {time.perf_counter() - start:.2f} s")
    chain.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=1000)
    parser.add_argument("--dir", type=Path, help="an empty folder for the chain (default: a temporary one)")
    parser.add_argument("--reopen", metavar="ADDRESS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reopen:
        reopen(args.dir, args.reopen)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.dir or Path(tmp) / "chain"
        address = write(data_dir, args.txs)
        size = sum(f.stat().st_size for f in data_dir.iterdir())
        print(f"disk: {size / 2**20:.1f} MiB")
        start = time.perf_counter()
        command = [sys.executable, "-m", "tests.ledger_chain.bench_chain", "--dir", str(data_dir), "--reopen", address]
        subprocess.run(command, check=True)
        print(f"fresh process, imports included: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
