"""Independent check: core/ against mmhuman3d's own modules, same weights, same inputs, float32.

Runs in a separate environment that has mmhuman3d (never the project's .venv):

    python3 -m venv /tmp/mmh && /tmp/mmh/bin/pip install torch==2.13.0 einops smplx==0.1.28 numpy==1.26.4 \
        scipy opencv-python-headless tqdm trimesh scikit-image roma==1.8.0 pytest "setuptools<70" wheel addict \
        yapf==0.40.1 packaging pyyaml h5py threadpoolctl==3.8.0
    MMCV_WITH_OPS=0 /tmp/mmh/bin/pip install --no-build-isolation mmcv==1.7.2
    /tmp/mmh/bin/pip install mmhuman3d==0.11.0 --no-deps
    PYTHONPATH=. /tmp/mmh/bin/python scripts/compare_with_mmhuman3d.py [--write docs/mmhuman3d_equivalence.md]   (from the repository root)
    /tmp/mmh/bin/pip install onnxruntime==1.20.1 onnx==1.17.0   # only for --speed
    PYTHONPATH=. /tmp/mmh/bin/python scripts/compare_with_mmhuman3d.py --speed [--json speed.json]

What it does, with no licensed file: writes a stand-in SMPL folder (core/testing/smpl.py: official shapes,
random values), builds mmhuman3d's ResNet + HMRHead / HybrIKHead with random weights (BN running
statistics randomised too), loads the same state_dict strictly into core's models, and compares crops,
backbone features, head outputs, SMPL vertices and HybrIK's IK (on the network's skeleton and on skeletons
posed from known rotations). Prints a table of max abs differences (optionally written as Markdown).

--speed times mmhuman3d's own modules against core's inference path on the same weights, in this one process,
runs interleaved (mmhuman3d, core, mmhuman3d, ...): backbone + head + SMPL with H36M keypoints for HMR and
SPIN-GTA; backbone + head + IK + SMPL for HybrIK (3DPW-like camera and root), at batch 1 and 16. core runs as
the app runs it: the network in ONNX Runtime, the rest on one thread (core.threads). `python -m bench --only
mmhuman3d --mmhuman3d-python /tmp/mmh/bin/python` runs this and writes the rows into docs/bench.

Shims needed to import mmhuman3d 0.11.0 on a CPU-only machine (only what its imports touch):
- `torchvision`: an empty module (mmcv.runner.checkpoint imports it; only model-zoo loading uses it);
- `mmcv.__version__` reported as 1.6.0: mmhuman3d 0.11.0 asserts mmcv < 1.6.1, and mmcv 1.7.2 (the only
  pure-Python build that installs here) has the same cnn/runner code for what is used;
- `torch.cuda` inside mmhuman3d's hybrik_head module: its soft-argmax builds `arange` with
  `torch.cuda.comm.broadcast(...type(torch.cuda.FloatTensor))`, i.e. CUDA only; the shim returns the same
  float32 arange on the CPU.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
import tempfile
import types
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import scipy.sparse
import torch

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_PHOTO = REPO / "assets" / "examples" / "sport_skier_fullbody_coco785_ccby2_640x425.jpg"
# xyxy boxes on the example photo: the skier, and one that runs past the image border (black padding).
EXAMPLE_BOXES = np.array([[262.0, 48.0, 420.0, 395.0], [500.0, 200.0, 700.0, 470.0]], np.float32)
HMR_TOLERANCE_M = 1e-5
HYBRIK_TOLERANCE_M = 1e-4
SEED = 0


# ----------------------------------------------------------------------------------------------
# Importing mmhuman3d with the shims listed in the module docstring


def import_mmhuman3d() -> types.SimpleNamespace:
    sys.modules.setdefault("torchvision", types.ModuleType("torchvision"))
    import mmcv

    mmcv.__version__ = "1.6.0"
    import mmhuman3d
    from mmhuman3d.data.datasets.pipelines import transforms
    from mmhuman3d.models.backbones.resnet import ResNet
    from mmhuman3d.models.body_models.smpl import SMPL, HybrIKSMPL
    from mmhuman3d.models.heads import hybrik_head
    from mmhuman3d.models.heads.hmr_head import HMRHead
    from mmhuman3d.utils.demo_utils import box2cs, xyxy2xywh

    hybrik_head.torch = _torch_without_cuda()
    import mmhuman3d.utils.transforms as mmh_transforms

    if not hasattr(mmh_transforms, "axis_angle_to_matrix"):  # pytorch3d missing: HybrIK's train-mode root needs it
        mmh_transforms.axis_angle_to_matrix = pytorch3d_axis_angle_to_matrix
    return types.SimpleNamespace(
        version=mmhuman3d.__version__,
        mmcv_version=_installed_version("mmcv"),
        ResNet=ResNet,
        HMRHead=HMRHead,
        HybrIKHead=hybrik_head.HybrIKHead,
        SMPL=SMPL,
        HybrIKSMPL=HybrIKSMPL,
        transforms=transforms,
        box2cs=box2cs,
        xyxy2xywh=xyxy2xywh,
    )


def _torch_without_cuda() -> types.ModuleType:
    """`torch` for mmhuman3d's hybrik_head module: torch.cuda.comm.broadcast(t) → [t], FloatTensor on CPU."""
    proxy = types.ModuleType("torch_cpu_proxy")
    proxy.__dict__.update({k: getattr(torch, k) for k in dir(torch) if not k.startswith("__")})
    proxy.cuda = types.SimpleNamespace(
        comm=types.SimpleNamespace(broadcast=lambda tensor, devices: [tensor]), FloatTensor="torch.FloatTensor"
    )
    return proxy


