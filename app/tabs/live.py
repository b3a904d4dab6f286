"""Live webcam mode: one chosen method on every streamed frame, with frames per second.

Each frame goes through the same pipeline as a photo, limited to one person (the first one the detector
finds, left to right), and comes back with that method's mesh over it. Once found, the person is followed
from frame to frame as MediaPipe's video mode does (landmarks read where they were, no detection) until
they are lost.

Frames are pipelined in three stages: a call finds the person in its frame (a landmark run where they were,
which the next frame's search needs), hands the method's network and the drawing to a worker thread, and
returns the previous frame with its mesh (one frame behind, the overlay always on its own frame). So one
frame's search runs beside the previous frame's network, and its network beside the previous drawing: on two
cores no stage waits for another's core to be free. The frame rate is measured per browser tab (its Session),
so two people streaming at once each see their own.

The stream is the browser's (a webcam stream cannot be sent from gradio_client); `/live_frame`, the API
endpoint, takes one frame as an image file and returns that frame with the method's mesh (`one_frame`).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np

from app import validate
from app.state import session_of
from core.image_io import ImageError, load_image
from core.outputs.pictures import method_meshes
from core.pipeline.analyse import ImageResult, PipelineOptions, analyse, find_people
from core.render import render_overlay

LIVE_OPACITY = 0.7
LIVE_RENDER_SCALE = 0.5  # meshes drawn at half the frame's size: a quarter of the rendering time
_frames = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hmrc-live")  # two frames in flight per stream


def live_frame(frame: np.ndarray | None, method: str, session):
    """(H, W, 3) uint8 webcam frame → the overlay of the previous frame, a status line and the session."""
    session = session_of(session)
    if frame is None:
        session.live_drawing = None
        return {"live_output": None, "live_status": "Waiting for the webcam…", "session": session}
    method = validate.one_method(method)
    if not isinstance(frame, np.ndarray) or frame.ndim != 3:
        raise validate.Refused("The live stream takes webcam frames from the page: use /live_frame for one image.")
    start = time.perf_counter()
    loaded = load_image(frame)
    options = PipelineOptions(methods=(method,), max_people=1, follow=session.live_person, errors_2d=False)
    people, _ = find_people(loaded, options)
    session.live_person = people[0] if people else None
    drawing = _frames.submit(_analyse_and_draw, loaded, replace(options, follow=None, found=people), start)
    previous, session.live_drawing = session.live_drawing, drawing
    overlay, status = (previous or drawing).result()  # the first frame waits for its own picture
    return {
        "live_output": overlay,
        "live_status": f"**{session.frame_done():.1f} frames/s** · {status}",
        "session": session,
    }


def _analyse_and_draw(loaded, options: PipelineOptions, start: float) -> tuple[np.ndarray, str]:
    result = analyse(loaded, options)
    return _draw(result, options.methods[0], time.perf_counter() - start)


def one_frame(frame, method):
    """The API's /live_frame: one image file (handle_file) → that frame with the method's mesh, and a status line."""
    method = validate.one_method(method)
    path = validate.upload(frame, "frame")
    if path is None:
        raise validate.Refused("No frame sent: pass an image file with handle_file(path).")
    try:
        with open(path, "rb") as stream:
            loaded = load_image(stream.read())
    except (ImageError, OSError) as problem:
        raise validate.Refused(f"The frame cannot be read: {problem}") from problem
    start = time.perf_counter()
    result = analyse(loaded, PipelineOptions(methods=(method,), max_people=1))
    overlay, status = _draw(result, method, time.perf_counter() - start)
    return {"live_output": overlay, "live_status": status}


def _draw(result: ImageResult, method: str, analysis_seconds: float) -> tuple[np.ndarray, str]:
    """The frame with the method's mesh over it, and what to say about it."""
    start = time.perf_counter()
    overlay = render_overlay(result.image.rgb, method_meshes(result, method), result.K, LIVE_OPACITY, LIVE_RENDER_SCALE)
    if result.unavailable:
        status = result.unavailable[method]
    elif not result.people:
        status = "No person in view."
    else:
        status = (
            f"{result.label(method)}: analysed in {analysis_seconds * 1000:.0f} ms, "
            f"drawn in {(time.perf_counter() - start) * 1000:.0f} ms"
        )
    return overlay, status
