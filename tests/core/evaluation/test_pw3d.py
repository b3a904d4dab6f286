import json

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation
from smplx.lbs import batch_rodrigues

from core.body_models import BodyModel
from core.evaluation import pw3d as evaluation
from core.evaluation.pw3d import EvalBodies, GroundTruth, Predictions, evaluate_batch
from core.joints import H36M_TO_LSP_14

NUM_VERTS = 60


def _body(seed: int, gender: str) -> BodyModel:
    """A tiny SMPL-layout body with an 'h36m_17' regressor (random but skeleton-like)."""
    rng = np.random.default_rng(seed)
    owner = rng.integers(0, 24, NUM_VERTS)
    joints = rng.normal(scale=0.3, size=(24, 3))
    v_template = joints[owner] + rng.normal(scale=0.03, size=(NUM_VERTS, 3))
    j_regressor = np.zeros((24, NUM_VERTS))
    j_regressor[owner, np.arange(NUM_VERTS)] = 1.0
    j_regressor[j_regressor.sum(1) == 0, 0] = 1.0
    weights = np.full((NUM_VERTS, 24), 0.02)
    weights[np.arange(NUM_VERTS), owner] = 1.0
    h36m = rng.random((17, NUM_VERTS)) ** 8
    return BodyModel(
        kind="smpl",
        gender=gender,
        v_template=v_template,
        shapedirs=rng.normal(scale=0.01, size=(NUM_VERTS, 3, 10)),
        J_regressor=j_regressor / j_regressor.sum(1, keepdims=True),
        lbs_weights=weights / weights.sum(1, keepdims=True),
        faces=np.zeros((1, 3), int),
        posedirs=rng.normal(scale=0.001, size=(207, NUM_VERTS * 3)),
        regressors={"h36m_17": h36m / h36m.sum(1, keepdims=True)},
    )


def _ground_truth(batch=3, seed=0, is_male=(True, False, True)):
    rng = np.random.default_rng(seed)
    return GroundTruth(
        betas=torch.tensor(rng.normal(size=(batch, 10)), dtype=torch.float32),
        global_orient=torch.tensor(rng.normal(scale=0.5, size=(batch, 3)), dtype=torch.float32),
        body_pose=torch.tensor(rng.normal(scale=0.3, size=(batch, 69)), dtype=torch.float32),
        is_male=None if is_male is None else torch.tensor(is_male),
    )


def _rotmats(gt: GroundTruth) -> torch.Tensor:
    full = torch.cat([gt.global_orient, gt.body_pose], 1).reshape(-1, 3)
    return batch_rodrigues(full).reshape(-1, 24, 3, 3)


def test_gt_derived_predictions_give_zero():
    same = _body(0, "neutral")
    bodies = EvalBodies(neutral=same, male=same, female=same)
    gt = _ground_truth()
    errors = evaluate_batch(Predictions(_rotmats(gt), gt.betas), gt, bodies)
    assert errors.mpjpe.shape == (3, 14) and errors.pve.shape == (3,)
    np.testing.assert_allclose(errors.mpjpe, 0.0, atol=1e-3)
    np.testing.assert_allclose(errors.pa_mpjpe, 0.0, atol=1e-3)
    np.testing.assert_allclose(errors.pve, 0.0, atol=1e-3)


def test_gender_selects_the_ground_truth_model():
    neutral, other = _body(0, "neutral"), _body(1, "male")
    gt = _ground_truth(is_male=(True, False, False))
    errors = evaluate_batch(Predictions(_rotmats(gt), gt.betas), gt, EvalBodies(neutral, male=other, female=neutral))
    assert errors.mpjpe[0].mean() > 1.0, "sample 0 is male: GT from the other body"
    np.testing.assert_allclose(errors.mpjpe[1:], 0.0, atol=1e-3)
    with pytest.raises(FileNotFoundError, match="SMPL_MALE.pkl"):
        evaluate_batch(Predictions(_rotmats(gt), gt.betas), gt, EvalBodies(neutral))


