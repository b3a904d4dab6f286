"""mmhuman3d's SMPLDiscriminator (HMR's adversarial prior), with the official checkpoint's key names.

Under the model's `disc.` prefix the keys are (mmhuman3d/models/discriminators/pose_discriminator.py:
SMPLDiscriminator, ShapeDiscriminator, PoseDiscriminator, FullPoseDiscriminator):
    pose_discriminator.conv_blocks.conv_{0,1}.{weight,bias}      1×1 convs 9 → 32 → 32, shared by the 23 joints
    pose_discriminator.fc_layer.{0..22}.{weight,bias}            one 32 → 1 linear per joint
    full_pose_discriminator.fc_blocks.regressor_fc_{0,1,2}.*     736 → 1024 → 1024 → 1, ReLU between
    shape_discriminator.fc_blocks.regressor_fc_{0,1}.*           10 → 5 → 1, ReLU between

As in mmhuman3d (mmhuman3d/models/discriminators/pose_discriminator.py) the two per-joint convs have no
activation between them, and the global orientation is not judged.
"""

from __future__ import annotations

import torch
from torch import nn

NUM_BODY_JOINTS = 23


class PoseDiscriminator(nn.Module):
    """Per-joint scores from each joint's flattened rotation matrix."""

    def __init__(self, channels=(9, 32, 32, 1), num_joints: int = NUM_BODY_JOINTS):
        super().__init__()
        self.conv_blocks = nn.Sequential()
        for i in range(len(channels) - 2):
            self.conv_blocks.add_module(f"conv_{i}", nn.Conv2d(channels[i], channels[i + 1], kernel_size=1))
        self.fc_layer = nn.ModuleList([nn.Linear(channels[-2], 1) for _ in range(num_joints)])

    def forward(self, rotmats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """rotmats (B, 23, 9) → scores (B, 23) and internal features (B, 32, 1, 23)."""
        features = self.conv_blocks(rotmats.transpose(1, 2).unsqueeze(2))  # (B, 32, 1, 23)
        scores = [fc(features[:, :, 0, j]) for j, fc in enumerate(self.fc_layer)]
        return torch.cat(scores, 1), features


class MLPDiscriminator(nn.Module):
    """Linear layers named regressor_fc_i with ReLU (regressor_af_i) between them, none after the last."""

    def __init__(self, channels: tuple[int, ...]):
        super().__init__()
        self.fc_blocks = nn.Sequential()
        for i in range(len(channels) - 1):
            self.fc_blocks.add_module(f"regressor_fc_{i}", nn.Linear(channels[i], channels[i + 1]))
            if i < len(channels) - 2:
                self.fc_blocks.add_module(f"regressor_af_{i}", nn.ReLU())

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.fc_blocks(inputs)


class SMPLDiscriminator(nn.Module):
    """Scores a body (24 rotation matrices + 10 betas) as real mocap or predicted: (B, 23 + 1 + 1) logits."""

    def __init__(
        self,
        beta_channel=(10, 5, 1),
        per_joint_channel=(9, 32, 32, 1),
        full_pose_channel=(NUM_BODY_JOINTS * 32, 1024, 1024, 1),
    ):
        super().__init__()
        assert full_pose_channel[0] == NUM_BODY_JOINTS * per_joint_channel[-2], "full pose input = 23 × joint features"
        self.pose_discriminator = PoseDiscriminator(per_joint_channel, NUM_BODY_JOINTS)
        self.full_pose_discriminator = MLPDiscriminator(full_pose_channel)
        self.shape_discriminator = MLPDiscriminator(beta_channel)

    def init_weights(self) -> None:
        """As mmhuman3d's `SMPLDiscriminator.init_weights` ends up doing (discriminators/pose_discriminator.py):
        the per-joint 1×1 convs get normal weights (std 0.001) and zero biases. Its Linear layers are meant to
        get Xavier (gain 0.01), but the loops iterate over `named_modules()` tuples, which are never
        `nn.Linear`, so they keep PyTorch's default initialisation; reproduced."""
        for conv in self.pose_discriminator.conv_blocks:
            nn.init.normal_(conv.weight, std=0.001)
            nn.init.constant_(conv.bias, 0)

    def forward(self, rotmats: torch.Tensor, betas: torch.Tensor) -> torch.Tensor:
        """rotmats (B, 24, 3, 3) with index 0 the global orientation (ignored); betas (B, 10) → (B, 25)."""
        batch = rotmats.shape[0]
        body = rotmats.reshape(batch, 24, 9)[:, 1:]  # (B, 23, 9)
        pose_scores, features = self.pose_discriminator(body)
        full_pose_score = self.full_pose_discriminator(features.reshape(batch, -1))  # channel-major, as mmhuman3d
        shape_score = self.shape_discriminator(betas)
        return torch.cat([pose_scores, full_pose_score, shape_score], 1)
