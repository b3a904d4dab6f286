"""Keypoint conventions: names and orders (mmhuman3d core/conventions/keypoints_mapping), name-based conversion with
APPROXIMATE groups, flip pairs, and keypoints of a posed stand-in SMPL."""

import numpy as np
import pytest
import torch

from core import joints
from core.body_models.smpl import load_smpl
from core.joints import convert, flip_pairs, joint_index, joint_names, keypoints, mapping
from core.joints.human_data import HUMAN_DATA_NAMES

# mmhuman3d get_mapping('smpl_54', 'smpl_49', approximate=True): source index in smpl_54 of each smpl_49 joint
SMPL_49_FROM_SMPL_54 = [
    24,
    12,
    17,
    19,
    21,
    16,
    18,
    20,
    0,
    2,
    5,
    8,
    1,
    4,
    7,
    25,
    26,
    27,
    28,
    29,
    30,
    31,
    32,
    33,
    34,
    8,
    5,
    45,
    46,
    4,
    7,
    21,
    19,
    17,
    16,
    18,
    20,
    47,
    48,
    49,
    50,
    51,
    52,
    53,
    24,
    26,
    25,
    28,
    27,
]
H36M_IN_HUMAN_DATA = [
    148,
    145,
    4,
    7,
    144,
    5,
    8,
    150,
    146,
    152,
    147,
    16,
    18,
    20,
    17,
    19,
    21,
]  # get_mapping('human_data', 'h36m')
HYBRIK_IN_HUMAN_DATA = [*range(15), 22, *range(16, 22), 66, 71, 15, 68, 73, 60, 63]  # ... 'hybrik_29'


@pytest.mark.parametrize(
    "convention, size",
    [
        ("smpl_24", 24),
        ("smpl_45", 45),
        ("smpl_49", 49),
        ("smpl_54", 54),
        ("h36m_17", 17),
        ("lsp_14", 14),
        ("coco_17", 17),
        ("hybrik_29", 29),
        ("mediapipe_33", 33),
        ("human_data", 190),
    ],
)
def test_every_convention_has_its_size_and_unique_names(convention, size):
    names = joint_names(convention)
    assert len(names) == size and len(set(names)) == size


def test_orders_match_the_reference():
    assert joints.SMPL_54[45:] == (
        "right_hip_extra",
        "left_hip_extra",
        "neck_extra",
        "headtop",
        "pelvis_extra",
        "thorax_extra",
        "spine_extra",
        "jaw_extra",
        "head_extra",
    )
    assert joints.SMPL_24[0] == "right_ankle" and joints.SMPL_24[-1] == "right_ear"
    assert joints.LSP_14 == (
        "right_ankle",
        "right_knee",
        "right_hip_extra",
        "left_hip_extra",
        "left_knee",
        "left_ankle",
        "right_wrist",
        "right_elbow",
        "right_shoulder",
        "left_shoulder",
        "left_elbow",
        "left_wrist",
        "neck_extra",
        "headtop",
    )
    assert joints.MEDIAPIPE_33[:4] == ("nose", "left_eye_inner", "left_eye", "left_eye_outer")
    assert joints.MEDIAPIPE_33[31:] == ("left_foot_index", "right_foot_index")
    assert joints.MEDIAPIPE_SURFACE_21[9:13] == ("mouth_left", "mouth_right", "left_pinky", "right_pinky")
    assert joint_index("hybrik_29", "jaw") == 15 and joint_index("hybrik_29", "head") == 24


def test_smpl_49_from_smpl_54_matches_the_verified_table():
    src, dst = mapping(joints.SMPL_54, joints.SMPL_49, approximate=True)
    assert dst == list(range(49))
    assert src == SMPL_49_FROM_SMPL_54


def test_without_approximation_openpose_joints_are_masked():
    kps = np.random.default_rng(0).normal(size=(2, 54, 3))
    out, mask = convert(kps, "smpl_54", "smpl_49")
    assert mask.dtype == np.uint8 and list(mask) == [0] * 25 + [1] * 24
    np.testing.assert_array_equal(out[:, :25], 0)
    np.testing.assert_array_equal(out[:, 25:], kps[:, SMPL_49_FROM_SMPL_54[25:]])


@pytest.mark.parametrize("convention, indices", [("h36m_17", H36M_IN_HUMAN_DATA), ("hybrik_29", HYBRIK_IN_HUMAN_DATA)])
def test_human_data_indices_match_the_reference(convention, indices):
    src, dst = mapping(tuple(HUMAN_DATA_NAMES), joint_names(convention))
    assert dst == list(range(len(indices))) and src == indices


def test_round_trip_through_human_data_keeps_values_torch_and_numpy():
    kps = torch.randn(3, 54, 4)
    wide, wide_mask = convert(kps, "smpl_54", "human_data")
    assert wide.shape == (3, 190, 4) and int(wide_mask.sum()) == 54 and isinstance(wide_mask, torch.Tensor)
    back, back_mask = convert(wide, "human_data", "smpl_54", mask=wide_mask)
    torch.testing.assert_close(back, kps)
    assert back_mask.tolist() == [1] * 54
    numpy_back, _ = convert(convert(kps.numpy(), "smpl_54", "human_data")[0], "human_data", "smpl_54")
    np.testing.assert_array_equal(numpy_back, kps.numpy())


