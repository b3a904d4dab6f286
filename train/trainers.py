"""Per-method training maths: `forward_step` and `compute_loss` on top of train.trainer.BaseTrainer.

MeshTrainer (HMR, SPIN-GTA) follows mmhuman3d's ImageBodyModelEstimator.train_step: discriminator step
first (HMR), then the supervised terms on the SMPL output of the prediction, plus the generator's
adversarial term. With static fits (SPIN-GTA) the SMPL targets are the fits where a sample has no GT
SMPL. HybrIKTrainer follows HybrIK_trainer.compute_losses with the IK in training mode (mmhuman3d's "naive"
branch by default, `loss.theta_ik=hybrik` for the original HybrIK's).
"""

from __future__ import annotations

import torch

from core.geometry import aa_to_rotmat_via_quaternion, rotmat_to_quat_largest_component
from core.networks.hybrik_head import root_relative_skeleton
from core.networks.hybrik_ik import inverse_kinematics, rest_skeleton
from train import losses
from train.trainer import BaseTrainer


class MeshTrainer(BaseTrainer):
    """HMR and SPIN-GTA. Needs `body_model` and `keypoint_fn(body_model, output) -> (B, K, 3)` in the data's
    convention, and `pelvis` = indices of (right_hip_extra, left_hip_extra) in it."""

    def __init__(self, *args, keypoint_fn, pelvis: tuple[int, int], loss_joints: torch.Tensor | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        assert self.body_model is not None, "HMR/SPIN training needs a body model"
        self.keypoint_fn, self.pelvis = keypoint_fn, pelvis
        # (K,) 1 for joints that enter the keypoint losses; mmhuman3d leaves out smpl_49's 25 OpenPose joints.
        self.loss_joints = None if loss_joints is None else loss_joints.to(self.device, self.dtype)

    def forward_step(self, batch):
        return self.generator(batch["img"])

    def auxiliary_step(self, prediction, batch):
        if self.disc is None:
            return {}
        return {"disc_loss": self.discriminator_step(prediction, batch)}

    def discriminator_step(self, prediction, batch) -> float:
        """LSGAN: mocap bodies → 1, detached predictions → 0 (the discriminator loss carries no weight)."""
        real_rotmats = aa_to_rotmat_via_quaternion(batch["adv_pose"].to(self.dtype))  # as SMPLDiscriminator.forward
        real = self.disc(real_rotmats, batch["adv_betas"].to(self.dtype))
        fake = self.disc(prediction.rotmats.detach().to(self.dtype), prediction.betas.detach().to(self.dtype))
        loss = losses.lsgan_loss(real, True) + losses.lsgan_loss(fake, False)
        self.optimizers["disc"].zero_grad(set_to_none=True)
        loss.backward()
        self.optimizers["disc"].step()
        return float(loss.detach())

    def compute_loss(self, prediction, batch):
        cfg, res = self.config.loss, self.config.data.img_res
        rotmats, betas, cam = (
            prediction.rotmats.to(self.dtype),
            prediction.betas.to(self.dtype),
            prediction.cam_weak.to(self.dtype),
        )
        output = self.body_model(betas, rotmats[:, :1], rotmats[:, 1:])
        pred_kp = self.keypoint_fn(self.body_model, output)
        gt_pose, gt_betas, has_smpl = self.smpl_targets(batch)
        with torch.no_grad():
            gt_vertices = self.body_model.forward_axis_angle(gt_betas, gt_pose[:, 0], gt_pose[:, 1:]).vertices
        gt_betas = self.betas_target(batch, gt_betas)
        weight3d, weight2d = batch["keypoints3d_weight"], batch["keypoints2d_weight"]
        if self.loss_joints is not None:
            weight3d, weight2d = weight3d * self.loss_joints, weight2d * self.loss_joints
        terms = {
            "keypoints3d": losses.keypoints3d_loss(pred_kp, batch["keypoints3d"], weight3d, self.pelvis),
            "keypoints2d": losses.keypoints2d_loss(pred_kp, cam, batch["keypoints2d"], weight2d, res),
            "vertex": losses.vertex_loss(output.vertices, gt_vertices, has_smpl),
            "smpl_pose": losses.smpl_pose_loss(rotmats, gt_pose, has_smpl),
            "smpl_betas": losses.smpl_betas_loss(betas, gt_betas, has_smpl),
        }
        if cfg.camera_prior:
            terms["camera_prior"] = losses.camera_prior_loss(cam, cfg.camera_prior_scale)
        if self.disc is not None and cfg.adversarial:
            terms["adversarial"] = self.generator_adversarial_loss(rotmats, betas)
        weights = {name: getattr(cfg, name) for name in terms}
        return terms, losses.weighted_total(terms, weights)

    def smpl_targets(self, batch):
        """GT SMPL where the sample has it, else the static fit (SPIN); has_smpl becomes 'GT or fit'."""
        pose, betas, has_smpl = (batch[key].to(self.dtype) for key in ("smpl_pose", "smpl_betas", "has_smpl"))
        if "has_fit" not in batch:
            return pose, betas, has_smpl
        use_gt = has_smpl > 0
        pose = torch.where(use_gt[:, None, None], pose, batch["fit_pose"].to(self.dtype))
        betas = torch.where(use_gt[:, None], betas, batch["fit_betas"].to(self.dtype))
        return pose, betas, torch.maximum(has_smpl, batch["has_fit"].to(self.dtype))

    @staticmethod
    def betas_target(batch, betas):
        """The betas loss's target: static fits with an extreme shape (any |beta| > 3) get the mean shape, as
        SPIN and mmhuman3d's run_registration do (after the fit's vertices were posed with it)."""
        if "has_fit" not in batch:
            return betas
        from_fit = batch["has_smpl"] <= 0
        extreme = (betas.abs() > 3).any(dim=1)
        return torch.where((from_fit & extreme)[:, None], torch.zeros_like(betas), betas)

    def generator_adversarial_loss(self, rotmats, betas):
        for parameter in self.disc.parameters():
            parameter.requires_grad_(False)
        try:
            return losses.lsgan_loss(self.disc(rotmats, betas), True)
        finally:
            for parameter in self.disc.parameters():
                parameter.requires_grad_(True)


class HybrIKTrainer(BaseTrainer):
    """HybrIK: uvd L1, betas MSE, quaternion theta MSE (IK in training mode), twist MSE."""

    def forward_step(self, batch):
        return self.generator(batch["img"])

    def compute_loss(self, prediction, batch):
        cfg = self.config.loss
        smpl_weight = batch["target_smpl_weight"].to(self.dtype)[:, None]
        uvd, betas, phis = (
            prediction.uvd.to(self.dtype),
            prediction.betas.to(self.dtype),
            prediction.phis.to(self.dtype),
        )
        terms = {
            "uvd": losses.uvd_loss(uvd, batch["target_uvd_29"], batch["target_weight_29"]),
            "beta": losses.masked_mse(betas, batch["target_beta"], smpl_weight),
            "twist": losses.masked_mse(phis, batch["target_twist"], batch["target_twist_weight"]),
        }
        if cfg.theta:
            quats = self.predicted_quaternions(uvd, betas, phis, batch)  # (B, 24, 4)
            terms["theta"] = losses.masked_mse(quats, batch["target_theta"], smpl_weight[:, :, None])
        weights = {name: getattr(cfg, name) for name in terms}
        return terms, losses.weighted_total(terms, weights)

    def predicted_quaternions(self, uvd, betas, phis, batch):
        """Back-project uvd with the sample's crop, K⁻¹ and root, solve the IK (training mode) → (B, 24, 4)."""
        assert self.body_model is not None, "HybrIK's theta loss needs a body model"
        camera = (batch[key].to(self.dtype) for key in ("trans_inv", "intrinsic_param", "joint_root"))
        depth_factor = batch["depth_factor"].to(self.dtype)[:, None]
        skeleton = root_relative_skeleton(uvd, *camera, depth_factor)  # (B, 29, 3) metres
        rest = rest_skeleton(self.body_model, betas)
        rotmats = inverse_kinematics(skeleton, phis, rest, train=True, naive=self.config.loss.theta_ik == "naive")
        return rotmat_to_quat_largest_component(rotmats)
