"""Loss terms of the three configs, as mmhuman3d computes them.

HMR / SPIN-GTA (`BodyModelEstimator.compute_*_loss`): keypoint terms sum confidence-weighted element losses
and divide by the number of elements with positive confidence; vertex, pose and betas terms average over the
samples that have SMPL (each term is 0 when nothing counts). HybrIK (`HybrIK_trainer.compute_losses`): MSE of
masked values over all elements, and the uvd L1 divided by the weight sum (`avg_factor`). Config weights
(`LossConfig`) are applied by the caller in `weighted_total`.

Sources: mmhuman3d/models/architectures/mesh_estimator.py (compute_*_loss), hybrik.py (compute_losses),
losses/gan_loss.py (lsgan), losses/prior_loss.py (CameraPriorLoss), utils/geometry.py (project_points).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from core.geometry import HMR_FOCAL_LENGTH, aa_to_rotmat_via_quaternion, weak_cam_to_translation


def project_points(points: torch.Tensor, cam: torch.Tensor, img_res: int, focal_length: float = HMR_FOCAL_LENGTH):
    """points (B, K, 3) metres → (B, K, 2) pixels with the origin at the crop centre (mmhuman3d project_points)."""
    translated = points + weak_cam_to_translation(cam, focal_length, img_res)[:, None]
    return focal_length * translated[..., :2] / translated[..., 2:3]


def confidence_mean(loss: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Σ loss · weight / (number of weighted elements with weight > 0); 0 when there are none.
    loss (B, K, D), weight (B, K) broadcast over D (mmhuman3d repeats the confidence D times)."""
    weight = weight[..., None].expand_as(loss)
    count = int((weight > 0).sum())
    if count == 0:
        return loss.sum() * 0
    return torch.sum(loss * weight) / count


def keypoints3d_loss(pred: torch.Tensor, gt: torch.Tensor, weight: torch.Tensor, pelvis: tuple[int, int]):
    """Smooth-L1 of pelvis-centred keypoints. pred, gt (B, K, 3) metres; weight (B, K); pelvis = the two hip
    indices whose centre is subtracted (right_hip_extra, left_hip_extra in mmhuman3d)."""
    right, left = pelvis
    pred = pred - ((pred[:, right] + pred[:, left]) / 2)[:, None]
    gt = gt - ((gt[:, right] + gt[:, left]) / 2)[:, None]
    return confidence_mean(F.smooth_l1_loss(pred, gt, reduction="none", beta=1.0), weight)


def keypoints2d_loss(
    pred_points: torch.Tensor, cam: torch.Tensor, gt: torch.Tensor, weight: torch.Tensor, img_res: int
):
    """Smooth-L1 in [-1, 1] crop coordinates. pred_points (B, K, 3) metres; gt (B, K, 2) crop pixels, top-left
    origin; weight (B, K). Both sides use img_res − 1 as mmhuman3d does."""
    pred = 2 * project_points(pred_points, cam, img_res) / (img_res - 1)
    gt = 2 * gt / (img_res - 1) - 1
    return confidence_mean(F.smooth_l1_loss(pred, gt, reduction="none", beta=1.0), weight)


def _mean_over_smpl_samples(per_sample: torch.Tensor, has_smpl: torch.Tensor) -> torch.Tensor:
    """per_sample (B,) → mean over the samples with has_smpl > 0 (weighted by has_smpl); 0 when none."""
    valid = has_smpl > 0
    if not bool(valid.any()):
        return per_sample.sum() * 0
    return torch.mean(per_sample[valid] * has_smpl[valid].to(per_sample.dtype))


def vertex_loss(pred_vertices: torch.Tensor, gt_vertices: torch.Tensor, has_smpl: torch.Tensor):
    """L1 averaged over the vertices of samples with SMPL; (B, V, 3) each, has_smpl (B,)."""
    per_vertex = F.l1_loss(pred_vertices, gt_vertices.to(pred_vertices.dtype), reduction="none")
    weight = has_smpl.to(pred_vertices.dtype)[:, None].expand(per_vertex.shape[:2])
    return confidence_mean(per_vertex, weight)


def smpl_pose_loss(pred_rotmats: torch.Tensor, gt_pose_aa: torch.Tensor, has_smpl: torch.Tensor):
    """MSE between rotation matrices, averaged per sample, then over samples with SMPL.
    pred_rotmats (B, 24, 3, 3); gt_pose_aa (B, 24, 3) radians (to matrices by SPIN's batch_rodrigues, as mmhuman3d)."""
    gt_rotmats = aa_to_rotmat_via_quaternion(gt_pose_aa.reshape(-1, 24, 3))
    per_sample = F.mse_loss(pred_rotmats, gt_rotmats, reduction="none").flatten(1).mean(1)
    return _mean_over_smpl_samples(per_sample, has_smpl)


def smpl_betas_loss(pred_betas: torch.Tensor, gt_betas: torch.Tensor, has_smpl: torch.Tensor):
    """MSE averaged per sample, then over samples with SMPL; (B, 10) each."""
    per_sample = F.mse_loss(pred_betas, gt_betas, reduction="none").mean(1)
    return _mean_over_smpl_samples(per_sample, has_smpl)


def camera_prior_loss(cam: torch.Tensor, scale: float):
    """SPIN's prior against a negative or tiny camera scale: mean over the batch of exp(−scale · s)²."""
    return torch.exp(-cam[:, 0] * scale).pow(2).mean()


def lsgan_loss(scores: torch.Tensor, target_is_real: bool):
    """Least-squares GAN: mean (score − 1)² for real, score² for fake."""
    target = torch.ones_like(scores) if target_is_real else torch.zeros_like(scores)
    return F.mse_loss(scores, target)


def uvd_loss(pred_uvd: torch.Tensor, gt_uvd: torch.Tensor, weight: torch.Tensor):
    """HybrIK: L1 of 64 · uvd divided by the weight sum. (B, 29, 3) or (B, 87) each."""
    pred, gt, weight = pred_uvd.reshape(weight.shape), gt_uvd.reshape(weight.shape), weight
    return (torch.abs(64 * pred - 64 * gt) * weight).sum() / weight.sum().clamp_min(1e-12)


def masked_mse(pred: torch.Tensor, gt: torch.Tensor, weight: torch.Tensor):
    """HybrIK's MSE of pred · w against gt · w (so masked entries count as zero error in the mean)."""
    return F.mse_loss(pred * weight, gt * weight)


def weighted_total(terms: dict[str, torch.Tensor], weights: dict[str, float]) -> torch.Tensor:
    """Σ weight · term over the terms whose weight is non-zero; a NaN or inf term raises naming it."""
    total = None
    for name, value in terms.items():
        if not torch.isfinite(value).all():
            raise FloatingPointError(f"loss term {name!r} is {value.item()}; lower the lr or check the data")
        part = weights[name] * value
        total = part if total is None else total + part
    assert total is not None, "no loss terms"
    return total
