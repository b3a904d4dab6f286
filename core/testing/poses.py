"""Posed skeletons with known rotations and twists: exact inputs for HybrIK's IK and head, for tests and the
mmhuman3d comparison (scripts/compare_with_mmhuman3d.py)."""

from __future__ import annotations

import numpy as np
import torch

from core import geometry
from core.networks.hybrik_head import HybrIKHeadOutput
from core.networks.hybrik_ik import HYBRIK_CHILDREN, HYBRIK_PARENTS, rest_skeleton
from core.pipeline.crop import HYBRIK_INPUT, crop_people


def posed_skeleton(body_model, rotmats: torch.Tensor, betas: torch.Tensor) -> torch.Tensor:
    """Forward kinematics of HybrIK's 29-joint rest skeleton with the 24 rotations (B, 24, 3, 3) → (B, 29, 3);
    the leaves follow their parents, the pelvis stays at the rest pelvis."""
    rest = rest_skeleton(body_model, betas)
    chain, positions = [rotmats[:, 0]], [rest[:, 0]]
    for i in range(1, 29):
        parent = HYBRIK_PARENTS[i]
        positions.append(positions[parent] + torch.einsum("bij,bj->bi", chain[parent], rest[:, i] - rest[:, parent]))
        if i < 24:
            chain.append(chain[parent] @ rotmats[:, i])
    return torch.stack(positions, 1)


def twists_from_rotations(body_model, rotmats: torch.Tensor, betas: torch.Tensor) -> torch.Tensor:
    """φ (B, 23, 2) for each joint: the twist part of R_i about its rest child bone (swing-twist decomposition)."""
    rest = rest_skeleton(body_model, betas)
    phis = []
    for i in range(1, 24):
        child = HYBRIK_CHILDREN[i]
        bone = rest[:, child] - rest[:, i]
        axis = bone / bone.norm(dim=-1, keepdim=True)
        R = rotmats[:, i]
        rotated = torch.einsum("bij,bj->bi", R, axis)
        # Swing takes axis → rotated; the twist is R applied after undoing the swing.
        cross = torch.cross(axis, rotated, dim=-1)
        sin, cos = cross.norm(dim=-1), (axis * rotated).sum(-1)
        swing = geometry.aa_to_rotmat(cross / sin[:, None] * torch.atan2(sin, cos)[:, None])
        twist = swing.transpose(1, 2) @ R
        perpendicular = torch.linalg.cross(axis, torch.tensor([[0.3, 0.5, 0.8]]).expand_as(axis))
        perpendicular = perpendicular / perpendicular.norm(dim=-1, keepdim=True)
        turned = torch.einsum("bij,bj->bi", twist, perpendicular)
        c = (perpendicular * turned).sum(-1)
        s = (torch.cross(perpendicular, turned, dim=-1) * axis).sum(-1)
        phis.append(torch.stack([c, s], -1))
    return torch.stack(phis, 1)


def synthetic_hybrik_scene(body_model, image_hw=(480, 640)) -> dict:
    """A posed body seen by a camera, and the HybrIK head output that describes it exactly."""
    torch.manual_seed(1)
    betas = torch.randn(1, 10) * 0.3
    rotmats = geometry.aa_to_rotmat(torch.randn(1, 24, 3) * 0.3)
    rotmats[:, 0] = geometry.aa_to_rotmat(torch.tensor([[np.pi, 0.2, 0.0]]))  # upright for y-down cameras
    skeleton = posed_skeleton(body_model, rotmats, betas)
    pelvis = torch.tensor([[0.2, 0.1, 4.0]])
    camera_joints = skeleton - skeleton[:, :1] + pelvis[:, None]
    K = geometry.image_intrinsics(image_hw)
    pixels = geometry.project(camera_joints, K)
    lo, hi = pixels[0].min(0).values.numpy(), pixels[0].max(0).values.numpy()
    box = np.array([[*lo, *hi]], np.float32)
    crops = crop_people(np.zeros((*image_hw, 3), np.uint8), box, HYBRIK_INPUT)
    crop_px = geometry.transform_points_2d(pixels, torch.as_tensor(crops.trans[0], dtype=torch.float32))
    uvd = torch.cat([crop_px / 256 - 0.5, (camera_joints[..., 2:] - pelvis[:, None, 2:]) / 2.0], -1)
    phis = twists_from_rotations(body_model, rotmats, betas)
    head = HybrIKHeadOutput(uvd=uvd, betas=betas, phis=phis)
    return dict(head=head, rotmats=rotmats, camera_joints=camera_joints, pelvis=pelvis, K=K, box=box, crops=crops)
