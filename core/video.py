"""One method on a video: the person followed from frame to frame, the motion smoothed, and written out.

    python -m core.video VIDEO --method hmr --out DIR [--smooth 5] [--start 0] [--max-frames N] [--fov DEGREES]

Every frame goes through the photo pipeline (`core.pipeline.analyse`) for one person: detected in the first
frame where someone is found, then followed as MediaPipe's video mode does (landmarks read where the person
was, detection again when they are lost). Single-frame estimates jitter, so the pose is smoothed over a
centred window of `--smooth` frames (rotations averaged as sign-aligned quaternions, translations as means;
frames without the person are left out), and the person's shape is the mean of their betas over the video.

DIR receives:
- overlay.webm: the smoothed mesh over every frame (VP8, which browsers and most players open);
- motion.bvh: the pose per frame on SMPL's 24-joint skeleton at the video's frame rate (core.outputs.bvh: y up,
  metres, degrees), from the first to the last frame with the person; gaps hold the last pose seen;
- motion.npz: per frame `found`, `global_orient` and `body_pose` (axis-angle, OpenCV camera frame as in the
  photo parameter files), `transl`; and `betas`, `K`, `fps`, `first_frame`, `method`, `body_model`.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import torch
from scipy.spatial.transform import Rotation
from tqdm import tqdm

from core.body_models import BodyModel
from core.outputs.bvh import camera_frame_bvh
from core.demo import log_to_stderr
from core.methods import FIT, METHOD_IDS
from core.pipeline.analyse import PipelineOptions, analyse
from core.render import render_overlay
from core.render.colors import method_color
from core.render.scene import MeshToDraw

log = logging.getLogger("core.video")
DEFAULT_SMOOTHING = 5  # frames in the centred window; 1 = no smoothing
OVERLAY_OPACITY = 0.8
VIDEO_CODEC = "VP80"  # VP8 in WebM: OpenCV's wheels can write it and browsers play it (they do not play mp4v)


class VideoError(ValueError):
    """The video cannot be used; the message says why and what to do."""


@dataclass
class VideoMotion:
    """One person's motion through a video, one entry per processed frame (T frames)."""

    method: str
    fps: float
    first_frame: int  # index in the video of the first processed frame
    K: np.ndarray  # (3, 3) intrinsics of the frames
    found: np.ndarray  # (T,) bool: the person was reconstructed in this frame
    rotmats: np.ndarray  # (T, 24, 3, 3) local rotations (root in the OpenCV camera frame); identity where not found
    cam_t: np.ndarray  # (T, 3) metres; zero where not found
    betas: np.ndarray  # (10,) the person's shape: mean over the frames where they were found


def read_frames(path: str | Path, start: int = 0, max_frames: int | None = None):
    """Yield RGB uint8 frames (H, W, 3) from frame `start` on; VideoError if the file cannot be read."""
    capture = _open(path)
    try:
        if start:
            capture.set(cv2.CAP_PROP_POS_FRAMES, start)
        count = 0
        while max_frames is None or count < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            count += 1
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()


def video_info(path: str | Path) -> tuple[float, int]:
    """(frames per second, frame count) as the container states them."""
    capture = _open(path)
    fps, count = capture.get(cv2.CAP_PROP_FPS), int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    return (fps if fps and np.isfinite(fps) and fps > 0 else 30.0), count


def _open(path: str | Path) -> cv2.VideoCapture:
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"No video file at {path}. Check the path.")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise VideoError(f"{path} cannot be read as a video. Convert it to MP4 (H.264) or AVI and try again.")
    return capture


