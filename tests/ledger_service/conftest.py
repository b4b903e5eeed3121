"""A real LedgerService on a durable embedded chain in a temporary data directory, and users with keystores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.service import Credentials, LedgerService, LedgerSettings, keystore_for
from core.users import User, Users, connect


@dataclass(frozen=True)
class Member:
    user: User
    key: str

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.user.address, self.key)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def open_service(home: Path) -> LedgerService:
    return LedgerService(LedgerSettings(home / "ledger"), keystore_for(home))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("muse_home")


@pytest.fixture(scope="module")
def users(home: Path) -> Users:
    return Users(connect(home / "muse.db"))


@pytest.fixture(scope="module")
def member(users: Users, home: Path):
    """``member("alice")`` creates a user with a ledger account, as ``muse users add`` does."""

    def create(name: str) -> Member:
        user, key = users.add(name, create_account=keystore_for(home).create)
        return Member(user, key)

    return create


@pytest.fixture(scope="module")
def service(home: Path) -> Iterator[LedgerService]:
    svc = open_service(home)
    yield svc
    svc.close()
