"""HybrIK's head (mmhuman3d `HybrIKHead`): 3D heatmaps for 29 joints, shape and twist.

Spatial path: three ConvTranspose(4, stride 2) + BN + ReLU take the (B, 512, 8, 8) map to 64×64,
a 1×1 conv gives 29·64 channels (channel = joint·64 + depth bin), a softmax over each joint's whole
64³ volume and its expectation give normalised (u, v, d) in [-0.5, 0.5). Global path: average pool →
fc1 → fc2 (no activation) → betas (+ mean shape) and 23 unnormalised (cos φ, sin φ) twists.
`uvd_to_camera` back-projects (u, v, d) to the camera with the crop's inverse affine, K⁻¹ and a root.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

NUM_JOINTS_29 = 29
NUM_TWISTS = 23
NUM_BETAS = 10
HEATMAP_SIZE = 64  # depth = height = width bins
DECONV_DIM = 256
HIDDEN_DIM = 1024
# The heatmap is 1/4 of the 256-pixel crop.
HEATMAP_STRIDE = 4
# uvd_to_camera gives joints in units of the depth_factor (2 m for 3DPW; h36m's 2000 mm is the same 2 m), and
# mmhuman3d multiplies them by 2 before the IK: metres.
SKELETON_TO_METRES = 2.0


@dataclass
class HybrIKHeadOutput:
    uvd: torch.Tensor  # (B, 29, 3) normalised crop coordinates in [-0.5, 0.5)
    betas: torch.Tensor  # (B, 10)
    phis: torch.Tensor  # (B, 23, 2) unnormalised (cos, sin) twist per SMPL joint 1..23


class HybrIKHead(nn.Module):
    def __init__(self, feature_channels: int = 512):
        super().__init__()
        layers, in_channels = [], feature_channels
        for _ in range(3):
            layers += [
                nn.ConvTranspose2d(in_channels, DECONV_DIM, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(DECONV_DIM),
                nn.ReLU(inplace=True),
            ]
            in_channels = DECONV_DIM
        self.deconv_layers = nn.Sequential(*layers)
        self.final_layer = nn.Conv2d(DECONV_DIM, NUM_JOINTS_29 * HEATMAP_SIZE, 1)
        # Mean shape; the checkpoint's value (h36m_mean_beta.npy) replaces it.
        self.register_buffer("init_shape", torch.zeros(NUM_BETAS))
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(feature_channels, HIDDEN_DIM)
        self.drop1 = nn.Dropout(p=0.5)
        self.fc2 = nn.Linear(HIDDEN_DIM, HIDDEN_DIM)
        self.drop2 = nn.Dropout(p=0.5)
        self.decshape = nn.Linear(HIDDEN_DIM, NUM_BETAS)
        self.decphi = nn.Linear(HIDDEN_DIM, NUM_TWISTS * 2)

    def init_weights(self, mean_beta: np.ndarray) -> None:
        """A fresh head as mmhuman3d's `HybrIKHead.__init__` + `_initialize()` make it
        (models/heads/hybrik_head.py; HybrIK_trainer calls `_initialize`).

        mean_beta: h36m_mean_beta.npy (10,) → `init_shape`. The three deconvolutions and the final 1×1 conv
        get normal weights with std 0.001, the final bias 0; BatchNorm weight 1, bias 0; fc1, fc2, decshape
        and decphi keep PyTorch's default Linear initialisation.
        """
        with torch.no_grad():
            self.init_shape.copy_(torch.as_tensor(np.asarray(mean_beta, np.float32)).reshape(NUM_BETAS))
        for layer in self.deconv_layers:
            if isinstance(layer, nn.ConvTranspose2d):
                nn.init.normal_(layer.weight, std=0.001)
            elif isinstance(layer, nn.BatchNorm2d):
                nn.init.constant_(layer.weight, 1)
                nn.init.constant_(layer.bias, 0)
        nn.init.normal_(self.final_layer.weight, std=0.001)
        nn.init.constant_(self.final_layer.bias, 0)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # `init_shape` follows the shape of the .npy it was read from: (10,) or (1, 10).
        key = prefix + "init_shape"
        if key in state_dict and state_dict[key].shape == (1, NUM_BETAS):
            state_dict[key] = state_dict[key].reshape(NUM_BETAS)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, features: torch.Tensor) -> HybrIKHeadOutput:
        """features (B, 512, 8, 8) → uvd joints, betas and twists."""
        batch = features.shape[0]
        heatmaps = self.final_layer(self.deconv_layers(features))  # (B, 29·64, 64, 64)
        uvd = soft_argmax_3d(heatmaps.reshape(batch, NUM_JOINTS_29, -1))
        pooled = self.avg_pool(features).view(batch, -1)
        hidden = self.drop2(self.fc2(self.drop1(self.fc1(pooled))))
        betas = self.decshape(hidden) + self.init_shape.expand(batch, -1)
        phis = self.decphi(hidden).reshape(batch, NUM_TWISTS, 2)
        return HybrIKHeadOutput(uvd=uvd, betas=betas, phis=phis)


def soft_argmax_3d(logits: torch.Tensor, size: int = HEATMAP_SIZE) -> torch.Tensor:
    """Integral regression: logits (B, J, D·H·W) ordered (depth, row, column) → (B, J, 3) (u, v, d) in [-0.5, 0.5).

    Softmax over each joint's whole volume, marginals per axis, expected bin index / size − 0.5.
    """
    batch, joints = logits.shape[:2]
    probs = F.softmax(logits, 2)
    probs = probs / probs.sum(dim=2, keepdim=True)  # kept: mmhuman3d renormalises (changes ulps)
    volume = probs.reshape(batch, joints, size, size, size)  # (B, J, D, H, W)
    bins = torch.arange(size, dtype=probs.dtype, device=probs.device)
    coord_x = (volume.sum((2, 3)) * bins).sum(dim=2, keepdim=True)
    coord_y = (volume.sum((2, 4)) * bins).sum(dim=2, keepdim=True)
    coord_z = (volume.sum((3, 4)) * bins).sum(dim=2, keepdim=True)
    return torch.cat((coord_x / float(size) - 0.5, coord_y / float(size) - 0.5, coord_z / float(size) - 0.5), dim=2)


def uvd_to_camera(
    uvd: torch.Tensor,
    trans_inv: torch.Tensor,
    K_inv: torch.Tensor,
    joint_root: torch.Tensor,
    depth_factor: torch.Tensor,
) -> torch.Tensor:
    """mmhuman3d `uvd_to_cam`: (B, J, 3) normalised uvd → root-relative camera points in depth_factor units.

    trans_inv (B, 2, 3) crop pixels → image pixels; K_inv (B, 3, 3); joint_root (B, 3) metres (only
    its z sets the depth; x, y cancel once re-centred); depth_factor (B, 1), metres per unit of d
    (2.0 for 3DPW). A float64 depth_factor promotes the result to float64, as in mmhuman3d's test path.
    """
    scaled = uvd.clone()
    scaled[:, :, 0] = (uvd[:, :, 0] + 0.5) * HEATMAP_SIZE * HEATMAP_STRIDE
    scaled[:, :, 1] = (uvd[:, :, 1] + 0.5) * HEATMAP_SIZE * HEATMAP_STRIDE
    scaled[:, :, 2] = uvd[:, :, 2] * depth_factor
    dz = scaled[:, :, 2]
    uv_homo = torch.cat((scaled[:, :, :2], torch.ones_like(scaled)[:, :, 2:]), dim=2)
    uv_image = torch.matmul(trans_inv.unsqueeze(1), uv_homo.unsqueeze(-1))  # (B, J, 2, 1)
    rays = torch.cat((uv_image, torch.ones_like(uv_image)[:, :, :1, :]), dim=2)
    xyz = torch.matmul(K_inv.unsqueeze(1), rays).squeeze(dim=3)  # (B, J, 3)
    abs_z = dz + joint_root[:, 2].unsqueeze(-1)
    xyz = xyz * abs_z.unsqueeze(-1)
    xyz = xyz - joint_root.unsqueeze(1)
    return xyz / depth_factor.unsqueeze(-1)


def root_relative_skeleton(
    uvd: torch.Tensor,
    trans_inv: torch.Tensor,
    K_inv: torch.Tensor,
    joint_root: torch.Tensor,
    depth_factor: torch.Tensor,
) -> torch.Tensor:
    """(B, 29, 3) joints in metres relative to the pelvis, as HybrIK's IK takes them: `uvd_to_camera`,
    re-centred on joint 0, times SKELETON_TO_METRES (mmhuman3d HybrIKHead.forward: `pred_xyz_jts_29 * 2`), in
    uvd's dtype but at least float32 (mmhuman3d casts to float32; float64 uvd stays float64)."""
    xyz = uvd_to_camera(uvd, trans_inv, K_inv, joint_root, depth_factor)
    return (xyz - xyz[:, :1]).to(torch.promote_types(uvd.dtype, torch.float32)) * SKELETON_TO_METRES


def crop_uv_to_image(uvd: torch.Tensor, trans_inv: torch.Tensor) -> torch.Tensor:
    """(B, J, 3) normalised uvd → (B, J, 2) original-image pixels through the crop's inverse affine."""
    crop_px = (uvd[..., :2] + 0.5) * HEATMAP_SIZE * HEATMAP_STRIDE
    homo = torch.cat((crop_px, torch.ones_like(crop_px[..., :1])), dim=-1)
    return torch.matmul(trans_inv.unsqueeze(1), homo.unsqueeze(-1))[..., 0]
