"""deployment.json says which EVM version the ledger was compiled for; starting with another ``ledger_evm_version``
is refused with what to set, never answered with a silent second deployment."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from ledger.chain import ChainError
from ledger.evm_version import EvmVersion
from ledger.service import LedgerService, LedgerSettings, keystore_for


def open_with(home: Path, evm_version: EvmVersion) -> LedgerService:
    return LedgerService(LedgerSettings(home / "ledger", evm_version=evm_version), keystore_for(home))


def refusal(home: Path, evm_version: EvmVersion) -> str:
    """The message of the refused start. The failed service is collected before returning: it still holds the
    embedded chain's lock (a Serve replica that fails to start is a process that ends, which releases it)."""
    try:
        open_with(home, evm_version).close()
    except ChainError as error:
        message = str(error)
    else:
        pytest.fail(f"ledger_evm_version {evm_version} was not refused")
    gc.collect()
    return message


def test_the_record_names_the_evm_version_and_a_mismatch_is_refused(tmp_path: Path):
    service = open_with(tmp_path, "shanghai")
    contract = service.ledger.addresses.ledger
    service.close()
    record_path = tmp_path / "ledger" / "deployment.json"
    (record,) = json.loads(record_path.read_text()).values()
    assert record["evm_version"] == "shanghai"

    message = refusal(tmp_path, "cancun")
    assert "compiled for EVM version 'shanghai'" in message and "ledger_evm_version is 'cancun'" in message
    assert "set ledger_evm_version: shanghai" in message

    reopened = open_with(tmp_path, "shanghai")
    assert reopened.ledger.addresses.ledger == contract  # the same ledger, no new deployment
    reopened.close()
    assert len(json.loads(record_path.read_text())) == 1


def test_a_record_from_before_the_setting_was_compiled_for_cancun(tmp_path: Path):
    open_with(tmp_path, "cancun").close()
    record_path = tmp_path / "ledger" / "deployment.json"
    records = json.loads(record_path.read_text())
    record_path.write_text(
        json.dumps(
            {chain: {k: v for k, v in record.items() if k != "evm_version"} for chain, record in records.items()}
        )
    )
    assert "compiled for EVM version 'cancun'" in refusal(tmp_path, "paris")
    open_with(tmp_path, "cancun").close()
