"""The photo → people path: same box for every method, missing weights reported, nobody found handled."""

import io
import math

import numpy as np
import pytest
from PIL import Image

from core.geometry import DEFAULT_FOV_DEG
from core.image_io import EXIF_IFD, FOCAL_LENGTH_35MM
from core.pipeline.analyse import PipelineOptions, analyse, disagreement_matrix
from core.testing.examples import example_image


@pytest.fixture
def skier_result(standin_body_models_dir):
    return analyse(example_image("sport_skier_fullbody"), PipelineOptions(refine_with_keypoints=True))


def test_missing_checkpoints_are_reported_and_the_fit_still_runs(skier_result):
    assert len(skier_result.people) == 1
    person = skier_result.people[0]
    assert set(skier_result.unavailable) == {"hmr", "hybrik", "spin_gta"}
    for method, message in skier_result.unavailable.items():
        assert "python -m core.weights fetch" in message and method in message
    assert skier_result.methods == ("fit",)
    fit = person.predictions["fit"]
    assert fit.vertices.shape[1] == 3 and np.isfinite(fit.vertices).all()
    assert fit.cam_t[2] > 0  # in front of the camera
    assert np.array_equal(fit.box, person.person.box)  # the method saw the detected box
    assert set(skier_result.timings) >= {"decode", "detection", "keypoint fit", "errors"}


def test_errors_against_mediapipe_cover_the_visible_landmarks(skier_result):
    person = skier_result.people[0]
    errors = person.errors_2d["fit"]
    visible = person.person.visibility >= 0.5
    assert np.isfinite(errors.pixels[visible]).all() and np.isnan(errors.pixels[~visible]).all()
    np.testing.assert_allclose(errors.percent_of_box_height, 100 * errors.pixels / person.box_height)


def test_disagreement_matrix_is_zero_on_its_diagonal(skier_result):
    matrix = disagreement_matrix(skier_result.people[0], ("fit", "hmr"))
    assert matrix[0, 0] == pytest.approx(0.0, abs=1e-6)
    assert np.isnan(matrix[1, 1])  # hmr did not run


def test_nobody_found_says_what_to_do(standin_body_models_dir):
    result = analyse(np.full((240, 320, 3), 200, np.uint8), PipelineOptions(methods=("fit",)))
    assert result.people == [] and "box" in result.message.lower()


def test_user_box_replaces_detection(standin_body_models_dir):
    options = PipelineOptions(methods=("fit",), boxes=[[330, 30, 540, 420]])
    result = analyse(example_image("sport_skier_fullbody"), options)
    assert len(result.people) == 1 and result.people[0].person.source == "box"


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown methods"):
        analyse(np.zeros((8, 8, 3), np.uint8), PipelineOptions(methods=("hmr", "vibe")))


def test_a_followed_person_skips_detection_until_lost(skier_result):
    photo = example_image("sport_skier_fullbody")
    previous = skier_result.people[0].person
    followed = analyse(photo, PipelineOptions(methods=("fit",), follow=previous))
    assert [p.person.source for p in followed.people] == ["track"]
    assert np.abs(followed.people[0].person.box - previous.box).max() < 0.05 * skier_result.people[0].box_height
    lost = analyse(np.full((425, 640, 3), 200, np.uint8), PipelineOptions(methods=("fit",), follow=previous))
    assert lost.people == [] and "box" in lost.message.lower()  # detection ran, and found nobody


def test_the_camera_comes_from_the_option_else_exif_else_the_default(standin_body_models_dir):
    exif = Image.Exif()
    exif[EXIF_IFD] = {FOCAL_LENGTH_35MM: 26}
    photo = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 200, 200)).save(photo, "JPEG", exif=exif.tobytes())
    without_exif = np.full((240, 320, 3), 200, np.uint8)
    cases = [
        (photo.getvalue(), None, "EXIF", 79.524),
        (photo.getvalue(), 60.0, "given", 60.0),
        (without_exif, None, "default", DEFAULT_FOV_DEG),
    ]
    for image, fov_deg, source, expected in cases:
        result = analyse(image, PipelineOptions(methods=("fit",), fov_deg=fov_deg))
        assert result.fov_source == source and result.fov_deg == pytest.approx(expected, abs=1e-3)
        assert result.K[0, 0] == pytest.approx(200.0 / math.tan(math.radians(expected) / 2.0), rel=1e-4)  # diagonal 400


def test_warm_up_loads_what_is_present_and_skips_what_is_missing(tmp_path, monkeypatch, standin_body_models_dir):
    from core.methods import checkpoint_path
    from core.networks.checkpoint import save_checkpoint
    from core.pipeline import inference
    from core.pipeline.analyse import warm_up
    from core.testing.checkpoints import official_state_dict

    monkeypatch.setenv("HMRC_CHECKPOINTS", str(tmp_path))
    inference.clear_cache()
    try:
        body_model = inference.default_body_model()
        save_checkpoint(tmp_path / "my_hmr.pth", official_state_dict("hmr", body_model), {})
        monkeypatch.setenv("HMRC_CHECKPOINT_HMR", str(tmp_path / "my_hmr.pth"))  # present, as the user's own
        # A stand-in under HybrIK's published name fails its hash: refused, so skipped like a missing one.
        save_checkpoint(tmp_path / checkpoint_path("hybrik").name, official_state_dict("hybrik", body_model), {})
        seconds = warm_up()
        assert {"body model", "keypoint fit", "detection", "hmr"} <= set(seconds) and "hybrik" not in seconds
        loaded = {key[0] for key in inference._MODELS}
        assert loaded == {"hmr"}
        assert any(key[0] == "mediapipe_surface_21" for key in body_model._folded)  # the fit's, folded at start-up
    finally:
        inference.clear_cache()


def test_errors_against_mediapipe_can_be_left_out(standin_body_models_dir):
    photo = example_image("sport_skier_fullbody")
    measured = analyse(photo, PipelineOptions(methods=("fit",)))
    skipped = analyse(photo, PipelineOptions(methods=("fit",), errors_2d=False))
    assert set(measured.people[0].errors_2d) == {"fit"} and "errors" in measured.timings
    assert skipped.people[0].errors_2d == {} and "errors" not in skipped.timings
    assert np.allclose(skipped.people[0].predictions["fit"].vertices, measured.people[0].predictions["fit"].vertices)


def test_the_fit_beside_the_networks_gives_what_it_gives_alone(tmp_path_factory):
    from core.testing.data import analysed, prepare_data

    data = prepare_data(tmp_path_factory.mktemp("fit_beside_networks"))
    photo = example_image("sport_skier_fullbody")
    together = analysed(photo, PipelineOptions(methods=("hmr", "spin_gta", "fit")), data)
    alone = analysed(photo, PipelineOptions(methods=("fit",)), data)
    person = together.people[0]
    assert list(person.predictions) == ["hmr", "spin_gta", "fit"]  # stored in one order, however the two overlap
    np.testing.assert_array_equal(person.predictions["fit"].vertices, alone.people[0].predictions["fit"].vertices)
    assert {"hmr", "spin_gta", "keypoint fit"} <= set(together.timings)
