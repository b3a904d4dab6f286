"""The person check: real skeletons pass, furniture-like ones do not."""

from core.image_io import load_image
from core.pipeline.detect import detect_people
from core.pipeline.person_check import check_person
from core.testing.examples import example_image


def _skier():
    (person,) = detect_people(load_image(example_image("sport_skier_fullbody"))).people
    return person


def test_a_real_person_passes():
    person = _skier()
    assert check_person(person.world_landmarks, person.visibility, person.landmarks).ok


def test_a_shrunken_skeleton_fails():
    person = _skier()
    for factor, reason in ((0.4, "shoulders"), (2.0, "torso")):
        check = check_person(person.world_landmarks * factor, person.visibility)
        assert not check.ok and reason in check.reason


def test_limbs_out_of_proportion_fail():
    person = _skier()
    world = person.world_landmarks.copy()
    world[25:27] = world[23:25] + 3.0 * (world[25:27] - world[23:25])  # thighs three times too long
    check = check_person(world, person.visibility)
    assert not check.ok and "thighs" in check.reason
    hidden = person.visibility.copy()
    hidden[25:27] = 0.0  # hidden knees are the model's guess: not held against it
    assert check_person(world, hidden).ok


def test_hidden_shoulders_and_flattened_skeletons_fail():
    person = _skier()
    visibility = person.visibility.copy()
    visibility[11:13] = 0.1
    assert "shoulders not visible" in check_person(person.world_landmarks, visibility).reason
    flat = person.landmarks.copy()
    flat[:, 1] = flat[:, 1].mean() + 0.05 * (flat[:, 1] - flat[:, 1].mean())  # squashed into a strip
    flat[:, 2] *= 5
    assert "deeper than tall" in check_person(person.world_landmarks, person.visibility, flat).reason
