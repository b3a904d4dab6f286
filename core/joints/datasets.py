"""Keypoint conventions of the datasets' own annotation files, named in human_data's vocabulary.

A converter reads a dataset's keypoints in the order the dataset stores them and files them into the 190-joint
`human_data` order by these names, as mmhuman3d 0.11.0's `convert_kps(kps, src, 'human_data')` does with the
lists of `mmhuman3d/core/conventions/keypoints_mapping/{mpii,coco,mpi_inf_3dhp,gta}.py` (names only). The
annotated hips of 2D datasets are the anatomical hip centres that J_regressor_extra regresses, hence
'*_hip_extra' (and 'neck_extra', 'headtop'), not SMPL's kinematic hip joints.

These conventions describe annotations, not a body model: `core.joints.keypoints` cannot pose them.
"""
from __future__ import annotations

MPII_16 = (  # pose-hg-train's train.h5 `part` order (mmhuman3d 'mpii')
    "right_ankle", "right_knee", "right_hip_extra", "left_hip_extra", "left_knee", "left_ankle", "pelvis_extra",
    "thorax_extra", "neck_extra", "headtop", "right_wrist", "right_elbow", "right_shoulder", "left_shoulder",
    "left_elbow", "left_wrist",
)
COCO_ANNOTATED_17 = (  # COCO's person_keypoints order (mmhuman3d 'coco'); core.joints' 'coco_17' uses SMPL's hips
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_hip_extra", "right_hip_extra", "left_knee", "right_knee",
    "left_ankle", "right_ankle",
)
# AI Challenger keypoints 2017, in the order of its `keypoint_annotations` (the dataset's README: 1 right shoulder,
# 2 right elbow, 3 right wrist, 4 left shoulder, 5 left elbow, 6 left wrist, 7 right hip, 8 right knee,
# 9 right ankle, 10 left hip, 11 left knee, 12 left ankle, 13 top of head, 14 neck). pytorch_HMR's
# AICH_dataloader._ai_ch_to_lsp reorders them into LSP's 14 with [8, 7, 6, 9, 10, 11, 2, 1, 0, 3, 4, 5, 13, 12].
AI_CHALLENGER_14 = (
    "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow", "left_wrist", "right_hip_extra",
    "right_knee", "right_ankle", "left_hip_extra", "left_knee", "left_ankle", "headtop", "neck_extra",
)
MPI_INF_3DHP_28 = (  # annot.mat's 28 joints (mmhuman3d 'mpi_inf_3dhp')
    "spine_3", "spine_4_3dhp", "spine_2", "spine_extra", "pelvis_extra", "neck_extra", "head_extra", "headtop",
    "left_clavicle_3dhp", "left_shoulder", "left_elbow", "left_wrist", "left_hand_3dhp", "right_clavicle_3dhp",
    "right_shoulder", "right_elbow", "right_wrist", "right_hand_3dhp", "left_hip_extra", "left_knee", "left_ankle",
    "left_foot", "left_toe_3dhp", "right_hip_extra", "right_knee", "right_ankle", "right_foot", "right_toe_3dhp",
)
MPI_INF_3DHP_TEST_17 = (  # the test set's annot_data.mat order (mmhuman3d 'mpi_inf_3dhp_test')
    "headtop", "neck_extra", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "right_hip_extra", "right_knee", "right_ankle", "left_hip_extra", "left_knee", "left_ankle",
    "pelvis_extra", "spine_extra", "head_extra",
)
# HybrIK's MPI-INF-3DHP json: the same 28 joints, with SMPL's pelvis, neck and hips (mmhuman3d 'hybrik_hp3d').
HYBRIK_HP3D_28 = tuple({"pelvis_extra": "pelvis", "neck_extra": "neck", "left_hip_extra": "left_hip",
                        "right_hip_extra": "right_hip"}.get(name, name) for name in MPI_INF_3DHP_28)
GTA_100 = (  # GTA-Human's 100 game joints (mmhuman3d 'gta'); 'gta_*' joints have no human_data counterpart
    "gta_head_top", "head", "neck", "gta_right_clavicle", "right_shoulder", "right_elbow", "right_wrist",
    "gta_left_clavicle", "left_shoulder", "left_elbow", "left_wrist", "spine_2", "gta_spine1", "spine_1", "pelvis",
    "gta_spine4", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "gta_SKEL_ROOT",
    "gta_FB_R_Brow_Out_000", "left_foot", "gta_MH_R_Elbow", "left_thumb_2", "left_thumb_3", "left_ring_2",
    "left_ring_3", "left_pinky_2", "left_pinky_3", "left_index_2", "left_index_3", "left_middle_2", "left_middle_3",
    "gta_RB_L_ArmRoll", "gta_IK_R_Hand", "gta_RB_R_ThighRoll", "gta_FB_R_Lip_Corner_000", "gta_SKEL_Pelvis",
    "gta_IK_Head", "gta_MH_R_Knee", "gta_FB_LowerLipRoot_000", "gta_FB_R_Lip_Top_000", "gta_FB_R_CheekBone_000",
    "gta_FB_UpperLipRoot_000", "gta_FB_L_Lip_Top_000", "gta_FB_LowerLip_000", "right_foot",
    "gta_FB_L_CheekBone_000", "gta_MH_L_Elbow", "gta_RB_L_ThighRoll", "gta_PH_R_Foot", "left_eye",
    "gta_SKEL_L_Finger00", "left_index_1", "left_middle_1", "left_ring_1", "left_pinky_1", "right_eye",
    "gta_PH_R_Hand", "gta_FB_L_Lip_Corner_000", "gta_IK_R_Foot", "gta_RB_Neck_1", "gta_IK_L_Hand",
    "gta_RB_R_ArmRoll", "gta_FB_Brow_Centre_000", "gta_FB_R_Lid_Upper_000", "gta_RB_R_ForeArmRoll",
    "gta_FB_L_Lid_Upper_000", "gta_MH_L_Knee", "gta_FB_Jaw_000", "gta_FB_L_Lip_Bot_000", "gta_FB_Tongue_000",
    "gta_FB_R_Lip_Bot_000", "gta_IK_Root", "gta_PH_L_Foot", "gta_FB_L_Brow_Out_000", "gta_SKEL_R_Finger00",
    "right_index_1", "right_middle_1", "right_ring_1", "right_pinky_1", "gta_PH_L_Hand", "gta_RB_L_ForeArmRoll",
    "gta_FB_UpperLip_000", "right_thumb_2", "right_thumb_3", "right_ring_2", "right_ring_3", "right_pinky_2",
    "right_pinky_3", "right_index_2", "right_index_3", "right_middle_2", "right_middle_3", "gta_FACIAL_facialRoot",
    "gta_IK_L_Foot", "nose",
)

DATASET_CONVENTIONS: dict[str, tuple[str, ...]] = {
    "mpii_16": MPII_16, "coco_annotated_17": COCO_ANNOTATED_17, "ai_challenger_14": AI_CHALLENGER_14,
    "mpi_inf_3dhp_28": MPI_INF_3DHP_28, "mpi_inf_3dhp_test_17": MPI_INF_3DHP_TEST_17,
    "hybrik_hp3d_28": HYBRIK_HP3D_28, "gta_100": GTA_100,
}
