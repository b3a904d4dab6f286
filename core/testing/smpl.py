"""Stand-in SMPL files with the official shapes and pickle layout, random values (no licensed data).

The SMPL .pkl files from https://smpl.is.tue.mpg.de are Python-2 pickles (protocol 2) in which
`v_template`, `shapedirs`, `posedirs`, `weights` and `J` are chumpy objects (`chumpy.ch.Ch`, whose
pickled state holds the array under 'x'), `J_regressor` is a `scipy.sparse.csc.csc_matrix`, `f` is a
uint32 (13776, 3) array and `kintree_table` holds 4294967295 as the root's parent. The older
`basicModel_neutral_lbs_10_207_0_v1.0.0.pkl` additionally stores `J` as a `chumpy.reordering.transpose`
and chumpy expressions (`chumpy.ch_ops.add`) for `v_shaped`/`v_posed`. The writer below reproduces
that layout with fake classes whose pickled names are exactly those, so readers are tested against the
real format without chumpy installed.

Public helpers:
    write_standin_smpl(path, gender=, seed=, fmt='pkl'|'npz'|'pkl_v1', num_betas=10) -> dict of arrays
    write_standin_body_models_dir(folder, seed=0) -> a body-model folder in mmhuman3d's data/body_models layout
    make_body_model(kind='smpl', seed=0) -> the stand-in as a BodyModel, with the regressors the networks use
(tests/conftest.py turns the folder into the `standin_body_models_dir` fixture.)
"""

from __future__ import annotations

import copyreg
import pickle
from pathlib import Path

import numpy as np
import scipy.sparse

NUM_VERTS = 6890
NUM_FACES = 13776
NUM_JOINTS = 24
NUM_POSE_BASIS = 207  # 23 joints x 9 rotation-matrix entries
SMPL_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)
ROOT_PARENT_UINT32 = 4294967295  # how the official kintree_table spells "no parent"
GENDER_SEEDS = {"neutral": 0, "male": 1, "female": 2}

# Rough T-pose rest joints (metres, y up, +x = the body's left), so stand-in skeletons look like bodies.
_REST_JOINTS = np.array(
    [
        [0.00, 0.00, 0.00],
        [0.06, -0.09, 0.00],
        [-0.06, -0.09, 0.00],
        [0.00, 0.11, -0.02],
        [0.11, -0.47, 0.00],
        [-0.11, -0.47, 0.00],
        [0.00, 0.24, 0.00],
        [0.09, -0.87, -0.04],
        [-0.09, -0.87, -0.04],
        [0.00, 0.30, 0.02],
        [0.12, -0.93, 0.08],
        [-0.12, -0.93, 0.08],
        [0.00, 0.51, -0.01],
        [0.08, 0.42, 0.00],
        [-0.08, 0.42, 0.00],
        [0.00, 0.58, 0.05],
        [0.18, 0.45, -0.01],
        [-0.18, 0.45, -0.01],
        [0.44, 0.44, -0.03],
        [-0.44, 0.44, -0.03],
        [0.70, 0.45, -0.03],
        [-0.70, 0.45, -0.03],
        [0.78, 0.44, -0.04],
        [-0.78, 0.44, -0.04],
    ]
)


# ----------------------------------------------------------------------------------------------
# Random arrays with the official shapes


def standin_smpl_arrays(gender: str = "neutral", seed: int = 0, num_betas: int = 10) -> dict:
    """Plain numpy arrays of one stand-in SMPL model (what a loader must give back).

    v_template (6890, 3), shapedirs (6890, 3, num_betas), posedirs (6890, 3, 207), weights (6890, 24),
    J_regressor (24, 6890) dense, J (24, 3), f (13776, 3) uint32, kintree_table (2, 24) uint32.
    """
    rng = np.random.default_rng([seed, GENDER_SEEDS[gender]])
    owner = rng.integers(0, NUM_JOINTS, NUM_VERTS)  # (V,) joint each vertex sits near
    v_template = _REST_JOINTS[owner] + rng.normal(scale=0.04, size=(NUM_VERTS, 3))
    j_regressor = _joint_regressor(rng, owner)
    return dict(
        v_template=v_template,
        shapedirs=rng.normal(scale=0.005, size=(NUM_VERTS, 3, num_betas)),
        posedirs=rng.normal(scale=0.001, size=(NUM_VERTS, 3, NUM_POSE_BASIS)),
        weights=_skinning_weights(rng, owner),
        J_regressor=j_regressor,
        J=j_regressor @ v_template,
        f=_faces(rng),
        kintree_table=_kintree_table(),
    )


