"""detect_people / person_from_box on the example photos, with MediaPipe's bundled BlazePose models."""

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
import pytest

from core.image_io import load_image
from core.pipeline.detect import NO_PERSON_MESSAGE, detect_people, person_from_box, track_person
from core.pipeline.detection_windows import detection_windows
from core.testing.examples import clip_frames, example_image

LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP, NOSE = 11, 12, 23, 24, 0


def _photo(prefix: str, **kwargs):
    return load_image(example_image(prefix), **kwargs)


@lru_cache(maxsize=None)
def _detected(prefix: str):
    """Detection on one example photo, shared by the tests that only read it."""
    return detect_people(_photo(prefix))


# Noses marked by hand on each photo (original pixels, left to right); tolerance in pixels.
MARKED_NOSES = {
    "group3_apollo11": ([(145, 185), (290, 105), (440, 195)], 40),
    "group6_standing_meeting": ([(110, 420), (440, 320), (730, 350), (930, 450), (1210, 420), (1460, 430)], 90),
    "large_walking_3people": ([(730, 563), (960, 410), (1331, 717)], 110),
}
SINGLE_PERSON = [
    "sport_skier_fullbody",
    "small_skier_crop",
    "cameraman_tripod_grayscale",
    "portrait_astronaut_eileen_collins",
    "portrait_grace_hopper",
]


@pytest.mark.parametrize(
    "prefix, at_least", [("group3_apollo11", 3), ("group6_standing_meeting", 5), ("large_walking_3people", 3)]
)
def test_group_photos_find_everyone(prefix, at_least):
    result = _detected(prefix)
    assert len(result.people) >= at_least and result.message == ""
    centres = [(p.box[0] + p.box[2]) / 2 for p in result.people]
    assert centres == sorted(centres)


@pytest.mark.parametrize("prefix", SINGLE_PERSON)
def test_single_person_photos_find_exactly_one(prefix):
    result = _detected(prefix)
    assert len(result.people) == 1
    assert 0.5 <= result.people[0].score <= 1.0


@pytest.mark.parametrize("prefix", list(MARKED_NOSES))
def test_each_marked_person_is_found_once_with_landmarks_in_their_box(prefix):
    result = _detected(prefix)
    marked, tolerance = MARKED_NOSES[prefix]
    height, width = result.image_size
    for x, y in marked:
        near = [p for p in result.people if np.hypot(*(p.landmarks[NOSE, :2] - (x, y))) < tolerance]
        assert len(near) == 1, f"{prefix}: {len(near)} people with a nose near ({x}, {y})"
        box = near[0].box
        assert box[0] <= x <= box[2] and box[1] <= y <= box[3]
    for person in result.people:
        x0, y0, x1, y1 = person.box
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
        seen = person.landmarks[person.visibility > 0.5, :2]
        assert len(seen) >= 10
        seen = seen[(seen >= 0).all(1) & (seen[:, 0] <= width) & (seen[:, 1] <= height)]  # off-frame limbs are guessed
        assert (seen >= person.box[:2] - 1).all() and (seen <= person.box[2:] + 1).all()
        assert person.landmarks.shape == (33, 3) and person.visibility.shape == (33,)


def test_world_landmarks_are_metric_and_hip_centred():
    people = _detected("group6_standing_meeting").people + _detected("sport_skier").people
    for person in people:
        world = person.world_landmarks
        assert world.shape == (33, 3)
        shoulders = np.linalg.norm(world[LEFT_SHOULDER] - world[RIGHT_SHOULDER])
        assert 0.25 < shoulders < 0.5, f"shoulder width {shoulders:.3f} m"
        np.testing.assert_allclose((world[LEFT_HIP] + world[RIGHT_HIP]) / 2, 0.0, atol=0.05)
        assert world[NOSE, 1] < world[LEFT_HIP, 1] - 0.3  # y points down: the head is above the hips


def test_blank_and_tiny_images_find_nobody_and_say_what_to_do():
    for rgb in (np.full((480, 640, 3), 200, np.uint8), np.zeros((1, 1, 3), np.uint8), np.zeros((5, 5, 3), np.uint8)):
        result = detect_people(rgb)
        assert result.people == [] and result.message == NO_PERSON_MESSAGE
        assert "box" in result.message and result.image_size == rgb.shape[:2]
    assert person_from_box(np.full((480, 640, 3), 200, np.uint8), [100, 100, 300, 400]) is None


