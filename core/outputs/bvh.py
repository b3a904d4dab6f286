"""Poses as BVH motion files: SMPL's 24-joint skeleton, for Blender, MotionBuilder and other animation tools.

    text = prediction_bvh(prediction, body_model)      # one method's result for one person
    Path("person0_hmr.bvh").write_text(text)

The skeleton is SMPL's kinematic tree with the joint names of `core.joints.SMPL_JOINTS`; each joint's OFFSET
is its rest position relative to its parent (the body model at the betas the mesh used), in metres. Five
joints have no child (head, feet, hands): each ends in an End Site continuing its bone by half its length.

Frame: y up, the photo's camera at the origin looking down -z, the same frame as the bundle's OBJ/PLY/GLB
meshes (the OpenCV camera frame with y and z negated), so a BVH and its mesh imported together coincide.
The root carries the pelvis position (Xposition Yposition Zposition) and every joint its local rotation as
Euler angles in degrees, channels "Zrotation Yrotation Xrotation" (R = Rz · Ry · Rx). SMPL's rest pose has
every joint frame aligned with the world, which is what BVH assumes, so SMPL's local rotations are written
unchanged; only the root's is turned into the y-up frame.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from core.joints import SMPL_JOINTS

OPENCV_TO_Y_UP = np.diag([1.0, -1.0, -1.0])  # camera frame (y down, z forward) → y up, camera looking down -z
EULER_ORDER = "ZYX"  # intrinsic: R = Rz · Ry · Rx, written as channels Zrotation Yrotation Xrotation
END_SITE_FRACTION = 0.5  # a leaf joint's End Site continues its bone by this fraction of the bone's length
DEFAULT_FRAME_TIME = 1.0 / 30.0


def bvh_text(
    rest_joints: np.ndarray,
    parents,
    rotmats: np.ndarray,
    root_positions: np.ndarray,
    names=SMPL_JOINTS,
    frame_time: float = DEFAULT_FRAME_TIME,
) -> str:
    """A BVH file for T frames.

    rest_joints (J, 3) rest positions, metres; parents (J,) with -1 for the root, every parent before its
    children; rotmats (T, J, 3, 3) local rotations (index 0: the root's global rotation); root_positions
    (T, 3) world position of the root joint per frame.
    """
    rest_joints = np.asarray(rest_joints, dtype=np.float64)
    parents = [int(p) for p in parents]
    rotmats = np.asarray(rotmats, dtype=np.float64).reshape(-1, len(parents), 3, 3)
    root_positions = np.asarray(root_positions, dtype=np.float64).reshape(-1, 3)
    assert rest_joints.shape == (len(parents), 3), f"rest_joints must be ({len(parents)}, 3), got {rest_joints.shape}"
    assert len(rotmats) == len(root_positions), "one root position per frame of rotations"
    assert parents[0] == -1 and all(p < i for i, p in enumerate(parents[1:], 1)), "parents must precede children"
    children = {i: [c for c, p in enumerate(parents) if p == i] for i in range(len(parents))}
    lines, order = ["HIERARCHY"], []
    _joint_lines(0, rest_joints, parents, children, names, 0, lines, order)
    angles = Rotation.from_matrix(rotmats[:, order].reshape(-1, 3, 3)).as_euler(EULER_ORDER, degrees=True)
    angles = angles.reshape(len(rotmats), len(parents) * 3)  # joints in the order the hierarchy lists them
    lines += ["MOTION", f"Frames: {len(rotmats)}", f"Frame Time: {frame_time:.6f}"]
    for position, frame_angles in zip(root_positions, angles):
        lines.append(" ".join(f"{value:.6f}" for value in np.concatenate([position, frame_angles])))
    return "\n".join(lines) + "\n"


def _joint_lines(joint, rest_joints, parents, children, names, depth, lines, order) -> None:
    """Append `joint` and its subtree (depth first) to `lines`, and the joints in written order to `order`."""
    order.append(joint)
    indent = "  " * depth
    parent = parents[joint]
    offset = np.zeros(3) if parent < 0 else rest_joints[joint] - rest_joints[parent]
    channels = (
        "6 Xposition Yposition Zposition Zrotation Yrotation Xrotation"
        if parent < 0
        else "3 Zrotation Yrotation Xrotation"
    )
    lines += [
        f"{indent}{'ROOT' if parent < 0 else 'JOINT'} {names[joint]}",
        f"{indent}{{",
        f"{indent}  OFFSET {_xyz(offset)}",
        f"{indent}  CHANNELS {channels}",
    ]
    for child in children[joint]:
        _joint_lines(child, rest_joints, parents, children, names, depth + 1, lines, order)
    if not children[joint]:
        lines += [
            f"{indent}  End Site",
            f"{indent}  {{",
            f"{indent}    OFFSET {_xyz(END_SITE_FRACTION * offset)}",
            f"{indent}  }}",
        ]
    lines.append(f"{indent}}}")


def _xyz(vector) -> str:
    return " ".join(f"{value:.6f}" for value in vector)


def prediction_bvh(prediction, body_model, frame_time: float = DEFAULT_FRAME_TIME) -> str:
    """One frame: a method's result (core.pipeline.estimate.MeshPrediction) for one person, in the y-up camera frame."""
    return camera_frame_bvh(
        body_model,
        prediction.betas,
        np.asarray(prediction.rotmats)[None],
        (np.asarray(prediction.joints[0]) + prediction.cam_t)[None],
        frame_time,
    )


def camera_frame_bvh(
    body_model, betas, rotmats: np.ndarray, pelvis: np.ndarray, frame_time: float = DEFAULT_FRAME_TIME
) -> str:
    """BVH text of T frames given in the OpenCV camera frame, written in the y-up frame of the meshes.

    betas (10,); rotmats (T, 24, 3, 3) local rotations, the root's in the camera frame; pelvis (T, 3) the
    posed pelvis in the camera frame (joint 0 plus the translation), metres.
    """
    with torch.inference_mode():
        rest_joints = body_model.shape(torch.as_tensor(betas, dtype=torch.float32).reshape(1, -1))[1][0]
    rotmats = np.array(rotmats, dtype=np.float64)
    rotmats[:, 0] = OPENCV_TO_Y_UP @ rotmats[:, 0]
    pelvis = np.asarray(pelvis, dtype=np.float64) @ OPENCV_TO_Y_UP.T
    return bvh_text(rest_joints.double().numpy(), body_model.parents.tolist(), rotmats, pelvis, frame_time=frame_time)
