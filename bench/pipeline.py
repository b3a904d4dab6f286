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
from core.methods import FIT, METHOD_IDS
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
    fit_together(results, group, quick)
    rendering(results, one, quick)
    whole_request(results, one, "one person, 4 methods, rendered side by side", 2 if quick else 8)
    if not quick:
        with software_renderer():
            whole_request(results, one, "one person, 4 methods, rendered side by side, software rasteriser", 4)
        whole_request(results, group, "group photo, 4 methods, rendered side by side", 4)
    compare_tab(results, GROUP_PHOTO, group, 2 if quick else 6)
    live(results, quick)


def keypoint_fit(results: Results, loaded, quick: bool) -> None:
    seconds = []
    for _ in range(2 if quick else 6):
        result = analyse(loaded, PipelineOptions(methods=(FIT,)))
        seconds.append(result.timings["keypoint fit"] / max(1, len(result.people)))
    results.add_time(GROUP, "keypoint fit per person", timing_of(seconds))


def fit_together(results: Results, loaded, quick: bool) -> None:
    """The keypoint fit of the group photo's people one after another, then as one batch (interleaved runs)."""
    from core.pipeline.fit import FitPerson, fit_people

    result = analyse(loaded, PipelineOptions(methods=(FIT,)))
    people = [
        FitPerson(p.person.landmarks[:, :2], p.person.visibility, p.person.world_landmarks, p.box_height)
        for p in result.people
    ]
    model, K = result.body_model, result.K
    seconds: dict[str, list[float]] = {"one by one": [], "together": []}
    for _ in range(1 if quick else 4):
        for name, call in (
            ("one by one", lambda: [fit_people(model, [person], K) for person in people]),
            ("together", lambda: fit_people(model, people, K)),
        ):
            start = time.perf_counter()
            call()
            seconds[name].append(time.perf_counter() - start)
    for name, values in seconds.items():
        results.add_time(GROUP, f"keypoint fit, group photo's {len(people)} people, {name}", timing_of(values))


def compare_tab(results: Results, path, loaded, runs: int) -> None:
    """What a press of Compare on the group photo costs before the page shows it: app.tabs.compare.analyse_photo
    (detection, the 4 methods, errors, the overlays and side views, the 3D scene, the first person's heat-map and
    tables), each run as a new browser session; stage medians go in the note."""
    from app.tabs.compare import analyse_photo

    analyse_photo(str(path), list(METHOD_IDS), None, None, None, None, None, None, None, None)  # warm-up
    seconds, cpu_seconds, stages = [], [], {}
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        analyse_photo(str(path), list(METHOD_IDS), None, None, None, None, None, None, None, None)
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
    for _ in range(max(1, runs // 2)):  # where the time goes, stage by stage (separate runs: timing adds calls)
        for stage, value in compare_stages(path).items():
            stages.setdefault(stage, []).append(value)
    note = ", ".join(f"{stage} {1000 * np.median(values):.0f} ms" for stage, values in stages.items())
    size = f"{loaded.size[1]}×{loaded.size[0]}"
    name = f"group photo, Compare tab's first page ({size}, 6 people, 4 methods)"
    results.add_time(GROUP, name, timing_of(seconds), note=note)
    results.add_time(
        GROUP,
        f"{name}, CPU time of the process",
        timing_of(cpu_seconds),
        note="all threads; on an idle 2-core machine the wall time lies between half of this and this",
    )


def compare_stages(path) -> dict[str, float]:
    """Seconds of each part of analyse_photo's work on `path`, in a fresh session."""
    from app import report
    from app.state import Session
    from app.tabs import compare

    session, controls = Session(), compare.controls_from(list(METHOD_IDS), None, None, None, None, None, None, None)
    start = time.perf_counter()
    analysis = compare.current_analysis(session, str(path), controls)
    stages = {"analyse": time.perf_counter() - start}
    stages.update({f"  {stage}": value for stage, value in analysis.result.timings.items() if value > 0.002})
    for stage, call in (
        ("overlays and side views", lambda: compare.views_of(analysis, controls.view)),
        ("3D scene", lambda: compare.export_scene(session, analysis.result, analysis.result.methods)),
        (
            "people picture, tables, heat-map",
            lambda: (report.people_picture(analysis.result), compare.person_details(analysis, "Person 1")),
        ),
    ):
        start = time.perf_counter()
        call()
        stages[stage] = time.perf_counter() - start
    return stages


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
        start, cpu_start = time.perf_counter(), time.process_time()
        for frame in frames[1:]:
            if not follow:
                session.live_person = None
            live_frame(frame, LIVE_METHOD, session)
        session.live_drawing.result()  # the last frame is still being drawn
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        results.add_value(
            GROUP,
            f"live webcam mode, {LIVE_METHOD.upper()}, {name} (768×432 frames)",
            (len(frames) - 1) / seconds,
            "frames/s",
            runs=len(frames) - 1,
            note=f"app.tabs.live.live_frame; CPU time {1000 * cpu / (len(frames) - 1):.0f} ms per frame (all threads)",
        )
