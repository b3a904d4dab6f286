"""Rotations, cameras and projection: pure functions, each formula written once.

Conventions used across the project:
- 3D points are in metres, camera frame x right, y down, z forward (OpenCV).
- 2D points are pixels with the origin at the top-left corner of the image and no half-pixel shift
  (mmhuman3d's crops use the same convention).
- Rotation matrices act on column vectors; `pose_aa` is axis-angle (radians), quaternions are (w, x, y, z).
- `cam_weak` is HMR's weak-perspective crop camera (s, tx, ty); `cam_t` is a translation in metres.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from smplx.lbs import batch_rodrigues
from torch.nn import functional as F

# HMR / SPIN crop camera (mmhuman3d `project_points`, demo renderer).
HMR_FOCAL_LENGTH = 5000.0
HMR_IMG_RES = 224
# Default field of view for in-the-wild photos: focal length = image diagonal in pixels (as CLIFF
# assumes), i.e. a diagonal field of view of 2·atan(1/2) = 53.13°.
DEFAULT_FOV_DEG = math.degrees(2.0 * math.atan(0.5))


# ---------------------------------------------------------------------------------------------
# Rotations
# ---------------------------------------------------------------------------------------------
def _roma():
    """roma, imported on first use, which is only in training: importing it imports torch._dynamo, about a second
    that a first photo would otherwise wait for."""
    import roma

    return roma


def aa_to_rotmat(pose_aa: torch.Tensor) -> torch.Tensor:
    """Axis-angle (..., 3) → rotation matrices (..., 3, 3), with SMPL's own Rodrigues (smplx)."""
    flat = pose_aa.reshape(-1, 3)
    return batch_rodrigues(flat).reshape(*pose_aa.shape[:-1], 3, 3)


def aa_to_rotmat_exact(pose_aa: torch.Tensor) -> torch.Tensor:
    """Axis-angle (..., 3) → rotation matrices (..., 3, 3) by |θ| about θ/|θ|, with no offset, by pytorch3d's recipe
    (`axis_angle_to_matrix`, which mmhuman3d.utils.transforms.aa_to_rotmat calls): the half-angle quaternion, then
    its matrix. `aa_to_rotmat` (smplx) takes |θ + 1e-8| and differs from it by ~1e-8."""
    angle = torch.linalg.vector_norm(pose_aa, dim=-1, keepdim=True)
    quat = torch.cat([torch.cos(angle / 2), pose_aa * _sin_half_over_angle(angle)], dim=-1)
    return _quat_matrix(quat)


def aa_to_rotmat_via_quaternion(pose_aa: torch.Tensor) -> torch.Tensor:
    """Axis-angle (..., 3) → rotation matrices (..., 3, 3) by SPIN's `batch_rodrigues` (mmhuman3d/utils/geometry.py),
    which mmhuman3d's SMPL pose loss and discriminator use: angle = |θ + 1e-8|, the half-angle quaternion,
    normalised. The 1e-8 makes it differ from `aa_to_rotmat` by ~1e-8 (visible only in float64)."""
    angle = torch.norm(pose_aa + 1e-8, dim=-1, keepdim=True)
    quat = torch.cat([torch.cos(angle / 2), torch.sin(angle / 2) * pose_aa / angle], dim=-1)
    return quat_to_rotmat(quat)


def rotmat_to_aa(rotmat: torch.Tensor) -> torch.Tensor:
    """Rotation matrices (..., 3, 3) → axis-angle (..., 3), radians in [0, π], by pytorch3d's recipe
    (`matrix_to_axis_angle`, which mmhuman3d.utils.transforms.rotmat_to_aa calls): the quaternion
    (`rotmat_to_quat_largest_component`), then angle 2·atan2(|xyz|, w) about xyz."""
    quat = rotmat_to_quat_largest_component(rotmat)
    angle = 2 * torch.atan2(torch.linalg.vector_norm(quat[..., 1:], dim=-1, keepdim=True), quat[..., :1])
    return quat[..., 1:] / _sin_half_over_angle(angle)