def _joint_regressor(rng, owner: np.ndarray, picks_per_row: int = 20) -> np.ndarray:
    """(24, V), each row a convex combination of vertices near that joint."""
    regressor = np.zeros((NUM_JOINTS, NUM_VERTS))
    for joint in range(NUM_JOINTS):
        near = rng.choice(np.flatnonzero(owner == joint), picks_per_row, replace=False)
        regressor[joint, near] = rng.random(picks_per_row) + 0.1
    return regressor / regressor.sum(1, keepdims=True)


def _skinning_weights(rng, owner: np.ndarray) -> np.ndarray:
    """(V, 24) rows summing to 1, mostly on the vertex's own joint, some on its parent."""
    weights = np.zeros((NUM_VERTS, NUM_JOINTS))
    parent = np.maximum(np.asarray(SMPL_PARENTS)[owner], 0)
    share = rng.uniform(0.6, 1.0, NUM_VERTS)
    np.add.at(weights, (np.arange(NUM_VERTS), owner), share)
    np.add.at(weights, (np.arange(NUM_VERTS), parent), 1.0 - share)
    return weights


def _faces(rng) -> np.ndarray:
    """(13776, 3) uint32 triangles of three distinct vertices."""
    first = rng.integers(0, NUM_VERTS, NUM_FACES)
    step = rng.integers(1, NUM_VERTS // 2, NUM_FACES)
    return np.stack([first, (first + step) % NUM_VERTS, (first + 2 * step) % NUM_VERTS], 1).astype(np.uint32)


def _kintree_table() -> np.ndarray:
    parents = np.array([ROOT_PARENT_UINT32 if p < 0 else p for p in SMPL_PARENTS], dtype=np.int64)
    return np.stack([parents, np.arange(NUM_JOINTS)]).astype(np.uint32)


def random_vertex_regressor(num_rows: int, seed: int, picks_per_row: int = 12) -> np.ndarray:
    """(K, 6890) dense rows summing to 1, like J_regressor_extra.npy / J_regressor_h36m.npy."""
    rng = np.random.default_rng([seed, num_rows])
    regressor = np.zeros((num_rows, NUM_VERTS))
    for row in range(num_rows):
        regressor[row, rng.choice(NUM_VERTS, picks_per_row, replace=False)] = rng.random(picks_per_row) + 0.1
    return regressor / regressor.sum(1, keepdims=True)


# ----------------------------------------------------------------------------------------------
# Python-2 style pickles with chumpy objects


class _PickledAs:
    """Base of the fake classes: pickled under `pickled_name` with `state` as their __dict__."""

    pickled_name = ("", "")

    def __init__(self, state: dict):
        self.state = state

    def __reduce_ex__(self, protocol):
        return (copyreg.__newobj__, (type(self),), self.state)  # pickled as NEWOBJ, then BUILD(state)


def _fake_class(module: str, name: str) -> type:
    return type(name, (_PickledAs,), {"pickled_name": (module, name)})


FakeCh = _fake_class("chumpy.ch", "Ch")
FakeTranspose = _fake_class("chumpy.reordering", "transpose")
FakeAdd = _fake_class("chumpy.ch_ops", "add")
FakeCscMatrix = _fake_class("scipy.sparse.csc", "csc_matrix")


def chumpy_ch(array: np.ndarray) -> FakeCh:
    """A `chumpy.ch.Ch` as chumpy pickles it: __dict__ minus '_parents'/'_cache'."""
    return FakeCh(
        {
            "_dirty_vars": {"x"},
            "_itr": None,
            "_make_dense": False,
            "_make_sparse": False,
            "_depends_on_deps": {},
            "x": np.asarray(array, dtype=np.float64),
        }
    )


def _chumpy_op(cls: type, **terms) -> _PickledAs:
    state = {
        "_dirty_vars": set(terms),
        "_itr": None,
        "_make_dense": False,
        "_make_sparse": False,
        "_depends_on_deps": {},
    }
    state.update(terms)
    return cls(state)


def _old_scipy_csc(dense: np.ndarray) -> FakeCscMatrix:
    """A csc_matrix as scipy 0.x (Python 2) pickled it: module `scipy.sparse.csc`, state = __dict__."""
    sparse = scipy.sparse.csc_matrix(dense)
    return FakeCscMatrix(
        {
            "_shape": sparse.shape,
            "maxprint": 50,
            "format": "csc",
            "data": sparse.data,
            "indices": sparse.indices,
            "indptr": sparse.indptr,
        }
    )


class Python2StylePickler(pickle._Pickler):
    """Protocol-2 pickler that writes what Python 2 wrote: str/bytes as byte strings, and fake classes
    under their historical global names (chumpy.ch Ch, scipy.sparse.csc csc_matrix, ...).

    Built on the pure-Python pickler because only it lets a subclass choose how globals and strings are
    written; this is test-only code."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file):
        super().__init__(file, protocol=2)

    def save_global(self, obj, name=None):
        if isinstance(obj, type) and issubclass(obj, _PickledAs):
            module, qualname = obj.pickled_name
            self.write(pickle.GLOBAL + f"{module}\n{qualname}\n".encode("ascii"))
            self.memoize(obj)
            return
        super().save_global(obj, name)

    def save_byte_string(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode("latin1")
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + len(data).to_bytes(4, "little") + data)
        self.memoize(obj)

    def save_text(self, obj):
        if obj.isascii():
            self.save_byte_string(obj)
        else:
            super().save_str(obj)

    dispatch[bytes] = save_byte_string
    dispatch[str] = save_text


def _smpl_pickle_dict(arrays: dict, fmt: str) -> dict:
    """The key layout of SMPL_*.pkl (v1.0/v1.1) or of basicModel_*_v1.0.0.pkl (fmt 'pkl_v1')."""
    content = {
        "J_regressor_prior": _old_scipy_csc(arrays["J_regressor"]),
        "f": arrays["f"],
        "J_regressor": _old_scipy_csc(arrays["J_regressor"]),
        "kintree_table": arrays["kintree_table"],
        "J": chumpy_ch(arrays["J"]),
        "weights_prior": arrays["weights"],
        "weights": chumpy_ch(arrays["weights"]),
        "vert_sym_idxs": np.arange(NUM_VERTS, dtype=np.int64)[::-1].copy(),
        "posedirs": chumpy_ch(arrays["posedirs"]),
        "pose_training_info": {"dataset": "standin", "num_poses": 0},
        "bs_style": "lbs",
        "v_template": chumpy_ch(arrays["v_template"]),
        "shapedirs": chumpy_ch(arrays["shapedirs"]),
        "bs_type": "lrotmin",
    }
    if fmt == "pkl_v1":
        content["J"] = _chumpy_op(FakeTranspose, a=chumpy_ch(arrays["J"].T), axes=None)
        content["pose"] = chumpy_ch(np.zeros(72))
        content["betas"] = chumpy_ch(np.zeros(arrays["shapedirs"].shape[-1]))
        content["trans"] = chumpy_ch(np.zeros(3))
        content["v_shaped"] = _chumpy_op(FakeAdd, a=content["v_template"], b=chumpy_ch(np.zeros((NUM_VERTS, 3))))
    return content


def write_standin_smpl(path, *, gender: str = "neutral", seed: int = 0, fmt: str = "pkl", num_betas: int = 10) -> dict:
    """Write one stand-in SMPL model file; returns its plain arrays (see standin_smpl_arrays).

    fmt: 'pkl' (SMPL_*.pkl layout, chumpy objects), 'pkl_v1' (basicModel_*_v1.0.0.pkl layout, also
    chumpy expressions) or 'npz' (plain arrays, no pickles). num_betas: 10, or 300 as in SMPL v1.1.
    """
    arrays = standin_smpl_arrays(gender, seed, num_betas)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "npz":
        np.savez(path, **arrays)
    elif fmt in ("pkl", "pkl_v1"):
        with open(path, "wb") as file:
            Python2StylePickler(file).dump(_smpl_pickle_dict(arrays, fmt))
    else:
        raise ValueError(f"fmt must be 'pkl', 'pkl_v1' or 'npz', got {fmt!r}")
    return arrays


# ----------------------------------------------------------------------------------------------
# The body_models folder (mmhuman3d's data/body_models layout)


def write_standin_body_models_dir(folder, seed: int = 0) -> Path:
    """Lay out `folder` like mmhuman3d's data/body_models with stand-in files (all of them)."""
    folder = Path(folder)
    for gender in ("neutral", "male", "female"):
        write_standin_smpl(folder / "smpl" / f"SMPL_{gender.upper()}.pkl", gender=gender, seed=seed)
    write_standin_smpl(folder / "basicModel_neutral_lbs_10_207_0_v1.0.0.pkl", seed=seed, fmt="pkl_v1")
    np.save(folder / "J_regressor_extra.npy", random_vertex_regressor(9, seed))
    np.save(folder / "J_regressor_h36m.npy", random_vertex_regressor(17, seed))
    np.savez(folder / "smpl_mean_params.npz", **standin_mean_params(seed))
    np.save(folder / "h36m_mean_beta.npy", np.random.default_rng([seed, 10]).normal(scale=0.5, size=10))
    return folder


def standin_mean_params(seed: int = 0) -> dict:
    """pose (144,) = 24 near-identity rotations in 6D (row-major 3x2), the root turned 180 deg about x
    (upside down, as in the real file); shape (10,); cam (3,) = [0.9, 0, 0]."""
    rng = np.random.default_rng([seed, 144])
    pose_6d = np.tile([1.0, 0.0, 0.0, 1.0, 0.0, 0.0], (NUM_JOINTS, 1))
    pose_6d[0] = [1.0, 0.0, 0.0, -1.0, 0.0, 0.0]  # rotation diag(1, -1, -1)
    pose_6d += rng.normal(scale=0.02, size=pose_6d.shape)
    return dict(pose=pose_6d.reshape(-1), shape=rng.normal(scale=0.1, size=10), cam=np.array([0.9, 0.0, 0.0]))


def make_body_model(kind: str = "smpl", seed: int = 0):
    """A BodyModel with SMPL's shapes and random stand-in arrays, plus the regressors the models use."""
    from core.body_models.base import BodyModel
    from core.body_models.landmarks import hybrik_leaf_5_regressor

    arrays = standin_smpl_arrays("neutral", seed=seed)
    num_verts = arrays["v_template"].shape[0]
    rng = np.random.default_rng(seed)
    h36m = rng.random((17, num_verts)) * (rng.random((17, num_verts)) < 0.002)
    h36m = h36m / h36m.sum(1, keepdims=True)
    posedirs = arrays["posedirs"].reshape(-1, 207).T if kind == "smpl" else None
    return BodyModel(
        kind=kind,
        gender="neutral",
        v_template=arrays["v_template"],
        shapedirs=arrays["shapedirs"],
        J_regressor=arrays["J_regressor"],
        lbs_weights=arrays["weights"],
        faces=arrays["f"].astype(np.int64),
        posedirs=posedirs,
        regressors={"hybrik_leaf_5": hybrik_leaf_5_regressor(), "h36m_17": h36m},
    )
