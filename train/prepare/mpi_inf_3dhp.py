"""MPI-INF-3DHP: `mpi_inf_3dhp_train.npz` / `mpi_inf_3dhp_test.npz` from the official release and
`hybrik_mpi_inf_3dhp_train.npz` from HybrIK's json, as mmhuman3d 0.11.0's MpiInf3dhpConverter and
MpiInf3dhpHybrIKConverter write them.

Raw layout (https://vcai.mpi-inf.mpg.de/3dhp-dataset/, the release's get_dataset.sh):

    mpi_inf_3dhp/S1/Seq1/annot.mat                     (annot2 / annot3: one cell per camera, (F, 56) / (F, 84))
    mpi_inf_3dhp/S1/Seq1/camera.calibration
    mpi_inf_3dhp/S1/Seq1/imageSequence/video_0.avi ...  (only with --extract-frames)
    mpi_inf_3dhp/S1/Seq1/video_0/000001.jpg ...         (the frames; --extract-frames writes them from the .avi)
    mpi_inf_3dhp/mpi_inf_3dhp_test_set/TS1/annot_data.mat, TS1/imageSequence/img_000001.jpg ...

Train: subjects S1-S8, sequences 1-2, cameras 0-2 and 4-8; a frame is kept when all 28 joints project inside
the 2048 × 2048 image, and of the kept frames every 10th (counted across the whole set, the first one kept).
The box is the 1.2-enlarged keypoint box; 3D joints in metres relative to joint 4 (the pelvis). The cameras of
camera.calibration are not used by mmhuman3d's converter (the 3D joints are already in each camera's frame).
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
    human_data_keypoints,
    hybrik_box,
    intrinsic_matrix,
    json_items,
    keypoints_box,
    load_mat,
    mat_array,
    progress,
    report,
    require_dir,
    require_file,
    write_human_data,
)
from train.prepare.h36m import _lockstep

TRAIN_VIDEOS = (0, 1, 2, 4, 5, 6, 7, 8)
IMAGE_SIDE = 2048
HYBRIK_JSON = {"train": "annotation_mpi_inf_3dhp_train_v2.json", "test": "annotation_mpi_inf_3dhp_test.json"}


def convert(raw: Path, out: Path, split: str, options: Options) -> list[str]:
    raw = require_dir(raw, "the MPI-INF-3DHP folder (S1 ... S8, mpi_inf_3dhp_test_set)")
    if split == "train":
        rows, convention = _train_rows(raw, options), "mpi_inf_3dhp_28"
    elif split == "test":
        rows, convention = _test_rows(raw, options), "mpi_inf_3dhp_test_17"
    else:
        raise RawDataError(f"MPI-INF-3DHP split {split!r}: expected 'train' or 'test'")
    boxes = rows["bbox"].array()
    keypoints2d, mask = human_data_keypoints(rows["keypoints2d"].array(), convention)
    keypoints3d, _ = human_data_keypoints(rows["keypoints3d"].array(), convention)
    fields = {
        "image_path": rows["image_path"],
        "bbox_xywh": np.hstack([boxes, np.ones([len(boxes), 1])]),
        "keypoints2d_mask": mask,
        "keypoints3d_mask": mask,
        "keypoints2d": keypoints2d,
        "keypoints3d": keypoints3d,
        "config": "mpi_inf_3dhp",
    }
    path = write_human_data(Path(out) / f"mpi_inf_3dhp_{split}.npz", fields)
    return [report(path, len(rows["image_path"]))]


def _new_rows(num_joints: int) -> dict:
    return {
        "image_path": [],
        "bbox": Column((4,), np.float64),
        "keypoints2d": Column((num_joints, 3)),
        "keypoints3d": Column((num_joints, 4)),
    }


def _keep(rows: dict, path: str, keypoints2d: np.ndarray, keypoints3d: np.ndarray) -> None:
    num = len(keypoints2d)
    rows["image_path"].append(path)
    rows["bbox"].append(keypoints_box(keypoints2d))
    rows["keypoints2d"].append(np.hstack([keypoints2d, np.ones((num, 1))]))
    rows["keypoints3d"].append(np.hstack([keypoints3d, np.ones((num, 1))]))


def _inside(keypoints2d: np.ndarray) -> bool:
    """mmhuman3d extract_keypoints: every joint inside the 2048 × 2048 frame."""
    x_in = np.logical_and(keypoints2d[:, 0] < IMAGE_SIDE, keypoints2d[:, 0] >= 0)
    y_in = np.logical_and(keypoints2d[:, 1] < IMAGE_SIDE, keypoints2d[:, 1] >= 0)
    return bool(np.sum(np.logical_and(x_in, y_in)) >= len(keypoints2d))


def _train_rows(raw: Path, options: Options) -> dict:
    rows, counter = _new_rows(28), 0
    sequences = [(user, seq) for user in range(1, 9) for seq in (1, 2)]
    for user, seq in progress(sequences, "MPI-INF-3DHP sequences", options):
        seq_path = require_dir(raw / f"S{user}" / f"Seq{seq}", f"MPI-INF-3DHP's S{user}/Seq{seq}")
        annot_file = seq_path / "annot.mat"
        mat = load_mat(annot_file, "MPI-INF-3DHP annotation file (annot2, annot3)")
        annot2 = mat_array(mat, "annot2", annot_file, "2D joints per camera")
        annot3 = mat_array(mat, "annot3", annot_file, "3D joints per camera")
        for vid in TRAIN_VIDEOS:
            frames_dir = seq_path / f"video_{vid}"
            if options.extract_frames:
                _extract(seq_path / "imageSequence" / f"video_{vid}.avi", frames_dir)
            frames = sorted(frames_dir.glob("*.jpg"))
            if not frames:
                raise RawDataError(
                    f"{frames_dir}: no frames (*.jpg). Extract them from imageSequence/video_{vid}.avi "
                    "with --extract-frames (see docs/data.md)"
                )
            points2d, points3d = _camera_cells(annot2, annot3, vid, annot_file)
            if len(frames) > len(points2d):
                raise RawDataError(f"{frames_dir}: {len(frames)} frames but {annot_file} annotates {len(points2d)}")
            for i, frame in enumerate(frames):
                keypoints2d = np.reshape(points2d[i], (28, 2))
                keypoints3d = np.reshape(points3d[i], (28, 3)) / 1000
                keypoints3d = keypoints3d - keypoints3d[4]
                if not _inside(keypoints2d):
                    continue
                counter += 1  # every 10th valid frame, counted over the whole set
                if counter % 10 != 1:
                    continue
                _keep(rows, f"S{user}/Seq{seq}/video_{vid}/{frame.name}", keypoints2d, keypoints3d)
    return rows


def _camera_cells(annot2, annot3, vid: int, path: Path):
    try:
        return annot2[vid][0], annot3[vid][0]
    except (IndexError, TypeError):
        raise RawDataError(
            f"{path}: annot2/annot3 should hold one cell per camera (14); camera {vid} is missing"
        ) from None


def _extract(video: Path, folder: Path) -> None:
    """Every frame of `video` as folder/000001.jpg, ... (mmhuman3d's extract_img)."""
    require_file(video, "an MPI-INF-3DHP camera video (for --extract-frames)")
    folder.mkdir(parents=True, exist_ok=True)
    capture, frame = cv2.VideoCapture(str(video)), 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frame += 1
        cv2.imwrite(str(folder / f"{frame:06d}.jpg"), image)


def _test_rows(raw: Path, options: Options) -> dict:
    import h5py

    rows = _new_rows(17)
    for user in progress(range(1, 7), "MPI-INF-3DHP test sequences", options):
        annot_file = require_file(
            raw / "mpi_inf_3dhp_test_set" / f"TS{user}" / "annot_data.mat",
            "MPI-INF-3DHP test annotations (MATLAB v7.3)",
        )
        try:
            with h5py.File(annot_file, "r") as mat:
                annot2, annot3 = np.array(mat["annot2"]), np.array(mat["univ_annot3"])
                valid = np.array(mat["valid_frame"])
        except (OSError, KeyError) as error:
            raise RawDataError(
                f"{annot_file}: expected an HDF5 .mat with annot2, univ_annot3, valid_frame ({error})"
            ) from None
        for frame_i, valid_i in enumerate(valid):
            if valid_i == 0:
                continue
            keypoints2d = annot2[frame_i, 0, :, :]
            keypoints3d = annot3[frame_i, 0, :, :] / 1000
            keypoints3d = keypoints3d - keypoints3d[14]  # pelvis
            if not _inside(keypoints2d):
                continue
            path = f"mpi_inf_3dhp_test_set/TS{user}/imageSequence/img_{str(frame_i + 1).zfill(6)}.jpg"
            _keep(rows, path, keypoints2d, keypoints3d)
    return rows


# ------------------------------------------------------------------------------------------------ HybrIK json


def convert_hybrik(raw: Path, out: Path, split: str, images_root: Path, options: Options) -> list[str]:
    """MpiInf3dhpHybrIKConverter: `hybrik_mpi_inf_3dhp_{train,test}.npz` from HybrIK's json."""
    if split not in HYBRIK_JSON:
        raise RawDataError(f"HybrIK MPI-INF-3DHP split {split!r}: expected one of {list(HYBRIK_JSON)}")
    ann_file = Path(raw) / HYBRIK_JSON[split]
    what = f"HybrIK's {HYBRIK_JSON[split]}"
    pairs = _lockstep(
        json_items(ann_file, "images.item", what), json_items(ann_file, "annotations.item", what), ann_file
    )
    images = Images(images_root, options.skip_missing_images, ann_file)
    num_joints, root = (28, 4) if split == "train" else (17, 14)
    image_path, height, width, depth = [], [], [], []
    bbox, root_cam = Column((4,), np.float64), Column((3,), np.float64)
    f, c, intrinsic = Column((2,), np.float64), Column((2,), np.float64), Column((3, 3), np.float32)
    joint_img, joint_cam = Column((num_joints, 4), np.float64), Column((num_joints, 4), np.float64)
    for index, (image, ann) in enumerate(progress(pairs, "MPI-INF-3DHP HybrIK", options)):
        merged = dict(image)
        merged.update(ann)
        try:
            path = _hybrik_path(merged["file_name"], split)
            K = np.array(merged["cam_param"]["intrinsic_param"])
            cam = np.array(merged["keypoints_cam"])
            if cam.shape != (num_joints, 3):
                raise ValueError(f"keypoints_cam has shape {cam.shape}, expected ({num_joints}, 3)")
            if not images.present(path):
                continue
            img = _cam_to_pixel_matrix(cam, K)
            img[:, 2] = img[:, 2] - cam[root, 2]
            bbox.append(hybrik_box(np.array(merged["bbox"]), merged["width"], merged["height"]))
        except (KeyError, ValueError, TypeError, IndexError) as error:
            raise RawDataError(
                f"{ann_file}: sample {index} is not a HybrIK MPI-INF-3DHP annotation ({error!r})"
            ) from None
        focal, center = np.array([K[0, 0], K[1, 1]]), np.array([K[0, 2], K[1, 2]])
        image_path.append(path)
        height.append(merged["height"])
        width.append(merged["width"])
        depth.append(2000.0)
        f.append(focal)
        c.append(center)
        intrinsic.append(intrinsic_matrix(focal, center, inv=True))
        ones = np.ones([num_joints, 1])
        joint_img.append(np.hstack([img, ones]))
        joint_cam.append(np.hstack([cam, ones]))
        root_cam.append(cam[root])
    convention = "hybrik_hp3d_28" if split == "train" else "mpi_inf_3dhp_test_17"
    keypoints3d, mask = human_data_keypoints(joint_img.array(), convention)
    keypoints3d_cam, _ = human_data_keypoints(joint_cam.array(), convention)
    boxes = bbox.array()
    fields = {
        "image_path": image_path,
        "bbox_xywh": np.hstack([boxes, np.ones([len(boxes), 1])]),
        "depth_factor": depth,
        "keypoints3d_mask": mask,
        "keypoints3d_cam_mask": mask,
        "keypoints3d_cam": keypoints3d_cam,
        "keypoints3d": keypoints3d,
        "cam_param": {"f": f.array(), "c": c.array(), "intrinsic": intrinsic.array()},
        "root_cam": root_cam.array(),
        "image_height": height,
        "image_width": width,
        "config": "mpi_inf_3dhp",
    }
    path = write_human_data(Path(out) / f"hybrik_mpi_inf_3dhp_{split}.npz", fields)
    return [report(path, len(image_path), images)]


def _hybrik_path(file_name: str, split: str) -> str:
    """HybrIK's '.../img_S1_Seq1_V0_000001.jpg' → 'S1/Seq1/video_0/000001.jpg' (train); test names are kept."""
    if split == "test":
        return "mpi_inf_3dhp_test_set/" + file_name
    parts = file_name.split("/")[-1].split("_")
    if len(parts) != 5:
        raise ValueError(f"file_name {file_name!r} is not '<prefix>_S<n>_Seq<n>_V<n>_<frame>.jpg'")
    _, subject, sequence, video, frame = parts
    return f"{subject}/{sequence}/{video.replace('V', 'video_')}/{frame}"


def _cam_to_pixel_matrix(cam: np.ndarray, K: np.ndarray) -> np.ndarray:
    """MpiInf3dhpHybrIKConverter.cam2pixel_matrix: (J, 3) camera points and a 3 × 4 K → (J, 3) u, v, z."""
    cam = cam.transpose(1, 0)
    homogeneous = np.concatenate((cam, np.ones((1, cam.shape[1]), dtype=np.float32)), axis=0)
    img = np.dot(K, homogeneous) / (cam[2, :] + 1e-8)
    return np.concatenate((img[:2, :], cam[2:3, :]), axis=0).transpose(1, 0)
