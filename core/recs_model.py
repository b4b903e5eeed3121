"""Where the trained recommender lives in the data directory, and the full retrain that replaces it.

A full retrain learns from the catalogue's ratings plus every platform user's interactions, then
writes ``$MUSE_HOME/recsys/model.npz`` atomically. Running Recommender replicas notice the new file
and swap it in while they keep serving (see ``deployments/recommender.py``).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from models.recsys.feedback import FeedbackStore
from models.recsys.service import RecommenderService
from core.paths import muse_home
from core.users import connect

log = logging.getLogger(__name__)


def recsys_dir() -> Path:
    path = muse_home() / "recsys"
    path.mkdir(parents=True, exist_ok=True)
    return path


def model_path() -> Path:
    return recsys_dir() / "model.npz"


def train_and_save(catalogue: Path, progress: bool = False) -> tuple[RecommenderService, dict]:
    started = time.monotonic()
    feedback = FeedbackStore(connect()).as_frame()
    service = RecommenderService.train(catalogue, recsys_dir(), extra_interactions=feedback, progress=progress)
    service.save(model_path())
    stats = {"users": int(service.matrix.matrix.shape[0]), "items": int(service.matrix.matrix.shape[1]),
             "interactions": int(service.matrix.matrix.nnz), "platform_interactions": len(feedback),
             "seconds": round(time.monotonic() - started, 1)}
    log.info("recommender retrained: %s", stats)
    return service, stats


def load_or_train(catalogue: Path) -> RecommenderService:
    """The saved model if there is one for this catalogue, else a freshly trained (and saved) one."""
    path = model_path()
    if path.exists():
        try:
            return RecommenderService.load(path, catalogue, recsys_dir())
        except (OSError, ValueError, KeyError) as exc:
            log.warning("could not load %s (%s); retraining", path, exc)
    return train_and_save(catalogue)[0]
