"""Independent check: `python -m train.prepare`'s converters against mmhuman3d 0.11.0's own data converters, run on
the same miniature raw datasets (train/prepare/miniatures.py), every array of every output compared.

Runs in the separate environment that has mmhuman3d (see scripts/compare_with_mmhuman3d.py for how it is built),
with the converters' extra readers installed there too:

    /tmp/mmh/bin/pip install cdflib==1.3.16 ijson==3.6.0 pillow==12.3.0
    PYTHONPATH=. /tmp/mmh/bin/python scripts/compare_converters_with_mmhuman3d.py [--write docs/mmhuman3d_equivalence.md]

For each output file: the same keys; per array the same dtype and shape and values equal (exact, or within 1e-6
where the float maths differs: only GTA-Human's SMPL joints); dicts and lists of dicts compared entry by entry;
the reserved keys (__data_len__, __keypoints_compressed__, __key_strict__) too. Prints a Markdown table and, with
--write, puts it in the "Data converters" section of docs/mmhuman3d_equivalence.md.

Shims (only what running mmhuman3d 0.11.0's converters on this CPU machine with numpy 1.26 needs):
- the shims of scripts/compare_with_mmhuman3d.py to import mmhuman3d (torchvision stub, mmcv version);
- `mmhuman3d.data.data_converters` and `mmhuman3d.core.cameras` are imported module by module (their package
  __init__ files import every converter / pytorch3d, which are not installable here); CameraParameter itself is
  plain Python and runs unchanged;
- `np.bool = bool`: Pw3dConverter calls `astype(np.bool)`, removed in numpy 1.24;
- `os.listdir` returns sorted names inside Pw3dConverter and AmassConverter: mmhuman3d takes the file system's
  order there (arbitrary on ext4), this project takes sorted order; without the shim only the order can differ;
- GTA-Human: `build_cameras` is replaced by a pinhole camera u = f·x/z + cx, v = f·y/z + cy (mmhuman3d's goes
  through pytorch3d, not installable), so keypoints2d is compared under that assumption only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import types
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
FLOAT_TOLERANCE = 1e-6
SECTION = "## Data converters"


# ----------------------------------------------------------------------------------------------
# Importing mmhuman3d's converters


def import_converters() -> types.SimpleNamespace:
    warnings.filterwarnings("ignore")
    sys.modules.setdefault("torchvision", types.ModuleType("torchvision"))
    import mmcv

    mmcv.__version__ = "1.6.0"
    import mmhuman3d

    base = Path(mmhuman3d.__file__).parent
    _stub("mmhuman3d.core.cameras", base / "core" / "cameras", build_cameras=lambda cfg: PinholeCamera(cfg))
    _stub("mmhuman3d.core.cameras.cameras", None, PerspectiveCameras=object)
    _stub("mmhuman3d.data.data_converters", base / "data" / "data_converters")
    np.bool = bool
    from mmhuman3d.data.data_converters import (
        amass,
        coco,
        coco_hybrik,
        gta_human,
        h36m,
        h36m_hybrik,
        lsp,
        lsp_extended,
        mpi_inf_3dhp,
        mpi_inf_3dhp_hybrik,
        mpii,
        pw3d,
        pw3d_hybrik,
        spin,
    )

    for module in (pw3d, amass):
        module.os = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if not k.startswith("__")})
        module.os.listdir = lambda path: sorted(os.listdir(path))
    return types.SimpleNamespace(
        version=mmhuman3d.__version__,
        pw3d=pw3d.Pw3dConverter,
        pw3d_hybrik=pw3d_hybrik.Pw3dHybrIKConverter,
        h36m=h36m.H36mConverter,
        h36m_hybrik=h36m_hybrik.H36mHybrIKConverter,
        mpi=mpi_inf_3dhp.MpiInf3dhpConverter,
        mpi_hybrik=mpi_inf_3dhp_hybrik.MpiInf3dhpHybrIKConverter,
        lsp=lsp.LspConverter,
        lspet=lsp_extended.LspExtendedConverter,
        mpii=mpii.MpiiConverter,
        coco=coco.CocoConverter,
        coco_hybrik=coco_hybrik.CocoHybrIKConverter,
        spin=spin.SpinConverter,
        amass=amass.AmassConverter,
        gta=gta_human.GTAHumanConverter,
    )


def _stub(name: str, path: Path | None = None, **attrs) -> None:
    module = types.ModuleType(name)
    if path is not None:
        module.__path__ = [str(path)]
    module.__dict__.update(attrs)
    sys.modules[name] = module


class PinholeCamera:
    """Stands in for mmhuman3d's pytorch3d PerspectiveCameras(convention='opencv', in_ndc=False)."""

    def __init__(self, cfg: dict):
        self.focal, self.center = float(cfg["focal_length"]), cfg["principal_point"]

    def to(self, device):
        return self

    def transform_points_screen(self, points):
        import torch

        u = points[..., 0] / points[..., 2] * self.focal + self.center[0]
        v = points[..., 1] / points[..., 2] * self.focal + self.center[1]
        return torch.stack([u, v, points[..., 2]], -1)


