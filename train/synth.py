"""Offline synthetic data in mmhuman3d's layouts: rendered bodies plus HumanData files.

    python -m train.synth --out data/ --num-train 64 --num-test 32 [--body-model auto|smpl|open] [--seed 0]

Writes, under --out (an mmhuman3d-style data/ folder):
    preprocessed_datasets/pw3d_test.npz          3DPW test layout for HMR / SPIN-GTA (mmhuman3d data_converters/pw3d.py)
    preprocessed_datasets/hybrik_pw3d_test.npz   3DPW test layout for HybrIK (mmhuman3d data_converters/pw3d_hybrik.py)
    preprocessed_datasets/synth_train.npz        training set for HMR / SPIN-GTA (keypoints in human_data 190)
    preprocessed_datasets/hybrik_synth_train.npz training set for HybrIK (HybrIK layout with thetas)
    datasets/pw3d/imageFiles/synth_test/image_%05d.jpg, datasets/synth/imageFiles/synth_train/image_%05d.jpg

Each image shows one body in a pose near one of a few canonical poses, with random shape, yaw, camera,
colour and background. GT SMPL parameters are in the camera frame; `transl` is kept only in training
files (3DPW test files have none). Every test-file gender is 'n' (→ the female model in mmhuman3d's rule):
the images come from ONE body model, so use the same model for all genders when checking a pipeline.
Deterministic for a given --seed.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from scipy.spatial.transform import Rotation

from core import joints
from core.body_models import BodyModel
from core.evaluation.human_data import save_human_data
from core.joints.human_data import HUMAN_DATA_NAMES, human_data_indices

IMAGE_HEIGHT, IMAGE_WIDTH = 480, 360
PERSON_FILL = 0.7  # person height as a fraction of the image height
BBOX_EXPANSION = 1.2  # Pw3dConverter: keypoint box enlarged about its centre
DEPTH_FACTOR = 2.0  # HybrIK's 3DPW depth_factor (metres)
TEST_SEQUENCE = "synth_test"
TRAIN_SEQUENCE = "synth_train"
JPEG_QUALITY = 95

SMPL_24_NAMES = HUMAN_DATA_NAMES[:22] + ("left_hand", "right_hand")
# Named keypoints every body model provides (the project's regressor contract), human_data names.
# Later groups win where names repeat: H36M rows must come from J_regressor_h36m, as 3DPW's GT does.
REGRESSOR_NAMES = {"smplx_21": joints.SMPLX_21, "extra_9": joints.EXTRA_9, "h36m_17": joints.H36M_17}
# mmhuman3d's hybrik_29 rows in human_data: SMPL 0-14, SMPL head as 'jaw', SMPL 16-21, SMPL hands as
# thumbs, then the leaves head top, middle fingertips and big toes (keypoints_mapping/hybrik.py HYBRIK_29_KEYPOINTS).
HYBRIK_29_IN_HUMAN_DATA = tuple(human_data_indices(joints.HYBRIK_29))
H36M_IN_HUMAN_DATA = tuple(human_data_indices(REGRESSOR_NAMES["h36m_17"]))

# A few plausible poses (SMPL joint index → axis-angle, radians); samples are small perturbations of these.
CANONICAL_POSES = {
    "a_pose": {16: (0, 0, -1.1), 17: (0, 0, 1.1)},
    "walking": {
        1: (-0.4, 0, 0),
        2: (0.35, 0, 0),
        4: (0.5, 0, 0),
        5: (0.2, 0, 0),
        16: (0.3, 0, -1.2),
        17: (-0.3, 0, 1.2),
        18: (0, -0.4, 0),
        19: (0, 0.4, 0),
    },
    "arms_up": {16: (0, 0, 0.3), 17: (0, 0, -0.3), 18: (0, 0, 0.3), 19: (0, 0, -0.3)},
    "squat": {
        1: (-1.2, 0, 0.1),
        2: (-1.2, 0, -0.1),
        4: (1.5, 0, 0),
        5: (1.5, 0, 0),
        3: (0.3, 0, 0),
        16: (0, -0.6, -0.8),
        17: (0, 0.6, 0.8),
    },
}
# SMPL is y up and faces +z; the OpenCV camera is y down, z forward: a half turn about x stands the
# body up, facing the camera.
UPRIGHT_FACING_CAMERA = Rotation.from_euler("x", 180, degrees=True)


@dataclass
class Sample:
    """One rendered person: SMPL parameters in the camera frame, camera and keypoints."""

    betas: np.ndarray  # (10,)
    global_orient: np.ndarray  # (3,) axis-angle
    body_pose: np.ndarray  # (23, 3) axis-angle
    transl: np.ndarray  # (3,) metres
    K: np.ndarray  # (3, 3)
    keypoints3d: np.ndarray  # (190, 3) camera frame, metres
    keypoints_mask: np.ndarray  # (190,) uint8
    vertices: np.ndarray  # (V, 3) camera frame
    root: np.ndarray  # (3,) SMPL pelvis (joint 0), camera frame

    @property
    def keypoints2d(self) -> np.ndarray:
        """(190, 2) pixels."""
        projected = self.keypoints3d @ self.K.T
        return projected[:, :2] / np.maximum(projected[:, 2:], 1e-6)


# ---------------------------------------------------------------- sampling


def sample_pose(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """global_orient (3,) in the camera frame (upright, yaw within ±60°) and body_pose (23, 3)."""
    name = list(CANONICAL_POSES)[rng.integers(len(CANONICAL_POSES))]
    full = np.zeros((24, 3))
    for joint, axis_angle in CANONICAL_POSES[name].items():
        full[joint] = axis_angle
    full[1:] += rng.normal(scale=0.08, size=(23, 3))
    yaw = Rotation.from_euler("y", rng.uniform(-60, 60), degrees=True)
    global_orient = (yaw * UPRIGHT_FACING_CAMERA * Rotation.from_rotvec(rng.normal(scale=0.05, size=3))).as_rotvec()
    return global_orient, full[1:]


def sample_camera(rng: np.random.Generator) -> np.ndarray:
    """K (3, 3): focal length for a 45-60° vertical field of view, principal point near the centre."""
    vertical_fov = np.radians(rng.uniform(45, 60))
    focal = IMAGE_HEIGHT / 2 / np.tan(vertical_fov / 2)
    cx = IMAGE_WIDTH / 2 + rng.uniform(-5, 5)
    cy = IMAGE_HEIGHT / 2 + rng.uniform(-5, 5)
    return np.array([[focal, 0, cx], [0, focal, cy], [0, 0, 1.0]])


def make_sample(body_model: BodyModel, rng: np.random.Generator) -> Sample:
    """Pose a body, then place it so it fills about PERSON_FILL of the image height."""
    betas = rng.normal(scale=0.8, size=10)
    global_orient, body_pose = sample_pose(rng)
    K = sample_camera(rng)
    with torch.no_grad():
        out = body_model.forward_axis_angle(_t(betas[None]), _t(global_orient[None]), _t(body_pose[None]))
    vertices, joints = out.vertices[0].double().numpy(), out.joints[0].double().numpy()
    height = np.ptp(vertices[:, 1])
    depth = K[1, 1] * height / (PERSON_FILL * IMAGE_HEIGHT)
    centre = (vertices.max(0) + vertices.min(0)) / 2
    target = np.array(
        [
            rng.uniform(-0.1, 0.1) * depth * IMAGE_WIDTH / K[0, 0],
            rng.uniform(-0.05, 0.05) * depth * IMAGE_HEIGHT / K[1, 1],
            depth,
        ]
    )
    # Put the box centre on the principal ray (plus a small offset) at the chosen depth.
    principal_offset = np.array(
        [(IMAGE_WIDTH / 2 - K[0, 2]) * depth / K[0, 0], (IMAGE_HEIGHT / 2 - K[1, 2]) * depth / K[1, 1], 0.0]
    )
    transl = target + principal_offset - centre
    keypoints, mask = human_data_keypoints(body_model, out)
    return Sample(
        betas, global_orient, body_pose, transl, K, keypoints + transl, mask, vertices + transl, joints[0] + transl
    )


def human_data_keypoints(body_model: BodyModel, out) -> tuple[np.ndarray, np.ndarray]:
    """(190, 3) keypoints (zeros where absent) and (190,) mask from the FK joints and named regressors."""
    keypoints = np.zeros((len(HUMAN_DATA_NAMES), 3))
    mask = np.zeros(len(HUMAN_DATA_NAMES), dtype=np.uint8)
    groups = [(SMPL_24_NAMES, out.joints[0])]
    groups += [
        (names, body_model.regress(out.vertices, regressor)[0])
        for regressor, names in REGRESSOR_NAMES.items()
        if regressor in body_model.regressor_names
    ]
    for names, points in groups:
        rows = human_data_indices(names)
        keypoints[rows] = points.double().numpy()
        mask[rows] = 1
    return keypoints, mask


# ---------------------------------------------------------------- images


def render_image(body_model: BodyModel, sample: Sample, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8 RGB: the body in a random colour over a random background."""
    from core.render.overlay import render_overlay
    from core.render.scene import MeshToDraw

    mesh = MeshToDraw(sample.vertices, body_model.faces, tuple(rng.uniform(0.3, 0.95, size=3)), name="person")
    return render_overlay(random_background(rng), [mesh], sample.K, opacity=1.0)


