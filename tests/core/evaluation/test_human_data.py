import numpy as np
import pytest

from core.evaluation.human_data import HumanDataError, compress, decompress, load_human_data, save_human_data
from core.joints.human_data import HUMAN_DATA_NAMES, human_data_indices

H36M_17 = (
    "pelvis_extra",
    "left_hip_extra",
    "left_knee",
    "left_ankle",
    "right_hip_extra",
    "right_knee",
    "right_ankle",
    "spine_extra",
    "neck_extra",
    "head_extra",
    "headtop",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
)


def test_human_data_names_match_the_reference_indices():
    assert len(HUMAN_DATA_NAMES) == 190
    assert human_data_indices(H36M_17) == [148, 145, 4, 7, 144, 5, 8, 150, 146, 152, 147, 16, 18, 20, 17, 19, 21]
    hybrik_29 = [
        0,
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        10,
        11,
        12,
        13,
        14,
        22,
        16,
        17,
        18,
        19,
        20,
        21,
        66,
        71,
        15,
        68,
        73,
        60,
        63,
    ]
    names = [HUMAN_DATA_NAMES[i] for i in hybrik_29]
    assert names[22:] == [
        "left_thumb",
        "right_thumb",
        "head",
        "left_middle",
        "right_middle",
        "left_bigtoe",
        "right_bigtoe",
    ]
    with pytest.raises(KeyError, match="not_a_joint"):
        human_data_indices(["not_a_joint"])


def _fields(num=4, seed=0):
    rng = np.random.default_rng(seed)
    mask = np.zeros(190, dtype=np.uint8)
    mask[human_data_indices(H36M_17)] = 1
    keypoints3d = np.zeros((num, 190, 4))
    keypoints3d[:, mask == 1] = rng.normal(size=(num, 17, 4))
    return {
        "image_path": [f"imageFiles/seq_a/image_{i:05d}.jpg" for i in range(num)],
        "bbox_xywh": rng.uniform(10, 100, size=(num, 4)),
        "keypoints3d": keypoints3d,
        "keypoints3d_mask": mask,
        "smpl": {
            "betas": rng.normal(size=(num, 10)),
            "body_pose": rng.normal(size=(num, 23, 3)),
            "global_orient": rng.normal(size=(num, 3)),
        },
        "meta": {"gender": ["m", "f", "m", "f"][:num]},
        "cam_param": [{"in_mat": np.eye(3), "name": "cam"} for _ in range(num)],
        "config": "pw3d",
    }


def test_round_trip_with_compression(tmp_path):
    fields = _fields()
    path = tmp_path / "set.npz"
    save_human_data(path, fields)
    with np.load(path, allow_pickle=True) as raw:
        assert raw["keypoints3d"].shape == (4, 17, 4), "stored compressed"
        assert bool(raw["__keypoints_compressed__"]) and int(raw["__data_len__"]) == 4
    data = load_human_data(path)
    assert len(data) == 4
    np.testing.assert_array_equal(data["keypoints3d"], fields["keypoints3d"])
    assert data["bbox_xywh"].shape == (4, 5), "4-column boxes get a confidence column, as in mmhuman3d"
    np.testing.assert_array_equal(data["bbox_xywh"][:, 4], 1.0)
    np.testing.assert_array_equal(data.smpl("body_pose"), fields["smpl"]["body_pose"])
    assert data["meta"]["gender"] == ["m", "f", "m", "f"]
    assert data["config"] == "pw3d" and data["cam_param"][2]["name"] == "cam"
    assert data["image_path"][1] == "imageFiles/seq_a/image_00001.jpg"


def test_uncompressed_round_trip_and_image_paths(tmp_path):
    save_human_data(tmp_path / "u.npz", _fields(), compress_keypoints=False)
    data = load_human_data(tmp_path / "u.npz")
    assert data["keypoints3d"].shape == (4, 190, 4)
    paths = data.image_paths("pw3d", root=tmp_path)
    assert paths[0] == tmp_path / "datasets" / "pw3d" / "imageFiles/seq_a/image_00000.jpg"


def test_compress_and_decompress_are_inverse():
    mask = np.array([1, 0, 1, 0, 0])
    full = np.zeros((2, 5, 3))
    full[:, [0, 2]] = np.arange(12).reshape(2, 2, 3)
    np.testing.assert_array_equal(compress(full, mask), full[:, [0, 2]])
    np.testing.assert_array_equal(decompress(compress(full, mask), mask), full)


