"""BodyModel's own skinning path (no pose blend shapes) against smplx.lbs with zero posedirs."""

import numpy as np
import torch

from core.body_models import BodyModel


def _random_arrays(num_verts=60, seed=0):
    rng = np.random.default_rng(seed)
    weights = rng.random((num_verts, 24))
    regressor = rng.random((24, num_verts))
    return dict(
        gender="neutral",
        v_template=rng.normal(size=(num_verts, 3)),
        shapedirs=rng.normal(size=(num_verts, 3, 10)) * 0.01,
        J_regressor=regressor / regressor.sum(1, keepdims=True),
        lbs_weights=weights / weights.sum(1, keepdims=True),
        faces=np.zeros((1, 3)),
    )


def test_skinning_without_posedirs_equals_smplx_lbs_with_zero_posedirs():
    arrays = _random_arrays()
    open_like = BodyModel(kind="open", **arrays)
    with_zero_posedirs = BodyModel(kind="smpl", posedirs=np.zeros((207, 60 * 3)), **arrays)
    betas, orient, pose = torch.randn(3, 10), torch.randn(3, 3) * 0.5, torch.randn(3, 69) * 0.3
    a = open_like.forward_axis_angle(betas, orient, pose)
    b = with_zero_posedirs.forward_axis_angle(betas, orient, pose)
    torch.testing.assert_close(a.vertices, b.vertices, atol=1e-6, rtol=0)
    torch.testing.assert_close(a.joints, b.joints, atol=1e-6, rtol=0)


def test_translation_moves_vertices_and_joints():
    model = BodyModel(kind="open", **_random_arrays())
    betas, orient, pose = torch.zeros(1, 10), torch.zeros(1, 3), torch.zeros(1, 69)
    transl = torch.tensor([[0.1, -0.2, 3.0]])
    plain = model.forward_axis_angle(betas, orient, pose)
    moved = model.forward_axis_angle(betas, orient, pose, transl)
    torch.testing.assert_close(moved.vertices - plain.vertices, transl[:, None].expand_as(plain.vertices))
    torch.testing.assert_close(moved.joints - plain.joints, transl[:, None].expand_as(plain.joints))


def test_folded_points_equal_the_regressor_on_the_posed_mesh():
    arrays = _random_arrays()
    rng = np.random.default_rng(1)
    regressor = np.zeros((4, 60))
    regressor[0, 7] = 1.0  # a vertex
    regressor[1, [3, 4, 5]] = 1 / 3  # a triangle's centre
    regressor[2] = rng.dirichlet(np.ones(60))  # a blend of every vertex
    regressor[3, [0, 59]] = [0.25, 0.75]
    for posedirs in (None, rng.normal(size=(207, 60 * 3)) * 0.01):
        model = BodyModel(kind="smpl", posedirs=posedirs, regressors={"points": regressor}, **arrays)
        betas, orient, pose = torch.randn(2, 10), torch.randn(2, 3) * 0.5, torch.randn(2, 69) * 0.3
        full = model.forward_axis_angle(betas, orient, pose)
        folded = model.folded_points("points")
        assert model.folded_points("points") is folded  # computed once
        assert model.double().folded_points("points").template.dtype == torch.float64  # again for other buffers
        model.float()
        joints, points = model.pose_folded_points(betas, full.rotmats, folded)
        torch.testing.assert_close(joints, full.joints, atol=1e-5, rtol=0)
        torch.testing.assert_close(points, model.regress(full.vertices, "points"), atol=1e-5, rtol=0)