def pytorch3d_axis_angle_to_matrix(axis_angle: torch.Tensor) -> torch.Tensor:
    """pytorch3d.transforms.axis_angle_to_matrix (0.7), transcribed: axis-angle → quaternion → matrix."""
    angles = torch.norm(axis_angle, p=2, dim=-1, keepdim=True)
    half = angles * 0.5
    small = angles.abs() < 1e-6
    sin_half_over_angle = torch.empty_like(angles)
    sin_half_over_angle[~small] = torch.sin(half[~small]) / angles[~small]
    sin_half_over_angle[small] = 0.5 - (angles[small] * angles[small]) / 48
    r, i, j, k = torch.unbind(torch.cat([torch.cos(half), axis_angle * sin_half_over_angle], dim=-1), -1)
    two_s = 2.0 / (r * r + i * i + j * j + k * k)
    o = torch.stack(
        (
            1 - two_s * (j * j + k * k),
            two_s * (i * j - k * r),
            two_s * (i * k + j * r),
            two_s * (i * j + k * r),
            1 - two_s * (i * i + k * k),
            two_s * (j * k - i * r),
            two_s * (i * k - j * r),
            two_s * (j * k + i * r),
            1 - two_s * (i * i + j * j),
        ),
        -1,
    )
    return o.reshape(axis_angle.shape[:-1] + (3, 3))


def _installed_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


# ----------------------------------------------------------------------------------------------
# Stand-in body-model files, seen by core (chumpy-style pickle) and by smplx (plain pickle)


def write_standin_files(folder: Path) -> tuple[Path, Path]:
    """→ (core's body-model folder, a folder with SMPL_NEUTRAL.pkl that smplx can unpickle without chumpy)."""
    sys.path.insert(0, str(REPO))
    from core.testing.smpl import standin_smpl_arrays, write_standin_body_models_dir

    core_folder = write_standin_body_models_dir(folder / "core", seed=SEED)
    arrays = standin_smpl_arrays("neutral", SEED)
    smplx_folder = folder / "smplx" / "smpl"
    smplx_folder.mkdir(parents=True)
    content = dict(arrays, J_regressor=scipy.sparse.csc_matrix(arrays["J_regressor"]))
    with open(smplx_folder / "SMPL_NEUTRAL.pkl", "wb") as file:
        pickle.dump(content, file)
    return core_folder, smplx_folder


# ----------------------------------------------------------------------------------------------
# Random weights with the official keys


def randomise(module: torch.nn.Module, generator: torch.Generator) -> None:
    """Every parameter and BN statistic random (BN variances positive), so no layer is an identity."""
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if not tensor.is_floating_point() or name.endswith(("init_pose", "init_shape", "init_cam")):
                continue
            if name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * 0.5 + 0.75)
            elif name.endswith("running_mean"):
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.1)
            elif name.endswith(".weight") and tensor.ndim == 1:  # BN gamma
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * 0.5 + 0.75)
            else:
                fan_in = max(tensor[0].numel(), 1) if tensor.ndim > 1 else tensor.numel()
                tensor.copy_(torch.randn(tensor.shape, generator=generator) / fan_in**0.5)


