"""People drawn from the bundled open body model, pasted over photos where their boxes are known exactly.

Used for the detection benchmark's composites (crowds at several distances, people partly hidden
behind others) and for the tracking benchmark's crossing clip. Each body is posed (standing,
walking at a phase of its stride, waving), turned about the vertical, dressed by colouring its mesh
by the joint that moves each vertex most (skin, hair, shirt, trousers, shoes), and drawn into the
photo's camera. The true box of a person is the box of the pixels where that person is the nearest
surface; `head_torso` says whether at least two thirds of the head and of the torso can be seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch
from scipy.spatial.transform import Rotation

from core.body_models import BodyModel
from core.body_models.base import NUM_BETAS
from core.evaluation.detection_set import EMPTY_BACKGROUND
from core.render.overlay import blend_onto
from core.render.renderer import get_renderer
from core.render.scene import MeshToDraw

BODY_HEIGHT_M = 1.7  # the open model at betas 0, near enough for placing people
SKIN, HAIR, SHOES = (0.86, 0.66, 0.52), (0.16, 0.11, 0.07), (0.1, 0.1, 0.1)
# SMPL joint indices
PELVIS, SPINE1, SPINE2, SPINE3, NECK, HEAD = 0, 3, 6, 9, 12, 15
L_HIP, R_HIP, L_KNEE, R_KNEE, L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW = 1, 2, 4, 5, 16, 17, 18, 19
TROUSER_JOINTS = (0, 1, 2, 4, 5)
SHOE_JOINTS = (7, 8, 10, 11)
SKIN_JOINTS = (12, 15, 20, 21, 22, 23)
HAIR_ABOVE_HEAD_M = 0.07  # head vertices this far above the head joint are hair
HEAD_REGION = (NECK, HEAD)
TORSO_REGION = (PELVIS, SPINE1, SPINE2, SPINE3, 13, 14)  # with the collars
MOSTLY_SEEN = 2 / 3  # head and torso "in view": at least this share of each region's drawn pixels is the nearest


@dataclass
class SyntheticPerson:
    """One body to draw: where, how posed and dressed."""

    depth: float  # metres from the camera
    centre: tuple[float, float]  # pixel where the middle of the body lands
    yaw_deg: float = 0.0  # turn about the vertical; 0 faces the camera
    pose: str = "stand"  # 'stand', 'walk' or 'wave'
    phase: float = 0.0  # walking: position in the stride, radians
    shirt: tuple[float, float, float] = (0.2, 0.3, 0.7)
    trousers: tuple[float, float, float] = (0.25, 0.25, 0.3)


@dataclass
class DrawnPerson:
    box: np.ndarray | None  # (4,) visible box x0, y0, x1, y1 pixels; None when fully hidden
    head_torso: bool
    visible_share: float  # drawn pixels of this person that are the nearest surface
    full_box: np.ndarray = field(default_factory=lambda: np.zeros(4))  # (4,) box as if nothing hid them
    joints: np.ndarray = field(default_factory=lambda: np.zeros((24, 3)))  # (24, 3) metres, camera frame


def pose_rotations(pose: str, phase: float = 0.0) -> np.ndarray:
    """(23, 3) axis-angle body pose (SMPL's joints 1..23) for a pose name."""
    body = np.zeros((24, 3))
    arms_down = 1.25
    if pose == "walk":
        swing = 0.45 * math.sin(phase)
        body[L_HIP], body[R_HIP] = (-swing, 0, 0), (swing, 0, 0)
        body[L_KNEE] = (0.5 * max(0.0, math.sin(phase + math.pi / 2)) + 0.1, 0, 0)
        body[R_KNEE] = (0.5 * max(0.0, math.sin(phase - math.pi / 2)) + 0.1, 0, 0)
        left = Rotation.from_rotvec([swing * 0.8, 0, 0]) * Rotation.from_rotvec([0, 0, -arms_down])
        right = Rotation.from_rotvec([-swing * 0.8, 0, 0]) * Rotation.from_rotvec([0, 0, arms_down])
        body[L_SHOULDER], body[R_SHOULDER] = left.as_rotvec(), right.as_rotvec()
        body[L_ELBOW], body[R_ELBOW] = (0, -0.3, 0), (0, 0.3, 0)
    elif pose == "wave":
        body[L_SHOULDER], body[R_SHOULDER] = (0, 0, -arms_down), (0, 0, -0.4)
        body[R_ELBOW] = (0, 0, -1.6)
    elif pose == "stand":
        body[L_SHOULDER], body[R_SHOULDER] = (0, 0, -arms_down), (0, 0, arms_down)
        body[L_ELBOW], body[R_ELBOW] = (0, -0.2, 0), (0, 0.2, 0)
    else:
        raise ValueError(f"unknown pose {pose!r}; choose 'stand', 'walk' or 'wave'")
    return body[1:]


def person_meshes(body_model: BodyModel, person: SyntheticPerson, K: np.ndarray) -> tuple[list[MeshToDraw], np.ndarray]:
    """The person's mesh split into coloured parts, and their joints (24, 3), in the camera frame of K (3, 3)."""
    turn = Rotation.from_rotvec([0, math.radians(person.yaw_deg), 0]) * Rotation.from_rotvec([math.pi, 0, 0])
    rotvecs = np.concatenate([turn.as_rotvec()[None], pose_rotations(person.pose, person.phase)])
    rotmats = torch.as_tensor(Rotation.from_rotvec(rotvecs).as_matrix(), dtype=torch.float32)[None]
    with torch.inference_mode():
        output = body_model(torch.zeros(1, NUM_BETAS), rotmats[:, :1], rotmats[:, 1:])
    vertices = output.vertices[0].numpy().astype(np.float64)
    joints = output.joints[0].numpy().astype(np.float64)
    ray = np.linalg.solve(K, np.array([person.centre[0], person.centre[1], 1.0]))
    shift = ray * person.depth - (vertices.min(0) + vertices.max(0)) / 2
    vertices, joints = vertices + shift, joints + shift
    hair = vertices[:, 1] < joints[HEAD, 1] - HAIR_ABOVE_HEAD_M  # y points down after the turn
    return _dressed(body_model, vertices, hair, person), joints


def _dressed(
    body_model: BodyModel, vertices: np.ndarray, above_head: np.ndarray, person: SyntheticPerson
) -> list[MeshToDraw]:
    """One mesh per colour: each triangle takes the part of the joint that moves its first vertex most."""
    part = body_model.lbs_weights.argmax(1).numpy()
    colour_of_vertex = np.full(len(vertices), 0)
    colours = [person.shirt, person.trousers, SHOES, SKIN, HAIR]
    colour_of_vertex[np.isin(part, TROUSER_JOINTS)] = 1
    colour_of_vertex[np.isin(part, SHOE_JOINTS)] = 2
    colour_of_vertex[np.isin(part, SKIN_JOINTS)] = 3
    colour_of_vertex[(part == HEAD) & above_head] = 4
    faces = np.asarray(body_model.faces)
    face_colour = colour_of_vertex[faces[:, 0]]
    return [
        MeshToDraw(vertices, faces[face_colour == c], colours[c], name=f"part{c}")
        for c in range(len(colours))
        if (face_colour == c).any()
    ]


def draw_people(
    background: np.ndarray, body_model: BodyModel, people: list[SyntheticPerson], K: np.ndarray
) -> tuple[np.ndarray, list[DrawnPerson]]:
    """Draw every person over `background` (H, W, 3) uint8; returns the picture and each person's truth."""
    height, width = background.shape[:2]
    renderer = get_renderer()
    posed = [person_meshes(body_model, person, K) for person in people]
    everyone = renderer.render([m for parts, _ in posed for m in parts], K, height, width)
    picture = blend_onto(everyone, background, 1.0)
    truths = []
    for parts, joints in posed:
        alone = renderer.render(parts, K, height, width)
        drawn = alone.alpha > 0.5
        nearest = drawn & everyone.mask & (np.abs(alone.depth - everyone.depth) < 0.02)
        shares = [
            _seen_share(renderer, body_model, parts, region, everyone, K) for region in (HEAD_REGION, TORSO_REGION)
        ]
        truths.append(
            DrawnPerson(
                box=_box_of(nearest),
                head_torso=min(shares) >= MOSTLY_SEEN,
                visible_share=float(nearest.sum() / max(drawn.sum(), 1)),
                full_box=_box_of(drawn),
                joints=joints,
            )
        )
    return picture, truths


def _seen_share(
    renderer, body_model: BodyModel, parts: list[MeshToDraw], region: tuple[int, ...], everyone, K: np.ndarray
) -> float:
    """Share of a body region's drawn pixels (triangles moved most by `region`'s joints) where it is the nearest."""
    vertices = parts[0].vertices
    faces = np.concatenate([part.faces for part in parts])
    moved_by = body_model.lbs_weights.argmax(1).numpy()[faces[:, 0]]
    mesh = MeshToDraw(vertices, faces[np.isin(moved_by, region)], (1.0, 1.0, 1.0))
    alone = renderer.render([mesh], K, *everyone.depth.shape)
    drawn = alone.alpha > 0.5
    nearest = drawn & everyone.mask & (np.abs(alone.depth - everyone.depth) < 0.02)
    return float(nearest.sum() / drawn.sum()) if drawn.any() else 0.0


def _box_of(mask: np.ndarray) -> np.ndarray | None:
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if not len(rows):
        return None
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], dtype=np.float64)