def test_mask_is_carried_and_explicit_name_lists_work():
    kps = np.arange(9.0).reshape(1, 3, 3)
    out, mask = convert(kps, ["a", "left_wrist", "b"], ["left_wrist", "c", "b"], mask=np.array([1, 1, 0]))
    np.testing.assert_array_equal(out[0, 0], kps[0, 1])
    np.testing.assert_array_equal(out[0, 2], kps[0, 2])
    assert list(mask) == [1, 0, 0]


def test_same_convention_is_returned_unchanged():
    kps = torch.randn(2, 17, 3)
    out, mask = convert(kps, "h36m_17", "h36m_17")
    assert out is kps and mask.tolist() == [1] * 17


def test_mediapipe_hand_points_are_knuckles_not_fingertips():
    kps = np.random.default_rng(1).normal(size=(1, 33, 3))
    out, mask = convert(kps, "mediapipe_33", "human_data")
    assert mask[HUMAN_DATA_NAMES.index("left_index_1")] == 1 and mask[HUMAN_DATA_NAMES.index("left_index")] == 0
    np.testing.assert_array_equal(out[0, HUMAN_DATA_NAMES.index("left_thumb_2")], kps[0, 21])
    _, coco_mask = convert(kps, "mediapipe_33", "coco_17")
    assert coco_mask.all()


def test_flip_pairs_match_mmhuman3d():
    smpl = [(1, 2), (4, 5), (7, 8), (10, 11), (13, 14), (16, 17), (18, 19), (20, 21), (22, 23)]
    assert flip_pairs(joints.SMPL_JOINTS) == smpl
    assert flip_pairs("hybrik_29") == smpl + [(25, 26), (27, 28)]
    order = joints.flip_permutation("coco_17")
    assert order[:5] == [0, 2, 1, 4, 3] and sorted(order) == list(range(17))


def test_unknown_convention_is_a_clear_error():
    with pytest.raises(ValueError, match="smpl_54"):
        joint_names("smpl_99")


# ----------------------------------------------------------------------------------------------
# keypoints(body_model, output, convention)


def test_keypoints_of_a_posed_smpl(standin_body_models_dir):
    model = load_smpl("neutral")
    generator = torch.Generator().manual_seed(0)
    output = model.forward_axis_angle(
        torch.randn(2, 10, generator=generator),
        torch.randn(2, 3, generator=generator),
        torch.randn(2, 69, generator=generator) * 0.3,
    )
    got = {name: keypoints(model, output, name) for name in joints.CONVENTIONS}
    for name, value in got.items():
        assert value.shape == (2, len(joint_names(name)), 3), name
    verts, fk = output.vertices, output.joints
    torch.testing.assert_close(got["smpl_45"][:, :24], fk)
    torch.testing.assert_close(got["smpl_45"][:, joint_index("smpl_45", "left_eye")], verts[:, 2800])
    torch.testing.assert_close(got["hybrik_29"][:, 24:], verts[:, [411, 2445, 5905, 3216, 6617]])
    h36m = torch.einsum(
        "kv,bvc->bkc",
        torch.as_tensor(np.load(standin_body_models_dir / "J_regressor_h36m.npy"), dtype=torch.float32),
        verts,
    )
    torch.testing.assert_close(got["h36m_17"], h36m)
    torch.testing.assert_close(got["lsp_14"], h36m[:, list(joints.H36M_TO_LSP_14)])
    torch.testing.assert_close(got["smpl_49"], got["smpl_54"][:, SMPL_49_FROM_SMPL_54])
    torch.testing.assert_close(got["smpl_24"], got["smpl_49"][:, 25:])
    torch.testing.assert_close(got["coco_17"][:, joint_index("coco_17", "left_hip")], fk[:, 1])
    torch.testing.assert_close(got["mediapipe_33"][:, joint_index("mediapipe_33", "left_wrist")], fk[:, 20])
    torch.testing.assert_close(got["mediapipe_33"][:, joint_index("mediapipe_33", "left_heel")], verts[:, 3387])
    torch.testing.assert_close(got["mediapipe_33"][:, joint_index("mediapipe_33", "nose")], verts[:, 332])


def test_keypoints_needing_a_missing_regressor_say_which_file(tmp_path):
    from core.testing.smpl import write_standin_smpl

    write_standin_smpl(tmp_path / "smpl" / "SMPL_NEUTRAL.pkl")
    model = load_smpl(folder=tmp_path)
    output = model.forward_axis_angle(torch.zeros(1, 10), torch.zeros(1, 3), torch.zeros(1, 69))
    with pytest.raises(KeyError, match="J_regressor_extra.npy"):
        keypoints(model, output, "smpl_49")
    with pytest.raises(ValueError, match="supports"):
        keypoints(model, output, "human_data")
