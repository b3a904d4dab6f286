"""The page: `build_demo()` lays out the tabs, then wires each event to a handler with a stable api_name.

Layout only; what happens on a click lives in app/tabs/ (compare, benchmark, live, video, setup). Every
component a handler reads or writes has a name in one dict; a handler returns {name: value} and `_wire`
gives Gradio the values in the order of the outputs it lists. Launch settings come from app/settings.py.

What the page shows follows what there is to show: the results area, tables and heat-maps appear after a run
that has content for them (a private `*_layout` event after each run), methods that cannot run are unticked
with a download button beside them, and the overlays sit in one row as wide as the page.
"""

from __future__ import annotations

import functools

import gradio as gr

from app import validate
from app.settings import CACHE_SWEEP, SESSION_TTL_S, settings_from_env
from app.state import close_session
from app.tabs import benchmark, compare, live, setup, video
from core.body_models.smpl_files import SMPL_LICENSE_URL
from core.geometry import DEFAULT_FOV_DEG
from core.methods import FIT, NETWORK_METHODS
from core.methods import method as method_row
from core.paths import EXAMPLES_DIR, data_root
from core.render.colors import dark_text_on, method_color, method_hex
from core.settings import AppSettings

TITLE = "hmr-compare: HMR, HybrIK, SPIN-GTA and a keypoint fit, side by side"
INTRO = (
    "Give a photo: every method reconstructs the **same detected person** and the results sit side by side, "
    "with their errors against MediaPipe's independent 2D landmarks."
)
# The browser grabs a webcam frame at this interval but skips ticks while a frame is being processed, so a
# short interval only removes idle waiting: frames arrive as fast as the server handles them.
LIVE_STREAM_EVERY_S = 0.05
EXAMPLES = (  # (file name prefix in assets/examples/, label)
    ("sport_skier_fullbody", "Skier (COCO, CC BY 2.0)"),
    ("group3_apollo11", "Apollo 11 crew (NASA, public domain)"),
    ("large_walking_3people", "Three people walking (White House, public domain)"),
    ("small_skier_crop", "Small crop (COCO, CC BY 2.0)"),
    ("portrait_grace_hopper", "Half body (U.S. Navy, public domain)"),
)
OVERLAY_HEIGHT = 430  # pixels: one row of overlays, each as wide as the page allows (click one to enlarge)
# How Gradio encodes the pictures it sends: its default, WebP, took 80 ms of CPU for a 1280 × 850 picture (a fifth
# of a Compare's CPU time with its ten pictures); JPEG takes 3 ms at about the same size and look.
PICTURE_FORMAT = "jpeg"
CSS = """
.legend-chip {display:inline-block; padding:2px 10px; margin:0 6px 4px 0; border-radius:10px; font-weight:600;}
#status-box {min-height: 2em;}
/* Result galleries: one row of cells as tall as the gallery, each picture as large as its cell allows. */
.result-gallery .grid-container {height: 100%; grid-auto-rows: 100%;}
.result-gallery .thumbnail-item {aspect-ratio: auto;}
/* Toasts: Gradio gathers the messages of one kind in one toast, newest last; only the newest is shown. */
.toast-messages > :not(:last-child), .toast-count {display: none !important;}
"""


def legend_html() -> str:
    chips = []
    for label, method in compare.METHOD_CHOICES:
        ink = "#000" if dark_text_on(method_color(method)) else "#fff"
        chips.append(f'<span class="legend-chip" style="background:{method_hex(method)};color:{ink}">{label}</span>')
    return '<div id="method-legend">' + "".join(chips) + "</div>"


def example_rows() -> tuple[list[list[str]], list[str]]:
    rows, labels = [], []
    for prefix, label in EXAMPLES:
        matches = sorted(EXAMPLES_DIR.glob(prefix + "*"))
        if matches:
            rows.append([str(matches[0])])
            labels.append(label)
    return rows, labels