def test_user_box_reads_only_the_person_inside():
    image = _photo("group6_standing_meeting")
    person = person_from_box(image, [545, 270, 870, 1064])  # the man in the gray jacket, drawn by hand
    assert person is not None and person.source == "box"
    assert np.hypot(*(person.landmarks[NOSE, :2] - (730, 350))) < 60
    assert 0.25 < np.linalg.norm(person.world_landmarks[LEFT_SHOULDER] - person.world_landmarks[RIGHT_SHOULDER]) < 0.5
    neighbour = person_from_box(image, [1357, 354, 1600, 1064])  # the woman on the right
    assert np.hypot(*(neighbour.landmarks[NOSE, :2] - (1460, 430))) < 60


def test_downscaled_image_reports_original_pixels():
    full = _detected("large_walking_3people")
    small_image = _photo("large_walking_3people", max_side=800)
    assert small_image.scale < 0.5
    small = detect_people(small_image)
    assert small.image_size == (1536, 2048) and len(small.people) == len(full.people)
    for a, b in zip(small.people, full.people):
        assert np.hypot(*(a.landmarks[NOSE, :2] - b.landmarks[NOSE, :2])) < 40
        both = (a.visibility > 0.5) & (b.visibility > 0.5)
        assert both.sum() >= 15
        assert np.median(np.linalg.norm(a.landmarks[both, :2] - b.landmarks[both, :2], axis=1)) < 40


def test_masks_cover_the_person():
    image = _photo("sport_skier")
    (person,) = detect_people(image, with_masks=True).people
    assert person.mask.shape == image.size and person.mask.dtype == np.float32
    assert 0.0 <= person.mask.min() and person.mask.max() <= 1.0
    hips = ((person.landmarks[LEFT_HIP, :2] + person.landmarks[RIGHT_HIP, :2]) / 2).astype(int)
    assert person.mask[hips[1], hips[0]] > 0.5 and person.mask[5, 5] < 0.1
    assert detect_people(image).people[0].mask is None


def test_threads_share_the_models_safely():
    image = _photo("group3_apollo11")
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: detect_people(image), range(3)))
    noses = [np.array([p.landmarks[NOSE, :2] for p in r.people]) for r in results]
    for other in noses[1:]:
        np.testing.assert_allclose(other, noses[0])


def test_detection_windows_cover_the_long_side_with_squares():
    assert detection_windows(400, 420) == [(0, 0, 420, 400)]
    windows = detection_windows(1064, 1600)
    assert windows[0] == (0, 0, 1600, 1064)
    squares = windows[1:]
    assert all(x1 - x0 == 1064 and y0 == 0 and y1 == 1064 for x0, y0, x1, y1 in squares)
    assert squares[0][0] == 0 and squares[-1][2] == 1600
    tall = detection_windows(1000, 300)[1:]
    assert all(x0 == 0 and x1 == 300 and y1 - y0 == 300 for x0, y0, x1, y1 in tall) and tall[-1][3] == 1000


def test_a_person_is_followed_from_frame_to_frame_like_a_fresh_detection():
    frames = clip_frames(10)
    previous = detect_people(frames[0], max_people=1).people[0]
    for number, frame in enumerate(frames[1:], start=1):
        followed = track_person(frame, previous)
        assert followed is not None and followed.source == "track", f"lost in frame {number}"
        fresh = detect_people(frame, max_people=1).people[0]
        seen = (fresh.visibility > 0.5) & (followed.visibility > 0.5)
        assert seen.sum() >= 15
        gaps = np.linalg.norm(followed.landmarks[seen, :2] - fresh.landmarks[seen, :2], axis=1)
        height = fresh.box[3] - fresh.box[1]
        assert np.median(gaps) < 0.03 * height, f"frame {number}: {np.median(gaps):.1f} px of {height:.0f}"
        previous = followed


def test_following_lets_go_when_nobody_is_there():
    frame = clip_frames(1)[0]
    person = detect_people(frame, max_people=1).people[0]
    assert track_person(np.full_like(frame, 128), person) is None
    person.auxiliary = None  # a person from elsewhere, without a region to look in
    assert track_person(frame, person) is None


def test_followed_person_keeps_original_pixels_on_a_downscaled_frame():
    first, second = (
        load_image(np.repeat(np.repeat(frame, 2, axis=0), 2, axis=1), max_side=1024) for frame in clip_frames(2)
    )
    loaded = second  # 1536 x 864, processed at 1024 x 576
    assert loaded.scale < 1.0
    previous = detect_people(first, max_people=1).people[0]
    followed = track_person(loaded, previous)
    fresh = detect_people(loaded, max_people=1).people[0]
    assert followed is not None
    tolerance = 0.05 * (fresh.box[3] - fresh.box[1])
    assert np.abs(followed.box - fresh.box).max() < tolerance  # both in original pixels
    assert np.abs(followed.auxiliary - fresh.auxiliary).max() < tolerance