def camera_for(height: int, width: int) -> np.ndarray:
    """(3, 3) intrinsics with the focal length equal to the image diagonal (53° diagonal field of view)."""
    focal = math.hypot(height, width)
    return np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1.0]])


def depth_for_height(fraction: float, height: int, K: np.ndarray) -> float:
    """Distance at which a standing body spans `fraction` of the image height."""
    return K[1, 1] * BODY_HEIGHT_M / (fraction * height)


@dataclass
class Walker:
    """A person walking straight across the picture at a fixed distance."""

    depth: float  # metres
    start: tuple[float, float]  # pixel of the body's middle at the first frame
    step: tuple[float, float]  # pixels per frame
    yaw_deg: float  # facing direction (about the vertical)
    shirt: tuple[float, float, float]
    trousers: tuple[float, float, float] = (0.25, 0.25, 0.3)
    stride: float = 0.6  # radians of the stride per frame


def crossing_walkers(height: int, width: int, K: np.ndarray, frames: int = 48, people: int = 3) -> list[Walker]:
    """Two people crossing in opposite directions, the farther one passing behind the nearer half way through,
    and (people=3) a third walking slowly on the far side, entering from the right edge and passing behind the
    first near the end."""
    near, far, third = (depth_for_height(share, height, K) for share in (0.55, 0.42, 0.3))
    speed = 0.86 * width / frames  # the crossing pair meet in the middle of the clip
    walkers = [
        Walker(near, (0.15 * width, 0.55 * height), (speed, 0.0), 60, (0.2, 0.3, 0.75)),
        Walker(far, (0.85 * width, 0.5 * height), (-speed, 0.0), -60, (0.75, 0.2, 0.2), (0.15, 0.2, 0.4)),
        Walker(third, (1.08 * width, 0.42 * height), (-0.45 * speed, 0.0), -60, (0.2, 0.6, 0.3), stride=0.4),
    ]
    return walkers[:people]


