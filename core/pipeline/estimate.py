"""The three mmhuman3d methods as plain modules, and one result type for all of them.

- `HMR` and `SPIN_GTA`: ResNet-50 + HMR's iterative regressor (same architecture, own checkpoints).
  The crop camera (s, tx, ty) gives exact 2D keypoints in the photo (`crop_intrinsics`); the mesh is
  then placed for the shared full-image camera K by the least-squares translation that reprojects
  its 24 joints onto those keypoints (`fit_translation`).
- `HybrIK`: ResNet-34 + heatmap head + analytical IK. `forward(images, trans_inv, intrinsic_inv,
  joint_root, depth_factor)` is mmhuman3d's test path (3DPW intrinsics and GT root). In the wild
  (`predict`) K comes from a field of view and the root depth is the one at which the back-projected
  skeleton has the body model's bone lengths (`root_depth_from_bone_lengths`).

With the open body model (kind 'open') the predicted pose is used with betas = 0: SMPL's shape space
does not transfer to it (`extras['betas_used'] = 'zeros (open body model)'`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from core import geometry
from core.body_models.base import BodyModel, BodyModelOutput
from core.methods import network_method
from core.networks.build import Network
from core.networks.checkpoint import check_method, load_strict, read_checkpoint
from core.networks.hmr_head import HMRHeadOutput
from core.networks.hybrik_head import HybrIKHeadOutput, crop_uv_to_image, root_relative_skeleton
from core.networks.hybrik_ik import HYBRIK_PARENTS, rest_skeleton, solve_pose
from core.pipeline import crop

H36M_REGRESSOR = "h36m_17"
HYBRIK_DEPTH_FACTOR = 2.0  # metres per unit of HybrIK's relative depth in the wild: 3DPW's depth_factor


@dataclass
class MeshPrediction:
    """One person from one method; camera-frame points = vertices + cam_t, pixels = project(·, K)."""

    method: str
    rotmats: np.ndarray  # (24, 3, 3) local rotations, index 0 = global orientation
    pose_aa: np.ndarray  # (24, 3) axis-angle, radians
    betas: np.ndarray  # (10,) betas used for the mesh (zeros with the open body model)
    vertices: np.ndarray  # (V, 3) metres, model frame
    joints: np.ndarray  # (24, 3) SMPL joints, model frame
    joints_h36m: np.ndarray | None  # (17, 3) H36M joints regressed from the mesh, model frame
    cam_t: np.ndarray  # (3,) metres
    K: np.ndarray  # (3, 3) full-image intrinsics
    keypoints_2d: np.ndarray  # (24, 2) the method's own 2D joints, original-image pixels
    box: np.ndarray  # (4,) xyxy input box
    extras: dict = field(default_factory=dict)


def _betas_for(body_model: BodyModel, betas: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(betas) if body_model.kind == "open" else betas


def _betas_note(body_model: BodyModel) -> str:
    return "zeros (open body model)" if body_model.kind == "open" else "predicted"


def _h36m(body_model: BodyModel, vertices: torch.Tensor) -> torch.Tensor | None:
    return body_model.regress(vertices, H36M_REGRESSOR) if H36M_REGRESSOR in body_model.regressor_names else None


def _numpy(tensor: torch.Tensor | None, index: int) -> np.ndarray | None:
    return None if tensor is None else tensor[index].detach().float().cpu().numpy()


class _MethodModel(Network):
    """A method's network (core.networks.build) with the body model it poses."""

    method: str = ""
    fast_network = (
        None  # core.networks.onnx.OnnxNetwork once core.networks.onnx.accelerate ran: the same network, faster on CPU
    )

    def __init__(self, body_model: BodyModel, backbone_depth: int | None = None):
        super().__init__(self.method, backbone_depth)
        self.body_model = body_model

    def load_weights(self, checkpoint: str | Path | dict, meta: dict | None = None, source: str = "state_dict") -> None:
        """Strictly load backbone.* and head.* from a checkpoint file, or from an mmcv-layout state_dict (and meta)."""
        if isinstance(checkpoint, dict):
            state_dict, meta = checkpoint, meta or {}
        else:
            (state_dict, meta), source = read_checkpoint(checkpoint), str(checkpoint)
        expected = network_method(self.method).checkpoint
        check_method(state_dict, meta, self.method, source, expected)
        load_strict({"backbone": self.backbone, "head": self.head}, state_dict, source, expected)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device


