"""Following several people: identities kept through a crossing, new people confirmed, one-frame ghosts dropped."""

import numpy as np
import pytest

from core.evaluation.temporal import identity_score
from core.pipeline import people_tracker
from core.pipeline.detect import Person
from core.pipeline.detection_windows import box_iou
from core.pipeline.people_tracker import PeopleTracker, colour_distance, torso_colours

HEIGHT, WIDTH = 240, 400
COLOURS = {"A": (40, 60, 200), "B": (200, 40, 40), "C": (40, 180, 60), "ghost": (200, 200, 40)}


def _person(box) -> Person:
    x0, y0, x1, y1 = box
    landmarks = np.zeros((33, 3))
    landmarks[:, 0], landmarks[:, 1] = (x0 + x1) / 2, (y0 + y1) / 2
    landmarks[[11, 23], 0], landmarks[[12, 24], 0] = x0 + 0.3 * (x1 - x0), x0 + 0.7 * (x1 - x0)
    landmarks[[11, 12], 1], landmarks[[23, 24], 1] = y0 + 0.25 * (y1 - y0), y0 + 0.55 * (y1 - y0)
    return Person(np.array(box, float), 0.9, landmarks, np.ones(33), np.zeros((33, 3)), auxiliary=np.zeros((2, 2)))


def _scene(frame: int) -> list[tuple[str, tuple, bool]]:
    """(name, box, in front) of everyone in view: A walks right, B walks left behind A (hidden in frames 8-11),
    C enters at frame 5; a ghost is detected on frame 3 only."""
    people = [
        ("A", (40 + 15 * frame, 60, 100 + 15 * frame, 220), True),
        ("B", (300 - 15 * frame, 70, 352 - 15 * frame, 210), False),
    ]
    if frame >= 5:
        people.append(("C", (330, 20, 370, 120), True))
    if frame == 3:
        people.append(("ghost", (10, 10, 40, 60), True))
    return people


def _visible(frame: int):
    """Everyone whose box is not mostly behind someone in front."""
    scene = _scene(frame)
    fronts = [box for _, box, front in scene if front]
    return [
        (name, box)
        for name, box, front in scene
        if front or all(box_iou(np.array(box, float), np.array(f, float)) < 0.2 for f in fronts)
    ]


def _picture(frame: int) -> np.ndarray:
    rgb = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    for name, box, front in sorted(_scene(frame), key=lambda p: p[2]):  # the ones behind drawn first
        x0, y0, x1, y1 = box
        rgb[y0:y1, x0:x1] = COLOURS[name]
    return rgb


@pytest.fixture
def scripted(monkeypatch):
    """detect_people / track_person answering from the scene above instead of running MediaPipe."""
    state = {"frame": 0}

    def detect(rgb, **kwargs):
        class Found:
            people = [_person(box) for _, box in _visible(state["frame"])]

        return Found()

    def follow(rgb, previous):
        # the landmark model reads whoever is most prominent where the person was: the one in front
        candidates = [_person(box) for _, box in _visible(state["frame"])]
        best = max(candidates, key=lambda p: box_iou(p.box, previous.box), default=None)
        return best if best is not None and box_iou(best.box, previous.box) > 0.2 else None

    monkeypatch.setattr(people_tracker, "detect_people", detect)
    monkeypatch.setattr(people_tracker, "track_person", follow)
    return state


def test_identities_survive_a_crossing_and_ghosts_never_count(scripted):
    tracker = PeopleTracker(detect_every=5, confirm=3, keep_lost=10)
    reported, truth = [], []
    for frame in range(20):
        scripted["frame"] = frame
        seen = tracker.update(frame, _picture(frame))
        reported.append({t.identity: t.person.box for t in seen})
        visible = dict(_visible(frame))
        truth.append([np.array(visible[n], float) if n in visible else None for n in ("A", "B", "C")])
    score = identity_score(truth, reported)
    assert score.switches == 0 and score.identities == {0: [1], 1: [2], 2: [3]}
    assert score.false == 0  # the ghost of frame 3 never became a person
    assert all(not frame for frame in reported[:2])  # nobody counts before being seen in 3 frames
    assert [t.identity for t in tracker.people()] == [1, 2, 3]
    hidden = [frame for frame in range(2, 20) if 2 not in reported[frame]]
    assert hidden and min(hidden) >= 6 and max(hidden) <= 12  # B lost behind A, then picked up again as 2
    assert all(2 in reported[frame] for frame in range(13, 20))


def test_torso_colours_tell_clothes_apart():
    rgb = _picture(0)
    a, b = (torso_colours(rgb, _person(box)) for _, box, _ in _scene(0)[:2])
    assert colour_distance(a, a) < 1e-6 and colour_distance(a, b) > 0.9
    assert colour_distance(a, None) == 0.5
