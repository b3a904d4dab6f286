"""What the Compare tab does on each click: plain functions over core.pipeline, core.outputs.pictures and core.outputs.bundle.

Every handler gets the tab's `Session` (a gr.State) and returns it, so results never mix between users.
Follow-up clicks (3D toggles, person, heat-map pair, zip) reuse the session's analysis when the photo, the
pipeline options and the files the methods run with are unchanged, and otherwise run it again. The example
photos' analyses are shared between sessions (`EXAMPLE_CACHE`), keyed likewise, so a checkpoint or body model
added or replaced since never shows a stale result.
A handler returns {component name: value} (with the session under "session"); app/ui.py maps the names onto
the page's components, and *_OUTPUTS give the order in which the API lists them. Arguments are checked with
app.validate: a wrong one is refused with a sentence.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import gradio as gr
import numpy as np
from PIL import Image

from app import report, validate
from app.report import shown_if
from app.state import Analysis, Session, ViewOptions, session_of
from core.checkpoints import weights_fingerprint
from core.geometry import DEFAULT_FOV_DEG
from core.image_io import ImageError, LoadedImage, exif_fov_deg, load_image
from core.methods import FIT, METHOD_IDS, METHODS
from core.outputs.pictures import method_meshes
from core.paths import EXAMPLES_DIR
from core.pipeline.analyse import ImageResult, PipelineOptions, analyse, person_index, person_label

METHOD_CHOICES = [(m.label, m.id) for m in METHODS]
FOV_RANGE = (20.0, 120.0)  # degrees, diagonal
FOV_LABEL = "Field of view (diagonal, degrees): sets the focal length"
MAX_OVERLAY_COLUMNS = 4  # overlays sit in one row, as wide as the page allows; more wrap onto a second row

log = logging.getLogger(__name__)
# The 3D scene is written here while the overlays are drawn (Mesa's drawing leaves a core partly idle).
_scenes = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hmrc-scene")

DETAIL_OUTPUTS = (
    "error_plot",
    "error_table",
    "disagreement_table",
    "heatmap_a",
    "heatmap_b",
    "heatmap_image",
    "heatmap_note",
)
ANALYSE_OUTPUTS = (
    "status",
    "people_image",
    "people_picker",
    "overlay_gallery",
    "side_gallery",
    "model_3d",
    "model_methods",
    "detail_person",
    *DETAIL_OUTPUTS,
    "timings_table",
)
# The page's containers shown or hidden after each run (not API outputs): nothing empty is on the page.
LAYOUT_OUTPUTS = (
    "results_column",
    "overlay_gallery",
    "side_gallery",
    "scene_row",
    "bundle_file",
    "differences_column",
    "disagreement_table",
    "heatmap_row",
)


@dataclass(frozen=True)
class Controls:
    """Everything the user set next to the photo."""

    methods: tuple[str, ...] = METHOD_IDS
    fov_deg: float = DEFAULT_FOV_DEG
    view: ViewOptions = ViewOptions()
    refine: bool = False
    people: tuple[int, ...] | None = None  # None: everyone detected
    box: tuple[float, float, float, float] | None = None  # user box, processing-image pixels

    def pipeline_options(self) -> PipelineOptions:
        return PipelineOptions(
            methods=self.methods,
            fov_deg=self.fov_deg,
            refine_with_keypoints=self.refine,
            people=None if self.people is None or self.box else list(self.people),
            boxes=None if self.box is None else [list(self.box)],
        )


def controls_from(methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text) -> Controls:
    """The raw component values → Controls, each checked (app.validate); None means the control's default."""
    defaults = Controls()
    chosen_people = people or []
    if not isinstance(chosen_people, (list, tuple)) or len(chosen_people) > validate.MAX_LIST_ITEMS:
        raise validate.Refused("`people` must be a list of labels such as 'Person 1'.")
    return Controls(
        methods=validate.methods(methods),
        fov_deg=defaults.fov_deg if fov_deg is None else validate.number(fov_deg, "fov_deg", *FOV_RANGE),
        view=ViewOptions(
            opacity=defaults.view.opacity if opacity is None else validate.number(opacity, "opacity", 0.0, 1.0),
            show_keypoints=False if show_keypoints is None else validate.flag(show_keypoints, "show_keypoints"),
            side_view=True if side_view is None else validate.flag(side_view, "side_view"),
        ),
        refine=False if refine is None else validate.flag(refine, "refine"),
        people=tuple(sorted(_person_number(label) for label in chosen_people)) or None,
        box=parse_box(validate.text(box_text, "box")),
    )


