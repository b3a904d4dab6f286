"""HMR's iterative regressor (mmhuman3d `HMRHead`), shared by HMR and SPIN-GTA.

Pooled features are concatenated with the current [pose 6D (144), betas (10), cam (3)] estimate and
two linear layers (no activation; dropout only in training) predict an update; three iterations
start from the mean parameters stored in the checkpoint (`init_pose`, `init_shape`, `init_cam`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.geometry import rot6d_to_rotmat

NUM_SMPL_JOINTS = 24
POSE_6D_DIM = NUM_SMPL_JOINTS * 6
NUM_BETAS = 10
CAM_DIM = 3
HIDDEN_DIM = 1024
NUM_ITERATIONS = 3


@dataclass
class HMRHeadOutput:
    rotmats: torch.Tensor  # (B, 24, 3, 3) local rotations, index 0 = global orientation
    betas: torch.Tensor  # (B, 10)
    cam_weak: torch.Tensor  # (B, 3) (s, tx, ty) crop camera
    pose_6d: torch.Tensor  # (B, 144)


class HMRHead(nn.Module):
    def __init__(self, feat_dim: int = 2048):
        super().__init__()
        self.fc1 = nn.Linear(feat_dim + POSE_6D_DIM + NUM_BETAS + CAM_DIM, HIDDEN_DIM)
        self.drop1 = nn.Dropout()
        self.fc2 = nn.Linear(HIDDEN_DIM, HIDDEN_DIM)
        self.drop2 = nn.Dropout()
        self.decpose = nn.Linear(HIDDEN_DIM, POSE_6D_DIM)
        self.decshape = nn.Linear(HIDDEN_DIM, NUM_BETAS)
        self.deccam = nn.Linear(HIDDEN_DIM, CAM_DIM)
        # Mean parameters; the checkpoint's values replace these (SPIN's smpl_mean_params.npz).
        self.register_buffer("init_pose", torch.zeros(1, POSE_6D_DIM))
        self.register_buffer("init_shape", torch.zeros(1, NUM_BETAS))
        self.register_buffer("init_cam", torch.tensor([[1.0, 0.0, 0.0]]))

    def init_weights(self, mean_params: dict[str, np.ndarray]) -> None:
        """A fresh head as mmhuman3d's `HMRHead.__init__` makes it (models/heads/hmr_head.py).

        mean_params: SPIN's smpl_mean_params.npz ('pose' (144,), 'shape' (10,), 'cam' (3,)) → the three
        buffers; Xavier-uniform with gain 0.01 on the decpose / decshape / deccam weights. Their biases and
        fc1 / fc2 keep PyTorch's default Linear initialisation, as there.
        """
        with torch.no_grad():
            for name, key in (("init_pose", "pose"), ("init_shape", "shape"), ("init_cam", "cam")):
                buffer = getattr(self, name)
                buffer.copy_(torch.as_tensor(np.asarray(mean_params[key], np.float32)).reshape(buffer.shape))
        for layer in (self.decpose, self.decshape, self.deccam):
            nn.init.xavier_uniform_(layer.weight, gain=0.01)

    def forward(self, features: torch.Tensor) -> HMRHeadOutput:
        """features (B, C, H, W) from the backbone → SMPL rotations, betas and crop camera."""
        x = features.mean(dim=-1).mean(dim=-1)  # (B, C): W first, then H, as mmhuman3d
        batch = x.shape[0]
        pose = self.init_pose.expand(batch, -1)
        shape = self.init_shape.expand(batch, -1)
        cam = self.init_cam.expand(batch, -1)
        for _ in range(NUM_ITERATIONS):
            xc = torch.cat([x, pose, shape, cam], 1)
            xc = self.drop2(self.fc2(self.drop1(self.fc1(xc))))
            pose = self.decpose(xc) + pose
            shape = self.decshape(xc) + shape
            cam = self.deccam(xc) + cam
        rotmats = rot6d_to_rotmat(pose.reshape(batch, NUM_SMPL_JOINTS, 6))  # (B, 24, 3, 3)
        return HMRHeadOutput(rotmats=rotmats, betas=shape, cam_weak=cam, pose_6d=pose)
