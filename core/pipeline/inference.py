"""Run the methods on a photo: models load once per (method, body model, device) and are cached.

    from core.pipeline.inference import predict
    results = predict(image_rgb, boxes_xyxy, methods=["hmr", "hybrik"])   # {method: [MeshPrediction]}

CUDA is used when available, else the CPU, where each network runs in ONNX Runtime (`core.networks.onnx`).
`precision` 'bf16' or 'fp16' runs the backbone and head under CUDA autocast (the IK, skinning and cameras stay float32); on the CPU it is ignored.
Checkpoints are read where `core.methods.checkpoint_path` puts them.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from pathlib import Path
from typing import Iterable

import numpy as np
import torch

from core.body_models.base import BodyModel
from core.geometry import DEFAULT_FOV_DEG
from core.methods import NETWORK_METHODS, checkpoint_path
from core.networks import onnx
from core.networks.build import load_model
from core.pipeline.estimate import MeshPrediction
from core.threads import single_threaded

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
_MODELS: dict[tuple, torch.nn.Module] = {}
_BODY_MODELS: dict[str, BodyModel] = {}
_LOADING = threading.Lock()  # one load at a time: a request arriving during the start-up preload waits for it


class MissingCheckpointError(FileNotFoundError):
    """The method's checkpoint is not in the checkpoints folder."""


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def require_checkpoint(method: str) -> Path:
    """The official checkpoint of `method` (core.methods.checkpoint_path), or MissingCheckpointError saying how
    to get it when it is not there."""
    path = checkpoint_path(method)
    if not path.is_file():
        raise MissingCheckpointError(
            f"{method}: checkpoint {path.name} is not in {path.parent}. "
            f"Download it with: python -m core.weights fetch {method} (or set HMRC_CHECKPOINTS / HMRC_DATA)."
        )
    return path


def default_body_model(prefer: str = "auto") -> BodyModel:
    """The user's neutral SMPL when present, else the open body model (cached)."""
    with _LOADING:
        if prefer not in _BODY_MODELS:
            from core.body_models.load import load_body_model

            _BODY_MODELS[prefer] = load_body_model(prefer)
        return _BODY_MODELS[prefer]


def get_model(method: str, body_model: BodyModel | None = None, device: torch.device | None = None):
    """The loaded, eval-mode model of `method`, cached per (method, body model, device); on the CPU its
    network runs in ONNX Runtime when available (core.networks.onnx; HMRC_FAST=off for plain PyTorch)."""
    body_model = default_body_model() if body_model is None else body_model
    device = default_device() if device is None else torch.device(device)
    key = (method, id(body_model), str(device))
    with _LOADING:
        if key not in _MODELS:
            checkpoint = require_checkpoint(method)
            model = load_model(checkpoint, method, body_model=body_model, device=device)
            onnx.accelerate(model, checkpoint=checkpoint)
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
    return results