def build_demo(settings: AppSettings | None = None) -> gr.Blocks:
    settings = settings or settings_from_env()
    compare.EXAMPLE_CACHE.size = 0 if settings.examples == "off" else 16
    c: dict[str, gr.components.Component] = {}  # every component a handler reads or writes, by name
    with validate.Page(title="hmr-compare", delete_cache=CACHE_SWEEP, fill_width=True) as demo:
        c["session"] = gr.State(None, time_to_live=SESSION_TTL_S, delete_callback=close_session)
        gr.Markdown(f"## {TITLE}\n{INTRO}")
        with gr.Tabs():
            with gr.Tab("Compare", id="compare"):
                _compare_tab(c)
            with gr.Tab("Benchmark", id="benchmark"):
                _benchmark_tab(c, settings)
            with gr.Tab("Live webcam", id="live"):
                _live_tab(c)
            with gr.Tab("Video", id="video"):
                _video_tab(c)
            with gr.Tab("Setup", id="setup"):
                _setup_tab(c, settings)
        _wire_compare(c)
        _wire_benchmark(c)
        _wire_live(c)
        _wire_video(c)
        _wire_setup(demo, c)
    return demo


# --------------------------------------------------------------------------- layout


def _compare_tab(c: dict) -> None:
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=360):
            c["image_input"] = gr.Image(
                label="Photo: upload, paste or webcam snapshot",
                type="filepath",
                sources=["upload", "clipboard", "webcam"],
                height=300,
                elem_id="image-input",
            )
            c["examples"] = _examples_block(c)  # Gradio's convention: the examples under the input
        with gr.Column(scale=3, min_width=360):
            c["method_checkboxes"] = gr.CheckboxGroup(
                setup.method_choices(), value=compare.default_methods(), label="Methods", elem_id="method-checkboxes"
            )
            with gr.Row():
                for method in NETWORK_METHODS:
                    c[f"inline_download_{method}"] = gr.Button(
                        f"Download {method_row(method).label} weights",
                        size="sm",
                        visible=not setup.method_available(method),
                        elem_id=f"inline-download-{method}",
                    )
            c["run_button"] = gr.Button("Compare", variant="primary", size="lg", elem_id="run-button")
            c["status"] = gr.Markdown("Pick an example or give a photo, then press **Compare**.", elem_id="status-box")
            gr.HTML(legend_html())
            with gr.Accordion("Options", open=False):
                c["fov_slider"] = gr.Slider(
                    *compare.FOV_RANGE, value=round(DEFAULT_FOV_DEG, 1), step=0.5, label=compare.FOV_LABEL
                )
                c["opacity_slider"] = gr.Slider(0.1, 1.0, value=0.8, step=0.05, label="Mesh opacity")
                c["keypoints_checkbox"] = gr.Checkbox(
                    False, label="Show keypoints (method joints + MediaPipe in white)"
                )
                c["side_view_checkbox"] = gr.Checkbox(True, label="Side views")
                c["refine_checkbox"] = gr.Checkbox(False, label="Refine with keypoints (each network + fit)")
    with gr.Column(visible=False) as c["results_column"]:
        c["overlay_gallery"] = gr.Gallery(
            label="Overlays: one per method, same person, same camera (click one to enlarge)",
            format=PICTURE_FORMAT,
            columns=compare.MAX_OVERLAY_COLUMNS,
            height=OVERLAY_HEIGHT,
            object_fit="contain",
            preview=False,
            allow_preview=True,
            elem_id="overlay-gallery",
            elem_classes=["result-gallery"],
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                gr.Markdown("**Detected people**: tick who to reconstruct, or click two corners to draw a box")
                c["people_image"] = gr.Image(
                    show_label=False,
                    interactive=False,
                    height=300,
                    elem_id="people-image",
                    buttons=["fullscreen"],
                    format=PICTURE_FORMAT,
                )
                c["people_picker"] = gr.CheckboxGroup([], value=[], label="Reconstruct (none ticked = everyone)")
                with gr.Row():
                    c["box_text"] = gr.Textbox(
                        "",
                        label="Box x0, y0, x1, y1 (pixels of the picture above)",
                        placeholder="e.g. 330, 30, 540, 420",
                        scale=3,
                    )
                    c["clear_box_button"] = gr.Button("Clear box", size="sm", scale=1)
            with gr.Column(scale=3):
                c["side_gallery"] = gr.Gallery(
                    label="Side views (seen from the right)",
                    format=PICTURE_FORMAT,
                    columns=compare.MAX_OVERLAY_COLUMNS,
                    height=360,
                    object_fit="contain",
                    elem_id="side-gallery",
                    elem_classes=["result-gallery"],
                )
        with gr.Row(visible=False, elem_id="scene-row") as c["scene_row"]:
            with gr.Column(scale=3):
                c["model_3d"] = gr.Model3D(
                    label="3D scene: meshes, the camera (small pyramid) and the photo behind them (GLB)",
                    height=480,
                    clear_color=(0.95, 0.95, 0.95, 1.0),
                    elem_id="model-3d",
                )
            with gr.Column(scale=1, min_width=240):
                c["model_methods"] = gr.CheckboxGroup([], label="Methods in the 3D scene")
                c["bundle_button"] = gr.Button("Prepare zip: overlays, meshes, parameters")
                c["bundle_file"] = gr.File(label="Download", interactive=False, visible=False)
                c["timings_table"] = gr.Dataframe(label="Timings (seconds)", interactive=False)
        with gr.Column(visible=False) as c["differences_column"]:
            _differences(c)


def _differences(c: dict) -> None:
    gr.Markdown("### How the methods differ")
    c["detail_person"] = gr.Dropdown([], label="Person", interactive=True)
    c["error_plot"] = gr.Plot(label="Per-joint error against MediaPipe's landmarks")
    with gr.Row():
        c["error_table"] = gr.Dataframe(
            label="Per-joint 2D error (pixels) vs MediaPipe", interactive=False, max_height=360, elem_id="error-table"
        )
        c["disagreement_table"] = gr.Dataframe(
            label="Method vs method: mean joint distance after alignment (mm)",
            interactive=False,
            elem_id="disagreement-table",
        )
    with gr.Column(visible=False) as c["heatmap_row"]:
        with gr.Row():
            c["heatmap_a"] = gr.Dropdown([], label="Heat-map: method A", interactive=True)
            c["heatmap_b"] = gr.Dropdown([], label="vs method B (mesh shown)", interactive=True)
        c["heatmap_image"] = gr.Image(
            label="Per-vertex difference",
            interactive=False,
            height=400,
            elem_id="heatmap-image",
            format=PICTURE_FORMAT,
        )
        c["heatmap_note"] = gr.Markdown()


def _examples_block(c: dict) -> gr.Examples | None:
    rows, labels = example_rows()
    if not rows:
        return None
    return gr.Examples(
        rows,
        inputs=[c["image_input"]],
        cache_examples=False,  # cached per files used instead, by compare.EXAMPLE_CACHE
        api_visibility="private",  # Gradio's own loader of the clicked example: the page's, not an API endpoint
        example_labels=labels,
        label="Examples (click one: it runs with the ticked methods)",
        examples_per_page=10,
    )


def _benchmark_tab(c: dict, settings: AppSettings) -> None:
    gr.Markdown(
        "Samples with **3D ground truth**: the bundled synthetic bodies, or real 3DPW test frames when "
        "you point at a 3DPW folder in mmhuman3d's layout."
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=320):
            c["benchmark_source"] = gr.Radio(benchmark.SOURCES, value=benchmark.SOURCES[0], label="Samples")
            c["pw3d_folder"] = gr.Textbox(
                "" if settings.on_space else str(data_root()),
                label="3DPW data folder (holds preprocessed_datasets/; under the data folders)",
                placeholder="not on a public Space" if settings.on_space else "",
                interactive=not settings.on_space,
            )
            c["benchmark_load_button"] = gr.Button("Load samples")
            c["benchmark_sample"] = gr.Dropdown([], label="Sample", interactive=True)
            c["benchmark_methods"] = gr.CheckboxGroup(
                compare.METHOD_CHOICES, value=compare.default_methods(), label="Methods"
            )
            with gr.Row():
                c["benchmark_run_button"] = gr.Button("Score this sample", variant="primary")
                c["benchmark_all_button"] = gr.Button(f"Score all listed (up to {benchmark.sets.MAX_SCORED_AT_ONCE})")
            c["benchmark_status"] = gr.Markdown(elem_id="benchmark-status")
            with gr.Accordion("Protocol card", open=False):
                gr.Markdown(benchmark.PROTOCOL_CARD)
        with gr.Column(scale=3):
            gr.HTML(benchmark.legend_html())
            with gr.Column(visible=False) as c["benchmark_results"]:
                c["benchmark_gallery"] = gr.Gallery(
                    label="Overlays (click one to enlarge)",
                    format=PICTURE_FORMAT,
                    columns=compare.MAX_OVERLAY_COLUMNS,
                    height=OVERLAY_HEIGHT,
                    object_fit="contain",
                    elem_id="benchmark-gallery",
                    elem_classes=["result-gallery"],
                )
                c["benchmark_truth_gallery"] = gr.Gallery(
                    label="Against the ground truth (grey), pelvises together as MPJPE compares them: the camera's "
                    "view and the view from its right",
                    format=PICTURE_FORMAT,
                    columns=compare.MAX_OVERLAY_COLUMNS,
                    height=OVERLAY_HEIGHT,
                    object_fit="contain",
                    elem_id="benchmark-truth-gallery",
                    elem_classes=["result-gallery"],
                )
                c["benchmark_summary"] = gr.Dataframe(
                    label="Per method (mm): MPJPE, PA-MPJPE, PVE", interactive=False, elem_id="benchmark-summary"
                )
                c["benchmark_joints"] = gr.Dataframe(label="Per joint (mm), 14 LSP joints", interactive=False)


def _live_tab(c: dict) -> None:
    gr.Markdown("One method on the live webcam stream (the first person in view).")
    with gr.Row():
        c["webcam_input"] = gr.Image(sources=["webcam"], streaming=True, type="numpy", label="Webcam")
        c["live_output"] = gr.Image(label="Live result", interactive=False, format=PICTURE_FORMAT)
    c["live_method"] = gr.Radio(compare.METHOD_CHOICES, value=FIT, label="Method")
    c["live_status"] = gr.Markdown()
    # /live_frame for API clients: one frame in, that frame with the mesh out (the stream is the browser's).
    c["live_api_frame"] = gr.Image(type="filepath", visible=False)
    c["live_api_button"] = gr.Button(visible=False)


def _video_tab(c: dict) -> None:
    gr.Markdown(
        "One method on a video: the person (or everyone, each with their own number) is followed from "
        "frame to frame and the pose smoothed over time. Watch the result, and download the motion as BVH "
        "(SMPL's skeleton, for Blender and other animation tools) and the per-frame parameters."
    )
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            c["video_input"] = gr.Video(label="Video", sources=["upload"], elem_id="video-input")
            c["video_method"] = gr.Radio(compare.METHOD_CHOICES, value=FIT, label="Method")
            c["video_people"] = gr.Radio(video.PEOPLE_CHOICES, value=video.ONE, label="People", elem_id="video-people")
            c["video_smooth"] = gr.Slider(
                *video.SMOOTH_RANGE, value=5, step=2, label="Smoothing window (frames; 1 = none)"
            )
            c["video_max_frames"] = gr.Slider(
                10,
                video.FRAMES_RANGE[1],
                value=video.DEFAULT_MAX_FRAMES,
                step=10,
                label="Frames to process, from the start",
            )
            c["video_button"] = gr.Button("Run on the video", variant="primary", elem_id="video-button")
        with gr.Column(scale=2):
            c["video_status"] = gr.Markdown("Upload a clip, then press **Run on the video**.", elem_id="video-status")
            with gr.Column(visible=False) as c["video_results"]:
                c["video_output"] = gr.Video(label="Result", interactive=False, elem_id="video-output")
                c["video_files"] = gr.File(
                    label="Motion (BVH) and parameters (npz)", file_count="multiple", interactive=False
                )
            c["video_pick"] = gr.CheckboxGroup([], label="People to export", visible=False, elem_id="video-pick")
            with gr.Column(visible=False) as c["video_export_column"]:
                c["video_export"] = gr.Button("Export the chosen people", elem_id="video-export")
                c["video_export_files"] = gr.File(
                    label="Chosen people: BVH and parameters",
                    file_count="multiple",
                    interactive=False,
                    elem_id="video-export-files",
                )
                c["video_export_status"] = gr.Markdown(elem_id="video-export-status")


def _setup_tab(c: dict, settings: AppSettings) -> None:
    c["environment_md"] = gr.Markdown()
    gr.Markdown("### Methods: the checkpoint each one runs with")
    c["methods_md"] = gr.Markdown(elem_id="methods-md")
    with gr.Row():
        for method in NETWORK_METHODS:
            c[f"download_{method}"] = gr.Button(f"Download {method_row(method).label} checkpoint")
    with gr.Accordion("Your own checkpoint (e.g. from python -m train.run)", open=False):
        gr.Markdown(
            "Run a method with your own weights instead of the official ones: it is then labelled “custom” "
            "wherever it appears (overlays, tables, 3D scene, files). Until you go back, it is used for every "
            "session of this app."
        )
        c["own_method"] = gr.Radio(setup.NETWORK_CHOICES, value=NETWORK_METHODS[0], label="Method")
        with gr.Row():
            c["own_path"] = gr.Textbox(
                "",
                label="A .pth file on this machine (under the data folders or HMRC_APP_ROOTS)",
                placeholder="not on a public Space" if settings.on_space else "e.g. runs/hmr/epoch_10.pth",
                interactive=not settings.on_space,
                scale=3,
                elem_id="own-path",
            )
            c["own_path_button"] = gr.Button("Use this file", scale=1, interactive=not settings.on_space)
        with gr.Row():
            c["own_upload"] = gr.File(
                label="or upload one", file_types=[".pth", ".pt"], interactive=not settings.on_space, scale=3
            )
            c["own_upload_button"] = gr.Button("Use the uploaded file", scale=1, interactive=not settings.on_space)
        c["own_clear_button"] = gr.Button("Back to the official checkpoint")
        c["own_status"] = gr.Markdown(elem_id="own-status")
    gr.Markdown("### SMPL body model")
    c["smpl_license_checkbox"] = gr.Checkbox(
        False, label=f"I have read and accept the SMPL licence ({SMPL_LICENSE_URL}): non-commercial research"
    )
    c["smpl_download_button"] = gr.Button("Download the SMPL neutral model")
    c["download_status"] = gr.Markdown()
    c["weights_table"] = gr.Dataframe(label="Other files", interactive=False, wrap=True)


# --------------------------------------------------------------------------- events


def by_position(handler, outputs: tuple[str, ...]):
    """`handler` returns {component name: value}; Gradio wants the values in the order of `outputs`. A handler
    that leaves out a name or adds one fails at once, naming them. The signature stays the handler's (the API's
    parameter names, gr.Progress and event-data arguments)."""

    @functools.wraps(handler)
    def run(*args, **kwargs):
        values = handler(*args, **kwargs)
        if set(values) != set(outputs):
            raise KeyError(f"{handler.__name__} returned {sorted(values)}; the page expects {sorted(outputs)}")
        return values[outputs[0]] if len(outputs) == 1 else tuple(values[name] for name in outputs)

    return run


def _wire(c: dict, event, handler, inputs: tuple[str, ...], outputs: tuple[str, ...], **options):
    return event(by_position(handler, outputs), [c[name] for name in inputs], [c[name] for name in outputs], **options)


def _private(c: dict, event, handler, inputs: tuple[str, ...], outputs: tuple[str, ...], **options):
    """A page-only event (layout, upload checks): not an API endpoint."""
    return _wire(c, event, handler, inputs, outputs, api_visibility="private", **options)


ANALYSIS_INPUTS = (
    "image_input",
    "method_checkboxes",
    "fov_slider",
    "opacity_slider",
    "keypoints_checkbox",
    "side_view_checkbox",
    "refine_checkbox",
    "people_picker",
    "box_text",
)


def _wire_compare(c: dict) -> None:
    inputs, session = ANALYSIS_INPUTS, ("session",)
    progress = {"show_progress_on": [c["status"]]}  # queue position, estimate and progress next to the button
    # preprocess=False: the handlers read the uploaded file themselves, so a broken upload gets core.image_io's
    # message instead of Gradio's generic error, and every argument is checked by app.validate.
    revealed = _private(c, c["run_button"].click, compare.reveal_results, (), compare.REVEALED, queue=False)
    ran = _wire(
        c,
        revealed.then,
        compare.analyse_photo,
        inputs + session,
        compare.ANALYSE_OUTPUTS + session,
        api_name="compare",
        preprocess=False,
        **progress,
    )
    _private(c, ran.then, compare.result_layout, session, compare.LAYOUT_OUTPUTS)
    if c["examples"] is not None:
        revealed = _private(c, c["examples"].load_input_event.then, compare.reveal_results, (), compare.REVEALED)
        example = _private(
            c,
            revealed.then,
            compare.analyse_example,
            inputs + session,
            compare.ANALYSE_OUTPUTS + session,
            preprocess=False,
            **progress,
        )
        _private(c, example.then, compare.result_layout, session, compare.LAYOUT_OUTPUTS)
    _private(
        c, c["image_input"].change, compare.photo_field_of_view, ("image_input",), ("fov_slider",), preprocess=False
    )
    _private(
        c,
        c["image_input"].upload,
        compare.check_upload,
        ("image_input",) + session,
        ("image_input", "status", "people_picker", "box_text") + session,
        preprocess=False,
    )
    _private(c, c["people_image"].select, compare.pick_corner, session, ("box_text", "status") + session)
    _private(c, c["clear_box_button"].click, compare.clear_box, session, ("box_text", "status") + session)
    _wire(
        c,
        c["model_methods"].input,
        compare.show_in_3d,
        inputs + ("model_methods",) + session,
        ("model_3d",) + session,
        api_name="show_in_3d",
        preprocess=False,
    )
    _wire(
        c,
        c["detail_person"].input,
        compare.show_person,
        inputs + ("detail_person",) + session,
        compare.DETAIL_OUTPUTS + session,
        api_name="person_details",
        preprocess=False,
    )
    heatmap_pair = functools.partial(gr.on, [c["heatmap_a"].input, c["heatmap_b"].input])
    _wire(
        c,
        heatmap_pair,
        compare.show_heatmap,
        inputs + ("detail_person", "heatmap_a", "heatmap_b") + session,
        ("heatmap_image", "heatmap_note") + session,
        api_name="heatmap",
        preprocess=False,
    )
    bundled = _wire(
        c,
        c["bundle_button"].click,
        compare.make_bundle,
        inputs + session,
        ("bundle_file",) + session,
        api_name="bundle",
        preprocess=False,
    )
    _private(c, bundled.success, compare.show_bundle, (), ("bundle_file",))


def _wire_benchmark(c: dict) -> None:
    session = ("session",)
    _wire(
        c,
        c["benchmark_load_button"].click,
        benchmark.load_benchmark,
        ("benchmark_source", "pw3d_folder") + session,
        ("benchmark_sample", "benchmark_status") + session,
        api_name="benchmark_load",
        preprocess=False,
    )
    scored = _wire(
        c,
        c["benchmark_run_button"].click,
        benchmark.run_benchmark,
        ("benchmark_sample", "benchmark_methods", "fov_slider") + session,
        ("benchmark_gallery", "benchmark_truth_gallery", "benchmark_summary", "benchmark_joints", "benchmark_status")
        + session,
        api_name="benchmark_score",
        preprocess=False,
    )
    averaged = _wire(
        c,
        c["benchmark_all_button"].click,
        benchmark.run_all,
        ("benchmark_methods", "fov_slider") + session,
        ("benchmark_summary", "benchmark_status") + session,
        api_name="benchmark_all",
        preprocess=False,
    )
    for event in (scored, averaged):
        _private(c, event.then, benchmark.result_layout, session, benchmark.LAYOUT_OUTPUTS)


def _wire_live(c: dict) -> None:
    _wire(
        c,
        c["webcam_input"].stream,
        live.live_frame,
        ("webcam_input", "live_method", "session"),
        ("live_output", "live_status", "session"),
        stream_every=LIVE_STREAM_EVERY_S,
        time_limit=300,
        concurrency_limit=1,
        api_name="live_stream",
        api_visibility="private",  # a webcam stream comes from the page only; API clients call /live_frame
    )
    _wire(
        c,
        c["live_api_button"].click,
        live.one_frame,
        ("live_api_frame", "live_method"),
        ("live_output", "live_status"),
        api_name="live_frame",
        preprocess=False,
    )


def _wire_video(c: dict) -> None:
    ran = _wire(
        c,
        c["video_button"].click,
        video.run_video,
        ("video_input", "video_method", "video_smooth", "video_max_frames", "video_people", "session"),
        ("video_output", "video_files", "video_status", "video_pick", "session"),
        api_name="video",
        concurrency_limit=1,  # a clip holds the CPU for minutes: one at a time
        preprocess=False,
    )
    _private(c, ran.then, video.result_layout, ("session",), video.LAYOUT_OUTPUTS)
    _wire(
        c,
        c["video_export"].click,
        video.export_people,
        ("video_pick", "session"),
        ("video_export_files", "video_export_status", "session"),
        api_name="video_export",
        preprocess=False,
    )


def _wire_setup(demo: gr.Blocks, c: dict) -> None:
    refreshed = setup.REFRESHED
    _wire(c, demo.load, setup.refresh, (), refreshed, api_name="setup_refresh")
    for method in NETWORK_METHODS:
        _wire(
            c,
            c[f"download_{method}"].click,
            setup.download_handler(method),
            (),
            ("download_status",) + refreshed,
            api_name=f"download_{method}",
        )
        _private(
            c,
            c[f"inline_download_{method}"].click,
            setup.download_handler(method),
            (),
            ("download_status",) + refreshed,
            show_progress_on=[c["status"]],
        )
    _wire(
        c,
        c["smpl_download_button"].click,
        setup.download_smpl,
        ("smpl_license_checkbox",),
        ("download_status",) + refreshed,
        api_name="download_smpl",
        preprocess=False,
    )
    own = ("own_status",) + refreshed
    _wire(
        c,
        c["own_path_button"].click,
        setup.use_own_path,
        ("own_method", "own_path"),
        own,
        api_name="own_checkpoint",
        preprocess=False,
    )
    _wire(
        c,
        c["own_upload_button"].click,
        setup.use_own_upload,
        ("own_method", "own_upload"),
        own,
        api_name="own_checkpoint_upload",
        preprocess=False,
    )
    _wire(
        c,
        c["own_clear_button"].click,
        setup.forget_own,
        ("own_method",),
        own,
        api_name="own_checkpoint_clear",
        preprocess=False,
    )


def queue_options(settings: AppSettings) -> dict:
    return {"default_concurrency_limit": settings.concurrency, "max_size": settings.queue_size}


def launch_options(settings: AppSettings) -> dict:
    """launch() arguments: bind address, the one folder served besides the app's own files, upload limit, look."""
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "allowed_paths": [str(EXAMPLES_DIR)],
        "max_file_size": int(settings.max_upload_mb * 1024 * 1024),
        "theme": gr.themes.Soft(),
        "css": CSS,
        "show_error": True,
    }
