import math

import numpy as np
import pytest
import torch

from core import geometry
from core.paths import REPO_ROOT


def test_rot6d_reads_row_major_3x2():
    # Columns a1 = (1, 0, 0) from elements (0, 2, 4) and a2 = (0, 1, 0) from (1, 3, 5): identity.
    assert torch.allclose(geometry.rot6d_to_rotmat(torch.tensor([[1.0, 0, 0, 1, 0, 0]])), torch.eye(3)[None])
    # a1 = (0, 1, 0), a2 = (-1, 0, 0): rotation of +90° about z.
    expected = torch.tensor([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])
    got = geometry.rot6d_to_rotmat(torch.tensor([0.0, -1, 1, 0, 0, 0]))
    assert torch.allclose(got, expected, atol=1e-7)


def test_rot6d_gram_schmidt_by_hand():
    six = torch.tensor([2.0, 1.0, 0.0, 1.0, 0.0, 0.0])  # a1 = (2, 0, 0), a2 = (1, 1, 0)
    got = geometry.rot6d_to_rotmat(six)
    assert torch.allclose(got, torch.eye(3), atol=1e-7)
    six = torch.tensor([0.0, 0.0, 3.0, 1.0, 0.0, 1.0])  # a1 = (0, 3, 0), a2 = (0, 1, 1) → b2 = (0, 0, 1)
    got = geometry.rot6d_to_rotmat(six)
    expected = torch.tensor([[0.0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert torch.allclose(got, expected, atol=1e-7)


def test_rot6d_round_trip_and_batch_shapes():
    rotmats = geometry.aa_to_rotmat(torch.randn(4, 24, 3))
    six = geometry.rotmat_to_rot6d(rotmats)
    assert six.shape == (4, 24, 6)
    assert torch.allclose(geometry.rot6d_to_rotmat(six), rotmats, atol=1e-5)
    assert geometry.rot6d_to_rotmat(six.reshape(4, 144).reshape(-1, 6)).shape == (96, 3, 3)


def test_axis_angle_and_quaternion_round_trips():
    aa = torch.tensor([[0.0, 0.0, math.pi / 2], [0.3, -0.2, 0.1]])
    R = geometry.aa_to_rotmat(aa)
    assert torch.allclose(R[0], torch.tensor([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]]), atol=1e-6)
    assert torch.allclose(geometry.rotmat_to_aa(R), aa, atol=1e-5)
    quat = geometry.rotmat_to_quat(R)
    c, s = math.cos(math.pi / 4), math.sin(math.pi / 4)
    assert torch.allclose(quat[0], torch.tensor([c, 0, 0, s]), atol=1e-6)  # (w, x, y, z)
    assert torch.allclose(geometry.quat_to_rotmat(quat), R, atol=1e-6)


def test_the_three_axis_angle_recipes_differ_only_by_their_1e_8_offsets():
    """smplx's Rodrigues (|θ + 1e-8|), SPIN's quaternion one (|θ + 1e-8|, normalised) and the exact one (pytorch3d's):
    the same rotations to ~1e-8, which only float64 shows; the exact one is exact at angle 0 and for a known turn."""
    aa = torch.randn(1000, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    smplx, spin, exact = (
        geometry.aa_to_rotmat(aa),
        geometry.aa_to_rotmat_via_quaternion(aa),
        geometry.aa_to_rotmat_exact(aa),
    )
    for recipe in (smplx, spin):
        difference = float((recipe - exact).abs().max())
        assert 1e-11 < difference < 1e-7, difference
    assert float((smplx - spin).abs().max()) > 1e-11  # not the same recipe either
    eye = torch.eye(3, dtype=torch.float64)
    assert torch.equal(geometry.aa_to_rotmat_exact(torch.zeros(1, 3, dtype=torch.float64))[0], eye)
    quarter = geometry.aa_to_rotmat_exact(torch.tensor([0.0, 0.0, math.pi / 2], dtype=torch.float64))
    assert torch.allclose(quarter, torch.tensor([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]], dtype=torch.float64), atol=1e-15)
    assert torch.allclose(spin @ spin.transpose(1, 2), eye.expand(1000, 3, 3), atol=1e-14)  # orthonormal


def test_similarity_transform_recovers_scale_rotation_translation():
    rng = np.random.default_rng(0)
    source = rng.normal(size=(14, 3))
    R = geometry.aa_to_rotmat(torch.tensor([0.4, -1.0, 0.7], dtype=torch.float64)).numpy()
    target = 1.7 * source @ R.T + np.array([0.1, -2.0, 3.0])
    assert np.allclose(geometry.similarity_transform_np(source, target), target, atol=1e-9)
    batched = geometry.similarity_transform(torch.from_numpy(source)[None], torch.from_numpy(target)[None])
    assert torch.allclose(batched[0], torch.from_numpy(target), atol=1e-9)


def test_similarity_transform_never_reflects():
    rng = np.random.default_rng(1)
    source = rng.normal(size=(10, 3))
    mirrored = source * np.array([-1.0, 1.0, 1.0])
    aligned = geometry.similarity_transform_np(source, mirrored)
    assert not np.allclose(aligned, mirrored, atol=1e-3)  # a reflection would fit exactly
    batched = geometry.similarity_transform(torch.from_numpy(source)[None], torch.from_numpy(mirrored)[None])
    assert np.allclose(batched[0].numpy(), aligned, atol=1e-9)


def test_weak_camera_translation_formula():
    cam = torch.tensor([[0.8, 0.1, -0.2]])
    t = geometry.weak_cam_to_translation(cam)
    assert torch.allclose(t, torch.tensor([[0.1, -0.2, 2 * 5000 / (224 * 0.8)]]))


def test_crop_intrinsics_overlay_equals_crop_projection_mapped_back():
    points = torch.randn(1, 20, 3) * 0.5
    cam = torch.tensor([[0.9, 0.05, 0.1]])
    center, size = torch.tensor([[300.0, 200.0]]), torch.tensor([180.0])
    t = geometry.weak_cam_to_translation(cam)
    crop_px = geometry.project(points + t[:, None], geometry.intrinsics(5000.0, 112.0, 112.0))
    mapped_back = crop_px * size / 224 + center - size / 2
    full_px = geometry.project(points + t[:, None], geometry.crop_intrinsics(center, size))
    assert torch.allclose(full_px, mapped_back, atol=1e-3)


def test_crop_to_full_translation_and_fit_translation():
    points = torch.randn(1, 24, 3, generator=torch.Generator().manual_seed(0)) * 0.3
    cam = torch.tensor([[0.9, 0.05, 0.1]])
    center, size = torch.tensor([[500.0, 300.0]]), torch.tensor([250.0])
    image_hw = (600, 800)
    focal = geometry.focal_from_fov(geometry.DEFAULT_FOV_DEG, image_hw)
    assert math.isclose(focal, math.hypot(600, 800), rel_tol=1e-9)
    K = geometry.image_intrinsics(image_hw)
    target = geometry.project(
        points + geometry.weak_cam_to_translation(cam)[:, None], geometry.crop_intrinsics(center, size)
    )
    t_closed = geometry.crop_cam_to_full_translation(cam, center, size, image_hw, focal)
    t_fit = geometry.fit_translation(points, target, K)
    err_closed = (geometry.project(points + t_closed[:, None], K) - target).norm(dim=-1).mean()
    err_fit = (geometry.project(points + t_fit[:, None], K) - target).norm(dim=-1).mean()
    assert err_closed < 5.0  # pixels: the weak-perspective approximation
    # The linear least squares minimises an algebraic (depth-weighted) error, not the reprojection error
    # itself, so it is not always below the closed form; both must stay within the same few pixels.
    assert err_fit < 5.0
    assert torch.allclose(t_fit, t_closed, rtol=0.05, atol=0.05)


def test_fit_translation_is_exact_for_consistent_data():
    points = torch.randn(2, 30, 3) * 0.4
    t_true = torch.tensor([[0.3, -0.1, 6.0], [-0.5, 0.2, 3.5]])
    K = geometry.intrinsics(1200.0, 640.0, 360.0)
    pixels = geometry.project(points + t_true[:, None], K)
    assert torch.allclose(geometry.fit_translation(points, pixels, K), t_true, atol=1e-4)


def test_backproject_inverts_project():
    points = torch.tensor([[[0.1, -0.2, 3.0], [0.5, 0.4, 5.0]]])
    K = geometry.intrinsics(1000.0, 320.0, 240.0)
    pixels = geometry.project(points, K)
    assert torch.allclose(pixels[0, 0], torch.tensor([320 + 1000 * 0.1 / 3, 240 - 1000 * 0.2 / 3]))
    assert torch.allclose(geometry.backproject(pixels, points[..., 2], K), points, atol=1e-5)


def test_focal_from_fov_validates():
    assert math.isclose(geometry.focal_from_fov(90.0, (100, 200), axis="width"), 100.0)
    with pytest.raises(ValueError, match="axis"):
        geometry.focal_from_fov(60.0, (100, 100), axis="depth")
    with pytest.raises(ValueError, match="field of view"):
        geometry.focal_from_fov(0.0, (100, 100))


def test_transform_points_2d():
    affine = torch.tensor([[2.0, 0.0, 1.0], [0.0, 3.0, -1.0]])
    points = torch.tensor([[[1.0, 1.0], [0.0, 2.0]]])
    assert torch.allclose(geometry.transform_points_2d(points, affine), torch.tensor([[[3.0, 2.0], [1.0, 5.0]]]))


def test_root_depth_from_bone_lengths_recovers_depth():
    torch.manual_seed(0)
    parents = (-1, 0, 1, 2, 0, 4, 5)
    joints = torch.randn(2, 7, 3) * 0.3
    depth = torch.tensor([4.0, 9.0])
    camera = joints + torch.stack([torch.zeros(2), torch.zeros(2), depth], -1)[:, None]
    K = geometry.intrinsics(1000.0, 500.0, 400.0)
    pixels = geometry.project(camera, K)
    rays = geometry.backproject(pixels, torch.ones(2, 7), K)
    relative = camera[..., 2] - depth[:, None]
    lengths = torch.zeros(2, 7)
    for j, p in enumerate(parents):
        if p >= 0:
            lengths[:, j] = (joints[:, j] - joints[:, p]).norm(dim=-1)
    z = geometry.root_depth_from_bone_lengths(rays, relative, parents, lengths)
    assert torch.allclose(z, depth, atol=1e-3)


def test_the_inference_rotations_do_not_import_roma_or_torch_dynamo():
    """roma imports torch._dynamo (about a second a first photo would wait for): the pipeline's rotations avoid it."""
    import subprocess
    import sys

    code = (
        "import sys, torch, core.pipeline.analyse as a; from core import geometry as g; "
        "g.rotmat_to_aa(g.aa_to_rotmat_exact(torch.randn(4, 3))); "
        "print(sorted(m for m in ('roma', 'torch._dynamo') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]"
