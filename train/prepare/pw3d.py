"""3DPW: `pw3d_test.npz` / `pw3d_train.npz` from the official sequence pickles, and `hybrik_pw3d_test.npz` from
HybrIK's `3DPW_test_new.json`, as mmhuman3d 0.11.0's Pw3dConverter and Pw3dHybrIKConverter write them.

Raw layout (https://virtualhumans.mpi-inf.mpg.de/3DPW/):

    pw3d/imageFiles/<sequence>/image_00000.jpg ...
    pw3d/sequenceFiles/{train,validation,test}/<sequence>.pkl      (Python 2 pickles, read as latin-1)

One sample per person and frame with `campose_valid`; the box is the 1.2-enlarged box of the 2D keypoints with
confidence > 0; `global_orient` is rotated into the camera frame (R · Rodrigues(pose[:3])); betas are the first
10. Sequences are read in sorted file-name order (mmhuman3d uses os.listdir's order, which depends on the file
system; see docs/mmhuman3d_equivalence.md).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from train.prepare.common import (
    Column,
    Images,
    Options,
    RawDataError,
    cam_to_pixel,
    camera_parameter,
    hybrik_box,
    hybrik_keypoint_fields,
    image_size,
    intrinsic_matrix,
    json_items,
    keypoints_box,
    load_pickle,
    progress,
    report,
    require_dir,
    write_human_data,
)

SEQUENCE_KEYS = ("poses", "betas", "poses2d", "cam_poses", "genders", "campose_valid", "cam_intrinsics", "sequence")
HYBRIK_JSON = "3DPW_test_new.json"


def convert(raw: Path, out: Path, split: str, options: Options) -> list[str]:
    """`<out>/pw3d_<split>.npz` from `<raw>/sequenceFiles/<split>/*.pkl`; images under `<raw>/imageFiles`."""
    folder = require_dir(Path(raw) / "sequenceFiles" / split, f"3DPW's sequenceFiles/{split}/*.pkl")
    files = sorted(p for p in folder.iterdir() if p.suffix == ".pkl")
    if not files:
        raise RawDataError(f"{folder}: no .pkl sequence files; expected 3DPW's sequenceFiles/{split}/<sequence>.pkl")
    images = Images(raw, options.skip_missing_images, folder)
    image_path, gender, cam_param = [], [], []
    bbox, body_pose, global_orient, betas = Column((4,), np.float64), Column((23, 3)), Column((3,)), Column((10,))
    sizes: dict[str, tuple[int, int]] = {}
    for file in progress(files, f"3DPW {split} sequences", options):
        sequence = _read_sequence(file)
        for row in _sequence_samples(sequence, file):
            if not images.present(row["image_path"]):
                continue
            if row["image_path"] not in sizes:
                sizes[row["image_path"]] = image_size(Path(raw) / row["image_path"])
            height, width = sizes[row["image_path"]]
            image_path.append(row["image_path"])
            bbox.append(row["bbox"])
            body_pose.append(row["pose"][3:].reshape(23, 3))
            global_orient.append(row["pose"][:3])
            betas.append(row["betas"])
            gender.append(row["gender"])
            cam_param.append(camera_parameter(row["K"], row["R"], row["T"], height, width))
    bbox_xywh = bbox.array()
    fields = {
        "image_path": image_path,
        "bbox_xywh": np.hstack([bbox_xywh, np.ones([len(bbox_xywh), 1])]),
        "smpl": {"body_pose": body_pose.array(), "global_orient": global_orient.array(), "betas": betas.array()},
        "meta": {"gender": np.array(gender)},
        "cam_param": cam_param,
        "config": "pw3d",
    }
    path = write_human_data(Path(out) / f"pw3d_{split}.npz", fields)
    return [report(path, len(image_path), images)]


def _read_sequence(file: Path) -> dict:
    data = load_pickle(file, "3DPW sequence pickle")
    if not isinstance(data, dict) or any(key not in data for key in SEQUENCE_KEYS):
        found = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise RawDataError(f"{file}: not a 3DPW sequence file; expected the keys {list(SEQUENCE_KEYS)}, found {found}")
    return data


def _sequence_samples(data: dict, file: Path):
    """Each valid (person, frame) of one sequence, in mmhuman3d's order: person by person, frame by frame."""
    valid = np.array(data["campose_valid"]).astype(bool)
    K = np.array(data["cam_intrinsics"])
    cam_poses = np.asarray(data["cam_poses"])
    num_frames = len(data["poses"][0])
    names = np.array([f"imageFiles/{data['sequence']}/image_{str(i).zfill(5)}.jpg" for i in range(num_frames)])
    for person in range(len(data["poses"])):
        poses = np.asarray(data["poses"][person])[valid[person]]
        betas = np.tile(np.asarray(data["betas"][person])[:10].reshape(1, -1), (num_frames, 1))[valid[person]]
        keypoints2d = np.asarray(data["poses2d"][person])[valid[person]]
        extrinsics, frames = cam_poses[valid[person]], names[valid[person]]
        for k in range(len(poses)):
            points = keypoints2d[k].T
            points = points[points[:, 2] > 0, :]
            if not len(points):
                raise RawDataError(
                    f"{file}: person {person}, {frames[k]}: no 2D keypoint with confidence > 0, so "
                    "no box can be made (mmhuman3d's converter fails here too)"
                )
            pose = poses[k]
            R, T = extrinsics[k][:3, :3], extrinsics[k][:3, 3]
            pose[:3] = cv2.Rodrigues(np.dot(R, cv2.Rodrigues(pose[:3])[0]))[0].T[0]
            yield {
                "image_path": str(frames[k]),
                "bbox": keypoints_box(points),
                "pose": pose,
                "betas": betas[k],
                "gender": data["genders"][person],
                "K": K,
                "R": R,
                "T": T,
            }


