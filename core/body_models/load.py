"""Pick the body model: the user's SMPL files when present, else the bundled open body model."""

from __future__ import annotations

from pathlib import Path

from core.body_models.base import BodyModel
from core.body_models.smpl import load_smpl, smpl_available

PREFERENCES = ("auto", "smpl", "open")


def load_body_model(prefer: str = "auto", gender: str = "neutral", folder: Path | None = None) -> BodyModel:
    """prefer 'auto': SMPL of `gender` if its file is in the body-model folder, else the open model;
    'smpl': SMPL or FileNotFoundError saying where to put it; 'open': the open body model (one body,
    whatever `gender` asks). `folder`: the body-model folder (default core.paths.body_models_dir())."""
    if prefer not in PREFERENCES:
        raise ValueError(f"prefer must be one of {PREFERENCES}, got {prefer!r}")
    if prefer == "smpl" or (prefer == "auto" and smpl_available(gender, folder)):
        return load_smpl(gender, folder)
    from core.body_models.open_model import load_open_body_model  # written alongside; imported on use

    return load_open_body_model()


def describe_body_model(model: BodyModel) -> str:
    """One or two lines for the UI's environment panel: which model, which file, which keypoints."""
    if model.kind == "smpl":
        name = f"SMPL ({model.gender})"
    else:
        name = f"Open body model ({model.gender}; SMPL files not found, so the bundled stand-in is used)"
    source = f" - {model.description}" if model.description else ""
    regressors = ", ".join(model.regressor_names) or "none"
    return f"{name}{source}\n{model.num_vertices} vertices, {len(model.faces)} faces; keypoint regressors: {regressors}"
