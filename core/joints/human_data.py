"""mmhuman3d's 190-joint `human_data` keypoint convention, in its exact order.

Every HumanData file stores keypoints in this order (with a (190,) mask saying which exist); other
conventions are picked from it by name. Copied from open-mmlab/mmhuman3d
`mmhuman3d/core/conventions/keypoints_mapping/human_data.py` (Apache-2.0), names only.
Index checks against mmhuman3d's `get_mapping('human_data', ...)` (keypoints_mapping/__init__.py): h36m_17 =
[148, 145, 4, 7, 144, 5, 8, 150, 146, 152, 147, 16, 18, 20, 17, 19, 21]; hybrik_29 = [0..14, 22, 16..21, 66, 71,
15, 68, 73, 60, 63].
"""

HUMAN_DATA_NAMES = (
    # SMPL body (0-21)
    'pelvis', 'left_hip', 'right_hip', 'spine_1', 'left_knee', 'right_knee', 'spine_2', 'left_ankle',
    'right_ankle', 'spine_3', 'left_foot', 'right_foot', 'neck', 'left_collar', 'right_collar', 'head',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
    # face joints (22-24)
    'jaw', 'left_eyeball', 'right_eyeball',
    # left hand (25-39)
    'left_index_1', 'left_index_2', 'left_index_3', 'left_middle_1', 'left_middle_2', 'left_middle_3',
    'left_pinky_1', 'left_pinky_2', 'left_pinky_3', 'left_ring_1', 'left_ring_2', 'left_ring_3',
    'left_thumb_1', 'left_thumb_2', 'left_thumb_3',
    # right hand (40-54)
    'right_index_1', 'right_index_2', 'right_index_3', 'right_middle_1', 'right_middle_2', 'right_middle_3',
    'right_pinky_1', 'right_pinky_2', 'right_pinky_3', 'right_ring_1', 'right_ring_2', 'right_ring_3',
    'right_thumb_1', 'right_thumb_2', 'right_thumb_3',
    # face and feet (55-65)
    'nose', 'right_eye', 'left_eye', 'right_ear', 'left_ear', 'left_bigtoe', 'left_smalltoe', 'left_heel',
    'right_bigtoe', 'right_smalltoe', 'right_heel',
    # finger tips (66-75)
    'left_thumb', 'left_index', 'left_middle', 'left_ring', 'left_pinky', 'right_thumb', 'right_index',
    'right_middle', 'right_ring', 'right_pinky',
    # eyebrows (76-85)
    'right_eyebrow_1', 'right_eyebrow_2', 'right_eyebrow_3', 'right_eyebrow_4', 'right_eyebrow_5',
    'left_eyebrow_5', 'left_eyebrow_4', 'left_eyebrow_3', 'left_eyebrow_2', 'left_eyebrow_1',
    # nose (86-94)
    'nosebridge_1', 'nosebridge_2', 'nosebridge_3', 'nosebridge_4', 'right_nose_2', 'right_nose_1',
    'nose_middle', 'left_nose_1', 'left_nose_2',
    # eyes (95-106)
    'right_eye_1', 'right_eye_2', 'right_eye_3', 'right_eye_4', 'right_eye_5', 'right_eye_6', 'left_eye_4',
    'left_eye_3', 'left_eye_2', 'left_eye_1', 'left_eye_6', 'left_eye_5',
    # mouth (107-118)
    'right_mouth_1', 'right_mouth_2', 'right_mouth_3', 'mouth_top', 'left_mouth_3', 'left_mouth_2',
    'left_mouth_1', 'left_mouth_5', 'left_mouth_4', 'mouth_bottom', 'right_mouth_4', 'right_mouth_5',
    # lips (119-126)
    'right_lip_1', 'right_lip_2', 'lip_top', 'left_lip_2', 'left_lip_1', 'left_lip_3', 'lip_bottom',
    'right_lip_3',
    # face contour (127-143)
    'right_contour_1', 'right_contour_2', 'right_contour_3', 'right_contour_4', 'right_contour_5',
    'right_contour_6', 'right_contour_7', 'right_contour_8', 'contour_middle', 'left_contour_8',
    'left_contour_7', 'left_contour_6', 'left_contour_5', 'left_contour_4', 'left_contour_3',
    'left_contour_2', 'left_contour_1',
    # J_regressor_extra rows (144-152)
    'right_hip_extra', 'left_hip_extra', 'neck_extra', 'headtop', 'pelvis_extra', 'thorax_extra',
    'spine_extra', 'jaw_extra', 'head_extra',
    # OpenPose BODY_25 (153-177)
    'nose_openpose', 'neck_openpose', 'right_shoulder_openpose', 'right_elbow_openpose',
    'right_wrist_openpose', 'left_shoulder_openpose', 'left_elbow_openpose', 'left_wrist_openpose',
    'pelvis_openpose', 'right_hip_openpose', 'right_knee_openpose', 'right_ankle_openpose',
    'left_hip_openpose', 'left_knee_openpose', 'left_ankle_openpose', 'right_eye_openpose',
    'left_eye_openpose', 'right_ear_openpose', 'left_ear_openpose', 'left_bigtoe_openpose',
    'left_smalltoe_openpose', 'left_heel_openpose', 'right_bigtoe_openpose', 'right_smalltoe_openpose',
    'right_heel_openpose',
    # MPI-INF-3DHP (178-184)
    'spine_4_3dhp', 'left_clavicle_3dhp', 'right_clavicle_3dhp', 'left_hand_3dhp', 'right_hand_3dhp',
    'left_toe_3dhp', 'right_toe_3dhp',
    # H36M ground truth, PoseTrack, SMPL hands (185-189)
    'head_h36m', 'headtop_h36m', 'head_bottom_pt', 'left_hand', 'right_hand',
)
assert len(HUMAN_DATA_NAMES) == 190 and len(set(HUMAN_DATA_NAMES)) == 190

