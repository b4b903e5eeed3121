"""Load ``serve_config.yaml`` with optional profile overlays (``deploy/profiles/NAME.yaml``).

An overlay has the same shape as the config. Mappings merge key by key; lists of
mappings with a ``name`` (applications, deployments) merge item by item on ``name``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from core.paths import PROFILES_DIR

DEFAULT_METRICS_PORT = 8080  # `muse serve`: Prometheus text at http://127.0.0.1:8080/metrics
DEFAULT_DASHBOARD_PORT = 8265  # `muse serve`: Ray's dashboard on 127.0.0.1 (what `serve status` talks to)


def merge(base: Any, overlay: Any) -> Any:
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    if _named_list(base) and _named_list(overlay):
        by_name = {item["name"]: item for item in base}
        for item in overlay:
            by_name[item["name"]] = merge(by_name[item["name"]], item) if item["name"] in by_name else item
        return list(by_name.values())
    return overlay


def _named_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and "name" in i for i in value)


def profile_path(profile: str) -> Path:
    """A profile is a file path, or a name in ``deploy/profiles``."""
    path = Path(profile)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return path
    named = PROFILES_DIR / f"{profile}.yaml"
    if not named.exists():
        known = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.yaml")))
        raise FileNotFoundError(f"no profile '{profile}' (known: {known}; or give a .yaml path)")
    return named


def load_config(path: Path, profiles: list[str] = (), port: int | None = None) -> dict:
    config = yaml.safe_load(path.read_text())
    for profile in profiles:
        config = merge(config, yaml.safe_load(profile_path(profile).read_text()))
    if port is not None:
        config.setdefault("http_options", {})["port"] = port
    return config