def test_known_global_rotation_gives_expected_numbers():
    body = _body(0, "neutral")
    bodies = EvalBodies(neutral=body, male=body, female=body)
    gt = _ground_truth()
    turn = torch.tensor(Rotation.from_euler("y", 30, degrees=True).as_matrix(), dtype=torch.float32)
    rotmats = _rotmats(gt)
    rotmats[:, 0] = turn @ rotmats[:, 0]
    errors = evaluate_batch(Predictions(rotmats, gt.betas), gt, bodies)
    np.testing.assert_allclose(errors.pa_mpjpe, 0.0, atol=1e-3)
    # The whole body turns about the SMPL root joint, so pelvis-relative joints turn by `turn` and
    # vertices by `turn` about the shaped root.
    posed = body.forward_axis_angle(gt.betas, gt.global_orient, gt.body_pose)
    h36m = body.regress(posed.vertices, "h36m_17").double().numpy()
    rel = (h36m - h36m[:, :1])[:, list(H36M_TO_LSP_14)] * 1000
    turn64 = turn.double().numpy()
    np.testing.assert_allclose(errors.mpjpe, np.linalg.norm(rel @ turn64.T - rel, axis=-1), atol=2e-3)
    root = body.shape(gt.betas)[1][:, :1].double().numpy()
    verts = posed.vertices.double().numpy() - root
    expected_pve = np.linalg.norm(verts @ turn64.T - verts, axis=-1).mean(1) * 1000
    np.testing.assert_allclose(errors.pve, expected_pve, rtol=1e-4)


def test_hybrik_ground_truth_joints_come_from_the_file():
    body = _body(0, "neutral")
    gt = _ground_truth(is_male=None)
    posed = body.forward_axis_angle(gt.betas, gt.global_orient, gt.body_pose)
    h36m = body.regress(posed.vertices, "h36m_17")
    gt.h36m_relative = h36m - h36m[:, :1]
    errors = evaluate_batch(Predictions(_rotmats(gt), gt.betas), gt, EvalBodies(neutral=body))
    np.testing.assert_allclose(errors.mpjpe, 0.0, atol=1e-3)
    gt.h36m_relative = gt.h36m_relative * 1.1  # a 10 % bigger GT skeleton
    errors = evaluate_batch(Predictions(_rotmats(gt), gt.betas), gt, EvalBodies(neutral=body))
    rel = (h36m - h36m[:, :1]).double().numpy()[:, list(H36M_TO_LSP_14)] * 1000
    np.testing.assert_allclose(errors.mpjpe, 0.1 * np.linalg.norm(rel, axis=-1), atol=2e-3)
    np.testing.assert_allclose(errors.pa_mpjpe, 0.0, atol=1e-3)


def test_collect_sorts_and_drops_sampler_padding(tmp_path):
    class _Data:
        def __getitem__(self, key):
            return [f"img_{i}.jpg" for i in range(3)]

    rows = [
        (2, np.full(14, 3.0), np.full(14, 1.0), 30.0),
        (0, np.full(14, 1.0), np.zeros(14), 10.0),
        (1, np.full(14, 2.0), np.zeros(14), 20.0),
        (0, np.full(14, 1.0), np.zeros(14), 10.0),
    ]
    result = evaluation._collect(rows, "hmr", _Data())
    np.testing.assert_array_equal(result.indices, [0, 1, 2])
    assert result.summary()["mpjpe_mm"] == pytest.approx(2.0)
    json_path, csv_path = evaluation.write_outputs(result, tmp_path)
    assert json.loads(json_path.read_text())["pve_mm"] == pytest.approx(20.0)
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("index,image_path") and lines[3].startswith("2,img_2.jpg,3.0000")


def test_missing_test_file_says_how_to_get_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="train.synth"):
        evaluation.test_file("hybrik", tmp_path)
