"""Every converter on its miniature: sample counts derived from the raw values, fields, conventions, masks,
boxes, image paths and order, read back with the project's HumanData reader."""

import pickle
import pickletools

import cv2
import h5py
import numpy as np
import pytest
import scipy.io

from core.evaluation.human_data import load_human_data
from core.joints import joint_names
from core.joints.human_data import HUMAN_DATA_NAMES
from train.prepare import miniatures

HD = {name: i for i, name in enumerate(HUMAN_DATA_NAMES)}
# file → (builder, count key, image folder under datasets/, joints in keypoints2d_mask)
FILES = {
    "pw3d_test.npz": ("pw3d", "count", "pw3d", None),
    "hybrik_pw3d_test.npz": ("pw3d_hybrik", "count", "pw3d", None),
    "h36m_mosh_train.npz": ("h36m", "train_mosh", "h36m", 17),
    "hybrik_h36m_train.npz": ("h36m_hybrik", "count", "h36m", None),
    "mpi_inf_3dhp_train.npz": ("mpi_inf_3dhp", "count", "mpi_inf_3dhp", 28),
    "hybrik_mpi_inf_3dhp_train.npz": ("mpi_inf_3dhp_hybrik", "count", "mpi_inf_3dhp", None),
    "lsp_train.npz": ("lsp", "train", "lsp", 14),
    "lspet_train.npz": ("lspet", "count", "lspet", 14),
    "mpii_train.npz": ("mpii", "count", "mpii", 16),
    "coco_2014_train.npz": ("coco", "count", "coco", 17),
    "hybrik_coco_2017_train.npz": ("coco_2017", "count", "coco", 17),
    "ai_challenger_train.npz": ("ai_challenger", "count", "ai_challenger", 14),
    "cmu_mosh.npz": ("cmu_mosh", "count", None, None),
    "spin_coco_2014_train.npz": ("spin", "count", None, 49),
    "spin_mpi_inf_3dhp_train.npz": ("spin", "count", None, 49),
    "spin_pw3d_test.npz": ("spin", "count", None, None),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_file_has_the_raw_datas_count_and_its_images(prepared, name):
    root, made = prepared
    builder, key, images, joints = FILES[name]
    data = load_human_data(root / "preprocessed_datasets" / name)
    assert len(data) == made[builder][key] > 0
    if images:
        assert all((root / "datasets" / images / path).is_file() for path in data["image_path"])
    if joints:
        assert int(data["keypoints2d_mask"].sum()) == joints
        assert data["keypoints2d"].shape == (len(data), 190, 3)


def test_no_partial_files_are_left_behind(prepared):
    root, _ = prepared
    assert not list((root / "preprocessed_datasets").glob(".*"))


def test_3dpw_pickles_are_python2_style_and_each_sample_follows_mmhuman3ds_rules(prepared):
    root, _ = prepared
    name, people, frames = miniatures.PW3D_SEQUENCES[0]
    path = root / "datasets" / "pw3d" / "sequenceFiles" / "test" / f"{name}.pkl"
    opcodes = {op.name for op, _, _ in pickletools.genops(path.read_bytes())}
    assert "SHORT_BINSTRING" in opcodes and "BINUNICODE" not in opcodes and "SHORT_BINUNICODE" not in opcodes
    raw = pickle.loads(path.read_bytes(), encoding="latin1")  # written by the test's own builder
    data = load_human_data(root / "preprocessed_datasets" / "pw3d_test.npz")
    # sample 0: the first sequence (sorted names), person 0, frame 0
    R = raw["cam_poses"][0][:3, :3]
    expected_orient = cv2.Rodrigues(R @ cv2.Rodrigues(raw["poses"][0][0][:3])[0])[0].ravel()
    np.testing.assert_allclose(data.smpl("global_orient")[0], expected_orient, atol=1e-12)
    np.testing.assert_array_equal(data.smpl("body_pose")[0].ravel(), raw["poses"][0][0][3:])
    np.testing.assert_array_equal(data.smpl("betas")[0], raw["betas"][0][:10])
    points = raw["poses2d"][0][0].T
    points = points[points[:, 2] > 0]
    low, high = points[:, :2].min(0), points[:, :2].max(0)
    center, size = (low + high) / 2, (high - low) * 1.2
    np.testing.assert_allclose(data["bbox_xywh"][0], [*(center - size / 2), *size, 1], atol=1e-9)
    assert data["image_path"][0] == f"imageFiles/{name}/image_00000.jpg"
    assert data["meta"]["gender"][0] == raw["genders"][0]
    camera = data["cam_param"][0]
    assert (camera["H"], camera["W"]) == miniatures.PW3D_IMAGE
    np.testing.assert_array_equal(camera["in_mat"], raw["cam_intrinsics"])
    # person 0's invalid frame 1 is left out: sample 1 is frame 2
    assert data["image_path"][1] == f"imageFiles/{name}/image_00002.jpg"


def test_coco_people_are_in_image_id_order_with_12_labelled_body_joints(prepared):
    root, _ = prepared
    data = load_human_data(root / "preprocessed_datasets" / "coco_2014_train.npz")
    ids = [int(path.split("_")[-1][:-4]) for path in data["image_path"]]
    assert ids == sorted(ids)
    body = [HD[name] for name in joint_names("coco_annotated_17")[5:]]
    assert np.all(data["keypoints2d"][:, body, 2] == 1)
    assert set(np.unique(data["keypoints2d"][..., 2])) <= {0.0, 1.0}
    assert data["keypoints2d_mask"][HD["left_hip_extra"]] == 1 and data["keypoints2d_mask"][HD["left_hip"]] == 0


def test_lsp_joints_land_on_their_human_data_names(prepared):
    root, _ = prepared
    joints = scipy.io.loadmat(root / "datasets" / "lsp" / "joints.mat")["joints"]
    data = load_human_data(root / "preprocessed_datasets" / "lsp_train.npz")
    for k, path in enumerate(data["image_path"]):
        i = int(path[-8:-4]) - 1
        for j, name in enumerate(joint_names("lsp_14")):
            np.testing.assert_array_equal(data["keypoints2d"][k, HD[name], :2], joints[:2, j, i])
    assert "images/im0002.jpg" not in data["image_path"]  # its keypoints leave the image


def test_h36m_boxes_come_from_the_masks_and_mosh_roots_are_turned(prepared):
    root, _ = prepared
    data = load_human_data(root / "preprocessed_datasets" / "h36m_mosh_train.npz")
    subject, action, subaction, cameras = miniatures.H36M_SEQUENCES[0]
    name = miniatures.h36m_sequence_name(subject, action, subaction)
    camera = miniatures.H36M_CAMERAS[cameras[0]]
    with h5py.File(
        root / "datasets" / "h36m" / "S1" / "MySegmentsMat" / "ground_truth_bs" / f"{name}.{camera}.mat"
    ) as f:
        mask = f[f["Masks"][5, 0]][:].T
    ys, xs = np.nonzero(mask == 1)
    x1, y1, x2, y2 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    center, size = np.array([x1 + x2, y1 + y2]) / 2, np.array([x2 - x1, y2 - y1]) * 0.9
    assert data["image_path"][1].endswith(f"S1_{name.replace(' ', '_')}.{camera}_000006.jpg")
    np.testing.assert_allclose(data["bbox_xywh"][1, :4], [*(center - size / 2), *size], atol=1e-9)
    np.testing.assert_array_equal(data["keypoints3d"][:, HD["pelvis_extra"], :3], 0)  # root-centred
    mosh = pickle.loads(
        (root / "datasets" / "h36m_mosh" / "S1" / f"{name}_cam{cameras[0]}_aligned.pkl").read_bytes(), encoding="latin1"
    )
    turned = cv2.Rodrigues(mosh["new_poses"][1, :3])[0] @ cv2.Rodrigues(np.array([np.pi, 0.0, 0.0]))[0]
    np.testing.assert_allclose(cv2.Rodrigues(data.smpl("global_orient")[1])[0], turned, atol=1e-9)
    assert data.smpl("body_pose").shape == (len(data), 23, 3)
    assert ("S9", "60457274") in data["cam_param"] and len(data["cam_param"]) == 44


def test_mpi_inf_3dhp_keeps_every_tenth_frame_inside_the_image(prepared):
    root, made = prepared
    data = load_human_data(root / "preprocessed_datasets" / "mpi_inf_3dhp_train.npz")
    assert len(data) == (made["mpi_inf_3dhp"]["valid_frames"] + 9) // 10
    points = data["keypoints2d"][:, data["keypoints2d_mask"] == 1, :2]
    assert points.min() >= 0 and points.max() < 2048
    np.testing.assert_array_equal(data["keypoints3d"][:, HD["pelvis_extra"], :3], 0)
    assert data["image_path"][0] == "S1/Seq1/video_0/000001.jpg"


def test_hybrik_files_hold_what_hybrik_training_and_evaluation_read(prepared):
    root, _ = prepared
    for name, depth in (
        ("hybrik_h36m_train.npz", 2000.0),
        ("hybrik_pw3d_test.npz", 2.0),
        ("hybrik_mpi_inf_3dhp_train.npz", 2000.0),
    ):
        data = load_human_data(root / "preprocessed_datasets" / name)
        box = data["bbox_xywh"][:, :4]  # xyxy, clipped to the image
        assert np.all(box[:, 2] <= np.asarray(data["image_width"]) - 1) and np.all(box[:, :2] >= 0)
        f, c = data["cam_param"]["f"], data["cam_param"]["c"]
        K = np.zeros((len(data), 3, 3), np.float32)
        K[:, 0, 0], K[:, 1, 1], K[:, 0, 2], K[:, 1, 2], K[:, 2, 2] = f[:, 0], f[:, 1], c[:, 0], c[:, 1], 1
        np.testing.assert_allclose(data["cam_param"]["intrinsic"] @ K, np.broadcast_to(np.eye(3), K.shape), atol=1e-5)
        assert set(np.asarray(data["depth_factor"]).tolist()) == {depth}
        assert data["root_cam"].shape == (len(data), 3)
    h36m = load_human_data(root / "preprocessed_datasets" / "hybrik_h36m_train.npz")
    assert h36m["phi"].shape == (len(h36m), 23, 2) and set(np.unique(h36m["phi_weight"])) == {0.0, 1.0}
    np.testing.assert_allclose(h36m["keypoints3d17_relative"][:, HD["pelvis_extra"], :3], 0, atol=1e-12)


def test_spin_boxes_are_the_scale_square_and_mpi_paths_lose_imageframes(prepared):
    root, _ = prepared
    raw = np.load(root / "datasets" / "spin_data" / "mpi_inf_3dhp_train.npz")
    data = load_human_data(root / "preprocessed_datasets" / "spin_mpi_inf_3dhp_train.npz")
    side = raw["scale"] * 200
    np.testing.assert_allclose(
        data["bbox_xywh"][:, :4], np.column_stack([raw["center"] - side[:, None] / 2, side, side]), atol=1e-12
    )
    assert data["image_path"][0] == "S1/Seq1/video_0/000001.jpg"
    np.testing.assert_array_equal(data["has_smpl"], raw["has_smpl"])
    pw3d = load_human_data(root / "preprocessed_datasets" / "spin_pw3d_test.npz")
    assert list(pw3d["meta"]["gender"]) == ["m", "f", "m", "f", "f"] and "keypoints2d" not in pw3d


def test_cmu_mosh_is_bodies_only_and_feeds_the_adversarial_prior(prepared):
    from train.data.datasets import AdversarialPoses

    root, made = prepared
    poses = AdversarialPoses(root / "preprocessed_datasets" / "cmu_mosh.npz", seed=0)
    assert poses.pose.shape == (made["cmu_mosh"]["count"], 24, 3) and poses.betas.shape[1] == 10
    first = pickle.loads(
        (root / "datasets" / "cmu_mosh" / "neutrSMPL_CMU" / "01" / "01_01.pkl").read_bytes(), encoding="latin1"
    )
    np.testing.assert_allclose(poses.pose[0].ravel(), first["poses"][0], atol=1e-6)


def test_amass_source_samples_ten_frames_per_second(tmp_path):
    made = miniatures.write_cmu_mosh(tmp_path, amass=True)
    from train.prepare.__main__ import main

    assert main(["cmu_mosh", "--raw", str(made["raw"]), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    data = load_human_data(tmp_path / "out" / "cmu_mosh.npz")
    assert len(data) == made["count"]
    np.testing.assert_array_equal(data.smpl("body_pose")[:, 21:], 0)  # SMPL's hands: not in SMPL+H's body
