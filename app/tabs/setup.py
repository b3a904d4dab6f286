"""The Setup tab: what this machine runs on, which checkpoint each method runs with, downloads, and your own checkpoints.

Every file has one state, said once: the checkpoint of each method in the Methods list (verified, missing, partly
downloaded, refused because its content is not the published file, or your own), the other files in the Files
table. A method whose checkpoint is missing stays visible as unavailable; its download button fetches it with
progress, and offline the message names the URL and the folder to put the file in. The SMPL model is fetched
only after the licence box is ticked. Your own checkpoint (a path on this machine, under the data folders, or an
upload) replaces the official one for everyone using this app until you go back; on a public Space only the
owner can set one (HMRC_CHECKPOINT_<METHOD>).
"""

from __future__ import annotations

import shutil

import gradio as gr
import pandas as pd
import torch

from app import validate
from app.settings import app_temp_root
from core import checkpoints, weights
from core.body_models.load import describe_body_model
from core.body_models.smpl import REGRESSOR_FILES
from core.file_hash import sha256_of
from core.methods import FIT, METHODS, NETWORK_METHODS
from core.methods import method as method_row
from core.networks.checkpoint import CheckpointError
from core.pipeline import inference
from core.render import renderer_info
from core.settings import app_settings

OTHER_FILES = tuple(dict.fromkeys([*REGRESSOR_FILES.values(), weights.SMPL_NEUTRAL_DOWNLOAD, "SMPL_NEUTRAL.pkl"]))
BODY_MODEL_MEANING = {
    "smpl": "Meshes, joints and errors use SMPL, as in the papers: numbers compare with mmhuman3d's.",
    "open": (
        "SMPL's files are licensed and not shipped, so an openly licensed stand-in body with SMPL's joint "
        "layout is used. Poses are the methods' own; shapes (betas) are not transferred, so meshes look "
        "generic and vertex-level numbers (PVE, heat-maps) are not comparable with the papers."
    ),
}
NETWORK_CHOICES = [(method_row(m).label, m) for m in NETWORK_METHODS]
OWN_UPLOADS = "own_checkpoints"  # folder in the app's temporary folder that keeps uploaded checkpoints


def checkpoint_state(method_id: str) -> tuple[str, str]:
    """(state, detail) of the checkpoint `method_id` runs with: one word, said the same everywhere on the page."""
    choice = checkpoints.checkpoint_for(method_id)
    if choice.custom:
        if not choice.path.is_file():
            return "missing", f"your own checkpoint {choice.path} ({choice.source}) is not there"
        return "custom", f"your own checkpoint, not checked against a published hash ({choice.source})"
    row = weights.file_status(weights.FILES[method_row(method_id).checkpoint])
    return row.state, row.detail


def method_available(method_id: str) -> bool:
    """Whether the method can run now (its checkpoint is in place and sound, or it needs none)."""
    return method_id == FIT or checkpoint_state(method_id)[0] in ("verified", "custom")


def method_choices() -> list[tuple[str, str]]:
    """(label, value) pairs for the method checkboxes: custom checkpoints and unavailable methods say so."""
    choices = []
    for row in METHODS:
        if row.id == FIT:
            choices.append((row.label, row.id))
            continue
        state, _ = checkpoint_state(row.id)
        suffix = {
            "verified": "",
            "custom": f" ({checkpoints.CUSTOM_TAG})",
            "hash mismatch": " (refused: not the published file, see Setup)",
        }.get(state, " (no checkpoint: download it below)")
        choices.append((row.label + suffix, row.id))
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
    """The files besides the checkpoints (those are in the Methods list), one state each."""
    rows = [weights.file_status(weights.FILES[name]) for name in OTHER_FILES]
    return pd.DataFrame(
        {
            "file": [r.name for r in rows],
            "what": [r.what for r in rows],
            "state": [r.state for r in rows],
            "where": [str(r.path) for r in rows],
        }
    )


