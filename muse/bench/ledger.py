"""``muse bench ledger``: how fast the ledger writes and answers, on a fresh embedded chain in a temporary
data directory (nothing else running, nothing of yours touched).

Measured in one run, each next to its baseline:
- **registrations/s** and **license purchases/s** through ``LedgerService`` (signing as the user, the
  contract, the index update), against plain ether transfers/s on the same chain: the cheapest transaction;
- **verify latency** p50/p99 from the chain (an ``eth_call`` into the EVM) and from the off-chain index;
- **start-up**: reopening the service on the chain just written.
"""

from __future__ import annotations

import hashlib
import logging
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
from tqdm import tqdm

from ledger.metadata import Metadata
from ledger.service import Credentials, LedgerService, LedgerSettings, keystore_for
from ledger.transact import send_value
from ledger.types import Template, Terms
from muse.bench.report import percentile, print_table, save_figure, write_json
from core.users import Users, connect

USES = ("personal", "commercial", "derivative")


def _timed(label: str, count: int, step: Callable[[int], None]) -> list[float]:
    """Run ``step(i)`` ``count`` times with a progress bar; the seconds each took."""
    seconds = []
    for i in tqdm(range(count), desc=label, unit="op", leave=False):
        started = time.perf_counter()
        step(i)
        seconds.append(time.perf_counter() - started)
    return seconds


def _summary(name: str, seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {
        "operation": name,
        "count": len(seconds),
        "per_s": len(seconds) / sum(seconds),
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
    }


def run_ledger_bench(works: int, purchases: int, verifies: int, out: Path) -> dict:
    logging.getLogger("ledger").setLevel(logging.WARNING)  # a line per transaction would bury the progress bars
    with tempfile.TemporaryDirectory(prefix="muse-bench-ledger-") as tmp:
        home = Path(tmp)
        users = Users(connect(home / "muse.db"))
        members = []
        for i in range(4):
            user, key = users.add(f"bench-{i}", create_account=keystore_for(home).create)
            members.append(Credentials(user.address, key))
        owner, buyers = members[0], members[1:]

        def open_service() -> LedgerService:
            return LedgerService(LedgerSettings(home / "ledger"), keystore_for(home))

        service = open_service()
        for member in members:
            service.account(member.address)  # funded before timing starts
        funder, w3 = service.chain.funder, service.chain.w3
        transfers = _timed(
            "ether transfers (baseline)", works, lambda i: send_value(w3, funder, buyers[i % len(buyers)].address, 1)
        )
        ids: list[int] = []
        registrations = _timed(
            "registrations",
            works,
            lambda i: ids.append(
                service.register(
                    owner, hashlib.sha256(f"bench work {i}".encode()).hexdigest(), Metadata(f"Bench work {i}")
                )["id"]
            ),
        )
        for work_id in tqdm(ids[:purchases], desc="setting terms", leave=False):
            service.set_terms(owner, work_id, Terms(Template.COMMERCIAL_USE, fee_wei=10**15))
        bought = _timed(
            "license purchases",
            min(purchases, len(ids)),
            lambda i: service.buy_license(buyers[i % len(buyers)], ids[i]),
        )

        rng = random.Random(0)
        queries = [(rng.choice(ids), rng.choice(members).address, rng.choice(USES)) for _ in range(verifies)]
        chain_answers, index_answers = [], []
        from_chain = _timed(
            "verify (chain)", verifies, lambda i: chain_answers.append(service.verify(*queries[i])["valid"])
        )
        from_index = _timed(
            "verify (index)",
            verifies,
            lambda i: index_answers.append(service.verify(*queries[i], source="index")["valid"]),
        )
        service.close()
        started = time.perf_counter()
        open_service().close()
        reopen_s = time.perf_counter() - started

    rows = [
        _summary("ether transfer (baseline)", transfers),
        _summary("registration", registrations),
        _summary("license purchase", bought),
        _summary("verify from chain", from_chain),
        _summary("verify from index", from_index),
    ]
    by_name = {row["operation"]: row for row in rows}
    report = {
        "works": works,
        "results": rows,
        "reopen_s": reopen_s,
        "registration_vs_transfer": by_name["registration"]["per_s"] / by_name["ether transfer (baseline)"]["per_s"],
        "index_vs_chain_verify_p50": by_name["verify from chain"]["p50_ms"] / by_name["verify from index"]["p50_ms"],
        "index_agrees_with_chain": chain_answers == index_answers,
    }
    print_table(rows, [(k, k) for k in ("operation", "count", "per_s", "p50_ms", "p99_ms")])
    print(f"registrations/s = {report['registration_vs_transfer']:.2f} x ether transfers/s on the same chain")
    print(
        f"verify from the index is {report['index_vs_chain_verify_p50']:.1f}x faster at p50 than from the chain; "
        f"answers agree: {report['index_agrees_with_chain']}"
    )
    print(f"start-up on this chain ({works} works): {reopen_s:.2f} s")
    print(f"wrote {write_json(out, 'bench-ledger', report)} and {_plot(rows, from_chain, from_index, out)}")
    return report


def _plot(rows: list[dict], from_chain: list[float], from_index: list[float], out: Path) -> Path:
    fig, (rates, latency) = plt.subplots(1, 2, figsize=(11, 4))
    writes = rows[:3]
    rates.barh([r["operation"] for r in writes], [r["per_s"] for r in writes], color=["grey", "C0", "C1"])
    rates.set_xlabel("operations / s (one writer)")
    rates.set_title("Ledger writes")
    for values, label in ((from_chain, "from chain (eth_call)"), (from_index, "from index (SQLite)")):
        ms = sorted(v * 1000 for v in values)
        latency.plot(ms, [(i + 1) / len(ms) for i in range(len(ms))], label=label)
    latency.set_xscale("log")
    latency.set_xlabel("verify latency (ms, log scale)")
    latency.set_ylabel("fraction of requests")
    latency.set_title("verify(work, holder, use)")
    latency.legend()
    return save_figure(fig, out, "bench-ledger")