# ------------------------------------------------------------------------------------------------ HybrIK


def convert_hybrik(raw: Path, out: Path, images_root: Path, options: Options) -> list[str]:
    """`<out>/hybrik_pw3d_test.npz` from `<raw>/3DPW_test_new.json` (HybrIK's parsed 3DPW test set)."""
    ann_file = Path(raw) / HYBRIK_JSON
    what = "HybrIK's 3DPW_test_new.json"
    frames = {image["id"]: image for image in json_items(ann_file, "images.item", what)}
    images = Images(images_root, options.skip_missing_images, ann_file)
    rows = _HybrIKRows()
    for ann in progress(json_items(ann_file, "annotations.item", what), "3DPW HybrIK annotations", options):
        image = frames.get(ann.get("image_id"))
        if image is None:
            raise RawDataError(
                f"{ann_file}: annotation {ann.get('id')} names image_id {ann.get('image_id')!r}, "
                "which is not in 'images'"
            )
        path = "imageFiles/" + str(image["sequence"]) + "/" + str(image["file_name"])
        if images.present(path):
            rows.add(ann, image, path)
    path = write_human_data(Path(out) / "hybrik_pw3d_test.npz", rows.fields())
    return [report(path, len(rows.image_path), images)]


class _HybrIKRows:
    """Pw3dHybrIKConverter's per-sample arrays, in its order."""

    def __init__(self):
        self.image_path, self.height, self.width = [], [], []
        self.thetas, self.betas = Column((24, 3), np.float64), Column((10,), np.float64)
        self.f, self.c, self.intrinsic = Column((2,), np.float32), Column((2,), np.float32), Column((3, 3), np.float32)
        self.bbox, self.root_cam = Column((4,), np.float64), Column((3,), np.float32)
        self.joints17 = {name: Column((17, 4), np.float64) for name in ("img", "cam", "relative")}
        self.joints29 = {name: Column((29, 4), np.float64) for name in ("img", "cam", "relative")}

    def add(self, ann: dict, image: dict, path: str) -> None:
        height, width = image["height"], image["width"]
        f = np.array(image["cam_param"]["focal"], dtype=np.float32)
        c = np.array(image["cam_param"]["princpt"], dtype=np.float32)
        joint_cam_17 = np.array(ann["h36m_joints"]).reshape(17, 3)
        smpl_cam = np.array(ann["smpl_joint_cam"]).reshape(24, 3)
        ones17 = np.ones([17, 1])
        self.joints17["img"].append(np.hstack([np.zeros((17, 3)), ones17]))
        self.joints17["cam"].append(np.hstack([joint_cam_17, ones17]))
        self.joints17["relative"].append(np.hstack([joint_cam_17 - joint_cam_17[0, :], ones17]))
        cam29 = np.zeros((29, 3))
        cam29[:24] = smpl_cam
        img29 = np.zeros((29, 3))
        img29[:24] = cam_to_pixel(smpl_cam, f, c)
        img29[:, 2] = img29[:, 2] - cam29[0, 2]
        vis29 = np.zeros((29, 1))
        vis29[:24] = 1
        self.joints29["img"].append(np.hstack([img29, vis29]))
        self.joints29["cam"].append(np.hstack([cam29, vis29]))
        self.joints29["relative"].append(np.hstack([cam29 - cam29[0, :].copy(), vis29]))
        self.betas.append(np.array(ann["smpl_param"]["shape"]).reshape(10))
        self.thetas.append(np.array(ann["smpl_param"]["pose"]).reshape(24, 3))
        self.image_path.append(path)
        self.height.append(height)
        self.width.append(width)
        self.bbox.append(hybrik_box(np.array(ann["bbox"]), width, height))
        self.f.append(f)
        self.c.append(c)
        self.intrinsic.append(intrinsic_matrix(f, c, inv=True))
        self.root_cam.append(cam29[0].astype(np.float32))

    def fields(self) -> dict:
        bbox = self.bbox.array()
        return {
            "image_path": self.image_path,
            "image_height": self.height,
            "image_width": self.width,
            "bbox_xywh": np.hstack([bbox, np.ones([len(bbox), 1])]),
            "smpl": {"thetas": self.thetas.array(), "betas": self.betas.array()},
            "cam_param": {"f": self.f.array(), "c": self.c.array(), "intrinsic": self.intrinsic.array()},
            "root_cam": self.root_cam.array(),
            "depth_factor": [2.0] * len(self.image_path),
            **hybrik_keypoint_fields(self.joints17, self.joints29),
            "config": "pw3d",
        }
