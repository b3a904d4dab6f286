"""The method table: every fact about each method, read by core, the app, training, bench and the weight manager.

    from core.methods import METHODS, NETWORK_METHODS, FIT, method, checkpoint_path
    method("hybrik").backbone_depth      # 34
    checkpoint_path("hmr")               # $HMRC_CHECKPOINTS/resnet50_hmr_pw3d-04f40f58_20211201.pth

Rows are in display order (HMR, HybrIK, SPIN-GTA, then the keypoint fit, which has no network). Checkpoints,
URLs and 3DPW numbers are mmhuman3d's model zoo (configs/hmr, configs/hybrik, configs/gta_human READMEs);
the input sizes and RGB normalisation are those of each config's test pipeline (`MeshAffine` to img_res,
`Normalize`). Colours are the Okabe-Ito palette, distinguishable over skin tones and for the common forms of
colour blindness.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from core import paths

IMAGENET_MEAN = (123.675, 116.28, 103.53)  # RGB, 0..255
IMAGENET_STD = (58.395, 57.12, 57.375)
_ZOO = "https://openmmlab-share.oss-cn-hangzhou.aliyuncs.com/mmhuman3d/models"
# mmhuman3d's publish_model.py appends sha256[:8] and a date (`-04f40f58_20211201.pth`); torchvision's model files
# end `-<sha256[:8]>.pth` (the ImageNet backbones of core.weights).
_PUBLISHED_HASH = re.compile(r"-([0-9a-f]{8})(?:_\d{8})?\.pth$")


@dataclass(frozen=True)
class Method:
    id: str  # 'hmr', 'hybrik', 'spin_gta', 'fit'
    label: str  # full name, e.g. in the method checkboxes: 'Keypoint fit'
    short_label: str  # in captions, table columns and picture tags: 'Fit'
    color: tuple[float, float, float]  # RGB in [0, 1]
    family: str  # 'hmr' (ResNet + iterative regressor), 'hybrik' (ResNet + 3D heatmaps + IK) or 'fit'
    description: str
    checkpoint: str | None = None  # official file name; None: nothing to download
    checkpoint_url: str | None = None
    backbone_depth: int | None = None  # ResNet-50 or -34
    input_size: int | None = None  # square crop side in pixels
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    published_3dpw_mm: tuple[float, float] | None = None  # (MPJPE, PA-MPJPE) in mmhuman3d's model zoo

    @property
    def sha256_prefix(self) -> str | None:
        return published_sha256_prefix(self.checkpoint or "")


METHODS: tuple[Method, ...] = (
    Method(
        "hmr",
        "HMR",
        "HMR",
        (0.90, 0.62, 0.00),
        "hmr",  # orange
        "HMR (ResNet-50 + iterative regressor, with a discriminator)",
        "resnet50_hmr_pw3d-04f40f58_20211201.pth",
        f"{_ZOO}/hmr/resnet50_hmr_pw3d-04f40f58_20211201.pth"
        "?versionId=CAEQHhiBgMD6zJfR6xciIDE0ODQ3OGM2OWJjMTRlNmQ5Y2ZjMWZhMzRkOTFiZDFm",
        backbone_depth=50,
        input_size=224,
        published_3dpw_mm=(112.34, 67.53),
    ),
    Method(
        "hybrik",
        "HybrIK",
        "HybrIK",
        (0.34, 0.71, 0.91),
        "hybrik",  # sky blue
        "HybrIK (ResNet-34 + deconvolution heatmap head)",
        "resnet34_hybrik_mixed-a61b3c9c_20220211.pth",
        f"{_ZOO}/hybrik/resnet34_hybrik_mixed-a61b3c9c_20220211.pth"
        "?versionId=CAEQKhiBgMDx0.Kd9xciIDA2NWFlMGVmNjNkMDQyYzE4NTFmMGJiYjczZWZmM2Rk",
        backbone_depth=34,
        input_size=256,
        published_3dpw_mm=(81.08, 49.02),
    ),
    Method(
        "spin_gta",
        "SPIN-GTA",
        "SPIN-GTA",
        (0.00, 0.62, 0.45),
        "hmr",  # bluish green
        "SPIN-GTA (ResNet-50 + iterative regressor)",
        "resnet50_spin_gta_ft-2538df81_20220708.pth",
        f"{_ZOO}/gta_human/resnet50_spin_gta_ft/resnet50_spin_gta_ft-2538df81_20220708.pth"
        "?versionId=CAEQRBiBgICJxdjujhgiIGQwMTcwOGI5YzdlMTQ1ZjVhYzRhNWZkOTVhY2U3NjFm",
        backbone_depth=50,
        input_size=224,
        published_3dpw_mm=(83.20, 51.98),
    ),
    Method(
        "fit",
        "Keypoint fit",
        "Fit",
        (0.80, 0.47, 0.65),
        "fit",  # reddish purple
        "Keypoint fit (MediaPipe landmarks, inverse kinematics, SMPLify-style refinement; no learned weights)",
    ),
)
METHOD_IDS: tuple[str, ...] = tuple(m.id for m in METHODS)
NETWORK_METHODS: tuple[str, ...] = tuple(m.id for m in METHODS if m.checkpoint)  # hmr, hybrik, spin_gta
FIT = "fit"
_BY_ID = {m.id: m for m in METHODS}


def published_sha256_prefix(file_name: str) -> str | None:
    """The 8 hex digits of sha256 in a published checkpoint's name (`...-04f40f58_20211201.pth`), else None."""
    match = _PUBLISHED_HASH.search(file_name)
    return match.group(1) if match else None


def method(method_id: str) -> Method:
    """The row of `method_id`; ValueError naming the valid ids otherwise."""
    if method_id not in _BY_ID:
        raise ValueError(f"unknown method {method_id!r}; valid: {', '.join(METHOD_IDS)}")
    return _BY_ID[method_id]


def network_method(method_id: str) -> Method:
    """The row of a method with a network and a checkpoint (not the keypoint fit)."""
    if method_id not in NETWORK_METHODS:
        raise ValueError(f"unknown method {method_id!r}; valid: {', '.join(NETWORK_METHODS)}")
    return _BY_ID[method_id]


def checkpoint_path(method_id: str) -> Path:
    """Where the method's official checkpoint lives (whether or not it is there yet)."""
    return paths.checkpoints_dir() / network_method(method_id).checkpoint
