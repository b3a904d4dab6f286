"""The Benchmark tab: the methods scored against 3D ground truth on a benchmark set (core.evaluation.benchmark):
the bundled synthetic samples, or a 3DPW folder the user points at (only under the data folders, never on a
public Space: app.validate.server_path)."""

from __future__ import annotations

import gradio as gr

from app import validate
from app.report import shown_if
from app.state import session_of
from app.tabs.compare import MAX_OVERLAY_COLUMNS
from core.evaluation import benchmark as sets
from core.geometry import DEFAULT_FOV_DEG
from core.methods import METHODS
from core.outputs.pictures import against_truth, render_views
from core.render.colors import GROUND_TRUTH, dark_text_on, method_color, method_hex
from core.settings import app_settings

FOV_RANGE = (20.0, 120.0)

PROTOCOL_CARD = """**How these numbers are computed** (mmhuman3d's 3DPW protocol, `core.evaluation.pw3d`)
- **MPJPE**: mean distance (mm) between predicted and true joints over the 14 LSP joints, taken from the
  17 H36M joints that `J_regressor_h36m` regresses from each mesh, after putting both pelvises at the origin.
- **PA-MPJPE**: the same after a Procrustes (similarity: scale, rotation, translation) alignment of each
  prediction onto its ground truth: it scores the pose alone.
- **PVE**: mean vertex distance (mm) between the predicted and the true mesh, no alignment.
- Ground truth: 3DPW uses the gendered SMPL models (male/female), the synthetic samples the body model
  that rendered them (the open model). Predictions are posed by the neutral model.
- Here each method runs as in the Compare tab, on the ground-truth box with the app's camera (field of view),
  one frame at a time: HybrIK does not get 3DPW's true root depth and intrinsics, so its numbers are the
  in-the-wild ones, not the paper's ({published} mm MPJPE / PA-MPJPE on all 35,515 frames).""".format(
    published=", ".join(
        f"{m.label} {m.published_3dpw_mm[0]:.2f} / {m.published_3dpw_mm[1]:.2f}" for m in METHODS if m.published_3dpw_mm
    )
)


SOURCES = ("Bundled synthetic samples", "3DPW folder")


TRUTH_PICTURE_SIZE = (480, 480)  # (height, width): the camera's view and the view from its right, side by side


def legend_html() -> str:
    """Colour chips: each method's mesh colour, and the ground truth's (drawn with each method, pelvises together)."""
    chips = [(m.label, m.id) for m in METHODS] + [("Ground truth", GROUND_TRUTH)]
    spans = []
    for label, key in chips:
        ink = "#000" if dark_text_on(method_color(key)) else "#fff"
        spans.append(f'<span class="legend-chip" style="background:{method_hex(key)};color:{ink}">{label}</span>')
    return '<div id="benchmark-legend">' + "".join(spans) + "</div>"


LAYOUT_OUTPUTS = ("benchmark_results", "benchmark_gallery", "benchmark_truth_gallery", "benchmark_joints")


def result_layout(session) -> dict:
    """What the last scoring put on the page is visible: one sample's overlays and tables, or the means alone."""
    shown = session.benchmark_shown if hasattr(session, "benchmark_shown") else None
    columns = max(1, min(getattr(session, "benchmark_methods", 0), MAX_OVERLAY_COLUMNS))
    return {
        "benchmark_results": gr.update(visible=shown_if(shown is not None)),
        "benchmark_gallery": gr.update(visible=shown_if(shown == "sample"), columns=columns),
        "benchmark_truth_gallery": gr.update(visible=shown_if(shown == "sample"), columns=columns),
        "benchmark_joints": gr.update(visible=shown_if(shown == "sample")),
    }


def load_benchmark(source, folder, session):
    """Open the chosen sample set for this session; returns the sample picker, a message and the session."""
    session = session_of(session)
    source = validate.choice(source, "source", SOURCES)
    folder = validate.server_path(folder, "folder", app_settings()) if source == SOURCES[1] else None
    try:
        benchmark = sets.bundled_set() if folder is None else sets.pw3d_set(folder)
    except (FileNotFoundError, ValueError) as problem:  # said in the status line
        return {
            "benchmark_sample": gr.update(choices=[], value=None),
            "benchmark_status": f"**{problem}**",
            "session": session,
        }
    session.benchmark = benchmark
    choices = sets.sample_choices(benchmark)
    return {
        "benchmark_sample": gr.update(choices=choices, value=choices[0][1]),
        "benchmark_status": f"{benchmark.name}: {len(benchmark)} samples ({len(choices)} listed). {benchmark.note}",
        "session": session,
    }


def run_benchmark(sample, methods, fov_deg, session):
    """Score the methods on one sample: overlays, each method against the ground truth, summary and per-joint
    tables, a message."""
    session = session_of(session)
    benchmark = session.benchmark
    if benchmark is None:
        raise validate.Refused("Load a sample set first (Load samples, or /benchmark_load).")
    listed = [i for _, i in sets.sample_choices(benchmark)]
    index = validate.choice(sample, "sample", listed)
    chosen = validate.methods(methods)
    fov_deg = DEFAULT_FOV_DEG if fov_deg is None else validate.number(fov_deg, "fov_deg", *FOV_RANGE)
    scores = sets.evaluate_sample(benchmark, int(index), chosen, fov_deg)
    session.benchmark_shown = "sample" if scores.result.people else None
    session.benchmark_methods = len(scores.result.methods)
    views = render_views(scores.result, side_view=False) if scores.result.people else None
    gallery = [(picture, scores.result.label(m)) for m, picture in views.overlays.items()] if views else []
    truth = (
        against_truth(scores.result, scores.truth.vertices, scores.truth.faces, *TRUTH_PICTURE_SIZE)
        if scores.truth is not None
        else {}
    )
    return {
        "benchmark_gallery": gallery,
        "benchmark_truth_gallery": [
            (picture, f"{scores.result.label(m)} vs ground truth") for m, picture in truth.items()
        ],
        "benchmark_summary": scores.summary,
        "benchmark_joints": scores.per_joint,
        "benchmark_status": scores.message,
        "session": session,
    }


def run_all(methods, fov_deg, session):
    """Mean MPJPE / PA-MPJPE / PVE per method over the listed samples (at most MAX_SCORED_AT_ONCE)."""
    session = session_of(session)
    benchmark = session.benchmark
    if benchmark is None:
        raise validate.Refused("Load a sample set first (Load samples, or /benchmark_load).")
    chosen = validate.methods(methods)
    fov_deg = DEFAULT_FOV_DEG if fov_deg is None else validate.number(fov_deg, "fov_deg", *FOV_RANGE)
    summary, scored, tried = sets.score_listed(benchmark, chosen, fov_deg)
    session.benchmark_shown = "all" if summary is not None else None
    message = (
        f"{benchmark.name}: means over {scored} of {tried} samples."
        if summary is not None
        else "No sample could be scored (nobody found in the boxes)."
    )
    return {"benchmark_summary": summary, "benchmark_status": message, "session": session}
