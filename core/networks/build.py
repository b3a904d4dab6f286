"""The one model builder, for inference and training alike.

    network = build_network("hybrik")                 # backbone + head: what training optimises
    model = build_model("hybrik", body_model)         # the same network with the body model: what inference runs
    model = load_model("runs/hmr/epoch_10.pth")       # rebuilt from a checkpoint alone

A network's state_dict keys are mmhuman3d's (`backbone.*`, `head.*`), so official checkpoints, checkpoints
written by train/ and the models here are interchangeable. The depth and head follow the method table
(core.methods); a training run may choose another backbone depth (its config's model.backbone_depth), which
its checkpoints record in meta['config'].
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from core.methods import network_method
from core.networks.backbone import build_backbone
from core.networks.checkpoint import looks_like, read_checkpoint
from core.networks.hmr_head import HMRHead
from core.networks.hybrik_head import HybrIKHead


class Network(nn.Module):
    """A method's backbone and head: images (B, 3, S, S) → HMRHeadOutput or HybrIKHeadOutput."""

    def __init__(self, method: str, backbone_depth: int | None = None):
        super().__init__()
        row = network_method(method)
        self.backbone = build_backbone(backbone_depth or row.backbone_depth)
        if row.family == "hybrik":
            self.head = HybrIKHead(feature_channels=self.backbone.out_channels)
        else:
            self.head = HMRHead(feat_dim=self.backbone.out_channels)

    def forward(self, images: torch.Tensor):
        return self.head(self.backbone(images))


def build_network(method: str, backbone_depth: int | None = None) -> Network:
    """An untrained network of `method` ('hmr', 'hybrik', 'spin_gta')."""
    return Network(method, backbone_depth)


def build_model(method: str, body_model, backbone_depth: int | None = None):
    """An untrained method model (core.pipeline.estimate: HMR, SPIN_GTA or HybrIK) posing `body_model`."""
    from core.pipeline.estimate import MODELS  # the method models are networks plus the body model

    return MODELS[network_method(method).id](body_model, backbone_depth)


def load_model(
    checkpoint: str | Path,
    method: str | None = None,
    body_model=None,
    device: str | torch.device = "cpu",
    verify: bool = True,
):
    """The method model of a checkpoint, loaded strictly, on `device`, in eval mode.

    verify: a file under a published name must have that name's sha256 prefix (core.networks.checkpoint); False
    only for a file the user loads explicitly as their own (core.checkpoints).

    Without `method`, the checkpoint says which it is: meta['method'] (saved by train/), else its keys
    (core.networks.checkpoint.looks_like). Without `body_model`, the body model of its run config
    (meta['config']['body_model']; older runs kept it under ['model']), else 'auto' (the user's SMPL, else the open
    model).
    """
    state_dict, meta = read_checkpoint(checkpoint, verify)
    method = method or meta.get("method") or looks_like(state_dict)
    if method is None:
        raise ValueError(f"{checkpoint}: cannot tell which method this checkpoint belongs to; pass method=")
    run_config = meta.get("config", {})
    run_model = run_config.get("model", {})
    if body_model is None:
        from core.body_models.load import load_body_model

        body_model = load_body_model(run_config.get("body_model") or run_model.get("body_model", "auto"))
    model = build_model(method, body_model, run_model.get("backbone_depth"))
    model.load_weights(state_dict, meta, source=str(checkpoint))
    return model.to(device).eval()
