"""The keypoint-fit method: MediaPipe landmarks → a body in SMPL's layout, in the spirit of SMPLify.

1. Initial pose: HybrIK's analytical inverse kinematics (`core.networks.hybrik_ik`) on MediaPipe's world landmarks
   mapped to HybrIK's 29-joint skeleton (no twist information, so twists start at zero).
2. Initial camera translation: the closed-form least squares that best reprojects the IK pose
   (`core.geometry.fit_translation`, as SPIN's `estimate_translation`).
3. Refinement with Adam: robust (Geman-McClure) 2D reprojection error weighted by landmark visibility,
   agreement with the world landmarks (pelvis-aligned), pose and shape priors, and SMPLify's joint-angle
   limits for elbows and knees. First the camera and global orientation, then everything.

The same refinement starts from any method's output (`FitInit`), as SPIN refines HMR with SMPLify.
Works with SMPL and the open body model: everything goes through `BodyModel` and `core.joints`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from core import joints as joint_sets
from core.body_models import BodyModel
from core.geometry import aa_to_rotmat, fit_translation, project, rotmat_to_aa
from core.networks.hybrik_ik import inverse_kinematics_from_skeleton
from core.pipeline.adam import Adam
from core.threads import single_threaded

MEDIAPIPE = joint_sets.MEDIAPIPE_33
PELVIS_ABOVE_HIPS_M = 0.09  # SMPL's rest pelvis is ~9 cm above its hip joints


@dataclass
class FitConfig:
    """Weights and schedule of the refinement. Residuals are in units of the person's box height."""

    camera_iterations: int = 20  # stage 1: translation + global orientation only
    body_iterations: int = 60  # stage 2: everything
    learning_rate: float = 0.03
    robust_sigma: float = 0.05  # Geman-McClure scale, fraction of the box height
    weight_reprojection: float = 1.0
    weight_world: float = 0.3  # agreement with MediaPipe's metric world landmarks
    weight_pose_prior: float = 2e-3
    weight_shape_prior: float = 1e-3
    weight_angle_limits: float = 1e-2
    min_visibility: float = 0.3  # landmarks below this visibility do not count in 2D
    min_world_weight: float = 0.3  # occluded limbs still follow MediaPipe's 3D guess, softly
    fit_shape: bool = True


@dataclass
class FitInit:
    """A starting point: another method's output, in the same camera (camera-frame points = body + transl)."""

    rotmats: np.ndarray  # (24, 3, 3) local rotations, index 0 = global orientation
    betas: np.ndarray  # (10,)
    transl: np.ndarray  # (3,) metres


@dataclass
class FitResult:
    global_orient: np.ndarray  # (3,) axis-angle, radians
    body_pose: np.ndarray  # (23, 3) axis-angle, radians
    betas: np.ndarray  # (10,)
    transl: np.ndarray  # (3,) camera-frame translation, metres
    vertices: np.ndarray  # (V, 3) camera frame, metres
    joints: np.ndarray  # (24, 3) camera frame, metres
    keypoints_2d: np.ndarray  # (33, 2) fitted MediaPipe points projected to pixels
    reprojection_px: float  # visibility-weighted mean 2D error over used landmarks, pixels
    seconds: float
    losses: list[float] = field(default_factory=list)


@dataclass
class FitPerson:
    """One person's observations: landmarks_px (33, 2) pixels; visibility (33,) in [0, 1]; world_landmarks
    (33, 3) metres, hip-centred, axes as the camera's (x right, y down, z away); box_height in pixels; and
    where to start (None: `initial_guess`)."""

    landmarks_px: np.ndarray
    visibility: np.ndarray
    world_landmarks: np.ndarray
    box_height: float
    init: FitInit | None = None


def prepare_fit(body_model: BodyModel) -> None:
    """Compute once what every fit with `body_model` needs (its folded surface landmarks), e.g. at start-up."""
    body_model.folded_points(joint_sets.MEDIAPIPE_SURFACE_REGRESSOR)


