"""Scoring detections against labelled boxes: recall and precision by person size.

A detection matches a labelled person when their boxes overlap by IoU >= 0.5, or when the detected
box lies at least 80 % inside the labelled one and spans at least half its height: detected boxes are
drawn around the visible landmarks, so a portrait's box stops at the chest while the label runs to
the frame's edge. Matching is one to one, best overlap first. Detections matching a person marked
`ignore` (people in a picture on the wall, slivers at the edge) count neither way. Sizes are the
labelled box's height as a share of the image height; a false detection is sized by its own box.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.pipeline.detection_windows import box_iou

MATCH_IOU = 0.5
INSIDE_SHARE, INSIDE_HEIGHT = 0.8, 0.5
SIZE_BUCKETS = (("≥ 30 %", 0.30, np.inf), ("15–30 %", 0.15, 0.30), ("8–15 %", 0.08, 0.15), ("< 8 %", 0.0, 0.08))


@dataclass
class Truth:
    box: np.ndarray  # (4,) x0, y0, x1, y1 pixels
    head_torso: bool = True  # head and torso in view (the targets count these)
    ignore: bool = False


@dataclass
class Tally:
    """Counts for one size bucket."""

    found: int = 0  # labelled people matched (head and torso in view)
    people: int = 0  # labelled people (head and torso in view)
    found_partly_seen: int = 0  # the same for people whose head or torso is hidden
    partly_seen: int = 0
    false: int = 0  # detections matching nobody

    @property
    def recall(self) -> float:
        return self.found / self.people if self.people else float("nan")


@dataclass
class Score:
    buckets: dict[str, Tally] = field(default_factory=lambda: {name: Tally() for name, _, _ in SIZE_BUCKETS})
    detections: int = 0
    correct: int = 0  # detections matching a labelled person

    @property
    def precision(self) -> float:
        counted = self.correct + sum(t.false for t in self.buckets.values())
        return self.correct / counted if counted else float("nan")

    def add(self, truths: list[Truth], detected: list[np.ndarray], image_height: int) -> list[int | None]:
        """Score one image; returns, per labelled person, the index of the detection matched (or None)."""
        matched, detection_state = match(truths, detected)
        self.detections += len(detected)
        for truth, index in zip(truths, matched):
            if truth.ignore:
                continue
            tally = self.buckets[size_bucket(truth.box, image_height)]
            if truth.head_torso:
                tally.people += 1
                tally.found += index is not None
            else:
                tally.partly_seen += 1
                tally.found_partly_seen += index is not None
        for box, state in zip(detected, detection_state):
            if state == "correct":
                self.correct += 1
            elif state == "false":
                self.buckets[size_bucket(box, image_height)].false += 1
        return matched


def size_bucket(box: np.ndarray, image_height: int) -> str:
    share = (box[3] - box[1]) / image_height
    return next(name for name, low, high in SIZE_BUCKETS if low <= share < high)


def matches(truth: np.ndarray, detected: np.ndarray) -> float:
    """How well a detected box fits a labelled one: its IoU, or 0.5 for a box well inside it; 0 for no match."""
    iou = box_iou(truth, detected)
    if iou >= MATCH_IOU:
        return iou
    inside = (
        box_iou(np.array([*np.maximum(truth[:2], detected[:2]), *np.minimum(truth[2:], detected[2:])]), detected)
        if _overlap(truth, detected)
        else 0.0
    )
    tall_enough = (detected[3] - detected[1]) >= INSIDE_HEIGHT * (truth[3] - truth[1])
    return MATCH_IOU if inside >= INSIDE_SHARE and tall_enough else 0.0


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1]))


def match(truths: list[Truth], detected: list[np.ndarray]) -> tuple[list[int | None], list[str]]:
    """One-to-one matching, best fit first; returns per truth the detection index, per detection
    'correct', 'ignored' (matches a person marked ignore) or 'false'."""
    pairs = sorted(
        ((matches(t.box, d), i, j) for i, t in enumerate(truths) for j, d in enumerate(detected)), reverse=True
    )
    matched: list[int | None] = [None] * len(truths)
    state = ["false"] * len(detected)
    for fit, i, j in pairs:
        if fit <= 0 or matched[i] is not None or state[j] != "false":
            continue
        matched[i] = j
        state[j] = "ignored" if truths[i].ignore else "correct"
    return matched, state
