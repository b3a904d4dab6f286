"""Pictures for people: meshes blended over the photo, side and top views, and 2D keypoints."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from core.render.camera import centred_intrinsics, check_intrinsics, cropped_intrinsics, project, resized_intrinsics
from core.render.colors import BACKGROUND_COLOR, KEYPOINT_COLOR, to_uint8
from core.render.renderer import get_renderer
from core.render.scene import Z_NEAR, MeshToDraw, RenderOutput

# 90° turns in the OpenCV camera frame (x right, y down, z forward), applied about the bodies' centre.
# Side view: seen from the camera's right, so depth in the photo runs left → right.
SIDE_ROTATION = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])
# Top view: seen from above, so depth in the photo runs bottom → top.
TOP_ROTATION = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
VIEW_FILL = 0.8  # fraction of the image the bodies' bounding box spans in side and top views
SUBPIXEL_BITS = 4  # OpenCV drawing at 1/16 pixel


def render_overlay(
    image_rgb: np.ndarray,
    meshes: list[MeshToDraw],
    K: np.ndarray,
    opacity: float = 0.8,
    render_scale: float = 1.0,
) -> np.ndarray:
    """All `meshes` (OpenCV camera frame) drawn through K over the photo (H, W, 3) uint8 → (H, W, 3) uint8.

    Only the window the meshes can cover is drawn (`drawn_window`). render_scale < 1 draws them at that
    fraction of the size and enlarges them: softer mesh edges for much less rendering time (the live webcam
    mode uses it).
    """
    assert image_rgb.ndim == 3 and image_rgb.shape[2] == 3, f"image must be (H, W, 3) RGB, got {image_rgb.shape}"
    assert 0.0 <= opacity <= 1.0, f"opacity must be in [0, 1], got {opacity}"
    assert 0.0 < render_scale <= 1.0, f"render_scale must be in (0, 1], got {render_scale}"
    height, width = image_rgb.shape[:2]
    K = check_intrinsics(K)
    window = drawn_window(meshes, K, height, width)
    blended = image_rgb.copy()
    if window is None:
        return blended
    x0, y0, x1, y1 = window
    window_h, window_w = y1 - y0, x1 - x0
    window_K = cropped_intrinsics(K, x0, y0)
    small_h, small_w = max(1, round(window_h * render_scale)), max(1, round(window_w * render_scale))
    if (small_h, small_w) == (window_h, window_w):
        rendered = get_renderer().render(meshes, window_K, window_h, window_w)
    else:
        small_K = resized_intrinsics(window_K, small_w / window_w, small_h / window_h)
        rendered = enlarge(get_renderer().render(meshes, small_K, small_h, small_w), window_h, window_w)
    blended[y0:y1, x0:x1] = blend_onto(rendered, image_rgb[y0:y1, x0:x1], opacity)
    return blended


def drawn_window(meshes: list[MeshToDraw], K: np.ndarray, height: int, width: int) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1): the part of the (height, width) picture the meshes can cover, with a margin for
    anti-aliased edges; the whole picture when a vertex lies at or behind the near plane; None when none shows.

    A triangle in front of the camera covers only pixels inside its projected corners, so drawing this window
    through the shifted camera (`cropped_intrinsics`) gives the same pixels as drawing the whole picture.
    """
    if not meshes:
        return None
    vertices = np.concatenate([mesh.vertices for mesh in meshes])
    if not (vertices[:, 2] > Z_NEAR).all():
        return 0, 0, width, height
    pixels = project(vertices, K)
    (left, top), (right, bottom) = pixels.min(axis=0), pixels.max(axis=0)
    margin = 2
    x0, y0 = max(0, int(np.floor(left)) - margin), max(0, int(np.floor(top)) - margin)
    x1, y1 = min(width, int(np.ceil(right)) + margin + 1), min(height, int(np.ceil(bottom)) + margin + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def blend_onto(rendered: RenderOutput, image_rgb: np.ndarray, opacity: float) -> np.ndarray:
    """`composite` over a (H, W, 3) uint8 photo, computed only in the rows and columns the meshes cover."""
    blended = image_rgb.copy()
    rows, columns = np.flatnonzero(rendered.alpha.any(axis=1)), np.flatnonzero(rendered.alpha.any(axis=0))
    if rows.size == 0:
        return blended
    window = np.s_[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    covered = RenderOutput(rendered.color[window], rendered.alpha[window], rendered.depth[window])
    blended[window] = composite(covered, image_rgb[window].astype(np.float32) / 255.0, opacity)
    return blended


def enlarge(rendered: RenderOutput, height: int, width: int) -> RenderOutput:
    """A render resized to (height, width): colour (premultiplied) and coverage bilinear, depth nearest."""
    size = (width, height)
    return RenderOutput(
        color=cv2.resize(rendered.color, size, interpolation=cv2.INTER_LINEAR),
        alpha=cv2.resize(rendered.alpha, size, interpolation=cv2.INTER_LINEAR),
        depth=cv2.resize(rendered.depth, size, interpolation=cv2.INTER_NEAREST),
    )


def render_side_view(
    meshes: list[MeshToDraw],
    height: int,
    width: int,
    focal: float | None = None,
    background: tuple[float, float, float] = BACKGROUND_COLOR,
) -> np.ndarray:
    """The meshes turned 90° about the vertical axis through their centre, framed on a plain background (H, W, 3) uint8."""
    return render_turned_view(meshes, SIDE_ROTATION, height, width, focal, background)


def render_top_view(
    meshes: list[MeshToDraw],
    height: int,
    width: int,
    focal: float | None = None,
    background: tuple[float, float, float] = BACKGROUND_COLOR,
) -> np.ndarray:
    """The meshes seen from above (the photo's camera at the bottom), framed on a plain background (H, W, 3) uint8."""
    return render_turned_view(meshes, TOP_ROTATION, height, width, focal, background)


def render_turned_view(
    meshes: list[MeshToDraw],
    rotation: np.ndarray,
    height: int,
    width: int,
    focal: float | None = None,
    background: tuple[float, float, float] = BACKGROUND_COLOR,
) -> np.ndarray:
    """Rotate all meshes together by `rotation` (3, 3) about their common centre, then frame and draw them."""
    canvas = np.empty((height, width, 3), np.uint8)
    canvas[:] = np.round(np.asarray(background, np.float32) * 255)
    if not meshes:
        return canvas
    focal = focal or 1.5 * max(height, width)  # long lens: little perspective distortion
    centre = _bounding_box_centre(np.concatenate([mesh.vertices for mesh in meshes]))
    turned = [_moved(mesh, np.einsum("vc,dc->vd", mesh.vertices - centre, rotation)) for mesh in meshes]  # no BLAS
    K, shift = frame_camera(np.concatenate([mesh.vertices for mesh in turned]), height, width, focal)
    framed = [_moved(mesh, mesh.vertices + shift) for mesh in turned]
    window = drawn_window(framed, K, height, width)
    if window is not None:
        x0, y0, x1, y1 = window
        rendered = get_renderer().render(framed, cropped_intrinsics(K, x0, y0), y1 - y0, x1 - x0)
        plain = np.broadcast_to(np.asarray(background, np.float32), (y1 - y0, x1 - x0, 3))
        canvas[y0:y1, x0:x1] = composite(rendered, plain, opacity=1.0)
    return canvas


def frame_camera(points: np.ndarray, height: int, width: int, focal: float, fill: float = VIEW_FILL):
    """A centred K (3, 3) and a shift (3,) that put `points` (N, 3) in front of it, spanning `fill` of the image."""
    low, high = points.min(axis=0), points.max(axis=0)
    half = (high - low) / 2.0
    # The bounding box's nearest face must fit: half-extent / (distance - half-depth) · focal ≤ fill · half-image.
    distance = max(focal * half[0] / (fill * width / 2.0), focal * half[1] / (fill * height / 2.0)) + half[2]
    shift = np.array([0.0, 0.0, distance]) - (low + high) / 2.0
    return centred_intrinsics(height, width, focal), shift


def composite(rendered: RenderOutput, background: np.ndarray, opacity: float) -> np.ndarray:
    """Rendered colour (premultiplied by coverage) over a (H, W, 3) float background in [0, 1] → uint8."""
    weight = opacity * rendered.alpha[..., None]
    blended = background * (1.0 - weight) + opacity * rendered.color
    return np.clip(blended * 255.0 + 0.5, 0, 255).astype(np.uint8)


def draw_keypoints(
    image_rgb: np.ndarray,
    keypoints: np.ndarray,
    edges: Sequence[tuple[int, int]] = (),
    color: tuple[float, float, float] = KEYPOINT_COLOR,
    visibility: np.ndarray | None = None,
    threshold: float = 0.5,
    radius: int | None = None,
) -> np.ndarray:
    """Keypoints (K, 2) pixels and skeleton `edges` (index pairs) drawn on a copy of the image.

    Points whose visibility (K,) is at or below `threshold`, or that are not finite, are skipped with their edges.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    assert keypoints.ndim == 2 and keypoints.shape[1] == 2, f"keypoints must be (K, 2), got {keypoints.shape}"
    shown = np.isfinite(keypoints).all(axis=1)
    if visibility is not None:
        shown &= np.asarray(visibility, dtype=np.float64).reshape(-1) > threshold
    canvas = np.ascontiguousarray(image_rgb).copy()
    radius = radius or max(2, round(0.006 * max(canvas.shape[:2])))
    rgb, outline = to_uint8(color), (20, 20, 20)
    fixed = np.zeros_like(keypoints, dtype=np.int64)
    fixed[shown] = np.round(keypoints[shown] * (1 << SUBPIXEL_BITS)).astype(np.int64)
    for start, end in edges:
        if shown[start] and shown[end]:
            cv2.line(
                canvas,
                tuple(map(int, fixed[start])),
                tuple(map(int, fixed[end])),
                rgb,
                max(1, radius // 2),
                cv2.LINE_AA,
                SUBPIXEL_BITS,
            )
    for index in np.flatnonzero(shown):
        centre = tuple(map(int, fixed[index]))
        cv2.circle(canvas, centre, radius << SUBPIXEL_BITS, rgb, -1, cv2.LINE_AA, SUBPIXEL_BITS)
        cv2.circle(canvas, centre, radius << SUBPIXEL_BITS, outline, 1, cv2.LINE_AA, SUBPIXEL_BITS)
    return canvas


def _bounding_box_centre(points: np.ndarray) -> np.ndarray:
    return (points.min(axis=0) + points.max(axis=0)) / 2.0


def _moved(mesh: MeshToDraw, vertices: np.ndarray) -> MeshToDraw:
    return MeshToDraw(vertices=vertices, faces=mesh.faces, color=mesh.color, name=mesh.name)