def random_background(rng: np.random.Generator) -> np.ndarray:
    """A vertical colour gradient with a few rectangles and noise, (H, W, 3) uint8."""
    top, bottom = rng.uniform(0, 255, size=(2, 3))
    ramp = np.linspace(0, 1, IMAGE_HEIGHT)[:, None, None]
    image = np.broadcast_to(top * (1 - ramp) + bottom * ramp, (IMAGE_HEIGHT, IMAGE_WIDTH, 3)).copy()
    for _ in range(rng.integers(2, 6)):
        x0, y0 = rng.integers(0, IMAGE_WIDTH), rng.integers(0, IMAGE_HEIGHT)
        w, h = rng.integers(20, 150, size=2)
        image[y0 : y0 + h, x0 : x0 + w] = rng.uniform(0, 255, size=3)
    image += rng.normal(scale=6.0, size=image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def save_jpeg(path: Path, image_rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])


# ---------------------------------------------------------------- HumanData layouts


def keypoint_box_xywh(sample: Sample) -> np.ndarray:
    """Pw3dConverter's box: min/max of the valid 2D keypoints, enlarged 1.2× about the centre, + conf 1."""
    points = sample.keypoints2d[sample.keypoints_mask == 1]
    low, high = points.min(0), points.max(0)
    centre, size = (low + high) / 2, (high - low) * BBOX_EXPANSION
    return np.array([*(centre - size / 2), *size, 1.0])


