"""Rendering: pixels where the camera says, pyrender and the software rasteriser agree, views and keypoints.

Pictures for a person to look at go to test-artifacts/render/ (gitignored).
"""

import ctypes.util
import importlib.metadata
import subprocess
import sys
import threading

import cv2
import numpy as np
import pytest
import trimesh

from core.paths import OPEN_BODY_MODEL_FILE, REPO_ROOT
from core.render import (
    MeshToDraw,
    centred_intrinsics,
    draw_keypoints,
    get_renderer,
    intrinsics,
    method_color,
    project,
    render_overlay,
    render_side_view,
    render_top_view,
)
from core.render.camera import OPENCV_TO_OPENGL, opencv_to_opengl, opengl_intrinsics
from core.render.overlay import blend_onto, composite, drawn_window
from core.render.raster import SoftwareRenderer
from core.render.renderer import configure_opengl_platform, requested_renderer
from core.render.scene import RenderOutput
from core.testing.examples import example_image

HEIGHT, WIDTH, FOCAL = 240, 320, 300.0
K = centred_intrinsics(HEIGHT, WIDTH, FOCAL)
ARTIFACTS = REPO_ROOT / "test-artifacts" / "render"


def _save(name: str, image_rgb: np.ndarray) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(ARTIFACTS / name), np.ascontiguousarray(image_rgb[..., ::-1]))


def _mesh(shape: str, depth: float = 3.0, color=method_color("hmr")) -> MeshToDraw:
    if shape == "sphere":
        solid = trimesh.creation.icosphere(subdivisions=3, radius=0.5)
    elif shape == "box":
        solid = trimesh.creation.box(
            extents=(0.8, 0.6, 0.7), transform=trimesh.transformations.rotation_matrix(0.6, [1, 1, 0])
        )
    else:  # a body-like capsule leaning sideways
        solid = trimesh.creation.capsule(height=1.2, radius=0.2, count=[24, 24])
        solid.apply_transform(trimesh.transformations.rotation_matrix(0.4, [0, 0, 1]))
    return MeshToDraw(np.asarray(solid.vertices) + [0.1, 0.05, depth], np.asarray(solid.faces), color, name=shape)


def _body(depth: float = 2.6, color=method_color("hybrik")) -> MeshToDraw:
    """The bundled open body model in rest pose facing the camera (13,718 vertices), else an icosphere."""
    if not OPEN_BODY_MODEL_FILE.exists():
        return _mesh("sphere", depth, color)
    arrays = np.load(OPEN_BODY_MODEL_FILE)
    vertices = arrays["v_template"].astype(np.float64) @ OPENCV_TO_OPENGL[:3, :3]  # y up, facing +z → camera frame
    vertices += [0.0, 0.0, depth] - (vertices.min(0) + vertices.max(0)) / 2
    return MeshToDraw(vertices, arrays["faces"], color, name="body")


def _silhouette(renderer, mesh, K=K, height=HEIGHT, width=WIDTH):
    return renderer.render([mesh], K, height, width).mask


def _iou(a, b):
    return (a & b).sum() / (a | b).sum()


def test_opencv_to_opengl_flips_y_and_z_and_shifts_pixel_centres():
    assert np.allclose(opencv_to_opengl(np.array([[1.0, 2.0, 3.0]])), [[1.0, -2.0, -3.0]])
    assert opengl_intrinsics(intrinsics(500, 400, 100, 80)) == (500, 400, 100.5, 80.5)


