import numpy as np
import pytest
import torch

from core.geometry import aa_to_rotmat
from core.networks.hybrik_ik import (
    ADAPTIVE_THRESHOLD_M,
    EPS,
    HYBRIK_CHILDREN,
    HYBRIK_PARENTS,
    _pelvis_svd,
    _swing,
    _twist,
    inverse_kinematics,
    inverse_kinematics_from_skeleton,
    rest_skeleton,
    solve_pose,
)
from core.testing.poses import posed_skeleton, twists_from_rotations
from core.testing.smpl import make_body_model

HYBRIK_LEAF_VERTICES = (411, 2445, 5905, 3216, 6617)


def _children_from_parents(parents):
    children = [-1] * len(parents)
    for i in range(len(parents)):
        if children[parents[i]] < 0:
            children[parents[i]] = i
    for leaf in range(24, 29):
        children[leaf] = -1
    children[0], children[9] = 3, 12
    return tuple(children)


def test_children_table_follows_mmhuman3d_construction():
    assert _children_from_parents(HYBRIK_PARENTS) == HYBRIK_CHILDREN
    assert HYBRIK_PARENTS[24:] == (15, 22, 23, 10, 11)


def test_rest_skeleton_uses_leaf_vertices(body_model):
    betas = torch.randn(2, 10) * 0.5
    v_shaped, joints = body_model.shape(betas)
    rest = rest_skeleton(body_model, betas)
    assert torch.equal(rest[:, :24], joints)
    assert torch.equal(rest[:, 24:], v_shaped[:, list(HYBRIK_LEAF_VERTICES)])


def test_rest_skeleton_with_unit_twist_gives_identities(body_model):
    betas = torch.randn(1, 10) * 0.5
    skeleton = rest_skeleton(body_model, betas) + torch.tensor([0.3, -1.0, 4.0])  # any translation
    phis = torch.tensor([1.0, 0.0]).repeat(1, 23, 1)
    rotmats = inverse_kinematics(skeleton, phis, rest_skeleton(body_model, betas))
    assert rotmats.shape == (1, 24, 3, 3)
    assert torch.allclose(rotmats, torch.eye(3).expand(1, 24, 3, 3), atol=1e-5)


def test_globally_rotated_skeleton_gives_root_rotation_only(body_model):
    betas = torch.zeros(1, 10)
    root = aa_to_rotmat(torch.tensor([[0.0, 1.0, 0.0]]))
    rotmats = torch.eye(3).repeat(1, 24, 1, 1)
    rotmats[:, 0] = root
    skeleton = posed_skeleton(body_model, rotmats, betas)
    phis = torch.tensor([1.0, 0.0]).repeat(1, 23, 1)
    got = inverse_kinematics(skeleton, phis, rest_skeleton(body_model, betas))
    assert torch.allclose(got[:, 0], root, atol=1e-5)
    assert torch.allclose(got[:, 1:], torch.eye(3).expand(1, 23, 3, 3), atol=1e-5)


@pytest.mark.parametrize("train", [False, True])
def test_recovers_known_rotations_with_their_twists(body_model, train):
    torch.manual_seed(0)
    betas = torch.randn(3, 10) * 0.3
    rotmats = aa_to_rotmat(torch.randn(3, 24, 3) * 0.35)
    rotmats[:, 0] = aa_to_rotmat(torch.randn(3, 3))
    skeleton = posed_skeleton(body_model, rotmats, betas)
    phis = twists_from_rotations(body_model, rotmats, betas) * 2.5  # unnormalised on purpose
    got = inverse_kinematics(skeleton, phis, rest_skeleton(body_model, betas), train=train)
    atol = 1e-3 if train else 2e-4  # training mode's root goes through arccos, less precise in float32
    # All rotations are recovered: every joint 0..23 drives a child bone (spine3 is aimed at the neck).
    assert torch.allclose(got, rotmats, atol=atol)


def _joint_by_joint_ik(skeleton, phis, rest):
    """Eval-mode IK one joint at a time in index order, one person at a time (mmhuman3d's loop): the reference
    for the solver that takes each depth of the tree, for the whole batch, at once."""
    rotations = []
    for person in range(len(skeleton)):
        rest_bones = rest[person] - rest[person, [max(p, 0) for p in HYBRIK_PARENTS]]
        rest_bones[0] = rest[person, 0]
        pred_bones = skeleton[person] - skeleton[person, [max(p, 0) for p in HYBRIK_PARENTS]]
        pred_bones[0] = rest[person, 0]
        target = skeleton[person] - skeleton[person, :1] + rest[person, :1]
        twist = phis[person] / (phis[person].norm(dim=1, keepdim=True) + EPS)
        root = _pelvis_svd(pred_bones[None, ..., None], rest_bones[None, ..., None])[0]
        chain, local, posed = {0: root}, [root], {0: rest[person, 0]}
        for i in range(1, 24):
            child, parent = HYBRIK_CHILDREN[i], HYBRIK_PARENTS[i]
            posed[i] = posed[parent] + chain[parent] @ rest_bones[i]
            child_target = target[child] - posed[i]
            direction = pred_bones[child] * rest_bones[child].norm() / pred_bones[child].norm()
            if (child_target - direction).norm() > ADAPTIVE_THRESHOLD_M:
                child_target = direction
            child_target = chain[parent].T @ child_target
            bone = rest_bones[child][None, :, None]
            rot = (_swing(bone, child_target[None, :, None]) @ _twist(bone, twist[None, i - 1]))[0]
            chain[i] = chain[parent] @ rot
            local.append(rot)
        rotations.append(torch.stack(local))
    return torch.stack(rotations)


