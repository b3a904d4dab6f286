"""Read SMPL model files (.pkl from the SMPL website, or .npz) into plain numpy arrays, without chumpy.

The official .pkl files are Python-2 pickles (read with encoding='latin1') whose arrays are partly
chumpy objects: `chumpy.ch.Ch` keeps its array in its pickled state under 'x', and the v1.0.0
`basicModel_*` files also hold expressions such as `chumpy.reordering.transpose` (J) or
`chumpy.ch_ops.add` (v_shaped). `J_regressor` is a `scipy.sparse.csc.csc_matrix` (old module name).

Unpickling can run arbitrary code, so `SMPLUnpickler` resolves only the globals such files need:
numpy's array reconstruction, scipy sparse matrices (rebuilt from their data/indices/indptr), chumpy
classes (turned into inert state holders) and a few builtins. Anything else, e.g. `os.system`, raises
`pickle.UnpicklingError` naming the refused global.
"""

from __future__ import annotations

import codecs
import copyreg
import pickle
from pathlib import Path

import numpy as np
import scipy.sparse

SMPL_WEBSITE = "https://smpl.is.tue.mpg.de"  # SMPL's files, after registering
SMPL_LICENSE_URL = "https://smpl.is.tue.mpg.de/modellicense.html"

SAFE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): np.core.multiarray._reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): np.core.multiarray._reconstruct,
    ("numpy.core.multiarray", "scalar"): np.core.multiarray.scalar,
    ("numpy._core.multiarray", "scalar"): np.core.multiarray.scalar,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "object"): object,
    ("copyreg", "_reconstructor"): copyreg._reconstructor,
    # Python 2 spellings (a find_class override sees names before fix_imports maps them)
    ("__builtin__", "set"): set,
    ("__builtin__", "frozenset"): frozenset,
    ("__builtin__", "object"): object,
    ("copy_reg", "_reconstructor"): copyreg._reconstructor,
    ("_codecs", "encode"): codecs.encode,  # bytes in pickles re-saved by Python 3
}
SPARSE_MODULES = (
    "scipy.sparse.csc",
    "scipy.sparse._csc",
    "scipy.sparse.csr",
    "scipy.sparse._csr",
    "scipy.sparse.coo",
    "scipy.sparse._coo",
)


class ChumpyState:
    """What a chumpy object becomes: its class name and its pickled __dict__ (no behaviour)."""

    chumpy_class = "chumpy.ch.Ch"

    def __setstate__(self, state):
        self.state = state


class SparseState:
    """A scipy sparse matrix as pickled (data, indices, indptr, shape), rebuilt later by `to_array`."""

    sparse_class = "csc_matrix"

    def __setstate__(self, state):
        self.state = state


class SMPLUnpickler(pickle.Unpickler):
    """Restricted unpickler for SMPL-family model files; see the module docstring."""

    def find_class(self, module: str, name: str):
        if (module, name) in SAFE_GLOBALS:
            return SAFE_GLOBALS[(module, name)]
        if module == "chumpy" or module.startswith("chumpy."):
            return type(name, (ChumpyState,), {"chumpy_class": f"{module}.{name}"})
        if module in SPARSE_MODULES and name.endswith(("_matrix", "_array")):
            return type(name, (SparseState,), {"sparse_class": name})
        raise pickle.UnpicklingError(
            f"refused global '{module}.{name}' while reading an SMPL model file: such files only need "
            "numpy arrays, scipy sparse matrices and chumpy arrays. The file is not an official SMPL "
            f"model file (or is corrupted); download it again from {SMPL_WEBSITE}"
        )


class UnevaluatedChumpy(Exception):
    """A chumpy expression this reader does not compute (e.g. ch_ops.add); its key is dropped."""


def chumpy_to_array(node: ChumpyState) -> np.ndarray:
    """Evaluate the chumpy nodes SMPL/MANO files use: Ch, transpose, reshape, Select."""
    kind, state = node.chumpy_class.rsplit(".", 1)[-1], node.state
    if kind == "Ch":
        return np.asarray(state["x"])
    if kind == "transpose":
        return np.transpose(to_array(state["a"]), state.get("axes"))
    if kind == "reshape":
        return np.reshape(to_array(state["a"]), state["newshape"])
    if kind == "Select":
        return to_array(state["a"]).ravel()[np.asarray(state["idxs"])].reshape(state["preferred_shape"])
    raise UnevaluatedChumpy(node.chumpy_class)


def sparse_to_array(node: SparseState) -> np.ndarray:
    state = node.state
    shape = state.get("_shape", state.get("shape"))
    if node.sparse_class.startswith("coo"):
        matrix = scipy.sparse.coo_matrix((state["data"], (state["row"], state["col"])), shape=shape)
    else:
        build = scipy.sparse.csc_matrix if node.sparse_class.startswith("csc") else scipy.sparse.csr_matrix
        matrix = build((state["data"], state["indices"], state["indptr"]), shape=shape)
    return matrix.toarray()


def to_array(value) -> np.ndarray:
    if isinstance(value, ChumpyState):
        return chumpy_to_array(value)
    if isinstance(value, SparseState):
        return sparse_to_array(value)
    return np.asarray(value)


def read_smpl_pkl(path: Path) -> dict:
    """A Python-2 SMPL pickle → {key: ndarray or str}; sparse matrices become dense arrays.

    Chumpy expressions that are not plain arrays (v_shaped, v_posed of v1.0.0 files) and non-array
    entries (pose_training_info) are left out: they are derived data no loader needs.
    """
    with open(path, "rb") as file:
        content = SMPLUnpickler(file, encoding="latin1").load()
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a dict of arrays in an SMPL .pkl, found {type(content).__name__}")
    arrays = {}
    for key, value in content.items():
        if isinstance(value, str):
            arrays[key] = value
        elif isinstance(value, (np.ndarray, ChumpyState, SparseState)):
            try:
                arrays[key] = to_array(value)
            except UnevaluatedChumpy:
                continue
    return arrays


def read_smpl_npz(path: Path) -> dict:
    """An .npz with SMPL's keys → {key: ndarray}; never unpickles."""
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def read_smpl_file(path) -> dict:
    """Read an SMPL model file (.pkl or .npz) into a plain dict of numpy arrays (and 'bs_type' strings).

    Keys as in the official files: v_template (6890, 3), shapedirs (6890, 3, 10 or 300),
    posedirs (6890, 3, 207), J_regressor (24, 6890) dense, weights (6890, 24), f (13776, 3),
    kintree_table (2, 24), J (24, 3), ...
    """
    path = Path(path)
    if path.suffix == ".pkl":
        return read_smpl_pkl(path)
    if path.suffix == ".npz":
        return read_smpl_npz(path)
    raise ValueError(f"{path}: SMPL model files end in .pkl or .npz")