# ----------------------------------------------------------------------------------------------
# Comparing two HumanData files


@dataclass
class Comparison:
    name: str
    samples: int
    keys: int
    exact: int
    max_float_diff: float
    problems: list[str]
    notes: list[str] = None


def compare_files(ours: Path, theirs: Path, adjust: Callable | None = None) -> Comparison:
    a, b = dict(np.load(ours, allow_pickle=True)), dict(np.load(theirs, allow_pickle=True))  # files made here
    problems = []
    notes = adjust(a, b) if adjust else []
    if set(a) != set(b):
        problems.append(f"keys only ours: {sorted(set(a) - set(b))}, only mmhuman3d: {sorted(set(b) - set(a))}")
    exact, worst = 0, 0.0
    for key in sorted(set(a) & set(b)):
        same, diff = _compare(a[key], b[key], key, problems)
        exact += same
        worst = max(worst, diff)
    samples = int(b["__data_len__"]) if "__data_len__" in b else -1
    return Comparison(ours.name, samples, len(b), exact, worst, problems, notes)


def _compare(x, y, where: str, problems: list[str]) -> tuple[bool, float]:
    """(equal exactly, max float difference); differences beyond tolerance go to `problems`."""
    if isinstance(x, np.ndarray) and x.dtype == object and x.ndim == 0:
        x = x.item()
    if isinstance(y, np.ndarray) and y.dtype == object and y.ndim == 0:
        y = y.item()
    if isinstance(x, dict) or isinstance(y, dict):
        if not (isinstance(x, dict) and isinstance(y, dict)) or list(x) != list(y):
            problems.append(
                f"{where}: dict keys {list(x) if isinstance(x, dict) else type(x)} vs "
                f"{list(y) if isinstance(y, dict) else type(y)}"
            )
            return False, 0.0
        results = [_compare(x[k], y[k], f"{where}.{k}", problems) for k in x]
        return all(r[0] for r in results), max([r[1] for r in results], default=0.0)
    if isinstance(x, (list, tuple)) or (isinstance(x, np.ndarray) and x.dtype == object):
        if len(x) != len(y):
            problems.append(f"{where}: {len(x)} vs {len(y)} entries")
            return False, 0.0
        results = [_compare(p, q, f"{where}[{i}]", problems) for i, (p, q) in enumerate(zip(x, y))]
        return all(r[0] for r in results), max([r[1] for r in results], default=0.0)
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype != y.dtype or x.shape != y.shape:
        problems.append(f"{where}: {x.dtype}{x.shape} vs mmhuman3d {y.dtype}{y.shape}")
        return False, 0.0
    if x.dtype.kind in "fc":
        diff = float(np.max(np.abs(x - y))) if x.size else 0.0
        if np.isnan(diff) or diff > FLOAT_TOLERANCE:
            problems.append(f"{where}: max |diff| {diff:.3g}")
        return diff == 0.0, diff
    if not np.array_equal(x, y):
        problems.append(f"{where}: values differ")
        return False, 0.0
    return True, 0.0


