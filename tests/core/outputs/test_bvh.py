"""BVH export: read back by a small independent parser, its forward kinematics land on the body model's joints."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from core.body_models.load import load_body_model
from core.joints import SMPL_JOINTS
from core.outputs.bvh import bvh_text, prediction_bvh
from core.testing.bvh import forward_kinematics, parse_bvh

Y_UP = np.diag([1.0, -1.0, -1.0])


@pytest.fixture(scope="module")
def open_body_model():
    return load_body_model("open")


def test_a_prediction_exported_as_bvh_moves_the_skeleton_where_the_body_model_puts_it(open_body_model):
    rng = np.random.default_rng(3)
    rotmats = Rotation.from_rotvec(rng.normal(0.0, 0.5, (24, 3))).as_matrix()
    betas, cam_t = np.zeros(10), np.array([0.3, -0.2, 4.0])
    with torch.inference_mode():
        output = open_body_model(
            torch.zeros(1, 10),
            torch.as_tensor(rotmats[None, :1], dtype=torch.float32),
            torch.as_tensor(rotmats[None, 1:], dtype=torch.float32),
        )
    joints = output.joints[0].double().numpy()
    prediction = SimpleNamespace(rotmats=rotmats, betas=betas, joints=joints, cam_t=cam_t)

    names, parents, offsets, channels, motion, end_sites = parse_bvh(prediction_bvh(prediction, open_body_model))
    smpl_index = [SMPL_JOINTS.index(name) for name in names]  # BVH lists joints depth first
    smpl_parents = open_body_model.parents.tolist()
    assert sorted(smpl_index) == list(range(24))
    assert [smpl_index[p] if p >= 0 else -1 for p in parents] == [smpl_parents[j] for j in smpl_index]
    assert end_sites == 5 and motion.shape == (1, 6 + 23 * 3)  # head, feet and hands end the chains
    expected = (joints + cam_t) @ Y_UP.T  # the OpenCV-frame joints in the y-up frame of the bundle's meshes
    np.testing.assert_allclose(
        forward_kinematics(parents, offsets, channels, motion[0]), expected[smpl_index], atol=2e-5
    )


def test_several_frames_are_written_in_order():
    parents = [-1, 0, 1]
    rest = np.array([[0.0, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 1.0, 0.0]])
    rotmats = np.stack(
        [np.eye(3)[None].repeat(3, 0), Rotation.from_euler("z", [[90], [0], [0]], degrees=True).as_matrix()]
    )
    text = bvh_text(
        rest, parents, rotmats, np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]), names=("a", "b", "c"), frame_time=0.04
    )
    assert "Frames: 2" in text and "Frame Time: 0.040000" in text
    names, parsed_parents, offsets, channels, motion, _ = parse_bvh(text)
    first, second = (forward_kinematics(parsed_parents, offsets, channels, frame) for frame in motion)
    np.testing.assert_allclose(first, rest, atol=1e-6)
    # Frame 2: moved by (1, 2, 3), the root turned 90° about z, so the chain points along -x.
    np.testing.assert_allclose(second, [[1, 2, 3], [0.5, 2, 3], [0, 2, 3]], atol=1e-6)


def test_parents_must_come_before_their_children():
    with pytest.raises(AssertionError, match="parents"):
        bvh_text(
            np.zeros((3, 3)), [-1, 2, 0], np.eye(3)[None, None].repeat(3, 1), np.zeros((1, 3)), names=("a", "b", "c")
        )
