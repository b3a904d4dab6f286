"""Pick the renderer once per process: pyrender offscreen if an OpenGL context can be made, else the rasteriser.

Env HMRC_RENDERER chooses explicitly: 'auto' (default), 'egl', 'osmesa' or 'software'. With 'auto', PyOpenGL
uses the user's PYOPENGL_PLATFORM if set, else EGL (headless: Mesa's llvmpipe on CPU, the NVIDIA driver
on GPU machines); if no context can be made, the software rasteriser takes over with a warning.
"""

from __future__ import annotations

import sys
import threading
import warnings
from typing import Protocol

import numpy as np

from core.render.raster import SoftwareRenderer
from core.render.scene import MeshToDraw, RenderOutput
from core.settings import OPENGL_PLATFORM, opengl_platform, renderer_setting, set_library_variable
from core.threads import numpy_blas_on_one_thread  # noqa: F401 - importing it limits numpy's BLAS threads

OPENGL_PLATFORMS = ("egl", "osmesa")
SETUP_HINT = (
    "EGL needs Debian's libegl-mesa0 (CPU) or the NVIDIA driver; OSMesa needs libosmesa6 and PyOpenGL>=3.1.5; "
    "set HMRC_RENDERER=software to use the NumPy rasteriser"
)


class Renderer(Protocol):
    info: str

    def render(self, meshes: list[MeshToDraw], K: np.ndarray, height: int, width: int) -> RenderOutput: ...


_renderer: Renderer | None = None
_renderer_lock = threading.Lock()


def get_renderer() -> Renderer:
    """The process-wide renderer, made on first use and then reused (thread-safe)."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = _make_renderer(requested_renderer())
        return _renderer


def renderer_info() -> str:
    """What draws the meshes, e.g. 'pyrender EGL (Mesa llvmpipe, CPU)' or 'software rasteriser (no OpenGL)'."""
    return get_renderer().info


def requested_renderer() -> str:
    """HMRC_RENDERER (core.settings): 'auto', 'egl', 'osmesa' or 'software'."""
    return renderer_setting()


def configure_opengl_platform(choice: str = "auto") -> str:
    """Set PYOPENGL_PLATFORM before OpenGL is imported; returns the platform pyrender will use.

    'auto' keeps a user-set PYOPENGL_PLATFORM and otherwise picks EGL, also when a DISPLAY exists:
    rendering is offscreen, and EGL needs no window, whereas pyrender's pyglet path opens a hidden one.
    """
    user_platform = opengl_platform()
    wanted = choice if choice in OPENGL_PLATFORMS else (user_platform or "egl")
    if user_platform and user_platform != wanted:
        raise ValueError(f"HMRC_RENDERER={choice} conflicts with PYOPENGL_PLATFORM={user_platform}; unset one of them")
    if wanted != user_platform and "OpenGL.platform" in sys.modules:
        raise RuntimeError(
            f"OpenGL was imported before core.render could select the {wanted} platform; "
            f"import core.render first or set PYOPENGL_PLATFORM={wanted} before starting Python"
        )
    return set_library_variable(OPENGL_PLATFORM, wanted)


def prepare_opengl_platform() -> None:
    """At import of core.render: choose the platform early, before anything else imports OpenGL.

    Only sets what is safe to set now; conflicts are reported by `get_renderer`.
    """
    choice = renderer_setting()
    if choice != "software" and not opengl_platform() and "OpenGL.platform" not in sys.modules:
        set_library_variable(OPENGL_PLATFORM, choice if choice in OPENGL_PLATFORMS else "egl")


def _make_renderer(choice: str) -> Renderer:
    if choice == "software":
        return SoftwareRenderer()
    platform = opengl_platform() or choice
    try:
        platform = configure_opengl_platform(choice)
        from core.render.pyrender_backend import PyrenderRenderer

        return PyrenderRenderer()
    except Exception as error:  # any failure to get a context means: no OpenGL here
        message = f"no OpenGL context with PYOPENGL_PLATFORM={platform} ({type(error).__name__}: {error}); {SETUP_HINT}"
        if choice != "auto":
            raise RuntimeError(message) from error
        warnings.warn(f"{message}. Using the software rasteriser.", RuntimeWarning, stacklevel=3)
        return SoftwareRenderer()
