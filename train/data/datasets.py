"""Training data: mmhuman3d's MixedDataset sampling over HumanData files, and per-sample targets per method.

Items are `(epoch, position, flat index)` tuples from train.data.sampling.MixedSampler (mmhuman3d's
MixedDataset partitions); each item's augmentation uses its own generator seeded by (seed, epoch,
position), so it does not depend on the worker, the process or a resume. Items; datasets return dicts of numpy arrays
that the default collate stacks. Images are decoded to RGB uint8 and cropped with `core.pipeline.crop`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from torch.utils.data import Dataset

from core.evaluation.human_data import HumanData, load_human_data
from core.pipeline.crop import InputSpec, get_affine_transform, normalize, warp
from train.config import AugmentConfig, DataConfig
from train.data import augment
from train.data.sampling import sample_rng


class BadSampleError(RuntimeError):
    """A sample cannot be read; the message names the file and the sample index."""


# ------------------------------------------------------------------------------------------------
# Shared per-sample pieces
# ------------------------------------------------------------------------------------------------
@dataclass
class Source:
    """One HumanData file and where its images live."""

    name: str
    data: HumanData
    image_dir: Path


def load_sources(config: DataConfig, data_root: Path) -> list[Source]:
    sources = []
    for name, ann_file in config.ann_files.items():
        data = load_human_data(data_root / "preprocessed_datasets" / ann_file)
        sources.append(Source(name, data, data_root / "datasets" / name))
    return sources


def read_image(path: Path, index: int) -> np.ndarray:
    """RGB uint8 (H, W, 3); a missing or unreadable file raises BadSampleError naming it."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise BadSampleError(f"sample {index}: cannot read image {path} (missing or not an image)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def crop(image: np.ndarray, center: np.ndarray, side: float, rot_deg: float, img_res: int):
    """→ (crop uint8 (R, R, 3), affine (2, 3) image → crop), mmhuman3d MeshAffine / HybrIKAffine."""
    affine = get_affine_transform(center, side, rot_deg, (img_res, img_res))
    return warp(image, affine, img_res), affine


def to_chw(image: np.ndarray) -> np.ndarray:
    """Normalised float32 (3, R, R) from an RGB uint8 crop, with core.pipeline.crop's mean/std."""
    return np.ascontiguousarray(normalize(image, InputSpec(size=image.shape[0])).transpose(2, 0, 1), dtype=np.float32)


class _IndexedSources(Dataset):
    """Maps a flat index to (source, local index) and wraps errors with the file and sample index."""

    def __init__(self, sources: list[Source], seed: int, skip_bad_samples: bool):
        self.sources = sources
        self.offsets = np.cumsum([0] + [len(s.data) for s in sources])
        self.seed, self.skip_bad_samples = seed, skip_bad_samples

    @property
    def lengths(self) -> list[int]:
        return [len(s.data) for s in self.sources]

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def locate(self, flat_index: int) -> tuple[int, int]:
        source = int(np.searchsorted(self.offsets, flat_index, side="right") - 1)
        return source, flat_index - int(self.offsets[source])

    def __getitem__(self, item):
        epoch, position, flat_index = item
        source, local = self.locate(flat_index)
        try:
            sample = self.load(self.sources[source], source, local, sample_rng(self.seed, epoch, position))
            sample["valid"] = np.float32(1)
            return sample
        except (BadSampleError, KeyError, ValueError, IndexError) as error:
            message = f"{self.sources[source].data.source}, sample {local}: {error}"
            if not self.skip_bad_samples:
                raise BadSampleError(message) from error
            return self.placeholder(message)

    def load(self, source: Source, source_index: int, index: int, rng: np.random.Generator) -> dict:
        raise NotImplementedError

    def placeholder(self, message: str) -> dict:
        """A zero-weight sample standing in for a bad one (`valid` = 0 is counted by the trainer)."""
        raise NotImplementedError


