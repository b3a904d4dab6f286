"""COCO keypoints: `coco_2014_train.npz` (HMR) and `hybrik_coco_2017_train.npz` (HybrIK), as mmhuman3d 0.11.0's
CocoConverter and CocoHybrIKConverter write them.

Raw layout (https://cocodataset.org/#download: "2014 Train images", "2017 Train images" and the
"Train/Val annotations" of each year):

    coco/annotations/person_keypoints_train2014.json
    coco/train2014/COCO_train2014_000000000036.jpg ...
    coco/train_2017/annotations/person_keypoints_train2017.json
    coco/train_2017/train2017/000000000036.jpg ...

A person is kept when all 12 body joints (shoulders to ankles) are labelled; labelled joints (visible or not)
get confidence 1. COCO 2014 keeps the annotated xywh box and orders people by image id (stable); HybrIK's 2017
file keeps the file's order and stores the box as xyxy clipped to the image (get_bbox), with the image size.
The annotation files are streamed (ijson), never loaded whole.
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
    hybrik_box,
    json_items,
    progress,
    report,
    require_dir,
    write_human_data,
)


def _images(ann_file: Path, what: str) -> dict:
    """id → (file_name, height, width) from the file's 'images'."""
    return {
        image["id"]: (str(image["file_name"]), image.get("height"), image.get("width"))
        for image in json_items(ann_file, "images.item", what)
    }


def _labelled(annotation: dict, ann_file: Path, index: int) -> np.ndarray | None:
    """(17, 3) keypoints with labelled joints' flag set to 1, or None when a body joint is unlabelled."""
    try:
        keypoints = np.reshape(annotation["keypoints"], (17, 3))
    except (KeyError, ValueError) as error:
        raise RawDataError(f"{ann_file}: annotation {index} has no 17 × 3 'keypoints' ({error})") from None
    keypoints[keypoints[:, 2] > 0, 2] = 1
    return keypoints if sum(keypoints[5:, 2] > 0) >= 12 else None


def convert_2014(raw: Path, out: Path, options: Options) -> list[str]:
    raw = require_dir(raw, "the COCO folder (annotations/, train2014/)")
    ann_file = raw / "annotations" / "person_keypoints_train2014.json"
    what = "COCO 2014 person keypoints annotations"
    frames = _images(ann_file, what)
    ids, keypoints, bbox = Column((), np.int64), Column((17, 3), np.float64), Column((4,), np.float64)
    for index, annotation in enumerate(
        progress(json_items(ann_file, "annotations.item", what), "COCO 2014 people", options, unit=" people")
    ):
        points = _labelled(annotation, ann_file, index)
        if points is None:
            continue
        ids.append(int(annotation["image_id"]))
        keypoints.append(points)
        bbox.append(annotation["bbox"])
    image_ids = ids.array()
    order = np.argsort(image_ids, kind="stable")  # mmhuman3d sorts the annotations by image id first
    images = Images(raw, options.skip_missing_images, ann_file)
    keep, image_path = [], []
    for k in order:
        path = "train2014/" + _file_name(frames, int(image_ids[k]), ann_file)
        if images.present(path):
            keep.append(k)
            image_path.append(path)
    keypoints2d, mask = human_data_keypoints(keypoints.array()[keep], "coco_annotated_17")
    boxes = bbox.array()[keep]
    fields = {
        "image_path": image_path,
        "bbox_xywh": np.hstack([boxes, np.ones([len(boxes), 1])]),
        "keypoints2d_mask": mask,
        "keypoints2d": keypoints2d,
        "config": "coco",
    }
    path = write_human_data(Path(out) / "coco_2014_train.npz", fields)
    return [report(path, len(image_path), images)]


def _file_name(frames: dict, image_id: int, ann_file: Path) -> str:
    if image_id not in frames:
        raise RawDataError(f"{ann_file}: an annotation names image_id {image_id}, which is not in 'images'")
    return frames[image_id][0]


def convert_hybrik_2017(raw: Path, out: Path, options: Options) -> list[str]:
    """`raw` is coco/train_2017; image paths are relative to its parent (coco/)."""
    raw = require_dir(raw, "COCO 2017's folder (annotations/, train2017/)")
    ann_file = raw / "annotations" / "person_keypoints_train2017.json"
    what = "COCO 2017 person keypoints annotations"
    frames = _images(ann_file, what)
    images = Images(raw.parent, options.skip_missing_images, ann_file)
    image_path, height, width = [], [], []
    keypoints, bbox = Column((17, 3), np.float64), Column((4,), np.float64)
    for index, annotation in enumerate(
        progress(json_items(ann_file, "annotations.item", what), "COCO 2017 people", options, unit=" people")
    ):
        points = _labelled(annotation, ann_file, index)
        if points is None:
            continue
        image_id = annotation["image_id"]
        name = _file_name(frames, image_id, ann_file)
        _, image_height, image_width = frames[image_id]
        path = "train_2017/train2017/" + name
        if not images.present(path):
            continue
        image_path.append(path)
        height.append(image_height)
        width.append(image_width)
        keypoints.append(points)
        bbox.append(hybrik_box(np.array(annotation["bbox"]), image_width, image_height))
    keypoints2d, mask = human_data_keypoints(keypoints.array(), "coco_annotated_17")
    boxes = bbox.array()
    fields = {
        "image_path": image_path,
        "image_height": height,
        "image_width": width,
        "depth_factor": [2000.0] * len(image_path),
        "bbox_xywh": np.hstack([boxes, np.ones([len(boxes), 1])]),
        "keypoints2d_mask": mask,
        "keypoints2d": keypoints2d,
        "config": "coco",
    }
    path = write_human_data(Path(out) / "hybrik_coco_2017_train.npz", fields)
    return [report(path, len(image_path), images)]
