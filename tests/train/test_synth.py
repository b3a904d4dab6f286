from types import SimpleNamespace

import numpy as np
import pytest
import torch
from scipy.spatial import ConvexHull
from smplx.lbs import batch_rodrigues

from core.body_models import BodyModel
from core.evaluation import pw3d as evaluation
from core.evaluation.human_data import load_human_data
from core.testing.smpl import standin_smpl_arrays
from train import synth


def _standin_body(blob_size: int = 20) -> BodyModel:
    """A small body: one closed blob of vertices around each stand-in SMPL rest joint (fast to render)."""
    rest_joints = standin_smpl_arrays("neutral", seed=0)["J"]
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(blob_size, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    blob_faces = ConvexHull(directions).simplices
    v_template = np.concatenate([joint + 0.06 * directions for joint in rest_joints])
    faces = np.concatenate([blob_faces + joint * blob_size for joint in range(24)])
    owner = np.repeat(np.arange(24), blob_size)
    num_verts = len(v_template)
    weights = np.eye(24)[owner]
    j_regressor = weights.T / blob_size
    regressors = {name: _regressor(rng, len(names), num_verts) for name, names in synth.REGRESSOR_NAMES.items()}
    return BodyModel(
        kind="smpl",
        gender="neutral",
        v_template=v_template,
        shapedirs=rng.normal(scale=0.005, size=(num_verts, 3, 10)),
        J_regressor=j_regressor,
        lbs_weights=weights,
        faces=faces,
        posedirs=rng.normal(scale=0.001, size=(207, num_verts * 3)),
        regressors=regressors,
    )


def _regressor(rng, rows: int, num_verts: int) -> np.ndarray:
    matrix = np.zeros((rows, num_verts))
    for row in range(rows):
        matrix[row, rng.choice(num_verts, 5, replace=False)] = 0.2
    return matrix


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth_data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HMRC_RENDERER", "software")
        synth.generate(out, _standin_body(), num_train=2, num_test=3, seed=7)
    return out


def test_files_and_images_in_the_official_layout(synth_root):
    pw3d = load_human_data(synth_root / "preprocessed_datasets" / "pw3d_test.npz")
    assert len(pw3d) == 3 and pw3d["bbox_xywh"].shape == (3, 5)
    assert pw3d.smpl("body_pose").shape == (3, 23, 3) and pw3d["cam_param"][0]["H"] == synth.IMAGE_HEIGHT
    image_path = pw3d.image_paths("pw3d", root=synth_root)[2]
    assert image_path.as_posix().endswith("datasets/pw3d/imageFiles/synth_test/image_00002.jpg")
    import cv2

    image = cv2.imread(str(image_path))
    assert image.shape == (synth.IMAGE_HEIGHT, synth.IMAGE_WIDTH, 3)
    train = load_human_data(synth_root / "preprocessed_datasets" / "synth_train.npz")
    assert train["keypoints2d"].shape == (2, 190, 3) and train["keypoints3d_mask"].sum() >= 24 + 17


def test_person_is_drawn_inside_its_box(synth_root):
    import cv2

    train = load_human_data(synth_root / "preprocessed_datasets" / "synth_train.npz")
    x, y, w, h, _ = train["bbox_xywh"][0]
    assert 0 <= x and 0 <= y and x + w <= synth.IMAGE_WIDTH and y + h <= synth.IMAGE_HEIGHT
    assert h > 0.5 * synth.IMAGE_HEIGHT
    kp2d = train["keypoints2d"][0]
    pelvis = kp2d[0, :2].round().astype(int)
    image = cv2.imread(str(train.image_paths("synth", root=synth_root)[0]))
    assert image.shape[:2] == (synth.IMAGE_HEIGHT, synth.IMAGE_WIDTH)
    assert 0 <= pelvis[0] < synth.IMAGE_WIDTH and 0 <= pelvis[1] < synth.IMAGE_HEIGHT


def test_hybrik_file_is_consistent_with_root_and_intrinsics(synth_root):
    data = load_human_data(synth_root / "preprocessed_datasets" / "hybrik_pw3d_test.npz")
    k_inv, roots = data["cam_param"]["intrinsic"], data["root_cam"]
    uvd = data["keypoints3d"][:, 0, :3]  # SMPL pelvis: pixels and depth relative to the root
    # Back-project as HybrIK does: K⁻¹ · (u, v, 1) · (d + root_z) − root = 0 for the root itself.
    rays = np.einsum("nij,nj->ni", k_inv, np.concatenate([uvd[:, :2], np.ones((3, 1))], 1))
    np.testing.assert_allclose(rays * (uvd[:, 2:] + roots[:, 2:]), roots, atol=1e-6)
    np.testing.assert_allclose(data["keypoints3d17_relative"][:, 148, :3], 0.0)
    assert data["bbox_xywh"][0, 2] > data["bbox_xywh"][0, 0], "xyxy boxes"
    assert np.asarray(data["depth_factor"]).tolist() == [2.0, 2.0, 2.0]


def test_eval_accepts_the_files_and_gives_zero_for_gt_predictions(synth_root):
    body = _standin_body()
    bodies = evaluation.EvalBodies(neutral=body, male=body, female=body)
    for method, name in (("hmr", "pw3d_test.npz"), ("hybrik", "hybrik_pw3d_test.npz")):
        data = load_human_data(synth_root / "preprocessed_datasets" / name)
        arrays = evaluation.ground_truth_arrays(data, method)
        batch = {key: torch.as_tensor(np.asarray(value)) for key, value in arrays.items()}
        gt = evaluation.ground_truth_from_batch(batch)
        full = torch.cat([gt.global_orient, gt.body_pose], 1).float().reshape(-1, 3)
        pred = evaluation.Predictions(batch_rodrigues(full).reshape(-1, 24, 3, 3), gt.betas.float())
        errors = evaluation.evaluate_batch(pred, gt, bodies)
        np.testing.assert_allclose(errors.mpjpe, 0.0, atol=1e-2, err_msg=method)
        np.testing.assert_allclose(errors.pve, 0.0, atol=1e-2, err_msg=method)


def test_same_seed_same_data(tmp_path, synth_root, monkeypatch):
    monkeypatch.setenv("HMRC_RENDERER", "software")
    synth.generate(tmp_path, _standin_body(), num_train=0, num_test=3, seed=7)
    first = load_human_data(synth_root / "preprocessed_datasets" / "pw3d_test.npz")
    second = load_human_data(tmp_path / "preprocessed_datasets" / "pw3d_test.npz")
    np.testing.assert_array_equal(first["bbox_xywh"], second["bbox_xywh"])
    np.testing.assert_array_equal(first.smpl("betas"), second.smpl("betas"))


class _GroundTruthModel(torch.nn.Module):
    """Stands in for a network: returns the file's GT pose per sample in loader order and records its inputs."""

    def __init__(self, rotmats: torch.Tensor, betas: torch.Tensor):
        super().__init__()
        self.rotmats, self.betas, self.cursor, self.calls = rotmats, betas, 0, []

    def forward(self, images, **hybrik_inputs):
        rows = slice(self.cursor, self.cursor + len(images))
        self.cursor += len(images)
        self.calls.append((tuple(images.shape), hybrik_inputs))
        return SimpleNamespace(rotmats=self.rotmats[rows], betas=self.betas[rows])


@pytest.mark.parametrize("method", ["hmr", "hybrik"])
def test_evaluation_loop_on_synthetic_images(synth_root, monkeypatch, method):
    monkeypatch.setenv("HMRC_DATA", str(synth_root))
    body = _standin_body()
    data = load_human_data(evaluation.test_file(method, synth_root))
    gt = evaluation.ground_truth_from_batch(
        {key: torch.as_tensor(np.asarray(v)) for key, v in evaluation.ground_truth_arrays(data, method).items()}
    )
    full = torch.cat([gt.global_orient, gt.body_pose], 1).float().reshape(-1, 3)
    model = _GroundTruthModel(batch_rodrigues(full).reshape(-1, 24, 3, 3), gt.betas.float())
    result = evaluation.run_evaluation(
        model,
        method,
        data,
        evaluation.EvalBodies(body, body, body),
        torch.device("cpu"),
        batch_size=2,
        workers=0,
        progress=False,
    )
    np.testing.assert_array_equal(result.indices, [0, 1, 2])
    assert result.summary()["mpjpe_mm"] < 1e-2 and result.summary()["pve_mm"] < 1e-2
    size = 256 if method == "hybrik" else 224
    assert model.calls[0][0] == (2, 3, size, size)
    if method == "hybrik":
        inputs = model.calls[0][1]
        x1, y1, x2, y2, _ = data["bbox_xywh"][0]
        crop_centre = inputs["trans_inv"][0].double().numpy() @ np.array([128.0, 128.0, 1.0])
        np.testing.assert_allclose(crop_centre, [(x1 + x2) / 2, (y1 + y2) / 2], atol=1e-3)
        np.testing.assert_allclose(inputs["intrinsic_inv"][0].numpy(), data["cam_param"]["intrinsic"][0], rtol=1e-6)
        np.testing.assert_allclose(inputs["joint_root"][0].numpy(), data["root_cam"][0], rtol=1e-6)
        assert inputs["depth_factor"].dtype == torch.float64 and float(inputs["depth_factor"][0]) == 2.0
