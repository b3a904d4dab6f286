"""Training configs: mmhuman3d's `resnet50_hmr_pw3d`, `resnet34_hybrik_mixed` and `resnet50_spin_gta_ft` as dataclasses.

Read a config top to bottom in `hmr_config()`, `hybrik_config()` and `spin_gta_config()`. Every field can be
overridden from the command line with a dotted path, e.g. `--set optim.lr=1e-4 data.batch_size=64
data.partitions.gta=0.5`, and the resolved config is written as `config.json` next to every run and inside
every checkpoint's `meta`.

Values come from those configs (open-mmlab/mmhuman3d configs/hmr/, configs/hybrik/, configs/gta_human/) and the
training code they drive (mmhuman3d/models/architectures/). Where mmhuman3d does something odd, the default
reproduces it and the comment next to the field names the one setting that gives the alternative.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from core.methods import NETWORK_METHODS

METHODS = NETWORK_METHODS  # hmr, hybrik, spin_gta (core.methods)


@dataclass
class ModelConfig:
    backbone_depth: int = 50  # ResNet-50 (HMR, SPIN-GTA) or 34 (HybrIK)
    sync_bn: bool = False  # convert BatchNorm to SyncBatchNorm when training on several CUDA processes
    freeze_bn: bool = False  # BatchNorm uses and keeps its running statistics (e.g. multi-process CPU runs, no SyncBN)
    use_discriminator: bool = False  # HMR's SMPLDiscriminator under `disc.*`
    init_checkpoint: str = ""  # whole-model initialisation (SPIN-GTA: spin_official.pth), relative to data root
    # `backbone.*` when there is no init_checkpoint: 'imagenet' = torchvision's ImageNet ResNet, as mmhuman3d's
    # `init_cfg=torchvision://resnet50|34` (python -m core.weights fetch imagenet_resnet50|34); 'none' = mmhuman3d's
    # ResNet initialisation without pretrained weights; or the path of a torchvision-layout ResNet file.
    pretrained_backbone: str = "imagenet"
    # The head's mean parameters: 'file' = mmhuman3d's (smpl_mean_params.npz for HMR / SPIN-GTA, h36m_mean_beta.npy
    # for HybrIK, from the body-model folder); 'rest' = rest pose facing the camera, zero betas, camera (1, 0, 0) (no file;
    # the open body model's shape space is not SMPL's, so SMPL's mean betas mean nothing to it).
    mean_params: str = "file"


@dataclass
class DataConfig:
    ann_files: dict[str, str] = field(default_factory=dict)  # dataset name → HumanData file in preprocessed_datasets/
    partitions: dict[str, float] = field(default_factory=dict)  # MixedDataset weights, per dataset name
    num_data: int | None = None  # samples per epoch; None = length of the largest dataset (mmhuman3d default)
    convention: str = "smpl_54"  # keypoint convention of the targets
    img_res: int = 224  # crop side in pixels
    batch_size: int = 32  # per process (mmhuman3d's samples_per_gpu)
    num_workers: int = 1  # DataLoader worker processes per training process
    adv_ann_file: str = ""  # HMR: mocap poses for the discriminator (cmu_mosh.npz); '' = none
    static_fits: bool = False  # SPIN-GTA: use pre-computed SMPLify fits from static_fits/<name>_fits.npy
    test_ann_file: str = ""  # 3DPW-format file for validation ('' = no validation)
    depth_factor: float = 2000.0  # HybrIK: mm datasets (h36m, coco); uvd depth is divided by it
    skip_bad_samples: bool = False  # count and skip unreadable images / malformed samples instead of failing


@dataclass
class AugmentConfig:
    noise_factor: float = 0.4  # RandomChannelNoise: each channel × U(1 − f, 1 + f)
    noise_after_crop: bool = False  # HybrIK applies channel noise after the crop, HMR/SPIN before
    flip_prob: float = 0.5  # horizontal flip with the convention's left/right pairs
    rot_factor: float = 30.0  # GetRandomScaleRotation: rotation = clip(N(0, f), −2f, 2f) degrees
    scale_factor: float = 0.25  # scale × clip(N(1, f), 1 − f, 1 + f)
    rot_prob: float = 0.6  # probability that the sampled rotation is applied
    dpg_prob: float = 0.0  # HybrIK RandomDPG: box jitter / random patch
    occlusion_prob: float = 0.0  # HybrIK RandomOcclusion: random noise rectangle inside the box
    # mmhuman3d's RandomDPG rebuilds centre/scale with scale_mult=1.0, so DPG crops are not enlarged by 1.25
    # (original HybrIK enlarges them). Reproduced; `--set augment.dpg_scale_mult=1.25` gives HybrIK's crop.
    dpg_scale_mult: float = 1.0


@dataclass
class LossConfig:
    keypoints3d: float = 0.0  # smooth-L1 on pelvis-centred 3D keypoints
    keypoints2d: float = 0.0  # smooth-L1 on projected 2D keypoints, normalised to [-1, 1]
    vertex: float = 0.0  # L1 on vertices (samples with SMPL labels)
    smpl_pose: float = 0.0  # MSE on rotation matrices
    smpl_betas: float = 0.0  # MSE on betas
    adversarial: float = 0.0  # LSGAN generator weight (the discriminator loss itself is unweighted)
    # smpl_49's 25 OpenPose joints count in the keypoint losses wherever the data gives them confidence, as in
    # mmhuman3d's code: SPIN-GTA's config defines keypoint_weight = [0]*25 + [1]*24 but never passes it to a loss.
    # True leaves them out (what that variable seems to intend, and SPIN's openpose_train_weight=0).
    ignore_openpose_keypoints: bool = False
    camera_prior: float = 0.0  # SPIN: mean of (exp(−scale · s))² · weight
    camera_prior_scale: float = 10.0
    uvd: float = 0.0  # HybrIK: L1 on 64 · uvd, averaged over the sum of weights
    beta: float = 0.0  # HybrIK: MSE on betas
    theta: float = 0.0  # HybrIK: MSE on quaternions (24 × 4)
    # The IK that makes theta's rotations: 'naive' = mmhuman3d 0.11.0's training branch (each joint's own bone
    # from its parent, models/utils/inverse_kinematics.py), which the published model was trained with;
    # 'hybrik' = the original HybrIK's (each joint aimed at its child, as the paper and the eval-mode IK).
    theta_ik: str = "naive"
    twist: float = 0.0  # HybrIK: MSE on (cos φ, sin φ)


@dataclass
class OptimConfig:
    lr: float = 2.5e-4  # Adam lr of backbone and head (HybrIK: one Adam over the whole model)
    disc_lr: float = 1e-4  # Adam lr of the discriminator
    weight_decay: float = 0.0
    separate_optimizers: bool = True  # mmhuman3d's dict of optimizers: one Adam each for backbone, head (and disc)
    grad_clip: float | None = None  # max L2 norm of the gradients, None = no clipping
    lr_milestones: list[int] = field(default_factory=list)  # epochs at which lr × lr_gamma ('step' policy)
    lr_gamma: float = 0.1


@dataclass
class RuntimeConfig:
    epochs: int = 100
    seed: int = 0
    deterministic: bool = False  # torch.use_deterministic_algorithms + cudnn.deterministic
    precision: str = "fp32"  # 'fp32' | 'bf16' | 'fp16' (autocast; fp16 uses a GradScaler)
    device: str = "auto"  # 'auto' | 'cpu' | 'cuda'
    log_interval: int = 50  # iterations between TensorBoard / CSV rows
    val_interval: int = 1  # epochs between validations (0 = never)
    max_iters_per_epoch: int | None = None  # cut epochs short (smoke runs and tests)
    checkpoint_every_iters: int = 0  # also write latest.pth every N iterations (0 = only at epoch ends)


@dataclass
class TrainConfig:
    method: str = "hmr"
    # 'smpl' (the user's SMPL files) or 'open' (the bundled open body model, only when asked for: numbers
    # trained on it are not comparable to SMPL's).
    body_model: str = "smpl"
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)


# The original PyTorch HMR recipe (MandyMo/pytorch_HMR) also trains on AI Challenger's 2D keypoints, which
# mmhuman3d cannot read. These overrides add it to HMR's mix as one more partition (our weight: 0.1, as each of
# LSP, LSPET and MPII); make the file with `python -m train.prepare ai_challenger` (docs/data.md).
AI_CHALLENGER_OVERRIDES = ("data.ann_files.ai_challenger=ai_challenger_train.npz", "data.partitions.ai_challenger=0.1")


def hmr_config() -> TrainConfig:
    """configs/hmr/resnet50_hmr_pw3d.py."""
    return TrainConfig(
        method="hmr",
        model=ModelConfig(backbone_depth=50, sync_bn=True, use_discriminator=True),
        data=DataConfig(
            ann_files={
                "h36m": "h36m_mosh_train.npz",
                "mpi_inf_3dhp": "mpi_inf_3dhp_train.npz",
                "lsp": "lsp_train.npz",
                "lspet": "lspet_train.npz",
                "mpii": "mpii_train.npz",
                "coco": "coco_2014_train.npz",
            },
            partitions={"h36m": 0.35, "mpi_inf_3dhp": 0.15, "lsp": 0.1, "lspet": 0.1, "mpii": 0.1, "coco": 0.2},
            convention="smpl_54",
            img_res=224,
            # Per process. mmhuman3d's docs launch HMR on 8 GPUs (total 256) but the GPU count of the published
            # run is UNSURE; on one GPU use `--set data.batch_size=256` for the 8-GPU total batch.
            batch_size=32,
            num_workers=1,
            adv_ann_file="cmu_mosh.npz",
            test_ann_file="pw3d_test.npz",
        ),
        augment=AugmentConfig(noise_factor=0.4, flip_prob=0.5, rot_factor=30, scale_factor=0.25),
        loss=LossConfig(keypoints3d=100, keypoints2d=10, vertex=2, smpl_pose=3, smpl_betas=0.02, adversarial=1),
        optim=OptimConfig(lr=2.5e-4, disc_lr=1e-4, separate_optimizers=True, grad_clip=None),
        runtime=RuntimeConfig(epochs=100, log_interval=50),
    )


def spin_gta_config() -> TrainConfig:
    """configs/gta_human/spin/resnet50_spin_gta_ft.py."""
    return TrainConfig(
        method="spin_gta",
        # Plain BN here (not SyncBN) as in the config. The whole model starts from SPIN's weights; mmcv then skips
        # the backbone's own torchvision init_cfg, so no ImageNet file is read.
        model=ModelConfig(
            backbone_depth=50,
            sync_bn=False,
            init_checkpoint="pretrained_models/spin_official.pth",
            pretrained_backbone="none",
        ),
        data=DataConfig(
            ann_files={
                "h36m": "spin_h36m_train.npz",
                "mpi_inf_3dhp": "spin_mpi_inf_3dhp_train.npz",
                "lsp": "spin_lsp_train.npz",
                "lspet": "spin_lspet_train.npz",
                "mpii": "spin_mpii_train.npz",
                "coco": "spin_coco_2014_train.npz",
                "gta": "gta_human_4x.npz",
            },
            # These sum to 2.0, as in mmhuman3d: sampling weights are relative, so GTA gets 50 % of the samples and
            # the six real datasets share the other half. `--set data.partitions.gta=...` changes GTA's share.
            partitions={
                "h36m": 0.35,
                "mpi_inf_3dhp": 0.15,
                "lsp": 0.1,
                "lspet": 0.1,
                "mpii": 0.1,
                "coco": 0.2,
                "gta": 1.0,
            },
            num_data=100_000,
            convention="smpl_49",
            img_res=224,
            batch_size=32,
            num_workers=2,
            static_fits=True,
            test_ann_file="pw3d_test.npz",
        ),
        augment=AugmentConfig(noise_factor=0.4, flip_prob=0.5, rot_factor=30, scale_factor=0.25),
        loss=LossConfig(
            keypoints3d=100,
            keypoints2d=10,
            vertex=2,
            smpl_pose=3,
            smpl_betas=0.02,
            camera_prior=60,
            camera_prior_scale=10,
        ),
        optim=OptimConfig(
            lr=3e-5,
            separate_optimizers=True,
            # The config asks for grad_clip(max_norm=35), but use_adversarial_train=True makes mmhuman3d drop the
            # OptimizerHook, so the clip is never applied. Reproduced; `--set optim.grad_clip=35` applies it.
            grad_clip=None,
        ),
        runtime=RuntimeConfig(epochs=10, log_interval=50),
    )


def hybrik_config() -> TrainConfig:
    """configs/hybrik/resnet34_hybrik_mixed.py."""
    return TrainConfig(
        method="hybrik",
        model=ModelConfig(backbone_depth=34, sync_bn=False),
        data=DataConfig(
            ann_files={
                "h36m": "hybrik_h36m_train.npz",
                "mpi_inf_3dhp": "hybrik_mpi_inf_3dhp_train.npz",
                "coco": "hybrik_coco_2017_train.npz",
            },
            partitions={"h36m": 0.4, "mpi_inf_3dhp": 0.1, "coco": 0.5},
            convention="hybrik_29",
            img_res=256,
            batch_size=32,  # per process; the GPU count of the published run is not stated (UNSURE)
            num_workers=1,
            test_ann_file="hybrik_pw3d_test.npz",
        ),
        augment=AugmentConfig(
            noise_factor=0.4,
            noise_after_crop=True,
            flip_prob=0.5,
            rot_factor=30,
            scale_factor=0.25,
            dpg_prob=0.9,
            occlusion_prob=0.9,
        ),
        loss=LossConfig(uvd=1, beta=1, theta=0.01, twist=0.2),
        optim=OptimConfig(lr=1e-3, separate_optimizers=False, lr_milestones=[180, 240], lr_gamma=0.1),
        runtime=RuntimeConfig(epochs=400, log_interval=50),
    )


def default_config(method: str) -> TrainConfig:
    if method == "hmr":
        return hmr_config()
    if method == "hybrik":
        return hybrik_config()
    if method == "spin_gta":
        return spin_gta_config()
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def synthetic_config(method: str, overrides=()) -> TrainConfig:
    """`method`'s config cut down to train one short epoch on the files of `python -m train.synth`, on the CPU."""
    files = {"hmr": "synth_train.npz", "spin_gta": "synth_train.npz", "hybrik": "hybrik_synth_train.npz"}
    return apply_overrides(
        default_config(method),
        [
            f"data.ann_files={{'synth': '{files[method]}'}}",
            "data.partitions={'synth': 1.0}",
            "data.num_data=4",
            "data.batch_size=2",
            "data.num_workers=0",
            "runtime.epochs=1",
            "runtime.val_interval=0",
            "runtime.log_interval=1",
            "body_model='smpl'",
            "model.init_checkpoint=''",
            "data.static_fits=false",
            "model.pretrained_backbone=none",
            "model.mean_params=rest",
            "data.adv_ann_file=''",
            "runtime.device='cpu'",
        ]
        + list(overrides),
    )


