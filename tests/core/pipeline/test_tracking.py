"""Everyone in a video: identities on a drawn crossing clip, nobody on the example clip's empty frames."""

import pytest

from core.evaluation.detection_set import EMPTY_CLIP_FRAMES
from core.evaluation.temporal import identity_score
from core.pipeline.people_tracker import PeopleTracker
from core.testing.examples import clip_frames


def test_nobody_is_reported_on_the_example_clips_empty_frames_and_the_walker_is_person_1():
    tracker = PeopleTracker()
    reported = [[t.identity for t in tracker.update(index, frame)] for index, frame in enumerate(clip_frames(26, 0))]
    assert all(not people for people in reported[: EMPTY_CLIP_FRAMES.stop])
    assert reported[-1] == [1] and [t.identity for t in tracker.people()] == [1]


@pytest.fixture(scope="module")
def crossing():
    from core.body_models.open_model import load_open_body_model
    from core.testing.synthetic_people import crossing_clip, plaza

    return crossing_clip(plaza(240, 320), load_open_body_model(), frames=24)


@pytest.mark.slow
def test_identities_do_not_switch_when_people_cross_and_one_passes_behind(crossing):
    frames, truths = crossing
    assert min(t[1].visible_share for t in truths) < 0.5  # the second walker really is hidden for a while
    tracker = PeopleTracker()
    reported = [{t.identity: t.person.box for t in tracker.update(i, frame)} for i, frame in enumerate(frames)]
    score = identity_score([[person.box for person in truth] for truth in truths], reported)
    assert score.switches == 0
    assert score.identities == {0: [1], 1: [2], 2: [3]}  # one identity each, none lost for good and renamed
    assert score.recall > 0.7 and score.false <= 2