def _person_number(label) -> int:
    if not isinstance(label, str) or not re.fullmatch(r"Person \d{1,4}", label):
        raise validate.Refused(f"`people` holds {label!r}: use labels such as 'Person 1'.")
    return person_index(label)


def parse_box(text: str | None) -> tuple[float, float, float, float] | None:
    """'x0, y0, x1, y1' (any separators) → a box with x0 < x1 and y0 < y1, or None for an empty field."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text or "")]
    if not numbers:
        return None
    if len(numbers) != 4:
        raise validate.Refused(
            f"A box needs four numbers x0, y0, x1, y1 (got {len(numbers)}): "
            "type them, or click two opposite corners on the people picture."
        )
    x0, y0, x1, y1 = numbers
    box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    if box[2] - box[0] < 4 or box[3] - box[1] < 4:
        raise validate.Refused(f"The box {box} is too small: draw it around the whole person.")
    return box


def upload_path(value) -> str | None:
    """The uploaded file's path from a raw file value (a FileData dict, or a path for examples)."""
    return validate.upload(value, "image")


# --------------------------------------------------------------------------- the main comparison


def analyse_photo(
    image,
    methods,
    fov_deg,
    opacity,
    show_keypoints,
    side_view,
    refine,
    people,
    box_text,
    session,
    progress=gr.Progress(),
):
    """Run the chosen methods on the photo; returns the ANALYSE_OUTPUTS values and the session."""
    return _compare(image, (methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text), session)


def analyse_example(
    image,
    methods,
    fov_deg,
    opacity,
    show_keypoints,
    side_view,
    refine,
    people,
    box_text,
    session,
    progress=gr.Progress(),
):
    """A clicked example: the same as `analyse_photo`, its analysis shared between sessions (EXAMPLE_CACHE)."""
    return _compare(image, (methods, fov_deg, opacity, show_keypoints, side_view, refine, None, ""), session, True)


def _compare(image, raw_controls, session, shared: bool = False) -> dict:
    session = session_of(session)
    start = time.perf_counter()
    session.shown = None
    controls = controls_from(*raw_controls)
    try:
        analysis = current_analysis(session, image, controls, shared)
    except ImageError as problem:  # said in the status line, next to the button (no toast piling up)
        return {**empty_outputs(f"**{problem}**"), "session": session}
    except validate.Refused:
        raise
    except ValueError as problem:  # a box outside the picture
        return {**empty_outputs(f"**{problem}**"), "session": session}
    except OSError as problem:  # a file Pillow cannot even open (e.g. a JPEG header cut short)
        message = (
            f"The image data is damaged or cut short ({problem}). Re-export the photo as JPEG or PNG and try again."
        )
        return {**empty_outputs(f"**{message}**"), "session": session}
    outputs = analysis_outputs(session, analysis, controls)
    session.shown = analysis
    log.info(
        "compare: %d people, methods %s, %.1f s (%s)",
        len(analysis.result.people),
        ",".join(analysis.result.methods),
        time.perf_counter() - start,
        ", ".join(f"{k} {v:.1f}" for k, v in analysis.result.timings.items()),
    )
    return {**outputs, "session": session}


