"""How the app is served, and the one temporary folder it writes into.

The environment variables (HMRC_APP_HOST, HMRC_APP_PORT, HMRC_APP_TMP, HMRC_APP_CONCURRENCY, HMRC_APP_QUEUE,
HMRC_APP_EXAMPLES, SPACE_ID) are read by core.settings.app_settings; docs/configuration.md lists them.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from core.settings import AppSettings, app_settings, app_temp_dir, set_library_variable

SESSION_TTL_S = 3600  # a browser session's results are dropped after an hour without use
CACHE_SWEEP = (1800, 3600)  # Gradio deletes its own cached files older than an hour, every 30 minutes


def settings_from_env() -> AppSettings:
    """core.settings.app_settings with the temporary folder made (see app_temp_root)."""
    return replace(app_settings(), temp_dir=app_temp_root())


_temp_root: Path | None = None


def app_temp_root() -> Path:
    """The app's own temporary folder: Gradio's uploads and cache, cached examples and session files.

    Gradio reads GRADIO_TEMP_DIR when it is imported, so this runs before `import gradio` (app/__init__.py).
    """
    global _temp_root
    if _temp_root is None:
        chosen = app_temp_dir()
        if chosen:
            _temp_root = chosen.resolve()
            _temp_root.mkdir(parents=True, exist_ok=True)
        else:
            _temp_root = Path(tempfile.mkdtemp(prefix="hmr-compare-app-")).resolve()
            atexit.register(shutil.rmtree, _temp_root, ignore_errors=True)
        set_library_variable("GRADIO_TEMP_DIR", str(_temp_root / "gradio"))
        set_library_variable(
            "GRADIO_EXAMPLES_CACHE", str(_temp_root / "gradio" / "cached_examples")
        )  # served like uploads
        scratch = _temp_root / "tmp"  # libraries' own temporary files (tempfile) stay inside too
        scratch.mkdir(exist_ok=True)
        tempfile.tempdir = str(scratch)
    return _temp_root


def sessions_dir() -> Path:
    """Where each browser session gets its own folder (GLB, zip, heat-maps)."""
    folder = app_temp_root() / "gradio" / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
