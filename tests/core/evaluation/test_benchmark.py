"""Benchmark sets: bundled synthetic samples and a 3DPW-layout folder, scored by mmhuman3d's protocol."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.evaluation import benchmark
from core.geometry import aa_to_rotmat


@pytest.fixture(scope="module")
def bundled():
    return benchmark.bundled_set()


def test_bundled_samples_are_listed_with_their_boxes(bundled):
    assert len(bundled) == 6 and all(path.is_file() for path in bundled.images)
    assert [index for _, index in benchmark.sample_choices(bundled)] == list(range(6))
    x0, y0, x1, y1 = bundled.box_xyxy(0)
    assert 0 <= x0 < x1 <= 360 and 0 <= y0 < y1 <= 480


def test_ground_truth_scores_zero_against_itself(bundled):
    truth = benchmark.ground_truth(bundled, 2)
    pose_aa = torch.cat([truth.global_orient, truth.body_pose], dim=1).reshape(24, 3)

    class Perfect:  # a prediction with exactly the ground-truth parameters
        rotmats = aa_to_rotmat(pose_aa).numpy()
        betas = truth.betas[0].numpy()

    errors = benchmark.score(Perfect, truth, bundled.bodies)
    assert errors.mpjpe.shape == (1, 14)
    np.testing.assert_allclose(errors.mpjpe, 0.0, atol=1e-3)
    np.testing.assert_allclose(errors.pve, 0.0, atol=1e-3)
    Perfect.betas = np.zeros(10, np.float32)  # right pose, average shape: the mesh no longer matches
    assert benchmark.score(Perfect, truth, bundled.bodies).pve[0] > 1.0


def test_a_sample_is_scored_per_method_and_per_joint(bundled):
    scores = benchmark.evaluate_sample(bundled, 1, ("hmr", "fit"), 53.0)
    assert list(scores.summary["method"]) == ["Fit"]  # no HMR checkpoint in the test data folder
    assert "HMR did not run" in scores.message and "python -m core.weights fetch hmr" in scores.message
    row = scores.summary.iloc[0]
    assert 0 < row["PA-MPJPE"] < 300 and 0 < row["MPJPE"] < 500 and row["PVE"] > 0
    assert len(scores.per_joint) == 14 and list(scores.per_joint.columns) == ["joint", "Fit MPJPE", "Fit PA-MPJPE"]
    np.testing.assert_allclose(scores.per_joint["Fit MPJPE"].mean(), row["MPJPE"], atol=0.1)


def test_the_ground_truth_mesh_is_posed_as_scored_with_the_pelvis_at_the_origin(bundled):
    truth = benchmark.truth_mesh(bundled, 2)
    model = bundled.bodies.neutral
    assert truth.vertices.shape == tuple(model.v_template.shape) and truth.faces.shape == model.faces.shape
    params = benchmark.ground_truth(bundled, 2)
    posed = model.forward_axis_angle(params.betas, params.global_orient, params.body_pose)
    np.testing.assert_allclose(truth.vertices, (posed.vertices[0] - posed.joints[0, 0]).numpy(), atol=1e-6)


def test_3dpw_layout_folder_uses_the_gendered_models(tmp_path, standin_body_models_dir):
    from train.synth import generate

    generate(tmp_path, bundled_body_model(), num_train=0, num_test=2, seed=1)
    real = benchmark.pw3d_set(tmp_path)
    assert real.gendered and real.bodies.male is not None and len(real) == 2
    truth = benchmark.ground_truth(real, 0)
    assert truth.is_male.tolist() == [False]  # gender 'n' → the female model, as mmhuman3d does
    assert benchmark.truth_mesh(real, 0).faces is real.bodies.female.faces


def bundled_body_model():
    from core.body_models.load import load_body_model

    return load_body_model("open")


def test_smpl_predictions_are_scored_with_zero_betas_on_open_ground_truth(bundled, standin_body_models_dir):
    from core.pipeline import inference

    inference.clear_cache()  # the app's body model becomes the stand-in SMPL
    try:
        scores = benchmark.evaluate_sample(bundled, 0, ("fit",), 53.0)
    finally:
        inference.clear_cache()
    assert scores.result.body_model.kind == "smpl"
    assert "betas) were set to zero" in scores.message and len(scores.summary) == 1
