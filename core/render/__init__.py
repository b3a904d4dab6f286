"""Rendering: meshes drawn over photos and from the side (mesh files are written by core.outputs.meshes).

    from core.render import MeshToDraw, method_color, render_overlay
    meshes = [MeshToDraw(vertices, faces, method_color("hmr"), name="hmr_person0")]  # OpenCV camera frame
    picture = render_overlay(image_rgb, meshes, K, opacity=0.8)

pyrender draws offscreen (EGL, or OSMesa); without OpenGL a NumPy rasteriser draws the same silhouettes.
`renderer_info()` says which one runs; env HMRC_RENDERER=auto|egl|osmesa|software chooses.
"""

from core.render.renderer import prepare_opengl_platform

prepare_opengl_platform()  # PyOpenGL reads PYOPENGL_PLATFORM once, when first imported

from core.render.camera import centred_intrinsics, intrinsics, project  # noqa: E402
from core.render.colors import METHOD_COLORS, METHOD_LABELS, method_color  # noqa: E402
from core.render.overlay import (  # noqa: E402
    composite,
    draw_keypoints,
    render_overlay,
    render_side_view,
    render_top_view,
    render_turned_view,
)
from core.render.renderer import get_renderer, renderer_info  # noqa: E402
from core.render.scene import MeshToDraw, RenderOutput  # noqa: E402

__all__ = [
    "METHOD_COLORS",
    "METHOD_LABELS",
    "MeshToDraw",
    "RenderOutput",
    "centred_intrinsics",
    "composite",
    "draw_keypoints",
    "get_renderer",
    "intrinsics",
    "method_color",
    "project",
    "render_overlay",
    "render_side_view",
    "render_top_view",
    "render_turned_view",
    "renderer_info",
]
