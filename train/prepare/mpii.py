"""MPII: `mpii_train.npz` from the train.h5 of pose-hg-train (the stacked-hourglass release of MPII's annotations),
as mmhuman3d 0.11.0's MpiiConverter writes it.

Raw layout (http://human-pose.mpi-inf.mpg.de/ for the images; https://github.com/princeton-vl/pose-hg-train,
data/mpii/annot/train.h5 for the annotations):

    mpii/train.h5          (center (N, 2), scale (N,), part (N, 16, 2), imgname (N,) bytes)
    mpii/images/000001163.jpg ...

A person is kept when all 16 joints are annotated (every coordinate > 0); the box is the square of side
scale · 200 around the centre; confidences are 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from train.prepare.common import (
    Column,
    Images,
    Options,
    RawDataError,
    human_data_keypoints,
    progress,
    report,
    require_dir,
    require_file,
    write_human_data,
)


def convert(raw: Path, out: Path, options: Options) -> list[str]:
    import h5py

    raw = require_dir(raw, "the MPII folder (train.h5, images/)")
    annot_file = require_file(raw / "train.h5", "pose-hg-train's MPII annotations (data/mpii/annot/train.h5)")
    try:
        with h5py.File(annot_file, "r") as annot:
            centers, names = np.array(annot["center"]), np.array(annot["imgname"])
            parts, scales = np.array(annot["part"]), np.array(annot["scale"])
    except (OSError, KeyError) as error:
        raise RawDataError(
            f"{annot_file}: expected an HDF5 file with center, imgname, part and scale ({error})"
        ) from None
    if parts.ndim != 3 or parts.shape[1:] != (16, 2) or not len(centers) == len(names) == len(parts) == len(scales):
        raise RawDataError(
            f"{annot_file}: part {parts.shape}, center {centers.shape}, imgname {names.shape}, "
            f"scale {scales.shape}; expected (N, 16, 2), (N, 2), (N,), (N,)"
        )
    images = Images(raw, options.skip_missing_images, annot_file)
    image_path, bbox, keypoints = [], Column((4,), np.float64), Column((16, 3))
    for center, name, part, scale in progress(list(zip(centers, names, parts, scales)), "MPII people", options):
        if (part > 0).sum() < 2 * 16:
            continue
        path = "images/" + (name.decode("utf-8") if isinstance(name, bytes) else str(name))
        if not images.present(path):
            continue
        side = scale * 200
        image_path.append(path)
        bbox.append([center[0] - side / 2, center[1] - side / 2, side, side])
        keypoints.append(np.hstack([part, np.ones([16, 1])]))
    boxes = bbox.array()
    keypoints2d, mask = human_data_keypoints(keypoints.array(), "mpii_16")
    fields = {
        "image_path": image_path,
        "bbox_xywh": np.hstack([boxes, np.ones([len(boxes), 1])]),
        "keypoints2d_mask": mask,
        "keypoints2d": keypoints2d,
        "config": "mpii",
    }
    path = write_human_data(Path(out) / "mpii_train.npz", fields)
    return [report(path, len(image_path), images)]
