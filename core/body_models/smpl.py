"""SMPL from the user's licensed files, as a `BodyModel` (kind 'smpl'), plus its auxiliary files.

Files are looked up in the body-model folder (`core.paths.body_models_dir()`: env HMRC_BODY_MODELS, or
$HMRC_DATA/body_models) in mmhuman3d's layout:

    smpl/SMPL_{NEUTRAL,MALE,FEMALE}.pkl  (or .npz)   from https://smpl.is.tue.mpg.de after registering
    basicModel_neutral_lbs_10_207_0_v1.0.0.pkl       neutral fallback (HybrIK's download, same licence)
    J_regressor_extra.npy (9, 6890), J_regressor_h36m.npy (17, 6890), smpl_mean_params.npz, h36m_mean_beta.npy

The arrays are turned into buffers exactly as smplx.SMPL does (shapedirs cut to 10 betas; posedirs
(6890, 3, 207) → (207, 20670); parents from kintree_table with the root set to -1), so posing equals
smplx.SMPL (tests/core/body_models/test_smpl_files.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core import paths
from core.body_models.base import NUM_BETAS, NUM_JOINTS, SMPL_PARENTS, BodyModel
from core.body_models.landmarks import (
    NUM_SMPL_VERTICES,
    hybrik_leaf_5_regressor,
    mediapipe_surface_regressor,
    smplx_21_regressor,
)
from core.body_models.smpl_files import SMPL_WEBSITE, read_smpl_file

GENDERS = ("neutral", "male", "female")
NEUTRAL_FALLBACK = "basicModel_neutral_lbs_10_207_0_v1.0.0.pkl"  # HybrIK's download of the neutral model
REGRESSOR_FILES = {"h36m_17": "J_regressor_h36m.npy", "extra_9": "J_regressor_extra.npy"}  # name → file
FOLDER_HINT = (
    "The body-model folder is $HMRC_BODY_MODELS, else $HMRC_DATA/body_models (HMRC_DATA defaults to <repo>/data)."
)


def smpl_candidates(gender: str, folder: Path | None = None) -> list[Path]:
    """Paths tried for the SMPL model of `gender`, in order of preference."""
    _check_gender(gender)
    folder = Path(folder) if folder is not None else paths.body_models_dir()
    stem = folder / "smpl" / f"SMPL_{gender.upper()}"
    candidates = [stem.with_suffix(".pkl"), stem.with_suffix(".npz")]
    if gender == "neutral":
        candidates.append(folder / NEUTRAL_FALLBACK)
    return candidates


def find_smpl_file(gender: str = "neutral", folder: Path | None = None) -> Path:
    """The first existing SMPL file for `gender`; FileNotFoundError saying where to put which file."""
    candidates = smpl_candidates(gender, folder)
    for path in candidates:
        if path.is_file():
            return path
    also = "".join(f"\n  or {path}" for path in candidates[1:])
    raise FileNotFoundError(
        f"SMPL {gender} model not found. Put SMPL_{gender.upper()}.pkl (from the SMPL website "
        f"{SMPL_WEBSITE}, after registering and accepting the SMPL licence) at\n  {candidates[0]}{also}\n"
        f"{FOLDER_HINT} `python -m core.weights list` shows every file and its status."
    )


def smpl_available(gender: str = "neutral", folder: Path | None = None) -> bool:
    return any(path.is_file() for path in smpl_candidates(gender, folder))


def load_smpl(gender: str = "neutral", folder: Path | None = None) -> BodyModel:
    """The SMPL model of `gender` with regressors smplx_21, hybrik_leaf_5, mediapipe_surface_21, and
    extra_9 / h36m_17 when J_regressor_extra.npy / J_regressor_h36m.npy are in the folder."""
    path = find_smpl_file(gender, folder)
    arrays = smpl_buffers(read_smpl_file(path), path)
    regressors = {
        "smplx_21": smplx_21_regressor(),
        "hybrik_leaf_5": hybrik_leaf_5_regressor(),
        "mediapipe_surface_21": mediapipe_surface_regressor(arrays["J_regressor"]),
    }
    for name, file_name in REGRESSOR_FILES.items():
        regressor_path = _aux_path(file_name, folder)
        if regressor_path.is_file():
            regressors[name] = _load_regressor(regressor_path)
    return BodyModel(kind="smpl", gender=gender, regressors=regressors, description=f"SMPL {gender} ({path})", **arrays)


def smpl_buffers(raw: dict, path: Path) -> dict:
    """Official SMPL arrays → BodyModel arguments, converted as smplx.SMPL converts them."""
    _check_shapes(raw, path)
    parents = raw["kintree_table"][0].astype(np.int64)
    parents[0] = -1  # the files store the root's parent as 2**32 - 1
    if tuple(parents) != SMPL_PARENTS:
        raise ValueError(f"{path}: kintree_table parents {tuple(parents)} are not SMPL's {SMPL_PARENTS}")
    num_pose_basis = raw["posedirs"].shape[-1]
    return dict(
        v_template=raw["v_template"],
        shapedirs=raw["shapedirs"][:, :, :NUM_BETAS],
        posedirs=np.reshape(raw["posedirs"], (-1, num_pose_basis)).T,  # (207, 6890 * 3)
        J_regressor=raw["J_regressor"],
        lbs_weights=raw["weights"],
        faces=raw["f"],
        parents=parents,
    )


def _check_shapes(raw: dict, path: Path) -> None:
    expected = {
        "v_template": (NUM_SMPL_VERTICES, 3),
        "weights": (NUM_SMPL_VERTICES, NUM_JOINTS),
        "J_regressor": (NUM_JOINTS, NUM_SMPL_VERTICES),
        "posedirs": (NUM_SMPL_VERTICES, 3, 207),
        "kintree_table": (2, NUM_JOINTS),
    }
    missing = [key for key in (*expected, "shapedirs", "f") if key not in raw]
    if missing:
        raise ValueError(f"{path}: not an SMPL model file, keys {missing} are missing (has {sorted(raw)})")
    for key, shape in expected.items():
        if raw[key].shape != shape:
            raise ValueError(f"{path}: {key} has shape {raw[key].shape}, SMPL's is {shape}")
    if raw["shapedirs"].shape[:2] != (NUM_SMPL_VERTICES, 3) or raw["shapedirs"].shape[2] < NUM_BETAS:
        raise ValueError(f"{path}: shapedirs has shape {raw['shapedirs'].shape}, expected (6890, 3, >= 10)")


# ----------------------------------------------------------------------------------------------
# Auxiliary files (mmhuman3d downloads; URLs in core.weights)


def _aux_path(file_name: str, folder: Path | None) -> Path:
    return (Path(folder) if folder is not None else paths.body_models_dir()) / file_name


def _require(file_name: str, folder: Path | None) -> Path:
    path = _aux_path(file_name, folder)
    if not path.is_file():
        from core.weights import FILES  # the download table lives with the weight manager

        raise FileNotFoundError(
            f"{file_name} not found at\n  {path}\nRun `python -m core.weights fetch {file_name}`, or download it "
            f"from\n  {FILES[file_name].url}\nand put it there. {FOLDER_HINT}"
        )
    return path


def _load_regressor(path: Path) -> np.ndarray:
    regressor = np.load(path, allow_pickle=False)
    if regressor.ndim != 2 or regressor.shape[1] != NUM_SMPL_VERTICES:
        raise ValueError(f"{path}: expected a (K, 6890) vertex regressor, found shape {regressor.shape}")
    return regressor


def load_j_regressor_extra(folder: Path | None = None) -> np.ndarray:
    """(9, 6890) SPIN's extra joints: rows are smpl_54 joints 45..53 (core.joints)."""
    return _load_regressor(_require(REGRESSOR_FILES["extra_9"], folder))


