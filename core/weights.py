"""The weight manager: which files each method needs, where they go, and how they are downloaded.

    python -m core.weights list
    python -m core.weights fetch hmr|hybrik|spin_gta|all [--accept-smpl-license]
    python -m core.weights fetch hmr_training J_regressor_h36m.npy ...      (groups and single files too)
    python -m core.weights fetch imagenet_resnet50 imagenet_resnet34        (ImageNet backbones for training)

What each method needs (decided from mmhuman3d's configs, see METHOD_FILES below; checkpoints and their URLs
are in the method table, core.methods):
- To run, only its checkpoint. The head's mean parameters (`head.init_pose/init_shape/init_cam` for HMR and
  SPIN-GTA, `head.init_shape` for HybrIK) are persistent buffers inside the checkpoint, so `smpl_mean_params.npz`
  and `h36m_mean_beta.npy` are not needed for inference.
- For SMPL meshes and keypoints: an SMPL neutral model (`smpl/SMPL_NEUTRAL.pkl` from the SMPL website, or
  `basicModel_neutral_lbs_10_207_0_v1.0.0.pkl`, downloaded only after accepting the SMPL licence), plus
  `J_regressor_h36m.npy` (the 17 H36M joints of every 3DPW evaluation and of HybrIK's body model) and
  `J_regressor_extra.npy` (the 9 extra joints of the smpl_49 / smpl_54 conventions). Without the SMPL model the
  project's open body model stands in; the regressors are fetched with the method either way (they are small).
- For training from the configs: `<method>_training` groups (mean parameters, the ImageNet backbone, SPIN's
  initial weights, the GMM pose prior, the static fits, the published training logs).

Downloads: checkpoints and the ImageNet backbones are verified against the 8 hex digits of sha256 in their names
(mmhuman3d's publish_model.py and torchvision append them); other files have no published hash, so their sha256 is recorded next to them
(`<file>.sha256`, `sha256sum -c` format) and `list` calls them unverified. Transfers go to `<file>.part`, resume
with an HTTP Range request after an interruption, and are renamed into place only after verification.
`HMRC_WEIGHTS_BASE_URL` points every download at a mirror: `<base>/<file name>` (a flat folder of the same names).
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import re
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from tqdm import tqdm

from core import paths
from core.body_models.smpl import NEUTRAL_FALLBACK, REGRESSOR_FILES, smpl_available
from core.body_models.smpl_files import SMPL_LICENSE_URL, SMPL_WEBSITE
from core.file_hash import sha256_of
from core.methods import NETWORK_METHODS, network_method, published_sha256_prefix
from core.networks.checkpoint import integrity_message
from core.settings import download_settings

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0  # connect and per-read: offline fails at once; a stalled transfer is resumed, not waited on
DOWNLOAD_ATTEMPTS = 3  # tries per file within one fetch; each retry resumes from the .part
CHUNK_BYTES = 1 << 20

ProgressFn = Callable[[str, int, "int | None"], None]  # (file name, bytes done, total bytes or None)

_FOLDERS = {"checkpoints": paths.checkpoints_dir, "body_models": paths.body_models_dir, "data": paths.data_root}


class WeightsError(RuntimeError):
    """A file could not be fetched or verified; the message says what to do by hand."""


class SmplLicenseNotAccepted(WeightsError):
    """The SMPL model was requested without accepting its licence."""


# ---------------------------------------------------------------- registry


@dataclass(frozen=True)
class WeightFile:
    """One downloadable (or by-hand) file. `folder` names the core.paths folder that holds it."""

    name: str
    what: str
    url: str | None  # None: only by hand, from the SMPL website
    folder: str  # "checkpoints" | "body_models" | "data"
    subfolder: str = ""
    needs_smpl_license: bool = False

    @property
    def path(self) -> Path:
        return _FOLDERS[self.folder]() / self.subfolder / self.name

    def path_in(self, data_root: Path) -> Path:
        """Where the file sits in the data folder `data_root` (mmhuman3d's layout), whatever the environment says."""
        folder = Path(data_root) if self.folder == "data" else Path(data_root) / self.folder
        return folder / self.subfolder / self.name

    @property
    def sha256_prefix(self) -> str | None:
        """The published hash prefix in a checkpoint name (`...-04f40f58_20211201.pth`), else None."""
        return published_sha256_prefix(self.name)


@dataclass(frozen=True)
class MethodFiles:
    """What one method needs: its checkpoint, files fetched with it, and files only training needs."""

    title: str
    checkpoint: str
    support: tuple[str, ...]
    training: tuple[str, ...]


_OSS = "https://openmmlab-share.oss-cn-hangzhou.aliyuncs.com/mmhuman3d"
_STATIC_FITS = ("coco", "h36m", "lsp", "lspet", "mpi_inf_3dhp", "mpii")
_STATIC_FIT_VERSIONS = {
    "coco": "CAEQHhiBgMCr4ZvV6xciIGY1OTZjM2NlZWI3ZDRjMzI5ODE0MWQxYjM2M2Y4NTVk",
    "h36m": "CAEQHhiBgIC54ZvV6xciIDc2YjExNmM0NjBiMDQwMmU5NjJmODljNjgxYWE1MGQx",
    "lsp": "CAEQHhiBgIDS4ZvV6xciIGFmMzdhMWJjZWQ1MjRkODBiZDY3NGU0MTc1Yzg0Nzlh",
    "lspet": "CAEQHhiBgIDy4ZvV6xciIDkyMjQ3OGM2YWU5YTRlNTI4MmYxM2I5Njg1Yzc3OWYw",
    "mpi_inf_3dhp": "CAEQHhiBgMDf4ZvV6xciIDQyYjRmMzdhODdmNDQ1YTBhYzY4MTk1OTAxNzc4MmVj",
    "mpii": "CAEQHhiBgMCm4ZvV6xciIGM1OTIzZDlkNjVhODQ2MDY5ODkyZWE4ZDEzZGJlNTdi",
}

_FILE_LIST = [
    *[
        WeightFile(
            m.checkpoint,
            f"{m.label} checkpoint (3DPW {m.published_3dpw_mm[0]:.2f} / {m.published_3dpw_mm[1]:.2f} mm)",
            m.checkpoint_url,
            "checkpoints",
        )
        for m in map(network_method, NETWORK_METHODS)
    ],
    WeightFile(
        REGRESSOR_FILES["extra_9"],
        "9 extra joints from SMPL vertices (9x6890)",
        f"{_OSS}/models/J_regressor_extra.npy"
        "?versionId=CAEQHhiBgIDD6c3V6xciIGIwZDEzYWI5NTBlOTRkODU4OTE1M2Y4YTI0NTVlZGM1",
        "body_models",
    ),
    WeightFile(
        REGRESSOR_FILES["h36m_17"],
        "17 H36M joints from SMPL vertices (17x6890)",
        f"{_OSS}/models/J_regressor_h36m.npy"
        "?versionId=CAEQHhiBgIDE6c3V6xciIDdjYzE3MzQ4MmU4MzQyNmRiZDA5YTg2YTI5YWFkNjRi",
        "body_models",
    ),
    WeightFile(
        "smpl_mean_params.npz",
        "SMPL mean pose/shape/camera (HMR/SPIN training)",
        f"{_OSS}/models/smpl_mean_params.npz"
        "?versionId=CAEQHhiBgICN6M3V6xciIDU1MzUzNjZjZGNiOTQ3OWJiZTJmNThiZmY4NmMxMTM4",
        "body_models",
    ),
    WeightFile(
        "h36m_mean_beta.npy",
        "HybrIK mean shape (10) (HybrIK training)",
        f"{_OSS}/models/hybrik/h36m_mean_beta.npy"
        "?versionId=CAEQHhiBgMDnt_DV6xciIGM5MzM0MGI1NzBmYjRkNDU5MzUxMjdkM2Y1ZWRiZWM2",
        "body_models",
    ),
    WeightFile(
        "basicModel_neutral_lbs_10_207_0_v1.0.0.pkl",
        "SMPL neutral model v1.0.0 (SMPL licence)",
        f"{_OSS}/models/hybrik/basicModel_neutral_lbs_10_207_0_v1.0.0.pkl"
        "?versionId=CAEQHhiBgIC_v.zV6xciIDkwMDE4M2NjZTRkMjRmMWRiNTY3MWQ5YjQ0YzllNDYz",
        "body_models",
        needs_smpl_license=True,
    ),
    # By hand from the SMPL website; a private mirror (HMRC_WEIGHTS_BASE_URL) may serve them to a licensee.
    WeightFile("SMPL_NEUTRAL.pkl", "SMPL neutral model (SMPL website)", None, "body_models", "smpl", True),
    WeightFile("SMPL_MALE.pkl", "SMPL male model (SMPL website; 3DPW GT)", None, "body_models", "smpl", True),
    WeightFile("SMPL_FEMALE.pkl", "SMPL female model (SMPL website; 3DPW GT)", None, "body_models", "smpl", True),
    WeightFile(
        "gmm_08.pkl",
        "8-Gaussian pose prior for SMPLify (SPIN-GTA training)",
        f"{_OSS}/models/gmm_08.pkl?versionId=CAEQHhiBgIDP6c3V6xciIGU4ZWFlYzlhNDJmODRmOGViYTMzOGRmODg2YjQ4NTg1",
        "data",
    ),
    WeightFile(
        "spin_official.pth",
        "official SPIN weights (SPIN-GTA initialisation)",
        f"{_OSS}/data/pretrained_models/spin_official.pth"
        "?versionId=CAEQRBiBgMC3zJPvjhgiIDNjODIxODJjYzEyNzRmNDhhNzU3Nzg3N2FlY2Y0ZWMx",
        "data",
        "pretrained_models",
    ),
    WeightFile(
        "gta_fits.npy",
        "SPIN static fits: gta",
        f"{_OSS}/data/static_fits/gta_fits.npy"
        "?versionId=CAEQRBiBgMCp4fPzjhgiIDhkZjhlODY2MjBkZjRjNzQ5ODZmNmVhY2IzNzA2ZmIy",
        "data",
        "static_fits",
    ),
    *[
        WeightFile(
            f"{fit}_fits.npy",
            f"SPIN static fits: {fit}",
            f"{_OSS}/models/spin/static_fits/{fit}_fits.npy?versionId={_STATIC_FIT_VERSIONS[fit]}",
            "data",
            "static_fits",
        )
        for fit in _STATIC_FITS
    ],
    WeightFile(
        "20211128_053633.log",
        "HMR training log (config and per-epoch metrics)",
        f"{_OSS}/models/hmr/20211128_053633.log"
        "?versionId=CAEQHhiBgMDbzZfR6xciIGZkZjM2NWEwN2ExYzQ1NGViNzg2ODA0YTAxMmU4M2Vi",
        "checkpoints",
        "logs",
    ),
    WeightFile(
        "20220121_170847.log",
        "HybrIK training log (config and per-epoch metrics)",
        f"{_OSS}/models/hybrik/20220121_170847.log"
        "?versionId=CAEQKhiBgICMgOyb9xciIDZkMTMyODYzMDc4NjRhZTliOThiM2JlMDE1MzhhYTBm",
        "checkpoints",
        "logs",
    ),
    WeightFile(
        "resnet50_spin_gta_ft.log",
        "SPIN-GTA training log (config and per-epoch metrics)",
        f"{_OSS}/models/gta_human/resnet50_spin_gta_ft/resnet50_spin_gta_ft.log"
        "?versionId=CAEQRBiBgMCHrdfujhgiIGRhZDA4NjY0NDBmNDRkMGRhMWRmODZlMzM1YmRiNzRj",
        "checkpoints",
        "logs",
    ),
    # ImageNet ResNets: the files mmcv 1.x's `torchvision://resnet50|34` resolves to
    # (mmcv/model_zoo/torchvision_0.12.json), which HMR's and HybrIK's configs start their backbones from.
    WeightFile(
        "resnet50-0676ba61.pth",
        "ImageNet ResNet-50 (torchvision; HMR backbone initialisation)",
        "https://download.pytorch.org/models/resnet50-0676ba61.pth",
        "data",
        "pretrained_models",
    ),
    WeightFile(
        "resnet34-b627a593.pth",
        "ImageNet ResNet-34 (torchvision; HybrIK backbone initialisation)",
        "https://download.pytorch.org/models/resnet34-b627a593.pth",
        "data",
        "pretrained_models",
    ),
]
# mmhuman3d's published preprocessed HumanData files (docs/preprocess_dataset.md, configs/gta_human/README.md),
# into <data>/preprocessed_datasets/. They hold the datasets' annotations: downloading one means accepting that
# dataset's licence (docs/data.md). `python -m train.prepare` makes them from the raw downloads instead.
_PREPROCESSED_VERSIONS = {
    "cmu_mosh.npz": "CAEQHhiBgIDoof_37BciIDU0OGU0MGNhMjAxMjRiZWI5YzdkMWEzMzc3YzBiZDM2",
    "coco_2014_train.npz": "CAEQHhiBgICUrvbS6xciIDFmZmFhMDk5OGQ3YzQ5ZDE5NzJkMGQxNzdmMmQzZDdi",
    "h36m_train.npz": "CAEQHhiBgMDrrfbS6xciIGY2NjMxMjgwMWQzNjRkNWJhYTNkZTYyYWUxNWQ4ZTE5",
    "lsp_train.npz": "CAEQHhiBgICnq_bS6xciIDU4ZTRhMDIwZTBkZjQ1YTliYTY0NGFmMDVmOGVhZjMy",
    "lspet_train.npz": "CAEQHhiBgICXrPbS6xciIDVkZGNmYWZjODlmMzQ2YjNhMjhlNmJmMzU2MjM4Yzg4",
    "mpi_inf_3dhp_train.npz": "CAEQHhiBgMD3q_bS6xciIGQwYjc4NTRjYTllMzRkODU5NTNiZDQyOTBlYmRhODg5",
    "mpii_train.npz": "CAEQHhiBgIDhq_bS6xciIDEwMmE0ZDc0NWI1NjQ2NWZhYTA5ZjEyODBiNWFmODg1",
    "pw3d_test.npz": "CAEQHhiBgMDaq_bS6xciIGVjY2YzZGJkNjNmMjQ2NGU4OTZkYjMwMjhhYWM1Y2I0",
    "hybrik_coco_2017_train.npz": "CAEQHhiBgMDA6rjT6xciIDE3N2FiZDkxYTkyZDRjN2ZiYjc1ODQ2YTc5NjY0ZmFl",
    "hybrik_h36m_train.npz": "CAEQHhiBgIC_iLjT6xciIGE4NmQ5YzUxMzY0ZjQ0Y2U5MWFkOTkwNmIwMGI4NTNm",
    "hybrik_mpi_inf_3dhp_train.npz": "CAEQHhiBgICogLjT6xciIDQwYzRlYTVlOTE0YTQ4ZDRhYTljOGRkZDc1MDhjNDgy",
    "hybrik_pw3d_test.npz": "CAEQHhiBgMCO8LfT6xciIDhjMDFhOTFmZjY4MDQ4MWI4MzVmODYyYTc1NTYwNjA1",
    "spin_coco_2014_train.npz": "CAEQHhiBgICb6bfT6xciIGM2NmNmZDYyNDMxMDRiNTVhNDk3YzY1N2Y2ODdlMTAy",
    "spin_lsp_train.npz": "CAEQHhiBgIDu57fT6xciIDQ0ODAzNjUyNjJkMzQyNzQ5Y2IzNGNhOTZmZGI2NzBm",
    "spin_lspet_train.npz": "CAEQHhiBgMCe6LfT6xciIDc3NzZiYzA1ZGJkYzQwNzRhYjg3ZDMwYTdjZDZmNTAw",
    "spin_mpi_inf_3dhp_train.npz": "CAEQHhiBgMCV6LfT6xciIDliYTJhM2FkNDkyYjRiOWFiYTUwOTk0MGRlNThlZWRk",
    "spin_mpii_train.npz": "CAEQHhiBgMDz57fT6xciIGJjMzAwMDdlYTBmMTQ0MDg4ZGE4YjhiZGNkNWQwZmM1",
    "spin_pw3d_test.npz": "CAEQHhiBgMCL6LfT6xciIGUxNjY3OTBiODU5ZDQxODliYTQ4NzU0OGVjMzJkYmRm",
    "gta_human_4x.npz": "CAEQRBiBgIDzq.n4jhgiIDJkZDU4OWU5MWEzYzQ5ZjA4ZjJiN2IwNjUzN2FmMTJl",
}
_FILE_LIST += [
    WeightFile(
        name,
        f"mmhuman3d's preprocessed {name} (dataset licence applies)",
        f"{_OSS}/datasets/{name}?versionId={version}",
        "data",
        "preprocessed_datasets",
    )
    for name, version in _PREPROCESSED_VERSIONS.items()
]
FILES: dict[str, WeightFile] = {f.name: f for f in _FILE_LIST}

_REGRESSORS = tuple(REGRESSOR_FILES.values())  # h36m, extra
# HybrIK's and HMR's test body models use the H36M regressor; HMR/SPIN training adds the extra 9 joints.
_TRAINING_FILES = {
    "hmr": ("smpl_mean_params.npz", *_REGRESSORS, "resnet50-0676ba61.pth", "20211128_053633.log"),
    "hybrik": ("h36m_mean_beta.npy", REGRESSOR_FILES["h36m_17"], "resnet34-b627a593.pth", "20220121_170847.log"),
    "spin_gta": (
        "spin_official.pth",
        "smpl_mean_params.npz",
        *_REGRESSORS,
        "gmm_08.pkl",
        "gta_fits.npy",
        *[f"{fit}_fits.npy" for fit in _STATIC_FITS],
        "resnet50_spin_gta_ft.log",
    ),
}
METHOD_FILES: dict[str, MethodFiles] = {
    m.id: MethodFiles(m.label, m.checkpoint, _REGRESSORS, _TRAINING_FILES[m.id])
    for m in map(network_method, NETWORK_METHODS)
}
SMPL_NEUTRAL_DOWNLOAD = NEUTRAL_FALLBACK
# `fetch imagenet_resnet50` etc.: the ImageNet backbone a from-scratch run starts from, by ResNet depth.
IMAGENET_BACKBONES = {"imagenet_resnet50": "resnet50-0676ba61.pth", "imagenet_resnet34": "resnet34-b627a593.pth"}


def imagenet_backbone(depth: int) -> tuple[str, WeightFile]:
    """(fetch name, file) of the ImageNet ResNet-`depth` (50 or 34)."""
    name = f"imagenet_resnet{depth}"
    if name not in IMAGENET_BACKBONES:
        raise ValueError(f"no ImageNet backbone for ResNet-{depth}; known: {', '.join(IMAGENET_BACKBONES)}")
    return name, FILES[IMAGENET_BACKBONES[name]]


def _method(method: str) -> MethodFiles:
    if method not in METHOD_FILES:
        raise ValueError(f"Unknown method {method!r}; valid methods: {', '.join(METHOD_FILES)}")
    return METHOD_FILES[method]


def smpl_neutral_present() -> bool:
    """True when an SMPL neutral model is in the body-model folder under any of its accepted names."""
    return smpl_available("neutral")


def resolve_url(file: WeightFile) -> str:
    """The file's URL, or `$HMRC_WEIGHTS_BASE_URL/<name>` when a mirror is set."""
    base = download_settings().weights_base_url
    if base:
        return f"{base.rstrip('/')}/{urllib.parse.quote(file.name)}"
    if file.url is None:
        raise WeightsError(manual_instructions(file))
    return file.url


# ---------------------------------------------------------------- status


@dataclass(frozen=True)
class FileStatus:
    """One row of `list`. state: "missing" | "partial" | "present" (unverified) | "verified" | "hash mismatch"."""

    name: str
    what: str
    path: Path
    state: str
    detail: str
    url: str | None

    @property
    def usable(self) -> bool:
        return self.state in ("present", "verified")


def _part_path(path: Path) -> Path:
    return path.with_name(path.name + ".part")


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _recorded_sha256(path: Path) -> str | None:
    record = _record_path(path)
    words = record.read_text().split() if record.is_file() else []
    return words[0] if words else None


def _write_record(path: Path, digest: str) -> None:
    """Write `<file>.sha256` atomically: status() may read it from another thread at any moment."""
    temporary = path.with_name(path.name + ".sha256.tmp")
    temporary.write_text(f"{digest}  {path.name}\n")
    os.replace(temporary, _record_path(path))


def file_status(file: WeightFile) -> FileStatus:
    """Check one file on disk (hashing it if present)."""
    path = file.path
    if not path.is_file():
        state, detail = _absent_state(file)
        return FileStatus(file.name, file.what, path, state, detail, file.url)
    digest = sha256_of(path)
    state, detail = _present_state(file, digest, _recorded_sha256(path))
    return FileStatus(file.name, file.what, path, state, detail, file.url)


def _absent_state(file: WeightFile) -> tuple[str, str]:
    part = _part_path(file.path)
    try:  # a running download may rename the .part between any two calls
        return "partial", f"{part.stat().st_size} bytes in {part.name}; fetch again to resume"
    except FileNotFoundError:
        pass
    if file.url is None:
        return "missing", f"by hand from {SMPL_WEBSITE} after registering"
    if file.needs_smpl_license:
        return "missing", f"fetch {file.name} --accept-smpl-license (licence: {SMPL_LICENSE_URL})"
    return "missing", ""


def _present_state(file: WeightFile, digest: str, recorded: str | None) -> tuple[str, str]:
    expected = file.sha256_prefix
    if expected and not digest.startswith(expected):
        return "hash mismatch", integrity_message(file.path, expected, digest)
    if expected:
        return "verified", f"sha256 {digest[:8]} matches the published prefix"
    if recorded and recorded != digest:
        return "hash mismatch", f"changed since download: sha256 {digest[:12]}, recorded {recorded[:12]}"
    return "present", f"unverified (no published hash); sha256 {digest[:12]}"


def status() -> list[FileStatus]:
    """Every known file, in registry order, with its state on disk."""
    return [file_status(file) for file in FILES.values()]


# ---------------------------------------------------------------- messages


def manual_instructions(file: WeightFile) -> str:
    """How to put the file in place by hand."""
    if file.url is None:
        return f"Get {file.name} from {SMPL_WEBSITE} (after registering) and put it at\n  {file.path}"
    return f"Download it by hand from\n  {file.url}\nand put it at\n  {file.path}"


def smpl_license_message() -> str:
    return (
        f"{SMPL_NEUTRAL_DOWNLOAD} is the SMPL body model, licensed for non-commercial research only. Read the "
        f"licence at {SMPL_LICENSE_URL}; if you accept it, pass --accept-smpl-license (or tick the box in the "
        f"app). Alternatively put SMPL_NEUTRAL.pkl from {SMPL_WEBSITE} at {FILES['SMPL_NEUTRAL.pkl'].path}."
    )


def missing_message(method: str) -> str:
    """What is missing or wrong for `method` and how to fix it; "" when everything is in place."""
    spec = _method(method)
    lines = []
    for name in (spec.checkpoint, *spec.support):
        row = file_status(FILES[name])
        if not row.usable:
            lines.append(_problem_line(spec.title, FILES[name], row))
    if not smpl_neutral_present():
        lines.append(
            f"{spec.title}: no SMPL neutral model, so the open body model stands in for SMPL. " + smpl_license_message()
        )
    return "\n".join(lines)


def _problem_line(title: str, file: WeightFile, row: FileStatus) -> str:
    problem = f"{file.name} is {row.state} ({row.detail})" if row.state != "missing" else f"{file.name} is missing"
    return f"{title}: {problem}. Run `python -m core.weights fetch {file.name}`.\n{manual_instructions(file)}"


def method_available(method: str) -> tuple[bool, str]:
    """(True, note) when the method's checkpoint is in place and verified, else (False, what to do)."""
    spec = _method(method)
    row = file_status(FILES[spec.checkpoint])
    if row.usable:
        return True, f"{spec.title}: checkpoint {row.state} at {row.path}"
    return False, _problem_line(spec.title, FILES[spec.checkpoint], row)


# ---------------------------------------------------------------- download


_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    """One lock per destination, so two app sessions never write the same .part."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(path.resolve(), threading.Lock())


def _open(url: str, offset: int) -> http.client.HTTPResponse:
    headers = {"User-Agent": "hmr-compare weight manager"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S)


def _body_start(response: http.client.HTTPResponse) -> int | None:
    """Byte offset where the response body starts in the file: 0 for a whole file, None if unreadable."""
    if response.status != 206:
        return 0
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def _total_size(response: http.client.HTTPResponse, start: int) -> int | None:
    match = re.match(r"bytes \d+-\d+/(\d+)", response.headers.get("Content-Range", ""))
    if match:
        return int(match.group(1))
    length = response.headers.get("Content-Length")
    return start + int(length) if length else None


def _transfer(url: str, part: Path, name: str, progress: ProgressFn | None) -> bool:
    """Append the rest of `url` to `part`. True when complete, False when the connection ended early."""
    offset = part.stat().st_size if part.is_file() else 0
    try:
        response = _open(url, offset)
    except urllib.error.HTTPError as error:
        if error.code != 416 or not offset:
            raise
        # Range not satisfiable: the .part is not a prefix of this file (or is already whole); start over.
        part.unlink()
        return False
    with response:
        start = _body_start(response)
        if start not in (0, offset):
            part.unlink()  # a partial reply that does not continue our .part: start over
            return False
        total = _total_size(response, start)
        done = _copy_body(response, part, start, total, name, progress)
    return total is None or done >= total


def _copy_body(response, part: Path, start: int, total: int | None, name: str, progress: ProgressFn | None) -> int:
    """Stream the body into `part` from byte `start`; returns the bytes now in `part`."""
    done = start
    with (
        open(part, "ab" if start else "wb") as out,
        tqdm(total=total, initial=start, desc=name, unit="B", unit_scale=True, unit_divisor=1024, disable=None) as bar,
    ):
        try:
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                done += len(chunk)
                bar.update(len(chunk))
                if progress:
                    progress(name, done, total)
        except (TimeoutError, ConnectionError, http.client.IncompleteRead):
            pass  # the caller sees done < total and resumes
    return done


def _download(file: WeightFile, progress: ProgressFn | None) -> Path:
    """Download, verify and move `file` into place; the destination only ever holds a verified, whole file."""
    dest, url = file.path, resolve_url(file)
    part = _part_path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _lock_for(dest):
        if file_status(file).usable:  # another thread finished it while this one waited
            return dest
        complete = False
        for _ in range(DOWNLOAD_ATTEMPTS):
            complete = _transfer_or_explain(file, url, part, progress)
            if complete:
                break
        if not complete:
            have = part.stat().st_size if part.is_file() else 0
            raise WeightsError(
                f"Download of {file.name} from {url} was interrupted ({have} bytes kept in {part}). "
                f"Run the same fetch again to resume.\nOr: {manual_instructions(file)}"
            )
        digest = _verify(file, part, url)
        _write_record(dest, digest)
        os.replace(part, dest)
    log.info("%s -> %s (sha256 %s)", file.name, dest, digest[:12])
    return dest


def _transfer_or_explain(file: WeightFile, url: str, part: Path, progress: ProgressFn | None) -> bool:
    try:
        return _transfer(url, part, file.name, progress)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        reason = getattr(error, "reason", None) or error
        source = "" if url == file.url else f" from {url}"
        raise WeightsError(f"Could not download {file.name}{source}: {reason}.\n{manual_instructions(file)}") from error


def _verify(file: WeightFile, part: Path, url: str) -> str:
    """sha256 of the finished .part; a published prefix that does not match removes it and raises."""
    digest = sha256_of(part)
    expected = file.sha256_prefix
    if expected and not digest.startswith(expected):
        part.unlink()
        raise WeightsError(
            f"{file.name} from {url} failed verification: its sha256 starts {digest[:8]} but the "
            f"published name says {expected}. The download was removed; nothing was written to "
            f"{file.path}. Try again later or from another mirror.\n{manual_instructions(file)}"
        )
    return digest


# ---------------------------------------------------------------- fetch


def _expand(name: str, accept_smpl_license: bool) -> list[str]:
    """File names behind a method, a `<method>_training` group, "all", or a single file name."""
    if name == "all":
        return [f for method in METHOD_FILES for f in _expand(method, accept_smpl_license)]
    if name in METHOD_FILES:
        spec = METHOD_FILES[name]
        wants_smpl = not smpl_neutral_present()
        if wants_smpl and not accept_smpl_license:
            log.warning("%s: skipping the SMPL model. %s", spec.title, smpl_license_message())
        return [spec.checkpoint, *spec.support] + (
            [SMPL_NEUTRAL_DOWNLOAD] if wants_smpl and accept_smpl_license else []
        )
    if name.endswith("_training") and name.removesuffix("_training") in METHOD_FILES:
        return list(METHOD_FILES[name.removesuffix("_training")].training)
    if name in IMAGENET_BACKBONES:
        return [IMAGENET_BACKBONES[name]]
    if name in FILES:
        return [name]
    groups = [*METHOD_FILES, *(f"{m}_training" for m in METHOD_FILES), *IMAGENET_BACKBONES, "all"]
    raise ValueError(
        f"Unknown name {name!r}; use one of {', '.join(groups)} or a file name from `python -m core.weights list`"
    )


def _ensure(file: WeightFile, progress: ProgressFn | None, accept_smpl_license: bool) -> Path:
    """The file's path, downloading it first unless it is already there and sound."""
    if file.needs_smpl_license and not accept_smpl_license and not file.path.is_file():
        raise SmplLicenseNotAccepted(smpl_license_message())
    row = file_status(file)
    if row.usable:
        return row.path
    if file.url is None and not download_settings().weights_base_url:
        raise WeightsError(manual_instructions(file))
    if row.state == "hash mismatch":
        log.warning("%s: %s; downloading it again", file.name, row.detail)
    return _download(file, progress)


def fetch(
    names_or_method: str | Iterable[str], progress: ProgressFn | None = None, accept_smpl_license: bool = False
) -> list[Path]:
    """Make sure the named files are in place, downloading what is missing; returns their paths.

    names_or_method: "hmr" | "hybrik" | "spin_gta" | "all" | "<method>_training" | a file name, or a list of them.
    progress: called as progress(file_name, bytes_done, total_bytes_or_None) while downloading.
    """
    names = [names_or_method] if isinstance(names_or_method, str) else list(names_or_method)
    wanted = dict.fromkeys(f for name in names for f in _expand(name, accept_smpl_license))
    return [_ensure(FILES[name], progress, accept_smpl_license) for name in wanted]


# ---------------------------------------------------------------- command line


def _label(row: FileStatus) -> str:
    return {"present": "present, unverified", "hash mismatch": "HASH MISMATCH"}.get(row.state, row.state)


def format_table(rows: list[FileStatus]) -> str:
    """The `list` table: name, what, state, path (and a detail line under anything not verified)."""
    cells = [("name", "what", "state", "path"), *((r.name, r.what, _label(r), str(r.path)) for r in rows)]
    widths = [max(len(cell[column]) for cell in cells) for column in range(3)] + [0]
    lines = []
    for index, cell in enumerate(cells):
        lines.append("  ".join(text.ljust(width) for text, width in zip(cell, widths)).rstrip())
        if index and rows[index - 1].state != "verified" and rows[index - 1].detail:
            lines.append(" " * (widths[0] + 2) + "-> " + rows[index - 1].detail)
    lines.append(
        f"\nFetch with: python -m core.weights fetch {'|'.join(METHOD_FILES)}|all|<method>_training|"
        f"{'|'.join(IMAGENET_BACKBONES)}|<file name>"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.weights", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="show every known file, its state and its path")
    fetch_parser = commands.add_parser("fetch", help="download what a method (or group, or file) needs")
    fetch_parser.add_argument(
        "names",
        nargs="+",
        help="hmr, hybrik, spin_gta, all, <method>_training, imagenet_resnet50, imagenet_resnet34, or file names",
    )
    fetch_parser.add_argument(
        "--accept-smpl-license",
        action="store_true",
        help=f"I accept the SMPL licence ({SMPL_LICENSE_URL}); fetch the SMPL neutral model",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "list":
        print(format_table(status()))
        return 0
    try:
        for path in fetch(args.names, accept_smpl_license=args.accept_smpl_license):
            print(path)
    except (WeightsError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
