"""How the app is served, from environment variables, and the one temporary folder it writes into.

    HMRC_APP_HOST         interface to bind (default 127.0.0.1; 0.0.0.0 on a Hugging Face Space)
    HMRC_APP_PORT         port (default 7860)
    HMRC_APP_TMP          the app's temporary folder (default: a fresh folder in the system temp dir,
                          removed when the app exits)
    HMRC_APP_CONCURRENCY  requests processed at once (default 2); the rest wait in the queue
    HMRC_APP_QUEUE        requests allowed to wait (default 16); more are refused with "queue full"
    HMRC_APP_EXAMPLES     example caching: 'eager' (all at start-up, the default on a Space), 'lazy'
                          (each on its first click, the default elsewhere) or 'off'
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.paths import REPO_ROOT

EXAMPLES_DIR = REPO_ROOT / "assets" / "examples"
BENCHMARK_DIR = REPO_ROOT / "assets" / "benchmark"
EXAMPLE_CACHE_MODES = ("eager", "lazy", "off")
SESSION_TTL_S = 3600  # a browser session's results are dropped after an hour without use
CACHE_SWEEP = (1800, 3600)  # Gradio deletes its own cached files older than an hour, every 30 minutes


@dataclass(frozen=True)
class AppSettings:
    host: str
    port: int
    temp_root: Path
    concurrency: int
    queue_size: int
    examples: str
    on_space: bool


def on_hugging_face_space() -> bool:
    return bool(os.environ.get("SPACE_ID"))


def settings_from_env() -> AppSettings:
    on_space = on_hugging_face_space()
    examples = os.environ.get("HMRC_APP_EXAMPLES", "eager" if on_space else "lazy").strip().lower()
    if examples not in EXAMPLE_CACHE_MODES:
        raise ValueError(f"HMRC_APP_EXAMPLES={examples!r}: use one of {', '.join(EXAMPLE_CACHE_MODES)}")
    return AppSettings(
        host=os.environ.get("HMRC_APP_HOST", "0.0.0.0" if on_space else "127.0.0.1"),
        port=int(os.environ.get("HMRC_APP_PORT", "7860")),
        temp_root=app_temp_root(),
        concurrency=max(1, int(os.environ.get("HMRC_APP_CONCURRENCY", "2"))),
        queue_size=max(1, int(os.environ.get("HMRC_APP_QUEUE", "16"))),
        examples=examples,
        on_space=on_space,
    )


_temp_root: Path | None = None


def app_temp_root() -> Path:
    """The app's own temporary folder: Gradio's uploads and cache, cached examples and session files.

    Gradio reads GRADIO_TEMP_DIR when it is imported, so this runs before `import gradio` (app/__init__.py).
    """
    global _temp_root
    if _temp_root is None:
        chosen = os.environ.get("HMRC_APP_TMP")
        if chosen:
            _temp_root = Path(chosen).expanduser().resolve()
            _temp_root.mkdir(parents=True, exist_ok=True)
        else:
            _temp_root = Path(tempfile.mkdtemp(prefix="hmr-compare-app-")).resolve()
            atexit.register(shutil.rmtree, _temp_root, ignore_errors=True)
        os.environ["GRADIO_TEMP_DIR"] = str(_temp_root / "gradio")
        os.environ["GRADIO_EXAMPLES_CACHE"] = str(_temp_root / "gradio" / "cached_examples")  # served like uploads
        scratch = _temp_root / "tmp"  # libraries' own temporary files (tempfile) stay inside too
        scratch.mkdir(exist_ok=True)
        tempfile.tempdir = str(scratch)
    return _temp_root


def sessions_dir() -> Path:
    """Where each browser session gets its own folder (GLB, zip, heat-maps)."""
    folder = app_temp_root() / "gradio" / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