BODY_MODELS = ("smpl", "open")


def check_config(config: TrainConfig) -> TrainConfig:
    """Values that cannot work together, each refused with the setting that fixes it."""
    if config.body_model not in BODY_MODELS:
        raise ValueError(
            f"body_model={config.body_model!r}: choose 'smpl' (your SMPL files) or 'open' (the bundled "
            f"open body model, e.g. for synthetic smoke runs)"
        )
    if config.model.mean_params not in ("file", "rest"):
        raise ValueError(f"model.mean_params={config.model.mean_params!r}: choose 'file' or 'rest'")
    if config.loss.theta_ik not in ("naive", "hybrik"):
        raise ValueError(f"loss.theta_ik={config.loss.theta_ik!r}: choose 'naive' (mmhuman3d) or 'hybrik' (the paper)")
    if config.model.use_discriminator and not config.data.adv_ann_file:
        raise ValueError(
            "model.use_discriminator needs mocap bodies for the discriminator: set data.adv_ann_file "
            "(HMR: cmu_mosh.npz; any HumanData file with SMPL parameters works, e.g. synth_train.npz), "
            "or `--set model.use_discriminator=false` to train without the adversarial prior"
        )
    return config


def apply_overrides(config: TrainConfig, overrides: list[str]) -> TrainConfig:
    """Set fields from 'dotted.path=value' strings; values are parsed as Python/JSON literals.

    Unknown paths raise ValueError listing the valid names at that level.
    """
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"override {item!r} must look like section.field=value")
        path, text = item.split("=", 1)
        _set_path(config, path.strip().split("."), _parse_value(text.strip()), item, text.strip())
    return config


