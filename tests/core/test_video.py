"""Video: one person followed through the example clip (core.pipeline.tracking), the motion smoothed, written
as WebM, BVH and npz (core.outputs.motion), and the command line (core.video)."""

import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core import video
from core.outputs.motion import process_video
from core.pipeline import tracking
from core.testing.bvh import parse_bvh
from core.testing.examples import PERSON_IN_CLIP, example_image

CLIP = example_image("walking_person_clip")


def _angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (radians) between rotation matrices (..., 3, 3)."""
    return Rotation.from_matrix((np.swapaxes(a, -1, -2) @ b).reshape(-1, 3, 3)).magnitude()


def test_smoothing_brings_noisy_rotations_closer_to_the_truth_and_skips_missing_frames():
    rng = np.random.default_rng(0)
    frames, joints = 40, 3
    truth = Rotation.from_rotvec(
        np.stack([np.linspace(0, 1.5, frames)] * joints, 1)[..., None] * [0.0, 0.0, 1.0]
    ).as_matrix()  # (T, J, 3, 3): a slow turn about z
    noise = Rotation.from_rotvec(rng.normal(0.0, 0.08, (frames, joints, 3))).as_matrix()
    noisy = truth @ noise
    found = np.ones(frames, bool)
    found[10] = False
    noisy[10] = Rotation.from_rotvec([0.0, 3.0, 0.0]).as_matrix()  # garbage where nobody was found
    smoothed = tracking.smooth_rotations(noisy, found, window=7)
    kept = found.copy()
    assert _angles(smoothed[kept], truth[kept]).mean() < 0.6 * _angles(noisy[kept], truth[kept]).mean()
    assert np.array_equal(smoothed[10], noisy[10])  # left as it was
    assert _angles(smoothed[9:12:2], truth[9:12:2]).max() < 0.15  # its neighbours ignore it
    assert np.array_equal(tracking.smooth_rotations(noisy, found, window=1), noisy)
    flipped = Rotation.from_matrix(noisy.reshape(-1, 3, 3)).as_quat().reshape(frames, joints, 4)
    flipped[::2] *= -1  # the same rotations written with the other quaternion sign
    same = Rotation.from_quat(flipped.reshape(-1, 4)).as_matrix().reshape(noisy.shape)
    np.testing.assert_allclose(tracking.smooth_rotations(same, found, 7), smoothed, atol=1e-9)


@pytest.mark.slow
def test_the_clip_gives_an_overlay_video_a_bvh_and_parameters(tmp_path):
    written, _ = process_video(CLIP, "fit", tmp_path, smooth=3, start=PERSON_IN_CLIP, max_frames=6, body_model="open")
    assert [p.name for p in written] == ["overlay.webm", "motion.bvh", "motion.npz"]
    capture = cv2.VideoCapture(str(tmp_path / "overlay.webm"))
    frames = []
    while (grabbed := capture.read())[0]:
        frames.append(grabbed[1])
    assert len(frames) == 6 and frames[0].shape == (432, 768, 3)
    original = next(tracking.read_frames(CLIP, PERSON_IN_CLIP, 1))[..., ::-1]
    assert np.abs(frames[0].astype(int) - original).mean() > 3  # the mesh is drawn over the frame

    motion = np.load(tmp_path / "motion.npz")
    assert motion["found"].all() and motion["body_pose"].shape == (6, 23, 3) and motion["transl"].shape == (6, 3)
    assert str(motion["method"]) == "fit" and str(motion["body_model"]) == "open" and motion["K"].shape == (3, 3)
    assert np.all(motion["transl"][:, 2] > 1.0)  # in front of the camera
    names, parents, offsets, channels, values, _ = parse_bvh((tmp_path / "motion.bvh").read_text())
    fps = float(motion["fps"])
    assert values.shape == (6, 6 + 23 * 3) and f"Frame Time: {1 / fps:.6f}" in (tmp_path / "motion.bvh").read_text()


def test_unreadable_videos_and_missing_methods_are_explained(tmp_path, capsys):
    with pytest.raises(tracking.VideoError, match="No video file"):
        tracking.video_info(tmp_path / "missing.mp4")
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("not a video")
    with pytest.raises(tracking.VideoError, match="cannot be read as a video"):
        tracking.video_info(not_video)
    with pytest.raises(tracking.VideoError, match="python -m core.weights fetch hmr"):
        tracking.track_video(CLIP, "hmr", start=PERSON_IN_CLIP, max_frames=1, body_model="open")
    assert video.main([str(tmp_path / "missing.mp4"), "--out", str(tmp_path / "out")]) == 1
    assert video.main([str(CLIP), "--out", str(tmp_path / "out"), "--smooth", "0"]) == 2


@pytest.fixture(scope="module")
def two_walkers(tmp_path_factory):
    """A 10-frame WebM of two drawn people walking apart from each other."""
    from core.body_models.open_model import load_open_body_model
    from core.testing.synthetic_people import camera_for, crossing_clip, plaza, side_by_side_walkers, write_clip

    background = plaza(240, 320)
    walkers = side_by_side_walkers(240, 320, camera_for(240, 320), frames=10)
    frames, _ = crossing_clip(background, load_open_body_model(), frames=10, walkers=walkers)
    return write_clip(tmp_path_factory.mktemp("clip") / "two_walkers.webm", frames)


@pytest.mark.slow
def test_everyone_from_the_command_line_gets_their_own_bvh_and_parameters(two_walkers, tmp_path):
    import json

    out = tmp_path / "out"
    assert (
        video.main([str(two_walkers), "--people", "all", "--out", str(out), "--smooth", "3", "--body-model", "open"])
        == 0
    )
    summary = json.loads((out / "people.json").read_text())
    assert [p["identity"] for p in summary["people"]] == [1, 2]
    for person in summary["people"]:
        assert 0 <= person["first_frame"] <= 3 and person["last_frame"] == 9 and person["frames_seen"] >= 7
        assert person["jitter_smoothed_mm_per_frame2"] < person["jitter_raw_mm_per_frame2"]
        names, _, _, _, values, _ = parse_bvh((out / person["bvh"]).read_text())
        assert len(names) == 24 and len(values) == person["last_frame"] - person["first_frame"] + 1
        parameters = np.load(out / person["parameters"])
        assert int(parameters["identity"]) == person["identity"] and parameters["found"].sum() == person["frames_seen"]
    first, second = (np.load(out / f"person_{n}.npz") for n in (1, 2))
    both = first["found"] & second["found"]
    assert np.all(second["transl"][both, 0] > first["transl"][both, 0])  # person 1 is the one on the left
    capture = cv2.VideoCapture(str(out / "overlay.webm"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) in (0, 10) and capture.read()[0]
    capture.release()


def test_everyone_mode_on_a_clip_with_nobody_says_so(tmp_path):
    from core.testing.synthetic_people import plaza, write_clip

    empty = write_clip(tmp_path / "empty.webm", [plaza(240, 320)] * 4)
    assert video.main([str(empty), "--people", "all", "--out", str(tmp_path / "out")]) == 1
    assert not (tmp_path / "out").exists()


def test_a_tracked_persons_frame_range_and_gaps_come_from_the_frames_they_were_found_in():
    found = np.array([False, True, True, False, False, True, True, False, True, False])
    motion = tracking.VideoMotion(
        "fit", 10.0, 30, np.eye(3), found, np.tile(np.eye(3), (10, 24, 1, 1)), np.zeros((10, 3)), np.zeros(10)
    )
    person = tracking.TrackedPerson(2, motion)
    assert person.frame_range == (31, 38) and person.frames_seen == 5 and person.gaps == 2