# ----------------------------------------------------------------------------------------------
# The cases


@dataclass
class Case:
    dataset: str
    build: Callable[[Path], None]  # writes the miniature under root
    ours: list[list[str]]  # train.prepare argument lists ({root} replaced)
    theirs: Callable  # (mmh, root, out) → None
    files: list[str]
    adjust: Callable | None = None  # (ours, theirs) → notes: a documented difference checked, then set aside


def cases() -> list[Case]:
    from train.prepare import miniatures as m

    return [
        Case(
            "3DPW",
            lambda r: m.write_pw3d(r),
            [["pw3d", "--raw", "{root}/pw3d", "--split", "test"]],
            lambda mmh, r, o: mmh.pw3d(modes=["test"]).convert(str(r / "pw3d"), str(o)),
            ["pw3d_test.npz"],
        ),
        Case(
            "3DPW (HybrIK json)",
            lambda r: (m.write_pw3d(r), m.write_pw3d_hybrik(r)),
            [["pw3d_hybrik", "--raw", "{root}/hybrik_data"]],
            lambda mmh, r, o: mmh.pw3d_hybrik().convert(str(r / "hybrik_data"), str(o)),
            ["hybrik_pw3d_test.npz"],
        ),
        Case(
            "Human3.6M + MoSh",
            lambda r: m.write_h36m(r),
            [["h36m", "--raw", "{root}/h36m", "--mosh", "{root}/h36m_mosh"]],
            lambda mmh, r, o: mmh.h36m(modes=["train"], protocol=1, mosh_dir=str(r / "h36m_mosh")).convert(
                str(r / "h36m"), str(o)
            ),
            ["h36m_mosh_train.npz"],
        ),
        Case(
            "Human3.6M, no MoSh, valid p1/p2",
            lambda r: m.write_h36m(r, mosh=False),
            [
                ["h36m", "--raw", "{root}/h36m"],
                ["h36m", "--raw", "{root}/h36m", "--split", "valid"],
                ["h36m", "--raw", "{root}/h36m", "--split", "valid", "--protocol", "2"],
            ],
            _h36m_plain,
            ["h36m_train.npz", "h36m_valid_protocol1.npz", "h36m_valid_protocol2.npz"],
        ),
        Case(
            "Human3.6M, frames from videos",
            lambda r: m.write_h36m(r, videos=True, images=False),
            [["h36m", "--raw", "{root}/h36m", "--extract-frames", "--mosh", "{root}/h36m_mosh"]],
            lambda mmh, r, o: mmh.h36m(
                modes=["train"], protocol=1, extract_img=True, mosh_dir=str(r / "h36m_mosh")
            ).convert(str(r / "h36m"), str(o)),
            ["h36m_mosh_train.npz"],
        ),
        Case(
            "Human3.6M (HybrIK json)",
            lambda r: m.write_h36m_hybrik(r),
            [["h36m_hybrik", "--raw", "{root}/hybrik_data"]],
            lambda mmh, r, o: mmh.h36m_hybrik(modes=["train"]).convert(str(r / "hybrik_data"), str(o)),
            ["hybrik_h36m_train.npz"],
        ),
        Case(
            "MPI-INF-3DHP train + test",
            lambda r: m.write_mpi_inf_3dhp(r),
            [
                ["mpi_inf_3dhp", "--raw", "{root}/mpi_inf_3dhp"],
                ["mpi_inf_3dhp", "--raw", "{root}/mpi_inf_3dhp", "--split", "test"],
            ],
            lambda mmh, r, o: mmh.mpi(modes=["train", "test"]).convert(str(r / "mpi_inf_3dhp"), str(o)),
            ["mpi_inf_3dhp_train.npz", "mpi_inf_3dhp_test.npz"],
        ),
        Case(
            "MPI-INF-3DHP, frames from videos",
            lambda r: m.write_mpi_inf_3dhp(r, videos=True, frames=False, test=False),
            [["mpi_inf_3dhp", "--raw", "{root}/mpi_inf_3dhp", "--extract-frames"]],
            lambda mmh, r, o: mmh.mpi(modes=["train"], extract_img=True).convert(str(r / "mpi_inf_3dhp"), str(o)),
            ["mpi_inf_3dhp_train.npz"],
        ),
        Case(
            "MPI-INF-3DHP (HybrIK json)",
            lambda r: m.write_mpi_inf_3dhp_hybrik(r),
            [["mpi_inf_3dhp_hybrik", "--raw", "{root}/hybrik_data"]],
            lambda mmh, r, o: mmh.mpi_hybrik(modes=["train"]).convert(str(r / "hybrik_data"), str(o)),
            ["hybrik_mpi_inf_3dhp_train.npz"],
        ),
        Case(
            "LSP train + test",
            lambda r: m.write_lsp(r),
            [["lsp", "--raw", "{root}/lsp"], ["lsp", "--raw", "{root}/lsp", "--split", "test"]],
            lambda mmh, r, o: mmh.lsp(modes=["train", "test"]).convert(str(r / "lsp"), str(o)),
            ["lsp_train.npz", "lsp_test.npz"],
        ),
        Case(
            "LSP-extended",
            lambda r: m.write_lspet(r),
            [["lspet", "--raw", "{root}/lspet"]],
            lambda mmh, r, o: mmh.lspet().convert(str(r / "lspet"), str(o)),
            ["lspet_train.npz"],
        ),
        Case(
            "MPII",
            lambda r: m.write_mpii(r),
            [["mpii", "--raw", "{root}/mpii"]],
            lambda mmh, r, o: mmh.mpii().convert(str(r / "mpii"), str(o)),
            ["mpii_train.npz"],
        ),
        Case(
            "COCO 2014",
            lambda r: m.write_coco(r),
            [["coco", "--raw", "{root}/coco"]],
            lambda mmh, r, o: mmh.coco().convert(str(r / "coco"), str(o)),
            ["coco_2014_train.npz"],
        ),
        Case(
            "COCO 2017 (HybrIK)",
            lambda r: m.write_coco_2017(r),
            [["coco_hybrik", "--raw", "{root}/coco/train_2017"]],
            lambda mmh, r, o: mmh.coco_hybrik().convert(str(r / "coco" / "train_2017"), str(o)),
            ["hybrik_coco_2017_train.npz"],
        ),
        Case(
            "SPIN npz (5 modes + h36m)",
            lambda r: m.write_spin(r),
            [
                ["spin", "--raw", "{root}/spin_data", "--split", mode]
                for mode in ("coco_2014", "lsp", "mpii", "mpi_inf_3dhp", "lspet", "h36m")
            ],
            _spin,
            [f"spin_{mode}_train.npz" for mode in ("coco_2014", "lsp", "mpii", "mpi_inf_3dhp", "lspet", "h36m")],
        ),
        Case(
            "CMU MoSh from AMASS",
            lambda r: m.write_cmu_mosh(r, amass=True),
            [["cmu_mosh", "--raw", "{root}/cmu_mosh"]],
            _amass,
            ["cmu_mosh.npz"],
        ),
        Case("GTA-Human", lambda r: m.write_gta_human(r), [], _gta, ["gta_human.npz"], _openpose_joints),
    ]