def hybrik_box_xyxy(sample: Sample) -> np.ndarray:
    """HybrIK's box: xywh of the keypoint box → x1, y1, x1 + w − 1, y1 + h − 1 clipped to the image, + conf 1."""
    x, y, w, h, _ = keypoint_box_xywh(sample)
    x1, y1 = np.clip(x, 0, IMAGE_WIDTH - 1), np.clip(y, 0, IMAGE_HEIGHT - 1)
    x2, y2 = np.clip(x + max(w - 1, 0), 0, IMAGE_WIDTH - 1), np.clip(y + max(h - 1, 0), 0, IMAGE_HEIGHT - 1)
    return np.array([x1, y1, x2, y2, 1.0])


def pw3d_test_fields(samples: list[Sample], image_paths: list[str]) -> dict:
    """`pw3d_test.npz` (as mmhuman3d's Pw3dConverter writes it): boxes, camera-frame SMPL without transl, gender, camera parameters."""
    return {
        "image_path": image_paths,
        "bbox_xywh": np.stack([keypoint_box_xywh(s) for s in samples]),
        "smpl": {
            "body_pose": np.stack([s.body_pose for s in samples]),
            "global_orient": np.stack([s.global_orient for s in samples]),
            "betas": np.stack([s.betas for s in samples]),
        },
        "meta": {"gender": ["n"] * len(samples)},
        "cam_param": [_camera_parameter(s, f"synth_{i:05d}") for i, s in enumerate(samples)],
        "config": "pw3d",
    }


