import numpy as np
import pytest
import torch

from core import geometry
from core.networks.build import load_model
from core.networks.checkpoint import save_checkpoint
from core.networks.hybrik_ik import rest_skeleton
from core.pipeline import inference
from core.pipeline.crop import crop_people
from core.pipeline.estimate import HMR, HybrIK, MeshPrediction
from core.testing.checkpoints import official_state_dict, sane_hmr
from core.testing.poses import synthetic_hybrik_scene
from core.testing.smpl import make_body_model


def test_hmr_predict_overlays_on_the_photo(body_model, image):
    model = sane_hmr(body_model)
    boxes = np.array([[100, 50, 300, 450], [400, 200, 600, 420]], np.float32)
    with torch.inference_mode():
        preds = model.predict(image, boxes)
    assert len(preds) == 2 and isinstance(preds[0], MeshPrediction)
    for pred, box in zip(preds, boxes):
        assert (
            pred.rotmats.shape == (24, 3, 3) and pred.vertices.shape == (6890, 3) and pred.joints_h36m.shape == (17, 3)
        )
        # The crop camera: 5000 px focal at the crop centre, crop pixels mapped back to the photo.
        crop_px = geometry.project(
            torch.from_numpy(pred.joints + pred.extras["crop_cam_t"])[None], geometry.intrinsics(5000.0, 112.0, 112.0)
        )[0].numpy()
        side = max(box[2] - box[0], box[3] - box[1]) * 1.25
        center = (box[:2] + box[2:]) / 2
        mapped_back = crop_px * side / 224 + center - side / 2
        assert np.allclose(pred.keypoints_2d, mapped_back, atol=1e-2)
        # The shared full-image camera puts the mesh where the crop camera saw it.
        full_px = geometry.project(torch.from_numpy(pred.joints + pred.cam_t)[None], torch.from_numpy(pred.K))[
            0
        ].numpy()
        # (Not exact: the crop camera is a 11000 px telephoto, the photo's K a 800 px wide angle.)
        error = np.linalg.norm(full_px - pred.keypoints_2d, axis=-1)
        assert error.mean() < 0.01 * side and error.max() < 0.02 * side
        assert np.allclose(pred.K, geometry.image_intrinsics((480, 640)).numpy())


def test_hmr_predict_matches_forward_and_body_model(body_model, image):
    model = sane_hmr(body_model, "spin_gta")
    boxes = np.array([[100, 50, 300, 450]], np.float32)
    with torch.inference_mode():
        pred = model.predict(image, boxes)[0]
        out = model(crop_people(image, boxes, model.input_spec).images)
        body = body_model(out.betas, out.rotmats[:, :1], out.rotmats[:, 1:])
    assert pred.method == "spin_gta"
    assert np.allclose(pred.vertices, body.vertices[0].numpy(), atol=1e-6)
    assert np.allclose(pred.extras["cam_weak"], out.cam_weak[0].numpy())
    assert np.allclose(geometry.aa_to_rotmat(torch.from_numpy(pred.pose_aa)).numpy(), pred.rotmats, atol=1e-5)


def test_hybrik_in_the_wild_recovers_pose_root_and_overlay(body_model, image):
    scene = synthetic_hybrik_scene(body_model)
    model = HybrIK(body_model).eval()
    model.network = lambda images: scene["head"]
    with torch.inference_mode():
        pred = model.predict(image, scene["box"])[0]
    assert np.allclose(pred.rotmats, scene["rotmats"][0].numpy(), atol=2e-3)
    assert np.allclose(pred.extras["pelvis_cam"], scene["pelvis"][0].numpy(), atol=2e-3)
    assert np.allclose(pred.joints + pred.cam_t, scene["camera_joints"][0, :24].numpy(), atol=5e-3)
    full_px = geometry.project(torch.from_numpy(pred.joints + pred.cam_t)[None], torch.from_numpy(pred.K))[0].numpy()
    assert np.abs(full_px - pred.keypoints_2d).max() < 1.0  # pixels