def side_by_side_walkers(height: int, width: int, K: np.ndarray, frames: int = 12) -> list[Walker]:
    """Two people walking the same way, far apart, the whole clip in view."""
    depth = depth_for_height(0.5, height, K)
    speed = 0.15 * width / frames
    return [
        Walker(depth, (0.2 * width, 0.52 * height), (speed, 0.0), 50, (0.2, 0.3, 0.75)),
        Walker(depth * 1.1, (0.65 * width, 0.5 * height), (speed, 0.0), 50, (0.8, 0.5, 0.1), (0.15, 0.2, 0.4)),
    ]


def crossing_clip(
    background: np.ndarray, body_model: BodyModel, frames: int = 48, walkers: list[Walker] | None = None
) -> tuple[list[np.ndarray], list[list[DrawnPerson]]]:
    """Frames (H, W, 3) uint8 of walkers over `background`, and per frame each walker's truth (same order)."""
    height, width = background.shape[:2]
    K = camera_for(height, width)
    walkers = walkers or crossing_walkers(height, width, K, frames)
    pictures, truths = [], []
    for frame in range(frames):
        people = [
            SyntheticPerson(
                w.depth,
                (w.start[0] + frame * w.step[0], w.start[1] + frame * w.step[1]),
                w.yaw_deg,
                "walk",
                frame * w.stride,
                w.shirt,
                w.trousers,
            )
            for w in walkers
        ]
        picture, drawn = draw_people(background, body_model, people, K)
        pictures.append(picture)
        truths.append(drawn)
    return pictures, truths


def write_clip(path, frames: list[np.ndarray], fps: float = 10.0):
    """Frames (H, W, 3) uint8 RGB → a VP8 WebM video at `path`; returns the path."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"VP80"), fps, (width, height))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def plaza(height: int = 480, width: int = 640) -> np.ndarray:
    """The empty plaza of the detection set's background, resized to (height, width, 3) uint8 RGB."""
    return cv2.resize(
        cv2.cvtColor(cv2.imread(str(EMPTY_BACKGROUND)), cv2.COLOR_BGR2RGB),
        (width, height),
        interpolation=cv2.INTER_AREA,
    )
