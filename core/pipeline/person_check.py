"""Is a landmark reading a person? A cheap check on what the landmark model returned.

The detector fires on furniture now and then (a table's cross-shaped foot, a tripod), and the
landmark model then draws a skeleton on it. Such skeletons give themselves away in the metric
world landmarks, which the model predicts for a human body whatever it looks at: a torso far
shorter or longer than any person's, shoulders narrower than a child's, limbs out of proportion.
In the image, such a skeleton is often squashed into a thin strip that the model reads as
reaching far into the picture (depth span several times its height), which people seldom do.
Bounds are wide (children to tall adults) and were set from the readings on the example photos and
the empty frames of the example clip (see `docs/detection.md`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_ELBOW, RIGHT_ELBOW = 11, 12, 13, 14
LEFT_HIP, RIGHT_HIP, LEFT_KNEE, RIGHT_KNEE = 23, 24, 25, 26
VISIBLE = 0.5

UPPER_ARMS = ((LEFT_SHOULDER, LEFT_ELBOW), (RIGHT_SHOULDER, RIGHT_ELBOW))
THIGHS = ((LEFT_HIP, LEFT_KNEE), (RIGHT_HIP, RIGHT_KNEE))

MIN_SHOULDER_WIDTH_M = 0.2  # narrower than any school-age child's shoulders
TORSO_M = (0.33, 0.7)  # shoulder centre to hip centre, metres
UPPER_ARM_TO_TORSO = (0.3, 0.8)  # shoulder-elbow over torso length, when both ends are visible
THIGH_TO_TORSO = (0.45, 1.2)  # hip-knee over torso length
MAX_DEPTH_TO_HEIGHT = 3.0  # image skeletons flattened to a strip, read deep into the picture: clutter
MIN_VISIBLE_LANDMARKS = 8  # of 33
MIN_SHOULDER_VISIBILITY = 0.5  # mean of the two shoulders: the torso must be in view


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str = ""  # why not, for logs and tests


def check_person(world_landmarks: np.ndarray, visibility: np.ndarray, landmarks: np.ndarray | None = None) -> Check:
    """world_landmarks (33, 3) metres, visibility (33,), image landmarks (33, 3) pixels → whether they are a person."""
    world = np.asarray(world_landmarks, dtype=np.float64)
    if landmarks is not None:
        depth, height = np.ptp(landmarks[:, 2]), np.ptp(landmarks[:, 1])
        if depth > MAX_DEPTH_TO_HEIGHT * height:
            return Check(False, f"skeleton {depth / max(height, 1e-6):.1f} times deeper than tall in the image")
    if int((visibility > VISIBLE).sum()) < MIN_VISIBLE_LANDMARKS:
        return Check(False, "too few landmarks visible")
    if float(visibility[[LEFT_SHOULDER, RIGHT_SHOULDER]].mean()) < MIN_SHOULDER_VISIBILITY:
        return Check(False, "shoulders not visible")
    shoulders = _length(world, LEFT_SHOULDER, RIGHT_SHOULDER)
    if shoulders < MIN_SHOULDER_WIDTH_M:
        return Check(False, f"shoulders {shoulders:.2f} m wide")
    torso = float(np.linalg.norm(world[[LEFT_SHOULDER, RIGHT_SHOULDER]].mean(0) - world[[LEFT_HIP, RIGHT_HIP]].mean(0)))
    if not TORSO_M[0] <= torso <= TORSO_M[1]:
        return Check(False, f"torso {torso:.2f} m long")
    for name, bones, bounds in (("upper arms", UPPER_ARMS, UPPER_ARM_TO_TORSO), ("thighs", THIGHS, THIGH_TO_TORSO)):
        seen = [(a, b) for a, b in bones if visibility[a] > VISIBLE and visibility[b] > VISIBLE]
        if seen:  # hidden limbs are the model's guess, not evidence
            ratio = np.mean([_length(world, a, b) for a, b in seen]) / torso
            if not bounds[0] <= ratio <= bounds[1]:
                return Check(False, f"{name} {ratio:.2f} of the torso")
    return Check(True)


def _length(world: np.ndarray, a: int, b: int) -> float:
    return float(np.linalg.norm(world[a] - world[b]))