class HMR(_MethodModel):
    """ResNet-50 + HMRHead; `forward(images (B, 3, 224, 224)) -> HMRHeadOutput`."""

    method = "hmr"
    input_spec = crop.input_spec("hmr")

    def mesh(self, out: HMRHeadOutput) -> BodyModelOutput:
        """The body model posed by the predicted rotations (no translation)."""
        betas = _betas_for(self.body_model, out.betas)
        return self.body_model(betas, out.rotmats[:, :1], out.rotmats[:, 1:])

    def predict(
        self,
        image_rgb: np.ndarray,
        boxes_xyxy: np.ndarray,
        fov_deg: float = geometry.DEFAULT_FOV_DEG,
        autocast_dtype: torch.dtype | None = None,
    ) -> list[MeshPrediction]:
        """RGB uint8 photo (H, W, 3) and person boxes (N, 4) → one MeshPrediction per box."""
        crops = crop.crop_people(image_rgb, boxes_xyxy, self.input_spec)
        if len(crops.images) == 0:
            return []
        out = _run_network(self, crops.images, autocast_dtype)
        body = self.mesh(out)
        centers = torch.as_tensor(crops.centers, dtype=torch.float32, device=self.device)
        sizes = torch.as_tensor(crops.sizes, dtype=torch.float32, device=self.device)
        crop_K = geometry.crop_intrinsics(centers, sizes)  # (B, 3, 3) exact overlay of the crop camera
        crop_t = geometry.weak_cam_to_translation(out.cam_weak)
        keypoints_2d = geometry.project(body.joints + crop_t[:, None], crop_K)
        K = geometry.image_intrinsics(image_rgb.shape[:2], fov_deg).to(self.device)
        cam_t = geometry.fit_translation(body.joints, keypoints_2d, K)
        joints_h36m = _h36m(self.body_model, body.vertices)
        pose_aa = geometry.rotmat_to_aa(out.rotmats)
        return [
            MeshPrediction(
                method=self.method,
                rotmats=_numpy(out.rotmats, i),
                pose_aa=_numpy(pose_aa, i),
                betas=_numpy(_betas_for(self.body_model, out.betas), i),
                vertices=_numpy(body.vertices, i),
                joints=_numpy(body.joints, i),
                joints_h36m=_numpy(joints_h36m, i),
                cam_t=_numpy(cam_t, i),
                K=K.cpu().numpy(),
                keypoints_2d=_numpy(keypoints_2d, i),
                box=np.asarray(boxes_xyxy, np.float32)[i],
                extras={
                    "cam_weak": _numpy(out.cam_weak, i),
                    "crop_K": _numpy(crop_K, i),
                    "crop_cam_t": _numpy(crop_t, i),
                    "pred_betas": _numpy(out.betas, i),
                    "betas_used": _betas_note(self.body_model),
                },
            )
            for i in range(len(crops.images))
        ]


class SPIN_GTA(HMR):  # noqa: N801 - the method's name
    """SPIN fine-tuned on GTA-Human: HMR's architecture with its own checkpoint."""

    method = "spin_gta"
    input_spec = crop.input_spec("spin_gta")


@dataclass
class HybrIKOutput:
    head: HybrIKHeadOutput
    skeleton: torch.Tensor  # (B, 29, 3) predicted joints, metres, relative to the predicted pelvis
    rotmats: torch.Tensor  # (B, 24, 3, 3)
    betas: torch.Tensor  # (B, 10) betas used (zeros with the open model)
    vertices: torch.Tensor  # (B, V, 3) metres; the pelvis sits at the rest pelvis (not re-centred)
    joints: torch.Tensor  # (B, 24, 3) forward-kinematics joints, same frame as vertices
    joints_h36m: torch.Tensor | None  # (B, 17, 3) regressed from vertices, same frame
    rest_joints: torch.Tensor  # (B, 29, 3)


