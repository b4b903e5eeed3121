"""``ledger_evm_version`` in serve_config.yaml: cancun by default, and a version Muse does not accept fails the
config's validation with the accepted ones named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.paths import SERVE_CONFIG
from deployments.app import AppArgs
from ledger.evm_version import EVM_VERSIONS
from muse.serve_config import load_config


def muse_args() -> dict:
    return next(app for app in load_config(SERVE_CONFIG)["applications"] if app["name"] == "muse")["args"]


def test_the_shipped_config_compiles_for_cancun():
    assert AppArgs.model_validate(muse_args()).ledger_evm_version == "cancun"


def test_an_unknown_evm_version_is_refused_with_the_accepted_ones():
    with pytest.raises(ValidationError) as refused:
        AppArgs.model_validate({**muse_args(), "ledger_evm_version": "berlin"})
    message = str(refused.value)
    assert "ledger_evm_version" in message and all(f"'{version}'" in message for version in EVM_VERSIONS)
