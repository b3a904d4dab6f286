"""Where the pose detector looks: square windows at several scales, and merging what they find.

MediaPipe's pose detector sees a 224 × 224 letterboxed copy of its input and finds people whose
face spans more than a few of those pixels: about a third of its input's side or more. On a wide
photo one look at the whole image loses everyone smaller than about a third of the image height.
So the detector also runs on square windows of the short side, of half of it, of a quarter of it...
down to the size at which a person of `min_height_fraction` of the image height fills about a third
of a window (`PERSON_SHARE_OF_WINDOW`). Windows of one scale overlap by `WINDOW_OVERLAP` of their
side so every person lies whole in at least one of them.

The same person is then found in several windows and scales; `merge_detections` keeps the best
scoring of each group of detections whose face boxes overlap (MediaPipe's detection box is the face).
"""

from __future__ import annotations

import math

import numpy as np

WINDOW_OVERLAP = 0.5  # windows of one scale step by half their side
PERSON_SHARE_OF_WINDOW = 0.33  # a person this share of a window's side is found reliably
MIN_WINDOW_SIDE = 96  # pixels: smaller windows hold people too small for the landmark model
SAME_FACE_IOU = 0.3  # detections whose face boxes overlap this much are the same person


def window_sides(height: int, width: int, min_height_fraction: float) -> list[int]:
    """Square window sides, largest first: the short side, halved while people of the fraction still fit."""
    side = min(height, width)
    smallest = max(MIN_WINDOW_SIDE, min_height_fraction * height / PERSON_SHARE_OF_WINDOW)
    sides = [side]
    while side / 2 >= smallest:
        side = side / 2
        sides.append(int(round(side)))
    return sides


def window_levels(height: int, width: int, min_height_fraction: float = 0.3) -> list[list[tuple[int, int, int, int]]]:
    """Windows (x0, y0, x1, y1) by scale, coarsest first: level 0 is the whole image plus squares of its
    short side along the long side; each next level halves the side, stepping by WINDOW_OVERLAP.

    With the default fraction a landscape photo gets level 0 only (people of a third of the height and more).
    """
    sides = window_sides(height, width, min_height_fraction)
    levels = [[(0, 0, width, height)]]
    for number, side in enumerate(sides):
        level = [(x0, y0, x0 + side, y0 + side) for y0 in _starts(height, side) for x0 in _starts(width, side)]
        if number == 0:
            if side < max(height, width) / 1.1:  # else the whole image already is (about) this square
                levels[0] += level
        else:
            levels.append(level)
    return levels


def detection_windows(height: int, width: int, min_height_fraction: float = 0.3) -> list[tuple[int, int, int, int]]:
    """Every window of `window_levels`, coarsest first."""
    return [window for level in window_levels(height, width, min_height_fraction) for window in level]


def _starts(length: int, side: int) -> list[int]:
    """Offsets of windows of `side` covering `length`, stepping by (1 - overlap) × side, the last flush with the end."""
    if side >= length:
        return [0]
    step = max(1, int(side * (1 - WINDOW_OVERLAP)))
    count = math.ceil((length - side) / step) + 1
    return sorted({min(i * step, length - side) for i in range(count)})


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (4,) boxes x0, y0, x1, y1."""
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def merge_detections(boxes: list[np.ndarray], scores: list[float], same_iou: float = SAME_FACE_IOU) -> list[int]:
    """Indices of the detections to keep, best first: greedy suppression of face boxes overlapping a better one."""
    keep: list[int] = []
    for index in sorted(range(len(boxes)), key=lambda i: -scores[i]):
        if all(box_iou(boxes[index], boxes[kept]) < same_iou for kept in keep):
            keep.append(index)
    return keep


def window_touches(window: tuple[int, int, int, int], region: np.ndarray | None) -> bool:
    """Whether a window overlaps `region` (4,) x0, y0, x1, y1 (None: nothing changed)."""
    if region is None:
        return False
    x0, y0, x1, y1 = window
    return region[0] < x1 and region[2] > x0 and region[1] < y1 and region[3] > y0