def track_video(path, method: str, start: int = 0, max_frames: int | None = None,
                fov_deg: float | None = None, body_model: str = "auto") -> tuple[VideoMotion, BodyModel]:
    """Run `method` on every frame, following one person; returns the raw (unsmoothed) motion and body model."""
    if method not in METHOD_IDS:
        raise VideoError(f"Unknown method {method!r}; choose from {', '.join(METHOD_IDS)}.")
    fps, count = video_info(path)
    total = max(0, min(count - start, max_frames or count)) or None
    found, rotmats, cam_t, betas = [], [], [], []
    K, model, person = None, None, None
    for frame in tqdm(read_frames(path, start, max_frames), total=total, desc=f"{method} on {Path(path).name}",
                      unit="frame"):
        result = analyse(frame, PipelineOptions(methods=(method,), max_people=1, follow=person, fov_deg=fov_deg,
                                                body_model=body_model))
        if result.unavailable:
            raise VideoError(result.unavailable[method])
        K, model = result.K, result.body_model
        person = result.people[0].person if result.people else None
        prediction = result.people[0].predictions.get(method) if result.people else None
        found.append(prediction is not None)
        rotmats.append(prediction.rotmats if prediction is not None else np.eye(3)[None].repeat(24, 0))
        cam_t.append(prediction.cam_t if prediction is not None else np.zeros(3))
        if prediction is not None:
            betas.append(prediction.betas)
    if K is None:
        raise VideoError(f"No frames could be read from {path} (from frame {start} on).")
    if not betas:
        raise VideoError(f"Nobody was found in {path}: the method needs a person in view.")
    motion = VideoMotion(method, fps, start, K, np.array(found), np.array(rotmats, dtype=np.float64),
                         np.array(cam_t, dtype=np.float64), np.mean(betas, axis=0))
    return motion, model


def smooth_motion(motion: VideoMotion, window: int = DEFAULT_SMOOTHING) -> VideoMotion:
    """The motion with rotations and translations averaged over a centred window of `window` frames."""
    return replace(motion, rotmats=smooth_rotations(motion.rotmats, motion.found, window),
                   cam_t=_smooth_vectors(motion.cam_t, motion.found, window))


def smooth_rotations(rotmats: np.ndarray, found: np.ndarray, window: int) -> np.ndarray:
    """(T, J, 3, 3) → the same, each averaged with its found neighbours in a centred window.

    Quaternions are turned to the centre frame's hemisphere (q and -q are the same rotation), summed and
    normalised: the rotation closest to the window's rotations for the small spreads of one person's motion.
    """
    if window <= 1:
        return rotmats.copy()
    frames, joints = rotmats.shape[:2]
    quats = Rotation.from_matrix(rotmats.reshape(-1, 3, 3)).as_quat().reshape(frames, joints, 4)
    smoothed = rotmats.copy()
    for t, near in _found_windows(found, window):
        signs = np.sign(np.einsum("kjc,jc->kj", quats[near], quats[t]))
        signs[signs == 0] = 1.0
        mean = (signs[..., None] * quats[near]).sum(axis=0)
        smoothed[t] = Rotation.from_quat(mean / np.linalg.norm(mean, axis=-1, keepdims=True)).as_matrix()
    return smoothed


def _smooth_vectors(values: np.ndarray, found: np.ndarray, window: int) -> np.ndarray:
    """(T, C) → the same, each the mean of its found neighbours in a centred window."""
    smoothed = values.copy()
    for t, near in _found_windows(found, window):
        smoothed[t] = values[near].mean(axis=0)
    return smoothed


def _found_windows(found: np.ndarray, window: int):
    """(t, frames with the person in the centred window around t) for every frame t with the person."""
    half = window // 2
    for t in np.flatnonzero(found):
        yield t, [k for k in range(max(0, t - half), min(len(found), t + half + 1)) if found[k]]


