"""The ``muse`` command. Each subcommand's work lives in its own module; this file only parses arguments."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

# BLAS threads fight implicit's own threads (and slow ALS badly): pin before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from muse.bench import LOAD_LEVELS, LOAD_MIX
from core.paths import BUNDLED_TEXT_MODEL, MOVIELENS, SERVE_CONFIG, SHAKESPEARE_CORPUS
from muse.serve_config import DEFAULT_DASHBOARD_PORT, DEFAULT_METRICS_PORT


def _serve(args: argparse.Namespace) -> None:
    from muse.serve_config import load_config
    from muse.server import run_server

    config = load_config(args.config, args.profile, args.port)
    run_server(
        config,
        ray_address=args.address,
        object_store_mb=args.object_store_mb,
        ray_temp_dir=args.ray_temp_dir,
        metrics_port=args.metrics_port,
        dashboard_port=None if args.no_dashboard else args.dashboard_port,
    )


def _train_text(args: argparse.Namespace) -> None:
    from models.text.train import TrainConfig, train

    fields = {k: v for k, v in vars(args).items() if k in TrainConfig.__dataclass_fields__}
    report = train(TrainConfig(**fields))
    print(
        f"saved to {args.out_dir}: {report.parameters:,} parameters, {report.train_seconds:.0f} s, "
        f"held-out perplexity {report.heldout_perplexity} (bigram baseline {report.bigram_baseline_perplexity})"
    )


def _train_planner(args: argparse.Namespace) -> None:
    from models.planner.train import TrainConfig, train

    fields = {k: v for k, v in vars(args).items() if k in TrainConfig.__dataclass_fields__}
    report = train(TrainConfig(**fields))
    print(
        f"saved to {args.out_dir}: {report.parameters:,} parameters, {report.train_seconds:.0f} s "
        f"({report.tokens_per_second:.0f} tokens/s); held-out exact {report.heldout_exact:.1%}, "
        f"valid {report.heldout_valid:.1%}"
    )


def _eval_recs(args: argparse.Namespace) -> None:
    from models.recsys.evaluate import run_protocol
    from muse.bench.report import print_table, write_json

    report = run_protocol(args.data)
    rows = [{"model": name, **values} for name, values in report["models"].items()]
    print_table(
        rows,
        [
            (key, key)
            for key in (
                "model",
                "precision@10",
                "recall@10",
                "ndcg@10",
                "map@10",
                "coverage",
                "novelty",
                "diversity",
                "users",
            )
        ],
    )
    print(f"ALS parameters (chosen on validation): {report['als_params']}")
    print(f"ALS nDCG@10 / popularity nDCG@10 = {report['als_ndcg_vs_popularity']:.2f}")
    print(f"wrote {write_json(args.out, 'eval-recs', report)}")


def _eval_assistant(args: argparse.Namespace) -> None:
    from muse.eval_assistant import run_eval_assistant

    run_eval_assistant(
        args.base_url,
        args.model,
        args.requests,
        args.lang,
        args.limit,
        args.max_steps,
        not args.no_rules,
        args.out,
        not args.free_arguments,
    )


def _bench_recommend(args: argparse.Namespace) -> None:
    from muse.bench.recommend import run_recommend_bench

    keys = args.key or ([os.environ["MUSE_API_KEY"]] if os.environ.get("MUSE_API_KEY") else [])
    run_recommend_bench(args.url, args.concurrency, args.seconds, args.out, keys, args.works)


def _train_recs(args: argparse.Namespace) -> None:
    from core.recs_model import model_path, train_and_save

    _, stats = train_and_save(args.data, progress=True)
    print(f"saved {model_path()}: {stats}; running replicas swap it in at their next health check")


def _users_add(args: argparse.Namespace) -> None:
    from ledger.service import keystore_for
    from core.paths import muse_home
    from core.users import Users, connect

    try:
        user, key = Users(connect()).add(args.name, admin=args.admin, create_account=keystore_for(muse_home()).create)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from exc
    print(
        f"created user {user.name} (id {user.id}{', admin' if user.is_admin else ''}) with ledger account "
        f"{user.address}. Keep the API key below: it also unlocks the account, and cannot be shown again.",
        file=sys.stderr,
    )
    print(key)


def _users_list(args: argparse.Namespace) -> None:
    from muse.users import print_users
    from core.users import Users, connect

    print_users(Users(connect()).all())


def _users_revoke(args: argparse.Namespace) -> None:
    from core.users import Users, connect

    try:
        user = Users(connect()).revoke(args.name)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from exc
    print(f"revoked {user.name}: its API key is refused from now on, on every route and replica")


def _users_rotate(args: argparse.Namespace) -> None:
    from ledger.keystore import KeystoreError
    from ledger.service import keystore_for
    from muse.users import read_current_key
    from core.paths import muse_home
    from core.users import Users, connect

    try:
        user, key = Users(connect()).rotate(
            args.name, read_current_key(args.name), rekey=keystore_for(muse_home()).rekeying
        )
    except (ValueError, KeystoreError) as exc:  # KeystoreError: the account's keystore is missing or damaged
        raise SystemExit(f"error: {exc}") from exc
    print(
        f"new API key for {user.name}; the old one is refused from now on. Ledger account {user.address} and "
        "its works stay the user's. Keep the key below: it cannot be shown again.",
        file=sys.stderr,
    )
    print(key)


def _bench_generate(args: argparse.Namespace) -> None:
    from muse.bench.generate import run_generate_bench

    run_generate_bench(args.url, args.concurrency, args.requests, args.max_new_tokens, args.rounds, args.out)


def _bench_market(args: argparse.Namespace) -> None:
    from muse.bench.market import MarketConfig, run_market_bench

    config = MarketConfig(
        users=args.users,
        creators=args.creators,
        works=args.works,
        requests=args.requests,
        retrain_every=args.retrain_every,
        seed=args.seed,
    )
    run_market_bench(config, args.out, args.plot)


def _bench_grammar(args: argparse.Namespace) -> None:
    from muse.bench.grammar import run_grammar_bench

    run_grammar_bench(args.model, args.requests, args.tokens, args.rounds, args.threads)


def _bench_ledger(args: argparse.Namespace) -> None:
    from muse.bench.ledger import run_ledger_bench

    run_ledger_bench(args.works, args.purchases, args.verifies, args.out)


def _bench_nearcopy(args: argparse.Namespace) -> None:
    from muse.bench.nearcopy import run_nearcopy_bench

    run_nearcopy_bench(
        args.generated,
        args.max_new_tokens,
        args.passages,
        args.shingle_chars,
        args.thresholds,
        args.works,
        args.large,
        args.registrations,
        args.seed,
        args.out,
    )


def _bench_load(args: argparse.Namespace) -> None:
    from muse.bench.load import run_load_bench

    run_load_bench(
        args.url,
        args.levels,
        args.mix,
        args.step_seconds,
        args.cooldown_seconds,
        args.sample_seconds,
        args.baseline_seconds,
        args.key,
        args.out,
    )


def _bench_chat(args: argparse.Namespace) -> None:
    from muse.bench.chat import run_chat_bench

    key = args.key or os.environ.get("MUSE_API_KEY")
    if not key:
        raise SystemExit("error: chat needs an API key: --key or $MUSE_API_KEY (from `muse users add NAME`)")
    run_chat_bench(args.url, key, args.concurrency, args.seconds, args.out)


def _ledger_reindex(args: argparse.Namespace) -> None:
    from ledger.service import LedgerService, LedgerSettings, keystore_for
    from core.paths import muse_home

    service = LedgerService(LedgerSettings(muse_home() / "ledger", args.rpc_url), keystore_for(muse_home()))
    try:
        print(f"re-read {service.index.rebuild()} events into {muse_home() / 'ledger' / 'index.sqlite3'}")
    finally:
        service.close()


def _demo(args: argparse.Namespace) -> None:
    from muse.demo import launch_demo

    launch_demo(args.url, args.port)


def _chat(args: argparse.Namespace) -> None:
    from muse.chat_cli import run_chat

    run_chat(args.url, args.key or os.environ.get("MUSE_API_KEY"), args.thread)


def _add_bench_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="Muse base URL (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="folder for JSON and PNG")


def build_parser() -> argparse.ArgumentParser:
    from models.text.train_config import TrainConfig

    parser = argparse.ArgumentParser(prog="muse", description="Muse: AI-assisted creative work on Ray Serve.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the platform in the foreground (Ctrl-C stops it)",
        description="Start Ray and the application in serve_config.yaml; "
        "stop both on Ctrl-C or SIGTERM. Data lives in $MUSE_HOME (default ./.muse).",
    )
    serve.add_argument("--config", type=Path, default=SERVE_CONFIG, help="Serve config file (default: %(default)s)")
    serve.add_argument(
        "--profile",
        action="append",
        default=[],
        help="overlay deploy/profiles/NAME.yaml (or a .yaml path); repeatable, e.g. --profile gpu",
    )
    serve.add_argument("--port", type=int, help="HTTP port (default: the config's, 8000)")
    serve.add_argument("--address", help="join a running Ray cluster (e.g. auto) instead of starting one")
    serve.add_argument("--object-store-mb", type=int, default=300, help="local Ray object store size")
    serve.add_argument("--ray-temp-dir", help="local Ray's session folder (default: Ray's, /tmp/ray)")
    serve.add_argument(
        "--metrics-port",
        type=int,
        default=DEFAULT_METRICS_PORT,
        help="port of the Prometheus endpoint, /metrics (Serve's ray_serve_* and Muse's muse_* "
        "series; default: %(default)s; 0: a free port)",
    )
    serve.add_argument(
        "--dashboard-port",
        type=int,
        default=DEFAULT_DASHBOARD_PORT,
        help="port of Ray's dashboard on 127.0.0.1, which `serve status` uses (default: %(default)s)",
    )
    serve.add_argument(
        "--no-dashboard",
        action="store_true",
        help="no Ray dashboard (saves memory and CPU on small machines; `serve status` then fails)",
    )
    serve.set_defaults(run=_serve)

    defaults = TrainConfig(corpus=SHAKESPEARE_CORPUS, out_dir=BUNDLED_TEXT_MODEL)
    train = commands.add_parser(
        "train-text",
        help="train the bundled text model (tokenizer and Llama)",
        description="Train a byte-level BPE tokenizer and a small Llama on a text corpus.",
    )
    train.add_argument("--corpus", type=Path, default=defaults.corpus, help="plain-text corpus (default: %(default)s)")
    train.add_argument("--out-dir", type=Path, default=defaults.out_dir, help="where to save (default: %(default)s)")
    for name in (
        "vocab_size",
        "hidden_size",
        "num_layers",
        "num_heads",
        "intermediate_size",
        "context",
        "batch_size",
        "steps",
        "warmup_steps",
        "seed",
    ):
        train.add_argument(
            f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name), help="default: %(default)s"
        )
    for name in ("lr", "eval_fraction"):
        train.add_argument(
            f"--{name.replace('_', '-')}", type=float, default=getattr(defaults, name), help="default: %(default)s"
        )
    train.set_defaults(run=_train_text)

    from models.planner.train_config import TrainConfig as PlannerConfig

    planner_defaults = PlannerConfig()
    planner = commands.add_parser(
        "train-planner",
        help="train the bundled planner model muse-planner (tokenizer and Llama)",
        description="Generate the request -> plan corpus (models/planner/corpus.py), train a byte-level BPE "
        "tokenizer and a small Llama on it (loss on the plan only), score greedy plans on the grammar's held-out "
        "split, and save the model in transformers format with its model card. The defaults reproduce the "
        "shipped checkpoint.",
    )
    planner.add_argument(
        "--out-dir", type=Path, default=planner_defaults.out_dir, help="where to save (default: %(default)s)"
    )
    for name in (
        "train_examples",
        "heldout_examples",
        "vocab_size",
        "hidden_size",
        "num_layers",
        "num_heads",
        "intermediate_size",
        "context",
        "batch_size",
        "steps",
        "warmup_steps",
        "seed",
        "threads",
    ):
        planner.add_argument(
            f"--{name.replace('_', '-')}",
            type=int,
            default=getattr(planner_defaults, name),
            help="default: %(default)s",
        )
    planner.add_argument(
        "--lr", type=float, default=planner_defaults.lr, help="peak learning rate (default: %(default)s)"
    )
    planner.set_defaults(run=_train_planner)

    recs = commands.add_parser(
        "eval-recs",
        help="evaluate the recommender against baselines (MovieLens)",
        description="Temporal per-user split, ALS tuned on validation, scored once on "
        "test next to popularity and item-kNN. The protocol is in the JSON report.",
    )
    recs.add_argument("--data", type=Path, default=MOVIELENS, help="MovieLens-style folder (default: %(default)s)")
    recs.add_argument("--out", type=Path, default=Path("bench-results"), help="folder for the JSON report")
    recs.set_defaults(run=_eval_recs)

    assistant = commands.add_parser(
        "eval-assistant",
        help="score the assistant's planners on the frozen request set, side by side",
        description="Drive each planner (the offline rules, and an OpenAI-compatible endpoint if --base-url "
        "is given) over assistant/eval/requests.jsonl with simulated tool results; print exact-plan accuracy, "
        "argument accuracy (form, topic, query, fee, percentage, address, work id), refusal precision/recall, "
        "clarifying-question rate and ledger calls on refusal/clarify cases per planner and language, and "
        "write eval-assistant.json (every case's calls and scores) into --out.",
    )
    assistant.add_argument(
        "--base-url", help="an OpenAI-compatible /v1 to evaluate as well (key: $MUSE_ASSISTANT_API_KEY)"
    )
    assistant.add_argument("--model", help="the endpoint's model (default: the assistant's, muse-tiny-shakespeare)")
    assistant.add_argument("--no-rules", action="store_true", help="leave out the offline rules planner")
    assistant.add_argument(
        "--free-arguments",
        action="store_true",
        help="send the endpoint Muse's plain tool schemas, not strict ones that admit only the "
        "request's spans for topics, texts, queries and addresses",
    )
    assistant.add_argument(
        "--requests", type=Path, help="request set (default: assistant/eval/requests.jsonl, shipped with Muse)"
    )
    assistant.add_argument("--lang", choices=["en", "zh"], action="append", help="only this language (repeatable)")
    assistant.add_argument("--limit", type=int, help="only the first N cases (after --lang)")
    assistant.add_argument(
        "--max-steps", type=int, default=8, help="tool calls allowed per case (default: %(default)s)"
    )
    assistant.add_argument("--out", type=Path, default=Path("bench-results"), help="folder for the JSON report")
    assistant.set_defaults(run=_eval_assistant)

    train_recs = commands.add_parser(
        "train-recs",
        help="retrain the recommender (catalogue + platform interactions)",
        description="Full retrain of ALS on the catalogue's ratings and every "
        "interaction in $MUSE_HOME; running replicas swap the new model in.",
    )
    train_recs.add_argument("--data", type=Path, default=MOVIELENS, help="catalogue folder (default: %(default)s)")
    train_recs.set_defaults(run=_train_recs)

    users = commands.add_parser("users", help="manage users and API keys")
    user_commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = user_commands.add_parser(
        "add",
        help="create a user and its ledger account; prints its API key last",
        description="Create a user in $MUSE_HOME/muse.db with an EVM account whose key "
        "is kept in $MUSE_HOME/keystore, encrypted with the user's API key; print the "
        "API key (shown once; only a hash is stored). On the embedded chain the account "
        "gets 100 ether from the genesis account on first use.",
    )
    add.add_argument("name", help="unique user name (1-64 characters)")
    add.add_argument("--admin", action="store_true", help="may call admin routes (e.g. retraining)")
    add.set_defaults(run=_users_add)
    listing = user_commands.add_parser(
        "list",
        help="users: name, admin, ledger address, created, status (no keys)",
        description="List the users in $MUSE_HOME/muse.db. API keys are never shown (only their hashes are stored).",
    )
    listing.set_defaults(run=_users_list)
    revoke = user_commands.add_parser(
        "revoke",
        help="refuse a user's API key from now on",
        description="Revoke NAME's API key: every route of every replica answers 401 "
        "to it from the next request on (keys are looked up per request). The ledger "
        "account stays on the chain, but only the revoked key could unlock it: to "
        "replace a leaked key and keep the account, use `muse users rotate`.",
    )
    revoke.add_argument("name", help="the user")
    revoke.set_defaults(run=_users_revoke)
    rotate = user_commands.add_parser(
        "rotate",
        help="replace a user's API key; prints the new key last",
        description="Give NAME a new API key, reading the current one from standard "
        "input (a prompt on a terminal, e.g. `muse users rotate ada < old-key`): it "
        "decrypts the user's ledger keystore, which is re-encrypted under the new key, "
        "so the account and its works stay the user's. The old key answers 401 from "
        "the next request on. Prints the new key as the last line.",
    )
    rotate.add_argument("name", help="the user")
    rotate.set_defaults(run=_users_rotate)

    ledger = commands.add_parser("ledger", help="ledger maintenance")
    ledger_commands = ledger.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    reindex = ledger_commands.add_parser(
        "reindex",
        help="rebuild the off-chain index from the chain's events",
        description="Empty $MUSE_HOME/ledger/index.sqlite3 and read every event "
        "of the ledger contract again. Stop Muse first: the embedded chain "
        "belongs to one process at a time.",
    )
    reindex.add_argument("--rpc-url", help="the JSON-RPC node Muse is configured with (default: the embedded chain)")
    reindex.set_defaults(run=_ledger_reindex)

    demo = commands.add_parser(
        "demo",
        help="the Gradio demo, standalone, against a running Muse",
        description="Serve the web demo (chat, create, discover, rights, system) on "
        "127.0.0.1, calling the Muse at --url. `muse serve` also serves it at /ui.",
    )
    demo.add_argument("--url", default="http://127.0.0.1:8000", help="Muse base URL (default: %(default)s)")
    demo.add_argument("--port", type=int, default=7860, help="the demo's port (default: %(default)s)")
    demo.set_defaults(run=_demo)

    chat = commands.add_parser(
        "chat",
        help="chat with the assistant in the terminal",
        description="Talk to Muse's assistant: its plan and steps print as they run and "
        "its reply streams; ledger changes wait for your answer (yes, no, or edit the "
        "arguments as JSON). Ctrl-D or Ctrl-C leaves.",
    )
    chat.add_argument("--url", default="http://127.0.0.1:8000", help="Muse base URL (default: %(default)s)")
    chat.add_argument("--key", help="your API key (default: $MUSE_API_KEY)")
    chat.add_argument("--thread", help="continue this conversation (default: a new one)")
    chat.set_defaults(run=_chat)

    bench = commands.add_parser("bench", help="benchmarks (most against a running Muse)")
    benches = bench.add_subparsers(dest="bench", required=True, metavar="BENCH")
    gen = benches.add_parser(
        "generate",
        help="generation throughput and time to first token over HTTP",
        description="Streams requests to /v1/generate at each concurrency; the first "
        "level (1) is the sequential baseline the others are compared with.",
    )
    _add_bench_target(gen)
    gen.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[1, 4, 16, 32],
        help="concurrency levels; the first is the baseline (default: %(default)s)",
    )
    gen.add_argument("--requests", type=int, help="requests per level and round (default: 2 x concurrency, >= 16)")
    gen.add_argument("--max-new-tokens", type=int, default=128, help="tokens per request (default: %(default)s)")
    gen.add_argument("--rounds", type=int, default=3, help="interleaved rounds over the levels (default: %(default)s)")
    gen.set_defaults(run=_bench_generate)
    rec = benches.add_parser(
        "recommend",
        help="recommendation requests/s and latency over HTTP",
        description="Closed-loop clients on /v1/recommend at each concurrency (movies, then, "
        "with --key, the works catalogue: query, liked works and user history), next to the "
        "serving floor (/healthz) and the in-process batched call, in the same run.",
    )
    _add_bench_target(rec)
    rec.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[1, 4, 10, 16, 32, 64],
        help="concurrent clients per level (default: %(default)s)",
    )
    rec.add_argument("--seconds", type=float, default=5.0, help="duration of each level (default: %(default)s)")
    rec.add_argument(
        "--key",
        nargs="+",
        help="API keys (default: $MUSE_API_KEY): the first registers --works works "
        "and grants licenses on them; each further key is a reader who likes a few works and asks for "
        "its own history (without one, works requests are queries and liked works only)",
    )
    rec.add_argument("--works", type=int, default=240, help="works registered first, with --key (default: %(default)s)")
    rec.set_defaults(run=_bench_recommend)
    market = benches.add_parser(
        "market",
        help="marketplace simulation: popularity, ALS and Muse's works policy side by side (in process)",
        description="Simulated users with hidden tastes, creators publishing works over time (half of them joining "
        "in the second half), users asking for recommendations, liking and licensing by hidden taste. The same "
        "world and coins (--seed) for each policy; the policies run in process, without Ray or HTTP. Prints hit "
        "rate, exposure Gini, requests until a new work's first impression and the royalty share of late "
        "creators; writes OUT/bench-market.json and the plot.",
    )
    market.add_argument("--users", type=int, default=300, help="default: %(default)s")
    market.add_argument("--creators", type=int, default=60, help="default: %(default)s")
    market.add_argument("--works", type=int, default=360, help="works published in all (default: %(default)s)")
    market.add_argument("--requests", type=int, default=6000, help="recommendation requests (default: %(default)s)")
    market.add_argument(
        "--retrain-every", type=int, default=200, help="ALS refit period, in requests (default: %(default)s)"
    )
    market.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    market.add_argument("--out", type=Path, default=Path("bench-results"), help="folder for the JSON report")
    market.add_argument("--plot", type=Path, default=Path("docs/bench-market.png"), help="default: %(default)s")
    market.set_defaults(run=_bench_market)
    grammar = benches.add_parser(
        "grammar",
        help="what grammar-constrained decoding costs: tokens/s of free, constrained and mixed batches",
        description="In process: each round runs a batch of --requests free requests, one of constrained requests "
        "(a JSON schema) and one half and half, one after the other, so a busy machine slows them alike. Prints "
        "the rounds' median tokens/s and each as a share of free.",
    )
    grammar.add_argument("--model", type=Path, default=None, help="model folder (default: the bundled model)")
    grammar.add_argument("--requests", type=int, default=8, help="requests per batch, even (default: %(default)s)")
    grammar.add_argument("--tokens", type=int, default=128, help="max_new_tokens per request (default: %(default)s)")
    grammar.add_argument("--rounds", type=int, default=3, help="rounds (default: %(default)s)")
    grammar.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    grammar.set_defaults(run=_bench_grammar)
    load = benches.add_parser(
        "load",
        help="mixed workload on a bounded ramp: latency, errors and replicas over time",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Closed-loop clients send a weighted mix of generate (POST /v1/generate, 32 tokens), "
        "recommend\n(POST /v1/recommend, a random MovieLens user), verify (GET /v1/licenses/verify) and chat "
        "(POST /v1/chat,\nSSE: ok when the stream ends with a 'message' event and has no 'error' event).\n\n"
        "The run: GET /healthz alone at concurrency 1 (the baseline each kind's p50 is compared with), then\n"
        "each --levels for --step-seconds, then --cooldown-seconds without load. /v1/system/status is\n"
        "sampled every --sample-seconds for each deployment's RUNNING and STARTING replicas, so the plot\n"
        "shows scale-up and the Generator's return to zero (after ~120 s idle in the default config).\n\n"
        "Chat needs an API key (--key or $MUSE_API_KEY); without one it is left out of the mix. With a key,\n"
        "the run registers one work and verifies it for the caller's address; without one it verifies\n"
        "work 1 for 0x00..01, and a 404 (no such work) counts as answered, not as an error.\n\n"
        "Per level and kind: requests, errors (other non-2xx, timeouts, connection errors), rejected\n"
        "(429/503), ok req/s, p50/p95/p99 ms; the peak sustained rate is the best level's ok req/s.\n"
        "Bounds: at most 256 clients, 60 s per request (120 s for chat). Writes bench-load.json\n"
        "(every request, per-level stats, replica samples) and bench-load.png into --out.",
    )
    _add_bench_target(load)
    load.add_argument(
        "--mix", default=LOAD_MIX, help="request kinds and their weights, KIND=WEIGHT,... (default: %(default)s)"
    )
    load.add_argument(
        "--levels",
        default=LOAD_LEVELS,
        help="concurrent clients per ramp level, comma-separated, 1-256 (default: %(default)s)",
    )
    load.add_argument("--step-seconds", type=float, default=20.0, help="duration of each level (default: %(default)s)")
    load.add_argument(
        "--cooldown-seconds",
        type=float,
        default=150.0,
        help="time without load at the end, still sampling replicas (default: %(default)s)",
    )
    load.add_argument(
        "--sample-seconds",
        type=float,
        default=1.0,
        help="interval of the /v1/system/status samples (default: %(default)s)",
    )
    load.add_argument(
        "--baseline-seconds",
        type=float,
        default=5.0,
        help="duration of the GET /healthz baseline (default: %(default)s)",
    )
    load.add_argument("--key", help="API key for chat and the verify set-up (default: $MUSE_API_KEY)")
    load.set_defaults(run=_bench_load)
    chat_bench = benches.add_parser(
        "chat",
        help="assistant turns/s and per-turn overhead over HTTP",
        description='Closed-loop clients send one-step turns ("Recommend me movies like Toy Story.") to '
        "/v1/chat at each concurrency, each in a thread of its own; per level: turns/s, p50/p99, the time in tool "
        "calls and the overhead around them (turn minus tools), next to the /healthz floor in the same run.",
    )
    _add_bench_target(chat_bench)
    chat_bench.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[1, 4, 16],
        help="concurrent clients per level (default: %(default)s)",
    )
    chat_bench.add_argument("--seconds", type=float, default=10.0, help="duration of each level (default: %(default)s)")
    chat_bench.add_argument("--key", help="API key of the chatting user (default: $MUSE_API_KEY)")
    chat_bench.set_defaults(run=_bench_chat)
    led = benches.add_parser(
        "ledger",
        help="ledger writes/s and verify latency (chain vs index), standalone",
        description="On a fresh embedded chain in a temporary folder: registrations/s and "
        "license purchases/s next to plain ether transfers/s, verify latency from the chain "
        "and from the index, and start-up time on the chain written.",
    )
    led.add_argument("--works", type=int, default=300, help="works to register (default: %(default)s)")
    led.add_argument("--purchases", type=int, default=150, help="licenses to buy (default: %(default)s)")
    led.add_argument("--verifies", type=int, default=1000, help="verify calls per source (default: %(default)s)")
    led.add_argument("--out", type=Path, default=Path("bench-results"), help="folder for JSON and PNG")
    led.set_defaults(run=_bench_ledger)
    near = benches.add_parser(
        "nearcopy",
        help="near-copy check: copies caught and distinct works refused per setting; its cost",
        description="Seeded and standalone (temporary folder). Registers texts from the bundled model (several "
        "seeds per theme) and Shakespeare speeches, then checks edited copies of each (case, punctuation, "
        "whitespace, one or two words, lines reordered, all together) and as many distinct works on the same "
        "themes, for each shingle size and threshold: the share caught per edit kind and the distinct works "
        "refused. Then the check's latency with 0, --works and --large works indexed, and registration latency "
        "through the ledger service before the check, with it on an empty index and next to --works works, "
        "interleaved. Writes bench-nearcopy.json into --out.",
    )
    near.add_argument("--generated", type=int, default=96, help="texts from the bundled model (default: %(default)s)")
    near.add_argument("--max-new-tokens", type=int, default=80, help="tokens per generated text (default: %(default)s)")
    near.add_argument("--passages", type=int, default=400, help="Shakespeare speeches (default: %(default)s)")
    near.add_argument(
        "--shingle-chars",
        type=int,
        nargs="+",
        default=[3, 4, 5, 7],
        help="shingle sizes to compare (default: %(default)s)",
    )
    near.add_argument(
        "--thresholds",
        type=float,
        nargs="+",
        default=[0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
        help="Jaccard thresholds to compare (default: %(default)s)",
    )
    near.add_argument(
        "--works", type=int, default=10_000, help="works indexed for the latency comparison (default: %(default)s)"
    )
    near.add_argument(
        "--large",
        type=int,
        default=0,
        help="also time the check and the rebuild at this many works, e.g. 100000 (default: off)",
    )
    near.add_argument(
        "--registrations", type=int, default=60, help="registrations timed per condition (default: %(default)s)"
    )
    near.add_argument("--seed", type=int, default=0, help="seed of every random choice (default: %(default)s)")
    near.add_argument("--out", type=Path, default=Path("bench-results"), help="folder for the JSON report")
    near.set_defaults(run=_bench_nearcopy)
    return parser


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    sys.exit(main())
