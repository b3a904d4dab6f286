"""Where files live: the repository's own assets, and the data folders (read from the environment by
core.settings; one variable moves everything: HMRC_DATA).

The data folder follows mmhuman3d's `data/` layout so users can point it at files they already have:

    $HMRC_DATA/                    (default: <repo>/data)
    ├── body_models/               (override: HMRC_BODY_MODELS)
    │   ├── J_regressor_extra.npy, J_regressor_h36m.npy, smpl_mean_params.npz, h36m_mean_beta.npy
    │   ├── basicModel_neutral_lbs_10_207_0_v1.0.0.pkl
    │   └── smpl/SMPL_{NEUTRAL,MALE,FEMALE}.pkl
    ├── checkpoints/               (override: HMRC_CHECKPOINTS) the three method checkpoints
    ├── pretrained_models/, static_fits/, preprocessed_datasets/, datasets/
"""

from __future__ import annotations

from pathlib import Path

from core.settings import data_folders

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = REPO_ROOT / "assets"
EXAMPLES_DIR = ASSETS_DIR / "examples"
BENCHMARK_DIR = ASSETS_DIR / "benchmark"
OPEN_BODY_MODEL_FILE = ASSETS_DIR / "body_models" / "open_body_model.npz"
DEFAULT_DATA_DIR = REPO_ROOT / "data"


def data_root() -> Path:
    """The mmhuman3d-style data folder (env HMRC_DATA, default <repo>/data)."""
    return data_folders().data


def body_models_dir() -> Path:
    """Folder holding SMPL files and regressors (env HMRC_BODY_MODELS, default $HMRC_DATA/body_models)."""
    return data_folders().body_models


def checkpoints_dir() -> Path:
    """Folder holding method checkpoints (env HMRC_CHECKPOINTS, default $HMRC_DATA/checkpoints)."""
    return data_folders().checkpoints