def pose_motion(motion: VideoMotion, body_model: BodyModel, chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Model-frame vertices (T, V, 3) and joints (T, 24, 3) of the motion (add cam_t for the camera frame)."""
    vertices, joints = [], []
    betas = torch.as_tensor(motion.betas, dtype=torch.float32)[None]
    with torch.inference_mode():
        for begin in range(0, len(motion.rotmats), chunk):
            rotmats = torch.as_tensor(motion.rotmats[begin:begin + chunk], dtype=torch.float32)
            output = body_model(betas.expand(len(rotmats), -1), rotmats[:, :1], rotmats[:, 1:])
            vertices.append(output.vertices.numpy())
            joints.append(output.joints.numpy())
    return np.concatenate(vertices).astype(np.float64), np.concatenate(joints).astype(np.float64)


def write_overlay_video(path, motion: VideoMotion, body_model: BodyModel, vertices: np.ndarray, out_path: Path,
                        opacity: float = OVERLAY_OPACITY) -> Path:
    """The motion's mesh drawn over each processed frame of the video at `path`, as a VP8 WebM file."""
    writer = None
    faces, color = np.asarray(body_model.faces), method_color(motion.method)
    try:
        frames = read_frames(path, motion.first_frame, len(motion.found))
        for index, frame in enumerate(tqdm(frames, total=len(motion.found), desc="drawing", unit="frame")):
            if writer is None:
                height, width = frame.shape[:2]
                with _quiet_stderr():  # FFmpeg warns that WebM has no codec tags, then writes VP8 all the same
                    writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*VIDEO_CODEC), motion.fps,
                                             (width, height))
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
    last_seen = np.maximum.accumulate(frame_index)[seen[0]:seen[-1] + 1]  # per written frame: the pose shown
    pelvis = joints[last_seen, 0] + motion.cam_t[last_seen]
    return camera_frame_bvh(body_model, motion.betas, motion.rotmats[last_seen], pelvis, frame_time=1.0 / motion.fps)


def write_motion(motion: VideoMotion, body_model: BodyModel, path: Path) -> Path:
    """motion.npz: the per-frame parameters (axis-angle, OpenCV camera frame) and what they need."""
    pose = Rotation.from_matrix(motion.rotmats.reshape(-1, 3, 3)).as_rotvec().reshape(len(motion.found), 24, 3)
    np.savez(path, found=motion.found, global_orient=pose[:, 0], body_pose=pose[:, 1:], transl=motion.cam_t,
             betas=motion.betas, K=motion.K, fps=motion.fps, first_frame=motion.first_frame, method=motion.method,
             body_model=body_model.kind)
    return path


def process_video(path, method: str, out: Path, smooth: int = DEFAULT_SMOOTHING, start: int = 0,
                  max_frames: int | None = None, fov_deg: float | None = None,
                  body_model: str = "auto") -> tuple[list[Path], VideoMotion]:
    """Everything of the module docstring, into the folder `out`; returns the written paths and the smoothed motion."""
    motion, model = track_video(path, method, start, max_frames, fov_deg, body_model)
    motion = smooth_motion(motion, smooth)
    vertices, joints = pose_motion(motion, model)
    out.mkdir(parents=True, exist_ok=True)
    bvh_path = out / "motion.bvh"
    bvh_path.write_text(motion_bvh(motion, model, joints))
    written = [write_overlay_video(path, motion, model, vertices, out / "overlay.webm"), bvh_path,
               write_motion(motion, model, out / "motion.npz")]
    return written, motion


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.video", description=__doc__.split("\n\n")[0])
    parser.add_argument("video", type=Path, help="a video file (MP4, AVI, MOV, ...)")
    parser.add_argument("--method", choices=METHOD_IDS, default=FIT, help="the method to run (default: fit)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--smooth", type=int, default=DEFAULT_SMOOTHING,
                        help=f"frames in the smoothing window, 1 = none (default {DEFAULT_SMOOTHING})")
    parser.add_argument("--start", type=int, default=0, help="first frame to process (default 0)")
    parser.add_argument("--max-frames", type=int, default=None, help="process at most this many frames")
    parser.add_argument("--fov", type=float, default=None, help="diagonal field of view in degrees (default 53.13)")
    parser.add_argument("--body-model", choices=("auto", "smpl", "open"), default="auto",
                        help="'auto': SMPL when its file is present, else the open body model")
    return parser


def main(argv=None) -> int:
    log_to_stderr(log)
    args = build_parser().parse_args(argv)
    if args.smooth < 1 or args.start < 0 or (args.max_frames is not None and args.max_frames < 1):
        log.error("--smooth and --max-frames must be at least 1, --start at least 0")
        return 2
    try:
        written, _ = process_video(args.video, args.method, args.out, args.smooth, args.start, args.max_frames,
                                args.fov, args.body_model)
    except VideoError as problem:
        log.error("%s", problem)
        return 1
    for path in written:
        log.info("wrote %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
