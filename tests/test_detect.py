"""Multi-person detection with MediaPipe's bundled models, on the shipped example photos."""
import numpy as np
import pytest

from core.detect import detect_people, person_from_box
from core.image_io import load_image
from tests.paths import example_image

EXPECTED_PEOPLE = {  # issue 4: counts on the example photos ("at least" for the crowded meeting)
    "group3_apollo11": (3, 3),
    "group6_standing_meeting": (5, 10),
    "large_walking_3people": (3, 10),
    "sport_skier_fullbody": (1, 1),
    "small_skier_crop": (1, 1),
    "cameraman_tripod": (1, 1),
    "portrait_astronaut": (1, 1),
    "portrait_grace_hopper": (1, 1),
}


@pytest.fixture(scope="module")
def detections():
    return {prefix: detect_people(load_image(example_image(prefix)).rgb) for prefix in EXPECTED_PEOPLE}


@pytest.mark.parametrize("prefix", sorted(EXPECTED_PEOPLE))
def test_people_counts_on_the_example_photos(detections, prefix):
    low, high = EXPECTED_PEOPLE[prefix]
    assert low <= len(detections[prefix].people) <= high


def test_people_are_sorted_left_to_right_with_landmarks_inside_their_boxes(detections):
    result = detections["group3_apollo11"]
    people = result.people
    height, width = result.image_size
    centres = [(p.box[0] + p.box[2]) / 2 for p in people]
    assert centres == sorted(centres)
    for person in people:
        seen = person.landmarks[person.visibility > 0.5, :2]
        seen = seen[(seen[:, 0] < width) & (seen[:, 1] < height)]  # MediaPipe extrapolates off-frame limbs
        x0, y0, x1, y1 = person.box
        assert ((seen[:, 0] >= x0 - 1) & (seen[:, 0] <= x1 + 1) & (seen[:, 1] >= y0 - 1) & (seen[:, 1] <= y1 + 1)).all()
        assert person.landmarks.shape == (33, 3) and person.world_landmarks.shape == (33, 3)


def test_world_landmarks_are_metric_and_hip_centred(detections):
    person = detections["sport_skier_fullbody"].people[0]
    world = person.world_landmarks
    assert 0.2 < np.linalg.norm(world[11] - world[12]) < 0.55  # shoulder width, metres
    assert np.linalg.norm((world[23] + world[24]) / 2) < 0.05  # origin between the hips


def test_blank_image_finds_nobody_and_says_what_to_do():
    result = detect_people(np.full((300, 400, 3), 127, np.uint8))
    assert result.people == [] and "box" in result.message.lower()


def test_user_box_reads_that_person_only(detections):
    image = load_image(example_image("group3_apollo11")).rgb
    target = detections["group3_apollo11"].people[-1]
    person = person_from_box(image, target.box)
    assert person is not None and person.source == "box"
    nose_distance = np.linalg.norm(person.landmarks[0, :2] - target.landmarks[0, :2])
    assert nose_distance < 0.1 * (target.box[3] - target.box[1])
