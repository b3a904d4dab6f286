"""LSP and LSP-extended: `lsp_train.npz` / `lsp_test.npz` and `lspet_train.npz`, as mmhuman3d 0.11.0's LspConverter
and LspExtendedConverter write them.

Raw layouts (http://sam.johnson.io/research/lsp.html, the high-resolution releases):

    lsp/joints.mat                (3 × 14 × 2000: x, y, visibility per joint and image)
    lsp/images/im0001.jpg ...     (lsp_dataset_original: the first half is train, the second half test)
    lspet/joints.mat              (14 × 3 × 10000, hr-lspet)
    lspet/im00001.png ...

Every joint gets confidence 1 (the visibility row is not read, as in mmhuman3d); an image whose keypoint box
leaves the image is skipped; the box is the 1.2-enlarged keypoint box.
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
    image_size,
    keypoints_box,
    load_mat,
    mat_array,
    progress,
    report,
    require_dir,
    write_human_data,
)


def convert_lsp(raw: Path, out: Path, split: str, options: Options) -> list[str]:
    raw = require_dir(raw, "the LSP folder (joints.mat, images/)")
    annot_file = raw / "joints.mat"
    joints = mat_array(load_mat(annot_file, "LSP's joints.mat"), "joints", annot_file, "3 × 14 × N")
    image_dir = require_dir(raw / "images", "LSP's images/im0001.jpg ...")
    count = len([name for name in (p.name for p in image_dir.iterdir()) if ".jpg" in name])
    if joints.ndim != 3 or joints.shape[:2] != (3, 14) or joints.shape[2] < count:
        raise RawDataError(
            f"{annot_file}: 'joints' has shape {joints.shape}; expected (3, 14, N) with N ≥ the "
            f"{count} images in {image_dir}"
        )
    if split == "train":
        indices = range(count // 2)
    elif split == "test":
        indices = range(count // 2, count)
    else:
        raise RawDataError(f"LSP split {split!r}: expected 'train' or 'test'")
    names = [f"images/im{i + 1:04d}.jpg" for i in indices]
    rows = _rows(raw, names, [joints[:2, :, i].T for i in indices], annot_file, options, "LSP")
    return [_write(out / f"lsp_{split}.npz", rows, "lsp")]


def convert_lspet(raw: Path, out: Path, options: Options) -> list[str]:
    raw = require_dir(raw, "the LSP-extended folder (joints.mat, im00001.png ...)")
    annot_file = raw / "joints.mat"
    joints = mat_array(load_mat(annot_file, "hr-lspet's joints.mat"), "joints", annot_file, "14 × 3 × N")
    names = sorted(p.name for p in raw.glob("*.png"))
    if not names:
        raise RawDataError(f"{raw}: no .png images; expected hr-lspet's im00001.png ...")
    if joints.ndim != 3 or joints.shape[:2] != (14, 3) or joints.shape[2] < len(names):
        raise RawDataError(
            f"{annot_file}: 'joints' has shape {joints.shape}; expected (14, 3, N) with N ≥ the {len(names)} images"
        )
    rows = _rows(raw, names, [joints[:, :2, i] for i in range(len(names))], annot_file, options, "LSP-extended")
    return [_write(out / "lspet_train.npz", rows, "hr-lspet")]


def _rows(raw: Path, names: list[str], points: list[np.ndarray], annot_file: Path, options: Options, title: str):
    images = Images(raw, options.skip_missing_images, annot_file)
    rows = {
        "image_path": [],
        "bbox": Column((4,), np.float64),
        "keypoints2d": Column((14, 3)),
        "images": images,
        "outside": 0,
    }
    for name, xy in progress(list(zip(names, points)), f"{title} images", options):
        if not images.present(name):
            continue
        height, width = image_size(raw / name)
        keypoints2d = np.hstack([xy, np.ones([14, 1])])
        x1, y1, x2, y2 = min(keypoints2d[:, 0]), min(keypoints2d[:, 1]), max(keypoints2d[:, 0]), max(keypoints2d[:, 1])
        if not (0 <= x1 <= width and 0 <= x2 <= width and 0 <= y1 <= height and 0 <= y2 <= height):
            rows["outside"] += 1  # mmhuman3d: 'Bbox out of image bounds. Skipping image'
            continue
        rows["image_path"].append(name)
        rows["bbox"].append(keypoints_box(keypoints2d))
        rows["keypoints2d"].append(keypoints2d)
    return rows


def _write(path: Path, rows: dict, config: str) -> str:
    boxes = rows["bbox"].array()
    keypoints2d, mask = human_data_keypoints(rows["keypoints2d"].array(), "lsp_14")
    fields = {
        "image_path": rows["image_path"],
        "bbox_xywh": np.hstack([boxes, np.ones([len(boxes), 1])]),
        "keypoints2d_mask": mask,
        "keypoints2d": keypoints2d,
        "config": config,
    }
    written = write_human_data(path, fields)
    extra = f"{rows['outside']} images skipped: keypoints outside the image" if rows["outside"] else ""
    return report(written, len(rows["image_path"]), rows["images"], extra)
