"""Muse's applications: the ``muse`` command, the server launcher, the HTTP client, the terminal chat, the
Gradio demo and the benchmarks. They sit on top: they import the layers below, and nothing below imports them."""

from core import __version__

__all__ = ["__version__"]