def test_solving_a_tree_depth_at_once_equals_joint_by_joint(body_model):
    torch.manual_seed(3)
    betas = torch.randn(4, 10) * 0.3
    rotmats = aa_to_rotmat(torch.randn(4, 24, 3) * 0.5)
    rest = rest_skeleton(body_model, betas)
    skeleton = posed_skeleton(body_model, rotmats, betas)
    skeleton[:2] += 0.03 * torch.randn(2, 29, 3)  # bones off by centimetres: the adaptive targets take part
    phis = torch.randn(4, 23, 2)
    torch.testing.assert_close(
        inverse_kinematics(skeleton, phis, rest), _joint_by_joint_ik(skeleton, phis, rest), atol=1e-6, rtol=0
    )


def test_training_mode_ik_passes_gradients(body_model):
    betas = torch.zeros(2, 10)
    skeleton = posed_skeleton(body_model, aa_to_rotmat(torch.randn(2, 24, 3) * 0.3), betas).requires_grad_()
    phis = torch.randn(2, 23, 2, requires_grad=True)
    inverse_kinematics(skeleton, phis, rest_skeleton(body_model, betas), train=True).sum().backward()
    assert torch.isfinite(skeleton.grad).all() and skeleton.grad.abs().sum() > 0
    assert torch.isfinite(phis.grad).all() and phis.grad.abs().sum() > 0


def test_adaptive_mode_uses_predicted_direction_when_bones_disagree(body_model):
    betas = torch.zeros(1, 10)
    rest = rest_skeleton(body_model, betas)
    skeleton = rest.clone()
    # Stretch the left thigh by 10 cm: knee, ankle, foot and toe move along the thigh's direction.
    thigh = (rest[0, 4] - rest[0, 1]) / (rest[0, 4] - rest[0, 1]).norm()
    skeleton[:, [4, 7, 10, 27]] += 0.1 * thigh
    phis = torch.tensor([1.0, 0.0]).repeat(1, 23, 1)
    adaptive = inverse_kinematics(skeleton, phis, rest)
    naive = inverse_kinematics(skeleton, phis, rest, train=True)
    # From the knee reached at rest length, the ankle is 10 cm off the shin (> 15 mm): the adaptive
    # mode keeps the predicted shin direction (unchanged, so identity); the naive mode bends the knee.
    assert torch.allclose(adaptive[:, 4], torch.eye(3), atol=1e-5)
    assert not torch.allclose(naive[:, 4], torch.eye(3), atol=1e-2)


def test_solve_pose_poses_mesh_with_pelvis_at_rest(body_model):
    betas = torch.randn(2, 10) * 0.3
    rotmats = aa_to_rotmat(torch.randn(2, 24, 3) * 0.3)
    skeleton = posed_skeleton(body_model, rotmats, betas) + 1.0
    phis = twists_from_rotations(body_model, rotmats, betas)
    result = solve_pose(body_model, skeleton, betas, phis)
    expected = body_model(betas, result.rotmats[:, :1], result.rotmats[:, 1:])
    assert torch.allclose(result.output.vertices, expected.vertices)
    assert torch.allclose(result.output.joints[:, 0], result.rest_joints[:, 0], atol=1e-6)
    assert torch.allclose(
        result.output.joints, skeleton[:, :24] - skeleton[:, :1] + result.rest_joints[:, :1], atol=1e-4
    )


def test_open_model_without_posedirs_works():
    model = make_body_model(kind="open", seed=3)
    betas = torch.zeros(1, 10)
    result = solve_pose(model, rest_skeleton(model, betas), betas, torch.tensor([1.0, 0.0]).repeat(1, 23, 1))
    assert torch.allclose(result.output.vertices, model.v_template[None], atol=1e-5)


def test_numpy_convenience_for_one_person(body_model):
    rest = rest_skeleton(body_model, torch.zeros(1, 10))[0].numpy()
    rotmats = inverse_kinematics_from_skeleton(body_model, rest)
    assert rotmats.shape == (24, 3, 3)
    assert np.allclose(rotmats, np.eye(3), atol=1e-5)


def test_pelvis_reflection_is_kept_by_default_and_fixed_on_request(body_model):
    """A mirrored pelvis target: mmhuman3d's SVD returns a reflection; the opt-in fix returns a rotation."""
    rest = rest_skeleton(body_model, torch.zeros(1, 10))
    mirrored = rest.clone()
    mirrored[..., 2] = 2 * rest[:, :1, 2] - rest[..., 2]  # mirror depth about the pelvis
    phis = torch.tensor([[1.0, 0.0]]).repeat(1, 23, 1)
    as_mmhuman3d = inverse_kinematics(mirrored, phis, rest)
    fixed = inverse_kinematics(mirrored, phis, rest, reflection_fix=True)
    assert torch.linalg.det(as_mmhuman3d[0, 0]) == pytest.approx(-1.0, abs=1e-4)
    assert torch.linalg.det(fixed[0, 0]) == pytest.approx(1.0, abs=1e-4)
