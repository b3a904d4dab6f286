import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core.evaluation import metrics
from core.joints import H36M_TO_LSP_14


def _skeleton(batch=2, seed=0):
    """(B, 17, 3) random H36M-like joints in metres, pelvis not at the origin."""
    rng = np.random.default_rng(seed)
    return rng.normal(scale=0.4, size=(batch, 17, 3)) + np.array([0.1, -0.2, 3.0])


def test_identical_predictions_give_zero():
    gt = _skeleton()
    errors = metrics.pw3d_joint_errors(gt, gt)
    assert errors.mpjpe.shape == errors.pa_mpjpe.shape == (2, 14)
    np.testing.assert_allclose(errors.mpjpe, 0.0, atol=1e-9)
    np.testing.assert_allclose(errors.pa_mpjpe, 0.0, atol=1e-6)
    verts = np.random.default_rng(1).normal(size=(2, 50, 3))
    np.testing.assert_allclose(metrics.pve_mm(verts, verts), 0.0)


def test_rotation_scale_offset_give_zero_pa_and_expected_mpjpe():
    gt = _skeleton(batch=3)
    rotation = Rotation.from_euler("z", 180, degrees=True).as_matrix()
    pelvis = gt[:, :1]
    pred = 1.7 * (gt - pelvis) @ rotation.T + np.array([5.0, 1.0, -2.0])
    errors = metrics.pw3d_joint_errors(pred, gt)
    np.testing.assert_allclose(errors.pa_mpjpe, 0.0, atol=1e-6)
    # After pelvis alignment the pred is q = 1.7·Rz(180°)·p, so |q − p| = sqrt((2.7 x)² + (2.7 y)² + (0.7 z)²).
    rel = (gt - pelvis)[:, list(H36M_TO_LSP_14)] * 1000
    expected = np.sqrt((2.7 * rel[..., 0]) ** 2 + (2.7 * rel[..., 1]) ** 2 + (0.7 * rel[..., 2]) ** 2)
    np.testing.assert_allclose(errors.mpjpe, expected, rtol=1e-12)


def test_hand_computed_example():
    gt = np.array([[[1.0, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]]])
    pred = np.array([[[2.0, 0, 0], [-2, 0, 0], [0, 0, 0], [0, 0, 0]]])
    # Centred already; K = diag(4, 0, 0), var = 8, so scale = 0.5 maps the x points exactly and the
    # two points at the origin stay there, one unit from (0, ±1, 0).
    np.testing.assert_allclose(metrics.pa_joint_distances(pred, gt), [[0, 0, 1, 1]], atol=1e-9)
    np.testing.assert_allclose(metrics.joint_distances(pred, gt), [[1, 1, 1, 1]])
    np.testing.assert_allclose(metrics.procrustes_align(pred, gt)[0, :2], gt[0, :2], atol=1e-12)


def test_hand_computed_pw3d_numbers_in_mm():
    gt = np.zeros((1, 17, 3))
    gt[0, :, 0] = np.arange(17) * 0.01  # joints along x, 1 cm apart; pelvis at 0
    pred = gt.copy()
    pred[0, 6, 1] = 0.014  # right_ankle (first J14 joint) 14 mm off in y
    errors = metrics.pw3d_joint_errors(pred, gt)
    assert errors.mpjpe[0, 0] == pytest.approx(14.0, abs=1e-6)
    assert errors.mpjpe.mean() == pytest.approx(1.0, abs=1e-6)
    # Procrustes minimises the squared error, so it can only lower the sum of squares.
    assert (errors.pa_mpjpe**2).sum() < (errors.mpjpe**2).sum()


def test_alignment_matches_an_independent_solver():
    rng = np.random.default_rng(3)
    source = rng.normal(size=(14, 3))
    target = 0.8 * source @ Rotation.random(random_state=4).as_matrix().T + rng.normal(scale=0.05, size=(14, 3))
    centred_source, centred_target = source - source.mean(0), target - target.mean(0)
    # Umeyama: the best rotation does not depend on scale; scale = trace(R·K) / |source|².
    rotation = Rotation.align_vectors(centred_target, centred_source)[0].as_matrix()
    scale = np.sum(centred_target * (centred_source @ rotation.T)) / np.sum(centred_source**2)
    expected = scale * centred_source @ rotation.T + target.mean(0)
    np.testing.assert_allclose(metrics.procrustes_align(source[None], target[None])[0], expected, atol=1e-9)


def test_reflection_is_not_used_to_align_a_mirror_image():
    rng = np.random.default_rng(5)
    gt = rng.normal(size=(1, 14, 3))
    mirrored = gt * np.array([-1.0, 1.0, 1.0])
    # An improper fit (allowing det −1) would give exactly 0; the rotation-only fit cannot.
    assert metrics.pa_joint_distances(mirrored, gt).mean() > 0.1


def test_keypoint_errors_2d_pixels_and_percent():
    pred = np.array([[10.0, 10.0], [20.0, 20.0], [0.0, 0.0]])
    target = np.array([[13.0, 14.0], [20.0, 20.0], [100.0, 100.0]])
    errors = metrics.keypoint_errors_2d(pred, target, np.array([True, True, False]), 200.0, ["a", "b", "c"])
    np.testing.assert_allclose(errors.pixels[:2], [5.0, 0.0])
    assert np.isnan(errors.pixels[2])
    np.testing.assert_allclose(errors.percent_of_box_height[:2], [2.5, 0.0])
    assert errors.mean_pixels == pytest.approx(2.5)
    with pytest.raises(ValueError, match="box_height"):
        metrics.keypoint_errors_2d(pred, target, np.ones(3, bool), 0.0, ["a", "b", "c"])


def test_method_vs_method_distances():
    rng = np.random.default_rng(6)
    verts = rng.normal(size=(30, 3))
    moved = 2.0 * verts @ Rotation.random(random_state=7).as_matrix().T + 1.0
    np.testing.assert_allclose(metrics.method_vertex_distances(moved, verts), 0.0, atol=1e-9)
    np.testing.assert_allclose(metrics.method_vertex_distances(verts + 1.0, verts, align="centroid"), 0.0, atol=1e-12)
    np.testing.assert_allclose(metrics.method_vertex_distances(verts + [3.0, 4.0, 0.0], verts, align="none"), 5.0)
    np.testing.assert_allclose(metrics.method_joint_distances(moved[:14], verts[:14]), 0.0, atol=1e-9)
    with pytest.raises(ValueError, match="topolog"):
        metrics.method_vertex_distances(verts, verts[:20])
