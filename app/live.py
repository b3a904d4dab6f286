"""Live webcam mode: one chosen method on every streamed frame, with frames per second.

Each frame goes through the same pipeline as a photo, limited to one person (the first one the detector
finds, left to right), and comes back with that method's mesh over it. Once found, the person is followed
from frame to frame as MediaPipe's video mode does (landmarks read where they were, no detection) until
they are lost. The frame rate is measured per
browser tab (its Session), so two people streaming at once each see their own.
"""
from __future__ import annotations

import time

import numpy as np

from app.state import session_of
from core import pipeline
from core.render import render_overlay
from core.render.colors import method_label
from core.views import method_meshes

LIVE_OPACITY = 0.7
LIVE_RENDER_SCALE = 0.5  # meshes drawn at half the frame's size: a quarter of the rendering time


def live_frame(frame: np.ndarray | None, method: str, session):
    """(H, W, 3) uint8 webcam frame → (overlay, status line, session)."""
    session = session_of(session)
    if frame is None:
        return None, "Waiting for the webcam…", session
    method = method if method in pipeline.ALL_METHODS else pipeline.FIT
    start = time.perf_counter()
    options = pipeline.PipelineOptions(methods=(method,), max_people=1, follow=session.live_person)
    result = pipeline.analyse(frame, options)
    session.live_person = result.people[0].person if result.people else None
    overlay = render_overlay(result.image.rgb, method_meshes(result, method), result.K, LIVE_OPACITY,
                             LIVE_RENDER_SCALE)
    seconds = time.perf_counter() - start
    frames_per_second = session.frame_done()
    if result.unavailable:
        status = result.unavailable[method]
    elif not result.people:
        status = "No person in view."
    else:
        status = f"{method_label(method)}: {seconds * 1000:.0f} ms per frame"
    return overlay, f"**{frames_per_second:.1f} frames/s** · {status}", session
