"""Surface keypoints of the SMPL mesh (6890 vertices) as vertex regressors (K, 6890), rows summing to 1.

Three named regressors of the keypoint contract (see core/joints.py):
- 'smplx_21': one-hot picks of smplx's `vertex_ids['smplh']` (SMPL and SMPL-H share the topology), in
  smplx's VertexJointSelector order, which is mmhuman3d's smpl_45 order (joints 24..44).
- 'hybrik_leaf_5': HybrIK's leaf vertices 411, 2445, 5905, 3216, 6617 (head top, middle fingertips, big
  toes; mmhuman3d HybrIKSMPL).
- 'mediapipe_surface_21': MediaPipe Pose's face, hand and foot landmarks. Where smplx names a vertex for the
  same point it is used as is (nose, eyes, ears, heels). The others are built from those vertices and from
  SMPL's own joint regressor, because MediaPipe's points are not on smplx's list (APPROXIMATE, see below).
"""

from __future__ import annotations

import numpy as np
from smplx.vertex_ids import vertex_ids as SMPLX_VERTEX_IDS

NUM_SMPL_VERTICES = 6890
SMPLH_VERTICES = SMPLX_VERTEX_IDS["smplh"]  # e.g. {'nose': 332, 'reye': 6260, ...}

SMPLX_21_KEYS = (
    "nose",
    "reye",
    "leye",
    "rear",
    "lear",
    "LBigToe",
    "LSmallToe",
    "LHeel",
    "RBigToe",
    "RSmallToe",
    "RHeel",
    "lthumb",
    "lindex",
    "lmiddle",
    "lring",
    "lpinky",
    "rthumb",
    "rindex",
    "rmiddle",
    "rring",
    "rpinky",
)
HYBRIK_LEAF_VERTICES = (411, 2445, 5905, 3216, 6617)  # head, left_middle, right_middle, left/right_bigtoe

# Fractions used for the approximated MediaPipe points (adult proportions, see mediapipe_surface_regressor).
EYE_CORNER_OFFSET = 0.25  # eye corners sit about a quarter of the inter-pupil distance from the pupil
MOUTH_HALF_WIDTH = 0.4  # mouth corners: 0.4 inter-pupil distances either side of the face's midline
MOUTH_BELOW_NOSE = 0.625  # mouth centre = nose + 0.625 (nose - eye centre) + 0.3 (ear centre - eye centre)
MOUTH_BACK = 0.3
KNUCKLE_FRACTION = {"index": 0.5, "pinky": 0.5, "thumb": 0.6}  # wrist → fingertip
FOOT_INDEX_BIGTOE_SHARE = 0.65  # second-toe tip ≈ 0.65 big-toe tip + 0.35 small-toe tip
LEFT_WRIST_JOINT, RIGHT_WRIST_JOINT = 20, 21  # rows of SMPL's J_regressor


def one_hot_regressor(vertex_ids, num_vertices: int = NUM_SMPL_VERTICES) -> np.ndarray:
    """(K, V) regressor whose row k picks vertex vertex_ids[k]."""
    regressor = np.zeros((len(vertex_ids), num_vertices))
    regressor[np.arange(len(vertex_ids)), list(vertex_ids)] = 1.0
    return regressor


def smplx_21_regressor() -> np.ndarray:
    return one_hot_regressor([SMPLH_VERTICES[key] for key in SMPLX_21_KEYS])


def hybrik_leaf_5_regressor() -> np.ndarray:
    return one_hot_regressor(HYBRIK_LEAF_VERTICES)


def mediapipe_surface_regressor(j_regressor: np.ndarray) -> np.ndarray:
    """(21, 6890) rows for MediaPipe's surface landmarks in the contract order (core.joints).

    j_regressor (24, 6890) is the model's own joint regressor, used for the wrists. APPROXIMATE: the eye
    corners, mouth corners, knuckles and foot tips are linear combinations of smplx's named vertices and
    the wrist, with the proportions above; replace them with picked vertex ids once checked on a real mesh.
    """
    v = {key: one_hot_regressor([index])[0] for key, index in SMPLH_VERTICES.items()}
    eye_axis = v["leye"] - v["reye"]  # points to the body's left, length = inter-pupil distance
    eye_centre, ear_centre = (v["leye"] + v["reye"]) / 2, (v["lear"] + v["rear"]) / 2
    mouth = v["nose"] + MOUTH_BELOW_NOSE * (v["nose"] - eye_centre) + MOUTH_BACK * (ear_centre - eye_centre)
    wrist = {"left": j_regressor[LEFT_WRIST_JOINT], "right": j_regressor[RIGHT_WRIST_JOINT]}

    def knuckle(side: str, finger: str) -> np.ndarray:
        tip = v[side[0] + finger]
        return wrist[side] + KNUCKLE_FRACTION[finger] * (tip - wrist[side])

    def foot_index(side: str) -> np.ndarray:
        prefix = side[0].upper()
        return FOOT_INDEX_BIGTOE_SHARE * v[f"{prefix}BigToe"] + (1 - FOOT_INDEX_BIGTOE_SHARE) * v[f"{prefix}SmallToe"]

    rows = [
        v["nose"],
        v["leye"] - EYE_CORNER_OFFSET * eye_axis,
        v["leye"],
        v["leye"] + EYE_CORNER_OFFSET * eye_axis,
        v["reye"] + EYE_CORNER_OFFSET * eye_axis,
        v["reye"],
        v["reye"] - EYE_CORNER_OFFSET * eye_axis,
        v["lear"],
        v["rear"],
        mouth + MOUTH_HALF_WIDTH * eye_axis,
        mouth - MOUTH_HALF_WIDTH * eye_axis,
        knuckle("left", "pinky"),
        knuckle("right", "pinky"),
        knuckle("left", "index"),
        knuckle("right", "index"),
        knuckle("left", "thumb"),
        knuckle("right", "thumb"),
        v["LHeel"],
        v["RHeel"],
        foot_index("left"),
        foot_index("right"),
    ]
    return np.stack(rows)