# ------------------------------------------------------------------------------------------------
# HMR / SPIN-GTA
# ------------------------------------------------------------------------------------------------
class MeshDataset(_IndexedSources):
    """HumanImageDataset training items: crop + keypoints in `convention` + SMPL labels (+ SPIN static fits).

    Returns img (3, R, R); keypoints2d (K, 2) crop pixels and keypoints2d_weight (K,); keypoints3d (K, 3)
    metres and keypoints3d_weight (K,); smpl_pose (24, 3) axis-angle; smpl_betas (10,); has_smpl;
    with static fits also fit_pose (24, 3), fit_betas (10,), has_fit.
    """

    def __init__(
        self,
        sources: list[Source],
        data: DataConfig,
        aug: AugmentConfig,
        joint_names: list[str],
        seed: int,
        fits: dict[str, np.ndarray] | None = None,
    ):
        super().__init__(sources, seed, data.skip_bad_samples)
        self.data_config, self.aug = data, aug
        self.flip_perm = augment.flip_permutation(list(joint_names))
        self.num_joints = len(joint_names)
        self.fits = fits
        self.keypoints = [self._convert_keypoints(s.data) for s in sources]

    def _convert_keypoints(self, data: HumanData) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        converted = {}
        for key in ("keypoints2d", "keypoints3d"):
            if key in data:
                converted[key] = data.keypoints(key, self.data_config.convention)
        return converted

    def load(self, source, source_index, index, rng):
        data, aug, res = source.data, self.aug, self.data_config.img_res
        image = read_image(source.image_dir / data["image_path"][index], index)
        x, y, w, h = data["bbox_xywh"][index][:4]
        center, side = np.array([x + w / 2, y + h / 2]), float(max(w, h))
        kp2d, kp2d_weight = self._keypoints(source_index, "keypoints2d", index)
        kp3d, kp3d_weight = self._keypoints(source_index, "keypoints3d", index)
        pose, betas, has_smpl = _smpl_labels(data, index)
        fit = self._fit(source.name, index)
        if aug.noise_factor > 0:
            image = augment.channel_noise(image, aug.noise_factor, rng)
        flipped = rng.random() <= aug.flip_prob
        if flipped:
            width = image.shape[1]
            image, center = augment.flip_image(image), np.array([width - 1 - center[0], center[1]])
            kp2d, kp2d_weight = augment.flip_keypoints2d(kp2d, self.flip_perm, width), kp2d_weight[self.flip_perm]
            kp3d, kp3d_weight = augment.flip_keypoints3d(kp3d, self.flip_perm), kp3d_weight[self.flip_perm]
            pose = augment.flip_smpl_pose(pose)
            fit = None if fit is None else (augment.flip_smpl_pose(fit[0]), fit[1])
        scale, rot = augment.random_scale_rotation(rng, aug.scale_factor, aug.rot_factor, aug.rot_prob)
        patch, affine = crop(image, center, side * scale, rot, res)
        kp2d = np.where(kp2d_weight[:, None] > 0, augment.transform_points(kp2d, affine), kp2d)
        pose[0] = augment.rotate_global_orient(pose[0], rot)
        sample = dict(
            img=to_chw(patch),
            keypoints2d=kp2d.astype(np.float32),
            keypoints2d_weight=kp2d_weight.astype(np.float32),
            keypoints3d=augment.rotate_keypoints3d(kp3d, rot),
            keypoints3d_weight=kp3d_weight.astype(np.float32),
            smpl_pose=pose.astype(np.float32),
            smpl_betas=betas.astype(np.float32),
            has_smpl=np.float32(has_smpl),
            is_flipped=np.float32(flipped),
            rotation=np.float32(rot),
        )
        if self.fits is not None:
            sample.update(self._fit_fields(fit, rot))
        return sample

    def _keypoints(self, source_index: int, key: str, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(K, 2 or 3) coordinates and (K,) weight = confidence × the file's joint mask."""
        dims = 2 if key == "keypoints2d" else 3
        if key not in self.keypoints[source_index]:
            return np.zeros((self.num_joints, dims)), np.zeros(self.num_joints)
        kps, mask = self.keypoints[source_index][key]
        row = np.asarray(kps[index], dtype=np.float64)
        return row[:, :dims].copy(), row[:, -1] * mask

    def _fit(self, dataset_name: str, index: int):
        if self.fits is None:
            return None
        params = self.fits[dataset_name][index]  # (82,) = pose 72 + betas 10, SPIN's layout
        return params[:72].reshape(24, 3).copy(), params[72:82].copy()

    @staticmethod
    def _fit_fields(fit, rot: float) -> dict:
        pose, betas = fit
        pose = pose.copy()
        pose[0] = augment.rotate_global_orient(pose[0], rot)
        # Extreme fitted shapes are replaced by the mean shape in the trainer, for the betas loss only (as
        # mmhuman3d's run_registration, which poses the fit's vertices before that replacement).
        return dict(fit_pose=pose.astype(np.float32), fit_betas=betas.astype(np.float32), has_fit=np.float32(1))

    def placeholder(self, message):
        k, res = self.num_joints, self.data_config.img_res
        sample = dict(
            img=np.zeros((3, res, res), np.float32),
            keypoints2d=np.zeros((k, 2), np.float32),
            keypoints2d_weight=np.zeros(k, np.float32),
            keypoints3d=np.zeros((k, 3), np.float32),
            keypoints3d_weight=np.zeros(k, np.float32),
            smpl_pose=np.zeros((24, 3), np.float32),
            smpl_betas=np.zeros(10, np.float32),
            has_smpl=np.float32(0),
            is_flipped=np.float32(0),
            rotation=np.float32(0),
            valid=np.float32(0),
        )
        if self.fits is not None:
            sample.update(
                fit_pose=np.zeros((24, 3), np.float32), fit_betas=np.zeros(10, np.float32), has_fit=np.float32(0)
            )
        return sample


def _smpl_labels(data: HumanData, index: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(24, 3) axis-angle pose, (10,) betas and has_smpl of one sample (zeros and 0 when the file has none)."""
    if "smpl" not in data:
        return np.zeros((24, 3)), np.zeros(10), 0.0
    smpl = data["smpl"]
    if "thetas" in smpl:
        pose = np.asarray(smpl["thetas"][index], np.float64).reshape(24, 3).copy()
    else:
        orient = np.asarray(smpl["global_orient"][index], np.float64).reshape(1, 3)
        pose = np.concatenate([orient, np.asarray(smpl["body_pose"][index], np.float64).reshape(23, 3)])
    has_smpl = data.fields.get("has_smpl", smpl.get("has_smpl", np.ones(len(data))))
    return pose, np.asarray(smpl["betas"][index], np.float64).reshape(10).copy(), float(np.asarray(has_smpl)[index])


def load_static_fits(sources: list[Source], data_root: Path) -> dict[str, np.ndarray]:
    """SPIN static fits `static_fits/<name>_fits.npy` (N, 82) per dataset, including GTA's `gta_fits.npy`
    (mmhuman3d's FitsDict lacks the 'gta' entry and would fail with a KeyError on GTA samples)."""
    fits = {}
    for source in sources:
        path = data_root / "static_fits" / f"{source.name}_fits.npy"
        if not path.is_file():
            raise FileNotFoundError(
                f"static fits for '{source.name}' not found: {path}. Fetch them with `python -m "
                f"core.weights fetch {source.name}_fits.npy` (docs/data.md), or set data.static_fits=false"
            )
        array = np.load(path, allow_pickle=False)
        if array.ndim != 2 or array.shape[1] != 82 or len(array) != len(source.data):
            raise ValueError(f"{path}: expected ({len(source.data)}, 82) pose+betas, got {array.shape}")
        fits[source.name] = array
    return fits


class AdversarialPoses:
    """HMR's mocap set (cmu_mosh.npz): real SMPL bodies for the discriminator, one random draw per item."""

    def __init__(self, path: Path, seed: int):
        data = load_human_data(path)
        orient = np.asarray(data.smpl("global_orient"), np.float32).reshape(-1, 1, 3)
        self.pose = np.concatenate([orient, np.asarray(data.smpl("body_pose"), np.float32).reshape(-1, 23, 3)], 1)
        self.betas = np.asarray(data.smpl("betas"), np.float32).reshape(-1, 10)
        self.seed = seed

    def draw(self, epoch: int, position: int) -> dict:
        index = int(np.random.default_rng([self.seed, epoch, position, 1]).integers(len(self.pose)))
        return dict(adv_pose=self.pose[index], adv_betas=self.betas[index])


class WithAdversarial(Dataset):
    """Adds one mocap draw under `adv_` to each item (mmhuman3d AdversarialDataset)."""

    def __init__(self, dataset: MeshDataset, poses: AdversarialPoses):
        self.dataset, self.poses = dataset, poses

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, item):
        sample = self.dataset[item]
        sample.update(self.poses.draw(item[0], item[1]))
        return sample


# ------------------------------------------------------------------------------------------------
# HybrIK
# ------------------------------------------------------------------------------------------------
class HybrIKDataset(_IndexedSources):
    """HybrIK training items (mmhuman3d HybrIKHumanImageDataset + GenerateHybrIKTarget, SMPL samples).

    Needs per sample in the HumanData file: `bbox_xywh` (really xyxy + conf, as the converters write it),
    `image_width`/`image_height`, `keypoints3d` (29 in hybrik_29 after conversion: u, v image pixels,
    d = depth relative to the root in the file's unit, conf), `smpl` {`thetas` (24, 3), `betas` (10,)},
    optional `phi` (23, 2) and `phi_weight` (23, 2) twist targets, `root_cam` (3,), `cam_param` {`intrinsic` K⁻¹}
    and optionally `depth_factor` (default config.data.depth_factor).
    Returns img; target_uvd_29 (29, 3) and target_weight_29; target_theta (24, 4) quaternions (w, x, y, z);
    target_beta; target_twist and target_twist_weight (23, 2); trans_inv (2, 3); intrinsic_param (3, 3);
    joint_root (3,); depth_factor.
    """

    def __init__(
        self,
        sources: list[Source],
        data: DataConfig,
        aug: AugmentConfig,
        joint_names: list[str],
        seed: int,
        dpg_scale_mult: float = 1.0,
    ):
        super().__init__(sources, seed, data.skip_bad_samples)
        self.data_config, self.aug = data, aug
        self.flip_perm = augment.flip_permutation(list(joint_names))
        self.dpg_scale_mult = dpg_scale_mult
        self.uvd = [s.data.keypoints("keypoints3d", data.convention) for s in sources]

    def load(self, source, source_index, index, rng):
        data, aug, res = source.data, self.aug, self.data_config.img_res
        image = read_image(source.image_dir / data["image_path"][index], index)
        box = np.asarray(data["bbox_xywh"][index][:4], np.float64)  # xyxy despite the name
        kps, mask = self.uvd[source_index]
        uvd, vis = np.asarray(kps[index][:, :3], np.float64).copy(), kps[index][:, -1] * mask
        pose, betas, has_smpl = _smpl_labels(data, index)
        twist, twist_weight = _twist_targets(data, index)
        box, center, side = self._box(box, data, index, rng)
        scale, rot = augment.random_scale_rotation(rng, aug.scale_factor, aug.rot_factor, aug.rot_prob)
        side *= scale
        if rng.random() <= aug.occlusion_prob:
            image = augment.random_occlusion(image, box, rng)
        if rng.random() <= aug.flip_prob:
            width = image.shape[1]
            image, center = augment.flip_image(image), np.array([width - 1 - center[0], center[1]])
            uvd, vis = augment.flip_keypoints2d(uvd, self.flip_perm, width), vis[self.flip_perm]
            pose = augment.flip_smpl_pose(pose)
            twist, twist_weight = _flip_twist(twist, twist_weight)
        patch, affine = crop(image, center, side, rot, res)
        uvd[:, :2] = np.where(vis[:, None] > 0, augment.transform_points(uvd[:, :2], affine), uvd[:, :2])
        pose[0] = augment.rotate_global_orient(pose[0], rot)
        if aug.noise_after_crop and aug.noise_factor > 0:  # on the float32 crop, unsaturated (HybrIKAffine's output)
            patch = augment.channel_noise(patch.astype(np.float32), aug.noise_factor, rng)
        depth_factor = float(
            np.asarray(data.fields.get("depth_factor", [self.data_config.depth_factor] * len(data)))[index]
        )
        target_uvd, target_weight = _uvd_targets(uvd, vis, res, depth_factor)
        return dict(
            img=to_chw(patch),
            target_uvd_29=target_uvd,
            target_weight_29=target_weight,
            target_theta=_aa_to_quat(pose).astype(np.float32),
            target_beta=betas.astype(np.float32),
            target_smpl_weight=np.float32(has_smpl),
            target_twist=twist.astype(np.float32),
            target_twist_weight=twist_weight.astype(np.float32),
            trans_inv=get_affine_transform(center, side, rot, (res, res), inv=True).astype(np.float32),
            intrinsic_param=np.asarray(data["cam_param"]["intrinsic"][index], np.float32).reshape(3, 3),
            joint_root=np.asarray(data["root_cam"][index], np.float32).reshape(3),
            depth_factor=np.float32(depth_factor),
        )

    def _box(self, box, data, index, rng):
        """Box → (box xyxy, centre, side): RandomDPG (no 1.25 enlargement after DPG, as mmhuman3d) or box2cs × 1.25."""
        if rng.random() <= self.aug.dpg_prob:
            size = (int(data["image_width"][index]), int(data["image_height"][index]))
            box = augment.random_dpg(box, size, rng)
            mult = self.dpg_scale_mult
        else:
            mult = 1.25
        width, height = box[2] - box[0], box[3] - box[1]
        return box, np.array([box[0] + width / 2, box[1] + height / 2]), max(width, height) * mult

    def placeholder(self, message):
        res = self.data_config.img_res
        zeros = lambda *shape: np.zeros(shape, np.float32)  # noqa: E731
        return dict(
            img=zeros(3, res, res),
            target_uvd_29=zeros(29, 3),
            target_weight_29=zeros(29, 3),
            target_theta=np.tile(np.float32([1, 0, 0, 0]), (24, 1)),
            target_beta=zeros(10),
            target_smpl_weight=np.float32(0),
            target_twist=zeros(23, 2),
            target_twist_weight=zeros(23, 2),
            trans_inv=zeros(2, 3),
            intrinsic_param=np.eye(3, dtype=np.float32),
            joint_root=np.float32([0, 0, 1]),
            depth_factor=np.float32(self.data_config.depth_factor),
            valid=np.float32(0),
        )


def _uvd_targets(uvd: np.ndarray, vis: np.ndarray, img_res: int, depth_factor: float):
    """GenerateHybrIKTarget: u, v / img_res − 0.5 and d / depth_factor; joints outside [-0.5, 0.5] get weight 0."""
    target = np.stack([uvd[:, 0] / img_res - 0.5, uvd[:, 1] / img_res - 0.5, uvd[:, 2] / depth_factor], 1)
    weight = np.repeat((vis > 0).astype(np.float32)[:, None], 3, 1)
    weight[(np.abs(target) > 0.5).any(1)] = 0
    return target.astype(np.float32), weight


def _twist_targets(data: HumanData, index: int) -> tuple[np.ndarray, np.ndarray]:
    """(23, 2) twist (cos φ, sin φ) and its weight; files without `phi` (e.g. COCO) get weight 0."""
    if "phi" not in data:
        return np.zeros((23, 2)), np.zeros((23, 2))
    twist = np.asarray(data["phi"][index], np.float64).reshape(23, 2).copy()
    weight = data.fields.get("phi_weight")
    weight = np.ones((23, 2)) if weight is None else np.asarray(weight[index], np.float64).reshape(23, 2).copy()
    return twist, weight


def _flip_twist(twist: np.ndarray, weight: np.ndarray):
    """Mirror: sin φ changes sign and left/right body joints swap (joint j ↔ SMPL_JOINT_FLIP[j], index j − 1)."""
    perm = [augment.SMPL_JOINT_FLIP[j] - 1 for j in range(1, 24)]
    flipped = twist[perm].copy()
    flipped[:, 1] = -flipped[:, 1]
    return flipped, weight[perm].copy()


def _aa_to_quat(pose_aa: np.ndarray) -> np.ndarray:
    """(24, 3) axis-angle → (24, 4) quaternions (w, x, y, z) with w = cos(θ/2) ≥ 0 (mmhuman3d aa_to_quat_numpy)."""
    angle = np.linalg.norm(pose_aa, axis=-1, keepdims=True)
    small = angle < 1e-6
    safe = np.where(small, 1.0, angle)
    sin_over = np.where(small, 0.5 - angle**2 / 48, np.sin(angle / 2) / safe)
    return np.concatenate([np.cos(angle / 2), pose_aa * sin_over], -1)