def _parse_value(text: str):
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _set_path(node, keys: list[str], value, item: str, text: str) -> None:
    key, rest = keys[0], keys[1:]
    if isinstance(node, dict):
        if not rest:
            node[key] = value
            return
        _set_path(node[key], rest, value, item, text)
        return
    names = [f.name for f in dataclasses.fields(node)]
    if key not in names:
        raise ValueError(f"override {item!r}: {type(node).__name__} has no field {key!r}; fields: {', '.join(names)}")
    if rest:
        _set_path(getattr(node, key), rest, value, item, text)
        return
    hint = typing.get_type_hints(type(node))[key]
    if hint is str and value is None:  # 'none' is a word for text fields (model.pretrained_backbone=none)
        value = text
    setattr(node, key, _coerce(value, hint, item))


def _coerce(value, hint, item: str):
    """Ints given to float fields become floats; a wrong type is an error naming the override."""
    is_union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    allowed = typing.get_args(hint) if is_union else (hint,)
    origins = {typing.get_origin(a) or a for a in allowed}
    if value is None and type(None) in origins:
        return None
    if float in origins and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if any(isinstance(value, o) for o in origins if isinstance(o, type)):
        return value
    raise ValueError(f"override {item!r}: expected {hint}, got {value!r}")


def config_to_dict(config: TrainConfig) -> dict:
    return dataclasses.asdict(config)


def config_from_dict(data: dict) -> TrainConfig:
    sections = {f.name: f.type for f in dataclasses.fields(TrainConfig)}
    hints = typing.get_type_hints(TrainConfig)
    if "body_model" in data.get("model", {}):  # configs written before body_model moved to the top level
        model = dict(data["model"])
        legacy = model.pop("body_model")
        data = {**data, "model": model, "body_model": data.get("body_model", "open" if legacy == "open" else "smpl")}
    kwargs = {}
    for name in sections:
        if name not in data:
            continue
        kwargs[name] = hints[name](**data[name]) if dataclasses.is_dataclass(hints[name]) else data[name]
    return TrainConfig(**kwargs)


def save_config(config: TrainConfig, path: Path) -> None:
    Path(path).write_text(json.dumps(config_to_dict(config), indent=2) + "\n")


def load_config(path: Path) -> TrainConfig:
    return config_from_dict(json.loads(Path(path).read_text()))