@pytest.mark.parametrize("camera", [K, intrinsics(280.0, 330.0, 140.0, 135.0)], ids=["centred", "off_centre"])
def test_a_square_covers_exactly_the_pixels_the_camera_predicts(camera):
    half, depth = 0.4, 2.0  # a 0.8 m square facing the camera at 2 m
    corners = np.array([[-half, -half, depth], [half, -half, depth], [half, half, depth], [-half, half, depth]])
    square = MeshToDraw(corners, np.array([[0, 2, 1], [0, 3, 2]]), (1.0, 0.0, 0.0), name="square")
    (x0, y0), (x1, y1) = project(corners[[0, 2]], camera)
    expected = np.zeros((HEIGHT, WIDTH), bool)
    expected[int(np.ceil(y0)) : int(np.floor(y1)) + 1, int(np.ceil(x0)) : int(np.floor(x1)) + 1] = True
    for renderer in (get_renderer(), SoftwareRenderer()):
        mask = _silhouette(renderer, square, camera)
        assert _iou(mask, expected) >= 0.98, renderer.info
        assert np.abs(np.diff(np.nonzero(mask.any(0))[0][[0, -1]]) - (x1 - x0)) <= 1


@pytest.mark.parametrize("shape", ["sphere", "box", "capsule"])
def test_pyrender_and_software_silhouettes_agree(shape):
    mesh = _mesh(shape)
    assert _iou(_silhouette(get_renderer(), mesh), _silhouette(SoftwareRenderer(), mesh)) >= 0.98


@pytest.mark.parametrize("size", [256, 512])
def test_pyrender_and_software_agree_on_a_body_at_several_sizes(size):
    body, camera = _body(), centred_intrinsics(size, size, 1.2 * size)
    gl, software = (
        get_renderer().render([body], camera, size, size),
        SoftwareRenderer().render([body], camera, size, size),
    )
    assert _iou(gl.mask, software.mask) >= 0.98
    both = gl.mask & software.mask
    assert np.median(np.abs(gl.depth - software.depth)[both]) < 0.005  # metres
    _save(
        f"body_{size}_pyrender_vs_software.png", (np.concatenate([gl.color, software.color], 1) * 255).astype(np.uint8)
    )


