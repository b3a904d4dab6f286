"""Offscreen OpenGL rendering with pyrender (EGL on NVIDIA or Mesa, or OSMesa).

Meshes are lit on the CPU, per vertex, with the light rig every renderer shares (`core.render.scene`:
Lambert, ambient, display gamma), and drawn with pyrender's flat shader, which only interpolates those
colours (Gouraud shading). With Mesa's llvmpipe the per-pixel physically based shader was most of the cost
of a picture (a 1600 × 1064 overlay of six people: about 4× the time); the silhouettes are the same.

Import this module only after `core.render.renderer.configure_opengl_platform()`: PyOpenGL fixes its
platform when it is first imported. An OpenGL context belongs to the thread that made it current, and
pyrender never releases it, so every OpenGL call runs on one thread owned by the renderer; callers from
any thread (Gradio serves requests concurrently) queue on it.
"""

from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pyrender

from core.render.camera import OPENCV_TO_OPENGL, check_intrinsics, opengl_intrinsics
from core.render.scene import Z_FAR, Z_NEAR, MeshToDraw, RenderOutput, lambert_light, shaded, vertex_normals
from core.settings import opengl_platform

SOFTWARE_GL_DRIVERS = ("llvmpipe", "softpipe", "swrast")
PLATFORM_NAMES = {"egl": "EGL", "osmesa": "OSMesa"}
MAX_CACHED_SIZES = 4  # OSMesa contexts kept, one per image size


class PyrenderRenderer:
    """pyrender offscreen rendering from a single OpenGL thread, reused across calls.

    EGL resizes one OffscreenRenderer to each requested size. OSMesa draws into a buffer of fixed size
    that pyrender rebuilds (about 60 ms) whenever the size changes, so it keeps one OffscreenRenderer per
    recent image size instead (the overlay and the side views usually differ).
    """

    def __init__(self):
        self._gl_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hmrc-opengl")
        self._one_per_size = opengl_platform() == "osmesa"
        self._offscreens: OrderedDict[tuple[int, int], pyrender.OffscreenRenderer] = OrderedDict()
        self.info = self._gl_thread.submit(self._create_first).result()

    def render(self, meshes: list[MeshToDraw], K: np.ndarray, height: int, width: int) -> RenderOutput:
        """Draw `meshes` (OpenCV camera frame) as seen through K into an (height, width) image."""
        K = check_intrinsics(K)
        scene = build_scene(meshes, K)
        return self._gl_thread.submit(self._render, scene, height, width).result()

    def _create_first(self) -> str:
        self._offscreen_for(64, 64)
        return _describe_context()

    def _offscreen_for(self, width: int, height: int) -> pyrender.OffscreenRenderer:
        if not self._one_per_size:
            if not self._offscreens:
                self._offscreens[(0, 0)] = pyrender.OffscreenRenderer(width, height)
            offscreen = self._offscreens[(0, 0)]
            offscreen.viewport_width, offscreen.viewport_height = width, height
            return offscreen
        if (width, height) not in self._offscreens:
            if len(self._offscreens) >= MAX_CACHED_SIZES:
                self._offscreens.popitem(last=False)[1].delete()  # least recently used
            self._offscreens[(width, height)] = pyrender.OffscreenRenderer(width, height)
        self._offscreens.move_to_end((width, height))
        return self._offscreens[(width, height)]

    def _render(self, scene: pyrender.Scene, height: int, width: int) -> RenderOutput:
        flags = pyrender.RenderFlags.RGBA | pyrender.RenderFlags.FLAT
        color, depth = self._offscreen_for(width, height).render(scene, flags=flags)
        color = color.astype(np.float32) / 255.0
        if color.shape[-1] == 4:  # EGL: multisampled, so alpha is each pixel's coverage
            return RenderOutput(np.ascontiguousarray(color[..., :3]), color[..., 3], depth.astype(np.float32))
        # OSMesa reads back RGB with no multisampling: every pixel is in or out.
        color, alpha = soften_edges(color, (depth > 0).astype(np.float32))
        return RenderOutput(color=color, alpha=alpha, depth=depth.astype(np.float32))


def soften_edges(color: np.ndarray, covered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Anti-alias a render made without multisampling: (H, W, 3) colour on black and (H, W) 0/1 coverage.

    Along the silhouette, coverage and colour become their 3×3 means (a box-filtered, premultiplied
    estimate of what multisampling gives); pixels away from it are left exactly as drawn.
    """
    soft_alpha = cv2.blur(covered, (3, 3), borderType=cv2.BORDER_CONSTANT)
    edge = soft_alpha < 0.999  # the smallest mean short of 1 is 8/9
    soft_color = cv2.blur(color, (3, 3), borderType=cv2.BORDER_CONSTANT)
    color = np.where(edge[..., None], soft_color, color)
    return color, np.where(edge, soft_alpha, covered)


def build_scene(meshes: list[MeshToDraw], K: np.ndarray) -> pyrender.Scene:
    """A pyrender scene: every mesh in one primitive (one draw call) with its lit vertex colours, and an OpenGL
    camera matching K, at the origin."""
    scene = pyrender.Scene(bg_color=(0.0, 0.0, 0.0, 0.0))
    if meshes:
        scene.add(_pyrender_mesh(meshes), name="meshes", pose=OPENCV_TO_OPENGL)
    fx, fy, cx, cy = opengl_intrinsics(K)
    scene.add(pyrender.IntrinsicsCamera(fx, fy, cx, cy, znear=Z_NEAR, zfar=Z_FAR), pose=np.eye(4))
    return scene


def _pyrender_mesh(meshes: list[MeshToDraw]) -> pyrender.Mesh:
    colors = [
        shaded(mesh.color, lambert_light(vertex_normals(mesh.vertices, mesh.faces), mesh.vertices)) for mesh in meshes
    ]
    offsets = np.cumsum([0] + [len(mesh.vertices) for mesh in meshes[:-1]])
    material = pyrender.MetallicRoughnessMaterial(baseColorFactor=(1.0, 1.0, 1.0, 1.0), doubleSided=True)
    primitive = pyrender.Primitive(
        positions=np.concatenate([mesh.vertices for mesh in meshes]).astype(np.float32),
        color_0=np.concatenate(colors).astype(np.float32),
        indices=np.concatenate([mesh.faces + offset for mesh, offset in zip(meshes, offsets)]).astype(np.uint32),
        material=material,
    )
    return pyrender.Mesh([primitive])


def _describe_context() -> str:
    """e.g. 'pyrender EGL (Mesa llvmpipe, CPU)' or 'pyrender EGL (NVIDIA H100 80GB HBM3/PCIe/SSE2)'."""
    from OpenGL import GL

    chosen = opengl_platform()
    platform = PLATFORM_NAMES.get(chosen, chosen or "?")
    device = GL.glGetString(GL.GL_RENDERER).decode(errors="replace")
    software = next((name for name in SOFTWARE_GL_DRIVERS if name in device.lower()), None)
    return f"pyrender {platform} (Mesa {software}, CPU)" if software else f"pyrender {platform} ({device})"
