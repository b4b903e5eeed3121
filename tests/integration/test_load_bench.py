"""``muse bench load`` end to end against the real application, on a short ramp: every kind of request is sent
and answered, replicas are sampled from Serve's status, and the JSON and the PNG are written."""

from __future__ import annotations

import json

from muse.bench.load import run_load_bench


def test_a_short_ramp_reports_every_kind_and_the_replicas(server, tmp_path):
    key = server.add_user("load-bench")
    report = run_load_bench(
        server.url,
        levels="1,4",
        mix="generate=1,recommend=1,verify=1,chat=1",
        step_seconds=6,
        cooldown_seconds=2,
        sample_seconds=0.5,
        baseline_seconds=1,
        key=key,
        out=tmp_path,
        seed=7,
    )
    assert [level["clients"] for level in report["levels"]] == [1, 4]
    sent = {
        kind: sum(level["kinds"][kind]["requests"] for level in report["levels"])
        for kind in ("generate", "recommend", "verify", "chat")
    }
    assert all(sent.values()), sent
    assert all(kind["errors"] == 0 for level in report["levels"] for kind in level["kinds"].values()), report["levels"]
    assert report["peak"]["rps"] > 0 and report["baseline"]["p50_ms"] > 0
    deployments = {name.split("/")[1] for sample in report["replica_samples"] for name in sample["replicas"]}
    assert {"Gateway", "Generator", "Ledger", "Recommender"} <= deployments
    saved = json.loads((tmp_path / "bench-load.json").read_text())
    assert saved["levels"] == report["levels"] and (tmp_path / "bench-load.png").stat().st_size > 10_000
