"""One person followed through a video, one method per frame, and the motion smoothed over time.

Every frame goes through the photo pipeline (`core.pipeline.analyse.analyse`) for one person: detected in the
first frame where someone is found, then followed as MediaPipe's video mode does (landmarks read where the
person was, detection again when they are lost). Single-frame estimates jitter, so the pose is smoothed over
a centred window of frames (rotations averaged as sign-aligned quaternions, translations as means; frames
without the person are left out), and the person's shape is the mean of their betas over the video.
Several people (`track_people`, `--people all`): `core.pipeline.people_tracker` follows everyone with a
stable identity (landmarks read where each person was, detection every few frames and whenever someone is
lost, lost people picked up again near where they were heading, new people confirmed after a few frames);
then each frame's people are reconstructed together, and each person gets their own motion, smoothed on its
own. Writing the results is core.outputs.motion; `python -m core.video` is the command line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from scipy.spatial.transform import Rotation
from tqdm import tqdm

from core.body_models import BodyModel
from core.methods import METHOD_IDS
from core.pipeline.analyse import PipelineOptions, analyse
from core.pipeline.people_tracker import PeopleTracker

DEFAULT_SMOOTHING = 5  # frames in the centred window; 1 = no smoothing


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


def track_video(
    path,
    method: str,
    start: int = 0,
    max_frames: int | None = None,
    fov_deg: float | None = None,
    body_model: str = "auto",
) -> tuple[VideoMotion, BodyModel]:
    """Run `method` on every frame, following one person; returns the raw (unsmoothed) motion and body model."""
    if method not in METHOD_IDS:
        raise VideoError(f"Unknown method {method!r}; choose from {', '.join(METHOD_IDS)}.")
    fps, count = video_info(path)
    total = max(0, min(count - start, max_frames or count)) or None
    found, rotmats, cam_t, betas = [], [], [], []
    K, model, person = None, None, None
    for frame in tqdm(
        read_frames(path, start, max_frames), total=total, desc=f"{method} on {Path(path).name}", unit="frame"
    ):
        result = analyse(
            frame,
            PipelineOptions(methods=(method,), max_people=1, follow=person, fov_deg=fov_deg, body_model=body_model),
        )
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
    motion = VideoMotion(
        method,
        fps,
        start,
        K,
        np.array(found),
        np.array(rotmats, dtype=np.float64),
        np.array(cam_t, dtype=np.float64),
        np.mean(betas, axis=0),
    )
    return motion, model


def smooth_motion(motion: VideoMotion, window: int = DEFAULT_SMOOTHING) -> VideoMotion:
    """The motion with rotations and translations averaged over a centred window of `window` frames."""
    return replace(
        motion,
        rotmats=smooth_rotations(motion.rotmats, motion.found, window),
        cam_t=_smooth_vectors(motion.cam_t, motion.found, window),
    )


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


# ---- several people ------------------------------------------------------------------------------


@dataclass
class TrackedPerson:
    """One identity's motion through the processed frames, and its jitter before and after smoothing."""

    identity: int  # 1, 2, ... in the order people were confirmed
    motion: VideoMotion
    jitter_raw_mm: float = math.nan  # mean acceleration of the 24 joints, mm/frame², unsmoothed
    jitter_smoothed_mm: float = math.nan

    @property
    def frame_range(self) -> tuple[int, int]:
        """Video frame indices of the first and last frame with the person."""
        seen = np.flatnonzero(self.motion.found)
        return int(self.motion.first_frame + seen[0]), int(self.motion.first_frame + seen[-1])

    @property
    def frames_seen(self) -> int:
        return int(self.motion.found.sum())

    @property
    def gaps(self) -> int:
        """Times the person was lost (hidden, or not read) between their first and last frame and picked up again."""
        seen = np.flatnonzero(self.motion.found)
        return int((np.diff(seen) > 1).sum())


def track_people(
    path,
    method: str,
    start: int = 0,
    max_frames: int | None = None,
    fov_deg: float | None = None,
    body_model: str = "auto",
    tracker: PeopleTracker | None = None,
) -> tuple[list[TrackedPerson], BodyModel]:
    """Follow everyone (first pass, landmarks only), then run `method` on each frame's people (second pass).

    Returns each confirmed person's raw (unsmoothed) motion, by identity, and the body model.
    """
    if method not in METHOD_IDS:
        raise VideoError(f"Unknown method {method!r}; choose from {', '.join(METHOD_IDS)}.")
    fps, count = video_info(path)
    total = max(0, min(count - start, max_frames or count)) or None
    tracker = tracker or PeopleTracker()
    frames = 0
    for index, frame in enumerate(
        tqdm(
            read_frames(path, start, max_frames),
            total=total,
            desc=f"following people in {Path(path).name}",
            unit="frame",
        )
    ):
        tracker.update(index, frame)
        frames += 1
    if not frames:
        raise VideoError(f"No frames could be read from {path} (from frame {start} on).")
    tracks = tracker.people()
    if not tracks:
        raise VideoError(f"Nobody was found in {path}: the method needs people in view.")
    rotmats = {t.identity: np.tile(np.eye(3), (frames, 24, 1, 1)) for t in tracks}
    cam_t = {t.identity: np.zeros((frames, 3)) for t in tracks}
    found = {t.identity: np.zeros(frames, bool) for t in tracks}
    betas: dict[int, list] = {t.identity: [] for t in tracks}
    K, model = None, None
    for index, frame in enumerate(
        tqdm(read_frames(path, start, frames), total=frames, desc=f"{method} on everyone", unit="frame")
    ):
        here = [(t.identity, t.seen[index]) for t in tracks if index in t.seen]
        if not here:
            continue
        result = analyse(
            frame,
            PipelineOptions(methods=(method,), found=[p for _, p in here], fov_deg=fov_deg, body_model=body_model),
        )
        if result.unavailable:
            raise VideoError(result.unavailable[method])
        K, model = result.K, result.body_model
        for (identity, _), person in zip(here, result.people):
            prediction = person.predictions.get(method)
            if prediction is not None:
                rotmats[identity][index], cam_t[identity][index] = prediction.rotmats, prediction.cam_t
                found[identity][index] = True
                betas[identity].append(prediction.betas)
    people = [
        TrackedPerson(
            t.identity,
            VideoMotion(
                method,
                fps,
                start,
                K,
                found[t.identity],
                rotmats[t.identity].astype(np.float64),
                cam_t[t.identity],
                np.mean(betas[t.identity], axis=0),
            ),
        )
        for t in tracks
        if betas[t.identity]
    ]
    if not people:
        raise VideoError(f"{method} reconstructed nobody in {path}.")
    return people, model
