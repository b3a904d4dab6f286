"""Exports: OBJ / PLY / GLB round-trip through trimesh with their vertices, names, camera and photo plane."""

import json
import struct

import cv2
import numpy as np
import pytest
import trimesh

from core.outputs.meshes import (
    BACKDROP_MARGIN,
    CAMERA_MARK_DEPTH,
    MAX_TEXTURE_SIDE,
    export_glb,
    export_mesh,
    export_meshes,
    image_plane_corners,
)
from core.render import MeshToDraw, centred_intrinsics, intrinsics, method_color
from core.render.camera import opencv_to_opengl, project

HEIGHT, WIDTH = 240, 320
K = intrinsics(300.0, 310.0, 150.0, 125.0)


def _person(method: str, index: int, offset_x: float = 0.0) -> MeshToDraw:
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=0.4)
    vertices = np.asarray(sphere.vertices) + [offset_x, -0.3, 3.0]  # above the image centre (y down)
    return MeshToDraw(vertices, sphere.faces, method_color(method), name=f"{method}_person{index}")


def _photo(height=HEIGHT, width=WIDTH):
    return np.random.default_rng(0).integers(0, 255, (height, width, 3), dtype=np.uint8)


def _glb_json(path) -> dict:
    data = path.read_bytes()
    length = struct.unpack("<I", data[12:16])[0]
    return json.loads(data[20 : 20 + length])


@pytest.mark.parametrize("suffix", ["obj", "ply"])
def test_mesh_files_keep_vertices_faces_and_colour(tmp_path, suffix):
    person = _person("hmr", 0)
    loaded = trimesh.load(export_mesh(person, tmp_path / f"hmr_person0.{suffix}"), process=False)
    assert loaded.vertices.shape == person.vertices.shape and np.array_equal(loaded.faces, person.faces)
    assert np.allclose(loaded.vertices, opencv_to_opengl(person.vertices), atol=1e-5)  # y up
    assert np.array_equal(loaded.visual.vertex_colors[0, :3], np.round(np.array(method_color("hmr")) * 255))
    camera_frame = trimesh.load(export_mesh(person, tmp_path / f"raw.{suffix}", y_up=False), process=False)
    assert np.allclose(camera_frame.vertices, person.vertices, atol=1e-5)


def test_export_meshes_names_files_after_meshes_and_rejects_unknown_formats(tmp_path):
    paths = export_meshes([_person("hmr", 0), _person("hybrik", 0)], tmp_path, "ply")
    assert [path.name for path in paths] == ["hmr_person0.ply", "hybrik_person0.ply"]
    assert all(path.exists() for path in paths)
    with pytest.raises(ValueError, match="suffix"):
        export_mesh(_person("hmr", 0), tmp_path / "x.stl")


def test_glb_holds_named_coloured_meshes_camera_and_textured_photo(tmp_path):
    people = [_person("hmr", 0), _person("hybrik", 0), _person("hmr", 1, offset_x=1.0)]
    path = export_glb(people, K, _photo(), tmp_path / "scene.glb")
    scene = trimesh.load(path)
    for person in people:
        node_geometry = scene.graph[person.name][1]
        loaded = scene.geometry[node_geometry]
        assert len(loaded.vertices) == len(person.vertices)
        assert np.allclose(loaded.vertices, opencv_to_opengl(person.vertices), atol=1e-5)
        assert np.array_equal(loaded.visual.material.baseColorFactor[:3], np.round(np.array(person.color) * 255))
    assert scene.geometry[scene.graph["hmr_person0"][1]].vertices[:, 1].mean() > 0  # above centre: y up in glTF
    plane = scene.geometry[scene.graph["photo"][1]]
    texture = plane.visual.material.baseColorTexture
    assert texture.size == (WIDTH, HEIGHT) and texture.format == "JPEG"
    stored, given = (cv2.blur(np.asarray(image, np.float32), (8, 8)) for image in (texture.convert("RGB"), _photo()))
    assert np.abs(stored - given).mean() < 3  # the photo, JPEG-compressed (noise loses its finest detail)
    camera_lines = scene.geometry[scene.graph["camera_frustum"][1]]
    assert isinstance(camera_lines, trimesh.path.Path3D)
    photo_depth = -plane.vertices[:, 2].max()
    reach = -camera_lines.vertices[:, 2].min()
    assert reach == pytest.approx(CAMERA_MARK_DEPTH) and reach < photo_depth / 4  # never reaches the photo
    assert scene.has_camera
    camera = _glb_json(path)["cameras"][0]["perspective"]
    assert camera["yfov"] == pytest.approx(2 * np.arctan(HEIGHT / 2 / K[1, 1]))
    assert camera["aspectRatio"] == pytest.approx((WIDTH / K[0, 0]) / (HEIGHT / K[1, 1]))


def test_photo_plane_fills_the_camera_view_at_its_depth(tmp_path):
    person = _person("fit", 0)
    scene = trimesh.load(export_glb([person], K, _photo(), tmp_path / "scene.glb", frustum=False))
    assert "camera_frustum" not in scene.graph.nodes
    plane = scene.geometry[scene.graph["photo"][1]]
    corners_opencv = opencv_to_opengl(plane.vertices)  # the flip is its own inverse
    depth = person.vertices[:, 2].max() + BACKDROP_MARGIN
    assert np.allclose(corners_opencv[:, 2], depth)
    pixels = project(corners_opencv, K)
    assert np.allclose(np.sort(np.unique(pixels[:, 0].round(6))), [-0.5, WIDTH - 0.5])
    assert np.allclose(np.sort(np.unique(pixels[:, 1].round(6))), [-0.5, HEIGHT - 0.5])
    # Each corner carries the texture coordinate of the same image corner (trimesh's v runs bottom → top).
    for pixel, uv in zip(pixels, plane.visual.uv):
        assert np.allclose(uv, [(pixel[0] + 0.5) / WIDTH, 1 - (pixel[1] + 0.5) / HEIGHT])
    normal = plane.face_normals.mean(0)
    assert normal[2] > 0.99  # faces the camera, which looks down -z


def test_plane_at_a_chosen_depth_and_a_large_photo_is_downscaled(tmp_path):
    big = _photo(3000, 4000)
    camera = centred_intrinsics(3000, 4000, 3500.0)
    scene = trimesh.load(export_glb([_person("spin_gta", 0)], camera, big, tmp_path / "big.glb", image_depth=7.0))
    plane = scene.geometry[scene.graph["photo"][1]]
    assert np.allclose(plane.vertices[:, 2], -7.0)
    assert plane.visual.material.baseColorTexture.size == (MAX_TEXTURE_SIDE, MAX_TEXTURE_SIDE * 3 // 4)
    expected = image_plane_corners(camera, 3000, 4000, 7.0)
    assert np.allclose(np.sort(opencv_to_opengl(plane.vertices), 0), np.sort(expected, 0))


def test_glb_without_people_still_holds_the_photo(tmp_path):
    scene = trimesh.load(export_glb([], K, _photo(), tmp_path / "empty.glb"))
    assert "photo" in scene.graph.nodes and len(scene.geometry) == 2  # photo and frustum
