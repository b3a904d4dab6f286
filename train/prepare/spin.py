"""SPIN's preprocessed npz files → `spin_<mode>_train.npz`, as mmhuman3d 0.11.0's SpinConverter writes them, plus
two modes by analogy that mmhuman3d publishes only as downloads: `spin_h36m_train.npz` and `spin_pw3d_test.npz`.

Raw layout (SPIN's fetch_data.sh, https://github.com/nkolot/SPIN; its data/dataset_extras folder):

    spin_data/coco_2014_train.npz, hr-lspet_train.npz, lsp_dataset_original_train.npz, mpi_inf_3dhp_train.npz,
    spin_data/mpii_train.npz, 3dpw_test.npz, h36m_train.npz (SPIN does not ship the last one: its
    datasets/preprocess/h36m_train.py makes it from Human3.6M and the MoSh fits)

Each file holds imgname, center, scale and, per dataset, part (N, 24, 3), openpose (N, 25, 3), S (N, 24, 4),
pose (N, 72), shape (N, 10), has_smpl (N,), gender (N,). The box is the square of side scale · 200 around the
centre; keypoints2d = openpose + part in smpl_49 order, keypoints3d = S in smpl_24 order.

The two extra modes use SpinConverter's code path unchanged where the file has the keys; `pw3d` (3dpw_test.npz has
no keypoints) stores smpl and meta.gender only. They are our reading of how mmhuman3d's published files were
made, not mmhuman3d code: check their counts against the published files (docs/data.md).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from train.prepare.common import (
    Options,
    RawDataError,
    human_data_keypoints,
    report,
    require_dir,
    require_file,
    write_human_data,
)

SOURCES = {  # mode → SPIN's file
    "coco_2014": "coco_2014_train.npz",
    "lsp": "lsp_dataset_original_train.npz",
    "mpi_inf_3dhp": "mpi_inf_3dhp_train.npz",
    "mpii": "mpii_train.npz",
    "lspet": "hr-lspet_train.npz",
    "h36m": "h36m_train.npz",
    "pw3d": "3dpw_test.npz",
}
MMHUMAN3D_MODES = ("coco_2014", "lsp", "mpii", "mpi_inf_3dhp", "lspet")


def output_name(mode: str) -> str:
    return "spin_pw3d_test.npz" if mode == "pw3d" else f"spin_{mode}_train.npz"


def convert(raw: Path, out: Path, mode: str, options: Options) -> list[str]:
    if mode not in SOURCES:
        raise RawDataError(f"SPIN mode {mode!r}: expected one of {list(SOURCES)}")
    source = require_file(
        require_dir(raw, "SPIN's dataset_extras folder") / SOURCES[mode],
        f"SPIN's preprocessed {SOURCES[mode]} (fetch_data.sh)",
    )
    data = _load(source)
    for key in ("imgname", "center", "scale"):
        if key not in data:
            raise RawDataError(f"{source}: no '{key}'; expected a SPIN dataset file (imgname, center, scale, ...)")
    fields = {}
    if "S" in data:
        keypoints3d, mask3d = human_data_keypoints(np.array(data["S"]).reshape((-1, 24, 4)), "smpl_24")
        fields.update(keypoints3d_mask=mask3d, keypoints3d=keypoints3d)
    if "has_smpl" in data or (mode == "pw3d" and "pose" in data):
        fields["smpl"] = {
            "body_pose": np.array(data["pose"][:, 3:]).reshape((-1, 23, 3)),
            "global_orient": np.array(data["pose"][:, :3]).reshape((-1, 3)),
            "betas": np.array(data["shape"]).reshape((-1, 10)),
        }
        if "has_smpl" in data:
            fields["has_smpl"] = data["has_smpl"]
    image_path = data["imgname"]
    if mode == "mpi_inf_3dhp":
        image_path = np.array([s.replace("imageFrames/", "").replace("frame_", "") for s in image_path])
    side = data["scale"] * 200
    x, y = data["center"][:, 0] - side / 2, data["center"][:, 1] - side / 2
    bbox = np.column_stack((x, y, side, side)).reshape((-1, 4))
    fields["image_path"] = np.asarray(image_path).tolist()
    fields["bbox_xywh"] = np.hstack([bbox, np.ones([bbox.shape[0], 1])])
    if "openpose" in data and "part" in data:
        keypoints2d, mask2d = human_data_keypoints(
            np.hstack([data["openpose"], data["part"]]).reshape((-1, 49, 3)), "smpl_49"
        )
        fields.update(keypoints2d_mask=mask2d, keypoints2d=keypoints2d)
    elif mode != "pw3d":
        raise RawDataError(f"{source}: no 'openpose' / 'part' keypoints; SPIN's {SOURCES[mode]} has both")
    if mode == "pw3d" and "gender" in data:
        fields["meta"] = {"gender": np.asarray(data["gender"])}
    fields["config"] = mode
    path = write_human_data(Path(out) / output_name(mode), fields)
    return [report(path, len(fields["image_path"]))]


def _load(path: Path) -> dict:
    """All arrays of a SPIN npz (no pickled objects are allowed in it)."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise RawDataError(
            f"{path}: not a readable SPIN npz ({error}); it may be truncated: download it again"
        ) from None
