"""Muse: AI-assisted creative work served on Ray Serve."""

__version__ = "0.1.0"
