"""Keypoint conventions as named lists, conversion between them by name, and keypoints of a posed body.

Names and orders follow mmhuman3d's mmhuman3d/core/conventions/keypoints_mapping/ (smpl.py, h36m.py, lsp.py,
coco.py, hybrik.py, mediapipe.py; `convert_kps` and `get_mapping` in its __init__.py): `smpl_54` = 24 SMPL joints +
21 vertex picks (`smpl_45`) + 9 rows of J_regressor_extra; `smpl_49` is SPIN's order; mmhuman3d's
`smpl_24` is the last 24 of smpl_49 (SPIN's 24 "part" joints: right_ankle, ..., right_ear), NOT the
24 SMPL kinematic joints, which are `SMPL_JOINTS` here. `h36m_17` is the row order of
J_regressor_h36m.npy; `lsp_14` the 14 joints of the 3DPW protocol (H36M_TO_LSP_14); `hybrik_29` HybrIK's
tree with mmhuman3d's names (15 'jaw' is SMPL's head joint, 22/23 'left/right_thumb' are SMPL's hand
joints, 24 'head' is the head-top vertex); `mediapipe_33` MediaPipe Pose's landmarks in index order.
`human_data` (190) lives in core.joints.human_data.

MediaPipe's 'left_pinky', 'left_index' and 'left_thumb' are knuckles, while the same names in smpl_45 and
human_data are fingertips; `convert` therefore matches those MediaPipe points as human_data's
'left_pinky_1', 'left_index_1' and 'left_thumb_2' (MEDIAPIPE_MEANS).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence, Union

import numpy as np
import torch

from core.joints.datasets import DATASET_CONVENTIONS
from core.joints.human_data import APPROXIMATE_GROUPS

SMPL_JOINTS = (
    "pelvis",
    "left_hip",
    "right_hip",
    "spine_1",
    "left_knee",
    "right_knee",
    "spine_2",
    "left_ankle",
    "right_ankle",
    "spine_3",
    "left_foot",
    "right_foot",
    "neck",
    "left_collar",
    "right_collar",
    "head",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hand",
    "right_hand",
)
SMPLX_21 = (  # rows of the 'smplx_21' vertex regressor
    "nose",
    "right_eye",
    "left_eye",
    "right_ear",
    "left_ear",
    "left_bigtoe",
    "left_smalltoe",
    "left_heel",
    "right_bigtoe",
    "right_smalltoe",
    "right_heel",
    "left_thumb",
    "left_index",
    "left_middle",
    "left_ring",
    "left_pinky",
    "right_thumb",
    "right_index",
    "right_middle",
    "right_ring",
    "right_pinky",
)
EXTRA_9 = (  # rows of J_regressor_extra.npy
    "right_hip_extra",
    "left_hip_extra",
    "neck_extra",
    "headtop",
    "pelvis_extra",
    "thorax_extra",
    "spine_extra",
    "jaw_extra",
    "head_extra",
)
SMPL_45 = SMPL_JOINTS + SMPLX_21
SMPL_54 = SMPL_45 + EXTRA_9
SMPL_49 = (
    "nose_openpose",
    "neck_openpose",
    "right_shoulder_openpose",
    "right_elbow_openpose",
    "right_wrist_openpose",
    "left_shoulder_openpose",
    "left_elbow_openpose",
    "left_wrist_openpose",
    "pelvis_openpose",
    "right_hip_openpose",
    "right_knee_openpose",
    "right_ankle_openpose",
    "left_hip_openpose",
    "left_knee_openpose",
    "left_ankle_openpose",
    "right_eye_openpose",
    "left_eye_openpose",
    "right_ear_openpose",
    "left_ear_openpose",
    "left_bigtoe_openpose",
    "left_smalltoe_openpose",
    "left_heel_openpose",
    "right_bigtoe_openpose",
    "right_smalltoe_openpose",
    "right_heel_openpose",
    "right_ankle",
    "right_knee",
    "right_hip_extra",
    "left_hip_extra",
    "left_knee",
    "left_ankle",
    "right_wrist",
    "right_elbow",
    "right_shoulder",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "neck_extra",
    "headtop",
    "pelvis_extra",
    "thorax_extra",
    "spine_extra",
    "jaw_extra",
    "head_extra",
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
)
SMPL_24 = SMPL_49[-24:]
H36M_17 = (  # rows of J_regressor_h36m.npy
    "pelvis_extra",
    "left_hip_extra",
    "left_knee",
    "left_ankle",
    "right_hip_extra",
    "right_knee",
    "right_ankle",
    "spine_extra",
    "neck_extra",
    "head_extra",
    "headtop",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
)
H36M_TO_LSP_14 = (6, 5, 4, 1, 2, 3, 16, 15, 14, 11, 12, 13, 8, 10)  # mmhuman3d's H36M_TO_J14
LSP_14 = tuple(H36M_17[i] for i in H36M_TO_LSP_14)
COCO_17 = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
HYBRIK_LEAF_5 = ("head", "left_middle", "right_middle", "left_bigtoe", "right_bigtoe")  # 'hybrik_leaf_5' rows
HYBRIK_29 = SMPL_JOINTS[:15] + ("jaw",) + SMPL_JOINTS[16:22] + ("left_thumb", "right_thumb") + HYBRIK_LEAF_5
MEDIAPIPE_33 = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
MEDIAPIPE_LIMBS_12 = (  # the MediaPipe landmarks taken from SMPL's kinematic joints of the same name
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
# The body model regressor (21, V) that reads MEDIAPIPE_SURFACE_21 from the posed mesh.
MEDIAPIPE_SURFACE_REGRESSOR = "mediapipe_surface_21"
MEDIAPIPE_SURFACE_21 = tuple(name for name in MEDIAPIPE_33 if name not in MEDIAPIPE_LIMBS_12)  # regressor rows
MEDIAPIPE_MEANS = {  # MediaPipe landmark → the human_data name with the same meaning (knuckles, not tips)
    "left_pinky": "left_pinky_1",
    "right_pinky": "right_pinky_1",
    "left_index": "left_index_1",
    "right_index": "right_index_1",
    "left_thumb": "left_thumb_2",
    "right_thumb": "right_thumb_2",
}

CONVENTIONS: dict[str, tuple[str, ...]] = {
    "smpl_24": SMPL_24,
    "smpl_45": SMPL_45,
    "smpl_49": SMPL_49,
    "smpl_54": SMPL_54,
    "h36m_17": H36M_17,
    "lsp_14": LSP_14,
    "coco_17": COCO_17,
    "hybrik_29": HYBRIK_29,
    "mediapipe_33": MEDIAPIPE_33,
}
Convention = Union[str, Sequence[str]]
Array = Union[np.ndarray, torch.Tensor]


def joint_names(convention: Convention) -> tuple[str, ...]:
    """Names of a convention ('smpl_54', 'human_data', ...) or an explicit list of names, as a tuple."""
    if not isinstance(convention, str):
        return tuple(convention)
    if convention == "human_data":
        from core.joints.human_data import HUMAN_DATA_NAMES

        return tuple(HUMAN_DATA_NAMES)
    if convention in DATASET_CONVENTIONS:  # annotation orders of datasets (train.prepare reads them)
        return DATASET_CONVENTIONS[convention]
    if convention not in CONVENTIONS:
        valid = [*CONVENTIONS, *DATASET_CONVENTIONS, "human_data"]
        raise ValueError(f"unknown keypoint convention {convention!r}; valid: {valid}")
    return CONVENTIONS[convention]


def _meanings(convention: Convention) -> tuple[str, ...]:
    names = joint_names(convention)
    if convention == "mediapipe_33":
        return tuple(MEDIAPIPE_MEANS.get(name, name) for name in names)
    return names


def joint_index(convention: Convention, name: str) -> int:
    """Position of joint `name` in `convention`, e.g. joint_index('smpl_54', 'left_wrist') == 20."""
    names = joint_names(convention)
    if name not in names:
        raise KeyError(f"{name!r} is not a joint of {convention if isinstance(convention, str) else 'the list'}")
    return names.index(name)


@lru_cache(maxsize=None)
def _approximations() -> dict[str, tuple[str, ...]]:
    """Name → the other names of its APPROXIMATE_GROUPS group, in group order."""
    table = {}
    for group in APPROXIMATE_GROUPS:
        for name in group:
            table.setdefault(name, tuple(other for other in group if other != name))
    return table


@lru_cache(maxsize=None)
def mapping(src: tuple[str, ...], dst: tuple[str, ...], approximate: bool = False) -> tuple[list, list]:
    """(src_indices, dst_indices): dst joint dst_indices[k] is src joint src_indices[k] (matched by name,
    then, with approximate=True, by the first present name of its approximation group)."""
    src_index = {name: i for i, name in enumerate(src)}
    src_indices, dst_indices = [], []
    for dst_i, name in enumerate(dst):
        candidates = (name, *_approximations().get(name, ())) if approximate else (name,)
        found = next((src_index[c] for c in candidates if c in src_index), None)
        if found is not None:
            src_indices.append(found)
            dst_indices.append(dst_i)
    return src_indices, dst_indices


def convert(
    kps: Array, src: Convention, dst: Convention, approximate: bool = False, mask: Array | None = None
) -> tuple[Array, Array]:
    """Keypoints (..., K_src, C) in `src` → (..., K_dst, C) in `dst`, and a (K_dst,) uint8 mask.

    Joints of dst missing from src are zeros with mask 0 (mmhuman3d convert_kps). `mask` (K_src,), if
    given, is carried over. numpy in → numpy out; torch in → torch out on the same device.
    """
    src_names, dst_names = _meanings(src), _meanings(dst)
    assert kps.shape[-2] == len(src_names), f"keypoints have {kps.shape[-2]} joints, {src} has {len(src_names)}"
    if src_names == dst_names:
        ones = np.ones(len(dst_names), np.uint8) if mask is None else _as_numpy(mask).astype(np.uint8)
        return kps, _like(ones, kps)
    src_indices, dst_indices = mapping(src_names, dst_names, approximate)
    out_mask = np.zeros(len(dst_names), np.uint8)
    out_mask[dst_indices] = 1 if mask is None else _as_numpy(mask).astype(np.uint8)[src_indices]
    if isinstance(kps, torch.Tensor):
        out = kps.new_zeros((*kps.shape[:-2], len(dst_names), kps.shape[-1]))
    else:
        out = np.zeros((*kps.shape[:-2], len(dst_names), kps.shape[-1]), dtype=np.asarray(kps).dtype)
    out[..., dst_indices, :] = kps[..., src_indices, :]
    return out, _like(out_mask, kps)


def _as_numpy(array: Array) -> np.ndarray:
    return array.detach().cpu().numpy() if isinstance(array, torch.Tensor) else np.asarray(array)


def _like(mask: np.ndarray, kps: Array) -> Array:
    return torch.as_tensor(mask, device=kps.device) if isinstance(kps, torch.Tensor) else mask


def flip_pairs(convention: Convention) -> list[tuple[int, int]]:
    """Index pairs (left, right) of joints whose names differ only by 'left' ↔ 'right'."""
    names = joint_names(convention)
    index = {name: i for i, name in enumerate(names)}
    pairs = []
    for i, name in enumerate(names):
        if "left" in name:
            twin = name.replace("left", "right")
            if twin in index:
                pairs.append((i, index[twin]))
    return pairs


def flip_permutation(convention: Convention) -> list[int]:
    """Index list that swaps left and right joints (apply to a mirrored image's keypoints)."""
    order = list(range(len(joint_names(convention))))
    for left, right in flip_pairs(convention):
        order[left], order[right] = right, left
    return order


# ----------------------------------------------------------------------------------------------
# Keypoints of a posed body model


def keypoints(body_model, output, convention: str) -> torch.Tensor:
    """(B, K, 3) keypoints of a posed body (`output` of body_model.forward) in `convention`.

    Uses output.joints (the 24 kinematic joints) and the model's named vertex regressors on
    output.vertices: smplx_21, extra_9 (J_regressor_extra.npy), h36m_17 (J_regressor_h36m.npy),
    hybrik_leaf_5, mediapipe_surface_21.
    """
    if convention == "h36m_17":
        return _regress(body_model, output, "h36m_17")
    if convention == "lsp_14":
        return convert(_regress(body_model, output, "h36m_17"), "h36m_17", "lsp_14")[0]
    if convention == "hybrik_29":
        return torch.cat([output.joints, _regress(body_model, output, "hybrik_leaf_5")], 1)
    if convention == "mediapipe_33":
        return _mediapipe_33(body_model, output)
    smpl_45 = torch.cat([output.joints, _regress(body_model, output, "smplx_21")], 1)
    if convention in ("smpl_45", "coco_17"):
        return convert(smpl_45, "smpl_45", convention)[0]
    if convention in ("smpl_54", "smpl_49", "smpl_24"):
        smpl_54 = torch.cat([smpl_45, _regress(body_model, output, "extra_9")], 1)
        return convert(smpl_54, "smpl_54", convention, approximate=True)[0]
    raise ValueError(f"keypoints() supports {list(CONVENTIONS)}, got {convention!r}")


def _regress(body_model, output, name: str) -> torch.Tensor:
    if name not in body_model.regressor_names:
        from core.body_models.smpl import REGRESSOR_FILES

        file = REGRESSOR_FILES.get(name)
        hint = f" Put {file} in the body-model folder (python -m core.weights fetch {file})." if file else ""
        raise KeyError(f"the {body_model.kind} body model has no '{name}' regressor.{hint}")
    return body_model.regress(output.vertices, name)


def _mediapipe_33(body_model, output) -> torch.Tensor:
    """The 12 limb landmarks from SMPL's kinematic joints, the 21 others from surface points."""
    surface = _regress(body_model, output, MEDIAPIPE_SURFACE_REGRESSOR)
    column = {name: output.joints[:, SMPL_JOINTS.index(name)] for name in MEDIAPIPE_LIMBS_12}
    column.update({name: surface[:, i] for i, name in enumerate(MEDIAPIPE_SURFACE_21)})
    return torch.stack([column[name] for name in MEDIAPIPE_33], 1)
