"""Training augmentations of mmhuman3d's pipelines, as plain functions of numpy arrays and an explicit RNG.

Each function takes `rng: np.random.Generator` so that a sample's augmentation depends only on the seed
given to it (see train.data.datasets: one generator per (seed, epoch, position)), never on worker or process.
Images are RGB uint8 (H, W, 3); boxes xyxy in image pixels; angles in degrees.

Sources (mmhuman3d/data/datasets/pipelines): RandomChannelNoise, RandomHorizontalFlip (_flip_keypoints,
_flip_smpl_pose), GetRandomScaleRotation, MeshAffine (_rotate_joints_3d, _rotate_smpl_pose) in transforms.py;
RandomDPG, RandomOcclusion in hybrik_transforms.py.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

SMPL_JOINT_FLIP = (0, 2, 1, 3, 5, 4, 6, 8, 7, 9, 11, 10, 12, 14, 13, 15, 17, 16, 19, 18, 21, 20, 23, 22)


def flip_permutation(names: list[str]) -> np.ndarray:
    """(K,) index of each joint's mirror partner by name ('left' ↔ 'right'); unpaired joints map to themselves."""
    index = {name: i for i, name in enumerate(names)}
    perm = np.arange(len(names))
    for i, name in enumerate(names):
        for a, b in (("left", "right"), ("right", "left")):
            if a in name:
                partner = name.replace(a, b)
                perm[i] = index.get(partner, i)
                break
    return perm


