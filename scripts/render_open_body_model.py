"""Pictures of the open body model: front and side views in the rest pose and a few poses.

    PYTHONPATH=. .venv/bin/python scripts/render_open_body_model.py          # → docs/open_body_model/*.png (+ overview.png)

The rest-pose pictures also show the 24 joints (red) and the keypoint regressors' points (blue), so their
placement can be checked by eye.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core.body_models.base import SMPL_PARENTS
from core.body_models.open_model import REGRESSORS, load_open_body_model
from core.joints import SMPL_JOINTS
from core.render import MeshToDraw, composite, draw_keypoints, get_renderer, project
from core.render.overlay import SIDE_ROTATION, frame_camera

OUT_DIR = Path(__file__).resolve().parent.parent / "docs" / "open_body_model"
SIZE = (640, 480)  # height, width
MESH_COLOR = (0.72, 0.74, 0.80)
FRONT = np.diag([1.0, -1.0, -1.0])  # SMPL frame (y up, facing +z) → OpenCV camera frame, body facing the camera
SIDE = SIDE_ROTATION @ FRONT  # the body's left side towards the camera
ARMS_DOWN = {"left_shoulder": (0, 0, -1.25), "right_shoulder": (0, 0, 1.25)}
POSES = {
    "rest": {},
    "arms_down": ARMS_DOWN,
    "walking": ARMS_DOWN
    | {
        "left_hip": (-0.45, 0, 0),
        "right_hip": (0.35, 0, 0),
        "right_knee": (0.5, 0, 0),
        "left_knee": (0.1, 0, 0),
        "left_shoulder": (0.4, 0, -1.2),
        "right_shoulder": (-0.4, 0, 1.2),
        "left_elbow": (0, -0.3, 0),
        "right_elbow": (0, 0.3, 0),
    },
    "sitting": ARMS_DOWN
    | {
        "left_hip": (-1.5, 0, 0),
        "right_hip": (-1.5, 0, 0),
        "left_knee": (1.5, 0, 0),
        "right_knee": (1.5, 0, 0),
        "left_elbow": (0, -0.9, 0),
        "right_elbow": (0, 0.9, 0),
    },
}


def posed(model, rotations: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices (V, 3), joints (24, 3) and regressor points (K, 3) at betas 0 in `rotations` {joint: axis-angle}."""
    body_pose = torch.zeros(1, 23, 3)
    for name, axis_angle in rotations.items():
        body_pose[0, SMPL_JOINTS.index(name) - 1] = torch.tensor(axis_angle, dtype=torch.float32)
    with torch.no_grad():
        out = model.forward_axis_angle(torch.zeros(1, 10), torch.zeros(1, 3), body_pose.reshape(1, 69))
        points = torch.cat([model.regress(out.vertices, name) for name in REGRESSORS], dim=1)
    return out.vertices[0].numpy(), out.joints[0].numpy(), points[0].numpy()


def picture(vertices, faces, rotation, joints=None, points=None) -> np.ndarray:
    """The mesh turned by `rotation` (3, 3), framed on white; joints/points drawn on top when given."""
    height, width = SIZE
    centre = (vertices.min(axis=0) + vertices.max(axis=0)) / 2.0
    turned = (vertices - centre) @ rotation.T
    K, shift = frame_camera(turned, height, width, focal=1.5 * max(SIZE))
    mesh = MeshToDraw(turned + shift, faces, MESH_COLOR, name="open_body_model")
    image = composite(get_renderer().render([mesh], K, height, width), np.ones((height, width, 3), np.float32), 1.0)
    if points is not None:
        pixels = project((points - centre) @ rotation.T + shift, K)
        image = draw_keypoints(image, pixels, color=(0.15, 0.35, 0.9), radius=2)
    if joints is not None:
        pixels = project((joints - centre) @ rotation.T + shift, K)
        bones = [(joint, parent) for joint, parent in enumerate(SMPL_PARENTS) if parent >= 0]
        image = draw_keypoints(image, pixels, bones, color=(0.85, 0.1, 0.1), radius=3)
    return image


def contact_sheet(images: dict[str, np.ndarray], columns: int = 4) -> np.ndarray:
    rows = math.ceil(len(images) / columns)
    height, width = SIZE
    sheet = np.full((rows * height, columns * width, 3), 255, np.uint8)
    for i, image in enumerate(images.values()):
        row, column = divmod(i, columns)
        sheet[row * height : (row + 1) * height, column * width : (column + 1) * width] = image
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    model = load_open_body_model()
    images = {}
    for pose_name, rotations in POSES.items():
        vertices, joints, points = posed(model, rotations)
        show = pose_name == "rest"
        for view, rotation in (("front", FRONT), ("side", SIDE)):
            images[f"{pose_name}_{view}"] = picture(
                vertices, model.faces, rotation, joints if show else None, points if show else None
            )
    for name, image in images.items():
        Image.fromarray(image).save(args.out / f"{name}.png", optimize=True)
    Image.fromarray(contact_sheet(images)).save(args.out / "overview.png", optimize=True)
    print(f"wrote {len(images) + 1} pictures to {args.out}")


if __name__ == "__main__":
    main()