def test_hybrik_evaluation_path_uses_given_camera_and_root(body_model):
    scene = synthetic_hybrik_scene(body_model)
    model = HybrIK(body_model).eval()
    model.network = lambda images: scene["head"]
    trans_inv = torch.as_tensor(scene["crops"].trans_inv, dtype=torch.float32)
    K_inv = torch.linalg.inv(scene["K"])[None]
    with torch.inference_mode():
        out = model(
            torch.zeros(1, 3, 256, 256), trans_inv, K_inv, scene["pelvis"], torch.tensor([2.0], dtype=torch.float64)
        )
    assert out.skeleton.dtype == torch.float32
    assert torch.allclose(out.rotmats, scene["rotmats"], atol=2e-3)
    expected = scene["camera_joints"] - scene["camera_joints"][:, :1]
    assert torch.allclose(out.skeleton, expected, atol=1e-3)
    body = body_model(out.betas, out.rotmats[:, :1], out.rotmats[:, 1:])
    assert torch.allclose(out.vertices, body.vertices) and out.joints_h36m.shape == (1, 17, 3)
    # The mesh is not re-centred: the pelvis stays at the rest pelvis.
    assert torch.allclose(out.joints[:, 0], rest_skeleton(body_model, out.betas)[:, 0], atol=1e-6)


def test_hybrik_network_shapes(body_model, image):
    model = HybrIK(body_model).eval()
    with torch.inference_mode():
        preds = model.predict(image, np.array([[100, 50, 300, 450]], np.float32))
    assert preds[0].keypoints_2d.shape == (24, 2) and preds[0].extras["uvd"].shape == (29, 3)
    assert np.isfinite(preds[0].vertices).all() and np.isfinite(preds[0].cam_t).all()


def test_open_body_model_uses_zero_betas(image):
    open_model = make_body_model(kind="open", seed=5)
    model = sane_hmr(open_model)
    torch.nn.init.constant_(model.head.decshape.bias, 0.5)
    with torch.inference_mode():
        pred = model.predict(image, np.array([[100, 50, 300, 450]], np.float32))[0]
    assert np.array_equal(pred.betas, np.zeros(10, np.float32))
    assert np.abs(pred.extras["pred_betas"]).max() > 0.1
    assert pred.extras["betas_used"].startswith("zeros")


def test_no_boxes_gives_no_predictions(body_model, image):
    assert HMR(body_model).eval().predict(image, np.zeros((0, 4), np.float32)) == []


def test_missing_checkpoint_says_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv("HMRC_CHECKPOINTS", str(tmp_path))
    with pytest.raises(inference.MissingCheckpointError) as error:
        inference.require_checkpoint("hybrik")
    message = str(error.value)
    assert "resnet34_hybrik_mixed-a61b3c9c_20220211.pth" in message and str(tmp_path) in message
    assert "python -m core.weights fetch hybrik" in message
    with pytest.raises(ValueError, match="unknown method"):
        inference.require_checkpoint("vibe")


def test_inference_loads_once_and_predicts(tmp_path, monkeypatch, body_model, image):
    monkeypatch.setenv("HMRC_CHECKPOINT_HMR", str(tmp_path / "my_hmr.pth"))  # random weights: the user's own file
    save_checkpoint(tmp_path / "my_hmr.pth", official_state_dict("hmr", body_model), {})
    inference.clear_cache()
    try:
        results = inference.predict(
            image, [[100, 50, 300, 450], [350, 100, 600, 470]], methods=["hmr"], body_model=body_model
        )
        assert list(results) == ["hmr"] and len(results["hmr"]) == 2
        assert inference.checkpoint_of(results["hmr"][0]).custom  # each prediction names its checkpoint
        assert inference.get_model("hmr", body_model) is inference.get_model("hmr", body_model)
        with pytest.raises(ValueError, match="precision"):
            inference.predict(image, [[0, 0, 10, 10]], methods=["hmr"], body_model=body_model, precision="int8")
    finally:
        inference.clear_cache()


def test_load_model_from_file_matches_state_dict(tmp_path, body_model):
    state = official_state_dict("hybrik", body_model)
    path = tmp_path / "h.pth"
    save_checkpoint(path, state, {"epoch": 1})
    model = load_model(path, "hybrik", body_model=body_model)
    assert not model.training
    assert torch.equal(model.head.decphi.weight, state["head.decphi.weight"])