def hybrik_fields(samples: list[Sample], image_paths: list[str]) -> dict:
    """`hybrik_pw3d_test.npz` (as mmhuman3d's Pw3dHybrIKConverter writes it): xyxy boxes, thetas, K⁻¹, GT root and compressible 17/29-joint sets."""
    num = len(samples)
    cam = np.stack([s.keypoints3d for s in samples])  # (N, 190, 3) camera frame
    roots = np.stack([s.root for s in samples])  # (N, 3)
    h36m_mask = _mask(H36M_IN_HUMAN_DATA)
    smpl_mask = _mask(HYBRIK_29_IN_HUMAN_DATA[:24])
    h36m_cam = np.where(h36m_mask[None, :, None] == 1, cam, 0.0)
    h36m_relative = h36m_cam - cam[:, [H36M_IN_HUMAN_DATA[0]]] * h36m_mask[None, :, None]
    smpl_cam = _hybrik_smpl_joints(samples)
    smpl_relative = smpl_cam - roots[:, None] * smpl_mask[None, :, None]
    return {
        "image_path": image_paths,
        "image_height": np.full(num, IMAGE_HEIGHT),
        "image_width": np.full(num, IMAGE_WIDTH),
        "bbox_xywh": np.stack([hybrik_box_xyxy(s) for s in samples]),
        "smpl": {
            "thetas": np.stack([np.concatenate([s.global_orient[None], s.body_pose]) for s in samples]),
            "betas": np.stack([s.betas for s in samples]),
        },
        "cam_param": {
            "f": np.stack([np.diag(s.K)[:2] for s in samples]),
            "c": np.stack([s.K[:2, 2] for s in samples]),
            "intrinsic": np.stack([np.linalg.inv(s.K) for s in samples]),
        },
        "root_cam": roots,
        "depth_factor": [DEPTH_FACTOR] * num,
        **_with_conf("keypoints3d17", np.zeros_like(h36m_cam), h36m_mask),
        **_with_conf("keypoints3d17_cam", h36m_cam, h36m_mask),
        **_with_conf("keypoints3d17_relative", h36m_relative, h36m_mask),
        **_with_conf("keypoints3d", _image_uvd(samples, smpl_cam, roots, smpl_mask), smpl_mask),
        **_with_conf("keypoints3d_cam", smpl_cam, smpl_mask),
        **_with_conf("keypoints3d_relative", smpl_relative, smpl_mask),
        "config": "pw3d",
    }


def train_fields(samples: list[Sample], image_paths: list[str]) -> dict:
    """HMR / SPIN-GTA training file: 2D and 3D keypoints in human_data 190 with masks, SMPL with transl."""
    mask = samples[0].keypoints_mask
    kp2d = np.stack([np.concatenate([s.keypoints2d, s.keypoints_mask[:, None]], 1) for s in samples])
    kp3d = np.stack([np.concatenate([s.keypoints3d, s.keypoints_mask[:, None]], 1) for s in samples])
    return {
        "image_path": image_paths,
        "bbox_xywh": np.stack([keypoint_box_xywh(s) for s in samples]),
        "keypoints2d": kp2d,
        "keypoints2d_mask": mask,
        "keypoints3d": kp3d,
        "keypoints3d_mask": mask,
        "smpl": {
            "body_pose": np.stack([s.body_pose for s in samples]),
            "global_orient": np.stack([s.global_orient for s in samples]),
            "betas": np.stack([s.betas for s in samples]),
            "transl": np.stack([s.transl for s in samples]),
        },
        "has_smpl": np.ones(len(samples)),
        "meta": {"gender": ["n"] * len(samples)},
        "config": "synth",
    }


def _mask(rows) -> np.ndarray:
    mask = np.zeros(len(HUMAN_DATA_NAMES), dtype=np.uint8)
    mask[list(rows)] = 1
    return mask


def _with_conf(key: str, points: np.ndarray, mask: np.ndarray) -> dict:
    """`key` (N, 190, 4) = points + confidence column, with its `key_mask`."""
    conf = np.broadcast_to(mask[None, :, None], points.shape[:2] + (1,)).astype(np.float64)
    return {key: np.concatenate([points, conf], axis=2), f"{key}_mask": mask}


