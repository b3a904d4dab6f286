"""What the app loads in the background while it starts, so the first comparison does not wait for it.

`python app.py` starts the web server at once and, on a thread beside it, loads the body model, MediaPipe's
landmark models, the networks whose checkpoints are present (their ONNX graphs from the cache beside each
checkpoint, core.networks.onnx) and the renderer. A request that arrives meanwhile waits only for what is
still loading (core.pipeline.inference loads each model once, under a lock).
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)


def warm_up_in_background() -> threading.Thread:
    """Start loading on a daemon thread; returns the thread (joined by tests).

    The pipeline's modules are imported first, on the caller's thread: the loading thread then imports nothing
    the caller may be importing at the same time (two threads importing one package can deadlock).
    """
    import core.pipeline.analyse  # noqa: F401

    thread = threading.Thread(target=_warm_up, name="hmrc-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up() -> None:
    from core.pipeline.analyse import warm_up
    from core.render import get_renderer

    start = time.perf_counter()
    try:
        seconds = warm_up()
        get_renderer()
        _import_what_a_compare_draws_with()
    except Exception:  # the first request loads again and reports the problem to the user
        log.exception("loading at start-up failed")
        return
    parts = ", ".join(f"{part} {value:.1f} s" for part, value in seconds.items())
    log.info("loaded in the background in %.1f s (%s)", time.perf_counter() - start, parts)


def _import_what_a_compare_draws_with() -> None:
    """The libraries a Compare's results need and the page does not, imported here rather than beside Gradio on
    the main thread: trimesh (the 3D scene) and matplotlib (the error chart)."""
    import matplotlib.figure  # noqa: F401

    import core.outputs.meshes  # noqa: F401