def _h36m_plain(mmh, root: Path, out: Path) -> None:
    mmh.h36m(modes=["train", "valid"], protocol=1).convert(str(root / "h36m"), str(out))
    mmh.h36m(modes=["valid"], protocol=2).convert(str(root / "h36m"), str(out))


def _spin(mmh, root: Path, out: Path) -> None:
    converter = mmh.spin(modes=["coco_2014", "lsp", "mpii", "mpi_inf_3dhp", "lspet"])
    converter.convert(str(root / "spin_data"), str(out))
    converter.mapping_dict["h36m"] = "h36m_train.npz"  # SpinConverter's code path on SPIN's h36m file
    converter.convert_by_mode(str(root / "spin_data"), str(out), "h36m")


def _amass(mmh, root: Path, out: Path) -> None:
    """AmassConverter's amass.npz (SMPL+H) restated as cmu_mosh's SMPL: same frames, orientations and betas,
    SMPL+H's 21 body joints followed by SMPL's two hand joints at zero."""
    from mmhuman3d.data.data_converters.amass import all_sequences

    raw = root / "cmu_mosh"
    for name in all_sequences:  # AmassConverter lists every AMASS subset; only CMU has files here
        (raw / name).mkdir(exist_ok=True)
    mmh.amass().convert(str(raw), str(out))
    amass = dict(np.load(out / "amass.npz", allow_pickle=True))
    smplh = amass["smplh"].item()
    body_pose = np.concatenate([smplh["body_pose"], np.zeros((len(smplh["body_pose"]), 2, 3))], 1)
    smpl = {"global_orient": smplh["global_orient"], "body_pose": body_pose, "betas": smplh["betas"]}
    np.savez_compressed(
        out / "cmu_mosh.npz",
        __key_strict__=amass["__key_strict__"],
        __data_len__=amass["__data_len__"],
        __keypoints_compressed__=amass["__keypoints_compressed__"],
        smpl=smpl,
        config="cmu_mosh",
    )