# Groups of names that stand in for each other when a convention lacks the exact joint
# (mmhuman3d's APPROXIMATE_MAPPING_LIST, used by convert_kps(approximate=True)), tried in order.
APPROXIMATE_GROUPS = (
    ('pelvis', 'pelvis_openpose', 'pelvis_extra'),
    ('left_hip', 'left_hip_openpose', 'left_hip_extra'),
    ('right_hip', 'right_hip_openpose', 'right_hip_extra'),
    ('neck', 'neck_openpose', 'neck_extra'),
    ('jaw', 'jaw_extra'),
    ('head_extra', 'head_h36m'),
    ('headtop', 'headtop_h36m'),
    ('left_hand', 'left_hand_3dhp'),
    ('right_hand', 'right_hand_3dhp'),
    ('nose', 'nose_openpose'),
    ('right_shoulder', 'right_shoulder_openpose'),
    ('right_elbow', 'right_elbow_openpose'),
    ('right_wrist', 'right_wrist_openpose'),
    ('left_shoulder', 'left_shoulder_openpose'),
    ('left_elbow', 'left_elbow_openpose'),
    ('left_wrist', 'left_wrist_openpose'),
    ('right_knee', 'right_knee_openpose'),
    ('right_ankle', 'right_ankle_openpose'),
    ('left_knee', 'left_knee_openpose'),
    ('left_ankle', 'left_ankle_openpose'),
    ('right_eye', 'right_eye_openpose'),
    ('left_eye', 'left_eye_openpose'),
    ('right_ear', 'right_ear_openpose'),
    ('left_ear', 'left_ear_openpose'),
    ('left_bigtoe', 'left_bigtoe_openpose'),
    ('left_smalltoe', 'left_smalltoe_openpose'),
    ('left_heel', 'left_heel_openpose'),
    ('right_bigtoe', 'right_bigtoe_openpose'),
    ('right_smalltoe', 'right_smalltoe_openpose'),
    ('right_heel', 'right_heel_openpose'),
)


def human_data_indices(names) -> list[int]:
    """Positions of `names` in HUMAN_DATA_NAMES, e.g. the 17 h36m names → [148, 145, 4, ...]."""
    unknown = [name for name in names if name not in _INDEX]
    if unknown:
        raise KeyError(f"not human_data joint names: {unknown} (see core/human_data_names.py)")
    return [_INDEX[name] for name in names]


_INDEX = {name: i for i, name in enumerate(HUMAN_DATA_NAMES)}
