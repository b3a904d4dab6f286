"""Training, step by step: train/ against mmhuman3d 0.11.0's own train_step, same weights, same batch.

Runs in the separate mmhuman3d environment of scripts/compare_with_mmhuman3d.py (its docstring says how to build
it; never the project's .venv):

    PYTHONPATH=. /tmp/mmh/bin/python -W ignore scripts/compare_training_with_mmhuman3d.py [--write table.md]

For HMR (discriminator step, then generator, in mmhuman3d's order), SPIN-GTA (static fits through mmhuman3d's
registrant) and HybrIK (training mode, IK in its training branch): mmhuman3d's architecture is built from the
config's dicts (stand-in SMPL files, fresh `init_weights()`), its state_dict is loaded strictly into this
project's trainer, both get the same post-pipeline batch, and before each step both set the same torch seed so
dropout draws the same masks. Compared: every loss term (relative 1e-5), every gradient (relative 1e-4, per
tensor: max |difference| / max |mmhuman3d's|), and every parameter after 1 and after 3 optimiser steps (relative
1e-5 per tensor). Each step comparison runs in float32 and again in float64 on both sides (same weights, same
batch): float64 separates differences in the computation from float32 rounding, which Adam amplifies where a
gradient is ~0. Then the training data pipelines: mmhuman3d's transforms and this project's datasets on the same
synthetic HumanData files (train.synth) with every random draw scripted to the same values.

Shims beyond those of compare_with_mmhuman3d.py: `torch.Tensor.cuda` returns the tensor (HybrIK_trainer moves
labels with `.cuda()`); `pytorch3d.transforms.matrix_to_quaternion` (pytorch3d is not installed) is transcribed and
standardised to w ≥ 0, the convention core.geometry.rotmat_to_quat uses (pytorch3d releases that return the
unstandardised candidate give a different loss_theta for rotations whose largest quaternion component is not w);
HMR's SyncBN is plain BN (one process: identical); in float64, while mmhuman3d's train_step runs, `.float()` means
float64 and the default dtype is float64 (its loss code casts with `.float()`). Exit status 1 if any row exceeds its
target, except float32 parameter rows whose float64 row meets it ("float32 rounding, see float64 row").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import types
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_with_mmhuman3d as inference  # noqa: E402  (helpers shared with the inference comparison)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BATCH = 4
STEPS = 3
LOSS_TOLERANCE = 1e-5
GRAD_TOLERANCE = 1e-4
PARAM_TOLERANCE = 1e-5
SEED = 0
DTYPES = (torch.float32, torch.float64)  # every step comparison runs in both, from the same weights and batch
DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64"}


@dataclass
class Row:
    section: str
    quantity: str
    value: float
    tolerance: float | None = None
    note: str = ""
    float64_row: Row | None = None  # for a float32 parameter row: the same quantity computed in float64

    @property
    def verdict(self) -> str:
        if self.tolerance is None:
            return ""
        if self.value <= self.tolerance:
            return "ok"
        if self.float64_row is not None and self.float64_row.verdict == "ok":
            return "float32 rounding, see float64 row"
        return "EXCEEDS"


def relative(ours, theirs) -> float:
    # dtype given: torch.as_tensor would round Python floats (loss values) to float32 first
    ours, theirs = torch.as_tensor(ours, dtype=torch.float64), torch.as_tensor(theirs, dtype=torch.float64)
    if ours.shape != theirs.shape:
        raise ValueError(f"shape mismatch {tuple(ours.shape)} vs {tuple(theirs.shape)}")
    scale = float(theirs.abs().max()) if theirs.numel() else 0.0
    error = float((ours - theirs).abs().max()) if ours.numel() else 0.0
    return error / scale if scale > 0 else error


# ----------------------------------------------------------------------------------------------
# Importing mmhuman3d's training code


class _Placeholder(types.ModuleType):
    """Stands for an optional package only imported, never used, on the training paths compared here: any
    attribute is a placeholder class (pytorch3d's renderer and cameras, matplotlib)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return type(name, (), {})


class _PlaceholderFinder:
    prefixes = ("pytorch3d", "matplotlib", "mpl_toolkits")

    def find_spec(self, name, path=None, target=None):
        import importlib.machinery

        if name.split(".")[0] in self.prefixes:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Placeholder(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def import_mmhuman3d_training():
    # Before compare_with_mmhuman3d's import: its axis_angle_to_matrix shim goes in only when the name is absent.
    sys.meta_path.append(_PlaceholderFinder())
    mmh = inference.import_mmhuman3d()
    torch.Tensor.cuda = lambda self, *args, **kwargs: self  # HybrIK_trainer moves labels with .cuda()
    # mesh_estimator imports the renderer only for a part-segmentation loss that these configs do not use.
    for name in ("mmhuman3d.core.visualization", "mmhuman3d.core.visualization.visualize_smpl"):
        sys.modules.setdefault(name, _Placeholder(name))
    import mmhuman3d.utils.transforms as mmh_transforms
    from mmhuman3d.models.architectures.hybrik import HybrIK_trainer
    from mmhuman3d.models.architectures.mesh_estimator import ImageBodyModelEstimator

    mmh_transforms.matrix_to_quaternion = matrix_to_quaternion_standardised
    mmh_transforms.axis_angle_to_matrix = inference.pytorch3d_axis_angle_to_matrix
    classes = {"ImageBodyModelEstimator": ImageBodyModelEstimator, "HybrIK_trainer": HybrIK_trainer}
    mmh.build_architecture = lambda cfg: classes[cfg["type"]](**{k: v for k, v in cfg.items() if k != "type"})
    return mmh


def matrix_to_quaternion_standardised(matrix: torch.Tensor) -> torch.Tensor:
    """pytorch3d.transforms.matrix_to_quaternion (0.7), transcribed, with the real part made ≥ 0."""
    batch_dim = matrix.shape[:-2]
    m = torch.unbind(matrix.reshape(batch_dim + (9,)), dim=-1)
    m00, m01, m02, m10, m11, m12, m20, m21, m22 = m
    q_abs = torch.sqrt(
        torch.clamp(
            torch.stack(
                [1.0 + m00 + m11 + m22, 1.0 + m00 - m11 - m22, 1.0 - m00 + m11 - m22, 1.0 - m00 - m11 + m22], -1
            ),
            min=0,
        )
    )
    quat_by_rijk = torch.stack(
        [
            torch.stack([q_abs[..., 0] ** 2, m21 - m12, m02 - m20, m10 - m01], dim=-1),
            torch.stack([m21 - m12, q_abs[..., 1] ** 2, m10 + m01, m02 + m20], dim=-1),
            torch.stack([m02 - m20, m10 + m01, q_abs[..., 2] ** 2, m12 + m21], dim=-1),
            torch.stack([m10 - m01, m20 + m02, m21 + m12, q_abs[..., 3] ** 2], dim=-1),
        ],
        dim=-2,
    )
    floor = torch.tensor(0.1, dtype=q_abs.dtype)
    candidates = quat_by_rijk / (2.0 * q_abs[..., None].max(floor))
    one_hot = torch.nn.functional.one_hot(q_abs.argmax(dim=-1), num_classes=4) > 0.5
    quat = candidates[one_hot, :].reshape(batch_dim + (4,))
    return torch.where(quat[..., :1] < 0, -quat, quat)


# ----------------------------------------------------------------------------------------------
# Stand-in files in mmhuman3d's data/ layout (relative paths: FitsDict reads 'data/static_fits')


def write_standin_data(folder: Path, fits_rows: int, generator: torch.Generator):
    """Stand-in SMPL files, and SPIN's static fits where mmhuman3d's FitsDict reads them (data/static_fits)."""
    core_folder, smplx_folder = inference.write_standin_files(folder)
    data = folder / "data"
    (data / "static_fits").mkdir(parents=True)
    fits = {}
    for name in ("h36m", "mpi_inf_3dhp", "lsp", "lspet", "mpii", "coco"):
        pose = torch.randn(fits_rows, 72, generator=generator).numpy() * 0.3
        betas = torch.randn(fits_rows, 10, generator=generator).numpy()
        betas[1] *= 5  # an extreme shape: both sides must replace it by the mean shape
        fits[name] = np.concatenate([pose, betas], 1).astype(np.float32)
        np.save(data / "static_fits" / f"{name}_fits.npy", fits[name])
    return core_folder, smplx_folder, fits


@contextmanager
def working_directory(path: Path):
    import os

    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


# ----------------------------------------------------------------------------------------------
# mmhuman3d's models, from the configs' dicts


def body_model_cfg(smplx_folder: Path, core_folder: Path, dst: str) -> dict:
    return dict(
        type="SMPL",
        keypoint_src="smpl_54",
        keypoint_dst=dst,
        model_path=str(smplx_folder),
        keypoint_approximate=True,
        extra_joints_regressor=str(core_folder / "J_regressor_extra.npy"),
    )


def mmh_mesh_model(mmh, method: str, core_folder: Path, smplx_folder: Path, dtype: torch.dtype):
    """configs/hmr/resnet50_hmr_pw3d.py or configs/gta_human/spin/resnet50_spin_gta_ft.py, minus init_cfg files."""
    spin = method == "spin_gta"
    dst = "smpl_49" if spin else "smpl_54"
    cfg = dict(
        type="ImageBodyModelEstimator",
        backbone=dict(
            type="ResNet", depth=50, out_indices=[3], norm_eval=False, norm_cfg=dict(type="BN", requires_grad=True)
        ),
        head=dict(type="HMRHead", feat_dim=2048, smpl_mean_params=str(core_folder / "smpl_mean_params.npz")),
        body_model_train=body_model_cfg(smplx_folder, core_folder, dst),
        convention=dst,
        loss_keypoints3d=dict(type="SmoothL1Loss", loss_weight=100),
        loss_keypoints2d=dict(type="SmoothL1Loss", loss_weight=10),
        loss_vertex=dict(type="L1Loss", loss_weight=2),
        loss_smpl_pose=dict(type="MSELoss", loss_weight=3),
        loss_smpl_betas=dict(type="MSELoss", loss_weight=0.02),
    )
    if spin:
        cfg["loss_camera"] = dict(type="CameraPriorLoss", loss_weight=60)
    else:
        cfg["loss_adv"] = dict(type="GANLoss", gan_type="lsgan", real_label_val=1.0, fake_label_val=0.0, loss_weight=1)
        cfg["disc"] = dict(type="SMPLDiscriminator")
    model = mmh.build_architecture(cfg)
    if spin:
        static_registration(model)
    model.init_weights()
    return in_dtype(model, dtype)


class _EveryFitValid:
    """Stands for the SPIN-GTA config's SMPLify registrant in static mode. Its only use there is `evaluate`, the
    2D keypoint loss of each stored fit, compared with 10 to decide whether the fit is used; that needs
    pytorch3d's cameras, which are not installed. Every fit is reported valid (loss 0), which is what
    train/trainers.py assumes."""

    def evaluate(self, keypoints2d, **kwargs):
        return {"keypoint2d_loss": torch.zeros(keypoints2d.shape[:2])}


def static_registration(model) -> None:
    """What BodyModelEstimator.__init__ does for registration=dict(mode='static', ...), with the registrant above."""
    from mmhuman3d.models.utils import FitsDict

    model.registration = {"mode": "static"}
    model.fits_dict = FitsDict(fits="static")
    model.registration_mode = "static"
    model.registrant = _EveryFitValid()


def mmh_hybrik_model(mmh, core_folder: Path, smplx_folder: Path, dtype: torch.dtype):
    """configs/hybrik/resnet34_hybrik_mixed.py, minus the backbone's init_cfg file."""
    cfg = dict(
        type="HybrIK_trainer",
        backbone=dict(type="ResNet", depth=34, out_indices=[3], norm_eval=False),
        head=dict(type="HybrIKHead", smpl_mean_params=str(core_folder / "h36m_mean_beta.npy")),
        body_model=dict(
            type="HybrIKSMPL",
            model_path=str(smplx_folder),
            extra_joints_regressor=str(core_folder / "J_regressor_h36m.npy"),
        ),
        loss_beta=dict(type="MSELoss", loss_weight=1),
        loss_theta=dict(type="MSELoss", loss_weight=0.01),
        loss_twist=dict(type="MSELoss", loss_weight=0.2),
        loss_uvd=dict(type="L1Loss", loss_weight=1),
    )
    model = mmh.build_architecture(cfg)
    model.init_weights()
    return in_dtype(model, dtype)


def in_dtype(model, dtype: torch.dtype):
    """Parameters and buffers in `dtype`, and the dtypes mmhuman3d's modules keep as attributes
    (HybrIKHead.smpl_dtype, HybrIKSMPL.dtype, smplx's dtype), in train mode."""
    model = model.to(dtype)
    for module in model.modules():
        for name in ("dtype", "smpl_dtype"):
            if isinstance(module.__dict__.get(name), torch.dtype):
                setattr(module, name, dtype)
    return model.train()


@contextmanager
def mmhuman3d_in(dtype: torch.dtype):
    """While mmhuman3d's train_step runs in float64: its loss code casts with `.float()` (mesh_estimator.py:
    compute_keypoints3d_loss, compute_vertex_loss, ...; the discriminator's inputs) and makes tensors in the
    default dtype (utils/geometry.py: project_points' camera matrix), so for that call only `.float()` means
    float64 and the default dtype is float64. In float32 nothing changes."""
    if dtype == torch.float32:
        yield
        return
    to_float32, default = torch.Tensor.float, torch.get_default_dtype()
    torch.Tensor.float = lambda self, *args, **kwargs: self.to(dtype)
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.Tensor.float = to_float32
        torch.set_default_dtype(default)


def batch_in(batch: dict, dtype: torch.dtype) -> dict:
    """Floating tensors of a collated batch in `dtype` (integer flags and metadata unchanged)."""
    return {k: v.to(dtype) if torch.is_tensor(v) and v.is_floating_point() else v for k, v in batch.items()}


def mmh_optimizers(model, method: str):
    from mmhuman3d.core.optimizer import build_optimizers

    if method == "hybrik":
        return build_optimizers(model, dict(type="Adam", lr=1e-3, weight_decay=0))
    if method == "hmr":
        return build_optimizers(
            model,
            dict(
                backbone=dict(type="Adam", lr=2.5e-4),
                head=dict(type="Adam", lr=2.5e-4),
                disc=dict(type="Adam", lr=1e-4),
            ),
        )
    return build_optimizers(model, dict(backbone=dict(type="Adam", lr=3e-5), head=dict(type="Adam", lr=3e-5)))


# ----------------------------------------------------------------------------------------------
# This project's trainers, holding the same state_dict


def our_trainer(method: str, state: dict, core_folder: Path, run_dir: Path, dtype: torch.dtype):
    from core import joints
    from core.body_models.smpl import load_smpl
    from core.settings import DataFolders
    from train.config import apply_overrides, default_config
    from train.trainer import load_state_into
    from train.trainers import HybrIKTrainer, MeshTrainer

    config = apply_overrides(
        default_config(method),
        [
            f"data.batch_size={BATCH}",
            "model.sync_bn=false",
            "runtime.device='cpu'",
            "model.pretrained_backbone=none",
            "model.mean_params=rest",
            "model.init_checkpoint=''",
            "runtime.log_interval=0",
        ],
    )
    body_model = load_smpl("neutral", core_folder)
    folders = DataFolders(core_folder.parent, core_folder, core_folder.parent / "checkpoints")
    if method == "hybrik":
        trainer = HybrIKTrainer(config, run_dir, None, None, body_model, folders=folders)
    else:
        convention = config.data.convention
        pelvis = (joints.joint_index(convention, "right_hip_extra"), joints.joint_index(convention, "left_hip_extra"))
        trainer = MeshTrainer(
            config,
            run_dir,
            None,
            None,
            body_model,
            folders=folders,
            pelvis=pelvis,
            keypoint_fn=lambda model, output: joints.keypoints(model, output, convention),
        )
    parameters = [id(p) for group in trainer.optimizers.values() for g in group.param_groups for p in g["params"]]
    for module in (trainer.generator, trainer.disc, trainer.body_model):
        if module is not None:
            module.to(dtype)  # in place: the optimisers keep the same Parameter objects
    moved = [id(p) for group in trainer.optimizers.values() for g in group.param_groups for p in g["params"]]
    assert moved == parameters and trainer.dtype == dtype
    load_state_into(trainer.generator, trainer.disc, state, strict=True)
    trainer.set_train_mode()
    return trainer


# ----------------------------------------------------------------------------------------------
# The batch after each side's pipeline (mmhuman3d's keys and this project's)


def mesh_batch(method: str, generator: torch.Generator, num_joints: int) -> dict:
    """mmhuman3d's collated batch: keypoints with confidence in the last channel, some 0, some fractional."""
    g = generator
    conf2d = torch.randint(0, 3, (BATCH, num_joints), generator=g).float() / 2  # 0, 0.5 or 1
    conf3d = torch.randint(0, 3, (BATCH, num_joints), generator=g).float() / 2
    conf3d[3] = 0  # a sample without 3D keypoints
    batch = {
        "img": torch.randn(BATCH, 3, 224, 224, generator=g),
        "keypoints2d": torch.cat([torch.rand(BATCH, num_joints, 2, generator=g) * 224, conf2d[..., None]], -1),
        "keypoints3d": torch.cat([torch.randn(BATCH, num_joints, 3, generator=g) * 0.4, conf3d[..., None]], -1),
        "smpl_body_pose": torch.randn(BATCH, 23, 3, generator=g) * 0.3,
        "smpl_global_orient": torch.randn(BATCH, 3, generator=g),
        "smpl_betas": torch.randn(BATCH, 10, generator=g),
        "smpl_transl": torch.zeros(BATCH, 3),
        "has_smpl": torch.tensor([1, 0, 1, 0]),
        "sample_idx": torch.tensor([0, 1, 2, 3]),
    }
    if method == "hmr":
        batch["adv_smpl_body_pose"] = (torch.randn(BATCH, 23, 3, generator=g) * 0.3).reshape(BATCH, 69)
        batch["adv_smpl_global_orient"] = torch.randn(BATCH, 3, generator=g)
        batch["adv_smpl_betas"] = torch.randn(BATCH, 10, generator=g)
        batch["adv_smpl_transl"] = torch.zeros(BATCH, 3)
    else:
        batch["is_flipped"] = torch.tensor([0, 1, 0, 1])
        batch["rotation"] = torch.tensor([0.0, 20.0, -35.0, 0.0])
        batch["img_metas"] = [{"dataset_name": name} for name in ("h36m", "lsp", "coco", "mpii")]
    return batch


def our_mesh_batch(batch: dict, fits: dict | None) -> dict:
    from train.data import augment

    ours = {
        "img": batch["img"],
        "keypoints2d": batch["keypoints2d"][..., :2],
        "keypoints2d_weight": batch["keypoints2d"][..., 2],
        "keypoints3d": batch["keypoints3d"][..., :3],
        "keypoints3d_weight": batch["keypoints3d"][..., 3],
        "smpl_pose": torch.cat([batch["smpl_global_orient"][:, None], batch["smpl_body_pose"]], 1),
        "smpl_betas": batch["smpl_betas"],
        "has_smpl": batch["has_smpl"].float(),
    }
    if "adv_smpl_betas" in batch:
        ours["adv_pose"] = torch.cat(
            [batch["adv_smpl_global_orient"][:, None], batch["adv_smpl_body_pose"].reshape(BATCH, 23, 3)], 1
        )
        ours["adv_betas"] = batch["adv_smpl_betas"]
    if fits is not None:  # what train.data.datasets.MeshDataset makes of the static fits for these samples
        from train.data.datasets import MeshDataset

        poses, betas = [], []
        for meta, index, flipped, rot in zip(
            batch["img_metas"], batch["sample_idx"], batch["is_flipped"], batch["rotation"]
        ):
            row = fits[meta["dataset_name"]][int(index)].astype(np.float64)
            pose, beta = row[:72].reshape(24, 3), row[72:]
            pose = augment.flip_smpl_pose(pose) if flipped else pose
            fields = MeshDataset._fit_fields((pose, beta), float(rot))
            poses.append(fields["fit_pose"])
            betas.append(fields["fit_betas"])
        ours.update(
            fit_pose=torch.as_tensor(np.stack(poses)),
            fit_betas=torch.as_tensor(np.stack(betas)),
            has_fit=torch.ones(BATCH),
        )
    return ours


def hybrik_batch(generator: torch.Generator) -> dict:
    g = generator
    K = torch.tensor([[1000.0, 0, 128], [0, 1000.0, 128], [0, 0, 1]])
    weight = (torch.rand(BATCH, 29, 1, generator=g) > 0.2).float().expand(BATCH, 29, 3)
    twist_angles = torch.rand(BATCH, 23, generator=g) * 2 - 1
    has_smpl = torch.tensor([[1.0], [1.0], [0.0], [1.0]])
    pose = torch.randn(BATCH, 24, 3, generator=g) * 0.4
    from train.data.datasets import _aa_to_quat

    theta = torch.as_tensor(np.stack([_aa_to_quat(p.numpy()) for p in pose]), dtype=torch.float32).reshape(BATCH, 96)
    return {
        "img": torch.randn(BATCH, 3, 256, 256, generator=g),
        "trans_inv": torch.tensor([[1.2, 0.1, 300.0], [-0.1, 1.2, 200.0]]).expand(BATCH, 2, 3).contiguous(),
        "intrinsic_param": torch.linalg.inv(K).expand(BATCH, 3, 3).contiguous(),
        "joint_root": torch.tensor([[0.1, -0.2, 4.0]]).repeat(BATCH, 1),
        "depth_factor": torch.full((BATCH, 1), 2.0),
        "target_uvd_29": ((torch.rand(BATCH, 29, 3, generator=g) - 0.5) * 0.8).reshape(BATCH, 87),
        "target_weight_29": weight.reshape(BATCH, 87).contiguous(),
        "target_xyz_24": torch.zeros(BATCH, 72),
        "target_weight_24": torch.zeros(BATCH, 72),
        "target_xyz_17": torch.zeros(BATCH, 51),
        "target_weight_17": torch.zeros(BATCH, 51),
        "target_theta": theta * has_smpl,
        "target_theta_weight": has_smpl.expand(BATCH, 96).contiguous(),
        "target_beta": torch.randn(BATCH, 10, generator=g) * has_smpl,
        "target_smpl_weight": has_smpl,
        "target_twist": torch.stack([torch.cos(twist_angles), torch.sin(twist_angles)], -1),
        "target_twist_weight": (torch.rand(BATCH, 23, 1, generator=g) > 0.3).float().expand(BATCH, 23, 2).contiguous(),
        "img_metas": [{}] * BATCH,
    }


def our_hybrik_batch(batch: dict) -> dict:
    return {
        "img": batch["img"],
        "target_uvd_29": batch["target_uvd_29"].reshape(BATCH, 29, 3),
        "target_weight_29": batch["target_weight_29"].reshape(BATCH, 29, 3),
        "target_theta": batch["target_theta"].reshape(BATCH, 24, 4),
        "target_beta": batch["target_beta"],
        "target_smpl_weight": batch["target_smpl_weight"][:, 0],
        "target_twist": batch["target_twist"],
        "target_twist_weight": batch["target_twist_weight"],
        "trans_inv": batch["trans_inv"],
        "intrinsic_param": batch["intrinsic_param"],
        "joint_root": batch["joint_root"],
        "depth_factor": batch["depth_factor"][:, 0],
    }


# ----------------------------------------------------------------------------------------------
# One step on each side, recording losses and gradients


def record_gradients(optimizer, into: dict, names: dict) -> None:
    """Wrap optimizer.step to copy every gradient just before the step (names: id(param) → name)."""
    step = optimizer.step

    def step_and_record(*args, **kwargs):
        for group in optimizer.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    into[names[id(param)]] = param.grad.detach().clone()
        return step(*args, **kwargs)

    optimizer.step = step_and_record


def mmh_step(model, optimizers, batch: dict, method: str, seed: int, dtype: torch.dtype) -> tuple[dict, dict]:
    grads, names, losses = {}, {id(p): n for n, p in model.named_parameters()}, {}
    for optimizer in optimizers.values() if isinstance(optimizers, dict) else [optimizers]:
        record_gradients(optimizer, grads, names)
    parse = model._parse_losses

    def parse_and_keep(raw):
        loss, log_vars = parse(raw)
        losses["disc" if "real_loss" in raw else "gen"] = log_vars
        return loss, log_vars

    model._parse_losses = parse_and_keep
    torch.manual_seed(seed)
    with mmhuman3d_in(dtype):
        if method == "hybrik":  # BaseArchitecture.train_step; mmcv's OptimizerHook then zeroes, backprops, steps
            outputs = model.train_step(batch, optimizers)
            optimizers.zero_grad()
            outputs["loss"].backward()
            optimizers.step()
        else:
            model.train_step(batch, optimizers)
    model._parse_losses = parse
    for optimizer in optimizers.values() if isinstance(optimizers, dict) else [optimizers]:
        optimizer.step = type(optimizer).step.__get__(optimizer)
    return losses, grads


def our_step(trainer, batch: dict, seed: int) -> tuple[dict, dict]:
    grads = {}
    names = {id(p): n for n, p in trainer.generator.named_parameters()}
    if trainer.disc is not None:
        names.update({id(p): f"disc.{n}" for n, p in trainer.disc.named_parameters()})
    for optimizer in trainer.optimizers.values():
        record_gradients(optimizer, grads, names)
    torch.manual_seed(seed)
    values = trainer.training_step(batch)
    for optimizer in trainer.optimizers.values():
        optimizer.step = type(optimizer).step.__get__(optimizer)
    return values, grads


# loss term: (mmhuman3d log_vars key, this project's term, its config weight attribute)
MESH_TERMS = [
    ("keypoints3d_loss", "keypoints3d"),
    ("keypoints2d_loss", "keypoints2d"),
    ("vertex_loss", "vertex"),
    ("smpl_pose_loss", "smpl_pose"),
    ("smpl_betas_loss", "smpl_betas"),
    ("adv_loss", "adversarial"),
    ("camera_loss", "camera_prior"),
]
HYBRIK_TERMS = [("loss_uvd", "uvd"), ("loss_beta", "beta"), ("loss_theta", "theta"), ("loss_twist", "twist")]


def compare_method(mmh, method: str, folders, generator) -> list[Row]:
    """The same initial weights and batch, stepped in float32 and then in float64 on both sides; each float32
    parameter row is linked to its float64 row (float32 rows beyond target are explained when that one is ok)."""
    core_folder, smplx_folder, fits = folders
    section = {"hmr": "HMR", "spin_gta": "SPIN-GTA", "hybrik": "HybrIK"}[method]
    if method == "hybrik":
        build = lambda dtype: mmh_hybrik_model(mmh, core_folder, smplx_folder, dtype)  # noqa: E731
        batch = hybrik_batch(generator)
        terms = HYBRIK_TERMS
    else:
        build = lambda dtype: mmh_mesh_model(mmh, method, core_folder, smplx_folder, dtype)  # noqa: E731
        batch = mesh_batch(method, generator, 49 if method == "spin_gta" else 54)
        terms = MESH_TERMS
    initial = None
    rows_by_dtype = {}
    for dtype in DTYPES:
        theirs = build(dtype)
        if initial is None:
            initial = {k: v.clone() for k, v in theirs.state_dict().items()}
        theirs.load_state_dict({k: v.to(dtype) if v.is_floating_point() else v for k, v in initial.items()})
        their_batch = batch_in(batch, dtype)
        if method == "hybrik":
            ours_batch = our_hybrik_batch(their_batch)
        else:
            ours_batch = our_mesh_batch(their_batch, fits if method == "spin_gta" else None)
        rows_by_dtype[dtype] = step_both(
            f"{section} ({DTYPE_NAMES[dtype]})", method, theirs, their_batch, ours_batch, terms, core_folder, dtype
        )
        del theirs
    for row in rows_by_dtype[torch.float32]:
        if row.quantity.startswith("parameters"):
            row.float64_row = next(r for r in rows_by_dtype[torch.float64] if r.quantity == row.quantity)
    return rows_by_dtype[torch.float32] + rows_by_dtype[torch.float64]


def step_both(section, method, theirs, batch, ours_batch, terms, core_folder, dtype) -> list[Row]:
    """STEPS optimiser steps on each side from the same state: loss and gradient rows of step 1, parameter rows
    after step 1 and step STEPS."""
    optimizers = mmh_optimizers(theirs, method)
    with tempfile.TemporaryDirectory() as run_dir:
        ours = our_trainer(method, theirs.state_dict(), core_folder, Path(run_dir), dtype)
        rows = []
        for step in range(1, STEPS + 1):
            their_losses, their_grads = mmh_step(theirs, optimizers, batch, method, SEED + step, dtype)
            our_values, our_grads = our_step(ours, ours_batch, SEED + step)
            if step == 1:
                first_grads = their_grads
                rows += loss_rows(section, terms, their_losses, our_values, ours.config.loss)
                rows += gradient_rows(section, their_grads, our_grads)
            if step in (1, STEPS):
                rows += parameter_rows(section, step, theirs, ours, first_grads)
    return rows


def loss_rows(section, terms, their_losses, our_values, weights) -> list[Row]:
    rows, gen = [], their_losses["gen"]
    for their_key, our_key in terms:
        if their_key not in gen:
            continue
        ours = getattr(weights, our_key) * our_values[our_key]
        rows.append(
            Row(
                section,
                f"loss {their_key} (weighted)",
                relative(ours, gen[their_key]),
                LOSS_TOLERANCE,
                f"{gen[their_key]:.6g}",
            )
        )
    rows.append(
        Row(section, "loss total", relative(our_values["loss"], gen["loss"]), LOSS_TOLERANCE, f"{gen['loss']:.6g}")
    )
    if "disc" in their_losses:
        disc = their_losses["disc"]["loss"]
        rows.append(
            Row(
                section,
                "discriminator loss (real + fake)",
                relative(our_values["disc_loss"], disc),
                LOSS_TOLERANCE,
                f"{disc:.6g}",
            )
        )
    return rows


def gradient_rows(section, their_grads, our_grads) -> list[Row]:
    """One row per module group: the worst tensor's relative difference."""
    keys = set(their_grads) | set(our_grads)
    missing = sorted(k for k in keys if k not in their_grads or k not in our_grads)
    if missing:
        raise SystemExit(f"{section}: gradients present on one side only: {missing[:5]}")
    rows = []
    for group in ("backbone.", "head.", "disc."):
        names = [k for k in their_grads if k.startswith(group)]
        if not names:
            continue
        worst = max(names, key=lambda k: relative(our_grads[k], their_grads[k]))
        rows.append(
            Row(
                section,
                f"gradients {group}* ({len(names)} tensors, step 1)",
                relative(our_grads[worst], their_grads[worst]),
                GRAD_TOLERANCE,
                f"worst: {worst}",
            )
        )
    return rows


def parameter_rows(section, step, theirs, ours, first_grads: dict) -> list[Row]:
    from train.trainer import checkpoint_state_dict

    our_state = checkpoint_state_dict(ours.generator, ours.disc)
    their_state = theirs.state_dict()
    rows = []
    for group in ("backbone.", "head.", "disc."):
        names = [k for k in our_state if k.startswith(group) and their_state[k].is_floating_point()]
        if not names:
            continue
        error = max(float((our_state[k].double() - their_state[k].double()).abs().max()) for k in names)
        scale = max(float(their_state[k].abs().max()) for k in names)
        differing = sum(
            int(((our_state[k].double() - their_state[k].double()).abs() > PARAM_TOLERANCE * scale).sum())
            for k in names
        )
        total = sum(our_state[k].numel() for k in names)
        floor = gradient_floor(names, our_state, their_state, first_grads, PARAM_TOLERANCE * scale)
        rows.append(
            Row(
                section,
                f"parameters and BN statistics {group}* after {step} step(s)",
                error / scale,
                PARAM_TOLERANCE,
                f"max abs {error:.2g} (max |p| {scale:.2g}); {differing} of {total} values "
                f"differ by more than {PARAM_TOLERANCE:g} × max |p|{floor}",
            )
        )
    return rows


def gradient_floor(names, our_state, their_state, grads, threshold) -> str:
    """For the values that differ: their step-1 gradient relative to the largest of their tensor (Adam divides by
    |g| + 1e-8, so a gradient near zero turns float rounding into a visible step)."""
    ratios = []
    for key in names:
        if key not in grads:
            continue
        differs = (our_state[key].double() - their_state[key].double()).abs() > threshold
        if bool(differs.any()):
            grad = grads[key].double().abs()
            ratios.append(float(grad[differs].max() / grad.max().clamp_min(1e-30)))
    return f"; their step-1 gradients are at most {max(ratios):.2g} of their tensor's largest" if ratios else ""


# ----------------------------------------------------------------------------------------------
# The training data pipelines, with every random draw scripted


class ScriptedRandom:
    """One stream of uniform numbers u₀, u₁, … turned into whatever each call asks for (uniform, normal, integer);
    two instances with the same seed give both pipelines the same values, provided they ask in the same order,
    which `kinds` records."""

    def __init__(self, seed: int):
        self.stream, self.kinds = np.random.default_rng(seed), []  # one double per value, in order

    def _take(self, kind: str, size=None) -> np.ndarray:
        count = int(np.prod(size)) if size is not None else 1
        self.kinds.append((kind, count))
        out = self.stream.random(count)
        return out.reshape(size) if size is not None else float(out[0])

    # numpy.random.Generator's names (this project) and numpy.random / random's names (mmhuman3d)
    def random(self, size=None):
        return self._take("uniform01", size)

    rand = random

    def uniform(self, low=0.0, high=1.0, size=None):
        return low + (high - low) * self._take("uniform01", size)

    def standard_normal(self, size=None):
        from scipy.special import ndtri

        return ndtri(self._take("normal", size))

    randn = standard_normal

    def normal(self, loc=0.0, scale=1.0, size=None):
        return loc + scale * self.standard_normal(size)


@contextmanager
def mmh_random(script: ScriptedRandom):
    """numpy.random and random, as mmhuman3d's transforms call them, drawing from `script`."""
    import random

    saved = {name: getattr(np.random, name) for name in ("rand", "randn", "uniform", "normal")}
    saved_py = {name: getattr(random, name) for name in ("random", "uniform")}
    np.random.rand = lambda *shape: script.random(shape or None)
    np.random.randn = lambda *shape: script.standard_normal(shape or None)
    np.random.uniform = script.uniform
    np.random.normal = script.normal
    random.random = script.random
    random.uniform = script.uniform
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(np.random, name, function)
        for name, function in saved_py.items():
            setattr(random, name, function)


def mesh_pipeline(convention: str) -> list:
    """configs/hmr/resnet50_hmr_pw3d.py's train_pipeline (SPIN-GTA's is the same with smpl_49)."""
    keys = [
        "has_smpl",
        "smpl_body_pose",
        "smpl_global_orient",
        "smpl_betas",
        "smpl_transl",
        "keypoints2d",
        "keypoints3d",
        "is_flipped",
        "rotation",
        "sample_idx",
    ]
    return [
        dict(type="LoadImageFromFile"),
        dict(type="RandomChannelNoise", noise_factor=0.4),
        dict(type="RandomHorizontalFlip", flip_prob=0.5, convention=convention),
        dict(type="GetRandomScaleRotation", rot_factor=30, scale_factor=0.25),
        dict(type="MeshAffine", img_res=224),
        dict(type="Normalize", mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True),
        dict(type="ImageToTensor", keys=["img"]),
        dict(type="ToTensor", keys=keys),
        dict(type="Collect", keys=["img", *keys], meta_keys=["image_path", "center", "scale", "rotation"]),
    ]


def compare_pipelines(folder: Path) -> list[Row]:
    from core.body_models.open_model import load_open_body_model
    from train.synth import generate

    root = folder / "synth"
    generate(root, load_open_body_model(), num_train=8, num_test=1, seed=3)
    return (
        compare_mesh_pipeline(root, "smpl_54") + compare_mesh_pipeline(root, "smpl_49") + compare_hybrik_pipeline(root)
    )


def compare_mesh_pipeline(root: Path, convention: str) -> list[Row]:
    from mmhuman3d.data.datasets.human_image_dataset import HumanImageDataset

    from core import joints
    from train.config import hmr_config
    from train.data import datasets

    theirs = HumanImageDataset(
        data_prefix=str(root),
        pipeline=mesh_pipeline(convention),
        dataset_name="synth",
        ann_file="synth_train.npz",
        convention=convention,
    )
    config = hmr_config()
    config.data.ann_files, config.data.partitions, config.data.convention = (
        {"synth": "synth_train.npz"},
        {"synth": 1.0},
        convention,
    )
    sources = datasets.load_sources(config.data, root)
    ours = datasets.MeshDataset(sources, config.data, config.augment, list(joints.joint_names(convention)), 0)
    section = f"pipeline HMR/SPIN ({convention})"
    worst: dict[str, float] = {}
    flips = rotations = 0
    kinds_equal = True
    for index in range(len(ours)):
        their_script, our_script = ScriptedRandom(index), ScriptedRandom(index)
        with mmh_random(their_script):
            t = theirs[index]
        original = datasets.sample_rng
        datasets.sample_rng = lambda *args: our_script
        try:
            o = ours[(0, index, index)]
        finally:
            datasets.sample_rng = original
        kinds_equal &= their_script.kinds == our_script.kinds
        flips += int(o["is_flipped"])
        rotations += int(o["rotation"] != 0)
        pairs = {
            "image (normalised crop)": (o["img"], t["img"]),
            "keypoints2d xy (crop pixels)": (o["keypoints2d"], t["keypoints2d"][:, :2]),
            "keypoints2d confidence": (o["keypoints2d_weight"], t["keypoints2d"][:, 2]),
            "keypoints3d xyz (rotated, flipped)": (o["keypoints3d"][:, :3], t["keypoints3d"][:, :3]),
            "keypoints3d confidence": (o["keypoints3d_weight"], t["keypoints3d"][:, 3]),
            "SMPL pose (flipped, global orient rotated)": (
                o["smpl_pose"],
                torch.cat([t["smpl_global_orient"].reshape(1, 3), t["smpl_body_pose"].reshape(23, 3)]),
            ),
            "SMPL betas": (o["smpl_betas"], t["smpl_betas"]),
            "is_flipped, rotation": (
                np.float32([o["is_flipped"], o["rotation"]]),
                np.float32([float(t["is_flipped"]), float(t["rotation"])]),
            ),
        }
        for name, (a, b) in pairs.items():
            value = inference.diff(np.asarray(a, np.float64), np.asarray(b, np.float64))
            worst[name] = max(worst.get(name, 0.0), value)
    rows = [
        Row(section, f"{name}, max abs over {len(ours)} samples", value, PIPELINE_TOLERANCE.get(name, 1e-5))
        for name, value in worst.items()
    ]
    rows.append(
        Row(
            section,
            "random draws asked for in the same order",
            0.0 if kinds_equal else 1.0,
            0.0,
            f"{flips} flipped, {rotations} rotated",
        )
    )
    return rows


PIPELINE_TOLERANCE = {"image (normalised crop)": 0.0, "target_uvd_29 (all)": None}
# configs/hybrik/resnet34_hybrik_mixed.py: joints picked from the 190 human_data rows, flip pairs among them
H36M_IDXS = [148, 145, 4, 7, 144, 5, 8, 150, 146, 152, 147, 16, 18, 20, 17, 19, 21]
HYBRIK29_IDXS = [
    0,
    1,
    2,
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
    13,
    14,
    22,
    16,
    17,
    18,
    19,
    20,
    21,
    66,
    71,
    15,
    68,
    73,
    60,
    63,
]
HYBRIK_FLIP_PAIRS = [
    [1, 2],
    [4, 5],
    [7, 8],
    [10, 11],
    [13, 14],
    [16, 17],
    [18, 19],
    [20, 21],
    [23, 24],
    [25, 40],
    [26, 41],
    [27, 42],
    [28, 43],
    [29, 44],
    [30, 45],
    [31, 46],
    [32, 47],
    [33, 48],
    [34, 49],
    [35, 50],
    [36, 51],
    [37, 52],
    [38, 53],
    [39, 54],
    [57, 56],
    [59, 58],
    [60, 63],
    [61, 64],
    [62, 65],
    [66, 71],
    [67, 72],
    [68, 73],
    [69, 74],
    [70, 75],
    [81, 80],
    [82, 79],
    [83, 78],
    [84, 77],
    [85, 76],
    [101, 98],
    [102, 97],
    [103, 96],
    [104, 95],
    [105, 100],
    [106, 99],
    [145, 144],
    [158, 155],
    [159, 156],
    [160, 157],
    [165, 162],
    [166, 163],
    [167, 164],
    [169, 168],
    [171, 170],
    [172, 175],
    [173, 176],
    [174, 177],
    [179, 180],
    [181, 182],
    [183, 184],
    [188, 189],
]


def hybrik_pipeline() -> list:
    keys = [
        "trans_inv",
        "intrinsic_param",
        "joint_root",
        "depth_factor",
        "target_uvd_29",
        "target_weight_29",
        "target_theta",
        "target_beta",
        "target_smpl_weight",
        "target_theta_weight",
        "target_twist",
        "target_twist_weight",
        "bbox",
        "sample_idx",
    ]
    maps = [
        dict(keypoints=["keypoints3d17", "keypoints3d17_vis", "keypoints3d17_relative"], keypoints_index=H36M_IDXS),
        dict(keypoints=["keypoints3d", "keypoints3d_vis", "keypoints3d_relative"], keypoints_index=HYBRIK29_IDXS),
    ]
    return [
        dict(type="LoadImageFromFile"),
        dict(type="RandomDPG", dpg_prob=0.9),
        dict(type="GetRandomScaleRotation", rot_factor=30, scale_factor=0.25),
        dict(type="RandomOcclusion", occlusion_prob=0.9),
        dict(type="HybrIKRandomFlip", flip_prob=0.5, flip_pairs=HYBRIK_FLIP_PAIRS),
        dict(type="NewKeypointsSelection", maps=maps),
        dict(type="HybrIKAffine", img_res=256),
        dict(type="GenerateHybrIKTarget", img_res=256, test_mode=False),
        dict(type="RandomChannelNoise", noise_factor=0.4),
        dict(type="Normalize", mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True),
        dict(type="ImageToTensor", keys=["img"]),
        dict(type="ToTensor", keys=keys),
        dict(type="Collect", keys=["img", *keys], meta_keys=["center", "scale", "rotation", "image_path"]),
    ]


def compare_hybrik_pipeline(root: Path) -> list[Row]:
    """The HybrIK config's train pipeline (DPG, scale/rotation, occlusion, flip, affine, targets, channel noise)."""
    from mmhuman3d.data.data_structures.human_data import HumanData
    from mmhuman3d.data.datasets.human_hybrik_dataset import HybrIKHumanImageDataset

    from core.networks.hybrik_ik import HYBRIK_JOINT_NAMES
    from train.config import hybrik_config
    from train.data import datasets

    full = HumanData.fromfile(str(root / "preprocessed_datasets" / "hybrik_synth_train.npz"))
    if full.check_keypoints_compressed():  # mmhuman3d's HybrIK dataset reads the 190 rows directly
        full.decompress_keypoints()
    full.dump(str(root / "preprocessed_datasets" / "hybrik_synth_full.npz"))
    theirs = HybrIKHumanImageDataset(
        data_prefix=str(root), pipeline=hybrik_pipeline(), dataset_name="synth", ann_file="hybrik_synth_full.npz"
    )
    config = hybrik_config()
    config.data.ann_files, config.data.partitions = {"synth": "hybrik_synth_full.npz"}, {"synth": 1.0}
    sources = datasets.load_sources(config.data, root)
    ours = datasets.HybrIKDataset(
        sources, config.data, config.augment, list(HYBRIK_JOINT_NAMES), 0, dpg_scale_mult=config.augment.dpg_scale_mult
    )
    section = "pipeline HybrIK (hybrik_29)"
    worst: dict[str, float] = {}
    kinds_equal = True
    for index in range(len(ours)):
        their_script, our_script = ScriptedRandom(1000 + index), ScriptedRandom(1000 + index)
        with mmh_random(their_script):
            t = theirs[index]
        original = datasets.sample_rng
        datasets.sample_rng = lambda *args: our_script
        try:
            o = ours[(0, index, index)]
        finally:
            datasets.sample_rng = original
        kinds_equal &= their_script.kinds == our_script.kinds
        pairs = {
            "image (normalised crop)": (o["img"], t["img"]),
            "target_uvd_29 where weighted": (
                o["target_uvd_29"].reshape(-1) * (np.ravel(t["target_weight_29"]) > 0),
                np.ravel(t["target_uvd_29"]) * (np.ravel(t["target_weight_29"]) > 0),
            ),
            "target_uvd_29 (all)": (o["target_uvd_29"].reshape(-1), t["target_uvd_29"]),
            "target_weight_29": (o["target_weight_29"].reshape(-1), t["target_weight_29"]),
            "target_theta (quaternions)": (o["target_theta"].reshape(-1), t["target_theta"]),
            "target_beta": (o["target_beta"], t["target_beta"]),
            "target_twist, weight": (
                np.concatenate([o["target_twist"].ravel(), o["target_twist_weight"].ravel()]),
                np.concatenate([np.ravel(t["target_twist"]), np.ravel(t["target_twist_weight"])]),
            ),
            "trans_inv (crop → image)": (o["trans_inv"], t["trans_inv"]),
            "intrinsic_param, joint_root, depth_factor": (
                np.concatenate([o["intrinsic_param"].ravel(), o["joint_root"], [o["depth_factor"]]]),
                np.concatenate(
                    [np.ravel(t["intrinsic_param"]), np.ravel(t["joint_root"]), np.ravel(t["depth_factor"])]
                ),
            ),
        }
        for name, (a, b) in pairs.items():
            value = inference.diff(np.asarray(a, np.float64), np.asarray(b, np.float64))
            worst[name] = max(worst.get(name, 0.0), value)
    rows = [
        Row(
            section,
            f"{name}, max abs over {len(ours)} samples",
            value,
            PIPELINE_TOLERANCE.get(name, 1e-5),
            ""
            if name != "target_uvd_29 (all)"
            else "differs only where the weight is 0 (invisible joints, never in the loss)",
        )
        for name, value in worst.items()
    ]
    rows.append(Row(section, "random draws asked for in the same order", 0.0 if kinds_equal else 1.0, 0.0))
    return rows


# ----------------------------------------------------------------------------------------------


def markdown(rows: list[Row], header: list[str]) -> str:
    out = list(header) + ["| section | quantity | difference | target | verdict | note |", "|---|---|---|---|---|---|"]
    for row in rows:
        target = "" if row.tolerance is None else f"{row.tolerance:g}"
        out.append(f"| {row.section} | {row.quantity} | {row.value:.3g} | {target} | {row.verdict} | {row.note} |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", type=Path, help="also write the table as Markdown to this file")
    parser.add_argument("--only", choices=("hmr", "spin_gta", "hybrik", "pipeline"), action="append")
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(SEED)  # mmhuman3d's init_weights draws from the global generator
    mmh = import_mmhuman3d_training()
    generator = torch.Generator().manual_seed(SEED)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folders = write_standin_data(Path(tmp), BATCH, generator)
        with working_directory(Path(tmp)):
            for method in ("hmr", "spin_gta", "hybrik"):
                if not args.only or method in args.only:
                    rows += compare_method(mmh, method, folders, generator)
            if not args.only or "pipeline" in args.only:
                rows += compare_pipelines(Path(tmp))
    header = [
        f"mmhuman3d {mmh.version}, mmcv {mmh.mmcv_version}, torch {torch.__version__}, numpy {np.__version__}; "
        f"CPU, batch {BATCH}; each step comparison in float32 and in float64 (both sides), from the same weights "
        "and batch",
        "",
    ]
    text = markdown(rows, header)
    print(text)
    if args.write:
        args.write.write_text(text)
    if any(row.verdict == "EXCEEDS" for row in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