def _hybrik_smpl_joints(samples: list[Sample]) -> np.ndarray:
    """(N, 190, 3): the 24 SMPL joints at their hybrik_29 rows (SMPL head → 'jaw', hands → thumbs)."""
    out = np.zeros((len(samples), len(HUMAN_DATA_NAMES), 3))
    smpl_rows = human_data_indices(SMPL_24_NAMES)
    for i, sample in enumerate(samples):
        out[i, list(HYBRIK_29_IN_HUMAN_DATA[:24])] = sample.keypoints3d[smpl_rows]
    return out


def _image_uvd(samples, smpl_cam, roots, mask) -> np.ndarray:
    """HybrIK's `keypoints3d`: pixels u, v and depth relative to the root (metres)."""
    out = np.zeros_like(smpl_cam)
    for i, sample in enumerate(samples):
        projected = smpl_cam[i] @ sample.K.T
        uv = projected[:, :2] / np.maximum(projected[:, 2:], 1e-6)
        out[i] = np.concatenate([uv, smpl_cam[i, :, 2:] - roots[i, 2]], 1)
    return out * mask[None, :, None]


def _camera_parameter(sample: Sample, name: str) -> dict:
    """mmhuman3d `CameraParameter.to_dict()` keys; the synthetic camera has no rotation or distortion."""
    entry = {
        "H": IMAGE_HEIGHT,
        "W": IMAGE_WIDTH,
        "in_mat": sample.K.tolist(),
        "rotation_mat": np.eye(3).tolist(),
        "translation": [0.0, 0.0, 0.0],
        "name": name,
    }
    entry.update({f"k{i}": 0.0 for i in range(1, 7)})
    entry.update({"p1": 0.0, "p2": 0.0})
    return entry


# ---------------------------------------------------------------- driver


def generate(out: Path, body_model: BodyModel, num_train: int = 64, num_test: int = 32, seed: int = 0) -> dict:
    """Render and write everything; returns {name: path} of the HumanData files."""
    rng = np.random.default_rng(seed)
    written = {}
    for split, num in (("test", num_test), ("train", num_train)):
        if num == 0:
            continue
        samples, relative_paths = _render_split(out, body_model, rng, split, num)
        if split == "test":
            written["pw3d_test"] = _save(out, "pw3d_test.npz", pw3d_test_fields(samples, relative_paths))
            written["hybrik_pw3d_test"] = _save(out, "hybrik_pw3d_test.npz", hybrik_fields(samples, relative_paths))
        else:
            written["synth_train"] = _save(out, "synth_train.npz", train_fields(samples, relative_paths))
            written["hybrik_synth_train"] = _save(out, "hybrik_synth_train.npz", hybrik_fields(samples, relative_paths))
    return written


def _render_split(out: Path, body_model: BodyModel, rng, split: str, num: int):
    dataset, sequence = ("pw3d", TEST_SEQUENCE) if split == "test" else ("synth", TRAIN_SEQUENCE)
    samples, relative_paths = [], []
    for index in range(num):
        sample = make_sample(body_model, rng)
        relative = f"imageFiles/{sequence}/image_{index:05d}.jpg"
        save_jpeg(out / "datasets" / dataset / relative, render_image(body_model, sample, rng))
        samples.append(sample)
        relative_paths.append(relative)
    return samples, relative_paths


def _save(out: Path, name: str, fields: dict) -> Path:
    path = out / "preprocessed_datasets" / name
    save_human_data(path, fields)
    return path


def _t(array: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(array, dtype=torch.float32)


def load_synth_body_model(choice: str) -> BodyModel:
    """'open' (bundled), 'smpl' (the user's neutral SMPL) or 'auto' (open model)."""
    from core.body_models.load import load_body_model

    if choice not in ("auto", "smpl", "open"):
        raise ValueError(f"--body-model must be auto, smpl or open, got '{choice}'")
    return load_body_model("smpl" if choice == "smpl" else "open", gender="neutral")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Render synthetic bodies into mmhuman3d HumanData files.")
    parser.add_argument("--out", type=Path, required=True, help="data/ folder to write into")
    parser.add_argument("--num-train", type=int, default=64)
    parser.add_argument("--num-test", type=int, default=32)
    parser.add_argument("--body-model", default="auto", choices=("auto", "smpl", "open"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    written = generate(args.out, load_synth_body_model(args.body_model), args.num_train, args.num_test, args.seed)
    for name, path in written.items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