def current_analysis(session: Session, image, controls: Controls, shared: bool = False) -> Analysis:
    """The session's analysis of this photo with these options, running the pipeline when needed (`shared`: an
    example photo's analysis comes from, and goes into, EXAMPLE_CACHE)."""
    path = upload_path(image)
    if path is None:
        raise ImageError("No photo yet: upload one, paste it, take a webcam snapshot, or click an example.")
    with open(path, "rb") as stream:
        data = stream.read()
    key = _analysis_key(data, controls.pipeline_options())
    if session.analysis is not None and key in session.analysis.keys:
        return session.analysis
    cached = EXAMPLE_CACHE.get(key) if shared else None
    if cached is not None:
        analysis = copy.copy(cached)  # the result and its pictures are shared; the session draws its own changes
        session.replace_analysis(analysis)
        return analysis
    loaded = load_image(data)
    options = _options_in_processing_pixels(controls, loaded)
    result = analyse(loaded, options)
    analysis = Analysis(key=key, result=result, options=options)
    everyone = replace(controls, people=tuple(p.index for p in result.people)) if result.people else controls
    analysis.keys = {key, _analysis_key(data, everyone.pipeline_options())}
    if shared and is_example(data):
        views_of(analysis, controls.view)  # drawn once for every session that clicks this example
        EXAMPLE_CACHE.put(analysis)
    session.replace_analysis(analysis)
    return analysis


def _analysis_key(data: bytes, options: PipelineOptions) -> str:
    """Photo content + options + the files the methods run with (core.checkpoints.weights_fingerprint)."""
    described = repr(
        (
            options.methods,
            round(options.fov_deg, 3),
            options.refine_with_keypoints,
            options.people,
            options.boxes,
            weights_fingerprint(),
        )
    )
    return hashlib.sha256(data).hexdigest()[:16] + hashlib.sha256(described.encode()).hexdigest()[:16]


def _options_in_processing_pixels(controls: Controls, loaded: LoadedImage) -> PipelineOptions:
    options = controls.pipeline_options()
    height, width = loaded.size
    if options.boxes:
        x0, y0, x1, y1 = options.boxes[0]
        clipped = [max(0.0, x0), max(0.0, y0), min(float(width), x1), min(float(height), y1)]
        if clipped[2] - clipped[0] < 4 or clipped[3] - clipped[1] < 4:
            raise ValueError(f"The box {options.boxes[0]} lies outside the {width}×{height} picture.")
        options.boxes = [clipped]
    return options


class ExampleCache:
    """The analyses of the example photos, shared by every session, newest kept (keys name the files used)."""

    def __init__(self, size: int = 16):
        self.size = size
        self._analyses: OrderedDict[str, Analysis] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Analysis | None:
        with self._lock:
            found = next((a for a in self._analyses.values() if key in a.keys), None)
            if found is not None:
                self._analyses.move_to_end(found.key)
            return found

    def put(self, analysis: Analysis) -> None:
        with self._lock:
            self._analyses[analysis.key] = analysis
            while len(self._analyses) > self.size:
                self._analyses.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._analyses.clear()


EXAMPLE_CACHE = ExampleCache()
_EXAMPLE_HASHES: set[str] = set()


def is_example(data: bytes) -> bool:
    """Whether these bytes are one of the bundled example photos (only those are shared between sessions)."""
    if not _EXAMPLE_HASHES:
        _EXAMPLE_HASHES.update(hashlib.sha256(p.read_bytes()).hexdigest() for p in EXAMPLES_DIR.glob("*.jpg"))
    return hashlib.sha256(data).hexdigest() in _EXAMPLE_HASHES


def views_of(analysis: Analysis, view: ViewOptions, combined: bool = False):
    """The analysis drawn with `view` options (rendered once per option set). The all-methods pictures are
    only in the zip, so they are drawn when it is asked for (combined=True), not before the page shows."""
    from core.outputs.pictures import add_combined_views, render_views

    if analysis.views is None or analysis.view_options != view:
        analysis.views = render_views(
            analysis.result,
            opacity=view.opacity,
            show_keypoints=view.show_keypoints,
            side_view=view.side_view,
            combined=False,
        )
        analysis.view_options = view
    return add_combined_views(analysis.views, analysis.result) if combined else analysis.views


