"""Shared fixtures. The bundled model is loaded once per session; training is exercised on a tiny config."""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

import pytest
from hypothesis import settings

from core.paths import BUNDLED_TEXT_MODEL

# CI runs the same property-test examples every time (and keeps no examples database); locally they vary.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def generator():
    from models.text.generator import TextGenerator

    gen = TextGenerator(BUNDLED_TEXT_MODEL, torch_threads=2)
    yield gen
    gen.close()
