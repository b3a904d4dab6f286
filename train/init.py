"""Where a training run's weights start: mmhuman3d's fresh model, then its initial checkpoint.

1. Every module as mmhuman3d builds it (`init_weights` of the heads, backbone and discriminator): the head's
   mean parameters come from mmhuman3d's files in the body-model folder (`model.mean_params=file`).
2. Then, as the configs' `init_cfg` ask: the whole model from `model.init_checkpoint` (SPIN-GTA:
   spin_official.pth), or else the backbone from torchvision's ImageNet ResNet (`model.pretrained_backbone`:
   'imagenet', a path, or 'none' for mmhuman3d's ResNet initialisation).

Each file is loaded with a report (keys loaded / missing / unexpected / shape-mismatched) and refused when it does
not cover what it should (core.networks.checkpoint.load_initial_weights). Returns the lines to print.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.networks.checkpoint import CheckpointError, load_initial_weights, read_checkpoint, verify_published_hash
from core.settings import DataFolders
from core.weights import imagenet_backbone
from train.config import TrainConfig

# 'rest': every joint at rest, the body turned by π about x to stand upright facing the camera (y down, as SPIN's
# mean pose); 6D = the first two columns of each rotation, read row by row. HybrIK's head keeps only betas.
_IDENTITY_6D = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
_FACING_CAMERA_6D = [1.0, 0.0, 0.0, -1.0, 0.0, 0.0]  # diag(1, -1, -1)
REST_POSE_6D = np.array(_FACING_CAMERA_6D + _IDENTITY_6D * 23, np.float32)
REST_MEAN_PARAMS = {"pose": REST_POSE_6D, "shape": np.zeros(10, np.float32), "cam": np.float32([1, 0, 0])}


def initialise(generator: nn.Module, disc: nn.Module | None, config: TrainConfig, folders: DataFolders) -> list[str]:
    """Initialise `generator` (backbone + head) and `disc` in place; → the report lines."""
    lines = [init_head(generator.head, config, folders)]
    if disc is not None:
        disc.init_weights()
    model = config.model
    if model.init_checkpoint:
        lines.append(load_init_checkpoint(generator, disc, resolve(model.init_checkpoint, folders.data)))
    elif model.pretrained_backbone == "none":
        generator.backbone.init_weights()
        lines.append(
            "backbone: no pretrained weights (model.pretrained_backbone=none): mmhuman3d's ResNet "
            "initialisation (Kaiming, zeroed residual BatchNorm)"
        )
    else:
        lines.append(load_backbone(generator.backbone, backbone_file(config, folders)))
    return lines


def init_head(head: nn.Module, config: TrainConfig, folders: DataFolders) -> str:
    from core.body_models.smpl import load_h36m_mean_beta, load_smpl_mean_params

    hybrik = config.method == "hybrik"
    if config.model.mean_params == "rest":
        head.init_weights(REST_MEAN_PARAMS["shape"] if hybrik else REST_MEAN_PARAMS)
        return "head: mean parameters = rest pose, zero betas (model.mean_params=rest)"
    if hybrik:
        head.init_weights(load_h36m_mean_beta(folders.body_models))
        return f"head: mean shape from {folders.body_models / 'h36m_mean_beta.npy'}"
    head.init_weights(load_smpl_mean_params(folders.body_models))
    return f"head: mean pose, shape and camera from {folders.body_models / 'smpl_mean_params.npz'}"


def resolve(path: str, root: Path) -> Path:
    """A configured file: absolute, or relative to the data folder."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else root / path


def backbone_file(config: TrainConfig, folders: DataFolders) -> Path:
    """The ImageNet file of the backbone's depth (or the configured path); a clear error when it is missing."""
    setting = config.model.pretrained_backbone
    if setting != "imagenet":
        path = resolve(setting, folders.data)
        if not path.is_file():
            raise FileNotFoundError(
                f"model.pretrained_backbone={setting}: {path} not found. Give a torchvision-layout "
                f"ResNet file, 'imagenet', or 'none'."
            )
        return path
    name, file = imagenet_backbone(config.model.backbone_depth)
    path = file.path_in(folders.data)
    if not path.is_file():
        raise FileNotFoundError(
            f"The ImageNet ResNet-{config.model.backbone_depth} that mmhuman3d starts this backbone from is missing:\n"
            f"  {path}\nFetch it with `python -m core.weights fetch {name}` (HMRC_DATA={folders.data}), or train "
            f"from mmhuman3d's random initialisation with `--set model.pretrained_backbone=none`."
        )
    return path


def load_backbone(backbone: nn.Module, path: Path) -> str:
    """A torchvision ResNet file (its `fc.*` classifier is unexpected and ignored) into the backbone; a file under
    torchvision's name must have the sha256 prefix that name carries."""
    verify_published_hash(path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} is not a state_dict of tensors")
    if all(k.startswith("backbone.") for k in state):
        state = {k[len("backbone.") :]: v for k, v in state.items()}
    depth = "50" if any(k.endswith("conv3.weight") for k in backbone.state_dict()) else "34"
    return load_initial_weights(backbone, state, str(path), f"backbone (ResNet-{depth})").summary()


def load_init_checkpoint(generator: nn.Module, disc: nn.Module | None, path: Path) -> str:
    """A whole mmhuman3d-layout checkpoint (backbone.*, head.*, optionally disc.*) into the networks."""
    if not path.is_file():
        raise FileNotFoundError(
            f"model.init_checkpoint: {path} not found. Fetch it with `python -m core.weights "
            f"fetch {path.name}` if it is a known file, or `--set model.init_checkpoint=''` to "
            f"start from mmhuman3d's fresh model instead."
        )
    state, _ = read_checkpoint(path)
    lines = [load_initial_weights(generator, state, str(path), "backbone + head").summary()]
    if disc is not None:
        disc_state = {k[len("disc.") :]: v for k, v in state.items() if k.startswith("disc.")}
        if disc_state:
            lines.append(load_initial_weights(disc, disc_state, str(path), "discriminator").summary())
        else:
            lines.append(f"discriminator: not in {path}; freshly initialised")
    return "\n".join(lines)