def analysis_outputs(session: Session, analysis: Analysis, controls: Controls) -> dict:
    """The ANALYSE_OUTPUTS of one analysis, by component name."""
    result = analysis.result
    scene = _scenes.submit(export_scene, session, result, result.methods) if result.people else None
    views = views_of(analysis, controls.view) if result.people else None
    detected = [person_label(i) for i in range(len(result.detected))]
    chosen = [person_label(p.index) for p in result.people]
    first = chosen[0] if chosen else None
    return {
        "status": report.status_text(result),
        "people_image": report.people_picture(result),
        "people_picker": gr.update(choices=detected, value=chosen),
        "overlay_gallery": _gallery(result, views.overlays if views else {}),
        "side_gallery": _gallery(
            result, {m: views.side[m] for m in result.methods if m in views.side} if views else {}
        ),
        "model_3d": scene.result() if scene is not None else None,
        "model_methods": gr.update(choices=[(result.label(m), m) for m in result.methods], value=list(result.methods)),
        "detail_person": gr.update(choices=chosen, value=first),
        **person_details(analysis, first),
        "timings_table": report.timings_table(result, views.seconds if views else None),
    }


def empty_outputs(status: str) -> dict:
    """ANALYSE_OUTPUTS when nothing could be analysed (the status says why): every picture, table and picker empty."""
    pickers = ("people_picker", "model_methods")
    choosers = ("detail_person", "heatmap_a", "heatmap_b")
    return {
        **{name: None for name in ANALYSE_OUTPUTS},
        "status": status,
        "overlay_gallery": [],
        "side_gallery": [],
        "heatmap_note": "",
        **{name: gr.update(choices=[], value=[]) for name in pickers},
        **{name: gr.update(choices=[], value=None) for name in choosers},
    }


def _gallery(result: ImageResult, pictures: dict[str, np.ndarray]) -> list[tuple[np.ndarray, str]]:
    return [(picture, result.label(method)) for method, picture in pictures.items()]


def result_layout(session) -> dict:
    """LAYOUT_OUTPUTS after a run: what the session's shown analysis has content for is visible, the rest hidden;
    overlays in one row, as many columns as methods."""
    shown = session.shown if isinstance(session, Session) else None
    result = shown.result if shown is not None else None
    people = bool(result and result.people)
    methods = len(result.methods) if people else 0
    columns = max(1, min(methods, MAX_OVERLAY_COLUMNS))
    return {
        "results_column": gr.update(visible=shown_if(shown is not None)),
        "overlay_gallery": gr.update(visible=shown_if(people), columns=columns),
        "side_gallery": gr.update(visible=shown_if(people and bool(shown.views and shown.views.side)), columns=columns),
        "scene_row": gr.update(visible=shown_if(people)),
        "bundle_file": gr.update(visible=False),  # until the zip of this result is made
        "differences_column": gr.update(visible=shown_if(people)),
        "disagreement_table": gr.update(visible=shown_if(methods > 1)),
        "heatmap_row": gr.update(visible=shown_if(methods > 1)),
    }


REVEALED = ("results_column", "scene_row")


def reveal_results() -> dict:
    """Before a run: the results area is put on the page, so the 3D viewer is in place when its scene arrives
    (Gradio's Model3D draws nothing when it first appears together with its scene)."""
    return {"results_column": gr.update(visible=True), "scene_row": gr.update(visible=True)}


def show_bundle() -> dict:
    return {"bundle_file": gr.update(visible=True)}


# --------------------------------------------------------------------------- follow-ups


def person_details(analysis: Analysis, label: str | None) -> dict:
    """DETAIL_OUTPUTS for one person: error chart and table, disagreement matrix, heat-map of the first pair."""
    person = _person(analysis.result, label)
    if person is None:
        return {
            "error_plot": None,
            "error_table": None,
            "disagreement_table": None,
            "heatmap_a": gr.update(choices=[], value=None),
            "heatmap_b": gr.update(choices=[], value=None),
            "heatmap_image": None,
            "heatmap_note": "",
        }
    result = analysis.result
    methods = tuple(m for m in result.methods if m in person.predictions)
    choices = [(result.label(m), m) for m in methods]
    pair = (methods[0], methods[1]) if len(methods) > 1 else (None, None)
    picture, note = heatmap(analysis, person.index, *pair)
    return {
        "error_plot": report.error_figure(result, person, methods),
        "error_table": report.error_table(result, person, methods),
        "disagreement_table": report.disagreement_table(result, person, methods) if len(methods) > 1 else None,
        "heatmap_a": gr.update(choices=choices, value=pair[0]),
        "heatmap_b": gr.update(choices=choices, value=pair[1]),
        "heatmap_image": picture,
        "heatmap_note": note,
    }