def fit_person(
    body_model: BodyModel,
    landmarks_px: np.ndarray,
    visibility: np.ndarray,
    world_landmarks: np.ndarray,
    K: np.ndarray,
    box_height: float,
    init: FitInit | None = None,
    config: FitConfig = FitConfig(),
) -> FitResult:
    """Fit one person (see FitPerson for the arguments; K (3, 3) intrinsics)."""
    person = FitPerson(landmarks_px, visibility, world_landmarks, box_height, init)
    return fit_people(body_model, [person], K, config)[0]


def fit_people(
    body_model: BodyModel, people: list[FitPerson], K: np.ndarray, config: FitConfig = FitConfig()
) -> list[FitResult]:
    """Fit everyone in one photo together: one optimisation over a batch of people.

    Each person's objective depends only on their own parameters and Adam updates every parameter on its
    own, so this gives each person what fitting them alone gives (tested), for little more than one
    person's time: the loop's cost is the number of operations, not their size.
    """
    if not people:
        return []
    start = time.perf_counter()
    device = body_model.v_template.device
    with single_threaded():  # hundreds of tiny ops per iteration: 0.4 s vs 3.4 s per person on a loaded CPU
        target = _Targets.build(people, K, config, device)
        inits = [
            p.init or initial_guess(body_model, p.landmarks_px, p.visibility, p.world_landmarks, K, config)
            for p in people
        ]
        params = _Params.from_inits(inits, device)
        points_of = _MediaPipePoints(body_model)
        losses = _optimise(body_model, points_of, params, target, config, stage="camera")
        losses += _optimise(body_model, points_of, params, target, config, stage="body")
        with torch.no_grad():
            params = params.detached()
            output, points = _pose(body_model, params)
            projected = project(points + params.transl[:, None], target.K)  # (B, 33, 2)
            error = (projected - target.landmarks_px).norm(dim=-1)
            pose_aa = rotmat_to_aa(output.rotmats).cpu().numpy()  # (B, 24, 3)
    seconds = time.perf_counter() - start
    results = []
    for i in range(len(people)):
        used = target.weights[i] > 0
        weights = target.weights[i][used]
        results.append(
            FitResult(
                global_orient=pose_aa[i, 0],
                body_pose=pose_aa[i, 1:],
                betas=params.betas[i].cpu().numpy(),
                transl=params.transl[i].cpu().numpy(),
                vertices=(output.vertices[i] + params.transl[i]).cpu().numpy(),
                joints=(output.joints[i] + params.transl[i]).cpu().numpy(),
                keypoints_2d=projected[i].cpu().numpy(),
                reprojection_px=float((error[i][used] * weights).sum() / weights.sum()),
                seconds=seconds,
                losses=[step[i] for step in losses],
            )
        )
    return results


def initial_guess(body_model, landmarks_px, visibility, world_landmarks, K, config=FitConfig()) -> FitInit:
    """Pose by analytical IK on the world landmarks, then the translation that best reprojects it."""
    skeleton = skeleton_29_from_mediapipe(world_landmarks)
    rotmats = inverse_kinematics_from_skeleton(body_model, skeleton, reflection_fix=True)
    betas = torch.zeros(1, 10)
    with torch.no_grad():
        rotmats_t = torch.as_tensor(rotmats)[None]
        output = body_model(betas, rotmats_t[:, :1], rotmats_t[:, 1:])
        points = joint_sets.keypoints(body_model, output, "mediapipe_33")  # (1, 33, 3)
    weights = np.where(visibility >= config.min_visibility, visibility, 0.0)
    transl = fit_translation(
        points,
        torch.as_tensor(landmarks_px, dtype=torch.float32)[None],
        torch.as_tensor(K, dtype=torch.float32),
        torch.as_tensor(weights, dtype=torch.float32)[None],
    )[0]
    if not torch.isfinite(transl).all() or transl[2] <= 0.1:  # degenerate (e.g. nothing visible)
        transl = torch.tensor([0.0, 0.0, 3.0])
    return FitInit(rotmats=rotmats, betas=np.zeros(10, np.float32), transl=transl.numpy())


