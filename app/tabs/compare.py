"""What the Compare tab does on each click: plain functions over core.pipeline, core.outputs.pictures and core.outputs.bundle.

Every handler gets the tab's `Session` (a gr.State) and returns it, so results never mix between users.
Follow-up clicks (3D toggles, person, heat-map pair, zip) reuse the session's analysis when the photo
and pipeline options are unchanged, and otherwise run it again (e.g. after a cached example was shown).
A handler returns {component name: value} (with the session under "session"); app/ui.py maps the names onto
the page's components, and *_OUTPUTS give the order in which the API lists them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass, replace

import gradio as gr
import numpy as np
from PIL import Image

from app import report
from app.state import Analysis, Session, ViewOptions, session_of
from core import paths
from core.geometry import DEFAULT_FOV_DEG
from core.image_io import ImageError, LoadedImage, exif_fov_deg, load_image
from core.methods import METHOD_IDS, METHODS
from core.outputs.meshes import export_glb
from core.outputs.pictures import method_meshes
from core.pipeline.analyse import ImageResult, PipelineOptions, analyse, person_index, person_label
from core.render.colors import method_label
from core.weights import smpl_neutral_present

METHOD_CHOICES = [(m.label, m.id) for m in METHODS]
DEFAULT_METHODS = list(METHOD_IDS)
FOV_RANGE = (20.0, 120.0)  # degrees, diagonal
FOV_LABEL = "Field of view (diagonal, degrees): sets the focal length"

log = logging.getLogger(__name__)

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
# Cached example results are plain values: Gradio's example cache cannot hold choice updates
# (gr.update(choices=...)) nor an empty image, so pickers fill in on Compare and a blank stands in for
# a missing heat-map.
EXAMPLE_OUTPUTS = tuple(
    name
    for name in ANALYSE_OUTPUTS
    if name not in ("people_picker", "model_methods", "detail_person", "heatmap_a", "heatmap_b")
)
BLANK_PICTURE = np.full((8, 8, 3), 245, np.uint8)
EXAMPLE_NOTE = (
    "\n\n*Cached example: press **Compare** to pick people, toggle methods in 3D or change the heat-map pair.*"
)


@dataclass(frozen=True)
class Controls:
    """Everything the user set next to the photo."""

    methods: tuple[str, ...] = tuple(DEFAULT_METHODS)
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
    """The raw component values → Controls (None, as sent for cached examples, means the default)."""
    defaults = Controls()
    return Controls(
        methods=tuple(m for m in DEFAULT_METHODS if m in methods) if methods is not None else defaults.methods,
        fov_deg=float(np.clip(fov_deg, *FOV_RANGE)) if fov_deg is not None else defaults.fov_deg,
        view=ViewOptions(
            opacity=defaults.view.opacity if opacity is None else float(opacity),
            show_keypoints=bool(show_keypoints),
            side_view=True if side_view is None else bool(side_view),
        ),
        refine=bool(refine),
        people=tuple(sorted(person_index(label) for label in people)) if people else None,
        box=parse_box(box_text),
    )


def parse_box(text: str | None) -> tuple[float, float, float, float] | None:
    """'x0, y0, x1, y1' (any separators) → a box with x0 < x1 and y0 < y1, or None for an empty field."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text or "")]
    if not numbers:
        return None
    if len(numbers) != 4:
        raise ValueError(
            f"A box needs four numbers x0, y0, x1, y1 (got {len(numbers)}): "
            "type them, or click two opposite corners on the people picture."
        )
    x0, y0, x1, y1 = numbers
    box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    if box[2] - box[0] < 4 or box[3] - box[1] < 4:
        raise ValueError(f"The box {box} is too small: draw it around the whole person.")
    return box


