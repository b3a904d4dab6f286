"""A video's motion written out: the overlay video, the BVH motion and the per-frame parameters.

    written, motion = process_video("clip.mp4", "hmr", Path("out"))   # overlay.webm, motion.bvh, motion.npz

- overlay.webm: the smoothed mesh over every frame (VP8, which browsers and most players open);
- motion.bvh: the pose per frame on SMPL's 24-joint skeleton at the video's frame rate (core.outputs.bvh: y up,
  metres, degrees), from the first to the last frame with the person; gaps hold the last pose seen;
- motion.npz: per frame `found`, `global_orient` and `body_pose` (axis-angle, OpenCV camera frame as in the
  photo parameter files), `transl`; and `betas`, `K`, `fps`, `first_frame`, `method`, `body_model`.

Everyone in a video (`process_people_video`): overlay.webm with each person in their identity's colour and
number, person_N.bvh and person_N.npz per identity N (the npz also holds `identity`), and people.json: per
person the frame range, the frames with them and the joint jitter (mean acceleration of the 24 joints,
core.evaluation.temporal) before and after smoothing, each person smoothed on their own.
"""

from __future__ import annotations

import json
import math
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import torch
from scipy.spatial.transform import Rotation
from tqdm import tqdm

from core.body_models import BodyModel
from core.evaluation.temporal import joint_jitter_mm
from core.outputs.bvh import camera_frame_bvh
from core.pipeline.people_tracker import PeopleTracker
from core.pipeline.tracking import (
    DEFAULT_SMOOTHING,
    TrackedPerson,
    VideoError,
    VideoMotion,
    read_frames,
    smooth_motion,
    track_people,
    track_video,
)
from core.render import render_overlay
from core.render.colors import identity_color, method_color, to_uint8
from core.render.scene import MeshToDraw

OVERLAY_OPACITY = 0.8
VIDEO_CODEC = "VP80"  # VP8 in WebM: OpenCV's wheels can write it and browsers play it (they do not play mp4v)


def pose_motion(motion: VideoMotion, body_model: BodyModel, chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Model-frame vertices (T, V, 3) and joints (T, 24, 3) of the motion (add cam_t for the camera frame)."""
    vertices, joints = [], []
    betas = torch.as_tensor(motion.betas, dtype=torch.float32)[None]
    with torch.inference_mode():
        for begin in range(0, len(motion.rotmats), chunk):
            rotmats = torch.as_tensor(motion.rotmats[begin : begin + chunk], dtype=torch.float32)
            output = body_model(betas.expand(len(rotmats), -1), rotmats[:, :1], rotmats[:, 1:])
            vertices.append(output.vertices.numpy())
            joints.append(output.joints.numpy())
    return np.concatenate(vertices).astype(np.float64), np.concatenate(joints).astype(np.float64)


def write_overlay_video(
    path,
    motion: VideoMotion,
    body_model: BodyModel,
    vertices: np.ndarray,
    out_path: Path,
    opacity: float = OVERLAY_OPACITY,
) -> Path:
    """The motion's mesh drawn over each processed frame of the video at `path`, as a VP8 WebM file."""
    writer = None
    faces, color = np.asarray(body_model.faces), method_color(motion.method)
    try:
        frames = read_frames(path, motion.first_frame, len(motion.found))
        for index, frame in enumerate(tqdm(frames, total=len(motion.found), desc="drawing", unit="frame")):
            writer = writer or _video_writer(out_path, motion.fps, frame.shape)
            if motion.found[index]:
                mesh = MeshToDraw(vertices[index] + motion.cam_t[index], faces, color, name=motion.method)
                frame = render_overlay(frame, [mesh], motion.K, opacity)
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        if writer is not None:
            writer.release()
    return out_path


def _video_writer(out_path: Path, fps: float, shape) -> cv2.VideoWriter:
    """A VP8 WebM writer for frames of `shape` (H, W, 3); VideoError if OpenCV cannot write one here."""
    height, width = shape[:2]
    with _quiet_stderr():  # FFmpeg warns that WebM has no codec tags, then writes VP8 all the same
        writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*VIDEO_CODEC), fps, (width, height))
    if not writer.isOpened():
        raise VideoError(f"Cannot write {out_path} (OpenCV has no {VIDEO_CODEC} encoder here).")
    return writer