def _sin_half_over_angle(angle: torch.Tensor) -> torch.Tensor:
    """sin(θ/2) / θ for angles (..., 1), by its Taylor series near 0 (where the ratio is 0/0)."""
    small = angle.abs() < 1e-6
    safe = torch.where(small, torch.ones_like(angle), angle)
    return torch.where(small, 0.5 - angle * angle / 48, torch.sin(safe / 2) / safe)


def _quat_matrix(quat: torch.Tensor) -> torch.Tensor:
    """Quaternions (..., 4) as (w, x, y, z), of any length → rotation matrices (..., 3, 3) (scaled by 2 / |q|²)."""
    w, x, y, z = torch.unbind(quat, dim=-1)
    two_s = 2.0 / (quat * quat).sum(dim=-1)
    matrix = torch.stack(
        [
            1 - two_s * (y * y + z * z),
            two_s * (x * y - z * w),
            two_s * (x * z + y * w),
            two_s * (x * y + z * w),
            1 - two_s * (x * x + z * z),
            two_s * (y * z - x * w),
            two_s * (x * z - y * w),
            two_s * (y * z + x * w),
            1 - two_s * (x * x + y * y),
        ],
        dim=-1,
    )
    return matrix.reshape(quat.shape[:-1] + (3, 3))


def rotmat_to_quat(rotmat: torch.Tensor) -> torch.Tensor:
    """Rotation matrices (..., 3, 3) → unit quaternions (..., 4) as (w, x, y, z), w ≥ 0."""
    roma = _roma()
    quat = roma.quat_xyzw_to_wxyz(roma.rotmat_to_unitquat(rotmat))
    return torch.where(quat[..., :1] < 0, -quat, quat)


def rotmat_to_quat_largest_component(rotmat: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) → (..., 4) (w, x, y, z), w ≥ 0, by pytorch3d's `matrix_to_quaternion` recipe (which mmhuman3d's
    rotmat_to_quat calls): four candidates, keep the one built around the largest of |w|, |x|, |y|, |z|.

    Equal to `rotmat_to_quat` for rotation matrices; for matrices that are only nearly orthonormal (HybrIK's
    training-mode IK output, off by ~1e-3) the two recipes differ by ~1e-4, so HybrIK's theta loss uses this one.
    """
    batch_dim = rotmat.shape[:-2]
    m00, m01, m02, m10, m11, m12, m20, m21, m22 = torch.unbind(rotmat.reshape(batch_dim + (9,)), dim=-1)
    q_abs = torch.sqrt(
        torch.clamp(
            torch.stack(
                [1.0 + m00 + m11 + m22, 1.0 + m00 - m11 - m22, 1.0 - m00 + m11 - m22, 1.0 - m00 - m11 + m22], -1
            ),
            min=0,
        )
    )
    by_component = torch.stack(
        [
            torch.stack([q_abs[..., 0] ** 2, m21 - m12, m02 - m20, m10 - m01], dim=-1),
            torch.stack([m21 - m12, q_abs[..., 1] ** 2, m10 + m01, m02 + m20], dim=-1),
            torch.stack([m02 - m20, m10 + m01, q_abs[..., 2] ** 2, m12 + m21], dim=-1),
            torch.stack([m10 - m01, m20 + m02, m21 + m12, q_abs[..., 3] ** 2], dim=-1),
        ],
        dim=-2,
    )
    candidates = by_component / (2.0 * q_abs[..., None].clamp_min(0.1))
    best = torch.nn.functional.one_hot(q_abs.argmax(dim=-1), num_classes=4) > 0.5
    quat = candidates[best, :].reshape(batch_dim + (4,))
    return torch.where(quat[..., :1] < 0, -quat, quat)


def quat_to_rotmat(quat: torch.Tensor) -> torch.Tensor:
    """Quaternions (..., 4) as (w, x, y, z), normalised first → rotation matrices (..., 3, 3)."""
    unit = quat / quat.norm(dim=-1, keepdim=True)
    roma = _roma()
    return roma.unitquat_to_rotmat(roma.quat_wxyz_to_xyzw(unit))


def rot6d_to_rotmat(pose_6d: torch.Tensor) -> torch.Tensor:
    """mmhuman3d / SPIN 6D decoding: (..., 6) → (..., 3, 3).

    Each 6-vector is read as a row-major 3×2 matrix, so its columns are a1 = elements (0, 2, 4) and
    a2 = (1, 3, 5); Gram–Schmidt gives b1, b2 and b3 = b1 × b2, the columns of R. (4D-Humans reads
    the transposed layout; its checkpoints are not compatible.)
    """
    x = pose_6d.reshape(-1, 3, 2)
    a1, a2 = x[:, :, 0], x[:, :, 1]
    b1 = F.normalize(a1)
    b2 = F.normalize(a2 - torch.einsum("bi,bi->b", b1, a2).unsqueeze(-1) * b1)
    b3 = torch.cross(b1, b2, dim=1)
    return torch.stack((b1, b2, b3), dim=-1).reshape(*pose_6d.shape[:-1], 3, 3)


def rotmat_to_rot6d(rotmat: torch.Tensor) -> torch.Tensor:
    """Inverse of `rot6d_to_rotmat`: the first two columns, row-major, (..., 3, 3) → (..., 6)."""
    return rotmat[..., :, :2].reshape(*rotmat.shape[:-2], 6)


# ---------------------------------------------------------------------------------------------
# Procrustes (mmhuman3d `compute_similarity_transform`, the HMR/SPIN version)
# ---------------------------------------------------------------------------------------------
def similarity_transform_np(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Align `source` (N, 3) to `target` (N, 3) by scale, rotation (reflection-corrected) and translation.

    Returns the aligned source (N, 3), exactly as mmhuman3d's `compute_similarity_transform`.
    """
    s1, s2 = source.T, target.T  # (3, N)
    mu1 = s1.mean(axis=1, keepdims=True)
    mu2 = s2.mean(axis=1, keepdims=True)
    x1, x2 = s1 - mu1, s2 - mu2
    var1 = np.sum(x1**2)
    k = x1.dot(x2.T)
    u, _, vh = np.linalg.svd(k)
    v = vh.T
    z = np.eye(u.shape[0])
    z[-1, -1] *= np.sign(np.linalg.det(u.dot(v.T)))
    rot = v.dot(z.dot(u.T))
    scale = np.trace(rot.dot(k)) / var1
    t = mu2 - scale * rot.dot(mu1)
    return (scale * rot.dot(s1) + t).T