def test_the_example_clips_empty_room_frames_have_nobody():
    """The clip opens on a table and a wall; the table's cross-shaped foot once passed for a person."""
    from core.evaluation.detection_set import EMPTY_CLIP_FRAMES, example_clip_frames

    for number, frame in zip(EMPTY_CLIP_FRAMES, example_clip_frames(EMPTY_CLIP_FRAMES)):
        assert detect_people(frame).people == [], f"a person reported on empty frame {number}"


def test_small_people_down_to_a_tenth_of_the_height_are_found():
    from core.evaluation.detection_score import match
    from core.evaluation.detection_set import labelled_photos

    photos = {image.name: image for image in labelled_photos()}
    tarmac = photos["large_walking_3people_tarmac_whitehouse_pd_2048x1536.jpg"]
    found = [p.box for p in detect_people(tarmac.rgb).people]
    matched, states = match(tarmac.people, found)
    assert all(index is not None for index in matched), "the man walking in the background (10 %) is found too"
    assert states.count("false") == 0
    plaza = photos["pedestrians_opencv_vtest_frame0600_768x576.jpg"]  # six walkers, 12-25 % of the height
    matched, states = match(plaza.people, [p.box for p in detect_people(plaza.rgb).people])
    assert sum(index is not None for index in matched) >= 5 and states.count("false") == 0


def test_smaller_fraction_means_finer_windows_and_people_missed_without_them():
    from core.pipeline.detection_windows import window_levels

    coarse = detect_people(load_image(example_image("large_walking_3people")).rgb, min_height_fraction=0.3)
    assert len(coarse.people) == 3  # the background walker needs the finer windows
    assert len(window_levels(1536, 2048, 0.3)) == 1 and len(window_levels(1536, 2048, 0.08)) == 3


def test_a_reading_with_its_face_in_the_open_above_a_painted_torso_is_someone_new():
    from core.pipeline.detect import TORSO, _on_found_people, _Reading

    covered = np.zeros((200, 200), bool)
    covered[80:200, 60:140] = True  # a person found and painted out: their body from y = 80 down
    landmarks = np.zeros((33, 3))
    landmarks[list(TORSO), :2] = [(80, 100), (120, 100), (85, 160), (115, 160)]  # on the painted body
    landmarks[:11, :2] = (100, 60)  # face above it, in the open: someone standing behind
    reading = _Reading(landmarks, np.ones(33), np.zeros((33, 3)), np.zeros((2, 2)), np.zeros((200, 200), np.float32))
    assert not _on_found_people(reading, covered)
    landmarks[:11, :2] = (100, 90)  # face on the painted body too: the person found, read again
    assert _on_found_people(reading, covered)
    landmarks[[23, 24], :2] = (100, 20)  # hips in the open: only the shoulders lie on the painted body
    assert not _on_found_people(reading, covered)


@pytest.mark.slow
def test_a_person_half_behind_another_in_a_composite_is_found():
    """The first labelled composite: a man in green half behind one in black. Painting the first reading out
    covered the green man's torso, and his readings were then taken for the black one read again."""
    from core.evaluation.detection_score import match
    from core.evaluation.detection_set import composite_images

    (image,) = composite_images(1, seed=0)
    pair = [t for t in image.people if 360 < t.box[0] < 400 and t.box[1] > 380]
    assert len(pair) == 2 and all(t.head_torso for t in pair)
    matched, states = match(pair, [p.box for p in detect_people(image.rgb).people])
    assert all(index is not None for index in matched)


def test_detector_graphs_side_by_side_find_the_same_people_as_one(monkeypatch):
    import core.pipeline.detect as detect

    image = _photo("group6_standing_meeting")
    found = {}
    for threads in (1, 2):
        monkeypatch.setattr(detect, "_models", detect._PoseModels(threads))
        found[threads] = detect_people(image).people
    assert len(found[2]) == len(found[1]) >= 5
    for a, b in zip(found[1], found[2]):
        np.testing.assert_array_equal(a.landmarks, b.landmarks)
        np.testing.assert_array_equal(a.box, b.box)
    assert len(detect._PoseModels(2).detectors) == 2