def heatmap(analysis: Analysis, index: int, method_a: str | None, method_b: str | None):
    """Per-vertex distance picture and a one-line summary, or (None, what to pick)."""
    from core.outputs.pictures import vertex_difference_heatmap

    result = analysis.result
    if not method_a or not method_b or method_a == method_b:
        return None, "Pick two different methods to see where their meshes differ."
    person = next(p for p in result.people if p.index == index)
    missing = [m for m in (method_a, method_b) if m not in person.predictions]
    if missing:
        ran = ", ".join(result.label(m) for m in person.predictions) or "none"
        raise validate.Refused(
            f"{', '.join(map(str, missing))} did not run on {person_label(index)} (methods that ran: {ran}): "
            "pick two of those, or tick the method and press Compare."
        )
    picture, per_vertex_mm = vertex_difference_heatmap(result, index, method_a, method_b)
    return picture, (
        f"{result.label(method_a)} vs {result.label(method_b)}: median "
        f"{np.median(per_vertex_mm):.0f} mm, 95th percentile {np.percentile(per_vertex_mm, 95):.0f} mm "
        "per vertex after Procrustes alignment."
    )


def _person(result: ImageResult, label: str | None):
    index = person_index(label)
    return next((p for p in result.people if p.index == index), None)


def _followed_up(session, image, raw_controls) -> tuple[Session, Analysis, Controls]:
    """The session and its analysis for a follow-up click (run again when the photo or options changed)."""
    session = session_of(session)
    controls = controls_from(*raw_controls)
    try:
        return session, current_analysis(session, image, controls), controls
    except validate.Refused:
        raise
    except (ImageError, OSError) as problem:
        raise validate.Refused(f"{problem}") from problem
    except ValueError as problem:
        raise validate.Refused(str(problem)) from problem


def _known_person(analysis: Analysis, label) -> str:
    labels = [person_label(p.index) for p in analysis.result.people]
    if not labels:
        raise validate.Refused("Nobody was reconstructed in this photo: run the comparison on a photo with a person.")
    return validate.choice(label, "person", labels)


def show_person(image, methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text, person, session):
    raw = (methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text)
    session, analysis, _ = _followed_up(session, image, raw)
    return {**person_details(analysis, _known_person(analysis, person)), "session": session}


def show_heatmap(
    image,
    methods,
    fov_deg,
    opacity,
    show_keypoints,
    side_view,
    refine,
    people,
    box_text,
    person,
    method_a,
    method_b,
    session,
):
    raw = (methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text)
    session, analysis, _ = _followed_up(session, image, raw)
    label = _known_person(analysis, person)
    method_a = None if method_a is None else validate.one_method(method_a, "method_a")
    method_b = None if method_b is None else validate.one_method(method_b, "method_b")
    picture, note = heatmap(analysis, person_index(label), method_a, method_b)
    return {"heatmap_image": picture, "heatmap_note": note, "session": session}


def show_in_3d(image, methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text, shown, session):
    """Re-export the GLB with only the ticked methods."""
    raw = (methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text)
    session, analysis, _ = _followed_up(session, image, raw)
    result = analysis.result
    if not isinstance(shown or [], (list, tuple)):
        raise validate.Refused("`shown` must be a list of the methods that ran.")
    ticked = tuple(validate.choice(m, "shown", result.methods) for m in shown or [])
    scene = export_scene(session, result, tuple(m for m in result.methods if m in ticked)) if result.people else None
    return {"model_3d": scene, "session": session}


