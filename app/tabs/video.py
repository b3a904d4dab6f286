"""The Video tab: one method on an uploaded clip, through core.video (the person followed, the pose smoothed).

The results go into the browser tab's own folder (Session): the overlay video to watch, and the BVH motion
and per-frame parameters to download. Long clips are cut at the chosen number of frames, since every frame
costs a full analysis on the server.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import gradio as gr

from app.state import session_of
from app.tabs.compare import upload_path
from core.methods import single_method
from core.outputs.motion import process_video
from core.pipeline.tracking import DEFAULT_SMOOTHING, VideoError
from core.render.colors import method_label

log = logging.getLogger("app.tabs.video")
DEFAULT_MAX_FRAMES = 150


def run_video(clip, method, smooth, max_frames, session, progress=gr.Progress(track_tqdm=True)):
    """→ the overlay video's path, the [BVH, npz] paths, a status line and the session."""
    session = session_of(session)
    path = upload_path(clip)
    if not path:
        return _outputs(None, None, "**Upload a video first.**", session)
    method = single_method(method)
    smooth = max(1, int(smooth or DEFAULT_SMOOTHING))
    max_frames = max(1, int(max_frames or DEFAULT_MAX_FRAMES))
    session.folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=session.folder) as scratch:
        try:
            written, motion = process_video(path, method, Path(scratch), smooth=smooth, max_frames=max_frames)
        except VideoError as problem:
            return _outputs(None, None, f"**{problem}**", session)
        kept = [str(shutil.move(str(file), session.new_file(file.name))) for file in written]
    found = int(motion.found.sum())
    status = (
        f"{method_label(method)}: the person was reconstructed in {found} frames, smoothed over {smooth} "
        f"frame{'s' if smooth > 1 else ''}. Download the BVH for Blender or other animation tools."
    )
    log.info("video: %s, %d frames with the person", method, found)
    return _outputs(kept[0], kept[1:], status, session)


def _outputs(overlay, files, status: str, session) -> dict:
    return {"video_output": overlay, "video_files": files, "video_status": status, "session": session}
