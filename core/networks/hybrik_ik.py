"""HybrIK's analytical inverse kinematics (mmhuman3d `batch_inverse_kinematics_transform`).

Given a 29-joint skeleton (SMPL's 24 + head top, middle fingertips, big toes), the rest skeleton of
the body model and one twist angle per bone, it returns SMPL's 24 local rotations:
- pelvis: rotation aligning its three children [spine1, left_hip, right_hip] by SVD (eval) — without
  the reflection fix, as mmhuman3d — or swing towards spine1 + twist about it (training);
- every other non-leaf joint i, in index order: the swing taking its rest child bone onto the target
  bone, then the twist φ about the rest bone. Eval mode is "adaptive": when the target child position
  (from the rotations solved so far) is more than 15 mm from the predicted bone direction at rest
  length, the latter is used. Spine3 has three children but is aimed at the neck only (as HybrIK).
  A joint needs only its ancestors, so all joints at one depth of the tree are solved at once, for the
  whole batch (8 steps instead of 23; the same arithmetic as joint by joint).

Works with any `BodyModel` with a 'hybrik_leaf_5' regressor (SMPL or the open model).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.body_models.base import BodyModel, BodyModelOutput
from core.geometry import aa_to_rotmat_exact

HYBRIK_JOINT_NAMES = (
    "pelvis",
    "left_hip",
    "right_hip",
    "spine1",
    "left_knee",
    "right_knee",
    "spine2",
    "left_ankle",
    "right_ankle",
    "spine3",
    "left_foot",
    "right_foot",
    "neck",
    "left_collar",
    "right_collar",
    "jaw",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_thumb",
    "right_thumb",
    "head",
    "left_middle",
    "right_middle",
    "left_bigtoe",
    "right_bigtoe",
)
HYBRIK_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21, 15, 22, 23, 10, 11)
# First child in index order; leaves -1; pelvis → spine1; spine3 → neck (its three-children branch is unused).
HYBRIK_CHILDREN = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    27,
    28,
    15,
    16,
    17,
    24,
    18,
    19,
    20,
    21,
    22,
    23,
    25,
    26,
    -1,
    -1,
    -1,
    -1,
    -1,
)
LEAF_REGRESSOR = "hybrik_leaf_5"
NUM_SMPL_JOINTS = 24
ADAPTIVE_THRESHOLD_M = 15 / 1000
EPS = 1e-8


@dataclass
class HybrIKPose:
    rotmats: torch.Tensor  # (B, 24, 3, 3) local rotations
    output: BodyModelOutput  # posed mesh; the pelvis sits at the rest pelvis rest_joints[:, 0]
    rest_joints: torch.Tensor  # (B, 29, 3) shaped rest skeleton


def rest_skeleton(body_model: BodyModel, betas: torch.Tensor) -> torch.Tensor:
    """betas (B, 10) → rest skeleton (B, 29, 3): 24 regressed joints + 5 leaf vertices of the shaped mesh."""
    v_shaped, rest_joints = body_model.shape(betas)
    leaves = body_model.regress(v_shaped, LEAF_REGRESSOR)
    return torch.cat([rest_joints, leaves], dim=1)


def solve_pose(
    body_model: BodyModel,
    skeleton: torch.Tensor,
    betas: torch.Tensor,
    phis: torch.Tensor,
    train: bool = False,
    rest: torch.Tensor | None = None,
) -> HybrIKPose:
    """skeleton (B, 29, 3) metres, betas (B, 10), phis (B, 23, 2) → rotations and the posed mesh.

    The mesh goes through `body_model.forward` (pose blend shapes where the model has them). rest: betas' rest
    skeleton (B, 29, 3) when the caller has it (`rest_skeleton`).
    """
    rest = rest_skeleton(body_model, betas) if rest is None else rest
    rotmats = inverse_kinematics(skeleton, phis, rest, train=train)
    output = body_model(betas, rotmats[:, :1], rotmats[:, 1:])
    return HybrIKPose(rotmats=rotmats, output=output, rest_joints=rest)


def inverse_kinematics(
    skeleton: torch.Tensor,
    phis: torch.Tensor,
    rest_joints: torch.Tensor,
    train: bool = False,
    reflection_fix: bool = False,
    naive: bool = False,
) -> torch.Tensor:
    """skeleton (B, 29, 3), phis (B, 23, 2) (normalised here), rest_joints (B, 29, 3) → (B, 24, 3, 3).

    naive (training mode only): mmhuman3d 0.11.0's training branch ("# Naive Hybrik" in
    models/utils/inverse_kinematics.py: batch_inverse_kinematics_transform): joint i is swung from its own rest
    bone (parent → i) onto its own predicted bone, and twisted about that rest bone, instead of being aimed at its
    child. It does not invert forward kinematics, but the published HybrIK was trained with it.
    """
    parents = torch.tensor(HYBRIK_PARENTS, device=skeleton.device)
    rel_rest = rest_joints.clone()
    rel_rest[:, 1:] -= rest_joints[:, parents[1:]].clone()
    rel_rest = rel_rest.unsqueeze(-1)  # (B, 29, 3, 1) bones at rest
    rel_pred = skeleton.clone().unsqueeze(-1).detach()
    rel_pred[:, 1:] = rel_pred[:, 1:] - rel_pred[:, parents[1:]].clone()
    rel_pred[:, 0] = rel_rest[:, 0]
    target = skeleton.clone().unsqueeze(-1)
    target = target - target[:, 0:1] + rel_rest[:, 0:1]  # predicted skeleton moved to the rest pelvis
    phis = phis / (torch.norm(phis, dim=2, keepdim=True) + EPS)

    if train:
        root = _pelvis_swing_twist(rel_pred.clone(), rel_rest.clone())
    else:
        root = _pelvis_svd(rel_pred.clone(), rel_rest.clone(), reflection_fix)
    # Joints solved so far, in solving order: global rotations and FK positions from the rotations solved so far.
    chain, posed_rest, local = root[:, None], rel_rest[:, :1], [root[:, None]]
    for level in _SOLVING_LEVELS:
        joints, children, joint_parents, parent_slots = (index.to(skeleton.device) for index in level)
        parent_chain = chain[:, parent_slots]  # (B, n, 3, 3)
        posed = posed_rest[:, parent_slots] + torch.matmul(parent_chain, rel_rest[:, joints])
        if train and naive:
            bone, child_target = rel_rest[:, joints], target[:, joints] - target[:, joint_parents]  # its own bone
        else:
            bone, child_target = rel_rest[:, children], target[:, children] - posed  # (B, n, 3, 1)
        if not train:
            child_target = _adaptive_target(child_target, rel_pred[:, children], rel_rest[:, children])
        child_target = torch.matmul(parent_chain.transpose(-1, -2), child_target)
        rot = torch.matmul(_swing(_flat(bone), _flat(child_target)), _twist(_flat(bone), _flat(phis[:, joints - 1])))
        rot = rot.reshape(parent_chain.shape)
        chain = torch.cat([chain, torch.matmul(parent_chain, rot)], dim=1)
        posed_rest = torch.cat([posed_rest, posed], dim=1)
        local.append(rot)
    return torch.cat(local, dim=1)[:, _JOINT_SLOTS.to(skeleton.device)]


def _solving_levels() -> tuple[list[tuple[torch.Tensor, ...]], torch.Tensor]:
    """The joints with a child, grouped by depth in the tree (each depth solved at once, after its parents):
    per depth (joints, their children, their parents, their parents' slots in solving order), and each joint's
    slot in solving order (the pelvis first)."""
    depth, by_depth = {0: 0}, {}
    for i in range(1, len(HYBRIK_PARENTS)):
        depth[i] = depth[HYBRIK_PARENTS[i]] + 1
        if HYBRIK_CHILDREN[i] != -1:
            by_depth.setdefault(depth[i], []).append(i)
    order = [0] + [i for d in sorted(by_depth) for i in by_depth[d]]
    slot = {joint: index for index, joint in enumerate(order)}
    levels = []
    for d in sorted(by_depth):
        joints = by_depth[d]
        parents = [HYBRIK_PARENTS[i] for i in joints]
        columns = (joints, [HYBRIK_CHILDREN[i] for i in joints], parents, [slot[p] for p in parents])
        levels.append(tuple(torch.tensor(column) for column in columns))
    return levels, torch.tensor([slot[joint] for joint in range(len(order))])


_SOLVING_LEVELS, _JOINT_SLOTS = _solving_levels()


def _flat(tensor: torch.Tensor) -> torch.Tensor:
    """(B, n, …) → (B·n, …)."""
    return tensor.reshape(-1, *tensor.shape[2:])


def _adaptive_target(child_target, pred_bone, rest_bone):
    """Use the predicted bone direction at rest length where the FK target is > 15 mm away from it.
    Bones (..., 3, 1)."""
    rest_length = torch.norm(rest_bone, dim=-2, keepdim=True)
    direction = pred_bone * rest_length / torch.norm(pred_bone, dim=-2, keepdim=True)
    diff = torch.norm(child_target - direction, dim=-2, keepdim=True)
    return torch.where(diff > ADAPTIVE_THRESHOLD_M, direction, child_target)


def _skew(axis: torch.Tensor) -> torch.Tensor:
    """Unit axes (B, 3, 1) → cross-product matrices (B, 3, 3)."""
    rx, ry, rz = torch.split(axis, 1, dim=1)
    zeros = torch.zeros_like(rx)
    return torch.cat([zeros, -rz, ry, rz, zeros, -rx, -ry, rx, zeros], dim=1).view(axis.shape[0], 3, 3)


def _rodrigues(axis, cos, sin):
    """Rotation about unit axes (B, 3, 1) with cos, sin (B, 1, 1): I + sin·K + (1 − cos)·K²."""
    K = _skew(axis)
    ident = torch.eye(3, dtype=axis.dtype, device=axis.device).unsqueeze(dim=0)
    return ident + sin * K + (1 - cos) * torch.bmm(K, K)


def _swing(rest_bone: torch.Tensor, target_bone: torch.Tensor) -> torch.Tensor:
    """Rotation (B, 3, 3) taking rest_bone (B, 3, 1) onto the direction of target_bone (B, 3, 1)."""
    rest_norm = torch.norm(rest_bone, dim=1, keepdim=True)
    target_norm = torch.norm(target_bone, dim=1, keepdim=True)
    axis = torch.cross(rest_bone, target_bone, dim=1)
    axis_norm = torch.norm(axis, dim=1, keepdim=True)
    cos = torch.sum(rest_bone * target_bone, dim=1, keepdim=True) / (rest_norm * target_norm + EPS)
    sin = axis_norm / (rest_norm * target_norm + EPS)
    return _rodrigues(axis / (axis_norm + EPS), cos, sin)


def _twist(rest_bone: torch.Tensor, phi: torch.Tensor) -> torch.Tensor:
    """Rotation (B, 3, 3) by φ = (cos, sin) (B, 2) about the rest bone (B, 3, 1)."""
    axis = rest_bone / torch.norm(rest_bone, dim=1, keepdim=True)
    cos, sin = torch.split(phi, 1, dim=1)
    return _rodrigues(axis, cos.unsqueeze(2), sin.unsqueeze(2))


def _pelvis_children() -> list[int]:
    children = [HYBRIK_CHILDREN[0]]
    children += [i for i in range(1, len(HYBRIK_PARENTS)) if HYBRIK_PARENTS[i] == 0 and i not in children]
    return children  # [3, 1, 2]


def _pelvis_svd(rel_pred: torch.Tensor, rel_rest: torch.Tensor, reflection_fix: bool = False) -> torch.Tensor:
    """Root rotation V·Uᵀ from the SVD of Σ rest_bone·pred_boneᵀ over the pelvis's children.

    mmhuman3d applies no reflection fix (reproduced by default): with nearly coplanar target bones the
    result can be a reflection. `reflection_fix` flips the last singular direction to keep det = +1.
    """
    children = _pelvis_children()
    rest_mat = torch.cat([rel_rest[:, c].clone() for c in children], dim=2)  # (B, 3, 3)
    target_mat = torch.cat([rel_pred[:, c].clone() for c in children], dim=2)
    S = rest_mat.bmm(target_mat.transpose(1, 2))
    nonzero = S.sum(dim=(1, 2)) != 0
    U, _, Vh = torch.linalg.svd(S[nonzero].reshape(-1, 3, 3))
    rot = torch.zeros_like(S)
    rot[~nonzero] = torch.eye(3, dtype=S.dtype, device=S.device)
    if reflection_fix:
        sign = torch.sign(torch.linalg.det(torch.bmm(Vh.transpose(1, 2), U.transpose(1, 2))))
        Vh = torch.cat([Vh[:, :2], Vh[:, 2:] * sign[:, None, None]], dim=1)
    rot[nonzero] = torch.bmm(Vh.transpose(1, 2), U.transpose(1, 2))
    return rot


def _pelvis_swing_twist(rel_pred: torch.Tensor, rel_rest: torch.Tensor) -> torch.Tensor:
    """Training-mode root: swing the spine onto its target, then turn about it to align the hips' centre."""
    children = _pelvis_children()
    spine, hips = children[0], children[1:]
    spine_target, spine_rest = rel_pred[:, spine], rel_rest[:, spine]
    target_norm = torch.norm(spine_target, dim=1, keepdim=True)
    rest_norm = torch.norm(spine_rest, dim=1, keepdim=True)
    spine_dir = spine_target / (target_norm + EPS)
    axis = torch.cross(spine_rest, spine_target, dim=1)
    axis = axis / (torch.norm(axis, dim=1, keepdim=True) + EPS)
    angle = torch.arccos(torch.sum(spine_rest * spine_target, dim=1, keepdim=True) / (rest_norm * target_norm + EPS))
    rot_spine = aa_to_rotmat_exact((angle * axis)[..., 0])  # (B, 3, 3), as batch_get_pelvis_orient

    center_target = sum(rel_pred[:, c] for c in hips) / len(hips)
    center_rest = torch.matmul(rot_spine, sum(rel_rest[:, c] for c in hips) / len(hips))
    center_target = center_target - torch.sum(center_target * spine_dir, dim=1, keepdim=True) * spine_dir
    center_rest = center_rest - torch.sum(center_rest * spine_dir, dim=1, keepdim=True) * spine_dir
    return torch.matmul(_swing(center_rest, center_target), rot_spine)


def inverse_kinematics_from_skeleton(
    body_model: BodyModel,
    skeleton: np.ndarray,
    phis: np.ndarray | None = None,
    betas: np.ndarray | None = None,
    reflection_fix: bool = False,
) -> np.ndarray:
    """One person: skeleton (29, 3) metres → local rotations (24, 3, 3); twists default to 0 (φ = (1, 0))."""
    dtype = body_model.v_template.dtype
    device = body_model.v_template.device
    to_tensor = lambda a: torch.as_tensor(np.asarray(a, np.float32), dtype=dtype, device=device)[None]  # noqa: E731
    phis = np.tile([1.0, 0.0], (23, 1)) if phis is None else phis
    betas = np.zeros(10) if betas is None else betas
    with torch.no_grad():
        rest = rest_skeleton(body_model, to_tensor(betas))
        rotmats = inverse_kinematics(to_tensor(skeleton), to_tensor(phis), rest, reflection_fix=reflection_fix)
    return rotmats[0].cpu().numpy()