def load_j_regressor_h36m(folder: Path | None = None) -> np.ndarray:
    """(17, 6890) the Human3.6M joints of every 3DPW evaluation, in h36m_17 order."""
    return _load_regressor(_require(REGRESSOR_FILES["h36m_17"], folder))


def load_smpl_mean_params(folder: Path | None = None) -> dict[str, np.ndarray]:
    """SPIN's smpl_mean_params.npz: 'pose' (144,) 24 rotations in 6D, 'shape' (10,), 'cam' (3,), float32."""
    path = _require("smpl_mean_params.npz", folder)
    expected = {"pose": (144,), "shape": (NUM_BETAS,), "cam": (3,)}
    with np.load(path, allow_pickle=False) as archive:
        params = {key: archive[key].astype(np.float32).reshape(-1) for key in expected if key in archive}
    for key, shape in expected.items():
        if key not in params or params[key].shape != shape:
            raise ValueError(
                f"{path}: '{key}' should have shape {shape}, found {params[key].shape if key in params else 'nothing'}"
            )
    return params


def load_h36m_mean_beta(folder: Path | None = None) -> np.ndarray:
    """(10,) float32 HybrIK's mean shape."""
    path = _require("h36m_mean_beta.npy", folder)
    beta = np.load(path, allow_pickle=False).astype(np.float32).reshape(-1)
    if beta.shape != (NUM_BETAS,):
        raise ValueError(f"{path}: expected 10 betas, found shape {beta.shape}")
    return beta


def _check_gender(gender: str) -> None:
    if gender not in GENDERS:
        raise ValueError(f"gender must be one of {GENDERS}, got {gender!r}")
