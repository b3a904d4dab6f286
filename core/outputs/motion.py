"""A video's motion written out: the overlay video, the BVH motion and the per-frame parameters.

    written, motion = process_video("clip.mp4", "hmr", Path("out"))   # overlay.webm, motion.bvh, motion.npz

- overlay.webm: the smoothed mesh over every frame (VP8, which browsers and most players open);
- motion.bvh: the pose per frame on SMPL's 24-joint skeleton at the video's frame rate (core.outputs.bvh: y up,
  metres, degrees), from the first to the last frame with the person; gaps hold the last pose seen;
- motion.npz: per frame `found`, `global_orient` and `body_pose` (axis-angle, OpenCV camera frame as in the
  photo parameter files), `transl`; and `betas`, `K`, `fps`, `first_frame`, `method`, `body_model`.
"""

from __future__ import annotations

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
from core.outputs.bvh import camera_frame_bvh
from core.pipeline.tracking import DEFAULT_SMOOTHING, VideoError, VideoMotion, read_frames, smooth_motion, track_video
from core.render import render_overlay
from core.render.colors import method_color
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
            if writer is None:
                height, width = frame.shape[:2]
                with _quiet_stderr():  # FFmpeg warns that WebM has no codec tags, then writes VP8 all the same
                    writer = cv2.VideoWriter(
                        str(out_path), cv2.VideoWriter_fourcc(*VIDEO_CODEC), motion.fps, (width, height)
                    )
                if not writer.isOpened():
                    raise VideoError(f"Cannot write {out_path} (OpenCV has no {VIDEO_CODEC} encoder here).")
            if motion.found[index]:
                mesh = MeshToDraw(vertices[index] + motion.cam_t[index], faces, color, name=motion.method)
                frame = render_overlay(frame, [mesh], motion.K, opacity)
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        if writer is not None:
            writer.release()
    return out_path


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


def write_motion(motion: VideoMotion, body_model: BodyModel, path: Path) -> Path:
    """motion.npz: the per-frame parameters (axis-angle, OpenCV camera frame) and what they need."""
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
