"""Bad raw data: one message naming the file and what was expected, exit code 2, nothing written; missing images
stop the conversion unless --skip-missing-images counts them."""

import json
import subprocess
import sys

import numpy as np
import pytest

from train.prepare import miniatures
from train.prepare.__main__ import main


def convert(args, out, capsys):
    code = main([str(a) for a in args] + ["--out", str(out), "--no-progress"])
    return code, capsys.readouterr()


def test_missing_folder_is_named(tmp_path, capsys):
    code, output = convert(["pw3d", "--raw", tmp_path / "nowhere"], tmp_path / "out", capsys)
    assert code == 2 and f"{tmp_path / 'nowhere' / 'sequenceFiles' / 'test'}: folder not found" in output.err
    assert "docs/data.md" in output.err and "Nothing was written" in output.err
    assert not (tmp_path / "out").exists()


def test_wrong_layout_pickle_names_the_expected_keys(tmp_path, capsys):
    miniatures.write_py2_pickle({"poses": []}, tmp_path / "pw3d" / "sequenceFiles" / "test" / "x.pkl")
    code, output = convert(["pw3d", "--raw", tmp_path / "pw3d"], tmp_path / "out", capsys)
    assert code == 2 and "x.pkl: not a 3DPW sequence file" in output.err and "campose_valid" in output.err


def test_truncated_pickle_and_refused_globals(tmp_path, capsys):
    made = miniatures.write_pw3d(tmp_path)
    files = sorted((made["raw"] / "sequenceFiles" / "test").glob("*.pkl"))
    files[0].write_bytes(files[0].read_bytes()[:500])
    code, output = convert(["pw3d", "--raw", made["raw"]], tmp_path / "out", capsys)
    assert code == 2 and f"{files[0]}: not a readable 3DPW sequence pickle" in output.err and "truncated" in output.err
    files[0].write_bytes(b"\x80\x02cos\nsystem\nq\x00.")  # a pickle that would call os.system
    code, output = convert(["pw3d", "--raw", made["raw"]], tmp_path / "out", capsys)
    assert code == 2 and "refused global 'os.system'" in output.err
    assert not (tmp_path / "out").exists()


def test_truncated_json_is_named(tmp_path, capsys):
    made = miniatures.write_coco(tmp_path)
    path = made["raw"] / "annotations" / "person_keypoints_train2014.json"
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    code, output = convert(["coco", "--raw", made["raw"]], tmp_path / "out", capsys)
    assert code == 2 and f"{path}: not a complete COCO 2014 person keypoints annotations" in output.err
    assert "truncated" in output.err and not (tmp_path / "out").exists()


def test_wrong_mat_shape_and_missing_variable(tmp_path, capsys):
    import scipy.io

    made = miniatures.write_lsp(tmp_path)
    scipy.io.savemat(made["raw"] / "joints.mat", {"joints": np.zeros((14, 3, 10))})
    code, output = convert(["lsp", "--raw", made["raw"]], tmp_path / "out", capsys)
    assert code == 2 and "'joints' has shape (14, 3, 10); expected (3, 14, N)" in output.err
    scipy.io.savemat(made["raw"] / "joints.mat", {"points": np.zeros((3, 14, 10))})
    code, output = convert(["lsp", "--raw", made["raw"]], tmp_path / "out", capsys)
    assert code == 2 and "no variable 'joints'" in output.err and "['points']" in output.err


def test_a_missing_image_stops_the_conversion_unless_skipped_and_counted(tmp_path, capsys):
    made = miniatures.write_coco(tmp_path)
    data = json.loads((made["raw"] / "annotations" / "person_keypoints_train2014.json").read_text())
    first = sorted(data["images"], key=lambda image: image["id"])[0]["file_name"]
    (made["raw"] / "train2014" / first).unlink()
    code, output = convert(["coco", "--raw", made["raw"]], tmp_path / "out", capsys)
    assert code == 2 and f"train2014/{first}: image listed in" in output.err and "--skip-missing-images" in output.err
    assert not (tmp_path / "out").exists()
    code, output = convert(["coco", "--raw", made["raw"], "--skip-missing-images"], tmp_path / "out", capsys)
    from core.evaluation.human_data import load_human_data

    data_out = load_human_data(tmp_path / "out" / "coco_2014_train.npz")
    left_out = made["count"] - len(data_out)
    assert code == 0 and left_out > 0 and f"{left_out:,} left out because their image is missing" in output.out
    assert all(not path.endswith(first) for path in data_out["image_path"])


def test_h36m_without_frames_says_how_to_extract_them(tmp_path, capsys):
    made = miniatures.write_h36m(tmp_path, images=False)
    code, output = convert(["h36m", "--raw", made["raw"]], tmp_path / "out", capsys)
    assert code == 2 and "image listed in" in output.err and "S1/images/" in output.err


def test_mpi_without_frames_says_extract_frames(tmp_path, capsys):
    made = miniatures.write_mpi_inf_3dhp(tmp_path, frames=False, test=False)
    code, output = convert(["mpi_inf_3dhp", "--raw", made["raw"]], tmp_path / "out", capsys)
    assert code == 2 and "no frames (*.jpg)" in output.err and "--extract-frames" in output.err


@pytest.mark.slow
def test_frames_extracted_from_the_videos_give_the_same_file(tmp_path, capsys):
    with_frames = miniatures.write_h36m(tmp_path / "a")
    from_videos = miniatures.write_h36m(tmp_path / "b", videos=True, images=False)
    assert convert(["h36m", "--raw", with_frames["raw"]], tmp_path / "out_a", capsys)[0] == 0
    assert (
        convert(
            ["h36m", "--raw", from_videos["raw"], "--extract-frames", "--workers", "2"], tmp_path / "out_b", capsys
        )[0]
        == 0
    )
    a, b = (np.load(tmp_path / f"out_{k}" / "h36m_mosh_train.npz", allow_pickle=True) for k in "ab")
    assert set(a.files) == set(b.files)
    for key in ("image_path", "bbox_xywh", "keypoints2d", "keypoints3d"):
        np.testing.assert_array_equal(a[key], b[key])
    for name, value in a["smpl"].item().items():
        np.testing.assert_array_equal(value, b["smpl"].item()[name])
    assert len(list((from_videos["raw"] / "S1" / "images").rglob("*.jpg"))) == 9  # the kept frames of S1


def test_the_command_line_prints_one_paragraph_and_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "train.prepare", "mpii", "--raw", str(tmp_path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {tmp_path / 'train.h5'}: file not found")