class HybrIK(_MethodModel):
    """ResNet-34 + HybrIKHead + IK; `forward` is mmhuman3d's test path with given camera and root."""

    method = "hybrik"
    input_spec = crop.input_spec("hybrik")

    def network(self, images: torch.Tensor) -> HybrIKHeadOutput:
        """images (B, 3, 256, 256) → uvd, betas, twists."""
        return Network.forward(self, images)

    def forward(
        self,
        images: torch.Tensor,
        trans_inv: torch.Tensor,
        intrinsic_inv: torch.Tensor,
        joint_root: torch.Tensor,
        depth_factor: torch.Tensor,
    ) -> HybrIKOutput:
        """trans_inv (B, 2, 3) crop → image; intrinsic_inv (B, 3, 3) = K⁻¹; joint_root (B, 3) metres;
        depth_factor (B,) or (B, 1), float64 to mirror mmhuman3d's collated python floats."""
        return self.solve(self.network(images), trans_inv, intrinsic_inv, joint_root, depth_factor)

    def solve(
        self, head: HybrIKHeadOutput, trans_inv, intrinsic_inv, joint_root, depth_factor, rest_joints=None
    ) -> HybrIKOutput:
        """Back-project the uvd joints with the camera and root, then IK and skinning (rest_joints: the rest
        skeleton of the betas used, when already computed)."""
        depth_factor = torch.as_tensor(depth_factor, device=head.uvd.device).reshape(-1, 1)
        skeleton = root_relative_skeleton(head.uvd.float(), trans_inv, intrinsic_inv, joint_root, depth_factor)
        betas = _betas_for(self.body_model, head.betas.float())
        pose = solve_pose(self.body_model, skeleton, betas, head.phis.float(), train=self.training, rest=rest_joints)
        vertices = pose.output.vertices
        return HybrIKOutput(
            head=head,
            skeleton=skeleton,
            rotmats=pose.rotmats,
            betas=betas,
            vertices=vertices,
            joints=pose.output.joints,
            joints_h36m=_h36m(self.body_model, vertices),
            rest_joints=pose.rest_joints,
        )

    def predict(
        self,
        image_rgb: np.ndarray,
        boxes_xyxy: np.ndarray,
        fov_deg: float = geometry.DEFAULT_FOV_DEG,
        autocast_dtype: torch.dtype | None = None,
    ) -> list[MeshPrediction]:
        """RGB uint8 photo (H, W, 3) and person boxes (N, 4) → one MeshPrediction per box."""
        crops = crop.crop_people(image_rgb, boxes_xyxy, self.input_spec)
        if len(crops.images) == 0:
            return []
        head = _run_network(self, crops.images, autocast_dtype, hybrik=True)
        head = HybrIKHeadOutput(uvd=head.uvd.float(), betas=head.betas.float(), phis=head.phis.float())
        K = geometry.image_intrinsics(image_rgb.shape[:2], fov_deg).to(self.device)
        trans_inv = torch.as_tensor(crops.trans_inv, dtype=torch.float32, device=self.device)
        pelvis_cam, uv_image, rest = self._root_in_the_wild(head, trans_inv, K)
        batch = len(crops.images)
        K_inv = torch.linalg.inv(K).expand(batch, 3, 3)
        depth_factor = torch.full((batch, 1), HYBRIK_DEPTH_FACTOR, dtype=torch.float32, device=self.device)
        out = self.solve(head, trans_inv, K_inv, pelvis_cam, depth_factor, rest_joints=rest)
        cam_t = pelvis_cam - out.rest_joints[:, 0]
        pose_aa = geometry.rotmat_to_aa(out.rotmats)
        return [self._prediction(out, i, cam_t, K, uv_image, pelvis_cam, boxes_xyxy, pose_aa) for i in range(batch)]

    def _root_in_the_wild(self, head: HybrIKHeadOutput, trans_inv: torch.Tensor, K: torch.Tensor):
        """Pelvis (B, 3) in the camera frame: the depth at which the skeleton has the model's bone lengths; also
        the 29 joints in image pixels (B, 29, 2) and the rest skeleton of the betas used (B, 29, 3)."""
        uv_image = crop_uv_to_image(head.uvd, trans_inv)  # (B, 29, 2)
        relative_depth = head.uvd[..., 2] * HYBRIK_DEPTH_FACTOR  # (B, 29) metres
        rays = geometry.backproject(uv_image, torch.ones_like(relative_depth), K)
        rest = rest_skeleton(self.body_model, _betas_for(self.body_model, head.betas))
        parents = torch.tensor([max(p, 0) for p in HYBRIK_PARENTS], device=rest.device)
        lengths = (rest - rest[:, parents]).norm(dim=-1)
        depth = geometry.root_depth_from_bone_lengths(rays, relative_depth, HYBRIK_PARENTS, lengths)
        pelvis = rays[:, 0] * (depth + relative_depth[:, 0])[:, None]
        return pelvis, uv_image, rest

    def _prediction(self, out: HybrIKOutput, i, cam_t, K, uv_image, pelvis_cam, boxes_xyxy, pose_aa) -> MeshPrediction:
        return MeshPrediction(
            method=self.method,
            rotmats=_numpy(out.rotmats, i),
            pose_aa=_numpy(pose_aa, i),
            betas=_numpy(out.betas, i),
            vertices=_numpy(out.vertices, i),
            joints=_numpy(out.joints, i),
            joints_h36m=_numpy(out.joints_h36m, i),
            cam_t=_numpy(cam_t, i),
            K=K.cpu().numpy(),
            keypoints_2d=_numpy(uv_image[:, :24], i),
            box=np.asarray(boxes_xyxy, np.float32)[i],
            extras={
                "uvd": _numpy(out.head.uvd, i),
                "phis": _numpy(out.head.phis, i),
                "xyz_29": _numpy(out.skeleton, i),
                "keypoints_2d_29": _numpy(uv_image, i),
                "pelvis_cam": _numpy(pelvis_cam, i),
                "pred_betas": _numpy(out.head.betas, i),
                "betas_used": _betas_note(self.body_model),
            },
        )


def _run_network(model, images: torch.Tensor, autocast_dtype: torch.dtype | None, hybrik: bool = False):
    """The backbone + head (ONNX Runtime on CPU when accelerated), optionally under CUDA autocast (IK and
    skinning stay float32)."""
    images = images.to(model.device)
    if model.fast_network is not None and not model.training and autocast_dtype is None and images.device.type == "cpu":
        return model.fast_network(images)
    run = model.network if hybrik else model.forward
    if autocast_dtype is None or images.device.type != "cuda":
        return run(images)
    with torch.autocast("cuda", dtype=autocast_dtype):
        return run(images)


MODELS = {"hmr": HMR, "spin_gta": SPIN_GTA, "hybrik": HybrIK}  # built by core.networks.build.build_model
