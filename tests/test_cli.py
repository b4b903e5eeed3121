"""Every `muse` command answers --help, and bad arguments are refused before anything runs; the commands that
need no server run for real."""

import json
import subprocess
import sys

import pytest

from muse.cli import build_parser

COMMANDS = [
    [],
    ["serve"],
    ["train-text"],
    ["eval-recs"],
    ["train-recs"],
    ["users"],
    ["users", "add"],
    ["users", "list"],
    ["users", "revoke"],
    ["users", "rotate"],
    ["bench"],
    ["bench", "generate"],
    ["bench", "recommend"],
    ["bench", "ledger"],
    ["ledger"],
    ["ledger", "reindex"],
    ["chat"],
    ["demo"],
    ["bench", "load"],
    ["bench", "chat"],
    ["bench", "market"],
    ["eval-assistant"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "muse")
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: muse" in capsys.readouterr().out


def test_bad_arguments_exit_with_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["bench", "generate", "--rounds", "many"])
    assert exit_info.value.code == 2
    assert "invalid int value" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mix", "generate=2,dance=1"], "dance=1"),
        (["--mix", "generate=x"], "not a number"),
        (["--levels", "4,0"], "from 1 to 256"),
        (["--step-seconds", "0"], "--step-seconds"),
    ],
)
def test_bench_load_refuses_bad_options_before_sending_anything(args, message, capsys):
    from muse.bench.load import run_load_bench

    options = build_parser().parse_args(["bench", "load", "--url", "http://127.0.0.1:9", *args])
    with pytest.raises(SystemExit) as exit_info:
        run_load_bench(
            options.url,
            options.levels,
            options.mix,
            options.step_seconds,
            options.cooldown_seconds,
            options.sample_seconds,
            options.baseline_seconds,
            None,
            options.out,
        )
    assert message in str(exit_info.value)


def run_muse(*args: str, home, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "muse.cli", *args],
        capture_output=True,
        text=True,
        check=check,
        input=stdin,
        env={"PATH": "/usr/bin:/bin", "MUSE_HOME": str(home)},
        timeout=300,
    )


def test_users_add_prints_the_key_last_and_keeps_an_encrypted_account(tmp_path):
    out = run_muse("users", "add", "ada", home=tmp_path)
    key = out.stdout.strip().splitlines()[-1]
    assert key.startswith("muse_")
    (keystore,) = (tmp_path / "keystore").glob("0x*.json")
    assert keystore.stem in out.stderr and key not in keystore.read_text()
    again = run_muse("users", "add", "ada", home=tmp_path, check=False)
    assert again.returncode != 0 and "already exists" in again.stderr


def test_users_list_rotate_and_revoke(tmp_path):
    assert "no users yet" in run_muse("users", "list", home=tmp_path).stdout
    added = run_muse("users", "add", "ada", home=tmp_path)
    key = added.stdout.strip().splitlines()[-1]
    (keystore,) = (tmp_path / "keystore").glob("0x*.json")
    run_muse("users", "add", "root", "--admin", home=tmp_path)
    listed = run_muse("users", "list", home=tmp_path).stdout
    assert "muse_" not in listed and keystore.stem in listed
    assert [line.split()[1:3] for line in listed.splitlines()[1:]] == [["ada", "no"], ["root", "yes"]]

    missing = run_muse("users", "rotate", "ada", home=tmp_path, check=False, stdin="")
    assert missing.returncode != 0 and "standard input" in missing.stderr
    rotated = run_muse("users", "rotate", "ada", home=tmp_path, stdin=key + "\n")
    new_key = rotated.stdout.strip().splitlines()[-1]
    assert new_key.startswith("muse_") and new_key != key and keystore.stem in rotated.stderr
    assert key not in keystore.read_text() and new_key not in keystore.read_text()
    stale = run_muse("users", "rotate", "ada", home=tmp_path, check=False, stdin=key + "\n")
    assert stale.returncode != 0 and "not the current API key" in stale.stderr

    assert "revoked ada" in run_muse("users", "revoke", "ada", home=tmp_path).stdout
    assert "revoked 20" in next(
        line for line in run_muse("users", "list", home=tmp_path).stdout.splitlines() if " ada " in line
    )
    unknown = run_muse("users", "revoke", "nobody", home=tmp_path, check=False)
    assert unknown.returncode != 0 and "no user named 'nobody'" in unknown.stderr


def test_bench_ledger_and_reindex(tmp_path):
    out = run_muse(
        "bench", "ledger", "--works", "3", "--purchases", "2", "--verifies", "5", "--out", str(tmp_path), home=tmp_path
    )
    report = json.loads((tmp_path / "bench-ledger.json").read_text())
    assert report["index_agrees_with_chain"] and (tmp_path / "bench-ledger.png").exists()
    assert [row["count"] for row in report["results"]] == [3, 3, 2, 5, 5]
    assert "faster at p50" in out.stdout
    run_muse("users", "add", "ada", home=tmp_path)
    assert "re-read" in run_muse("ledger", "reindex", home=tmp_path).stdout


def test_eval_assistant_prints_the_table_and_writes_every_case(tmp_path, capsys):
    args = build_parser().parse_args(["eval-assistant", "--lang", "zh", "--limit", "4", "--out", str(tmp_path)])
    args.run(args)
    out = capsys.readouterr().out
    assert "exact" in out and "ledger@refuse" in out and "the frozen set" in out
    report = json.loads((tmp_path / "eval-assistant.json").read_text())
    assert report["frozen_set"] and [row["lang"] for row in report["rows"]] == ["zh", "all"]
    assert [case["id"] for case in report["cases"]] == ["zh-001", "zh-002", "zh-003", "zh-004"]