def skeleton_29_from_mediapipe(world: np.ndarray) -> np.ndarray:
    """MediaPipe world landmarks (33, 3) → HybrIK's 29-joint skeleton (29, 3), metres.

    Limb joints are taken as they are; the spine is interpolated between the hip and shoulder centres,
    the head from the ears, hands and toes from the finger and foot landmarks. Only bone directions
    matter to the IK (it keeps the body model's own bone lengths).
    """
    lm = {name: world[i] for i, name in enumerate(MEDIAPIPE)}
    hips = (lm["left_hip"] + lm["right_hip"]) / 2
    shoulders = (lm["left_shoulder"] + lm["right_shoulder"]) / 2
    ears = (lm["left_ear"] + lm["right_ear"]) / 2
    spine = shoulders - hips
    # SMPL's pelvis joint sits above the hip joints, not on the line between them; on that line the
    # pelvis's three bones would be coplanar and its IK rotation could come out as a reflection.
    pelvis = hips + PELVIS_ABOVE_HIPS_M * spine / max(float(np.linalg.norm(spine)), 1e-6)
    points = {
        "pelvis": pelvis,
        "spine_1": hips + 0.25 * spine,
        "spine_2": hips + 0.5 * spine,
        "spine_3": hips + 0.75 * spine,
        "neck": hips + 0.95 * spine,
        "jaw": ears,
        "head": ears + 0.6 * (ears - shoulders),
    }
    for side in ("left", "right"):
        hand = (lm[f"{side}_index"] + lm[f"{side}_pinky"]) / 2
        points.update(
            {
                f"{side}_hip": lm[f"{side}_hip"],
                f"{side}_knee": lm[f"{side}_knee"],
                f"{side}_ankle": lm[f"{side}_ankle"],
                f"{side}_foot": 0.5 * (lm[f"{side}_heel"] + lm[f"{side}_foot_index"]),
                f"{side}_bigtoe": lm[f"{side}_foot_index"],
                f"{side}_collar": 0.5 * (points["neck"] + lm[f"{side}_shoulder"]),
                f"{side}_shoulder": lm[f"{side}_shoulder"],
                f"{side}_elbow": lm[f"{side}_elbow"],
                f"{side}_wrist": lm[f"{side}_wrist"],
                f"{side}_thumb": hand,
                f"{side}_middle": lm[f"{side}_wrist"] + 1.6 * (hand - lm[f"{side}_wrist"]),
            }
        )
    return np.stack([points[name] for name in joint_sets.HYBRIK_29]).astype(np.float32)


# --- internals -------------------------------------------------------------------------------------


@dataclass
class _Targets:
    landmarks_px: torch.Tensor  # (B, 33, 2)
    weights: torch.Tensor  # (B, 33) visibility, 0 below the threshold
    world_weights: torch.Tensor  # (B, 33) visibility, at least config.min_world_weight
    world: torch.Tensor  # (B, 33, 3) hip-centred
    K: torch.Tensor  # (3, 3)
    box_height: torch.Tensor  # (B,)

    @classmethod
    def build(cls, people: list[FitPerson], K, config, device):
        visibility = np.stack([p.visibility for p in people])
        weights = np.where(visibility >= config.min_visibility, visibility, 0.0)
        world_weights = np.maximum(visibility, config.min_world_weight)
        tensor = lambda a: torch.as_tensor(np.asarray(a, np.float32), device=device)  # noqa: E731
        return cls(
            tensor(np.stack([p.landmarks_px for p in people])),
            tensor(weights),
            tensor(world_weights),
            tensor(np.stack([p.world_landmarks for p in people])),
            tensor(K),
            tensor([max(float(p.box_height), 1.0) for p in people]),
        )


@dataclass
class _Params:
    global_orient: torch.Tensor  # (1, 3) axis-angle
    body_pose: torch.Tensor  # (1, 69) axis-angle
    betas: torch.Tensor  # (1, 10)
    transl: torch.Tensor  # (1, 3)

    @classmethod
    def from_inits(cls, inits: list[FitInit], device):
        rotmats = torch.as_tensor(np.stack([init.rotmats for init in inits]), dtype=torch.float32)
        pose_aa = rotmat_to_aa(rotmats.reshape(-1, 3, 3)).reshape(len(inits), 24, 3)
        leaf = lambda a: torch.as_tensor(np.asarray(a, np.float32), device=device).clone().requires_grad_(True)  # noqa: E731
        return cls(
            leaf(pose_aa[:, 0]),
            leaf(pose_aa[:, 1:].reshape(len(inits), -1)),
            leaf(np.stack([init.betas for init in inits])),
            leaf(np.stack([init.transl for init in inits])),
        )

    def detached(self) -> "_Params":
        return _Params(*(t.detach() for t in (self.global_orient, self.body_pose, self.betas, self.transl)))


