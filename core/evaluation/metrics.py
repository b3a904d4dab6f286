"""Errors between 3D joints, meshes and 2D keypoints: one implementation for the app and for train/.

The 3DPW protocol follows mmhuman3d's `HumanImageDataset.evaluate` / `_parse_result`
(mmhuman3d/data/datasets/human_image_dataset.py) and `keypoint_mpjpe` (mmhuman3d/core/evaluation/eval_utils.py):
subtract the H36M pelvis (joint 0), keep the 14 LSP joints (`core.joints.H36M_TO_LSP_14`), convert
metres to millimetres, then MPJPE = mean L2 distance and PA-MPJPE = the same after a per-sample
similarity Procrustes alignment with reflection fix (`core.geometry.similarity_transform_np`, the
same steps as mmhuman3d's `compute_similarity_transform`, itself from akanazawa/hmr).
PVE = mean vertex distance, no alignment.

All functions take and return numpy float64 arrays; per-sample / per-joint values are returned so the
caller can report means, per-joint tables and CSV rows. Means over all samples and joints equal
mmhuman3d's single `[mask].mean()` because its mask is all ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.geometry import similarity_transform_np
from core.joints import H36M_TO_LSP_14, LSP_14

H36M_PELVIS = 0
J14_NAMES = tuple(name.removesuffix("_extra") for name in LSP_14)  # in tables: 'right_hip', 'neck', 'headtop'
MM_PER_M = 1000.0


def procrustes_align(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Align each source (B, K, 3) onto its target (B, K, 3) by a similarity (scale, rotation, translation)."""
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    return np.stack([similarity_transform_np(s, t) for s, t in zip(source, target)])


def joint_distances(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(B, K, D), (B, K, D) → (B, K) Euclidean distances, in the inputs' units."""
    assert pred.shape == gt.shape, f"pred {pred.shape} vs gt {gt.shape}"
    return np.linalg.norm(np.asarray(pred, np.float64) - np.asarray(gt, np.float64), axis=-1)


def pa_joint_distances(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(B, K, 3), (B, K, 3) → (B, K) distances after aligning each pred onto its gt."""
    return joint_distances(procrustes_align(pred, gt), gt)


def h36m_to_j14_mm(h36m_joints: np.ndarray) -> np.ndarray:
    """(B, 17, 3) H36M joints in metres → (B, 14, 3) pelvis-relative LSP-14 joints in mm."""
    joints = np.asarray(h36m_joints, dtype=np.float64)
    assert joints.shape[1:] == (17, 3), f"expected (B, 17, 3) H36M joints, got {joints.shape}"
    relative = joints - joints[:, H36M_PELVIS : H36M_PELVIS + 1]
    return relative[:, list(H36M_TO_LSP_14)] * MM_PER_M


@dataclass
class JointErrors:
    """3DPW-protocol errors per sample and LSP-14 joint, in mm."""

    mpjpe: np.ndarray  # (B, 14)
    pa_mpjpe: np.ndarray  # (B, 14)


def pw3d_joint_errors(pred_h36m: np.ndarray, gt_h36m: np.ndarray) -> JointErrors:
    """MPJPE / PA-MPJPE per joint from (B, 17, 3) H36M joints in metres (mmhuman3d's protocol)."""
    pred, gt = h36m_to_j14_mm(pred_h36m), h36m_to_j14_mm(gt_h36m)
    return JointErrors(mpjpe=joint_distances(pred, gt), pa_mpjpe=pa_joint_distances(pred, gt))


def pve_mm(pred_vertices: np.ndarray, gt_vertices: np.ndarray) -> np.ndarray:
    """(B, V, 3), (B, V, 3) metres → (B,) mean per-vertex error in mm, no alignment (mmhuman3d `vertice_pve`)."""
    return joint_distances(pred_vertices, gt_vertices).mean(axis=1) * MM_PER_M


@dataclass
class KeypointErrors2D:
    """Per-joint 2D errors of one person; NaN where a joint is not shared or not visible."""

    names: tuple[str, ...]
    pixels: np.ndarray  # (K,)
    percent_of_box_height: np.ndarray  # (K,)

    @property
    def mean_pixels(self) -> float:
        return float(np.nanmean(self.pixels)) if np.isfinite(self.pixels).any() else float("nan")

    @property
    def mean_percent(self) -> float:
        valid = np.isfinite(self.percent_of_box_height)
        return float(np.nanmean(self.percent_of_box_height)) if valid.any() else float("nan")


def keypoint_errors_2d(
    pred_2d: np.ndarray,
    target_2d: np.ndarray,
    valid: np.ndarray,
    box_height: float,
    names: tuple[str, ...] | list[str],
) -> KeypointErrors2D:
    """Reprojection error of one person's joints against detected 2D landmarks.

    pred_2d (K, 2) and target_2d (K, 2) in image pixels, in the same convention (e.g. both
    'mediapipe_33'); valid (K,) bool = joint exists in both skeletons and the detector saw it;
    box_height in pixels (the person's box) for a scale-free percentage.
    """
    assert pred_2d.shape == target_2d.shape and pred_2d.shape[-1] == 2, f"{pred_2d.shape} vs {target_2d.shape}"
    assert len(names) == len(pred_2d) == len(valid), f"{len(names)} names, {len(pred_2d)} points, {len(valid)} flags"
    if box_height <= 0:
        raise ValueError(f"box_height must be positive, got {box_height}")
    pixels = np.linalg.norm(np.asarray(pred_2d, np.float64) - np.asarray(target_2d, np.float64), axis=-1)
    pixels = np.where(np.asarray(valid, bool), pixels, np.nan)
    return KeypointErrors2D(tuple(names), pixels, 100.0 * pixels / box_height)


def method_joint_distances(joints_a: np.ndarray, joints_b: np.ndarray) -> np.ndarray:
    """Per-joint distance (K,) between two methods' (K, 3) joints after aligning a onto b (similarity)."""
    return pa_joint_distances(joints_a[None], joints_b[None])[0]


def method_vertex_distances(vertices_a: np.ndarray, vertices_b: np.ndarray, align: str = "procrustes") -> np.ndarray:
    """Per-vertex distance (V,) between two meshes of the same topology, for a heat-map.

    align: 'procrustes' (similarity fitted on all vertices), 'centroid' (translation only) or 'none'.
    """
    if vertices_a.shape != vertices_b.shape:
        raise ValueError(
            f"meshes have different topologies ({vertices_a.shape[0]} vs {vertices_b.shape[0]} vertices); "
            "compare joints with method_joint_distances instead"
        )
    a = np.asarray(vertices_a, np.float64)
    b = np.asarray(vertices_b, np.float64)
    if align == "procrustes":
        a = similarity_transform_np(a, b)
    elif align == "centroid":
        a = a - a.mean(axis=0) + b.mean(axis=0)
    elif align != "none":
        raise ValueError(f"align must be 'procrustes', 'centroid' or 'none', got '{align}'")
    return np.linalg.norm(a - b, axis=-1)