def similarity_transform(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Batched torch version of `similarity_transform_np`: (B, N, 3), (B, N, 3) → aligned source (B, N, 3)."""
    s1, s2 = source.transpose(1, 2), target.transpose(1, 2)  # (B, 3, N)
    mu1 = s1.mean(dim=2, keepdim=True)
    mu2 = s2.mean(dim=2, keepdim=True)
    x1, x2 = s1 - mu1, s2 - mu2
    var1 = (x1**2).sum(dim=(1, 2))
    k = x1 @ x2.transpose(1, 2)  # (B, 3, 3)
    u, _, vh = torch.linalg.svd(k)
    v = vh.transpose(1, 2)
    z = torch.eye(3, dtype=k.dtype, device=k.device).repeat(k.shape[0], 1, 1)
    z[:, -1, -1] *= torch.sign(torch.linalg.det(u @ v.transpose(1, 2)))
    rot = v @ z @ u.transpose(1, 2)
    scale = torch.diagonal(rot @ k, dim1=1, dim2=2).sum(-1) / var1
    t = mu2 - scale[:, None, None] * (rot @ mu1)
    return (scale[:, None, None] * (rot @ s1) + t).transpose(1, 2)


# ---------------------------------------------------------------------------------------------
# Cameras
# ---------------------------------------------------------------------------------------------
def weak_cam_to_translation(
    cam_weak: torch.Tensor, focal_length: float = HMR_FOCAL_LENGTH, img_res: float = HMR_IMG_RES
) -> torch.Tensor:
    """HMR crop camera (..., 3) = (s, tx, ty) → translation (..., 3) = (tx, ty, 2·f/(img_res·s + 1e-9)).

    Valid with the crop intrinsics `crop_intrinsics` (focal f, principal point at the crop centre).
    """
    s, tx, ty = cam_weak[..., 0], cam_weak[..., 1], cam_weak[..., 2]
    return torch.stack([tx, ty, 2 * focal_length / (img_res * s + 1e-9)], dim=-1)


def crop_intrinsics(
    box_center: torch.Tensor,
    box_size: torch.Tensor,
    focal_length: float = HMR_FOCAL_LENGTH,
    img_res: float = HMR_IMG_RES,
) -> torch.Tensor:
    """Full-image intrinsics (B, 3, 3) equivalent to the crop camera of each square box.

    The crop (side `box_size` pixels around `box_center`, resampled to img_res) seen by a camera with
    focal f and principal point at the crop centre is, in the original photo, a camera with focal
    f·box_size/img_res and principal point at the box centre. With `weak_cam_to_translation` this
    overlays the mesh on the photo exactly (mmhuman3d's demo renderer does the same with K⁻¹·Ks·K).
    """
    focal = focal_length * box_size / img_res
    return intrinsics(focal, box_center[..., 0], box_center[..., 1])


def crop_cam_to_full_translation(
    cam_weak: torch.Tensor,
    box_center: torch.Tensor,
    box_size: torch.Tensor,
    image_hw: tuple[int, int],
    focal_length: float | torch.Tensor,
) -> torch.Tensor:
    """Weak-perspective crop camera (B, 3) → translation (B, 3) for a full-image camera.

    The full-image camera has focal `focal_length` and principal point at the image centre (CLIFF's
    `cam_crop2full`). Exact in the weak-perspective limit; `fit_translation` refines it.
    """
    height, width = image_hw
    scaled = box_size * cam_weak[:, 0] + 1e-9
    tz = 2 * focal_length / scaled
    tx = 2 * (box_center[:, 0] - width / 2.0) / scaled + cam_weak[:, 1]
    ty = 2 * (box_center[:, 1] - height / 2.0) / scaled + cam_weak[:, 2]
    return torch.stack([tx, ty, tz], dim=-1)


def intrinsics(focal, cx, cy) -> torch.Tensor:
    """Pinhole intrinsics from focal length(s) and principal point(s): scalars → (3, 3), (B,) → (B, 3, 3)."""
    focal, cx, cy = (torch.as_tensor(v, dtype=torch.float32) for v in (focal, cx, cy))
    focal, cx, cy = torch.broadcast_tensors(focal, cx, cy)
    K = torch.zeros(*focal.shape, 3, 3, dtype=focal.dtype, device=focal.device)
    K[..., 0, 0] = focal
    K[..., 1, 1] = focal
    K[..., 0, 2] = cx
    K[..., 1, 2] = cy
    K[..., 2, 2] = 1.0
    return K


def focal_from_fov(fov_deg: float, image_hw: tuple[int, int], axis: str = "diagonal") -> float:
    """Focal length in pixels for a field of view (degrees) along 'diagonal', 'width' or 'height'."""
    height, width = image_hw
    extent = {"diagonal": math.hypot(width, height), "width": float(width), "height": float(height)}
    if axis not in extent:
        raise ValueError(f"axis must be one of {sorted(extent)}, got {axis!r}")
    if not 0.0 < fov_deg < 180.0:
        raise ValueError(f"field of view must be in (0, 180) degrees, got {fov_deg}")
    return extent[axis] / 2.0 / math.tan(math.radians(fov_deg) / 2.0)


def image_intrinsics(image_hw: tuple[int, int], fov_deg: float = DEFAULT_FOV_DEG) -> torch.Tensor:
    """Intrinsics (3, 3) for a photo: focal from a diagonal field of view, principal point at the centre."""
    height, width = image_hw
    return intrinsics(focal_from_fov(fov_deg, image_hw), width / 2.0, height / 2.0)


def project(points: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Perspective projection: camera-frame points (B, N, 3) with intrinsics (B, 3, 3) or (3, 3) → pixels (B, N, 2)."""
    K = K.expand(points.shape[0], 3, 3) if K.dim() == 2 else K
    uvw = torch.einsum("bij,bnj->bni", K.to(points.dtype), points)
    return uvw[..., :2] / uvw[..., 2:]


def backproject(pixels: torch.Tensor, depth: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Pixels (B, N, 2) at depths z (B, N) → camera-frame points (B, N, 3) = z·K⁻¹·(u, v, 1)."""
    K = K.expand(pixels.shape[0], 3, 3) if K.dim() == 2 else K
    homogeneous = torch.cat([pixels, torch.ones_like(pixels[..., :1])], dim=-1)
    rays = torch.einsum("bij,bnj->bni", torch.linalg.inv(K.to(pixels.dtype)), homogeneous)
    return rays * depth[..., None]


def fit_translation(
    points: torch.Tensor, keypoints_2d: torch.Tensor, K: torch.Tensor, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Translation t (B, 3) such that project(points + t, K) best matches keypoints_2d (B, N, 2).

    Linear least squares on the depth-weighted residuals f·(X + t) − (u − c)·(Z + t_z) = 0, the
    closed form SPIN uses (`estimate_translation_np`), generalised to any K. For a person far from the
    camera compared with their own depth range this is the reprojection least squares.
    """
    K = K.expand(points.shape[0], 3, 3) if K.dim() == 2 else K
    points, keypoints_2d, K = points.double(), keypoints_2d.double(), K.double()
    batch, num = points.shape[:2]
    w = torch.ones(batch, num, dtype=torch.float64, device=points.device) if weights is None else weights.double()
    rows, rhs = [], []
    for axis in (0, 1):
        focal = K[:, axis, axis][:, None]  # (B, 1)
        offset = keypoints_2d[..., axis] - K[:, axis, 2][:, None]  # (B, N) u − c
        a = torch.zeros(batch, num, 3, dtype=torch.float64, device=points.device)
        a[..., axis] = focal
        a[..., 2] = -offset
        rows.append(a * w[..., None])
        rhs.append((offset * points[..., 2] - focal * points[..., axis]) * w)
    A = torch.cat(rows, dim=1)  # (B, 2N, 3)
    b = torch.cat(rhs, dim=1)  # (B, 2N)
    solution = torch.linalg.lstsq(A, b[..., None]).solution[..., 0]
    return solution.float()


def transform_points_2d(points: torch.Tensor, affine: torch.Tensor) -> torch.Tensor:
    """Apply 2×3 affine matrices (B, 2, 3) or (2, 3) to points (B, N, 2)."""
    affine = affine.expand(points.shape[0], 2, 3) if affine.dim() == 2 else affine
    return torch.einsum("bij,bnj->bni", affine[..., :2].to(points.dtype), points) + affine[:, None, :, 2].to(
        points.dtype
    )


def root_depth_from_bone_lengths(
    rays: torch.Tensor,
    relative_depth: torch.Tensor,
    parents: tuple[int, ...],
    bone_lengths: torch.Tensor,
    iterations: int = 20,
) -> torch.Tensor:
    """Depth z (B,) of a skeleton whose joint j lies at rays_j · (z + δ_j), so its bones have given lengths.

    rays (B, J, 3) = K⁻¹·(u, v, 1) of each joint; relative_depth δ (B, J) metres; parents (J,) with −1 at
    the root; bone_lengths (B, J) metres (index 0 unused). Each bone is z·a + b, linear in z; the
    least-squares problem Σ (‖z·a + b‖ − L)² is solved by Gauss–Newton from z₀ = Σ L‖a‖ / Σ ‖a‖².
    """
    children = [j for j, p in enumerate(parents) if p >= 0]
    index_parent = [parents[j] for j in children]
    a = rays[:, children] - rays[:, index_parent]  # (B, K, 3)
    b = (
        rays[:, children] * relative_depth[:, children, None]
        - rays[:, index_parent] * relative_depth[:, index_parent, None]
    )
    lengths = bone_lengths[:, children]
    a_norm = a.norm(dim=-1)
    z = (lengths * a_norm).sum(-1) / (a_norm**2).sum(-1).clamp_min(1e-12)
    for _ in range(iterations):
        bone = z[:, None, None] * a + b
        norm = bone.norm(dim=-1).clamp_min(1e-9)
        residual = norm - lengths
        jacobian = (a * bone).sum(-1) / norm
        z = z - (jacobian * residual).sum(-1) / (jacobian**2).sum(-1).clamp_min(1e-12)
    return z
