"""Matching detections to labelled people, and recall / precision by size."""

import numpy as np

from core.evaluation.detection_score import Score, Truth, match, size_bucket


def test_matching_is_one_to_one_and_accepts_boxes_well_inside_a_label():
    truths = [Truth(np.array([0, 0, 100, 400])), Truth(np.array([200, 0, 300, 400]))]
    detected = [
        np.array([5, 5, 95, 390]),
        np.array([10, 0, 90, 380]),
        np.array([210, 10, 290, 220]),
        np.array([500, 0, 600, 100]),
    ]
    matched, states = match(truths, detected)
    assert matched == [0, 2]  # the better of the two boxes on the first person; a portrait-like box on the second
    assert states == ["correct", "false", "correct", "false"]
    assert match(truths, [np.array([210, 10, 290, 150])])[0] == [None, None]  # a head alone is not the person


def test_ignored_people_count_neither_way():
    truths = [Truth(np.array([0, 0, 100, 400]), ignore=True)]
    score = Score()
    score.add(truths, [np.array([0, 0, 100, 400])], 1000)
    assert score.detections == 1 and score.correct == 0 and np.isnan(score.precision)
    assert all(t.people == 0 and t.false == 0 for t in score.buckets.values())


def test_recall_and_precision_by_size():
    truths = [
        Truth(np.array([0, 0, 100, 500])),
        Truth(np.array([200, 0, 250, 200])),
        Truth(np.array([300, 0, 320, 100])),
        Truth(np.array([400, 0, 420, 100]), head_torso=False),
    ]
    score = Score()
    score.add(truths, [np.array([0, 0, 100, 500]), np.array([300, 0, 320, 100]), np.array([600, 0, 640, 120])], 1000)
    big, middle, small = score.buckets["≥ 30 %"], score.buckets["15–30 %"], score.buckets["8–15 %"]
    assert (big.found, big.people, middle.found, middle.people) == (1, 1, 0, 1)
    assert (small.found, small.people, small.found_partly_seen, small.partly_seen, small.false) == (1, 1, 0, 1, 1)
    assert score.precision == 2 / 3
    assert size_bucket(np.array([0, 0, 1, 79]), 1000) == "< 8 %"