def mmh_network(mmh, depth: int, standin: Path, generator: torch.Generator) -> torch.nn.Module:
    """mmhuman3d backbone + head as the official configs build them, random weights, eval mode."""
    network = torch.nn.Module()
    network.backbone = mmh.ResNet(depth=depth, out_indices=(3,))
    if depth == 50:
        network.head = mmh.HMRHead(feat_dim=2048, smpl_mean_params=str(standin / "smpl_mean_params.npz"))
    else:
        network.head = mmh.HybrIKHead(feature_channel=512, smpl_mean_params=str(standin / "h36m_mean_beta.npy"))
    # SPIN's smpl_mean_params.npz holds float32 arrays; the stand-in's are float64, which HMRHead would keep.
    network.float()
    randomise(network, generator)
    return network.eval()


# ----------------------------------------------------------------------------------------------
# Comparison table


@dataclass
class Row:
    section: str
    quantity: str
    max_abs_diff: float
    tolerance: float | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.tolerance is None:
            return ""
        return "ok" if self.max_abs_diff <= self.tolerance else "EXCEEDS"


def diff(a, b) -> float:
    a = torch.as_tensor(np.asarray(a) if not isinstance(a, torch.Tensor) else a).double()
    b = torch.as_tensor(np.asarray(b) if not isinstance(b, torch.Tensor) else b).double()
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch {tuple(a.shape)} vs {tuple(b.shape)}")
    return float((a - b).abs().max()) if a.numel() else 0.0


# ----------------------------------------------------------------------------------------------
# 1. Crops and normalisation on a real photo


def compare_crops(mmh, photo_bgr: np.ndarray) -> tuple[list[Row], dict]:
    from core.pipeline.crop import HMR_INPUT, HYBRIK_INPUT, crop_people

    rows, batches = [], {}
    rgb = cv2.cvtColor(photo_bgr, cv2.COLOR_BGR2RGB)
    centers, scales = mmh.box2cs(mmh.xyxy2xywh(EXAMPLE_BOXES), aspect_ratio=1.0, bbox_scale_factor=1.25)
    normalize = mmh.transforms.Normalize(mean=HMR_INPUT.mean, std=HMR_INPUT.std, to_rgb=True)
    for name, spec in (("HMR 224", HMR_INPUT), ("HybrIK 256", HYBRIK_INPUT)):
        ours = crop_people(rgb, EXAMPLE_BOXES, spec)
        theirs, trans_inv = [], []
        for center, scale in zip(centers, scales):
            results = {"img": photo_bgr.copy(), "center": center, "scale": scale, "rotation": 0.0}
            results = normalize(mmh.transforms.MeshAffine(spec.size)(results))
            theirs.append(results["img"].transpose(2, 0, 1))
            trans_inv.append(
                mmh.transforms.get_affine_transform(
                    center, scale, 0.0, np.array([spec.size] * 2), inv=True, pixel_std=1
                ).astype(np.float32)
            )
        theirs = torch.from_numpy(np.stack(theirs))
        rows += [
            Row("crop", f"{name}: box centre", diff(ours.centers, centers), 0.0),
            Row("crop", f"{name}: crop side", diff(ours.sizes, scales[:, 0]), 0.0),
            Row("crop", f"{name}: normalised image (MeshAffine + Normalize to_rgb)", diff(ours.images, theirs), 0.0),
            Row(
                "crop",
                f"{name}: crop → image affine (float32 in mmhuman3d)",
                diff(ours.trans_inv, np.stack(trans_inv)),
                1e-4,
                "core keeps float64; px",
            ),
        ]
        batches[spec.size] = (ours.images, np.stack(trans_inv))
    return rows, batches


