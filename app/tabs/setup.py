"""The Setup tab: what this machine runs on, which weights are present, and downloads through core.weights.

A method whose checkpoint is missing stays visible as unavailable; its download button fetches it with
progress, and offline the message names the URL and the folder to put the file in. The SMPL model is
fetched only after the licence box is ticked.
"""

from __future__ import annotations

import gradio as gr
import pandas as pd
import torch

from core import weights
from core.body_models.load import describe_body_model
from core.body_models.smpl import REGRESSOR_FILES
from core.methods import FIT, METHODS, NETWORK_METHODS, checkpoint_path, method
from core.pipeline import inference
from core.render import renderer_info

SHOWN_FILES = tuple(
    dict.fromkeys(
        [method(m).checkpoint for m in NETWORK_METHODS]
        + [*REGRESSOR_FILES.values(), weights.SMPL_NEUTRAL_DOWNLOAD, "SMPL_NEUTRAL.pkl"]
    )
)
BODY_MODEL_MEANING = {
    "smpl": "Meshes, joints and errors use SMPL, as in the papers: numbers compare with mmhuman3d's.",
    "open": (
        "SMPL's files are licensed and not shipped, so an openly licensed stand-in body with SMPL's joint "
        "layout is used. Poses are the methods' own; shapes (betas) are not transferred, so meshes look "
        "generic and vertex-level numbers (PVE, heat-maps) are not comparable with the papers."
    ),
}


def method_choices() -> list[tuple[str, str]]:
    """(label, value) pairs for the method checkboxes; unavailable methods say so in their label."""
    choices = []
    for row in METHODS:
        present = not row.checkpoint or weights.method_available(row.id)[0] or checkpoint_path(row.id).is_file()
        choices.append((row.label if present else f"{row.label} (no checkpoint: see Setup)", row.id))
    return choices


def device_text() -> str:
    if torch.cuda.is_available():
        return f"GPU: {torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})"
    return f"CPU ({torch.get_num_threads()} threads); no GPU found"


def body_model_text() -> str:
    try:
        model = inference.default_body_model()
    except Exception as problem:  # the panel must render even when no body model can be loaded
        return f"No body model could be loaded: {problem}"
    return f"{describe_body_model(model)}\n\n{BODY_MODEL_MEANING.get(model.kind, '')}"


def environment_markdown() -> str:
    """Device, renderer, body model in use and what it means."""
    body = body_model_text().replace("\n", "  \n")
    return f"**Device:** {device_text()}  \n**Renderer:** {renderer_info()}  \n**Body model:** {body}"


def weights_table() -> pd.DataFrame:
    rows = [weights.file_status(weights.FILES[name]) for name in SHOWN_FILES]
    return pd.DataFrame(
        {
            "file": [r.name for r in rows],
            "what": [r.what for r in rows],
            "state": [r.state for r in rows],
            "where": [str(r.path) for r in rows],
        }
    )


def methods_markdown() -> str:
    """One line per method: ready, or what is missing and how to get it."""
    lines = []
    for method_id in NETWORK_METHODS:
        available, note = weights.method_available(method_id)
        present = checkpoint_path(method_id).is_file()
        state = "ready" if available else ("present (unverified)" if present else "unavailable")
        detail = "" if available else f"\n  {note}".replace("\n", "\n  ")
        lines.append(f"- **{method(method_id).label}**: {state}{detail}")
    lines.append(f"- **{method(FIT).label}**: always available (MediaPipe landmarks + body model)")
    return "\n".join(lines)


REFRESHED = ("environment_md", "methods_md", "weights_table", "method_checkboxes")


def refresh() -> dict:
    """Setup tab contents and the method checkbox labels (after a download, or on page load), REFRESHED by name."""
    return {
        "environment_md": environment_markdown(),
        "methods_md": methods_markdown(),
        "weights_table": weights_table(),
        "method_checkboxes": gr.update(choices=method_choices()),
    }


def download_method(method: str, progress) -> dict:
    """Fetch a method's checkpoint and regressors; returns a message and the refreshed Setup tab."""
    if method not in NETWORK_METHODS:
        raise gr.Error(f"Unknown method {method!r}: choose one of {', '.join(NETWORK_METHODS)}.")
    message = _fetch(method, False, progress)
    inference.clear_cache()
    return {"download_status": message, **refresh()}


def download_handler(method: str):
    """The click handler of one method's download button (Gradio shows progress through gr.Progress)."""

    def download(progress=gr.Progress()):
        return download_method(method, progress)

    download.__name__ = f"download_{method}"
    return download


def download_smpl(accepted: bool, progress=gr.Progress()):
    """Fetch the SMPL neutral model, only after the licence box was ticked."""
    if not accepted:
        message = "Tick the box to accept the SMPL licence first. " + weights.smpl_license_message()
        gr.Warning("Accept the SMPL licence first.")
        return {"download_status": message, **refresh()}
    message = _fetch(weights.SMPL_NEUTRAL_DOWNLOAD, True, progress)
    inference.clear_cache()  # the next analysis loads SMPL instead of the open model
    return {"download_status": message, **refresh()}


def _fetch(name: str, accept_smpl_license: bool, progress) -> str:
    def report(file_name: str, done: int, total: int | None) -> None:
        progress((done, total) if total else None, desc=f"{file_name}: {done / 1e6:.0f} MB", unit="bytes")

    try:
        paths = weights.fetch(name, progress=report, accept_smpl_license=accept_smpl_license)
    except weights.WeightsError as problem:
        gr.Warning(f"Download of {name} failed: see the message in the Setup tab.")
        return f"**Download failed.**\n\n```\n{problem}\n```"
    return "**Downloaded:** " + ", ".join(f"`{p}`" for p in paths)