def channel_noise(image: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    """Multiply each channel by U(1 − factor, 1 + factor), saturating uint8 (cv2.multiply as mmhuman3d).

    mmhuman3d draws the three factors for its BGR image; `image` is RGB, so they are applied in reverse, and the
    same draws give the same picture. A float32 image (HybrIK's crop, noised after HybrIKAffine made it float32) is
    not saturated, as in mmhuman3d."""
    scale = rng.uniform(1 - factor, 1 + factor, (1, 3))[:, ::-1]
    return cv2.multiply(image, np.ascontiguousarray(scale))


def random_scale_rotation(
    rng: np.random.Generator, scale_factor: float, rot_factor: float, rot_prob: float
) -> tuple[float, float]:
    """GetRandomScaleRotation → (scale multiplier, rotation in degrees)."""
    scale = float(np.clip(rng.standard_normal() * scale_factor + 1, 1 - scale_factor, 1 + scale_factor))
    rotation = float(np.clip(rng.standard_normal() * rot_factor, -2 * rot_factor, 2 * rot_factor))
    return scale, (rotation if rng.random() <= rot_prob else 0.0)


def flip_image(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[:, ::-1])


def flip_keypoints2d(keypoints: np.ndarray, perm: np.ndarray, width: int) -> np.ndarray:
    """(K, 2+) image pixels: swap left/right, x → width − 1 − x (mmhuman3d flips every row, valid or not)."""
    flipped = keypoints[perm].copy()
    flipped[:, 0] = width - 1 - flipped[:, 0]
    return flipped


def flip_keypoints3d(keypoints: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """(K, 3+) camera frame: swap left/right, x → −x."""
    flipped = keypoints[perm].copy()
    flipped[:, 0] = -flipped[:, 0]
    return flipped


def flip_smpl_pose(pose_aa: np.ndarray) -> np.ndarray:
    """(24, 3) axis-angle: swap left/right joints and negate the y and z components (a mirror about x = 0)."""
    flipped = pose_aa[list(SMPL_JOINT_FLIP)].copy()
    flipped[:, 1:] = -flipped[:, 1:]
    return flipped


def inplane_rotation(rot_deg: float) -> np.ndarray:
    """(3, 3) rotation about the camera z axis by −rot_deg: what an image rotation by rot_deg does to 3D points."""
    rad = np.deg2rad(-rot_deg)
    cos, sin = np.cos(rad), np.sin(rad)
    return np.array([[cos, -sin, 0.0], [sin, cos, 0.0], [0.0, 0.0, 1.0]])


def rotate_keypoints3d(keypoints: np.ndarray, rot_deg: float) -> np.ndarray:
    """(K, 3+) → same with xyz rotated in-plane (mmhuman3d _rotate_joints_3d; float32 as there)."""
    rotated = keypoints.astype(np.float32).copy()
    rotated[:, :3] = keypoints[:, :3] @ inplane_rotation(rot_deg).T
    return rotated


def rotate_global_orient(global_orient: np.ndarray, rot_deg: float) -> np.ndarray:
    """(3,) axis-angle → the same body seen in the rotated image (mmhuman3d _rotate_smpl_pose)."""
    if rot_deg == 0:
        return global_orient.copy()
    matrix, _ = cv2.Rodrigues(global_orient.astype(np.float32).reshape(3, 1))
    rotated, _ = cv2.Rodrigues(inplane_rotation(rot_deg) @ matrix)
    return rotated.reshape(3)


def transform_points(points: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """(K, 2) pixels through a (2, 3) affine matrix."""
    return points @ affine[:, :2].T + affine[:, 2]


def random_dpg(box_xyxy: np.ndarray, image_size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """HybrIK RandomDPG: a random sub-patch (15 %) or a Gaussian jitter of each box edge (85 %). → new xyxy.

    image_size = (width, height). The jitter statistics are HybrIK's, measured from detector boxes.
    """
    x1, y1, x2, y2 = (float(v) for v in box_xyxy)
    width, height = x2 - x1, y2 - y1
    img_w, img_h = image_size
    patch_scale = rng.random()
    if patch_scale > 0.85:
        ratio = height / width
        if width < height:
            patch_w, patch_h = patch_scale * width, patch_scale * width * ratio
        else:
            patch_h, patch_w = patch_scale * height, patch_scale * height / ratio
        xmin = x1 + rng.random() * (width - patch_w)
        ymin = y1 + rng.random() * (height - patch_h)
        return np.array([xmin, ymin, xmin + patch_w + 1, ymin + patch_h + 1])
    xmin = max(1, min(x1 + rng.normal(-0.0142, 0.1158) * width, img_w - 3))
    ymin = max(1, min(y1 + rng.normal(0.0043, 0.068) * height, img_h - 3))
    xmax = min(max(xmin + 2, x2 + rng.normal(0.0154, 0.1337) * width), img_w - 3)
    ymax = min(max(ymin + 2, y2 + rng.normal(-0.0013, 0.0711) * height), img_h - 3)
    return np.array([xmin, ymin, xmax, ymax])


def random_occlusion(image: np.ndarray, box_xyxy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """HybrIK RandomOcclusion: fill a random rectangle (area ≤ 70 % of the box, aspect 0.3–3.3) with noise.

    The rectangle is dropped when it would leave the image, as in mmhuman3d.
    """
    x1, y1, x2, y2 = (float(v) for v in box_xyxy)
    area = rng.random() * 0.7 * (x2 - x1) * (y2 - y1)
    ratio = rng.random() * (1 / 0.3 - 0.3) + 0.3
    occ_h, occ_w = math.sqrt(area * ratio), math.sqrt(area / ratio)
    occ_x = rng.random() * ((x2 - x1) - occ_w - 1) + x1
    occ_y = rng.random() * ((y2 - y1) - occ_h - 1) + y1
    img_h, img_w = image.shape[:2]
    if not (occ_x >= 0 and occ_y >= 0 and occ_x + occ_w < img_w and occ_y + occ_h < img_h):
        return image
    occ_x, occ_y, occ_w, occ_h = int(occ_x), int(occ_y), int(occ_w), int(occ_h)
    occluded = image.copy()
    noise = rng.random((occ_h, occ_w, 3))[..., ::-1]  # drawn in mmhuman3d's BGR channel order
    occluded[occ_y : occ_y + occ_h, occ_x : occ_x + occ_w] = (noise * 255).astype(np.uint8)
    return occluded