def test_pyrender_and_software_shade_alike():
    """Both light each surface with the same rig (pyrender per vertex, the rasteriser per pixel)."""
    body, camera = _body(), centred_intrinsics(384, 384, 460.0)
    gl, software = (renderer.render([body], camera, 384, 384) for renderer in (get_renderer(), SoftwareRenderer()))
    inside = cv2.erode((gl.mask & software.mask).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert inside.sum() > 0.05 * inside.size
    assert np.median(np.abs(gl.color - software.color)[inside]) < 0.02


def test_an_overlay_drawn_in_its_window_equals_one_drawn_over_the_whole_photo():
    photo = (np.random.default_rng(0).random((HEIGHT, WIDTH, 3)) * 255).astype(np.uint8)
    meshes = [_body(depth=5.0), _mesh("sphere", depth=4.0)]
    whole = blend_onto(get_renderer().render(meshes, K, HEIGHT, WIDTH), photo, 0.8)
    windowed = render_overlay(photo, meshes, K, 0.8)
    changed = np.abs(whole.astype(int) - windowed).max(-1) > 2
    assert changed.mean() < 0.002, changed.sum()  # the same pixels, up to the odd multisampled edge
    assert drawn_window(meshes, K, HEIGHT, WIDTH)[2] < WIDTH  # it did draw a window, not the whole photo
    assert drawn_window([_mesh("sphere", depth=-1.0)], K, HEIGHT, WIDTH) == (0, 0, WIDTH, HEIGHT)  # behind: all
    off_screen = MeshToDraw(_mesh("sphere").vertices + [50.0, 0.0, 0.0], _mesh("sphere").faces, (1.0, 0.0, 0.0))
    assert drawn_window([off_screen], K, HEIGHT, WIDTH) is None
    assert np.array_equal(render_overlay(photo, [off_screen], K), photo)


def test_projected_vertices_fall_inside_the_overlay_silhouette():
    for mesh in (_mesh("capsule"), _body(depth=4.0)):
        mask = cv2.dilate(_silhouette(get_renderer(), mesh).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0  # 1 px
        pixels = np.round(project(mesh.vertices, K)).astype(int)
        inside = mask[np.clip(pixels[:, 1], 0, HEIGHT - 1), np.clip(pixels[:, 0], 0, WIDTH - 1)]
        assert inside.mean() >= 0.99


def test_an_overlay_drawn_at_half_size_matches_the_full_size_one():
    photo = np.full((HEIGHT, WIDTH, 3), 40, np.uint8)
    mesh = _body(depth=3.0)
    full, half = (render_overlay(photo, [mesh], K, 1.0, render_scale=scale) for scale in (1.0, 0.5))
    drawn_full, drawn_half = (np.abs(o.astype(int) - photo).sum(-1) > 60 for o in (full, half))
    assert (drawn_full & drawn_half).sum() / (drawn_full | drawn_half).sum() >= 0.9  # thin limbs: only edges move
    assert drawn_full.sum() > 0.05 * drawn_full.size
    centres = [np.argwhere(drawn).mean(axis=0) for drawn in (drawn_full, drawn_half)]
    assert np.abs(centres[0] - centres[1]).max() < 0.2  # no half-pixel shift from resizing the camera
    inside = cv2.erode(drawn_full.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert np.abs(full[inside].astype(int) - half[inside]).mean() < 6  # same shading away from the edges


def test_renderer_is_made_once_and_reused():
    assert get_renderer() is get_renderer()
    small = get_renderer().render([_mesh("sphere")], K / [[2], [2], [1]], HEIGHT // 2, WIDTH // 2)
    assert small.color.shape == (HEIGHT // 2, WIDTH // 2, 3)  # same renderer, resized viewport


def test_renders_from_many_threads_match_one_thread():
    meshes = [_mesh("sphere"), _mesh("box", depth=4.0), _mesh("capsule", depth=2.5)]
    serial = [get_renderer().render([mesh], K, HEIGHT, WIDTH).mask for mesh in meshes]
    results = [None] * len(meshes)

    def work(index):
        results[index] = get_renderer().render([meshes[index]], K, HEIGHT, WIDTH).mask

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(meshes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(np.array_equal(a, b) for a, b in zip(serial, results))


def test_opacity_blends_between_the_photo_and_the_mesh():
    photo = np.random.default_rng(0).integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    mesh = _mesh("sphere")
    assert np.array_equal(render_overlay(photo, [mesh], K, opacity=0.0), photo)
    assert np.array_equal(render_overlay(photo, [], K), photo)
    opaque = render_overlay(photo, [mesh], K, opacity=1.0)
    half = render_overlay(photo, [mesh], K, opacity=0.5)
    centre = project(np.array([[0.1, 0.05, 3.0]]), K)[0].round().astype(int)
    rendered = get_renderer().render([mesh], K, HEIGHT, WIDTH).color[centre[1], centre[0]] * 255
    assert np.allclose(opaque[centre[1], centre[0]], rendered, atol=1)
    assert np.allclose(half[centre[1], centre[0]], (rendered + photo[centre[1], centre[0]]) / 2, atol=1.5)
    assert np.array_equal(opaque[0, 0], photo[0, 0])  # untouched background


def test_composite_treats_colour_as_premultiplied_by_coverage():
    rendered = RenderOutput(
        color=np.full((1, 2, 3), 0.5, np.float32),
        alpha=np.array([[1.0, 0.5]], np.float32),
        depth=np.ones((1, 2), np.float32),
    )
    out = composite(rendered, np.zeros((1, 2, 3), np.float32) + 0.2, opacity=1.0)
    assert out[0, 0, 0] == round(0.5 * 255) and out[0, 1, 0] == round((0.5 + 0.2 * 0.5) * 255)


def test_blending_only_where_the_meshes_are_equals_blending_everywhere():
    photo = np.random.default_rng(0).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    rendered = get_renderer().render([_body(depth=4.0)], K, HEIGHT, WIDTH)
    everywhere = composite(rendered, photo.astype(np.float32) / 255.0, 0.7)
    assert np.array_equal(blend_onto(rendered, photo, 0.7), everywhere)
    nothing = RenderOutput(
        np.zeros((HEIGHT, WIDTH, 3), np.float32),
        np.zeros((HEIGHT, WIDTH), np.float32),
        np.zeros((HEIGHT, WIDTH), np.float32),
    )
    assert np.array_equal(blend_onto(nothing, photo, 0.7), photo)


def test_overlay_of_two_methods_on_a_photo_and_their_views():
    photo = cv2.cvtColor(cv2.imread(str(example_image("sport_skier"))), cv2.COLOR_BGR2RGB)
    height, width = photo.shape[:2]
    camera = centred_intrinsics(height, width, 1.5 * width)
    first, second = _body(depth=5.0), _body(depth=6.5, color=method_color("hmr"))
    second.vertices += [0.9, 0.0, 0.0]
    overlay = render_overlay(photo, [first, second], camera, opacity=0.8)
    side, top = render_side_view([first, second], 300, 300), render_top_view([first, second], 300, 300)
    _save("overlay_two_bodies.png", overlay)
    _save("side_and_top_view.png", np.concatenate([side, top], 1))
    changed = np.abs(overlay.astype(int) - photo).sum(-1) > 30
    assert 0.02 < changed.mean() < 0.5
    # Side view: the nearer body (HybrIK, blue) is on the left, the farther (HMR, orange) on the right.
    red, blue = side[..., 0].astype(int), side[..., 2].astype(int)
    blue_columns = np.nonzero((blue > red + 40).any(0))[0]
    orange_columns = np.nonzero((red > blue + 80).any(0))[0]
    assert blue_columns.max() < orange_columns.min()


def test_side_and_top_views_turn_the_meshes():
    slab = trimesh.creation.box(extents=(1.0, 0.05, 1.0))  # a horizontal plate, thin in height
    plate = MeshToDraw(np.asarray(slab.vertices) + [0, 0, 3.0], slab.faces, (0.2, 0.6, 0.9), name="plate")

    def drawn(image):
        changed = np.abs(image.astype(int) - image[0, 0]).sum(-1) > 30
        return changed.any(1).sum(), changed.any(0).sum()  # rows, columns

    side_rows, side_cols = drawn(render_side_view([plate], HEIGHT, WIDTH))
    top_rows, top_cols = drawn(render_top_view([plate], HEIGHT, WIDTH))
    assert side_rows < 0.15 * HEIGHT and side_cols > 0.5 * WIDTH  # edge-on from the side
    assert top_rows > 0.5 * HEIGHT and top_cols > 0.5 * HEIGHT  # full square from above


def test_draw_keypoints_marks_visible_points_and_their_edges_only():
    image = np.zeros((100, 100, 3), np.uint8)
    points = np.array([[20.0, 20.0], [80.0, 20.0], [80.0, 80.0], [np.nan, 5.0]])
    drawn = draw_keypoints(
        image,
        points,
        edges=[(0, 1), (1, 2), (2, 3)],
        color=(1.0, 0.0, 0.0),
        visibility=np.array([1.0, 1.0, 0.1, 1.0]),
        radius=3,
    )
    red = drawn[..., 0] > 100
    assert red[20, 20] and red[20, 80] and red[20, 50]  # points 0, 1 and the edge between them
    assert not red[80, 80] and not red[50, 80]  # point 2 is not visible: neither it nor its edge
    assert image.max() == 0  # the input is left alone


def test_renderer_choice_is_read_and_checked(monkeypatch):
    monkeypatch.setenv("HMRC_RENDERER", "vulkan")
    with pytest.raises(ValueError, match="HMRC_RENDERER"):
        requested_renderer()
    monkeypatch.setenv("PYOPENGL_PLATFORM", "egl")
    with pytest.raises(ValueError, match="conflicts"):
        configure_opengl_platform("osmesa")


def _in_subprocess(code: str, **env) -> str:
    env = {"PATH": "/usr/bin:/bin", **env}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_without_opengl_the_software_rasteriser_takes_over():
    code = "import warnings; warnings.simplefilter('ignore'); from core.render import renderer_info; print(renderer_info())"
    info = _in_subprocess(code, PYOPENGL_PLATFORM="no-such-platform", HMRC_RENDERER="auto")
    assert info == "software rasteriser (no OpenGL)"
    assert _in_subprocess(code, HMRC_RENDERER="software") == "software rasteriser (no OpenGL)"


def _osmesa_missing() -> str:
    """Why OSMesa cannot run here, or '' if it can (pyrender's OSMesa path needs PyOpenGL ≥ 3.1.5)."""
    if ctypes.util.find_library("OSMesa") is None:
        return "libosmesa6 is not installed"
    pyopengl = tuple(int(part) for part in importlib.metadata.version("PyOpenGL").split(".")[:3])
    return "" if pyopengl >= (3, 1, 5) else f"PyOpenGL {pyopengl} lacks OSMesaCreateContextAttribs (needs >= 3.1.5)"


@pytest.mark.skipif(bool(_osmesa_missing()), reason=_osmesa_missing() or "runs")
def test_osmesa_renders_the_same_silhouette_as_the_rasteriser():
    code = (
        "import numpy as np, trimesh; from core.render import MeshToDraw, centred_intrinsics, get_renderer, renderer_info\n"
        "from core.render.raster import SoftwareRenderer\n"
        "s = trimesh.creation.icosphere(subdivisions=3, radius=0.5)\n"
        "m = [MeshToDraw(s.vertices + [0.1, 0.05, 3.0], s.faces, (1, 0, 0))]\n"
        "ious = []\n"
        "for h, w in [(120, 160), (90, 100), (120, 160), (60, 80), (70, 70), (80, 60), (90, 100)]:\n"
        "    K = centred_intrinsics(h, w, 1.2 * w)\n"
        "    a, b = get_renderer().render(m, K, h, w).mask, SoftwareRenderer().render(m, K, h, w).mask\n"
        "    ious.append((a & b).sum() / (a | b).sum())\n"
        "alpha = get_renderer().render(m, K, h, w).alpha\n"
        "print(renderer_info()); print(min(ious)); print(((alpha > 0) & (alpha < 1)).sum())"
    )
    # Sizes alternate and outnumber the cached OSMesa contexts: reuse and eviction both happen.
    info, iou, soft_pixels = _in_subprocess(code, HMRC_RENDERER="osmesa").splitlines()
    assert info.startswith("pyrender OSMesa") and float(iou) >= 0.98
    assert int(soft_pixels) > 0  # edges are anti-aliased although OSMesa does not multisample


def test_edges_of_a_render_without_multisampling_are_softened():
    from core.render.pyrender_backend import soften_edges

    covered = np.zeros((20, 20), np.float32)
    covered[5:15, 5:15] = 1.0
    color = covered[..., None] * np.array([0.2, 0.4, 0.8], np.float32)
    color[8, 8] = (0.9, 0.1, 0.1)  # a detail inside the body stays sharp
    soft_color, alpha = soften_edges(color, covered)
    assert np.array_equal(soft_color[7:13, 7:13], color[7:13, 7:13]) and np.all(alpha[6:14, 6:14] == 1.0)
    assert np.isclose(alpha[10, 5], 6 / 9) and np.isclose(alpha[10, 4], 3 / 9) and alpha[10, 3] == 0.0
    ring = (alpha > 0) & (alpha < 1)
    assert np.allclose(soft_color[ring] / alpha[ring, None], [0.2, 0.4, 0.8], atol=1e-6)  # premultiplied, same hue
    changed = np.argwhere((alpha >= 0.5) != (covered > 0))
    assert sorted(map(tuple, changed)) == [(5, 5), (5, 14), (14, 5), (14, 14)]  # only the square's corners, 4/9 covered
