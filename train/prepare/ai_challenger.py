"""AI Challenger keypoints 2017: `ai_challenger_train.npz`, for HMR as the original PyTorch HMR recipe trains on it.

mmhuman3d has no converter for it. Its 14 joints are the `ai_challenger_14` convention (core.joints.datasets),
filed into human_data by name like every other dataset. Which people are kept follows pytorch_HMR's
AICH_dataloader (MandyMo/pytorch_HMR, src/dataloader/AICH_dataloader.py, as its trainer builds it):
    - visibility v (1 visible, 2 labelled but occluded, 3 not labelled) weighs (3 − v) / 2; a person needs a
      total of at least 5 (`min_pts_required=5`);
    - a person whose box overlaps another person's box of the same image by more than 0.1 is dropped
      (`max_intersec_ratio=0.1`; overlap = intersection area / area of the box enclosing both).
Stored as mmhuman3d stores COCO: labelled joints (v = 1 or 2) get confidence 1, unlabelled ones 0; the box is
the annotated human box as xywh plus confidence 1.

Raw layout (https://challenger.ai, "keypoint" track; the archive ai_challenger_keypoint_train_20170902.zip):

    ai_challenger/keypoint_train_annotations_20170902.json
    ai_challenger/keypoint_train_images_20170902/<image_id>.jpg ...
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
    json_items,
    progress,
    report,
    require_dir,
    write_human_data,
)

RELEASES = {
    "train": ("keypoint_train_annotations_20170902.json", "keypoint_train_images_20170902"),
    "validation": ("keypoint_validation_annotations_20170911.json", "keypoint_validation_images_20170911"),
}
MIN_VISIBLE_WEIGHT = 5
MAX_OVERLAP = 0.1


def overlap_ratio(a, b) -> float:
    """pytorch_HMR util.get_rectangle_intersect_ratio: intersection / enclosing box, for xyxy boxes."""
    if a[0] >= b[2] or b[0] >= a[2] or a[1] >= b[3] or b[1] >= a[3]:
        return 0.0
    inter = (min(a[2], b[2]) - max(a[0], b[0])) * (min(a[3], b[3]) - max(a[1], b[1]))
    enclosing = (max(a[2], b[2]) - min(a[0], b[0])) * (max(a[3], b[3]) - min(a[1], b[1]))
    return inter / enclosing


def people(record: dict) -> list[tuple[str, np.ndarray, list]]:
    """The kept people of one image: (key, (14, 3) x, y, visibility, xyxy box)."""
    keypoints, boxes = record["keypoint_annotations"], record["human_annotations"]
    kept = []
    for key, points in keypoints.items():
        points = np.asarray(points, np.float64).reshape(14, 3)
        box = boxes[key]
        if ((3.0 - points[:, 2]) / 2.0).sum() < MIN_VISIBLE_WEIGHT:
            continue
        if any(overlap_ratio(box, other) > MAX_OVERLAP for name, other in boxes.items() if name != key):
            continue
        kept.append((key, points, box))
    return kept


def convert(raw: Path, out: Path, split: str, options: Options) -> list[str]:
    if split not in RELEASES:
        raise RawDataError(f"AI Challenger split {split!r}: expected one of {list(RELEASES)}")
    raw = require_dir(raw, "the AI Challenger keypoint folder")
    json_name, image_folder = RELEASES[split]
    ann_file = raw / json_name
    images = Images(raw, options.skip_missing_images, ann_file)
    image_path, keypoints, bbox = [], Column((14, 3), np.float64), Column((4,), np.float64)
    for index, record in enumerate(
        progress(
            json_items(ann_file, "item", "AI Challenger keypoint annotations"),
            "AI Challenger images",
            options,
            unit=" images",
        )
    ):
        try:
            kept = people(record)
            path = f"{image_folder}/{record['image_id']}.jpg"
        except (KeyError, ValueError, TypeError, IndexError) as error:
            raise RawDataError(
                f"{ann_file}: record {index} is not an AI Challenger keypoint annotation "
                f"(image_id, keypoint_annotations, human_annotations): {error!r}"
            ) from None
        if not kept or not images.present(path):
            continue
        for _, points, box in kept:
            confidence = (points[:, 2] < 3).astype(np.float64)
            image_path.append(path)
            keypoints.append(np.hstack([points[:, :2], confidence[:, None]]))
            bbox.append([box[0], box[1], box[2] - box[0], box[3] - box[1]])
    keypoints2d, mask = human_data_keypoints(keypoints.array(), "ai_challenger_14")
    boxes = bbox.array()
    fields = {
        "image_path": image_path,
        "bbox_xywh": np.hstack([boxes, np.ones([len(boxes), 1])]),
        "keypoints2d_mask": mask,
        "keypoints2d": keypoints2d,
        "config": "ai_challenger",
    }
    path = write_human_data(Path(out) / f"ai_challenger_{split}.npz", fields)
    return [report(path, len(image_path), images)]
