"""The trainable networks, assembled from core's modules so that state_dict keys are mmhuman3d's.

`Generator` holds `backbone` and `head`, so its keys are `backbone.*` and `head.*`; HMR's discriminator
is kept apart (its own optimizer and DDP wrapper) and saved under `disc.*`. `checkpoint_state_dict`
joins them into the official layout that core.networks.checkpoint loads.
"""
from __future__ import annotations

import torch
from torch import nn

from core.networks.backbone import build_backbone
from core.networks.hmr_head import HMRHead
from core.networks.hybrik_head import HybrIKHead
from train.config import TrainConfig
from train.discriminator import SMPLDiscriminator


class Generator(nn.Module):
    """backbone + head; forward(img (B, 3, H, W)) → the head's output dataclass."""

    def __init__(self, method: str, backbone_depth: int):
        super().__init__()
        self.backbone = build_backbone(backbone_depth)
        if method in ("hmr", "spin_gta"):
            self.head = HMRHead(feat_dim=self.backbone.out_channels)
        elif method == "hybrik":
            self.head = HybrIKHead(feature_channels=self.backbone.out_channels)
        else:
            raise ValueError(f"unknown method {method!r}; choose hmr, hybrik or spin_gta")

    def forward(self, img: torch.Tensor):
        return self.head(self.backbone(img))


def build_networks(config: TrainConfig) -> tuple[Generator, SMPLDiscriminator | None]:
    generator = Generator(config.method, config.model.backbone_depth)
    disc = SMPLDiscriminator() if config.model.use_discriminator else None
    return generator, disc


def checkpoint_state_dict(generator: nn.Module, disc: nn.Module | None) -> dict[str, torch.Tensor]:
    """Official key layout: backbone.*, head.* and (HMR) disc.*; tensors moved to the CPU."""
    state = {k: v.detach().cpu() for k, v in generator.state_dict().items()}
    if disc is not None:
        state.update({f"disc.{k}": v.detach().cpu() for k, v in disc.state_dict().items()})
    return state


def load_state_into(generator: nn.Module, disc: nn.Module | None, state: dict, strict: bool = True) -> None:
    """Inverse of checkpoint_state_dict; extra body-model keys (body_model_*, smpl.*) are ignored."""
    gen_state = {k: v for k, v in state.items() if k.startswith(("backbone.", "head."))}
    generator.load_state_dict(gen_state, strict=strict)
    if disc is not None:
        disc_state = {k[len("disc."):]: v for k, v in state.items() if k.startswith("disc.")}
        if disc_state or strict:
            disc.load_state_dict(disc_state, strict=strict)
