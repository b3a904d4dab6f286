"""python -m core.demo: files for every photo that works, one clear line for every one that does not."""

import logging
import subprocess
import sys

import numpy as np
import PIL.Image
import pytest

from core.demo import build_parser, main, options_for, output_folders
from core.image_io import load_image
from core.outputs.bundle import PARAMETER_SCHEMA, read_parameters
from core.paths import REPO_ROOT
from core.pipeline import inference
from core.testing.data import prepare_data
from core.testing.examples import example_image


@pytest.fixture
def data(tmp_path, monkeypatch):
    """Compact stand-in body models and checkpoints for HMR and SPIN-GTA; HybrIK's is missing."""
    folder = prepare_data(tmp_path / "data")
    monkeypatch.setenv("HMRC_DATA", str(folder))
    inference.clear_cache()
    yield folder
    inference.clear_cache()


@pytest.fixture
def bad_photos(tmp_path):
    not_an_image = tmp_path / "notes.jpg"
    not_an_image.write_text("a text file named like a photo")
    damaged = tmp_path / "damaged.jpg"
    damaged.write_bytes(b"\xff\xd8\xff\xe0 a JPEG header and nothing after it")
    blank = tmp_path / "blank.png"
    PIL.Image.fromarray(np.full((240, 320, 3), 200, np.uint8)).save(blank)
    return not_an_image, damaged, blank


def _lines(caplog) -> str:
    return "\n".join(record.getMessage() for record in caplog.records if record.name == "core.demo")


def test_demo_writes_the_bundle_and_reports_each_problem(data, bad_photos, tmp_path, caplog, expected_files):
    skier = example_image("sport_skier_fullbody")
    out = tmp_path / "out"
    caplog.set_level(logging.INFO, logger="core.demo")
    own = data / "checkpoints" / "standin_hmr.pth"
    code = main(
        [
            str(skier),
            *map(str, bad_photos),
            "--methods",
            "hmr,hybrik,fit",
            "--out",
            str(out),
            "--keypoints",
            "--opacity",
            "0.6",
            "--checkpoint",
            f"hmr={own}",
        ]
    )
    assert code == 0  # one photo worked
    folder = out / skier.stem
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert files == expected_files(("hmr", "fit"), custom={"hmr"})
    for path in (folder / "parameters").iterdir():
        assert list(read_parameters(path)) == [f.name for f in PARAMETER_SCHEMA]
    hmr = read_parameters(folder / "parameters" / "person_1_hmr-custom.json")
    assert hmr["method_label"] == "HMR (custom)" and hmr["checkpoint"] == str(own.resolve())
    assert sorted(p.name for p in out.iterdir()) == [skier.stem]  # nothing for the failed photos
    lines = _lines(caplog)
    assert lines.count("HybrIK skipped") == 1 and "python -m core.weights fetch hybrik" in lines
    assert f"{bad_photos[0]}: skipped" in lines and "not an image format" in lines
    assert f"{bad_photos[1]}: skipped, the file is damaged" in lines
    assert f"{bad_photos[2]}: no person reconstructed" in lines and "box" in lines
    assert "1 of 4 photos" in lines and "mean distance to MediaPipe" in lines
    assert "HMR runs with your own checkpoint" in lines and "HMR (custom)" in lines


def test_an_official_name_with_the_wrong_hash_is_refused_with_one_message(data, tmp_path, caplog):
    """A stand-in saved under HMR's official name: the demo skips HMR, saying what was expected and found."""
    from core.testing.data import write_checkpoints

    write_checkpoints(data / "checkpoints", ["hmr"], names={"hmr": "resnet50_hmr_pw3d-04f40f58_20211201.pth"})
    caplog.set_level(logging.INFO, logger="core.demo")
    skier = example_image("sport_skier_fullbody")
    assert main([str(skier), "--methods", "hmr,fit", "--out", str(tmp_path / "out")]) == 0  # the fit still ran
    lines = _lines(caplog)
    assert "HMR skipped" in lines and "promises a sha256 starting 04f40f58" in lines
    assert "python -m core.weights fetch hmr" in lines and "--checkpoint hmr=PATH" in lines
    assert not list((tmp_path / "out" / skier.stem / "parameters").glob("*hmr*"))


def test_own_checkpoint_of_another_method_is_refused(data, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="core.demo")
    skier = example_image("sport_skier_fullbody")
    own = data / "checkpoints" / "standin_spin_gta.pth"
    assert main([str(skier), "--out", str(tmp_path / "out"), "--checkpoint", f"hybrik={own}"]) == 1
    assert "looks like a SPIN-GTA" in _lines(caplog)


def test_demo_fails_only_when_every_photo_fails(data, bad_photos, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="core.demo")
    assert main([*map(str, bad_photos), "--methods", "fit", "--out", str(tmp_path / "out")]) == 1
    assert "0 of 3 photos" in _lines(caplog)


@pytest.mark.parametrize(
    "arguments, complaint",
    [
        (["--methods", "hmr,vibe"], "unknown methods"),
        (["--box", "1,2,3"], "x0,y0,x1,y1"),
        (["--box", "10,10,5,20"], "x1 must exceed x0"),
        (["--opacity", "1.5"], "opacity"),
        (["--checkpoint", "vibe=x.pth"], "METHOD=PATH"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(arguments, complaint, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["photo.jpg", "--out", str(tmp_path), *arguments])
    assert exit_info.value.code == 2 and complaint in capsys.readouterr().err


def test_boxes_are_given_in_the_photos_pixels():
    image = load_image(np.zeros((400, 600, 3), np.uint8), max_side=300)  # processed at half size
    args = build_parser().parse_args(["p.jpg", "--out", "o", "--box", "100,40,300,400", "--refine", "--fov", "60"])
    options = options_for(args, image)
    np.testing.assert_allclose(options.boxes, [[50, 20, 150, 200]])
    assert options.refine_with_keypoints and options.fov_deg == 60.0


def test_photos_with_the_same_name_get_their_own_folders(tmp_path):
    folders = output_folders([tmp_path / "a" / "x.jpg", tmp_path / "b" / "x.png", tmp_path / "y.jpg"], tmp_path)
    assert [f.name for f in folders] == ["x", "x_2", "y"]


def test_runs_as_a_module():
    completed = subprocess.run(
        [sys.executable, "-m", "core.demo", "--help"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0 and "--methods" in completed.stdout and "--keypoints" in completed.stdout