def _gta(mmh, root: Path, out: Path) -> None:
    """mmhuman3d's GTAHumanConverter with SMPL from a stand-in folder (it reads data/body_models/ relative to
    the working directory); ours with core's SMPL loaded from the same stand-in arrays."""
    from core.body_models.smpl import load_smpl
    from train.prepare import gta_human
    from train.prepare.common import Options

    body_models = _standin_body_models(root / "standin")
    previous = os.getcwd()
    os.chdir(root / "standin")
    try:
        mmh.gta().convert(str(root / "gta_human"), str(out / "mmh"))
    finally:
        os.chdir(previous)
    model = load_smpl("neutral", folder=body_models)
    gta_human.convert(root / "gta_human", out / "ours", Options(progress=False), body_model=model)


def _openpose_joints(ours: dict, theirs: dict) -> list[str]:
    """GTA-Human's keypoints2d/3d: smpl_49's 25 OpenPose joints, which SMPL's 54 joints do not name exactly.

    mmhuman3d stores them with confidence 1 at NaN pixels (0/0) and at minus the root in 3D; ours are 0 with
    confidence 0. Checked here, then those joints are set aside; every other joint is compared as usual.
    """
    from core.joints import joint_names
    from core.joints.human_data import HUMAN_DATA_NAMES

    notes = []
    for key in ("keypoints2d", "keypoints3d"):
        kept = np.flatnonzero(ours[f"{key}_mask"] == 1)
        openpose = [i for i, index in enumerate(kept) if HUMAN_DATA_NAMES[index].endswith("_openpose")]
        assert len(openpose) == 25 and set(joint_names("smpl_49")[:25]) == {HUMAN_DATA_NAMES[kept[i]] for i in openpose}
        assert np.all(ours[key][:, openpose] == 0), f"{key}: our OpenPose joints are not 0 with confidence 0"
        theirs_conf = theirs[key][:, openpose, -1]
        coords = theirs[key][:, openpose, :-1]
        # 2D: 0/0; 3D: the zero joint minus the root, one point for all 25 in a frame
        bad = np.isnan(coords).all() if key == "keypoints2d" else bool(np.all(coords == coords[:, :1]))
        notes.append(
            f"{key}: the 25 OpenPose joints are 0 with confidence 0 here; mmhuman3d: confidence "
            f"{np.unique(theirs_conf).tolist()} at {'NaN pixels' if key == 'keypoints2d' else 'minus the root joint'}"
            f" ({'confirmed' if bad else 'NOT as expected'})"
        )
        theirs[key] = theirs[key].copy()
        theirs[key][:, openpose] = ours[key][:, openpose]
    return notes


