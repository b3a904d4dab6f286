"""Rendering: pixels where the camera says, pyrender and the software rasteriser agree, exports round-trip."""
import cv2
import numpy as np
import pytest
import trimesh

from core.render import (MeshToDraw, centred_intrinsics, export_glb, export_mesh, get_renderer, method_color,
                         project, render_overlay, render_side_view)
from core.render.raster import SoftwareRenderer

HEIGHT, WIDTH, FOCAL = 240, 320, 300.0
K = centred_intrinsics(HEIGHT, WIDTH, FOCAL)


def _mesh(shape: str, depth: float = 3.0) -> MeshToDraw:
    if shape == "sphere":
        solid = trimesh.creation.icosphere(subdivisions=3, radius=0.5)
    elif shape == "box":
        solid = trimesh.creation.box(extents=(0.8, 0.6, 0.7), transform=trimesh.transformations.rotation_matrix(0.6, [1, 1, 0]))
    else:  # a body-like capsule leaning sideways
        solid = trimesh.creation.capsule(height=1.2, radius=0.2, count=[24, 24])
        solid.apply_transform(trimesh.transformations.rotation_matrix(0.4, [0, 0, 1]))
    return MeshToDraw(np.asarray(solid.vertices) + [0.1, 0.05, depth], np.asarray(solid.faces), method_color("hmr"), name=shape)


def _silhouette(renderer, mesh):
    return renderer.render([mesh], K, HEIGHT, WIDTH).alpha > 0.5


def test_a_square_covers_exactly_the_pixels_the_camera_predicts():
    half, depth = 0.4, 2.0  # a 0.8 m square facing the camera at 2 m: 120 px wide at f = 300
    corners = np.array([[-half, -half, depth], [half, -half, depth], [half, half, depth], [-half, half, depth]])
    square = MeshToDraw(corners, np.array([[0, 2, 1], [0, 3, 2]]), (1.0, 0.0, 0.0), name="square")
    for renderer in (get_renderer(), SoftwareRenderer()):
        mask = _silhouette(renderer, square)
        (x0, y0), (x1, y1) = project(corners[[0, 2]], K)
        rows, cols = np.nonzero(mask)
        assert abs(cols.min() - x0) <= 1 and abs(cols.max() - x1) <= 1, renderer.info
        assert abs(rows.min() - y0) <= 1 and abs(rows.max() - y1) <= 1, renderer.info
        assert mask.sum() == pytest.approx(120 * 120, rel=0.03)


@pytest.mark.parametrize("shape", ["sphere", "box", "capsule"])
def test_pyrender_and_software_silhouettes_agree(shape):
    mesh = _mesh(shape)
    a, b = _silhouette(get_renderer(), mesh), _silhouette(SoftwareRenderer(), mesh)
    assert (a & b).sum() / (a | b).sum() >= 0.98


def test_projected_vertices_fall_inside_the_overlay_silhouette():
    mesh = _mesh("capsule")
    mask = cv2.dilate(_silhouette(get_renderer(), mesh).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0  # 1 px
    pixels = np.round(project(mesh.vertices, K)).astype(int)
    inside = mask[np.clip(pixels[:, 1], 0, HEIGHT - 1), np.clip(pixels[:, 0], 0, WIDTH - 1)]
    assert inside.mean() >= 0.99


def test_renderer_is_made_once_and_reused():
    assert get_renderer() is get_renderer()


def test_opacity_blends_between_the_photo_and_the_mesh():
    photo = np.random.default_rng(0).integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    mesh = _mesh("sphere")
    assert np.array_equal(render_overlay(photo, [mesh], K, opacity=0.0), photo)
    opaque = render_overlay(photo, [mesh], K, opacity=1.0)
    centre = project(np.array([[0.1, 0.05, 3.0]]), K)[0].round().astype(int)
    assert not np.array_equal(opaque[centre[1], centre[0]], photo[centre[1], centre[0]])
    assert np.array_equal(opaque[0, 0], photo[0, 0])  # untouched background


def test_side_view_turns_the_meshes():
    flat = MeshToDraw(np.array([[-0.5, -0.5, 3.0], [0.5, -0.5, 3.0], [0.5, 0.5, 3.0], [-0.5, 0.5, 3.0],
                                [-0.5, -0.5, 3.05], [0.5, -0.5, 3.05], [0.5, 0.5, 3.05], [-0.5, 0.5, 3.05]]),
                      trimesh.creation.box().faces, (0.2, 0.6, 0.9), name="slab")
    front = render_side_view([flat], HEIGHT, WIDTH)
    background = front[0, 0]
    drawn_width = (np.abs(front.astype(int) - background).sum(-1) > 30).any(0).sum()
    assert 0 < drawn_width < 0.3 * WIDTH  # a thin slab seen edge-on


def test_exports_round_trip(tmp_path):
    mesh = _mesh("sphere")
    for suffix in ("obj", "ply"):
        loaded = trimesh.load(export_mesh(mesh, tmp_path / f"sphere.{suffix}"), process=False)
        assert len(loaded.vertices) == len(mesh.vertices) and len(loaded.faces) == len(mesh.faces)
    photo = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    scene = trimesh.load(export_glb([mesh], K, photo, tmp_path / "scene.glb"))
    assert "sphere" in scene.geometry
    planes = [g for g in scene.geometry.values() if isinstance(g, trimesh.Trimesh) and len(g.vertices) == 4]
    assert len(planes) == 1  # the photo, as a textured quad
    texture = planes[0].visual.material.baseColorTexture
    assert texture is not None and texture.size[0] / texture.size[1] == pytest.approx(WIDTH / HEIGHT, rel=0.02)


def test_without_opengl_the_software_rasteriser_takes_over():
    import subprocess
    import sys

    from core.paths import REPO_ROOT

    code = ("import warnings; warnings.simplefilter('ignore'); from core.render import renderer_info; "
            "print(renderer_info())")
    env = {"PATH": "/usr/bin:/bin", "PYOPENGL_PLATFORM": "no-such-platform", "HMRC_RENDERER": "auto"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "software rasteriser (no OpenGL)"
