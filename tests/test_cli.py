"""Every `muse` command answers --help, and bad arguments are refused before anything runs."""

import pytest

from muse.cli import build_parser

COMMANDS = [[], ["serve"], ["train-text"], ["eval-recs"], ["train-recs"], ["users"], ["users", "add"],
            ["bench"], ["bench", "generate"], ["bench", "recommend"]]


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
