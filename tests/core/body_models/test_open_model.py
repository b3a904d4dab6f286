"""The committed open body model (assets/body_models/open_body_model.npz): layout, rest pose, skinning,
shape space and keypoint regressors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.body_models.base import NUM_BETAS, SMPL_PARENTS
from core.body_models.open_model import load_open_body_model, open_body_model_meta
from core.joints import EXTRA_9, H36M_17, HYBRIK_LEAF_5, MEDIAPIPE_SURFACE_21, SMPL_JOINTS, SMPLX_21
from core.paths import OPEN_BODY_MODEL_FILE

J = {name: i for i, name in enumerate(SMPL_JOINTS)}
MIRROR = [
    J[n.replace("left", "right")] if "left" in n else J[n.replace("right", "left")] if "right" in n else i
    for i, n in enumerate(SMPL_JOINTS)
]


@pytest.fixture(scope="module")
def model():
    return load_open_body_model()


@pytest.fixture(scope="module")
def rest(model):
    """Rest mesh (V, 3) and joints (24, 3) at betas 0."""
    vertices, joints = model.shape(torch.zeros(1, NUM_BETAS))
    return vertices[0].numpy(), joints[0].numpy()


def pose(model, **rotations) -> torch.Tensor:
    """(1, 69) body pose with axis-angle `rotations` {joint name: (3,)} and zeros elsewhere."""
    body_pose = torch.zeros(1, 23, 3)
    for name, axis_angle in rotations.items():
        body_pose[0, J[name] - 1] = torch.tensor(axis_angle, dtype=torch.float32)
    return body_pose.reshape(1, 69)


def test_file_is_small_float32_and_described(model):
    assert OPEN_BODY_MODEL_FILE.stat().st_size <= 8 * 1024 * 1024
    with np.load(OPEN_BODY_MODEL_FILE, allow_pickle=False) as npz:
        assert npz["v_template"].dtype == np.float32 and npz["shapedirs"].dtype == np.float32
        assert tuple(npz["parents"]) == SMPL_PARENTS
    assert model.kind == "open" and model.gender == "neutral" and model.posedirs is None
    assert "anny" in model.description and "SMPL" in model.description
    meta = open_body_model_meta()
    assert meta["source"].startswith("anny") and meta["anny_version"]
    assert model.faces.shape[1] == 3 and model.faces.min() == 0 and model.faces.max() == model.num_vertices - 1


def test_missing_or_malformed_file_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="bake_open_body_model"):
        load_open_body_model(tmp_path / "nowhere.npz")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="unreadable"):
        load_open_body_model(broken)
    partial = tmp_path / "partial.npz"
    np.savez(partial, v_template=np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match="lacks"):
        load_open_body_model(partial)


def test_height_at_mean_shape(rest):
    vertices, _ = rest
    height = vertices[:, 1].max() - vertices[:, 1].min()
    assert 1.60 <= height <= 1.85, height


def test_left_and_right_joints_mirror(rest):
    _, joints = rest
    mirrored = joints[MIRROR] * np.array([-1.0, 1.0, 1.0])
    assert np.abs(mirrored - joints).max() < 0.01


def test_t_pose_arms_horizontal_legs_down_facing_forward(rest):
    vertices, joints = rest
    for side in ("left", "right"):
        assert abs(joints[J[f"{side}_wrist"], 1] - joints[J[f"{side}_shoulder"], 1]) < 0.03
        assert abs(joints[J[f"{side}_hand"], 1] - joints[J[f"{side}_shoulder"], 1]) < 0.03
        assert joints[J[f"{side}_ankle"], 1] < joints[J[f"{side}_knee"], 1] - 0.3
        # feet point forward (+z), toes ahead of the ankle
        assert joints[J[f"{side}_foot"], 2] > joints[J[f"{side}_ankle"], 2] + 0.08
    assert joints[J["left_wrist"], 0] > 0.5 and joints[J["right_wrist"], 0] < -0.5  # SMPL's left is +x
    nose = vertices[np.argmax(vertices[:, 2] * (vertices[:, 1] > joints[J["head"], 1]))]
    assert nose[2] > joints[J["head"], 2]  # the face is on the +z side


def test_joints_sit_where_smpl_puts_them(rest):
    """Offsets measured on SMPL's neutral rest joints, with loose tolerances (anny's proportions differ)."""
    _, joints = rest
    pelvis = joints[J["pelvis"]]
    for side, sign in (("left", 1.0), ("right", -1.0)):
        hip, knee, ankle = joints[J[f"{side}_hip"]], joints[J[f"{side}_knee"]], joints[J[f"{side}_ankle"]]
        assert 0.05 < sign * (hip[0] - pelvis[0]) < 0.13  # SMPL ~0.07-0.09
        assert 0.04 < pelvis[1] - hip[1] < 0.14  # SMPL ~0.09
        assert 0.32 < hip[1] - knee[1] < 0.45  # SMPL ~0.38
        assert 0.34 < knee[1] - ankle[1] < 0.48  # SMPL ~0.40
        shoulder, elbow, wrist = joints[J[f"{side}_shoulder"]], joints[J[f"{side}_elbow"]], joints[J[f"{side}_wrist"]]
        assert 0.13 < sign * (shoulder[0] - joints[J["spine_3"], 0]) < 0.22  # SMPL ~0.17
        assert 0.21 < sign * (elbow[0] - shoulder[0]) < 0.31  # SMPL ~0.26
        assert 0.18 < sign * (wrist[0] - elbow[0]) < 0.30  # SMPL ~0.25
        collar = joints[J[f"{side}_collar"]]
        assert 0.02 < sign * collar[0] < sign * shoulder[0]
    spine = [joints[J[n], 1] for n in ("pelvis", "spine_1", "spine_2", "spine_3", "neck", "head")]
    assert all(lower < upper for lower, upper in zip(spine, spine[1:])), spine
    assert 0.35 < joints[J["neck"], 1] - pelvis[1] < 0.60  # SMPL ~0.51
    assert np.allclose(pelvis, (0.0, -0.223, 0.028), atol=0.01)  # SMPL's rest pelvis


def test_skinning_weights_are_a_partition(model):
    weights = model.lbs_weights.numpy()
    assert weights.min() >= 0.0
    assert np.allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    assert (weights.max(axis=0) > 0.4).all()  # every joint drives some vertices (collars share with the spine)


def test_bending_left_elbow_moves_only_left_forearm_and_hand(model):
    betas = torch.zeros(1, NUM_BETAS)
    still = model.forward_axis_angle(betas, torch.zeros(1, 3), pose(model))
    bent = model.forward_axis_angle(betas, torch.zeros(1, 3), pose(model, left_elbow=(0.0, 0.0, math.pi / 2)))
    moved = (bent.vertices - still.vertices)[0].norm(dim=1).numpy()
    forearm = model.lbs_weights[:, [J["left_elbow"], J["left_wrist"], J["left_hand"]]].sum(dim=1).numpy()
    assert moved[forearm == 0].max() < 1e-6
    elbow = still.joints[0, J["left_elbow"]]
    away_from_elbow = (still.vertices[0] - elbow).norm(dim=1).numpy() > 0.1
    assert moved[(forearm > 0.99) & away_from_elbow].min() > 0.1
    # +90° about z swings the left forearm up (SMPL's convention): the wrist rises by about a forearm length
    rise = bent.joints[0, J["left_wrist"], 1] - still.joints[0, J["left_wrist"], 1]
    assert 0.18 < rise < 0.30


def test_global_rotation_is_rigid_about_the_pelvis(model, rest):
    betas = torch.zeros(1, NUM_BETAS)
    still = model.forward_axis_angle(betas, torch.zeros(1, 3), pose(model))
    turned = model.forward_axis_angle(betas, torch.tensor([[0.3, -1.1, 0.4]]), pose(model))
    rotation = turned.rotmats[0, 0]
    pelvis = torch.as_tensor(rest[1][0])
    expected = (still.vertices[0] - pelvis) @ rotation.T + pelvis
    assert torch.allclose(turned.vertices[0], expected, atol=1e-5)


def test_each_beta_changes_the_body_smoothly_and_visibly(model):
    for k in range(4):
        betas = torch.zeros(5, NUM_BETAS)
        betas[:, k] = torch.tensor([-2.0, -0.01, 0.0, 0.01, 2.0])
        vertices, _ = model.shape(betas)
        small = (vertices[3] - vertices[2]).norm(dim=1).max()
        large = (vertices[4] - vertices[2]).norm(dim=1).max()
        assert large > 0.01, k
        assert torch.isclose(small * 200, large, rtol=1e-2), k  # linear: 200 × a 0.01 step = a 2.0 step
        assert (vertices[0] - vertices[2]).norm(dim=1).max() > 0.01
        height = vertices[:, :, 1].amax(dim=1) - vertices[:, :, 1].amin(dim=1)
        assert ((height > 1.3) & (height < 2.2)).all(), height  # ±2 SD stays a plausible adult


def test_regressors_present_in_contract_order(model):
    expected = {
        "smplx_21": SMPLX_21,
        "extra_9": EXTRA_9,
        "h36m_17": H36M_17,
        "hybrik_leaf_5": HYBRIK_LEAF_5,
        "mediapipe_surface_21": MEDIAPIPE_SURFACE_21,
    }
    for name, rows in expected.items():
        matrix = model.regressor(name).numpy()
        assert matrix.shape == (len(rows), model.num_vertices), name
        assert np.isfinite(matrix).all() and matrix.min() >= 0.0, name
        assert np.allclose(matrix.sum(axis=1), 1.0, atol=1e-4), name


def test_regressed_points_land_on_the_right_body_parts(model, rest):
    vertices, joints = rest
    points = {}
    for name, rows in (("smplx_21", SMPLX_21), ("extra_9", EXTRA_9), ("mediapipe_surface_21", MEDIAPIPE_SURFACE_21)):
        regressed = model.regress(torch.as_tensor(vertices)[None], name)[0].numpy()
        points.update({f"{name}:{row}": regressed[i] for i, row in enumerate(rows)})
    neck_height, head = joints[J["neck"], 1], joints[J["head"]]
    for key, point in points.items():
        row = key.split(":")[1]
        if row in ("nose", "headtop") or "eye" in row or "ear" in row or "mouth" in row:
            assert point[1] > neck_height and np.linalg.norm(point - head) < 0.2, key
        if row in ("nose",) or "eye" in row or "mouth" in row:
            assert point[2] > head[2] + 0.04, key  # on the face, in front of the head joint
        if "toe" in row or "heel" in row or "foot_index" in row:
            side = "left" if row.startswith("left") else "right"
            ankle = joints[J[f"{side}_ankle"]]
            assert point[1] < ankle[1] and np.linalg.norm(point - ankle) < 0.25, key
        for side, sign in (("left", 1.0), ("right", -1.0)):
            if row.startswith(side) or row.endswith(f"_{side}"):
                assert sign * point[0] > 0.0, key  # SMPL's left is +x
    assert points["extra_9:headtop"][1] == pytest.approx(vertices[:, 1].max(), abs=0.01)
    for side in ("left", "right"):
        for finger in ("thumb", "index", "middle", "ring", "pinky"):
            tip = points[f"smplx_21:{side}_{finger}"]
            assert abs(tip[0]) > abs(joints[J[f"{side}_hand"], 0]) - 0.05, (side, finger)
        assert points[f"smplx_21:{side}_bigtoe"][2] > points[f"smplx_21:{side}_heel"][2] + 0.15
    assert np.allclose(points["extra_9:pelvis_extra"][1], joints[[J["left_hip"], J["right_hip"]], 1].mean(), atol=0.01)


def test_same_axis_angle_means_the_same_pose(model):
    """Raising the left shoulder by −90° about z brings SMPL's arm down to the side; the hip flexed
    by −90° about x brings the knee forward (+z), as SMPL does."""
    betas = torch.zeros(1, NUM_BETAS)
    out = model.forward_axis_angle(
        betas, torch.zeros(1, 3), pose(model, left_shoulder=(0.0, 0.0, -math.pi / 2), left_hip=(-math.pi / 2, 0, 0))
    )
    joints = out.joints[0].numpy()
    shoulder, wrist = joints[J["left_shoulder"]], joints[J["left_wrist"]]
    assert wrist[1] < shoulder[1] - 0.4 and abs(wrist[0] - shoulder[0]) < 0.08
    hip, knee = joints[J["left_hip"]], joints[J["left_knee"]]
    assert knee[2] > hip[2] + 0.3 and abs(knee[1] - hip[1]) < 0.08