def upload_path(value) -> str | None:
    """The uploaded file's path from gr.Image's raw value (a FileData dict, or a path for examples)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get("path")
    return str(value)


# --------------------------------------------------------------------------- the main comparison


def analyse_photo(image, methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text, session):
    """Run the chosen methods on the photo; returns the ANALYSE_OUTPUTS values and the session."""
    session = session_of(session)
    start = time.perf_counter()
    try:
        controls = controls_from(methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text)
        analysis = current_analysis(session, image, controls)
    except (ImageError, ValueError) as problem:
        gr.Warning(str(problem))
        return {**empty_outputs(f"**{problem}**"), "session": session}
    except OSError as problem:  # a file Pillow cannot even open (e.g. a JPEG header cut short)
        message = (
            f"The image data is damaged or cut short ({problem}). Re-export the photo as JPEG or PNG and try again."
        )
        gr.Warning(message)
        return {**empty_outputs(f"**{message}**"), "session": session}
    outputs = analysis_outputs(session, analysis, controls)
    log.info(
        "compare: %d people, methods %s, %.1f s (%s)",
        len(analysis.result.people),
        ",".join(analysis.result.methods),
        time.perf_counter() - start,
        ", ".join(f"{k} {v:.1f}" for k, v in analysis.result.timings.items()),
    )
    return {**outputs, "session": session}


def analyse_example(image):
    """The examples' cached run: default options, a throw-away session (cached outputs are shared)."""
    outputs = analyse_photo(image, None, None, None, None, None, None, None, None, None)
    outputs["status"] += EXAMPLE_NOTE
    if outputs["heatmap_image"] is None:
        outputs["heatmap_image"] = BLANK_PICTURE
    return {name: outputs[name] for name in EXAMPLE_OUTPUTS}


def current_analysis(session: Session, image, controls: Controls) -> Analysis:
    """The session's analysis of this photo with these options, running the pipeline when needed."""
    path = upload_path(image)
    if path is None:
        raise ValueError("No photo yet: upload one, paste it, take a webcam snapshot, or click an example.")
    with open(path, "rb") as stream:
        data = stream.read()
    key = _analysis_key(data, controls.pipeline_options())
    if session.analysis is not None and key in session.analysis.keys:
        return session.analysis
    loaded = load_image(data)
    options = _options_in_processing_pixels(controls, loaded)
    result = analyse(loaded, options)
    analysis = Analysis(key=key, result=result, options=options)
    everyone = replace(controls, people=tuple(p.index for p in result.people)) if result.people else controls
    analysis.keys = {key, _analysis_key(data, everyone.pipeline_options())}
    session.replace_analysis(analysis)
    return analysis