def input_batch(crops: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The photo crops plus two random images in the normalised range."""
    noise = torch.randn((2, *crops.shape[1:]), generator=generator)
    return torch.cat([crops, noise]).contiguous()


# ----------------------------------------------------------------------------------------------
# 2. HMR / SPIN-GTA


def hmr_smpl(mmh, core_folder: Path, smplx_folder: Path) -> torch.nn.Module:
    """SMPL as HMR's test path builds it: neutral, H36M keypoints from J_regressor_h36m.npy (eval mode)."""
    return mmh.SMPL(
        model_path=str(smplx_folder),
        keypoint_src="h36m",
        keypoint_dst="h36m",
        joints_regressor=str(core_folder / "J_regressor_h36m.npy"),
    ).eval()


def compare_hmr(mmh, core_folder: Path, smplx_folder: Path, images: torch.Tensor, generator) -> list[Row]:
    from core.body_models.smpl import load_smpl
    from core.pipeline.estimate import HMR

    theirs = mmh_network(mmh, 50, core_folder, generator)
    body_model = load_smpl("neutral", core_folder)
    ours = HMR(body_model).eval()
    ours.load_weights(theirs.state_dict())  # the same dict, strictly, through core's checkpoint path
    smpl_test = hmr_smpl(mmh, core_folder, smplx_folder)
    with torch.no_grad():
        feat_theirs = theirs.backbone(images)[-1]
        head_theirs = theirs.head(feat_theirs)
        mesh_theirs = smpl_test(
            betas=head_theirs["pred_shape"],
            body_pose=head_theirs["pred_pose"][:, 1:],
            global_orient=head_theirs["pred_pose"][:, :1],
            pose2rot=False,
        )
        feat_ours = ours.backbone(images)
        head_ours = ours(images)
        mesh_ours = ours.mesh(head_ours)
        h36m_ours = body_model.regress(mesh_ours.vertices, "h36m_17")
    scale = f"features up to {float(feat_theirs.abs().max()):.3g} in size"
    return [
        Row("HMR", "backbone features (B, 2048, 7, 7)", diff(feat_ours, feat_theirs), None, scale),
        Row("HMR", "pred_pose rotmats (B, 24, 3, 3)", diff(head_ours.rotmats, head_theirs["pred_pose"]), 1e-5),
        Row("HMR", "pred_shape betas (B, 10)", diff(head_ours.betas, head_theirs["pred_shape"]), 1e-5),
        Row("HMR", "pred_cam (s, tx, ty)", diff(head_ours.cam_weak, head_theirs["pred_cam"]), 1e-5),
        Row("HMR", "vertices (B, 6890, 3), metres", diff(mesh_ours.vertices, mesh_theirs["vertices"]), HMR_TOLERANCE_M),
        Row("HMR", "H36M keypoints_3d (B, 17, 3), metres", diff(h36m_ours, mesh_theirs["joints"]), HMR_TOLERANCE_M),
    ]


# ----------------------------------------------------------------------------------------------
# 3. HybrIK: network + IK on its skeleton, then IK on posed skeletons


def hybrik_camera(batch: int, trans_inv: np.ndarray) -> tuple[torch.Tensor, ...]:
    """3DPW-like inputs: crop → image affines, K⁻¹, a root 4 m away, depth_factor 2.0 as float64."""
    K = torch.tensor([[1961.0, 0.0, 540.0], [0.0, 1969.0, 960.0], [0.0, 0.0, 1.0]])
    trans_inv = torch.from_numpy(np.concatenate([trans_inv, trans_inv[:1].repeat(batch - len(trans_inv), 0)]))
    K_inv = torch.linalg.inv(K).expand(batch, 3, 3).contiguous()
    root = torch.tensor([[0.1, 0.3, 4.0]]).repeat(batch, 1)
    depth_factor = torch.full((batch, 1), 2.0, dtype=torch.float64)
    return trans_inv, K_inv, root, depth_factor


def hybrik_smpl(mmh, core_folder: Path, smplx_folder: Path) -> torch.nn.Module:
    """HybrIKSMPL as the HybrIK config builds it: neutral SMPL + the H36M regressor appended."""
    return mmh.HybrIKSMPL(
        model_path=str(smplx_folder), extra_joints_regressor=str(core_folder / "J_regressor_h36m.npy")
    )


def compare_hybrik_network(mmh, core_folder, smplx_folder, images, trans_inv, generator) -> list[Row]:
    from core.body_models.smpl import load_smpl
    from core.pipeline.estimate import HybrIK

    theirs = mmh_network(mmh, 34, core_folder, generator)
    with torch.no_grad():  # sharper heatmaps, so uvd spreads away from the centre of the volume
        theirs.head.final_layer.weight.mul_(30.0)
    smpl_layer = hybrik_smpl(mmh, core_folder, smplx_folder).eval()
    ours = HybrIK(load_smpl("neutral", core_folder)).eval()
    ours.load_weights(theirs.state_dict())
    camera = hybrik_camera(len(images), trans_inv)
    with torch.no_grad():
        feat_theirs = theirs.backbone(images)[-1]
        out_theirs = theirs.head(feat_theirs, *camera, smpl_layer)
        feat_ours = ours.backbone(images)
        out_ours = ours(images, *camera)
    batch, ours_uvd = len(images), out_ours.head.uvd
    uvd_theirs = out_theirs["pred_uvd_jts"].reshape(batch, 29, 3)
    xyz_24_theirs = out_theirs["pred_xyz_jts_24"].reshape(batch, 24, 3)
    xyz_17_theirs = out_theirs["pred_xyz_jts_17"].reshape(batch, 17, 3)
    uvd_range = f"uvd in [{float(ours_uvd.min()):.2f}, {float(ours_uvd.max()):.2f}]"
    section = "HybrIK net"
    return [
        Row(section, "backbone features (B, 512, 8, 8)", diff(feat_ours, feat_theirs)),
        Row(section, "pred_uvd_jts (B, 29, 3), normalised", diff(ours_uvd, uvd_theirs), 1e-5, uvd_range),
        Row(section, "pred_phi (B, 23, 2)", diff(out_ours.head.phis, out_theirs["pred_phi"]), 1e-5),
        Row(section, "pred_shape (B, 10)", diff(out_ours.head.betas, out_theirs["pred_shape"]), 1e-5),
        Row(
            section,
            "pred_xyz_jts_24 (B, 24, 3), units of 2 m",
            diff(out_ours.skeleton[:, :24] / 2, xyz_24_theirs),
            1e-5,
        ),
        Row(section, "pred_pose rotmats (B, 24, 3, 3)", diff(out_ours.rotmats, out_theirs["pred_pose"]), 1e-4),
        Row(
            section,
            "vertices (B, 6890, 3), metres",
            diff(out_ours.vertices, out_theirs["pred_vertices"]),
            HYBRIK_TOLERANCE_M,
        ),
        Row(
            section,
            "pred_xyz_jts_17 (B, 17, 3), units of 2 m",
            diff(_h36m_root_relative(out_ours) / 2, xyz_17_theirs),
            1e-4,
        ),
    ]


def _h36m_root_relative(out) -> torch.Tensor:
    return out.joints_h36m - out.joints_h36m[:, :1]


def known_poses(body_model, generator, batch: int = 16):
    """Rotations in a natural range (any global orientation), betas, and the exact twists φ of those rotations."""
    from core.geometry import aa_to_rotmat
    from core.testing.poses import twists_from_rotations

    pose_aa = torch.randn((batch, 24, 3), generator=generator) * 0.35
    pose_aa[:, 0] = torch.randn((batch, 3), generator=generator) * 1.2
    rotmats = aa_to_rotmat(pose_aa.reshape(-1, 3)).reshape(batch, 24, 3, 3)
    betas = torch.randn((batch, 10), generator=generator)
    return rotmats, betas, twists_from_rotations(body_model, rotmats, betas)


def compare_hybrik_ik(mmh, core_folder, smplx_folder, generator) -> list[Row]:
    """IK alone on skeletons posed from known rotations: clean, with 1 cm noise (adaptive branch), and in
    training mode. mmhuman3d's training mode is its "naive HybrIK" branch, a known difference (see docs)."""
    from core.body_models.smpl import load_smpl
    from core.networks.hybrik_ik import solve_pose
    from core.testing.poses import posed_skeleton

    body_model = load_smpl("neutral", core_folder)
    smpl_layer = hybrik_smpl(mmh, core_folder, smplx_folder)
    rotmats, betas, phis = known_poses(body_model, generator)
    with torch.no_grad():
        skeleton = posed_skeleton(body_model, rotmats, betas)
        clean = skeleton - skeleton[:, :1]  # pelvis-relative, as mmhuman3d's HybrIKSMPL takes it
        noisy = clean + torch.randn(clean.shape, generator=generator) * 0.01
    rows = []
    for name, skeleton, train in (
        ("eval, exact skeleton", clean, False),
        ("eval, 1 cm noise", noisy, False),
        ("train mode, exact skeleton", clean, True),
    ):
        smpl_layer.train(train)
        with torch.no_grad():
            theirs = smpl_layer(pose_skeleton=skeleton, betas=betas, phis=phis, global_orient=None)
            ours = solve_pose(body_model, skeleton, betas, phis, train=train)
        rot_theirs = theirs["poses"].reshape(rotmats.shape)
        joints_ours = ours.output.joints - ours.output.joints[:, :1]
        tolerance = None if train else 1e-4
        note = "known difference: mmhuman3d's naive-HybrIK training branch" if train else ""
        section = f"HybrIK IK ({name})"
        rows += [
            Row(section, "rotmats (16, 24, 3, 3)", diff(ours.rotmats, rot_theirs), tolerance, note),
            Row(
                section,
                "vertices (16, 6890, 3), metres",
                diff(ours.output.vertices, theirs["vertices"]),
                None if train else HYBRIK_TOLERANCE_M,
                note,
            ),
            Row(
                section,
                "FK joints, pelvis-relative (16, 24, 3), metres",
                diff(joints_ours, theirs["joints"]),
                None if train else HYBRIK_TOLERANCE_M,
                note,
            ),
            Row(
                section,
                "(mmhuman3d rotmats vs the known rotations)",
                diff(rot_theirs, rotmats),
                None,
                "recovery, not core vs mmhuman3d",
            ),
            Row(
                section,
                "(core rotmats vs the known rotations)",
                diff(ours.rotmats, rotmats),
                None,
                "recovery, not core vs mmhuman3d",
            ),
        ]
    return rows


# ----------------------------------------------------------------------------------------------


def markdown(rows: list[Row], mmh, lines_before: list[str]) -> str:
    out = list(lines_before)
    out += ["| section | quantity | max abs diff | target | verdict | note |", "|---|---|---|---|---|---|"]
    for row in rows:
        target = "" if row.tolerance is None else f"{row.tolerance:g}"
        out.append(
            f"| {row.section} | {row.quantity} | {row.max_abs_diff:.3g} | {target} | {row.verdict} | {row.note} |"
        )
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------
# --speed: time mmhuman3d's modules and core's inference path on the same weights, interleaved


@dataclass
class SpeedRow:
    method: str
    batch: int
    mmhuman3d_ms: float  # median per call
    core_ms: float
    runs: int
    max_vertex_diff_m: float
    mmhuman3d_range_ms: tuple[float, float]  # fastest and slowest call
    core_range_ms: tuple[float, float]

    @property
    def ratio(self) -> float:
        return self.mmhuman3d_ms / self.core_ms


def speed_pairs(mmh, core_folder: Path, smplx_folder: Path, generator, batches: tuple[int, ...]):
    """(method, batch, mmhuman3d's call, core's call, their vertices' difference) for every method and batch."""
    from core.body_models.smpl import load_smpl
    from core.networks import onnx
    from core.pipeline.estimate import HMR, SPIN_GTA, HybrIK, _run_network
    from core.threads import single_threaded

    body_model = load_smpl("neutral", core_folder)
    pairs = []
    for method, model_class, depth in (("HMR", HMR, 50), ("SPIN-GTA", SPIN_GTA, 50), ("HybrIK", HybrIK, 34)):
        theirs = mmh_network(mmh, depth, core_folder, generator)
        if depth == 34:
            with torch.no_grad():  # sharper heatmaps, as in compare_hybrik_network: a skeleton the IK can resolve
                theirs.head.final_layer.weight.mul_(30.0)
        ours = model_class(body_model).eval()
        ours.load_weights(theirs.state_dict())
        onnx.accelerate(ours, "onnxruntime")
        size = 224 if depth == 50 else 256
        if depth == 50:
            smpl_layer = hmr_smpl(mmh, core_folder, smplx_folder)
        else:
            smpl_layer = hybrik_smpl(mmh, core_folder, smplx_folder).eval()
        for batch in batches:
            images = torch.randn((batch, 3, size, size), generator=generator)
            if depth == 50:

                def theirs_call(images=images, theirs=theirs, smpl_layer=smpl_layer):
                    with torch.no_grad():
                        head = theirs.head(theirs.backbone(images)[-1])
                        pose = head["pred_pose"]
                        return smpl_layer(
                            betas=head["pred_shape"], body_pose=pose[:, 1:], global_orient=pose[:, :1], pose2rot=False
                        )["vertices"]

                def ours_call(images=images, ours=ours):
                    with torch.inference_mode(), single_threaded():
                        body = ours.mesh(_run_network(ours, images, None))
                        body_model.regress(body.vertices, "h36m_17")
                        return body.vertices

            else:
                trans_inv = np.tile(np.array([[[1.0, 0.0, 100.0], [0.0, 1.0, 80.0]]], np.float32), (batch, 1, 1))
                camera = hybrik_camera(batch, trans_inv)

                def theirs_call(images=images, theirs=theirs, smpl_layer=smpl_layer, camera=camera):
                    with torch.no_grad():
                        return theirs.head(theirs.backbone(images)[-1], *camera, smpl_layer)["pred_vertices"]

                def ours_call(images=images, ours=ours, camera=camera):
                    with torch.inference_mode(), single_threaded():
                        return ours.solve(_run_network(ours, images, None, hybrik=True), *camera).vertices

            pairs.append((method, batch, theirs_call, ours_call, diff(ours_call(), theirs_call())))
    return pairs


def time_interleaved(theirs_call, ours_call, runs: int) -> tuple[list[float], list[float]]:
    """Seconds of each call, measured alternately (which goes first swaps every round), after one warm-up."""
    import time

    theirs_call(), ours_call()
    seconds = {"theirs": [], "ours": []}
    for index in range(runs):
        order = (("theirs", theirs_call), ("ours", ours_call))
        for name, call in order if index % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            call()
            seconds[name].append(time.perf_counter() - start)
    return seconds["theirs"], seconds["ours"]


def speed(mmh, runs_batch_1: int = 20, runs_batch_16: int = 10) -> list[SpeedRow]:
    generator = torch.Generator().manual_seed(SEED)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        core_folder, smplx_folder = write_standin_files(Path(tmp))
        for method, batch, theirs_call, ours_call, vertex_diff in speed_pairs(
            mmh, core_folder, smplx_folder, generator, (1, 16)
        ):
            runs = runs_batch_1 if batch == 1 else runs_batch_16
            theirs, ours = time_interleaved(theirs_call, ours_call, runs)
            theirs_s, ours_s = statistics.median(theirs), statistics.median(ours)
            rows.append(
                SpeedRow(
                    method,
                    batch,
                    1000 * theirs_s,
                    1000 * ours_s,
                    runs,
                    vertex_diff,
                    (1000 * min(theirs), 1000 * max(theirs)),
                    (1000 * min(ours), 1000 * max(ours)),
                )
            )
            print(
                f"{method} batch {batch}: mmhuman3d {1000 * theirs_s:.1f} ms, core {1000 * ours_s:.1f} ms", flush=True
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", type=Path, help="also write the table as Markdown to this file")
    parser.add_argument("--speed", action="store_true", help="time mmhuman3d's modules against core instead")
    parser.add_argument("--json", type=Path, help="with --speed: write the timings as JSON to this file")
    parser.add_argument("--quick", action="store_true", help="with --speed: fewer runs")
    args = parser.parse_args()
    torch.set_num_threads(2)
    mmh = import_mmhuman3d()
    if args.speed:
        rows = speed(mmh, *((4, 2) if args.quick else (20, 10)))
        if args.json:
            args.json.write_text(json.dumps([{**asdict(row), "ratio": row.ratio} for row in rows], indent=1))
        return
    generator = torch.Generator().manual_seed(SEED)
    photo = cv2.imread(str(EXAMPLE_PHOTO))
    if photo is None:
        raise SystemExit(f"example photo not found: {EXAMPLE_PHOTO}")
    with tempfile.TemporaryDirectory() as tmp:
        core_folder, smplx_folder = write_standin_files(Path(tmp))
        rows, batches = compare_crops(mmh, photo)
        hmr_images = input_batch(batches[224][0], generator)
        rows += compare_hmr(mmh, core_folder, smplx_folder, hmr_images, generator)
        hybrik_images, trans_inv = batches[256]
        rows += compare_hybrik_network(
            mmh, core_folder, smplx_folder, input_batch(hybrik_images, generator), trans_inv, generator
        )
        rows += compare_hybrik_ik(mmh, core_folder, smplx_folder, generator)
    header = [
        f"mmhuman3d {mmh.version}, mmcv {mmh.mmcv_version}, torch {torch.__version__}, smplx "
        f"{_installed_version('smplx')}, numpy {np.__version__}, opencv {cv2.__version__}; float32, CPU",
        "",
    ]
    text = markdown(rows, mmh, header)
    print(text)
    if args.write:
        args.write.write_text(text)
    if any(row.verdict == "EXCEEDS" for row in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
