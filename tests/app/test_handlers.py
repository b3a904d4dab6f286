"""The app's handlers called directly (no server): controls, boxes, odd uploads, sessions, Setup tab, build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app import space
from app.settings import settings_from_env
from app.state import Session, close_session
from app.tabs import compare, setup
from core import settings, weights
from core.geometry import DEFAULT_FOV_DEG
from core.methods import checkpoint_path
from core.paths import REPO_ROOT
from core.testing.examples import example_image, write_test_clip


def test_build_demo_without_launching_has_stable_api_names():
    from app.ui import build_demo, launch_options, queue_options

    settings = settings_from_env()
    demo = build_demo(settings)
    public = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert public == {
        "compare",
        "show_in_3d",
        "person_details",
        "heatmap",
        "bundle",
        "benchmark_load",
        "benchmark_score",
        "benchmark_all",
        "live_frame",
        "video",
        "video_export",
        "setup_refresh",
        "download_hmr",
        "download_hybrik",
        "download_spin_gta",
        "download_smpl",
        "own_checkpoint",
        "own_checkpoint_upload",
        "own_checkpoint_clear",
    }
    demo.queue(**queue_options(settings))
    assert demo._queue.default_concurrency_limit == settings.concurrency == 2
    assert demo._queue.max_size == settings.queue_size == 64
    options = launch_options(settings)
    assert options["server_name"] == "127.0.0.1" and options["server_port"] == 7860
    assert options["allowed_paths"] == [str(REPO_ROOT / "assets" / "examples")]
    assert options["max_file_size"] == 25 * 1024 * 1024  # larger uploads are refused by Gradio itself


def test_space_binds_every_interface_and_caches_examples_at_start(monkeypatch):
    monkeypatch.setenv("SPACE_ID", "someone/hmr-compare")
    settings = settings_from_env()
    assert settings.host == "0.0.0.0" and settings.examples == "eager" and settings.on_space
    monkeypatch.setenv("HMRC_APP_EXAMPLES", "sometimes")
    with pytest.raises(ValueError, match="eager, lazy, off"):
        settings_from_env()


def test_controls_are_checked_and_a_user_box_replaces_picking():
    defaults = compare.controls_from(["fit"], None, None, None, None, None, None, None)
    assert defaults.methods == ("fit",) and defaults.people is None and defaults.box is None
    chosen = compare.controls_from(["fit", "hmr"], 120, 0.5, True, False, True, ["Person 3", "Person 1"], "")
    assert chosen.methods == ("hmr", "fit") and chosen.fov_deg == 120 and chosen.people == (0, 2)
    boxed = compare.controls_from(["fit"], 50, 0.5, False, True, False, ["Person 2"], "540, 420; 330 30")
    assert boxed.box == (330, 30, 540, 420)
    assert boxed.pipeline_options().people is None  # a drawn box replaces detection, so no picking
    assert boxed.pipeline_options().boxes == [[330, 30, 540, 420]]


@pytest.mark.parametrize(
    "arguments, sentence",
    [
        (([], 53.0), "No method chosen: tick at least one method."),
        ((["vibe"], 53.0), "Unknown method 'vibe'"),
        (("hmr", 53.0), "`methods` must be a list"),
        ((["fit"], 500), "`fov_deg` must be between 20 and 120"),
        ((["fit"], "wide"), "`fov_deg` must be a number"),
    ],
)
def test_wrong_controls_are_refused_with_a_sentence(arguments, sentence):
    import gradio as gr

    methods, fov = arguments
    with pytest.raises(gr.Error) as refused:
        compare.controls_from(methods, fov, 0.8, False, True, False, [], "")
    assert sentence in refused.value.message and refused.value.message.endswith(".")
    assert not refused.value.print_exception  # a refusal, not a crash: nothing in the server log


def test_a_new_photo_sets_the_field_of_view_from_its_exif(tmp_path):
    exif = Image.Exif()
    exif[0x8769] = {0xA405: 26}  # Exif IFD: FocalLengthIn35mmFilm, a 26 mm-equivalent phone lens
    phone, plain, broken = tmp_path / "phone.jpg", tmp_path / "plain.jpg", tmp_path / "broken.jpg"
    Image.new("RGB", (64, 48)).save(phone, "JPEG", exif=exif.tobytes())
    Image.new("RGB", (64, 48)).save(plain, "JPEG")
    broken.write_bytes(b"\xff\xd8 not really")
    from_exif = compare.photo_field_of_view({"path": str(phone)})["fov_slider"]
    assert from_exif["value"] == 79.5 and "EXIF: 79.5°" in from_exif["label"]
    for upload in ({"path": str(plain)}, {"path": str(broken)}, None):
        reset = compare.photo_field_of_view(upload)["fov_slider"]
        assert reset["value"] == round(DEFAULT_FOV_DEG, 1) and reset["label"] == compare.FOV_LABEL


@pytest.mark.parametrize("text, problem", [("1, 2, 3", "four numbers"), ("10 10 11 200", "too small")])
def test_bad_boxes_are_explained(text, problem):
    import gradio as gr

    with pytest.raises(gr.Error, match=problem):
        compare.parse_box(text)


def test_two_clicks_draw_a_box():
    class Click:
        def __init__(self, x, y):
            self.index = [x, y]

    first = compare.pick_corner(None, Click(500, 40))
    assert "opposite corner" in first["status"] and first["session"].pending_corner == (500, 40)
    second = compare.pick_corner(first["session"], Click(300, 410))
    assert second["box_text"] == "300, 40, 500, 410" and second["session"].pending_corner is None


def _odd_uploads(folder: Path) -> dict[str, Path]:
    """Uploads that are images in unusual forms, and what the page should say about each."""
    files = {}
    frames = [Image.fromarray(np.full((64, 48, 3), v, np.uint8)) for v in (40, 200)]
    frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:])
    files["Animated image"] = folder / "anim.gif"
    Image.new("CMYK", (64, 48), (0, 80, 160, 20)).save(folder / "cmyk.jpg")
    files["CMYK"] = folder / "cmyk.jpg"
    Image.fromarray(np.full((48, 64), 40000, np.uint16)).save(folder / "deep.png")
    files["16-bit"] = folder / "deep.png"
    Image.new("RGB", (1, 1), (255, 0, 0)).save(folder / "dot.png")
    files["No person found"] = folder / "dot.png"
    return files


def test_odd_images_are_read_with_a_note_and_nobody_found(body_models, tmp_path, run_compare):
    for expected, path in _odd_uploads(tmp_path).items():
        out = run_compare(path)
        assert expected in out["status"], (path.name, out["status"])
        assert "No person found" in out["status"]
        assert out["people_image"].ndim == 3  # the photo is still shown, so a box can be drawn on it


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"<html>not a photo</html>", "not an image format"),
        (b"", "empty (0 bytes)"),
        (b"\xff\xd8\xff\xe0 not really a jpeg", "damaged or cut short"),
    ],
)
def test_broken_uploads_get_a_message_not_an_exception(tmp_path, content, expected, run_compare):
    path = tmp_path / "upload.jpg"
    path.write_bytes(content)
    out = run_compare(path)
    assert expected in out["status"] and out["overlay_gallery"] == []


def test_no_photo_yet():
    out = compare.analyse_photo(None, ["fit"], 53.0, 0.8, False, True, False, [], "", None)
    assert "No photo yet" in out["status"]


def test_huge_photo_is_downscaled_not_refused(body_models, tmp_path, run_compare):
    path = tmp_path / "huge.jpg"
    Image.new("RGB", (10000, 10000), (120, 140, 160)).save(path, quality=70)
    out = run_compare(path)
    assert "downscaled to 4096×4096" in out["status"]
    assert out["people_image"].shape == (4096, 4096, 3)


def test_fit_on_a_person_then_follow_ups_reuse_the_session(body_models, run_compare):
    skier = example_image("sport_skier_fullbody")
    out = run_compare(skier)
    session: Session = out["session"]
    analysis = session.analysis
    assert [caption for _, caption in out["overlay_gallery"]] == ["Fit"]
    assert Path(out["model_3d"]).is_relative_to(session.folder)
    args = ({"path": str(skier)}, ["fit"], 53.0, 0.8, False, True, False, ["Person 1"], "")
    shown = compare.show_in_3d(*args, [], session)
    glb, session = shown["model_3d"], shown["session"]
    assert session.analysis is analysis and Path(glb).stat().st_size > 0  # ticking everyone = the same run
    details = compare.show_person(*args, "Person 1", session)
    assert details["session"].analysis is analysis and details["error_table"]["Fit"].iloc[0] > 0  # mean error, pixels
    note = compare.show_heatmap(*args, "Person 1", "fit", "fit", session)["heatmap_note"]
    assert "two different methods" in note
    bundle = compare.make_bundle(*args, session)
    zip_path, session = bundle["bundle_file"], bundle["session"]
    assert zip_path.endswith(".zip") and Path(zip_path).is_relative_to(session.folder)
    folder = session.folder
    close_session(session)
    assert not folder.exists()


def test_sessions_are_separate(body_models, run_compare):
    first = run_compare(example_image("small_skier_crop"))["session"]
    second = run_compare(example_image("sport_skier_fullbody"))["session"]
    assert first.folder != second.folder and first.analysis is not second.analysis
    assert first.analysis.result.image.size != second.analysis.result.image.size


def test_setup_tab_marks_missing_checkpoints_and_explains_offline_downloads(monkeypatch):
    labels = dict((value, label) for label, value in setup.method_choices())
    assert labels["hmr"].endswith("(no checkpoint: download it below)") and labels["fit"] == "Keypoint fit"
    assert "**missing**" in setup.methods_markdown() and compare.default_methods() == ["fit"]
    refreshed = setup.refresh()
    assert refreshed["method_checkboxes"]["value"] == ["fit"]  # methods without weights are unticked...
    assert all(refreshed[f"inline_download_{m}"]["visible"] for m in ("hmr", "hybrik", "spin_gta"))  # ...with a button
    monkeypatch.setenv(settings.WEIGHTS_BASE_URL, "http://127.0.0.1:9")  # nothing listens there: offline
    message = setup.download_method("hmr", lambda *args, **kwargs: None)["download_status"]
    assert "Download failed" in message and "put it at" in message and str(checkpoint_path("hmr")) in message


def test_smpl_download_waits_for_the_licence(monkeypatch):
    fetched = []
    monkeypatch.setattr(weights, "fetch", lambda *args, **kwargs: fetched.append(kwargs) or [])
    message = setup.download_smpl(False, lambda *args, **kwargs: None)["download_status"]
    assert "accept the SMPL licence" in message and fetched == []
    setup.download_smpl(True, lambda *args, **kwargs: None)
    assert fetched == [{"progress": fetched[0]["progress"], "accept_smpl_license": True}]


def test_space_start_up_is_quiet_without_smpl_configuration(monkeypatch):
    monkeypatch.delenv(settings.SMPL_DATASET, raising=False)
    monkeypatch.delenv(settings.WEIGHTS_BASE_URL, raising=False)
    assert space.fetch_smpl() == []
    monkeypatch.setenv(settings.SKIP_WEIGHTS, "1")
    assert space.prepare_space() == []


def test_a_video_gives_an_overlay_a_bvh_and_parameters_in_the_session_folder(tmp_path):
    from app.tabs import video

    clip = write_test_clip(tmp_path / "walking.webm")
    out = video.run_video(str(clip), "fit", 3, 10, video.ONE, None)
    overlay, files, status, session = out["video_output"], out["video_files"], out["video_status"], out["session"]
    assert Path(overlay).parent == session.folder and Path(overlay).name.endswith("overlay.webm")
    assert all(isinstance(f, str) for f in [overlay, *files])  # what Gradio's File and Video accept
    assert sorted(Path(f).suffix for f in files) == [".bvh", ".npz"]
    assert "reconstructed in 4 frames" in status and not list(session.folder.glob("tmp*"))  # scratch removed
    assert out["video_pick"]["visible"] is False
    assert "Upload a video" in video.run_video(None, "fit", 3, 10, video.ONE, session)["video_status"]
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 64)
    assert (
        "cannot be read as a video"
        in video.run_video(str(broken), "fit", 3, 10, video.EVERYONE, session)["video_status"]
    )
    assert "Run on a video" in video.export_people([1], session)["video_export_status"]


@pytest.mark.slow
def test_everyone_in_a_video_is_listed_with_jitter_and_the_chosen_ones_exported(tmp_path):
    from app.tabs import video
    from core.body_models.open_model import load_open_body_model
    from core.testing.synthetic_people import camera_for, crossing_clip, plaza, side_by_side_walkers, write_clip

    walkers = side_by_side_walkers(240, 320, camera_for(240, 320), frames=8)
    frames, _ = crossing_clip(plaza(240, 320), load_open_body_model(), frames=8, walkers=walkers)
    clip = write_clip(tmp_path / "two.webm", frames)
    out = video.run_video(str(clip), "fit", 3, 8, video.EVERYONE, None)
    assert Path(out["video_output"]).name.endswith("overlay.webm")
    assert Path(out["video_files"][0]).name.endswith("people.json")
    assert out["video_pick"]["choices"] == [("Person 1 (frames 0–7)", 1), ("Person 2 (frames 0–7)", 2)]
    status = out["video_status"]
    assert "2 people followed" in status and "mm/frame²" in status and status.count("| 0–7 |") == 2
    exported = video.export_people([2], out["session"])
    assert [Path(f).name.split("_", 1)[1] for f in exported["video_export_files"]] == ["person_2.bvh", "person_2.npz"]
    assert "person 2" in exported["video_export_status"]
    assert "Tick at least one" in video.export_people([], out["session"])["video_export_status"]


def _live(frame, session, method="fit"):
    from app.tabs import live

    out = live.live_frame(frame, method, session)
    return out["live_output"], out["live_status"], out["session"]


def test_live_frames_come_back_with_the_method_and_a_frame_rate(body_models):
    frame = np.asarray(Image.open(example_image("small_skier_crop")).convert("RGB"))
    blank = np.full_like(frame, 128)
    overlay, status, session = _live(frame, None)  # the first frame waits for its own picture
    assert session.live_person.source == "detector"
    assert overlay.shape == frame.shape and (overlay != frame).any()  # the fit's mesh is drawn
    overlay, status, session = _live(frame, session)
    assert session.live_person.source == "track"  # followed, not detected again
    assert "frames/s" in status and "Fit:" in status and float(status.split("**")[1].split()[0]) > 0
    # Each call returns the previous frame, drawn while this one was analysed.
    overlay, status, session = _live(blank, session)
    assert "Fit:" in status and np.abs(overlay.astype(int) - frame).mean() < np.abs(overlay.astype(int) - blank).mean()
    assert "No person in view" in _live(frame, session, "hmr")[1]  # the blank frame
    assert "python -m core.weights fetch hmr" in _live(frame, session)[1]
    assert _live(None, session)[1].startswith("Waiting") and session.live_drawing is None
    assert "No person in view" in _live(blank, session)[1]
    assert session.live_person is None  # lost: the next frame is searched from scratch


def test_handler_values_reach_the_components_by_name():
    from app.ui import by_position

    def handler(image, session):
        """Some handler."""
        return {"status": f"{image} seen", "session": session}

    assert by_position(handler, ("session", "status"))("photo", 7) == (7, "photo seen")
    assert by_position(handler, ("status", "session")).__doc__ == "Some handler."  # Gradio reads the signature
    with pytest.raises(KeyError, match="the page expects"):
        by_position(handler, ("status", "session", "people_image"))("photo", 7)


def test_the_page_imports_no_drawing_library_the_start_up_loads_beside_it():
    """Gradio is imported on the main thread while the models load; trimesh and matplotlib (about 0.8 s) are left
    to the loading thread (app/startup.py)."""
    code = (
        "import sys\n"
        "import app.ui\n"
        "early = [m for m in ('trimesh', 'matplotlib', 'pyrender') if m in sys.modules]\n"
        "assert not early, f'the page imported {early}'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


def test_start_up_loads_the_models_in_the_background(body_models, caplog):
    import logging

    from app.startup import warm_up_in_background
    from core.pipeline import inference

    with caplog.at_level(logging.INFO, logger="app.startup"):
        warm_up_in_background().join(timeout=120)
    assert "loaded in the background" in caplog.text
    assert inference._BODY_MODELS  # the first request finds the body model (and any network) loaded