def _pose(body_model, params):
    """Full forward (vertices for the result) and the 33 MediaPipe points (1, 33, 3)."""
    output = body_model.forward_axis_angle(params.betas, params.global_orient, params.body_pose)
    return output, joint_sets.keypoints(body_model, output, "mediapipe_33")


class _MediaPipePoints:
    """The 33 MediaPipe points of a pose: SMPL joints for the limbs, the surface landmarks folded into the
    skinning (`BodyModel.folded_points`), so the mesh is never posed in the loop.

    Equal to `joints.keypoints(body_model, output, 'mediapipe_33')` (tested), many times cheaper.
    """

    def __init__(self, body_model: BodyModel):
        self.surface = body_model.folded_points(joint_sets.MEDIAPIPE_SURFACE_REGRESSOR)
        stacked = list(joint_sets.SMPL_JOINTS) + list(joint_sets.MEDIAPIPE_SURFACE_21)
        self.order = [stacked.index(name) for name in MEDIAPIPE]  # joints for the 12 limbs, surface otherwise

    def __call__(self, body_model: BodyModel, params: "_Params") -> torch.Tensor:
        pose_aa = torch.cat([params.global_orient, params.body_pose], 1).reshape(-1, 24, 3)
        rotmats = aa_to_rotmat(pose_aa)  # (B, 24, 3, 3)
        joints, surface = body_model.pose_folded_points(params.betas, rotmats, self.surface)
        return torch.cat([joints, surface], 1)[:, self.order]


def _objective(body_model, points_of, params, target: _Targets, config: FitConfig) -> torch.Tensor:
    """Each person's loss (B,): it depends on that person's parameters only."""
    points = points_of(body_model, params)  # (B, 33, 3)
    projected = project(points + params.transl[:, None], target.K)
    residual = (projected - target.landmarks_px) / target.box_height[:, None, None]
    squared = (residual**2).sum(-1)
    sigma2 = config.robust_sigma**2
    reprojection = (target.weights**2 * sigma2 * squared / (sigma2 + squared)).sum(-1) / sigma2

    hip = [MEDIAPIPE.index("left_hip"), MEDIAPIPE.index("right_hip")]
    centred = points - points[:, hip].mean(1, keepdim=True)
    world = ((centred - target.world) ** 2).sum(-1)
    world = (target.world_weights * world).sum(-1) / target.world_weights.sum(-1)

    pose_prior = (params.body_pose**2).sum(-1)
    shape_prior = (params.betas**2).sum(-1)
    # SMPLify's angle prior: elbows and knees bend one way only (body_pose indices of their bend axes).
    bends = params.body_pose[:, [52, 55, 9, 12]] * torch.tensor([1.0, -1.0, -1.0, -1.0])
    angle_limits = torch.exp(bends).pow(2).sum(-1)
    return (
        config.weight_reprojection * reprojection
        + config.weight_world * world / 0.01  # in units of (10 cm)²
        + config.weight_pose_prior * pose_prior
        + config.weight_shape_prior * shape_prior
        + config.weight_angle_limits * angle_limits
    )


def _optimise(body_model, points_of, params: _Params, target, config: FitConfig, stage: str) -> list[list[float]]:
    """Adam on the sum of everyone's losses (each parameter's gradient is its own person's); returns each
    step's losses per person."""
    if stage == "camera":
        variables, iterations = [params.transl, params.global_orient], config.camera_iterations
    else:
        variables = [params.transl, params.global_orient, params.body_pose]
        variables += [params.betas] if config.fit_shape else []
        iterations = config.body_iterations
    optimiser = Adam(variables, lr=config.learning_rate)  # torch.optim.Adam's update (core.pipeline.adam)
    losses = []
    for _ in range(iterations):
        optimiser.zero_grad()
        per_person = _objective(body_model, points_of, params, target, config)
        per_person.sum().backward()
        optimiser.step()
        losses.append(per_person.tolist())
    return losses