def _analysis_key(data: bytes, options: PipelineOptions) -> str:
    """Photo content + options + the files on disk (a download since the last run makes it run again)."""
    weights = sorted(p.name for p in paths.checkpoints_dir().glob("*.pth")) + [str(smpl_neutral_present())]
    described = repr(
        (
            options.methods,
            round(options.fov_deg, 3),
            options.refine_with_keypoints,
            options.people,
            options.boxes,
            weights,
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
    views = views_of(analysis, controls.view) if result.people else None
    detected = [person_label(i) for i in range(len(result.detected))]
    chosen = [person_label(p.index) for p in result.people]
    first = chosen[0] if chosen else None
    return {
        "status": report.status_text(result),
        "people_image": report.people_picture(result),
        "people_picker": gr.update(choices=detected, value=chosen),
        "overlay_gallery": _gallery(views.overlays if views else {}),
        "side_gallery": _gallery({m: views.side[m] for m in result.methods if m in views.side} if views else {}),
        "model_3d": export_scene(session, result, result.methods) if result.people else None,
        "model_methods": gr.update(choices=[(method_label(m), m) for m in result.methods], value=list(result.methods)),
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


def _gallery(pictures: dict[str, np.ndarray]) -> list[tuple[np.ndarray, str]]:
    return [(picture, method_label(method)) for method, picture in pictures.items()]


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
    methods = tuple(m for m in analysis.result.methods if m in person.predictions)
    choices = [(method_label(m), m) for m in methods]
    pair = (methods[0], methods[1]) if len(methods) > 1 else (None, None)
    picture, note = heatmap(analysis, person.index, *pair)
    return {
        "error_plot": report.error_figure(person, methods),
        "error_table": report.error_table(person, methods),
        "disagreement_table": report.disagreement_table(person, methods),
        "heatmap_a": gr.update(choices=choices, value=pair[0]),
        "heatmap_b": gr.update(choices=choices, value=pair[1]),
        "heatmap_image": picture,
        "heatmap_note": note,
    }


def heatmap(analysis: Analysis, index: int, method_a: str | None, method_b: str | None):
    """Per-vertex distance picture and a one-line summary, or (None, what to pick)."""
    from core.outputs.pictures import vertex_difference_heatmap

    if not method_a or not method_b or method_a == method_b:
        return None, "Pick two different methods to see where their meshes differ."
    picture, per_vertex_mm = vertex_difference_heatmap(analysis.result, index, method_a, method_b)
    return picture, (
        f"{method_label(method_a)} vs {method_label(method_b)}: median "
        f"{np.median(per_vertex_mm):.0f} mm, 95th percentile {np.percentile(per_vertex_mm, 95):.0f} mm "
        "per vertex after Procrustes alignment."
    )


def _person(result: ImageResult, label: str | None):
    index = person_index(label)
    return next((p for p in result.people if p.index == index), None)


def show_person(image, methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text, person, session):
    session = session_of(session)
    controls = controls_from(methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text)
    return {**person_details(current_analysis(session, image, controls), person), "session": session}


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
    session = session_of(session)
    controls = controls_from(methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text)
    analysis = current_analysis(session, image, controls)
    found = _person(analysis.result, person)
    picture, note = (
        (None, "Run the comparison first.") if found is None else heatmap(analysis, found.index, method_a, method_b)
    )
    return {"heatmap_image": picture, "heatmap_note": note, "session": session}


def show_in_3d(image, methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text, shown, session):
    """Re-export the GLB with only the ticked methods."""
    session = session_of(session)
    controls = controls_from(methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text)
    result = current_analysis(session, image, controls).result
    scene = (
        export_scene(session, result, tuple(m for m in result.methods if m in (shown or []))) if result.people else None
    )
    return {"model_3d": scene, "session": session}


def export_scene(session: Session, result: ImageResult, methods: tuple[str, ...]) -> str:
    """GLB of the chosen methods' meshes, the camera and the photo plane, in the session's folder."""
    meshes = [mesh for method in methods for mesh in method_meshes(result, method)]
    return str(export_glb(meshes, result.K, result.image.rgb, session.new_file("scene.glb")))


def make_bundle(image, methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text, session):
    """A zip of overlays, meshes, parameters and their schema (core.outputs.bundle)."""
    from core.outputs.bundle import zip_bundle

    session = session_of(session)
    controls = controls_from(methods, fov_deg, opacity, show_keypoints, side_view, refine, people, box_text)
    analysis = current_analysis(session, image, controls)
    if not analysis.result.people:
        raise gr.Error("Nothing to download: no person was reconstructed.")
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
        except (OSError, ValueError):  # unreadable: the comparison itself will say why
            fov_deg = None
    if fov_deg is None:
        return {"fov_slider": gr.update(value=round(DEFAULT_FOV_DEG, 1), label=FOV_LABEL)}
    return {
        "fov_slider": gr.update(
            value=round(float(np.clip(fov_deg, *FOV_RANGE)), 1),
            label=f"{FOV_LABEL} (from the photo's EXIF: {fov_deg:.1f}°)",
        )
    }


def new_photo(session):
    """A new photo: forget the previous people, box and corner."""
    session = session_of(session)
    session.pending_corner = None
    return {"people_picker": gr.update(choices=[], value=[]), "box_text": "", "session": session}
