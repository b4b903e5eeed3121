"""The assistant on real in-process services: the bundled text model, a LedgerService on a durable embedded
chain, the users table; conversations in SQLite. Services are reached through LocalHandle, as through Serve's
handles."""

from __future__ import annotations

import asyncio

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.agent import ModelSettings, open_assistant
from assistant.backends import Backends
from assistant.chat import Assistant, ChatLimits
from assistant.events import ChatEvent
from assistant.tools import ChatContext
from deployments.generator import Generator
from ledger.service import Credentials, LedgerService, LedgerSettings, keystore_for
from models.recsys.feedback import FeedbackStore
from core.users import Users, connect
from tests.local_handle import LocalHandle

MODEL_ID = "muse-tiny-shakespeare"


@dataclass
class World:
    home: Path
    backends: Backends
    ledger: LedgerService
    users: Users
    opened: list[Assistant] = field(default_factory=list)

    def context(self, name: str) -> ChatContext:
        """A new user (as ``muse users add`` makes one) and the context its chat requests run in."""
        user, key = self.users.add(name, create_account=keystore_for(self.home).create)
        return ChatContext(user=user, credentials=Credentials(user.address, key), backends=self.backends)

    async def assistant(self, limits: ChatLimits = ChatLimits()) -> Assistant:
        """An assistant on this world's conversations; closed at teardown if the test did not close it."""
        assistant = await open_assistant(self.home / "conversations.sqlite3", ModelSettings(), limits)
        self.opened.append(assistant)
        return assistant

    def close(self) -> None:
        for assistant in self.opened:
            asyncio.run(assistant.close())
        self.ledger.close()


def open_world(home: Path, generator: object) -> World:
    db = connect(home / "muse.db")
    ledger = LedgerService(LedgerSettings(home / "ledger"), keystore_for(home))
    backends = Backends(
        generator=LocalHandle(generator),
        recommender=None,
        ledger=LocalHandle(ledger),
        history=FeedbackStore(db).history,
        model_id=MODEL_ID,
    )
    return World(home, backends, ledger, Users(db))


@pytest.fixture(scope="session")
def generator() -> Iterator[Generator]:
    gen = Generator.func_or_class("bundled", torch_threads=1)
    yield gen
    gen.__del__()


@pytest.fixture
def world(tmp_path: Path, generator) -> Iterator[World]:
    w = open_world(tmp_path, generator)
    yield w
    w.close()


async def collect(events: AsyncIterator[ChatEvent]) -> list[dict]:
    """The events in their JSON form, as a client reads them."""
    return [event.model_dump(mode="json") async for event in events]


def types(events: list[dict]) -> list[str]:
    """Event types in order, with runs of tokens folded into one."""
    out: list[str] = []
    for event in events:
        if not (event["type"] == "token" and out and out[-1] == "token"):
            out.append(event["type"])
    return out
