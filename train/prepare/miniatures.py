"""Miniature raw datasets in each dataset's published format, for the tests and the mmhuman3d comparison.

Each `write_*` function writes a few sequences / images / people with random but valid values into `root`, laid
out and encoded as the official download is (3DPW's Python 2 pickles, .mat files via scipy, MATLAB v7.3 masks
via h5py, Human3.6M's CDF pose files via cdflib, COCO / AI Challenger / HybrIK json, SPIN npz, GTA-Human
pickles), and returns what it made: counts derived from the generated values themselves (not from a converter).
Nothing here is real data; images are small noise JPEGs / PNGs.
"""

from __future__ import annotations

import json
import pickle
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np

# ------------------------------------------------------------------------------------------------ encodings


class _Py2Pickler(pickle._Pickler):
    """Protocol 2 with every str and bytes written as a Python 2 `str` (BINSTRING), as 3DPW's pickles are."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_string(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode("latin1")
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = save_py2_string
    dispatch[str] = save_py2_string


def write_py2_pickle(obj, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        _Py2Pickler(handle, protocol=2).dump(obj)
    return path


def write_image(path: Path, height: int, width: int, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8)
    cv2.imwrite(str(path), pixels)
    return path


def write_video(path: Path, frames: int, height: int = 24, width: int = 32, fourcc: str = "mp4v") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 25, (width, height))
    for frame in range(frames):
        writer.write(np.full((height, width, 3), (frame * 20) % 255, np.uint8))
    writer.release()
    return path


def _json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def _rotation(rng: np.random.Generator) -> np.ndarray:
    return cv2.Rodrigues(rng.normal(0, 0.6, 3))[0]


# ------------------------------------------------------------------------------------------------ 3DPW


PW3D_SEQUENCES = (("courtyard_basketball_00", 2, 6), ("downtown_walking_00", 1, 5))  # (name, people, frames)
PW3D_IMAGE = (108, 192)  # (height, width)


def write_pw3d(root: Path, split: str = "test", seed: int = 0) -> dict:
    """pw3d/sequenceFiles/<split>/<seq>.pkl (Python 2 pickles) and pw3d/imageFiles/<seq>/image_%05d.jpg."""
    rng, root = np.random.default_rng(seed), Path(root)
    valid_total = 0
    for s, (name, people, frames) in enumerate(PW3D_SEQUENCES):
        valid = [np.array([1] * frames) for _ in range(people)]
        valid[0][1] = 0  # a frame whose camera pose is invalid for person 0
        poses2d = []
        for _ in range(people):
            points = np.stack(
                [
                    rng.uniform(10, PW3D_IMAGE[1] - 10, (frames, 18)),
                    rng.uniform(10, PW3D_IMAGE[0] - 10, (frames, 18)),
                    rng.uniform(0.2, 1.0, (frames, 18)),
                ],
                1,
            )
            points[:, 2, :3] = 0  # joints the detector missed have confidence 0 (left out of the box)
            poses2d.append(points)
        cam_poses = np.stack(
            [np.vstack([np.hstack([_rotation(rng), rng.normal(0, 1, (3, 1))]), [[0, 0, 0, 1]]]) for _ in range(frames)]
        )
        sequence = {
            "sequence": name,
            "genders": ["m", "f"][:people] if people > 1 else ["f"],
            "poses": [rng.normal(0, 0.3, (frames, 72)) for _ in range(people)],
            "betas": [rng.normal(0, 1, 10) for _ in range(people)],
            "betas_clothed": [rng.normal(0, 1, 10) for _ in range(people)],
            "trans": [rng.normal(0, 1, (frames, 3)) for _ in range(people)],
            "poses2d": poses2d,
            "cam_poses": cam_poses,
            "campose_valid": valid,
            "cam_intrinsics": np.array([[1961.0, 0, 540.0], [0, 1969.0, 960.0], [0, 0, 1]]),
            "img_frame_ids": np.arange(frames),
            "jointPositions": [rng.normal(0, 1, (frames, 72)) for _ in range(people)],
        }
        write_py2_pickle(sequence, root / "pw3d" / "sequenceFiles" / split / f"{name}.pkl")
        for frame in range(frames):
            write_image(
                root / "pw3d" / "imageFiles" / name / f"image_{frame:05d}.jpg", *PW3D_IMAGE, seed + s * 100 + frame
            )
        valid_total += int(sum(v.sum() for v in valid))
    return {"count": valid_total, "raw": root / "pw3d"}


def write_pw3d_hybrik(root: Path, seed: int = 0) -> dict:
    """hybrik_data/3DPW_test_new.json, with images under pw3d/imageFiles (written by write_pw3d)."""
    rng, root = np.random.default_rng(seed), Path(root)
    images, annotations = [], []
    for name, people, frames in PW3D_SEQUENCES:
        for frame in range(frames):
            image_id = len(images)
            images.append(
                {
                    "id": image_id,
                    "file_name": f"image_{frame:05d}.jpg",
                    "sequence": name,
                    "width": PW3D_IMAGE[1],
                    "height": PW3D_IMAGE[0],
                    "cam_param": {"focal": [1961.2, 1969.5], "princpt": [540.3, 960.7]},
                }
            )
            for person in range(people):
                joints = rng.normal(0, 0.4, (24, 3)) + [0, 0, 4]
                annotations.append(
                    {
                        "id": len(annotations),
                        "image_id": image_id,
                        "bbox": [
                            float(rng.uniform(0, 40)),
                            float(rng.uniform(0, 40)),
                            float(rng.uniform(20, 300)),
                            float(rng.uniform(20, 300)),
                        ],
                        "h36m_joints": (rng.normal(0, 0.4, (17, 3)) + [0, 0, 4]).ravel().tolist(),
                        "smpl_joint_cam": joints.ravel().tolist(),
                        "fitted_3d_pose": joints.ravel().tolist(),
                        "smpl_param": {
                            "shape": rng.normal(0, 1, 10).tolist(),
                            "pose": rng.normal(0, 0.3, 72).tolist(),
                            "trans": rng.normal(0, 1, 3).tolist(),
                            "gender": "m",
                        },
                    }
                )
    _json(root / "hybrik_data" / "3DPW_test_new.json", {"images": images, "annotations": annotations})
    return {"count": len(annotations), "raw": root / "hybrik_data"}


# ------------------------------------------------------------------------------------------------ Human3.6M


H36M_ACTIONS = (
    "Directions",
    "Discussion",
    "Eating",
    "Greeting",
    "Phoning",
    "Posing",
    "Purchases",
    "Sitting",
    "SittingDown",
    "Smoking",
    "Photo",
    "Waiting",
    "Walking",
    "WalkDog",
    "WalkTogether",
    "Other",
)
H36M_CAMERAS = ("54138969", "55011271", "58860488", "60457274")
# (subject, action index 1-16, subaction 1-2, cameras): two actions for S1, one for every other subject.
H36M_SEQUENCES = (
    (1, 2, 1, (0, 3)),
    (1, 13, 2, (1,)),
    (5, 2, 1, (2,)),
    (6, 3, 1, (3,)),
    (7, 4, 2, (0,)),
    (8, 5, 1, (1,)),
    (9, 2, 1, (0, 3)),
    (11, 6, 1, (3,)),
)
H36M_FRAMES = 12
H36M_MASK = (30, 40)  # (height, width) of the miniature masks


def h36m_sequence_name(subject: int, action: int, subaction: int) -> str:
    return f"{H36M_ACTIONS[action - 1]} {subaction}"


def write_h36m_metadata(path: Path, seed: int = 0) -> Path:
    """metadata.xml: the sequence table, action names, camera ids and the 300 camera numbers of <w0>."""
    rng = np.random.default_rng(seed)
    root = ET.Element("mocap")
    mapping = ET.SubElement(root, "mapping")
    header = ET.SubElement(mapping, "tr")
    for text in ["", "", *[f"S{s}" for s in range(1, 12)]]:
        ET.SubElement(header, "td").text = text
    for action in range(1, 17):
        for subaction in (1, 2):
            row = ET.SubElement(mapping, "tr")
            for text in [
                str(action),
                str(subaction),
                *[h36m_sequence_name(s, action, subaction) for s in range(1, 12)],
            ]:
                ET.SubElement(row, "td").text = text
    names = ET.SubElement(root, "actionnames")
    for action in H36M_ACTIONS:
        ET.SubElement(names, "item").text = action
    index2id = ET.SubElement(ET.SubElement(root, "dbcameras"), "index2id")
    for camera in H36M_CAMERAS:
        ET.SubElement(index2id, "item").text = camera
    extrinsics = np.concatenate([rng.uniform(-np.pi, np.pi, (44, 3)), rng.uniform(-3000, 3000, (44, 3))], 1)
    intrinsics = np.concatenate(
        [
            rng.uniform(1140, 1150, (4, 2)),
            rng.uniform(490, 520, (4, 2)),
            rng.normal(0, 0.1, (4, 3)),
            rng.normal(0, 0.001, (4, 2)),
        ],
        1,
    )
    numbers = np.concatenate([extrinsics.ravel(), intrinsics.ravel()])
    ET.SubElement(root, "w0").text = "[" + " ".join(repr(float(n)) for n in numbers) + "]"
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path)
    return path


def _write_cdf(path: Path, poses: np.ndarray) -> None:
    from cdflib.cdfwrite import CDF

    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    writer = CDF(str(path))
    writer.write_var(
        {
            "Variable": "Pose",
            "Data_Type": CDF.CDF_FLOAT,
            "Num_Elements": 1,
            "Rec_Vary": True,
            "Dim_Sizes": list(poses.shape),
        },
        var_data=poses[None].astype(np.float32),
    )
    writer.close()


def _write_masks(path: Path, masks: list[np.ndarray]) -> None:
    """A MATLAB v7.3 file: 'Masks' (F, 1) object references to (W, H) uint8 datasets (MATLAB's column order)."""
    import h5py

    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as file:
        refs = file.create_group("#refs#")
        handles = [
            refs.create_dataset(f"m{i}", data=mask.T.astype(np.uint8), compression="gzip")
            for i, mask in enumerate(masks)
        ]
        table = file.create_dataset("Masks", (len(masks), 1), dtype=h5py.ref_dtype)
        for i, handle in enumerate(handles):
            table[i, 0] = handle.ref


def write_h36m(root: Path, seed: int = 0, videos: bool = False, images: bool = True, mosh: bool = True) -> dict:
    """h36m/ (metadata.xml, S*/MyPoseFeatures, MySegmentsMat, Videos or extracted images) and h36m_mosh/."""
    rng, root = np.random.default_rng(seed), Path(root)
    h36m = root / "h36m"
    write_h36m_metadata(h36m / "metadata.xml", seed)
    counts = {"train_p1": 0, "valid_p1": 0, "valid_p2": 0, "train_mosh": 0}
    for index, (subject, action, subaction, cameras) in enumerate(H36M_SEQUENCES):
        name = h36m_sequence_name(subject, action, subaction)
        for c in cameras:
            camera = H36M_CAMERAS[c]
            base = f"{name}.{camera}"
            poses3d = rng.normal(0, 400, (H36M_FRAMES, 96)) + np.tile([0, 0, 4000], 32)
            poses2d = rng.uniform(0, 1000, (H36M_FRAMES, 64))
            _write_cdf(h36m / f"S{subject}" / "MyPoseFeatures" / "D3_Positions_mono" / f"{base}.cdf", poses3d)
            _write_cdf(h36m / f"S{subject}" / "MyPoseFeatures" / "D2_Positions" / f"{base}.cdf", poses2d)
            masks = []
            for _ in range(H36M_FRAMES):
                mask = np.zeros(H36M_MASK, np.uint8)
                y0, x0 = rng.integers(0, 10), rng.integers(0, 15)
                mask[y0 : y0 + rng.integers(5, 20), x0 : x0 + rng.integers(5, 25)] = 1
                masks.append(mask)
            _write_masks(h36m / f"S{subject}" / "MySegmentsMat" / "ground_truth_bs" / f"{base}.mat", masks)
            if videos:
                write_video(h36m / f"S{subject}" / "Videos" / f"{base}.mp4", H36M_FRAMES)
            folder = f"S{subject}_{name.replace(' ', '_')}.{camera}"
            kept = list(range(0, H36M_FRAMES, 5))
            if images:
                for frame in kept:
                    write_image(h36m / f"S{subject}" / "images" / folder / f"{folder}_{frame + 1:06d}.jpg", 8, 8, frame)
            has_mosh = mosh and not (subject == 6)  # S6's fit is left out: mmhuman3d skips such sequences
            if has_mosh:
                write_py2_pickle(
                    {"new_poses": rng.normal(0, 0.3, ((H36M_FRAMES + 4) // 5, 72)), "betas": rng.normal(0, 1, 10)},
                    root / "h36m_mosh" / f"S{subject}" / f"{name}_cam{c}_aligned.pkl",
                )
            split = "train" if subject in (1, 5, 6, 7, 8) else "valid"
            counts[f"{split}_p1"] += len(kept)
            counts["valid_p2"] += len(kept) if split == "valid" and camera == "60457274" else 0
            counts["train_mosh"] += len(kept) if split == "train" and has_mosh else 0
    # The "_ALL" sequence of the release (all actions) is skipped by the converters.
    _write_cdf(
        h36m / "S1" / "MyPoseFeatures" / "D3_Positions_mono" / "_ALL.54138969.cdf",
        rng.normal(0, 400, (H36M_FRAMES, 96)),
    )
    return {**counts, "raw": h36m, "mosh": root / "h36m_mosh"}


def write_h36m_hybrik(root: Path, seed: int = 0) -> dict:
    """hybrik_data/Sample_5_train_Human36M_smpl_leaf_twist_protocol_2.json and metadata.xml; images under h36m/."""
    rng, root = np.random.default_rng(seed), Path(root)
    write_h36m_metadata(root / "hybrik_data" / "metadata.xml", seed)
    images, annotations = [], []
    for subject, action, subaction, cameras in H36M_SEQUENCES[:6]:
        name = h36m_sequence_name(subject, action, subaction).replace(" ", "_")
        for c in cameras:
            for frame in range(0, H36M_FRAMES, 5):
                folder = f"S{subject}_{name}.{H36M_CAMERAS[c]}"
                write_image(
                    root / "h36m" / f"S{subject}" / "images" / folder / f"{folder}_{frame + 1:06d}.jpg", 8, 8, frame
                )
                image_id = len(images)
                images.append(
                    {
                        "id": image_id,
                        "file_name": f"{folder}_{frame + 1:06d}.jpg",
                        "width": 1000,
                        "height": 1002,
                        "subject": subject,
                        "action_idx": action,
                        "subaction_idx": subaction,
                        "cam_idx": c + 1,
                        "frame_idx": frame,
                        "cam_param": {
                            "R": _rotation(rng).tolist(),
                            "t": rng.normal(0, 1000, 3).tolist(),
                            "f": [1145.5, 1144.8],
                            "c": [512.5, 515.4],
                        },
                    }
                )
                leafs = 29 if len(images) % 3 else 24  # some samples without the 5 leaf joints
                angle = rng.uniform(-np.pi, np.pi, 23)
                angle[rng.integers(0, 23)] = -999  # an invalid twist angle
                annotations.append(
                    {
                        "id": image_id,
                        "image_id": image_id,
                        "bbox": [
                            float(rng.uniform(-20, 500)),
                            float(rng.uniform(-20, 500)),
                            float(rng.uniform(50, 700)),
                            float(rng.uniform(50, 700)),
                        ],
                        "h36m_joints": (rng.normal(0, 400, (17, 3)) + [0, 0, 5000]).ravel().tolist(),
                        "smpl_joints": (rng.normal(0, 400, (leafs, 3)) + [0, 0, 5000]).ravel().tolist(),
                        "thetas": rng.normal(0, 0.3, 72).tolist(),
                        "betas": rng.normal(0, 1, 10).tolist(),
                        "angle_twist": {
                            "angle": angle.tolist(),
                            "cos": np.cos(angle).tolist(),
                            "sin": np.sin(angle).tolist(),
                        },
                    }
                )
    _json(
        root / "hybrik_data" / "Sample_5_train_Human36M_smpl_leaf_twist_protocol_2.json",
        {"images": images, "annotations": annotations},
    )
    return {"count": len(images), "raw": root / "hybrik_data"}


# ------------------------------------------------------------------------------------------------ MPI-INF-3DHP


MPI_FRAMES = 7


def write_mpi_inf_3dhp(root: Path, seed: int = 0, videos: bool = False, frames: bool = True, test: bool = True) -> dict:
    """mpi_inf_3dhp/S1..S8/Seq1..2/annot.mat (+ camera.calibration, frames or .avi) and the test set."""
    import h5py
    import scipy.io

    rng, base = np.random.default_rng(seed), Path(root) / "mpi_inf_3dhp"
    valid = 0
    for user in range(1, 9):
        for seq in (1, 2):
            folder = base / f"S{user}" / f"Seq{seq}"
            annot2, annot3 = np.empty((14, 1), object), np.empty((14, 1), object)
            for camera in range(14):
                points2d = rng.uniform(0, 2048, (MPI_FRAMES, 28, 2))
                outside = rng.random(MPI_FRAMES) < 0.3
                points2d[outside, rng.integers(0, 28)] = 2100.0  # a joint outside the frame: not kept
                annot2[camera, 0] = points2d.reshape(MPI_FRAMES, 56)
                annot3[camera, 0] = rng.normal(0, 500, (MPI_FRAMES, 84)) + np.tile([0, 0, 4000], 28)
                if camera in (0, 1, 2, 4, 5, 6, 7, 8):
                    valid += int((~outside).sum())
                    if frames:
                        for frame in range(MPI_FRAMES):
                            write_image(folder / f"video_{camera}" / f"{frame + 1:06d}.jpg", 8, 8, frame)
                    if videos:
                        write_video(folder / "imageSequence" / f"video_{camera}.avi", MPI_FRAMES, fourcc="MJPG")
            folder.mkdir(parents=True, exist_ok=True)
            scipy.io.savemat(
                folder / "annot.mat",
                {"annot2": annot2, "annot3": annot3, "frames": np.arange(MPI_FRAMES), "cameras": np.arange(14)},
            )
            (folder / "camera.calibration").write_text("Fake Camera Calibration File\n")
    test_count = 0
    if test:
        for user in range(1, 7):
            count = 5
            annot2 = rng.uniform(0, 2048, (count, 1, 17, 2))
            annot2[1, 0, 3] = -5.0  # outside: not kept
            valid_frame = np.array([[1], [1], [0], [1], [1]])
            folder = base / "mpi_inf_3dhp_test_set" / f"TS{user}"
            folder.mkdir(parents=True, exist_ok=True)
            with h5py.File(folder / "annot_data.mat", "w") as mat:
                mat["annot2"] = annot2
                mat["univ_annot3"] = rng.normal(0, 500, (count, 1, 17, 3))
                mat["valid_frame"] = valid_frame
            test_count += 3
    # every 10th valid frame over the whole set, starting with the first
    return {"count": (valid + 9) // 10, "valid_frames": valid, "test_count": test_count, "raw": base}


def write_mpi_inf_3dhp_hybrik(root: Path, seed: int = 0) -> dict:
    """hybrik_data/annotation_mpi_inf_3dhp_train_v2.json; images under mpi_inf_3dhp/ (train layout)."""
    rng, root = np.random.default_rng(seed), Path(root)
    images, annotations = [], []
    for user, seq, video in ((1, 1, 0), (1, 2, 4), (3, 1, 8)):
        for frame in range(1, 4):
            write_image(
                root / "mpi_inf_3dhp" / f"S{user}" / f"Seq{seq}" / f"video_{video}" / f"{frame:06d}.jpg", 8, 8, frame
            )
            name = f"S{user}_Seq{seq}_V{video}"
            K = [[1497.7, 0.0, 1024.1, 0.0], [0.0, 1497.0, 1030.3, 0.0], [0.0, 0.0, 1.0, 0.0]]
            image_id = len(images)
            images.append(
                {
                    "id": image_id,
                    "file_name": f"S{user}/Seq{seq}/images/{name}/img_{name}_{frame:06d}.jpg",
                    "width": 2048,
                    "height": 2048,
                    "subject": user,
                    "seq_idx": seq,
                    "cam_idx": video,
                    "frame_idx": frame,
                    "cam_param": {"intrinsic_param": K},
                }
            )
            annotations.append(
                {
                    "id": image_id,
                    "image_id": image_id,
                    "bbox": [
                        float(rng.uniform(0, 900)),
                        float(rng.uniform(0, 900)),
                        float(rng.uniform(200, 1400)),
                        float(rng.uniform(200, 1400)),
                    ],
                    "keypoints_cam": (rng.normal(0, 500, (28, 3)) + [0, 0, 4500]).tolist(),
                }
            )
    _json(
        root / "hybrik_data" / "annotation_mpi_inf_3dhp_train_v2.json", {"images": images, "annotations": annotations}
    )
    return {"count": len(images), "raw": root / "hybrik_data"}


# ------------------------------------------------------------------------------------------------ LSP, LSPET, MPII


def write_lsp(root: Path, seed: int = 0, count: int = 10) -> dict:
    """lsp/joints.mat (3 × 14 × N) and lsp/images/im%04d.jpg (lsp_dataset_original)."""
    import scipy.io

    rng, base = np.random.default_rng(seed), Path(root) / "lsp"
    sizes = [(int(rng.integers(60, 90)), int(rng.integers(60, 90))) for _ in range(count)]
    joints = np.zeros((3, 14, count))
    for i, (height, width) in enumerate(sizes):
        joints[0, :, i] = rng.uniform(2, width - 2, 14)
        joints[1, :, i] = rng.uniform(2, height - 2, 14)
        joints[2, :, i] = rng.integers(0, 2, 14)
        write_image(base / "images" / f"im{i + 1:04d}.jpg", height, width, i)
    joints[0, 3, 1] = sizes[1][1] + 5  # image 2: a joint right of the image, so it is skipped
    scipy.io.savemat(base / "joints.mat", {"joints": joints})
    return {"train": count // 2 - 1, "test": count - count // 2, "raw": base}


def write_lspet(root: Path, seed: int = 0, count: int = 6) -> dict:
    """lspet/joints.mat (14 × 3 × N) and lspet/im%05d.png (hr-lspet)."""
    import scipy.io

    rng, base = np.random.default_rng(seed), Path(root) / "lspet"
    joints = np.zeros((14, 3, count))
    for i in range(count):
        height, width = int(rng.integers(60, 90)), int(rng.integers(60, 90))
        joints[:, 0, i] = rng.uniform(2, width - 2, 14)
        joints[:, 1, i] = rng.uniform(2, height - 2, 14)
        joints[:, 2, i] = rng.integers(0, 2, 14)
        if i == 3:
            joints[5, 1, i] = -4.0  # above the image: skipped
        write_image(base / f"im{i + 1:05d}.png", height, width, i)
    scipy.io.savemat(base / "joints.mat", {"joints": joints})
    return {"count": count - 1, "raw": base}


def write_mpii(root: Path, seed: int = 0, count: int = 9) -> dict:
    """mpii/train.h5 (pose-hg-train's annotations) and mpii/images/*.jpg."""
    import h5py

    rng, base = np.random.default_rng(seed), Path(root) / "mpii"
    parts = rng.uniform(1, 500, (count, 16, 2))
    parts[2, 5] = 0  # an unannotated joint: the person is left out
    parts[6, 0, 1] = 0
    names = [f"{int(n):09d}.jpg" for n in rng.integers(0, 10**9, count)]
    names[4] = names[3]  # two people in one image
    for k, name in enumerate(dict.fromkeys(names)):
        write_image(base / "images" / name, 8, 8, k)
    base.mkdir(parents=True, exist_ok=True)
    with h5py.File(base / "train.h5", "w") as annot:
        annot["center"] = rng.uniform(100, 400, (count, 2))
        annot["scale"] = rng.uniform(0.5, 3, count)
        annot["part"] = parts
        annot["imgname"] = np.array([name.encode() for name in names])
        annot["index"] = np.arange(count)
    return {"count": count - 2, "raw": base}


# ------------------------------------------------------------------------------------------------ COCO, AI Challenger


def _coco_json(rng, count_images: int, people_per_image: int, name: str, start_id: int) -> tuple[dict, int]:
    images, annotations, kept = [], [], 0
    ids = [int(i) for i in rng.permutation(np.arange(start_id, start_id + 5 * count_images, 5))]
    for image_id in ids:
        height, width = int(rng.integers(300, 640)), int(rng.integers(300, 640))
        images.append(
            {
                "id": image_id,
                "file_name": name.format(image_id),
                "height": height,
                "width": width,
                "license": 1,
                "coco_url": "",
            }
        )
        for _ in range(people_per_image):
            visibility = rng.choice([0, 1, 2], 17, p=[0.05, 0.15, 0.8])
            keypoints = np.stack([rng.integers(0, width, 17), rng.integers(0, height, 17), visibility], 1)
            keypoints[visibility == 0, :2] = 0
            kept += int((visibility[5:] > 0).sum() >= 12)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": 1,
                    "iscrowd": 0,
                    "keypoints": keypoints.ravel().tolist(),
                    "num_keypoints": int((visibility > 0).sum()),
                    "bbox": [
                        round(float(rng.uniform(-5, width / 2)), 2),
                        round(float(rng.uniform(-5, height / 2)), 2),
                        round(float(rng.uniform(10, width)), 2),
                        round(float(rng.uniform(10, height)), 2),
                    ],
                    "area": 1000.0,
                    "segmentation": [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]],
                }
            )
    rng.shuffle(annotations)  # the file's order is not by image id
    return {
        "info": {},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "person"}],
    }, kept


def write_coco(root: Path, seed: int = 0, images: int = 6, people: int = 3) -> dict:
    """coco/annotations/person_keypoints_train2014.json and coco/train2014/COCO_train2014_%012d.jpg."""
    rng, base = np.random.default_rng(seed), Path(root) / "coco"
    data, kept = _coco_json(rng, images, people, "COCO_train2014_{:012d}.jpg", 9)
    _json(base / "annotations" / "person_keypoints_train2014.json", data)
    for k, image in enumerate(data["images"]):
        write_image(base / "train2014" / image["file_name"], 8, 8, k)
    return {"count": kept, "raw": base}


def write_coco_2017(root: Path, seed: int = 0, images: int = 6, people: int = 3) -> dict:
    """coco/train_2017/annotations/person_keypoints_train2017.json and coco/train_2017/train2017/%012d.jpg."""
    rng, base = np.random.default_rng(seed), Path(root) / "coco" / "train_2017"
    data, kept = _coco_json(rng, images, people, "{:012d}.jpg", 30)
    _json(base / "annotations" / "person_keypoints_train2017.json", data)
    for k, image in enumerate(data["images"]):
        write_image(base / "train2017" / image["file_name"], 8, 8, k)
    return {"count": kept, "raw": base}


def write_coco_people(path: Path, people: int, seed: int = 0, per_image: int = 5) -> Path:
    """A large COCO-format keypoint file (no images) for memory measurements: `people` annotations."""
    rng = np.random.default_rng(seed)
    count = people // per_image
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as out:
        out.write('{"info": {}, "images": [')
        out.write(
            ",".join(
                json.dumps({"id": i, "file_name": f"{i:012d}.jpg", "height": 480, "width": 640}) for i in range(count)
            )
        )
        out.write('], "annotations": [')
        for start in range(0, people, 10000):
            chunk = min(10000, people - start)
            points = np.concatenate([rng.integers(0, 480, (chunk, 17, 2)), np.full((chunk, 17, 1), 2)], 2)
            rows = [
                json.dumps(
                    {
                        "id": start + k,
                        "image_id": (start + k) // per_image,
                        "category_id": 1,
                        "keypoints": points[k].ravel().tolist(),
                        "num_keypoints": 17,
                        "bbox": [10.5, 20.25, 100.0, 200.0],
                        "area": 1.0,
                        "iscrowd": 0,
                        "segmentation": [[float(v) for v in points[k, :8].ravel()]],
                    }
                )
                for k in range(chunk)
            ]
            out.write(("," if start else "") + ",".join(rows))
        out.write('], "categories": [{"id": 1, "name": "person"}]}')
    return path


def write_ai_challenger(root: Path, seed: int = 0, images: int = 5) -> dict:
    """ai_challenger/keypoint_train_annotations_20170902.json and keypoint_train_images_20170902/<id>.jpg."""
    rng, base = np.random.default_rng(seed), Path(root) / "ai_challenger"
    records, kept = [], 0
    for i in range(images):
        image_id = f"{int(rng.integers(0, 16**12)):012x}{i}"
        write_image(base / "keypoint_train_images_20170902" / f"{image_id}.jpg", 8, 8, i)
        keypoints, boxes = {}, {}
        for person in range(1, 3 if i % 2 else 2):
            x0 = 400 * person
            visibility = rng.choice([1, 2, 3], 14, p=[0.6, 0.2, 0.2])
            if i == 2:
                visibility[:] = 3  # nobody labelled: left out
            points = np.stack([rng.integers(x0, x0 + 300, 14), rng.integers(0, 400, 14), visibility], 1)
            points[visibility == 3, :2] = 0
            keypoints[f"human{person}"] = points.ravel().tolist()
            boxes[f"human{person}"] = [x0, 0, x0 + 300, 400]
        if i == 3:  # two people whose boxes overlap heavily: both left out
            boxes["human2"] = [400, 0, 700, 400]
        for key, points in keypoints.items():
            points = np.reshape(points, (14, 3))
            heavy = any(k != key and _overlap(boxes[key], b) > 0.1 for k, b in boxes.items())
            kept += int(((3.0 - points[:, 2]) / 2).sum() >= 5 and not heavy)
        records.append(
            {
                "url": "http://example.invalid/" + image_id,
                "image_id": image_id,
                "keypoint_annotations": keypoints,
                "human_annotations": boxes,
            }
        )
    _json(base / "keypoint_train_annotations_20170902.json", records)
    return {"count": kept, "raw": base}


def _overlap(a, b) -> float:
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    return inter / ((max(a[2], b[2]) - min(a[0], b[0])) * (max(a[3], b[3]) - min(a[1], b[1])))


# ------------------------------------------------------------------------------------------------ SPIN, MoSh, GTA


def write_spin(root: Path, seed: int = 0, count: int = 5) -> dict:
    """spin_data/<SPIN's dataset_extras files>: imgname, center, scale, part, openpose (+ S, pose, shape)."""
    rng, base = np.random.default_rng(seed), Path(root) / "spin_data"
    base.mkdir(parents=True, exist_ok=True)
    names = {
        "coco_2014_train.npz": "train2014/COCO_train2014_{:012d}.jpg",
        "lsp_dataset_original_train.npz": "images/im{:04d}.jpg",
        "mpii_train.npz": "images/{:09d}.jpg",
        "hr-lspet_train.npz": "im{:05d}.png",
        "mpi_inf_3dhp_train.npz": "S1/Seq1/imageFrames/video_0/frame_{:06d}.jpg",
        "h36m_train.npz": "images/S1_Directions_1.54138969_{:06d}.jpg",
    }
    for file, pattern in names.items():
        data = {
            "imgname": np.array([pattern.format(i + 1) for i in range(count)]),
            "center": rng.uniform(50, 500, (count, 2)),
            "scale": rng.uniform(0.5, 3, count),
            "part": np.concatenate([rng.uniform(0, 500, (count, 24, 2)), rng.integers(0, 2, (count, 24, 1))], 2),
            "openpose": np.concatenate([rng.uniform(0, 500, (count, 25, 2)), rng.uniform(0, 1, (count, 25, 1))], 2),
        }
        if file in ("mpi_inf_3dhp_train.npz", "h36m_train.npz"):
            data["S"] = np.concatenate([rng.normal(0, 0.5, (count, 24, 3)), np.ones((count, 24, 1))], 2)
            data["pose"], data["shape"] = rng.normal(0, 0.3, (count, 72)), rng.normal(0, 1, (count, 10))
            data["has_smpl"] = np.array([1, 0, 1, 1, 0][:count] + [1] * max(0, count - 5), np.float64)
        np.savez(base / file, **data)
    np.savez(
        base / "3dpw_test.npz",
        imgname=np.array([f"imageFiles/courtyard_basketball_00/image_{i:05d}.jpg" for i in range(count)]),
        center=rng.uniform(50, 500, (count, 2)),
        scale=rng.uniform(0.5, 3, count),
        pose=rng.normal(0, 0.3, (count, 72)),
        shape=rng.normal(0, 1, (count, 10)),
        gender=np.array(["m", "f", "m", "f", "f"][:count] + ["m"] * max(0, count - 5)),
    )
    return {"count": count, "raw": base}


def write_cmu_mosh(root: Path, seed: int = 0, amass: bool = False) -> dict:
    """cmu_mosh/neutrSMPL_CMU/<subject>/<seq>.pkl (HMR's neutrMosh), or cmu_mosh/CMU/<subject>/*_poses.npz (AMASS)."""
    rng, base = np.random.default_rng(seed), Path(root) / "cmu_mosh"
    total = 0
    for subject, sequence, frames in (("01", "01_01", 7), ("02", "02_03", 5), ("09", "09_12", 4)):
        if amass:
            path = base / "CMU" / subject / f"{sequence}_poses.npz"
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(
                path,
                poses=rng.normal(0, 0.3, (frames * 12, 156)),
                betas=rng.normal(0, 1, 16),
                mocap_framerate=np.array(120.0),
                gender=np.array("male"),
                trans=rng.normal(0, 1, (frames * 12, 3)),
            )
            total += len(range(0, frames * 12, 12))
        else:
            key = "new_poses" if subject == "02" else "poses"
            write_py2_pickle(
                {key: rng.normal(0, 0.3, (frames, 72)), "betas": rng.normal(0, 1, 10)},
                base / "neutrSMPL_CMU" / subject / f"{sequence}.pkl",
            )
            total += frames
    if amass:
        np.savez(base / "CMU" / "01" / "shape.npz", betas=rng.normal(0, 1, 16), gender=np.array("male"))
    return {"count": total, "raw": base}


GTA_FRAMES = 4


def write_gta_human(root: Path, seed: int = 0) -> dict:
    """gta_human/annotations/seq_%08d.pkl and gta_human/images/seq_%08d/%08d.jpeg."""
    rng, base = np.random.default_rng(seed), Path(root) / "gta_human"
    kept = 0
    for seq in (1, 7):
        boxes = np.stack(
            [
                rng.uniform(100, 1500, GTA_FRAMES),
                rng.uniform(100, 800, GTA_FRAMES),
                rng.uniform(50, 400, GTA_FRAMES),
                rng.uniform(50, 300, GTA_FRAMES),
            ],
            1,
        )
        boxes[1, 0] = 1950.0  # starts right of the frame: dropped
        kept += GTA_FRAMES - 1
        annotation = {
            "is_male": True,
            "fov": 50.0,
            "num_frames": GTA_FRAMES,
            "weather": "CLEAR",
            "daytime": (12, 0, 0),
            "location_tag": "street",
            "keypoints_2d": np.concatenate(
                [rng.uniform(0, 1900, (GTA_FRAMES, 100, 2)), np.ones((GTA_FRAMES, 100, 1))], 2
            ).astype(np.float32),
            "keypoints_3d": np.concatenate(
                [rng.normal(0, 1, (GTA_FRAMES, 100, 3)) + [0, 0, 6], np.ones((GTA_FRAMES, 100, 1))], 2
            ).astype(np.float32),
            "occ": np.zeros((GTA_FRAMES, 100)),
            "self_occ": np.zeros((GTA_FRAMES, 100)),
            "betas": rng.normal(0, 1, (GTA_FRAMES, 10)).astype(np.float32),
            "body_pose": rng.normal(0, 0.2, (GTA_FRAMES, 69)).astype(np.float32),
            "global_orient": rng.normal(0, 0.2, (GTA_FRAMES, 3)).astype(np.float32),
            "transl": (rng.normal(0, 0.3, (GTA_FRAMES, 3)) + [0, 0, 6]).astype(np.float32),
            "bbox_xywh": boxes,
        }
        path = base / "annotations" / f"seq_{seq:08d}.pkl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(annotation, protocol=4))
        for frame in range(GTA_FRAMES):
            write_image(base / "images" / f"seq_{seq:08d}" / f"{frame:08d}.jpeg", 8, 8, frame)
    return {"count": kept, "raw": base}