def _standin_body_models(folder: Path) -> Path:
    """core's stand-in body-model folder, plus data/body_models/{smpl/SMPL_NEUTRAL.pkl, J_regressor_extra.npy} laid
    out for mmhuman3d (a plain pickle smplx reads without chumpy; same arrays)."""
    import pickle

    import scipy.sparse

    from core.testing.smpl import standin_smpl_arrays, write_standin_body_models_dir

    core_folder = write_standin_body_models_dir(folder / "core", seed=0)
    arrays = standin_smpl_arrays("neutral", 0)
    smpl = folder / "data" / "body_models" / "smpl"
    smpl.mkdir(parents=True)
    with open(smpl / "SMPL_NEUTRAL.pkl", "wb") as handle:
        pickle.dump(dict(arrays, J_regressor=scipy.sparse.csc_matrix(arrays["J_regressor"])), handle)
    shutil.copy(core_folder / "J_regressor_extra.npy", folder / "data" / "body_models" / "J_regressor_extra.npy")
    return core_folder


def run_case(mmh, case: Case, work: Path) -> list[Comparison]:
    from train.prepare.__main__ import main as prepare

    ours_root, theirs_root = work / "ours_raw", work / "mmh_raw"
    for root in (ours_root, theirs_root):  # separate copies: frame extraction writes into the raw folder
        case.build(root)
    out = work / "out"
    (out / "ours").mkdir(parents=True)
    (out / "mmh").mkdir(parents=True)
    if case.dataset == "GTA-Human":
        case.theirs(mmh, ours_root, out)
    else:
        for args in case.ours:
            code = prepare(
                [a.replace("{root}", str(ours_root)) for a in args] + ["--out", str(out / "ours"), "--no-progress"]
            )
            if code:
                raise SystemExit(f"train.prepare {args} failed with {code}")
        case.theirs(mmh, theirs_root, out / "mmh")
    results = [compare_files(out / "ours" / f, out / "mmh" / f, case.adjust) for f in case.files]
    if "frames" in case.dataset:
        results.append(_compare_frames(ours_root, theirs_root))
    return results


def _compare_frames(ours: Path, theirs: Path) -> Comparison:
    """The JPEG frames both converters extracted: same files, same decoded pixels."""
    import cv2

    a = sorted(p.relative_to(ours) for p in ours.rglob("*.jpg"))
    b = sorted(p.relative_to(theirs) for p in theirs.rglob("*.jpg"))
    problems = [] if a == b else [f"extracted frames differ: {len(a)} vs {len(b)} files"]
    worst = 0.0
    for rel in a if a == b else []:
        x, y = cv2.imread(str(ours / rel)), cv2.imread(str(theirs / rel))
        worst = max(worst, float(np.abs(x.astype(int) - y.astype(int)).max()))
    if worst:
        problems.append(f"extracted frames: max pixel difference {worst}")
    return Comparison("extracted JPEG frames", len(a), len(a), len(a) if not problems else 0, worst, problems)


# ----------------------------------------------------------------------------------------------
# Report