def methods_markdown() -> str:
    """One line per method: the file it runs with and that file's one state (with what to do when it cannot run)."""
    lines = []
    for method_id in NETWORK_METHODS:
        choice = checkpoints.checkpoint_for(method_id)
        state, detail = checkpoint_state(method_id)
        label = method_row(method_id).label
        file = f"your own checkpoint `{choice.path}`" if choice.custom else f"`{choice.path.name}`"
        line = f"- **{label}** runs with {file}: **{state}**"
        if state == "verified":
            line += " (sha256 matches the published prefix)."
        elif state == "custom":
            line += f", labelled “{choice.label}” wherever it appears ({choice.source})."
        elif state == "hash mismatch":
            line += f".\n  {detail}"
        else:
            line += f". {detail + '. ' if detail else ''}Download it with the button below, or `python -m core.weights fetch {method_id}`."
        lines.append(line)
    lines.append(f"- **{method_row(FIT).label}**: always available (MediaPipe landmarks + body model).")
    return "\n".join(lines)


REFRESHED = (
    "environment_md",
    "methods_md",
    "weights_table",
    "method_checkboxes",
    *(f"inline_download_{m}" for m in NETWORK_METHODS),
)


def refresh() -> dict:
    """Setup tab contents, the method checkboxes (labels; the methods that can run ticked) and the Compare tab's
    inline download buttons (shown for methods without a usable checkpoint), REFRESHED by name."""
    from app.tabs.compare import default_methods

    return {
        "environment_md": environment_markdown(),
        "methods_md": methods_markdown(),
        "weights_table": weights_table(),
        "method_checkboxes": gr.update(choices=method_choices(), value=default_methods()),
        **{f"inline_download_{m}": gr.update(visible=not method_available(m)) for m in NETWORK_METHODS},
    }


def download_method(method_id: str, progress) -> dict:
    """Fetch a method's checkpoint and regressors; returns a message and the refreshed Setup tab."""
    if method_id not in NETWORK_METHODS:
        raise validate.Refused(f"Unknown method {method_id!r}: choose one of {', '.join(NETWORK_METHODS)}.")
    message = _fetch(method_id, False, progress)
    inference.clear_cache()
    return {"download_status": message, **refresh()}


def download_handler(method_id: str):
    """The click handler of one method's download button (Gradio shows progress through gr.Progress)."""

    def download(progress=gr.Progress()):
        return download_method(method_id, progress)

    download.__name__ = f"download_{method_id}"
    return download


def download_smpl(accepted, progress=gr.Progress()):
    """Fetch the SMPL neutral model, only after the licence box was ticked."""
    if not validate.flag(accepted, "accepted"):
        message = "Tick the box to accept the SMPL licence first. " + weights.smpl_license_message()
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


# ---------------------------------------------------------------- your own checkpoints


def use_own_path(method, path):
    """Run a method with your own checkpoint from a path on this machine (under the data folders)."""
    method_id = validate.choice(method, "method", NETWORK_METHODS)
    file = validate.server_path(path, "path", app_settings())
    return _use_own(method_id, file, f"`{file}`")


def use_own_upload(method, upload):
    """Run a method with an uploaded checkpoint (kept in the app's temporary folder)."""
    method_id = validate.choice(method, "method", NETWORK_METHODS)
    if app_settings().on_space:
        raise validate.Refused(
            "On a public Space own checkpoints are set by its owner (HMRC_CHECKPOINT_<METHOD> in the Space's "
            "settings), since they would replace the method for every visitor."
        )
    source = validate.upload(upload, "checkpoint")
    if source is None:
        raise validate.Refused("No file uploaded: drop a .pth checkpoint into the box first.")
    folder = app_temp_root() / OWN_UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / f"{method_id}_{sha256_of(source)[:12]}.pth"
    shutil.copyfile(source, kept)
    return _use_own(method_id, kept, "the uploaded file")


def _use_own(method_id: str, path, what: str) -> dict:
    try:
        choice = checkpoints.use_own_checkpoint(method_id, path)
    except CheckpointError as problem:
        raise validate.Refused(f"{what} cannot run as {method_row(method_id).label}: {problem}") from problem
    message = f"**{method_row(method_id).label}** now runs with {what}, labelled “{choice.label}” on every result."
    return {"own_status": message, **refresh()}


def forget_own(method):
    """Back to the official checkpoint (or HMRC_CHECKPOINT_<METHOD>'s file) for a method."""
    method_id = validate.choice(method, "method", NETWORK_METHODS)
    choice = checkpoints.forget_own_checkpoint(method_id)
    what = "the official checkpoint" if not choice.custom else f"`{choice.path}` ({choice.source})"
    return {"own_status": f"**{method_row(method_id).label}** runs with {what} again.", **refresh()}
