"""Human3.6M: `h36m_mosh_train.npz` (or `h36m_train.npz` without MoSh), `h36m_valid_protocol{1,2}.npz` from the
official release, and `hybrik_h36m_train.npz` from HybrIK's json, as mmhuman3d 0.11.0's H36mConverter and
H36mHybrIKConverter write them.

Raw layout (http://vision.imar.ro/human3.6m/, after registering):

    h36m/metadata.xml                                   (from the official code release: cameras, sequence names)
    h36m/S1/MyPoseFeatures/D2_Positions/<Action>.<camera>.cdf
    h36m/S1/MyPoseFeatures/D3_Positions_mono/<Action>.<camera>.cdf
    h36m/S1/MySegmentsMat/ground_truth_bs/<Action>.<camera>.mat     (MATLAB v7.3 masks)
    h36m/S1/Videos/<Action>.<camera>.mp4                             (only with --extract-frames)
    h36m/S1/images/S1_<Action>.<camera>/S1_<Action>.<camera>_000001.jpg ...   (what --extract-frames writes)
    h36m_mosh/S1/<Action>_cam<0-3>_aligned.pkl          (MoSh fits from HMR's authors; optional)

Frame sampling as mmhuman3d: every 5th frame (frame_i % 5 == 0), all four cameras for protocol 1, camera
60457274 only for protocol 2; train = S1, S5, S6, S7, S8, valid = S9, S11. Boxes come from the masks (min/max
of the foreground + 1, shrunk to 0.9), keypoints are the 17 H36M joints of the 32 (3D in metres, root-centred).
With MoSh, a sequence without its fit file is skipped (mmhuman3d prints and skips it too); the fits' root is
rotated by 180° about x (R_root · R_x(π)).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from train.prepare.common import (
    Column,
    Images,
    Options,
    RawDataError,
    bbox_expand,
    cam_to_pixel,
    camera_parameter,
    human_data_keypoints,
    hybrik_box,
    hybrik_keypoint_fields,
    intrinsic_matrix,
    json_items,
    load_pickle,
    progress,
    report,
    require_dir,
    require_file,
    write_human_data,
    xyxy_to_xywh,
)

SUBJECTS = {"train": (1, 5, 6, 7, 8), "valid": (9, 11)}
CAMERA_IDS = ("54138969", "55011271", "58860488", "60457274")
IMAGE_SIZES = {
    "54138969": (1002, 1000),
    "55011271": (1000, 1000),
    "58860488": (1000, 1000),
    "60457274": (1002, 1000),
}  # (height, width), as mmhuman3d's H36mCamera.image_sizes
# The 17 H36M joints among the 32 of the pose files (h36m_17 order).
H36M_IDX = (11, 6, 7, 8, 1, 2, 3, 12, 24, 14, 15, 17, 18, 19, 25, 26, 27)
HYBRIK_JSON = {
    "train": "Sample_5_train_Human36M_smpl_leaf_twist_protocol_2.json",
    "test": "Sample_20_test_Human36M_smpl_protocol_2.json",
}


# ------------------------------------------------------------------------------------------------ metadata.xml


class Metadata:
    """The parts of metadata.xml the converters use: sequence names per subject, camera ids, raw camera numbers."""

    def __init__(self, path: Path):
        require_file(path, "Human3.6M's metadata.xml (from the official code release)")
        try:
            root = ET.parse(path).getroot()
            self.sequence_mappings: dict[str, dict[tuple[str, str], str]] = {}
            for i, row in enumerate(root.find("mapping")):
                cells = [cell.text for cell in row]
                if i == 0:
                    self.subjects = cells[2:]
                    self.sequence_mappings = {subject: {} for subject in self.subjects}
                elif i < 33:
                    for subject, prefix in zip(self.subjects, cells[2:]):
                        self.sequence_mappings[subject][(cells[0], cells[1])] = prefix
            self.camera_ids = [element.text for element in root.find("dbcameras/index2id")]
            self.cameras_raw = [float(number) for number in root.find("w0").text[1:-1].split()]
        except (ET.ParseError, AttributeError, TypeError, ValueError) as error:
            raise RawDataError(
                f"{path}: not Human3.6M's metadata.xml (expected <mapping>, <dbcameras><index2id> "
                f"and <w0> elements; {error})"
            ) from None

    def camera(self, camera: int, subject: int) -> dict:
        """mmhuman3d H36mCamera._get_camera_params: extrinsics of (camera, subject), intrinsics, distortion."""
        raw = np.zeros(15)
        start = 6 * (camera * 11 + (subject - 1))
        raw[:6] = self.cameras_raw[start : start + 6]
        raw[6:] = self.cameras_raw[265 + camera * 9 - 1 : 265 + (camera + 1) * 9 - 1]
        x, y, z = -raw[0], raw[1], -raw[2]
        R_x = np.array([[1, 0, 0], [0, np.cos(x), np.sin(x)], [0, -np.sin(x), np.cos(x)]])
        R_y = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
        R_z = np.array([[np.cos(z), np.sin(z), 0], [-np.sin(z), np.cos(z), 0], [0, 0, 1]])
        R = (R_x @ R_y @ R_z).T
        T = raw[3:6].reshape(-1) * 0.001  # millimetres → metres
        K = intrinsic_matrix(raw[6:8], raw[8:10])
        distortion = {
            "k1": float(raw[10]),
            "k2": float(raw[11]),
            "k3": float(raw[12]),
            "p1": float(raw[13]),
            "p2": float(raw[14]),
        }
        height, width = IMAGE_SIZES[self.camera_ids[camera]]
        return camera_parameter(K, R, T, height, width, f"S{subject}_{self.camera_ids[camera]}", distortion)

    def cameras(self) -> dict:
        """{('S1', '54138969'): camera dict, ...} for the 11 subjects and 4 cameras (mmhuman3d's cam_param)."""
        if len(self.cameras_raw) < 300 or len(self.camera_ids) < 4:
            raise RawDataError("metadata.xml: <w0> must hold 300 camera numbers and <index2id> 4 camera ids")
        return {
            (f"S{subject}", self.camera_ids[camera]): self.camera(camera, subject)
            for subject in range(1, 12)
            for camera in range(4)
        }


# ------------------------------------------------------------------------------------------------ official release


def output_name(split: str, protocol: int, mosh: bool) -> str:
    if split == "train":
        return "h36m_mosh_train.npz" if mosh else "h36m_train.npz"
    return f"h36m_valid_protocol{protocol}.npz"


def convert(
    raw: Path, out: Path, split: str, options: Options, protocol: int = 1, mosh_dir: Path | None = None
) -> list[str]:
    """H36mConverter(modes=[split], protocol, mosh_dir, extract_img=options.extract_frames)."""
    raw = require_dir(raw, "the Human3.6M folder (S1, S5, ..., metadata.xml)")
    if split not in SUBJECTS:
        raise RawDataError(f"Human3.6M split {split!r}: expected one of {list(SUBJECTS)}")
    mosh_dir = Path(mosh_dir) if mosh_dir is not None and Path(mosh_dir).is_dir() else None
    cameras = Metadata(raw / "metadata.xml").cameras()
    tasks = [
        (raw, subject, cdf, protocol, mosh_dir, options.extract_frames)
        for subject in SUBJECTS[split]
        for cdf in _sequences(raw, subject)
    ]
    images = Images(raw, options.skip_missing_images, raw / "S*/MyPoseFeatures")
    image_path, without_mosh = [], []
    bbox, kp2d, kp3d = Column((4,), np.float64), Column((17, 3)), Column((17, 4))
    pose, betas = Column((72,)), Column((10,))
    for result in progress(
        _map(_convert_sequence, tasks, options.workers), f"Human3.6M {split} sequences", options, total=len(tasks)
    ):
        if result is None:
            continue
        if "missing_mosh" in result:
            without_mosh.append(result["missing_mosh"])
            continue
        for k, path in enumerate(result["image_path"]):
            if not images.present(path):
                continue
            image_path.append(path)
            bbox.append(result["bbox"][k])
            kp2d.append(result["keypoints2d"][k])
            kp3d.append(result["keypoints3d"][k])
            if mosh_dir is not None:
                pose.append(result["pose"][k])
                betas.append(result["betas"][k])
    fields = {}
    if mosh_dir is not None:
        thetas = pose.array()
        fields["smpl"] = {
            "body_pose": thetas[:, 3:].reshape(-1, 23, 3),
            "global_orient": thetas[:, :3].copy(),
            "betas": betas.array(),
        }
    keypoints2d, mask = human_data_keypoints(kp2d.array(), "h36m_17")
    keypoints3d, _ = human_data_keypoints(kp3d.array(), "h36m_17")
    boxes = bbox.array()
    fields.update(
        {
            "image_path": image_path,
            "bbox_xywh": np.hstack([boxes, np.ones([len(boxes), 1])]),
            "keypoints2d_mask": mask,
            "keypoints3d_mask": mask,
            "keypoints2d": keypoints2d,
            "keypoints3d": keypoints3d,
            "cam_param": cameras,
            "config": "h36m",
        }
    )
    path = write_human_data(Path(out) / output_name(split, protocol, mosh_dir is not None), fields)
    note = f"{len(without_mosh)} sequences skipped for want of a MoSh file" if without_mosh else ""
    return [report(path, len(image_path), images, note)]


def _sequences(raw: Path, subject: int) -> list[Path]:
    folder = require_dir(
        raw / f"S{subject}" / "MyPoseFeatures" / "D3_Positions_mono",
        f"Human3.6M's 3D poses of S{subject} (<Action>.<camera>.cdf)",
    )
    return sorted(folder.glob("*.cdf"))


def _map(function, tasks: list, workers: int):
    """function over tasks in order; in `workers` processes when more than one."""
    if workers <= 1 or len(tasks) <= 1:
        yield from map(function, tasks)
        return
    with ProcessPoolExecutor(workers) as pool:
        yield from pool.map(function, tasks)


def _read_cdf_pose(path: Path) -> np.ndarray:
    import cdflib

    if not path.is_file():
        raise RawDataError(f"{path}: file not found; expected a Human3.6M pose file (CDF)")
    try:
        return np.asarray(cdflib.CDF(str(path))["Pose"][0])
    except Exception as error:  # cdflib raises bare exceptions for damaged files
        raise RawDataError(
            f"{path}: not a readable Human3.6M pose file (CDF with a 'Pose' variable): {error}"
        ) from None


def _convert_sequence(task) -> dict | None:
    """Every kept frame of one sequence (run in a worker process)."""
    raw, subject, cdf, protocol, mosh_dir, extract = task
    user = f"S{subject}"
    parts = cdf.name.split(".")
    if len(parts) != 3:
        raise RawDataError(f"{cdf}: expected a name '<Action>.<camera>.cdf'")
    action_raw, camera, _ = parts
    action = action_raw.replace(" ", "_")
    if action == "_ALL":
        return None
    poses_2d = _read_cdf_pose(raw / user / "MyPoseFeatures" / "D2_Positions" / cdf.name)
    poses_3d = _read_cdf_pose(cdf)
    thetas = betas = None
    if mosh_dir is not None:
        camera_index = CAMERA_IDS.index(camera) if camera in CAMERA_IDS else -1
        mosh_file = mosh_dir / user / f"{action_raw}_cam{camera_index}_aligned.pkl"
        if not mosh_file.is_file():
            return {"missing_mosh": str(mosh_file)}
        mosh = load_pickle(mosh_file, "MoSh fit pickle ('new_poses', 'betas')")
        if not isinstance(mosh, dict) or "new_poses" not in mosh or "betas" not in mosh:
            raise RawDataError(f"{mosh_file}: expected a MoSh fit with 'new_poses' (F/5, 72) and 'betas' (10,)")
        thetas, betas = np.array(mosh["new_poses"]), mosh["betas"]
    masks = _Masks(raw / user / "MySegmentsMat" / "ground_truth_bs" / cdf.name.replace("cdf", "mat"))
    video = _Video(raw / user / "Videos" / cdf.name.replace("cdf", "mp4")) if extract else None
    rows = {"image_path": [], "bbox": [], "keypoints2d": [], "keypoints3d": [], "pose": [], "betas": []}
    with masks:
        for frame_i in range(poses_3d.shape[0]):
            image = video.read(cdf) if video is not None else None
            if video is not None and image is None:
                break
            if not (frame_i % 5 == 0 and (protocol == 1 or camera == "60457274")):
                continue
            folder = f"{user}_{action}.{camera}"
            path = f"{user}/images/{folder}/{folder}_{frame_i + 1:06d}.jpg"
            if image is not None:
                (raw / path).parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(raw / path), image)
            ys, xs = masks.foreground(frame_i)
            box = bbox_expand(np.array([np.min(xs), np.min(ys), np.max(xs) + 1, np.max(ys) + 1]), 0.9)
            keypoints2d = np.reshape(poses_2d[frame_i, :], [-1, 2])[list(H36M_IDX)]
            keypoints3d = np.reshape(poses_3d[frame_i, :], [-1, 3]) / 1000.0
            keypoints3d = keypoints3d[list(H36M_IDX)]
            keypoints3d -= keypoints3d[0]
            rows["image_path"].append(path)
            rows["bbox"].append(xyxy_to_xywh(box))
            rows["keypoints2d"].append(np.concatenate([keypoints2d, np.ones((17, 1))], axis=1))
            rows["keypoints3d"].append(np.concatenate([keypoints3d, np.ones((17, 1))], axis=1))
            if thetas is not None:
                if frame_i // 5 >= len(thetas):
                    raise RawDataError(
                        f"{mosh_dir / user}: the MoSh fit of {cdf.name} has {len(thetas)} poses, "
                        f"fewer than the {poses_3d.shape[0]} frames / 5 of the pose file"
                    )
                pose = thetas[frame_i // 5, :].copy()
                new_root = cv2.Rodrigues(pose[:3])[0].dot(cv2.Rodrigues(np.array([np.pi, 0, 0]))[0])
                pose[:3] = cv2.Rodrigues(new_root)[0].reshape(3)
                rows["pose"].append(pose)
                rows["betas"].append(betas)
    return rows


class _Masks:
    """The foreground masks of one sequence: a MATLAB v7.3 file whose 'Masks' holds one reference per frame."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        import h5py

        require_file(self.path, "Human3.6M's ground-truth masks (MATLAB v7.3) of the same sequence")
        try:
            self.file = h5py.File(self.path, "r")
            self.refs = self.file["Masks"]
        except (OSError, KeyError) as error:
            raise RawDataError(f"{self.path}: not a Human3.6M mask file (HDF5 with a 'Masks' list): {error}") from None
        return self

    def __exit__(self, *exc):
        self.file.close()

    def foreground(self, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """Row and column indices where mask == 1, as np.where(mask == 1) on the frame's (H, W) mask."""
        if frame >= len(self.refs):
            raise RawDataError(f"{self.path}: {len(self.refs)} masks, but the pose file has frame {frame + 1}")
        mask = self.file[self.refs[frame, 0]][:].T == 1
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        if not len(rows):
            raise RawDataError(f"{self.path}: the mask of frame {frame + 1} is empty, so no box can be made")
        return rows, cols  # min/max of these equal those of np.where(mask == 1)


class _Video:
    """Frames of one video, read in order (mmhuman3d stops a sequence where its video ends)."""

    def __init__(self, path: Path):
        require_file(path, "the sequence's video (for --extract-frames)")
        self.capture = cv2.VideoCapture(str(path))

    def read(self, cdf: Path):
        ok, image = self.capture.read()
        return image if ok else None


# ------------------------------------------------------------------------------------------------ HybrIK json


def convert_hybrik(raw: Path, out: Path, split: str, images_root: Path, options: Options) -> list[str]:
    """H36mHybrIKConverter: `hybrik_h36m_train.npz` (or `hybrik_h36m_valid_protocol2.npz` for 'test')."""
    if split not in HYBRIK_JSON:
        raise RawDataError(f"HybrIK Human3.6M split {split!r}: expected one of {list(HYBRIK_JSON)}")
    ann_file = Path(raw) / HYBRIK_JSON[split]
    metadata = Metadata(Path(raw) / "metadata.xml")
    what = f"HybrIK's {HYBRIK_JSON[split]}"
    frames = json_items(ann_file, "images.item", what)
    annotations = json_items(ann_file, "annotations.item", what)
    images = Images(images_root, options.skip_missing_images, ann_file)
    rows = _HybrIKRows(split == "train")
    for index, (image, ann) in enumerate(progress(_lockstep(frames, annotations, ann_file), "H36M HybrIK", options)):
        merged = dict(image)
        merged.update(ann)
        path = _hybrik_image_path(merged, metadata, ann_file, index)
        if images.present(path):
            rows.add(merged, path, ann_file, index)
    name = "hybrik_h36m_train.npz" if split == "train" else "hybrik_h36m_valid_protocol2.npz"
    path = write_human_data(Path(out) / name, rows.fields())
    return [report(path, len(rows.image_path), images)]


def _lockstep(images, annotations, path: Path):
    """Pairs of ('images'[i], 'annotations'[i]); unequal lengths are an error (mmhuman3d's zip would drop some)."""
    done = object()
    while True:
        image, ann = next(images, done), next(annotations, done)
        if image is done and ann is done:
            return
        if image is done or ann is done:
            raise RawDataError(
                f"{path}: 'images' and 'annotations' have different lengths; HybrIK's file pairs them index by index"
            )
        yield image, ann


def _hybrik_image_path(ann: dict, metadata: Metadata, path: Path, index: int) -> str:
    try:
        subject = f"S{ann['subject']}"
        sequence = metadata.sequence_mappings[subject][(str(ann["action_idx"]), str(ann["subaction_idx"]))]
        folder = f"{subject}_{sequence.replace(' ', '_')}.{CAMERA_IDS[ann['cam_idx'] - 1]}"
        return f"{subject}/images/{folder}/{folder}_{ann['frame_idx'] + 1:06d}.jpg"
    except (KeyError, IndexError, TypeError) as error:
        raise RawDataError(
            f"{path}: sample {index}: cannot name its image from subject/action_idx/subaction_idx/"
            f"cam_idx/frame_idx and metadata.xml ({error!r})"
        ) from None


class _HybrIKRows:
    """H36mHybrIKConverter's per-sample arrays, in its order."""

    def __init__(self, with_twist: bool):
        self.with_twist = with_twist
        self.image_path, self.height, self.width = [], [], []
        self.thetas, self.betas = Column((24, 3), np.float64), Column((10,), np.float64)
        self.f, self.c, self.intrinsic = Column((2,), np.float32), Column((2,), np.float32), Column((3, 3), np.float32)
        self.bbox, self.root_cam = Column((4,), np.float64), Column((3,), np.float32)
        self.phi, self.phi_weight = Column((23, 2), np.float32), Column((23, 2), np.float64)
        self.joints17 = {name: Column((17, 4), np.float64) for name in ("img", "cam", "relative")}
        self.joints29 = {name: Column((29, 4), np.float64) for name in ("img", "cam", "relative")}

    def add(self, ann: dict, path: str, ann_file: Path, index: int) -> None:
        try:
            self._add(ann, path)
        except (KeyError, ValueError, TypeError) as error:
            raise RawDataError(f"{ann_file}: sample {index} is not a HybrIK Human3.6M annotation ({error!r})") from None

    def _add(self, ann: dict, path: str) -> None:
        width, height = ann["width"], ann["height"]
        f = np.array(ann["cam_param"]["f"], dtype=np.float32)
        c = np.array(ann["cam_param"]["c"], dtype=np.float32)
        if self.with_twist:
            twist = ann["angle_twist"]
            angle, sin, cos = np.array(twist["angle"]), np.array(twist["sin"]), np.array(twist["cos"])
            if not ((np.cos(angle) - cos < 1e-6).all() and (np.sin(angle) - sin < 1e-6).all()):
                raise ValueError("angle_twist: cos/sin do not match the angles")
            self.phi.append(np.stack((cos, sin), axis=1).astype(np.float32))
            weight = (angle > -10) * 1.0  # invalid twist angles are -999
            self.phi_weight.append(np.stack([weight, weight], axis=1))
        cam17 = np.array(ann["h36m_joints"]).reshape(17, 3)
        img17 = cam_to_pixel(cam17, f, c)
        img17[:, 2] = img17[:, 2] - cam17[0, 2]
        ones17 = np.ones([17, 1])
        self.joints17["img"].append(np.hstack([img17, ones17]))
        self.joints17["cam"].append(np.hstack([cam17, ones17]))
        self.joints17["relative"].append(np.hstack([cam17 - cam17[0, :], ones17]))
        smpl_joints = np.array(ann["smpl_joints"])
        if smpl_joints.size == 24 * 3:  # no leaf joints: 24 valid, and image depths are not made root-relative
            cam29 = np.zeros((29, 3))
            cam29[:24] = smpl_joints.reshape(24, 3)
            img29 = np.zeros((29, 3))
            img29[:24] = cam_to_pixel(smpl_joints.reshape(24, 3), f, c)
            vis29 = np.zeros((29, 1))
            vis29[:24] = 1
        else:
            cam29 = smpl_joints.reshape(29, 3)
            img29 = cam_to_pixel(cam29, f, c)
            img29[:, 2] = img29[:, 2] - cam29[0, 2]
            vis29 = np.ones([29, 1])
        self.joints29["img"].append(np.hstack([img29, vis29]))
        self.joints29["cam"].append(np.hstack([cam29, vis29]))
        self.joints29["relative"].append(np.hstack([cam29 - cam29[0, :].copy(), vis29]))
        self.image_path.append(path)
        self.height.append(height)
        self.width.append(width)
        self.bbox.append(hybrik_box(np.array(ann["bbox"]), width, height))
        self.f.append(f)
        self.c.append(c)
        self.intrinsic.append(intrinsic_matrix(f, c, inv=True))
        self.betas.append(np.array(ann["betas"]).reshape(10))
        self.thetas.append(np.array(ann["thetas"]).reshape(24, 3))
        self.root_cam.append(cam29[0].astype(np.float32))

    def fields(self) -> dict:
        bbox = self.bbox.array()
        fields = {
            "image_path": self.image_path,
            "image_height": self.height,
            "image_width": self.width,
            "bbox_xywh": np.hstack([bbox, np.ones([len(bbox), 1])]),
            "smpl": {"thetas": self.thetas.array(), "betas": self.betas.array()},
            "cam_param": {"f": self.f.array(), "c": self.c.array(), "intrinsic": self.intrinsic.array()},
        }
        if self.with_twist:
            fields.update(phi=self.phi.array(), phi_weight=self.phi_weight.array())
        fields.update(
            {
                "root_cam": self.root_cam.array(),
                "depth_factor": [2000.0] * len(self.image_path),
                **hybrik_keypoint_fields(self.joints17, self.joints29),
                "config": "h36m",
            }
        )
        return fields
