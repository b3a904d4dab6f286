"""The labelled detection set: hand-labelled photos and composites of drawn people."""

import hashlib
import json

import numpy as np
import pytest

from core.evaluation.detection_set import DETECTION_ASSETS, LABELS_FILE, composite_images, labelled_photos
from core.paths import REPO_ROOT
from core.testing.synthetic_people import SyntheticPerson, camera_for, depth_for_height, draw_people


def test_every_example_photo_is_labelled_and_boxes_lie_in_their_pictures():
    data = json.loads(LABELS_FILE.read_text())
    labelled = {entry["file"] for entry in data["images"]}
    examples = {
        f"assets/examples/{p.name}"
        for p in (REPO_ROOT / "assets" / "examples").iterdir()
        if p.suffix in (".jpg", ".png")
    }
    assert examples <= labelled
    for image in labelled_photos():
        height, width = image.rgb.shape[:2]
        assert image.people
        for person in image.people:
            x0, y0, x1, y1 = person.box
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, (image.name, person.box)


def test_added_pictures_match_their_recorded_checksums():
    provenance = (DETECTION_ASSETS / "PROVENANCE.md").read_text()
    for path in (DETECTION_ASSETS / "photos").iterdir():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"`photos/{path.name}`" in provenance and digest in provenance, path.name


def test_a_drawn_person_has_the_height_asked_for_and_a_partly_hidden_one_a_smaller_box(open_body_model):
    background = np.full((480, 640, 3), 120, np.uint8)
    K = camera_for(480, 640)
    front = SyntheticPerson(depth_for_height(0.5, 480, K), (300, 240))
    behind = SyntheticPerson(depth_for_height(0.4, 480, K), (340, 240), shirt=(0.7, 0.2, 0.2))
    picture, (alone,) = draw_people(background, open_body_model, [front], K)
    assert abs((alone.box[3] - alone.box[1]) / 480 - 0.5) < 0.05 and alone.head_torso and alone.visible_share == 1.0
    assert (picture != 120).any(axis=2).sum() > 5000
    _, (seen, hidden) = draw_people(background, open_body_model, [front, behind], K)
    np.testing.assert_allclose(seen.box, alone.box, atol=1)
    assert hidden.visible_share < 0.8 and (hidden.box[2] - hidden.box[0]) < (hidden.full_box[2] - hidden.full_box[0])


@pytest.fixture(scope="module")
def open_body_model():
    from core.body_models.open_model import load_open_body_model

    return load_open_body_model()


@pytest.mark.slow
def test_composites_are_the_same_for_a_seed_and_drawn_people_are_detected(open_body_model):
    from core.evaluation.detection_score import Score
    from core.pipeline.detect import detect_people

    first, again = (
        composite_images(2, seed=3, body_model=open_body_model),
        composite_images(1, seed=3, body_model=open_body_model),
    )
    np.testing.assert_array_equal(first[0].rgb, again[0].rgb)
    score = Score()
    for image in first:
        assert 3 <= len(image.people) <= 6
        score.add(image.people, [p.box for p in detect_people(image.rgb).people], image.rgb.shape[0])
    found = sum(t.found for t in score.buckets.values())
    people = sum(t.people for t in score.buckets.values())
    assert found >= 0.7 * people and score.precision >= 0.8
