"""LangChain's standard integration suite for chat models (``langchain-tests``), run with ``ChatOpenAI`` against
Muse's OpenAI-compatible routes and the bundled Shakespeare model.

What the served model cannot do (it continues Shakespeare; it answers no question, reads no image) is marked
as a strict expected failure with the reason; anything else failing is a fault of the server. Set
``MUSE_STANDARD_TESTS_URL`` to run the suite against a Muse already running there instead of starting one.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI
from langchain_tests.integration_tests import ChatModelIntegrationTests

MODEL = "muse-tiny-shakespeare"
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def muse_url(request) -> str:
    return os.environ.get("MUSE_STANDARD_TESTS_URL") or request.getfixturevalue("server").url


class TestMuseChatOpenAI(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatOpenAI

    @property
    def chat_model_params(self) -> dict:
        # stream_usage: ChatOpenAI asks for usage in streams only from api.openai.com unless told (Muse sends it)
        return {"model": MODEL, "api_key": "unused", "timeout": 120, "max_retries": 0, "stream_usage": True}

    @property
    def has_tool_choice(self) -> bool:
        return True

    @pytest.fixture
    def model(self, request: Any, muse_url: str) -> BaseChatModel:
        extra = getattr(request, "param", None) or {}
        return ChatOpenAI(**{**self.standard_chat_model_params, **self.chat_model_params,
                             "base_url": f"{muse_url}/v1", **extra})