def test_reads_a_file_written_the_mmhuman3d_way(tmp_path):
    """np.savez_compressed of the dict HumanData.dump makes, with the older `__temporal_len__`."""
    fields = _fields(num=2)
    fields["keypoints3d"] = compress(fields["keypoints3d"], fields["keypoints3d_mask"])
    np.savez_compressed(
        tmp_path / "mm.npz", __key_strict__=False, __temporal_len__=2, __keypoints_compressed__=True, **fields
    )
    data = load_human_data(tmp_path / "mm.npz")
    assert data["keypoints3d"].shape == (2, 190, 4) and data["smpl"]["betas"].shape == (2, 10)


def _write_npz(path, **arrays):
    np.savez_compressed(path, **arrays)
    return path


def test_wrong_sample_count_names_file_and_key(tmp_path):
    fields = _fields()
    fields["smpl"]["betas"] = fields["smpl"]["betas"][:3]
    save_human_data(tmp_path / "bad.npz", fields)
    with pytest.raises(HumanDataError, match=r"bad\.npz: key 'smpl\.betas': has 3 rows, expected 4"):
        load_human_data(tmp_path / "bad.npz")


def test_nan_names_the_sample(tmp_path):
    fields = _fields()
    fields["bbox_xywh"][2, 1] = np.nan
    save_human_data(tmp_path / "nan.npz", fields)
    with pytest.raises(HumanDataError, match=r"key 'bbox_xywh', sample 2: contains NaN"):
        load_human_data(tmp_path / "nan.npz")


def test_compressed_keypoints_must_match_their_mask(tmp_path):
    fields = _fields(num=2)
    _write_npz(
        tmp_path / "c.npz",
        __keypoints_compressed__=True,
        bbox_xywh=fields["bbox_xywh"],
        keypoints3d=np.zeros((2, 16, 4)),
        keypoints3d_mask=fields["keypoints3d_mask"],
    )
    with pytest.raises(HumanDataError, match=r"key 'keypoints3d'.*17 joints"):
        load_human_data(tmp_path / "c.npz")
    _write_npz(
        tmp_path / "m.npz",
        __keypoints_compressed__=True,
        bbox_xywh=fields["bbox_xywh"],
        keypoints2d=np.zeros((2, 16, 3)),
    )
    with pytest.raises(HumanDataError, match="keypoints2d_mask"):
        load_human_data(tmp_path / "m.npz")


def test_bad_image_path_and_bbox_shape(tmp_path):
    fields = _fields(num=2)
    _write_npz(tmp_path / "b.npz", bbox_xywh=np.zeros((2, 3)))
    with pytest.raises(HumanDataError, match=r"key 'bbox_xywh'.*\(N, 4\) or \(N, 5\)"):
        load_human_data(tmp_path / "b.npz")
    _write_npz(tmp_path / "p.npz", bbox_xywh=fields["bbox_xywh"], image_path=np.array(["a.jpg", ""]))
    with pytest.raises(HumanDataError, match=r"key 'image_path', sample 1"):
        load_human_data(tmp_path / "p.npz")


class _Exploit:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_refuses_pickles_that_run_code(tmp_path, capsys):
    holder = np.empty((), dtype=object)
    holder[()] = {"payload": _Exploit()}
    _write_npz(tmp_path / "evil.npz", bbox_xywh=np.zeros((1, 5)), misc=holder)
    with pytest.raises(HumanDataError, match=r"evil\.npz: key 'misc'.*refusing to load 'builtins\.print'"):
        load_human_data(tmp_path / "evil.npz")
    assert "must never run" not in capsys.readouterr().out


def test_not_an_npz(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"hello")
    with pytest.raises(HumanDataError, match="not an .npz"):
        load_human_data(tmp_path / "x.npz")
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        load_human_data(tmp_path / "missing.npz")


def test_conversion_to_other_conventions_keeps_the_file_mask(tmp_path):
    save_human_data(tmp_path / "k.npz", _fields())
    data = load_human_data(tmp_path / "k.npz")
    h36m, mask = data.keypoints("keypoints3d", "h36m_17")
    np.testing.assert_array_equal(h36m, data["keypoints3d"][:, human_data_indices(H36M_17)])
    np.testing.assert_array_equal(mask, 1)
    smpl_54, mask_54 = data.keypoints("keypoints3d", "smpl_54")
    assert smpl_54.shape == (4, 54, 4)
    # Only the 17 H36M joints are in the file: smpl_54 has all of them by name (10 limb joints and 7
    # of its 9 J_regressor_extra joints); every other smpl_54 joint stays masked and zero.
    assert int(mask_54.sum()) == 17 and np.all(smpl_54[:, mask_54 == 0] == 0)
