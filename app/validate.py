"""Every argument a handler takes, checked before it is used, and every refusal a sentence.

The page's own controls only send valid values, but each event is also an API endpoint (gradio_client, or raw
HTTP), so a handler checks what it gets: `methods`, `number`, `text`, `choice`, `flag`, `upload` raise
`Refused` (a gr.Error that is not logged as a crash) saying what was expected. `server_folder` / `server_file`
confine paths typed into the page to the configured data roots. `Page` is gr.Blocks whose own argument checks
(a wrong type, a file that was never uploaded, too few arguments) are answered with a sentence too.
"""

from __future__ import annotations

import inspect
import math
from pathlib import Path

import gradio as gr

from core.methods import METHOD_IDS
from core.settings import AppSettings, data_folders

MAX_TEXT_CHARS = 1000  # any text field (box, folder); the page's own values are a few dozen characters
MAX_LIST_ITEMS = 64


class Refused(gr.Error):
    """An argument the app cannot use; the message says what to send instead."""

    def __init__(self, message: str):
        super().__init__(message, print_exception=False)


def methods(value, at_least_one: bool = True) -> tuple[str, ...]:
    """A list of method ids → those ids in display order; a sentence for anything else."""
    if value is None:
        value = []
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) > MAX_LIST_ITEMS:
        raise Refused(f"`methods` must be a list of method ids from {', '.join(METHOD_IDS)}.")
    unknown = [str(m)[:40] for m in value if m not in METHOD_IDS]
    if unknown:
        raise Refused(f"Unknown method {', '.join(map(repr, unknown))}: choose from {', '.join(METHOD_IDS)}.")
    if at_least_one and not value:
        raise Refused("No method chosen: tick at least one method.")
    return tuple(m for m in METHOD_IDS if m in value)


def one_method(value, name: str = "method") -> str:
    """One method id (the Live and Video tabs)."""
    if value not in METHOD_IDS:
        raise Refused(f"`{name}` must be one of {', '.join(METHOD_IDS)} (got {_shown(value)}).")
    return value


def number(value, name: str, low: float, high: float) -> float:
    """A finite number between `low` and `high`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Refused(f"`{name}` must be a number between {low:g} and {high:g} (got {_shown(value)}).")
    if not low <= value <= high:
        raise Refused(f"`{name}` must be between {low:g} and {high:g} (got {value:g}).")
    return float(value)


def flag(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise Refused(f"`{name}` must be true or false (got {_shown(value)}).")
    return value


def text(value, name: str) -> str:
    """A string of at most MAX_TEXT_CHARS characters (None reads as empty)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Refused(f"`{name}` must be text (got {_shown(value)}).")
    if len(value) > MAX_TEXT_CHARS or "\x00" in value:
        raise Refused(f"`{name}` is too long or holds a NUL character: send at most {MAX_TEXT_CHARS} characters.")
    return value


def choice(value, name: str, allowed) -> object:
    allowed = list(allowed)
    if value not in allowed:
        shown = ", ".join(map(str, allowed)) or "nothing yet"
        raise Refused(f"`{name}` must be one of: {shown} (got {_shown(value)}).")
    return value


def upload(value, name: str) -> str | None:
    """The server path of an uploaded file from a raw file value (a FileData dict, or a path for examples); None
    when nothing was sent. Gradio has already checked that the path is a file it received or serves."""
    if value is None:
        return None
    path = value.get("path") if isinstance(value, dict) else value
    if not isinstance(path, str) or not path:
        raise Refused(f"`{name}` must be a file sent with gradio_client.handle_file(path).")
    return path


def _shown(value) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


# ---------------------------------------------------------------- server paths


def allowed_roots(settings: AppSettings) -> list[Path]:
    """The folders whose contents path fields may name: the data folders and HMRC_APP_ROOTS, resolved."""
    folders = data_folders()
    roots = [folders.data, folders.body_models, folders.checkpoints, *settings.extra_roots]
    return list(dict.fromkeys(Path(root).expanduser().resolve() for root in roots))


def server_path(value, name: str, settings: AppSettings) -> Path:
    """A path typed into the page, resolved (symbolic links followed) and inside one of `allowed_roots`; relative
    paths are read from the data folder. Refused on a Space, where visitors must not read the server's files."""
    if settings.on_space:
        raise Refused(
            f"`{name}`: this app runs as a public Space, where paths on the server cannot be given. Run it on your own "
            "machine (make run) to read your folders."
        )
    raw = text(value, name).strip()
    if not raw:
        raise Refused(f"`{name}` is empty: give a path under {_roots_text(settings)}.")
    given = Path(raw).expanduser()
    if ".." in given.parts:
        raise Refused(f"`{name}`: paths with `..` are not accepted; give the full path under {_roots_text(settings)}.")
    resolved = (given if given.is_absolute() else data_folders().data / given).resolve()
    if not any(resolved == root or root in resolved.parents for root in allowed_roots(settings)):
        raise Refused(
            f"`{name}`: {raw} is outside the folders this app may read ({_roots_text(settings)}). Put the files "
            "under one of them, or add the folder to HMRC_APP_ROOTS when starting the app."
        )
    return resolved


def _roots_text(settings: AppSettings) -> str:
    return ", ".join(str(root) for root in allowed_roots(settings))


# ---------------------------------------------------------------- Gradio's own checks, as sentences

_EXPECTED = {
    "Image": "an image file sent with handle_file(path)",
    "Video": "a video file sent with handle_file(path)",
    "File": "a file sent with handle_file(path)",
    "Slider": "a number",
    "Number": "a number",
    "Checkbox": "true or false",
    "CheckboxGroup": "a list of choices",
    "Dropdown": "one of its choices",
    "Radio": "one of its choices",
    "Textbox": "text",
}


def describe_arguments(block_fn) -> str:
    """'image (an image file sent with handle_file(path)), methods (a list of choices), ...' for an event."""
    names = [p for p in inspect.signature(block_fn.fn).parameters if p not in ("session", "progress", "event")]
    components = [c for c in block_fn.inputs if not getattr(c, "stateful", False)]
    return ", ".join(
        f"{name} ({_EXPECTED.get(type(component).__name__, 'a value')})" for name, component in zip(names, components)
    )


class Page(gr.Blocks):
    """gr.Blocks whose argument checks answer with a sentence: a value Gradio cannot turn into a component's input
    (wrong type, a file path it never received, too few arguments) names the endpoint and what it takes, instead
    of a validation dump and a logged traceback."""

    async def preprocess_data(self, block_fn, inputs, state, *args, **kwargs):
        try:
            return await super().preprocess_data(block_fn, inputs, state, *args, **kwargs)
        except gr.Error:
            raise
        except Exception as problem:  # noqa: BLE001 - every other failure here is a malformed request
            endpoint = f"/{block_fn.api_name}" if block_fn.api_name else "This event"
            raise Refused(
                f"{endpoint} cannot use these arguments. It takes: {describe_arguments(block_fn) or 'no arguments'}."
            ) from problem
