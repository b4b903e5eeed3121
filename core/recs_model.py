"""Where the trained recommender lives in the data directory, and the full retrain that replaces it.

A full retrain learns from the catalogue's ratings plus every platform user's interactions, then
writes ``$MUSE_HOME/recsys/model.npz`` atomically. Running Recommender replicas notice the new file
and swap it in while they keep serving (see ``deployments/recommender.py``).

Every file here (the model, the content-embedding cache) is written under a unique temporary name and renamed
into place; a retrain holds an OS lock on ``retrain.lock``, so two retrains (the CLI and the admin route, or two
replicas starting on an empty data directory) run one after the other. A damaged file is rebuilt, with a warning.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from common.files import locked
from models.recsys.feedback import FeedbackStore
from models.recsys.npz import UnreadableFile
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


def retrain_lock() -> Path:
    return recsys_dir() / "retrain.lock"


def train_and_save(catalogue: Path, progress: bool = False) -> tuple[RecommenderService, dict]:
    """A full retrain, saved; waits for any other retrain (in any process) to finish first."""
    with locked(retrain_lock()):
        return _train_and_save(catalogue, progress)


def _train_and_save(catalogue: Path, progress: bool) -> tuple[RecommenderService, dict]:
    started = time.monotonic()
    feedback = FeedbackStore(connect()).as_frame()
    service = RecommenderService.train(catalogue, recsys_dir(), extra_interactions=feedback, progress=progress)
    service.save(model_path())
    stats = {
        "users": int(service.matrix.matrix.shape[0]),
        "items": int(service.matrix.matrix.shape[1]),
        "interactions": int(service.matrix.matrix.nnz),
        "platform_interactions": len(feedback),
        "seconds": round(time.monotonic() - started, 1),
    }
    log.info("recommender retrained: %s", stats)
    return service, stats


def load_or_train(catalogue: Path) -> RecommenderService:
    """The saved model if there is a readable one, else a freshly trained (and saved) one. Under the retrain
    lock it looks again, so replicas starting together train once and the others load that model."""
    service = _load(catalogue)
    if service is not None:
        return service
    with locked(retrain_lock()):
        return _load(catalogue) or _train_and_save(catalogue, progress=False)[0]


def _load(catalogue: Path) -> RecommenderService | None:
    path = model_path()
    try:
        return RecommenderService.load(path, catalogue, recsys_dir())
    except FileNotFoundError:
        return None
    except UnreadableFile as exc:
        log.warning("the recommender model %s is unreadable (%s): retraining it", path, exc)
        return None
