"""Run the methods on a photo: models load once per (method, body model, device) and are cached.

    from core.pipeline.inference import predict
    results = predict(image_rgb, boxes_xyxy, methods=["hmr", "hybrik"])   # {method: [MeshPrediction]}

CUDA is used when available, else the CPU, where each network runs in ONNX Runtime (`core.networks.onnx`).
`precision` 'bf16' or 'fp16' runs the backbone and head under CUDA autocast (the IK, skinning and cameras stay float32); on the CPU it is ignored.
Each method runs with the checkpoint `core.checkpoints.checkpoint_for` names (the verified official file, or the
user's own); a model is cached per file version (path, size, modification time), so a replaced or newly chosen
checkpoint is loaded on the next call, and every prediction records the checkpoint it came from
(`extras["checkpoint"]`, a CheckpointChoice). The body model is cached per version of its files likewise.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from pathlib import Path
from typing import Iterable

import numpy as np
import torch

from core.body_models.base import BodyModel
from core.checkpoints import CheckpointChoice, body_model_files, checkpoint_for
from core.file_hash import file_identity
from core.geometry import DEFAULT_FOV_DEG
from core.methods import NETWORK_METHODS
from core.networks import onnx
from core.networks.build import load_model
from core.networks.checkpoint import verify_published_hash
from core.pipeline.estimate import MeshPrediction
from core.threads import single_threaded

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
_MODELS: dict[tuple, torch.nn.Module] = {}
_BODY_MODELS: dict[tuple, BodyModel] = {}
_LOADING = threading.Lock()  # one load at a time: a request arriving during the start-up preload waits for it


class MissingCheckpointError(FileNotFoundError):
    """The method's checkpoint is not where it should be."""


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def require_checkpoint(method: str) -> Path:
    """The checkpoint `method` runs with (core.checkpoints.checkpoint_for), or MissingCheckpointError saying how to
    get it when it is not there."""
    choice = checkpoint_for(method)
    path = choice.path
    if path.is_file():
        return path
    if choice.custom:
        raise MissingCheckpointError(
            f"{method}: your own checkpoint {path} ({choice.source}) is not there. Give the path of an existing "
            "file, or drop the choice to use the official checkpoint."
        )
    raise MissingCheckpointError(
        f"{method}: checkpoint {path.name} is not in {path.parent}. "
        f"Download it with: python -m core.weights fetch {method} (or set HMRC_CHECKPOINTS / HMRC_DATA)."
    )


def default_body_model(prefer: str = "auto") -> BodyModel:
    """The user's neutral SMPL when present, else the open body model (cached per version of its files)."""
    key = (prefer, tuple(file_identity(p) for p in body_model_files() if p.is_file()))
    with _LOADING:
        if key not in _BODY_MODELS:
            from core.body_models.load import load_body_model

            for old in [k for k in _BODY_MODELS if k[0] == prefer]:
                del _BODY_MODELS[old]
            _BODY_MODELS[key] = load_body_model(prefer)
        return _BODY_MODELS[key]


def get_model(method: str, body_model: BodyModel | None = None, device: torch.device | None = None):
    """The loaded, eval-mode model of `method` with its checkpoint in use, cached per (checkpoint file version,
    body model, device); on the CPU its network runs in ONNX Runtime when available (core.networks.onnx;
    HMRC_FAST=off for plain PyTorch). The official checkpoint must pass its published hash (CheckpointIntegrityError
    otherwise; hashed once per file version); `model.checkpoint` is the CheckpointChoice it was loaded from."""
    body_model = default_body_model() if body_model is None else body_model
    device = default_device() if device is None else torch.device(device)
    with _LOADING:
        choice = checkpoint_for(method)
        path = require_checkpoint(method)
        if not choice.custom:
            verify_published_hash(path)
        key = (method, file_identity(path), choice.custom, id(body_model), str(device))
        if key not in _MODELS:
            model = load_model(path, method, body_model=body_model, device=device, verify=not choice.custom)
            onnx.accelerate(model, checkpoint=path)
            model.checkpoint = choice
            for old in [k for k in _MODELS if k[0] == method and k[3:] == key[3:]]:  # an older file version
                del _MODELS[old]
            _MODELS[key] = model
        return _MODELS[key]


def clear_cache() -> None:
    with _LOADING:
        _MODELS.clear()
        _BODY_MODELS.clear()


def predict(
    image_rgb: np.ndarray,
    boxes_xyxy: np.ndarray,
    methods: Iterable[str] = NETWORK_METHODS,
    body_model: BodyModel | None = None,
    fov_deg: float = DEFAULT_FOV_DEG,
    precision: str = "fp32",
    device: torch.device | None = None,
) -> dict[str, list[MeshPrediction]]:
    """RGB uint8 photo (H, W, 3) and person boxes (N, 4) xyxy → {method: one MeshPrediction per box}.

    All people of a method run as one batch. fov_deg is the photo's diagonal field of view (default:
    focal length = image diagonal); every prediction shares the same K.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")
    boxes = np.asarray(boxes_xyxy, dtype=np.float32).reshape(-1, 4)
    results = {}
    with torch.inference_mode():
        for method in methods:
            model = get_model(method, body_model, device)
            # With the network in ONNX Runtime (its own threads), what is left is small tensor work: one thread.
            threads = single_threaded() if model.fast_network is not None else nullcontext()
            with threads:
                results[method] = model.predict(image_rgb, boxes, fov_deg=fov_deg, autocast_dtype=PRECISIONS[precision])
            for prediction in results[method]:
                prediction.extras["checkpoint"] = model.checkpoint
    return results


def checkpoint_of(prediction) -> CheckpointChoice | None:
    """The checkpoint a network's prediction came from (None for the keypoint fit)."""
    return prediction.extras.get("checkpoint")