@contextmanager
def _quiet_stderr():
    """Silence file descriptor 2 (where FFmpeg, under OpenCV, prints) for the duration."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def motion_bvh(motion: VideoMotion, body_model: BodyModel, joints: np.ndarray) -> str:
    """BVH text from the first to the last frame with the person; gaps hold the last pose seen."""
    seen = np.flatnonzero(motion.found)
    frame_index = np.where(motion.found, np.arange(len(motion.found)), 0)
    last_seen = np.maximum.accumulate(frame_index)[seen[0] : seen[-1] + 1]  # per written frame: the pose shown
    pelvis = joints[last_seen, 0] + motion.cam_t[last_seen]
    return camera_frame_bvh(body_model, motion.betas, motion.rotmats[last_seen], pelvis, frame_time=1.0 / motion.fps)


def write_motion(motion: VideoMotion, body_model: BodyModel, path: Path, **extra) -> Path:
    """motion.npz: the per-frame parameters (axis-angle, OpenCV camera frame) and what they need (+ `extra`)."""
    pose = Rotation.from_matrix(motion.rotmats.reshape(-1, 3, 3)).as_rotvec().reshape(len(motion.found), 24, 3)
    np.savez(
        path,
        found=motion.found,
        global_orient=pose[:, 0],
        body_pose=pose[:, 1:],
        transl=motion.cam_t,
        betas=motion.betas,
        K=motion.K,
        fps=motion.fps,
        first_frame=motion.first_frame,
        method=motion.method,
        body_model=body_model.kind,
        **extra,
    )
    return path


def process_video(
    path,
    method: str,
    out: Path,
    smooth: int = DEFAULT_SMOOTHING,
    start: int = 0,
    max_frames: int | None = None,
    fov_deg: float | None = None,
    body_model: str = "auto",
) -> tuple[list[Path], VideoMotion]:
    """Everything of the module docstring, into the folder `out`; returns the written paths and the smoothed motion."""
    motion, model = track_video(path, method, start, max_frames, fov_deg, body_model)
    motion = smooth_motion(motion, smooth)
    vertices, joints = pose_motion(motion, model)
    out.mkdir(parents=True, exist_ok=True)
    bvh_path = out / "motion.bvh"
    bvh_path.write_text(motion_bvh(motion, model, joints))
    written = [
        write_overlay_video(path, motion, model, vertices, out / "overlay.webm"),
        bvh_path,
        write_motion(motion, model, out / "motion.npz"),
    ]
    return written, motion


# ---- several people ------------------------------------------------------------------------------


def camera_joints(motion: VideoMotion, body_model: BodyModel) -> tuple[np.ndarray, np.ndarray]:
    """Model-frame vertices (T, V, 3), and camera-frame joints (T, 24, 3) of a motion."""
    vertices, joints = pose_motion(motion, body_model)
    return vertices, joints + motion.cam_t[:, None]


def write_people_overlay(
    path,
    people: list[TrackedPerson],
    body_model: BodyModel,
    vertices: dict[int, np.ndarray],
    out_path: Path,
    opacity: float = OVERLAY_OPACITY,
) -> Path:
    """Everyone's mesh over each processed frame, in their identity's colour with their number above them."""
    first = people[0].motion
    faces, writer = np.asarray(body_model.faces), None
    try:
        frames = read_frames(path, first.first_frame, len(first.found))
        for index, frame in enumerate(tqdm(frames, total=len(first.found), desc="drawing", unit="frame")):
            writer = writer or _video_writer(out_path, first.fps, frame.shape)
            here = [p for p in people if p.motion.found[index]]
            meshes = [
                MeshToDraw(
                    vertices[p.identity][index] + p.motion.cam_t[index],
                    faces,
                    identity_color(p.identity),
                    name=f"person{p.identity}",
                )
                for p in here
            ]
            if meshes:
                frame = render_overlay(frame, meshes, first.K, opacity)
                for person, mesh in zip(here, meshes):
                    _label(frame, person.identity, mesh.vertices, first.K)
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        if writer is not None:
            writer.release()
    return out_path


def _label(frame: np.ndarray, identity: int, vertices: np.ndarray, K: np.ndarray) -> None:
    """Write the person's number in their colour just above their mesh, in place."""
    pixels = vertices @ K.T
    pixels = pixels[:, :2] / pixels[:, 2:3]
    height, width = frame.shape[:2]
    scale = max(0.6, height / 600)
    x = int(np.clip(np.median(pixels[:, 0]), 0, width - 20))
    y = int(np.clip(pixels[:, 1].min() - 8, 20 * scale, height - 4))
    for color, thickness in (((0, 0, 0), 5), (to_uint8(identity_color(identity)), 2)):
        cv2.putText(
            frame, str(identity), (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, color, int(thickness * scale), cv2.LINE_AA
        )


def process_people_video(
    path,
    method: str,
    out: Path,
    smooth: int = DEFAULT_SMOOTHING,
    start: int = 0,
    max_frames: int | None = None,
    fov_deg: float | None = None,
    body_model: str = "auto",
    tracker: PeopleTracker | None = None,
) -> tuple[list[Path], list[TrackedPerson]]:
    """Everyone in the video into the folder `out` (files in the module docstring); returns them and the people."""
    people, model = track_people(path, method, start, max_frames, fov_deg, body_model, tracker)
    out.mkdir(parents=True, exist_ok=True)
    vertices = {}
    written = []
    for person in people:
        _, raw_joints = camera_joints(person.motion, model)
        person.jitter_raw_mm = joint_jitter_mm(raw_joints, person.motion.found)
        person.motion = smooth_motion(person.motion, smooth)
        vertices[person.identity], joints = camera_joints(person.motion, model)
        person.jitter_smoothed_mm = joint_jitter_mm(joints, person.motion.found)
        bvh_path = out / f"person_{person.identity}.bvh"
        bvh_path.write_text(motion_bvh(person.motion, model, joints - person.motion.cam_t[:, None]))
        written += [
            bvh_path,
            write_motion(person.motion, model, out / f"person_{person.identity}.npz", identity=person.identity),
        ]
    overlay = write_people_overlay(path, people, model, vertices, out / "overlay.webm")
    summary = out / "people.json"
    summary.write_text(
        json.dumps(
            {
                "method": method,
                "fps": people[0].motion.fps,
                "first_frame": start,
                "frames": len(people[0].motion.found),
                "smoothing_window": smooth,
                "body_model": model.kind,
                "people": [
                    {
                        "identity": p.identity,
                        "first_frame": p.frame_range[0],
                        "last_frame": p.frame_range[1],
                        "frames_seen": p.frames_seen,
                        "times_lost_and_found_again": p.gaps,
                        "jitter_raw_mm_per_frame2": _rounded(p.jitter_raw_mm),
                        "jitter_smoothed_mm_per_frame2": _rounded(p.jitter_smoothed_mm),
                        "bvh": f"person_{p.identity}.bvh",
                        "parameters": f"person_{p.identity}.npz",
                    }
                    for p in people
                ],
            },
            indent=1,
        )
        + "\n"
    )
    return [overlay, summary] + written, people


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 2)
