"""Temporal quality of video results: joint jitter, and identity switches against known truth.

Jitter is the mean acceleration of the 24 joints (second difference of their camera-frame positions
over consecutive frames, mm/frame²), over every run of three consecutive frames with the person:
a still or steadily moving body gives 0, noise frame to frame gives more.

Identity switches follow the CLEAR MOT convention (Bernardin and Stiefelhagen, 2008): in each frame,
true people and reported people are matched one to one by box overlap (IoU >= 0.5, Hungarian); a
switch is a true person matched to a different reported identity than the last time they were matched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from core.pipeline.detection_windows import box_iou

MATCH_IOU = 0.5


def joint_jitter_mm(joints: np.ndarray, found: np.ndarray) -> float:
    """joints (T, 24, 3) metres, found (T,) bool → mean joint acceleration in mm/frame² (nan with < 3 frames)."""
    usable = found[:-2] & found[1:-1] & found[2:]
    if not usable.any():
        return float("nan")
    acceleration = joints[2:] - 2 * joints[1:-1] + joints[:-2]  # (T-2, 24, 3)
    return float(1000 * np.linalg.norm(acceleration[usable], axis=-1).mean())


@dataclass
class IdentityScore:
    switches: int  # times a true person was matched to a different identity than before
    matched: int  # true person-frames matched to a reported person
    visible: int  # true person-frames (the person at least partly in view)
    false: int  # reported person-frames matching no true person
    identities: dict[int, list[int]]  # true person → reported identities it was matched to, in order

    @property
    def recall(self) -> float:
        return self.matched / self.visible if self.visible else float("nan")


def identity_score(truth: list[list[np.ndarray | None]], reported: list[dict[int, np.ndarray]]) -> IdentityScore:
    """truth[frame][person] visible box (4,) or None; reported[frame] {identity: box (4,)} → the score."""
    last: dict[int, int] = {}
    identities: dict[int, list[int]] = {}
    switches = matched = visible = false = 0
    for boxes, found in zip(truth, reported):
        people = [(k, box) for k, box in enumerate(boxes) if box is not None]
        ids = list(found)
        visible += len(people)
        pairs = {}
        if people and ids:
            cost = np.array([[1 - box_iou(box, found[i]) for i in ids] for _, box in people])
            for row, col in zip(*linear_sum_assignment(cost)):
                if cost[row, col] <= 1 - MATCH_IOU:
                    pairs[people[row][0]] = ids[col]
        for person, identity in pairs.items():
            matched += 1
            if person in last and last[person] != identity:
                switches += 1
            if not identities.get(person) or identities[person][-1] != identity:
                identities.setdefault(person, []).append(identity)
            last[person] = identity
        false += len(ids) - len(pairs)
    return IdentityScore(switches, matched, visible, false, identities)