def markdown(rows: list[tuple[str, Comparison]], version: str) -> str:
    lines = [
        SECTION,
        "",
        f"`scripts/compare_converters_with_mmhuman3d.py` builds miniature raw datasets in each official format "
        f"(`train/prepare/miniatures.py`), runs mmhuman3d {version}'s own converter and `python -m train.prepare` "
        "on identical copies, and compares every key of every output: dtype, shape and values (floats: max "
        "absolute difference), dicts and lists of dicts entry by entry, and the reserved keys.",
        "",
        "| dataset | file | samples | keys | keys bit-identical | max float diff | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for dataset, c in rows:
        result = "equal" if not c.problems else "; ".join(c.problems[:3])
        result += "".join(f"; {note}" for note in c.notes or [])
        lines.append(
            f"| {dataset} | `{c.name}` | {c.samples} | {c.keys} | {c.exact} | {c.max_float_diff:.2g} | {result} |"
        )
    return "\n".join(lines) + "\n\n" + NOTES


NOTES = """Differences, and which side is right:

- **Sample order of 3DPW and AMASS**: mmhuman3d lists sequence files with `os.listdir`, whose order depends on the
  file system; `train.prepare` sorts them. With mmhuman3d's listing sorted (the script's shim) every array is
  identical; unsorted, only the order can differ. Sorted is the reproducible choice.
- **GTA-Human's OpenPose joints**: mmhuman3d's GTAHumanConverter poses SMPL without approximate joint matching,
  so smpl_49's 25 OpenPose joints do not exist; it still stores them with confidence 1, at 0/0 = NaN pixels in 2D
  and at minus the root joint in 3D (confirmed above). `train.prepare` stores them as 0 with confidence 0, so
  training ignores them instead of meeting NaN; all other joints are identical. The 2D projection is compared
  with a pinhole stand-in for mmhuman3d's pytorch3d camera (not installable here).
- **Not comparable**: `spin_pw3d_test.npz` and AI Challenger have no mmhuman3d converter (the first is a download
  only; SPIN's 3DPW file has no keypoints, so SpinConverter's code path would fail on it). `spin_h36m_train.npz`
  is compared by running SpinConverter's code path on SPIN's h36m file (mmhuman3d lists no 'h36m' mode).
  AI Challenger's joints are tested by name against pytorch_HMR's mapping and by a round trip
  (tests/train/prepare/test_ai_challenger.py).
- **Extra checks on our side only** (mmhuman3d does not make them): a listed image that is absent stops the
  conversion (or is counted with `--skip-missing-images`); truncated or malformed raw files are named in one
  message; outputs are written atomically.

Re-run: `PYTHONPATH=. /tmp/mmh/bin/python scripts/compare_converters_with_mmhuman3d.py --write docs/mmhuman3d_equivalence.md`.
"""


def write_section(path: Path, text: str) -> None:
    """Replace (or append) the Data converters section, leaving the rest of the file as it is."""
    content = path.read_text() if path.is_file() else ""
    if SECTION in content:
        start = content.index(SECTION)
        nxt = content.find("\n## ", start + len(SECTION))
        end = len(content) if nxt < 0 else nxt + 1
        content = content[:start] + text + ("\n" if nxt >= 0 else "") + content[end:]
    else:
        content = content.rstrip("\n") + "\n\n" + text
    path.write_text(content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", type=Path, default=None, help="put the table into this Markdown file's section")
    parser.add_argument("--only", default=None, help="run only datasets whose name contains this text")
    args = parser.parse_args()
    mmh = import_converters()
    rows = []
    for case in cases():
        if args.only and args.only.lower() not in case.dataset.lower():
            continue
        with tempfile.TemporaryDirectory() as work:
            for comparison in run_case(mmh, case, Path(work)):
                rows.append((case.dataset, comparison))
                status = "equal" if not comparison.problems else "DIFFERENT: " + "; ".join(comparison.problems)
                status += "".join(f"\n    note: {note}" for note in comparison.notes or [])
                print(f"{case.dataset:34s} {comparison.name:32s} {comparison.samples:5d} samples  {status}", flush=True)
    text = markdown(rows, mmh.version)
    print("\n" + text)
    if args.write:
        write_section(args.write, text)
    return 0 if all(not c.problems for _, c in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
