"""Detection, keypoint fit, rendering, whole requests (what the app's Compare tab does) and live webcam mode."""

from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np

from bench.data import GROUP as GROUP_PHOTO
from bench.data import ONE_PERSON
from bench.results import Results
from bench.timing import time_call, timing_of
from core.image_io import load_image
from core.methods import FIT
from core.outputs.pictures import method_meshes, render_views
from core.pipeline.analyse import PipelineOptions, analyse
from core.pipeline.detect import detect_people
from core.render import render_overlay
from core.render.overlay import composite
from core.render.raster import SoftwareRenderer
from core.render.renderer import renderer_info
from core.testing.examples import clip_frames

GROUP = "pipeline"
LIVE_METHOD = "hmr"


def run(results: Results, quick: bool) -> None:
    one, group = load_image(ONE_PERSON), load_image(GROUP_PHOTO)
    for name, loaded in (("one person, 640×425", one), (f"group photo, {group.size[1]}×{group.size[0]}", group)):
        timing = time_call(lambda: detect_people(loaded.rgb), 2 if quick else 8, warmup=1)
        results.add_time(
            GROUP, f"detection per image ({name})", timing, note=f"{len(detect_people(loaded.rgb).people)} people"
        )
    keypoint_fit(results, one, quick)
    rendering(results, one, quick)
    whole_request(results, one, "one person, 4 methods, rendered side by side", 2 if quick else 8)
    if not quick:
        with software_renderer():
            whole_request(results, one, "one person, 4 methods, rendered side by side, software rasteriser", 4)
        # About 20 s per request on 2 cores: six people, ten 1600×1064 renders.
        whole_request(results, group, "group photo, 4 methods, rendered side by side", 2)
    live(results, quick)


def keypoint_fit(results: Results, loaded, quick: bool) -> None:
    seconds = []
    for _ in range(2 if quick else 6):
        result = analyse(loaded, PipelineOptions(methods=(FIT,)))
        seconds.append(result.timings["keypoint fit"] / max(1, len(result.people)))
    results.add_time(GROUP, "keypoint fit per person", timing_of(seconds))


def rendering(results: Results, loaded, quick: bool) -> None:
    """One overlay (one person's mesh over the 640×425 photo) with the process's renderer and the rasteriser."""
    result = analyse(loaded, PipelineOptions(methods=("hmr",)))
    meshes = method_meshes(result, "hmr")
    photo, K = result.image.rgb, result.K
    runs = 4 if quick else 15
    results.add_time(
        GROUP, f"render one overlay ({renderer_info()})", time_call(lambda: render_overlay(photo, meshes, K), runs, 2)
    )
    software = SoftwareRenderer()
    height, width = photo.shape[:2]
    background = photo.astype(np.float32) / 255.0
    results.add_time(
        GROUP,
        "render one overlay (software rasteriser)",
        time_call(lambda: composite(software.render(meshes, K, height, width), background, 0.8), runs, 1),
    )


def whole_request(results: Results, loaded, name: str, runs: int) -> None:
    """analyse + views.render_views on a decoded photo; stage medians go in the note."""
    stages: dict[str, list[float]] = {}
    seconds = []
    options = PipelineOptions()
    analyse(loaded, options)  # warm-up: models load, renderer starts
    for _ in range(runs):
        start = time.perf_counter()
        result = analyse(loaded, options)
        views = render_views(result)
        seconds.append(time.perf_counter() - start)
        for stage, value in {**result.timings, "render_views": views.seconds}.items():
            stages.setdefault(stage, []).append(value)
    note = ", ".join(
        f"{stage} {1000 * np.median(values):.0f} ms" for stage, values in stages.items() if np.median(values) > 0.002
    )
    results.add_time(GROUP, f"whole request ({name}; {len(result.people)} people)", timing_of(seconds), note=note)


@contextmanager
def software_renderer():
    """Swap the process-wide renderer for the rasteriser (what HMRC_RENDERER=software picks at start-up)."""
    from core.render import renderer

    with renderer._renderer_lock:
        previous, renderer._renderer = renderer._renderer, SoftwareRenderer()
    try:
        yield
    finally:
        with renderer._renderer_lock:
            renderer._renderer = previous


def live(results: Results, quick: bool) -> None:
    """The app's streaming handler on consecutive frames of the example clip, one method: as the app runs it
    (the person followed from frame to frame, drawing pipelined) and with detection on every frame."""
    from app.state import Session
    from app.tabs.live import live_frame

    frames = clip_frames(10 if quick else 60)
    for name, follow in (("detection on every frame", False), ("person followed between frames", True)):
        session = Session()
        live_frame(frames[0], LIVE_METHOD, session)  # warm-up
        start = time.perf_counter()
        for frame in frames[1:]:
            if not follow:
                session.live_person = None
            live_frame(frame, LIVE_METHOD, session)
        session.live_drawing.result()  # the last frame is still being drawn
        seconds = time.perf_counter() - start
        results.add_value(
            GROUP,
            f"live webcam mode, {LIVE_METHOD.upper()}, {name} (768×432 frames)",
            (len(frames) - 1) / seconds,
            "frames/s",
            runs=len(frames) - 1,
            note="app.tabs.live.live_frame",
        )
