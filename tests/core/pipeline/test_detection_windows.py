"""Detection windows at several scales and merging detections across them."""

import numpy as np

from core.pipeline.detection_windows import detection_windows, merge_detections, window_levels, window_sides


def _inside(box, window):
    return window[0] <= box[0] and window[1] <= box[1] and box[2] <= window[2] and box[3] <= window[3]


def test_sides_halve_down_to_where_the_smallest_person_fills_a_third():
    assert window_sides(1064, 1600, 0.08) == [1064, 532, 266]
    assert window_sides(432, 768, 0.08) == [432, 216, 108]
    assert window_sides(1064, 1600, 0.3) == [1064]
    assert window_sides(200, 200, 0.01)[-1] >= 96  # never below MIN_WINDOW_SIDE


def test_every_person_of_a_levels_size_lies_whole_in_one_of_its_windows():
    rng = np.random.default_rng(0)
    height, width = 1064, 1600
    levels = window_levels(height, width, 0.08)
    for level in levels[1:]:
        side = level[0][2] - level[0][0]
        for _ in range(200):
            size = rng.uniform(0.2, 0.5) * side
            x0, y0 = rng.uniform(0, width - size / 2), rng.uniform(0, height - size)
            box = (x0, y0, min(width, x0 + size / 2), y0 + size)
            assert any(_inside(box, window) for window in level)
    for level in levels:
        for x0, y0, x1, y1 in level:
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
    assert detection_windows(height, width, 0.08) == [w for level in levels for w in level]


def test_merging_keeps_the_best_of_overlapping_detections():
    boxes = [np.array([0, 0, 10, 10]), np.array([1, 1, 11, 11]), np.array([50, 50, 60, 60])]
    assert merge_detections(boxes, [0.6, 0.9, 0.7]) == [1, 2]
