"""Arguments the handlers refuse with a sentence (called directly; tests/app/test_hostile.py sends them to a served
app): server paths confined to the data folders, methods that did not run, a still image sent as a video, own
checkpoints, the shared example results keyed on the files they were made with."""

from __future__ import annotations

from dataclasses import replace

import gradio as gr
import pytest
import torch

from app import validate
from app.tabs import compare, live, setup, video
from core import checkpoints, settings
from core.networks.checkpoint import save_checkpoint
from core.testing.checkpoints import official_state_dict
from core.testing.data import write_checkpoints
from core.testing.examples import example_image
from core.testing.smpl import make_body_model


def _settings(tmp_path, on_space=False, extra=()):
    return replace(settings.app_settings(), on_space=on_space, extra_roots=tuple(extra))


@pytest.fixture
def data(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    (folder / "preprocessed_datasets").mkdir(parents=True)
    monkeypatch.setenv("HMRC_DATA", str(folder))
    return folder


def test_a_folder_under_the_data_root_is_accepted_resolved(data, tmp_path):
    given = validate.server_path(str(data / "preprocessed_datasets"), "folder", _settings(tmp_path))
    assert given == (data / "preprocessed_datasets").resolve()
    assert validate.server_path("preprocessed_datasets", "folder", _settings(tmp_path)) == given  # relative: in data


@pytest.mark.parametrize(
    "path, sentence",
    [
        ("{data}/../secrets", "paths with `..` are not accepted"),
        ("/etc", "is outside the folders this app may read"),
        ("{outside}", "is outside the folders this app may read"),
        ("{link}", "is outside the folders this app may read"),  # a symbolic link out of the data folder
        ("", "is empty"),
        ("x" * 2000, "too long"),
    ],
)
def test_server_paths_outside_the_data_roots_are_refused(data, tmp_path, path, sentence):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (data / "link").symlink_to(outside)
    path = path.format(data=data, outside=outside, link=data / "link")
    with pytest.raises(gr.Error) as refused:
        validate.server_path(path, "folder", _settings(tmp_path))
    assert sentence in refused.value.message and refused.value.message.endswith(".")


def test_on_a_space_no_server_path_is_accepted(data, tmp_path):
    with pytest.raises(gr.Error, match="public Space"):
        validate.server_path(str(data), "folder", _settings(tmp_path, on_space=True))


def test_extra_roots_widen_what_may_be_named(data, tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    assert validate.server_path(str(runs), "path", _settings(tmp_path, extra=[runs])) == runs.resolve()


def test_a_heatmap_of_a_method_that_did_not_run_is_refused(body_models, run_compare):
    skier = example_image("sport_skier_fullbody")
    session = run_compare(skier)["session"]
    args = ({"path": str(skier)}, ["fit"], 53.0, 0.8, False, True, False, [], "")
    with pytest.raises(gr.Error) as refused:
        compare.show_heatmap(*args, "Person 1", "hmr", "fit", session)
    assert "hmr did not run on Person 1 (methods that ran: Fit)" in refused.value.message
    with pytest.raises(gr.Error, match="`person` must be one of: Person 1"):
        compare.show_heatmap(*args, "Person 9", "fit", "fit", session)


def test_a_still_image_sent_as_a_video_is_refused(tmp_path):
    out = video.run_video({"path": str(example_image("small_skier_crop"))}, "fit", 3, 10, video.ONE, None)
    assert "still image (JPEG), not a video" in out["video_status"] and out["video_output"] is None
    with pytest.raises(gr.Error, match="`smooth` must be between 1 and 15"):
        video.run_video(None, "fit", 99, 10, video.ONE, None)
    with pytest.raises(gr.Error, match="`method` must be one of"):
        video.run_video(None, "vibe", 3, 10, video.ONE, None)


def test_live_frame_takes_one_image_file_and_gives_it_back_with_the_mesh(body_models):
    out = live.one_frame({"path": str(example_image("small_skier_crop"))}, "fit")
    assert out["live_output"].shape[2] == 3 and "Fit: analysed in" in out["live_status"]
    with pytest.raises(gr.Error, match="No frame sent"):
        live.one_frame(None, "fit")
    with pytest.raises(gr.Error, match="webcam frames from the page"):
        live.live_frame("not a frame", "fit", None)


def test_own_checkpoints_from_a_path_or_an_upload_are_labelled_custom(data, tmp_path, monkeypatch):
    write_checkpoints(data / "checkpoints", ["hmr"])
    own = data / "checkpoints" / "standin_hmr.pth"
    with pytest.raises(gr.Error, match="is outside the folders this app may read"):
        setup.use_own_path("hmr", str(tmp_path))
    with pytest.raises(gr.Error, match="cannot run as HybrIK: .*looks like a HMR"):
        setup.use_own_path("hybrik", str(own))
    out = setup.use_own_path("hmr", str(own))
    assert "HMR (custom)" in out["own_status"] and checkpoints.checkpoint_for("hmr").path == own.resolve()
    assert dict((v, label) for label, v in out["method_checkboxes"]["choices"])["hmr"] == "HMR (custom)"
    assert "hmr" in out["method_checkboxes"]["value"] and not out["inline_download_hmr"]["visible"]
    assert "your own checkpoint" in out["methods_md"] and "**custom**" in out["methods_md"]
    assert "runs with the official checkpoint again" in setup.forget_own("hmr")["own_status"]
    monkeypatch.setattr(setup, "app_temp_root", lambda: tmp_path / "app_tmp")
    uploaded = setup.use_own_upload("hmr", {"path": str(own)})
    kept = checkpoints.checkpoint_for("hmr").path
    assert "the uploaded file" in uploaded["own_status"] and kept.parent == tmp_path / "app_tmp" / "own_checkpoints"
    monkeypatch.setenv("SPACE_ID", "someone/hmr-compare")
    with pytest.raises(gr.Error, match="set by its owner"):
        setup.use_own_upload("hmr", {"path": str(own)})


def test_example_results_are_shared_but_never_outlive_the_files_they_were_made_with(body_models, run_compare, tmp_path):
    skier = example_image("small_skier_crop")
    first = run_compare(skier, handler=compare.analyse_example)["session"]
    second = run_compare(skier, handler=compare.analyse_example)["session"]
    assert second.analysis.result is first.analysis.result  # one analysis for every session
    own = write_checkpoints(tmp_path / "own", ["hmr"]) / "standin_hmr.pth"
    checkpoints.use_own_checkpoint("hmr", own)  # a checkpoint added: the cached result is stale
    third = run_compare(skier, ("hmr", "fit"), handler=compare.analyse_example)
    assert third["session"].analysis.result is not first.analysis.result
    assert [caption for _, caption in third["overlay_gallery"]] == ["HMR (custom)", "Fit"]
    torch.manual_seed(1)  # the file replaced by other weights under the same name: run again
    save_checkpoint(own, official_state_dict("hmr", make_body_model()), {"method": "hmr"})
    fourth = run_compare(skier, ("hmr", "fit"), handler=compare.analyse_example)
    assert fourth["session"].analysis.result is not third["session"].analysis.result


def test_an_upload_that_is_no_image_is_taken_out_of_the_photo_box(tmp_path):
    broken = tmp_path / "holiday.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    out = compare.check_upload({"path": str(broken)}, None)
    assert out["image_input"] is None and out["status"].startswith("**Upload refused:")
    fine = compare.check_upload({"path": str(example_image("small_skier_crop"))}, out["session"])
    assert fine["status"] == "Photo ready: press **Compare**."