def export_scene(session: Session, result: ImageResult, methods: tuple[str, ...]) -> str:
    """GLB of the chosen methods' meshes, the camera and the photo plane, in the session's folder."""
    from core.outputs.meshes import export_glb  # trimesh, imported by the first scene, not with the page

    meshes = [mesh for method in methods for mesh in method_meshes(result, method)]
    return str(export_glb(meshes, result.K, result.image.rgb, session.new_file("scene.glb")))


def make_bundle(image, methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text, session):
    """A zip of overlays, meshes, parameters and their schema (core.outputs.bundle)."""
    from core.outputs.bundle import zip_bundle

    raw = (methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text)
    session, analysis, controls = _followed_up(session, image, raw)
    if not analysis.result.people:
        raise validate.Refused("Nothing to download: no person was reconstructed.")
    views = views_of(analysis, controls.view, combined=True)
    path = zip_bundle(analysis.result, views, session.new_file("hmr-compare.zip"))
    return {"bundle_file": str(path), "session": session}


def pick_corner(session, event: gr.SelectData):
    """Two clicks on the people picture draw a box: the first sets a corner, the second completes it."""
    session = session_of(session)
    x, y = (float(v) for v in event.index)
    if session.pending_corner is None:
        session.pending_corner = (x, y)
        return {
            "box_text": gr.update(),
            "status": f"First corner at ({x:.0f}, {y:.0f}): click the opposite corner.",
            "session": session,
        }
    (x0, y0), session.pending_corner = session.pending_corner, None
    box = f"{min(x0, x):.0f}, {min(y0, y):.0f}, {max(x0, x):.0f}, {max(y0, y):.0f}"
    return {
        "box_text": box,
        "status": f"Box {box} set: press Compare to reconstruct the person inside it.",
        "session": session,
    }


def clear_box(session):
    session = session_of(session)
    session.pending_corner = None
    return {"box_text": "", "status": "Box cleared: people are found by the detector again.", "session": session}


def photo_field_of_view(image):
    """The field-of-view slider for a new photo: its EXIF lens when it has one, else the default."""
    path = upload_path(image)
    fov_deg = None
    if path:
        try:
            with Image.open(path) as photo:
                fov_deg = exif_fov_deg(photo)
        except (OSError, ValueError):  # unreadable: the upload check says why
            fov_deg = None
    if fov_deg is None:
        return {"fov_slider": gr.update(value=round(DEFAULT_FOV_DEG, 1), label=FOV_LABEL)}
    return {
        "fov_slider": gr.update(
            value=round(float(np.clip(fov_deg, *FOV_RANGE)), 1),
            label=f"{FOV_LABEL} (from the photo's EXIF: {fov_deg:.1f}°)",
        )
    }


def check_upload(image, session):
    """A new photo: forget the previous people, box and corner; a file that is no readable image is taken out of
    the photo box at once (no broken picture left), with the reason in the status line."""
    session = session_of(session)
    session.pending_corner = None
    outputs = {"people_picker": gr.update(choices=[], value=[]), "box_text": "", "session": session}
    path = upload_path(image)
    if path is None:
        return {**outputs, "image_input": gr.update(), "status": gr.update()}
    try:
        with open(path, "rb") as stream:
            load_image(stream.read())
    except (ImageError, OSError) as problem:
        message = str(problem) if isinstance(problem, ImageError) else f"The image data is damaged ({problem})."
        return {**outputs, "image_input": None, "status": f"**Upload refused: {message}**"}
    return {**outputs, "image_input": gr.update(), "status": "Photo ready: press **Compare**."}


def warm_examples(paths) -> None:
    """HMRC_APP_EXAMPLES=eager: analyse every example with the page's default options before the app opens."""
    from app.state import close_session

    for path in paths:
        try:
            out = analyse_example({"path": str(path)}, default_methods(), None, None, None, None, None, None, "", None)
            close_session(out["session"])
        except Exception as problem:  # noqa: BLE001 - a start-up nicety: the click computes it anyway
            log.warning("example %s not cached at start-up: %s", path, problem)


def default_methods() -> list[str]:
    """The methods ticked on a fresh page: those that can run (their checkpoint in place), and the keypoint fit."""
    from app.tabs.setup import method_available

    return [m for m in METHOD_IDS if m == FIT or method_available(m)]
