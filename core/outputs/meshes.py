"""Meshes to files with trimesh: OBJ / PLY per person and method, and a GLB scene for Gradio's `gr.Model3D`.

Files use the glTF / OpenGL convention (y up, the photo's camera at the origin looking down -z), so they
look upright in viewers. In the GLB, the photo hangs behind the people as a textured plane that exactly
fills the camera's view at its depth: seen from the camera, the meshes sit on the photo as in the overlay.
The camera is marked by a small wire pyramid at its position (lines reaching all the way to the photo's corners
would cross the picture in a viewer that looks from the side).
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import PIL.Image
import trimesh
from trimesh.visual.material import PBRMaterial

from core.render.camera import check_intrinsics, opencv_to_opengl
from core.render.scene import Z_NEAR, MeshToDraw, vertex_normals

MESH_FORMATS = ("obj", "ply")
BACKDROP_MARGIN = 0.5  # metres between the farthest vertex and the photo plane
EMPTY_SCENE_DEPTH = 5.0  # photo plane depth (metres) when there are no meshes
MAX_TEXTURE_SIDE = 2048  # keeps the GLB small enough to send to a browser
CAMERA_MARK_DEPTH = 0.25  # metres: depth of the camera's wire pyramid, far in front of the people and the photo
# The photo travels as a JPEG: a tenth of a PNG's bytes and encoding time (a 1600 × 1064 PNG took ~0.5 s).


def export_mesh(mesh: MeshToDraw, path: str | Path, y_up: bool = True) -> Path:
    """Write one mesh as .obj or .ply (by suffix), vertex-coloured; y_up=False keeps the OpenCV camera frame."""
    path = Path(path)
    file_format = path.suffix.lower().lstrip(".")
    if file_format not in MESH_FORMATS:
        raise ValueError(f"cannot export '{path.name}': the suffix must be one of {MESH_FORMATS}")
    path.parent.mkdir(parents=True, exist_ok=True)
    vertices = opencv_to_opengl(mesh.vertices) if y_up else mesh.vertices
    surface = trimesh.Trimesh(vertices, mesh.faces, process=False)
    surface.visual = trimesh.visual.ColorVisuals(surface, vertex_colors=_rgba(mesh.color))
    surface.export(path, file_type=file_format)
    return path


def export_meshes(
    meshes: list[MeshToDraw], folder: str | Path, file_format: str = "obj", y_up: bool = True
) -> list[Path]:
    """One file per mesh, named after it (e.g. hmr_person0.obj)."""
    return [export_mesh(mesh, Path(folder) / f"{mesh.name}.{file_format}", y_up) for mesh in meshes]


def export_glb(
    meshes: list[MeshToDraw],
    K: np.ndarray,
    image_rgb: np.ndarray,
    path: str | Path,
    image_depth: float | None = None,
    frustum: bool = True,
) -> Path:
    """Write a GLB holding the meshes (nodes named after them), the camera (with its wire pyramid, `frustum`), and
    the photo (H, W, 3) uint8 as a plane.

    image_depth: distance of the photo plane in metres; default BACKDROP_MARGIN behind the farthest vertex.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    scene = build_scene(meshes, K, image_rgb, image_depth, frustum)
    aspect_ratio = _gltf_aspect_ratio(check_intrinsics(K), *image_rgb.shape[:2])

    def set_camera_aspect(tree: dict) -> None:
        tree["cameras"][0]["perspective"]["aspectRatio"] = aspect_ratio

    # Vertex normals let viewers shade the bodies smoothly instead of faceted.
    glb = trimesh.exchange.gltf.export_glb(scene, include_normals=True, tree_postprocessor=set_camera_aspect)
    path.write_bytes(glb)
    return path


def build_scene(
    meshes: list[MeshToDraw],
    K: np.ndarray,
    image_rgb: np.ndarray,
    image_depth: float | None = None,
    frustum: bool = True,
) -> trimesh.Scene:
    """The trimesh scene that `export_glb` writes."""
    K = check_intrinsics(K)
    height, width = image_rgb.shape[:2]
    if image_depth is None:
        farthest = max((mesh.vertices[:, 2].max() for mesh in meshes), default=EMPTY_SCENE_DEPTH - BACKDROP_MARGIN)
        image_depth = float(farthest) + BACKDROP_MARGIN
    assert image_depth > Z_NEAR, f"image_depth must be in front of the camera, got {image_depth}"
    scene = trimesh.Scene()
    for mesh in meshes:
        scene.add_geometry(_coloured_surface(mesh), node_name=mesh.name, geom_name=mesh.name)
    corners = image_plane_corners(K, height, width, image_depth)
    scene.add_geometry(_photo_plane(corners, image_rgb), node_name="photo", geom_name="photo")
    if frustum:
        scene.add_geometry(_camera_lines(corners), node_name="camera_frustum", geom_name="camera_frustum")
    scene.camera = trimesh.scene.Camera(
        name="camera", resolution=(width, height), focal=(K[0, 0], K[1, 1]), z_near=Z_NEAR
    )
    scene.camera_transform = np.eye(4)  # the photo's camera is the origin of the OpenGL frame
    return scene


def image_plane_corners(K: np.ndarray, height: int, width: int, depth: float) -> np.ndarray:
    """(4, 3) OpenCV camera-frame corners of the image's outer pixel edges at `depth`: top-left, top-right,
    bottom-right, bottom-left. Pixel centres are at integers, so the edges are at -0.5 and W - 0.5."""
    pixels = np.array([[-0.5, -0.5], [width - 0.5, -0.5], [width - 0.5, height - 0.5], [-0.5, height - 0.5]])
    rays = (pixels - K[[0, 1], [2, 2]]) / K[[0, 1], [0, 1]]
    return np.concatenate([rays * depth, np.full((4, 1), depth)], axis=1)


def _gltf_aspect_ratio(K: np.ndarray, height: int, width: int) -> float:
    """glTF's aspectRatio is tan(xfov / 2) / tan(yfov / 2); trimesh writes xfov / yfov, which differs."""
    return (width / K[0, 0]) / (height / K[1, 1])


def _coloured_surface(mesh: MeshToDraw) -> trimesh.Trimesh:
    # Normals given (area-weighted, as the overlays light them): trimesh's own angle-weighted ones were most of
    # the time a six-person, four-method scene took to export.
    vertices = opencv_to_opengl(mesh.vertices)
    surface = trimesh.Trimesh(vertices, mesh.faces, vertex_normals=vertex_normals(vertices, mesh.faces), process=False)
    material = PBRMaterial(
        name=mesh.name, baseColorFactor=_rgba(mesh.color), metallicFactor=0.0, roughnessFactor=0.8, doubleSided=True
    )
    surface.visual = trimesh.visual.TextureVisuals(material=material)
    return surface


def _photo_plane(corners: np.ndarray, image_rgb: np.ndarray) -> trimesh.Trimesh:
    """Two triangles facing the camera, textured with the photo (trimesh's UV origin is the image's bottom-left)."""
    faces = np.array([[0, 2, 1], [0, 3, 2]])  # counter-clockwise seen from the camera (OpenGL frame)
    plane = trimesh.Trimesh(opencv_to_opengl(corners), faces, process=False)
    uv = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    material = PBRMaterial(
        name="photo", baseColorTexture=_texture(image_rgb), metallicFactor=0.0, roughnessFactor=1.0, doubleSided=True
    )
    plane.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    return plane


def _camera_lines(corners: np.ndarray) -> trimesh.path.Path3D:
    """A small pyramid at the camera: lines from its centre towards the photo's corners, cut at CAMERA_MARK_DEPTH,
    and the rectangle that closes them (the shape of the photo's frame)."""
    near = corners * (CAMERA_MARK_DEPTH / corners[0, 2])
    points = opencv_to_opengl(np.concatenate([np.zeros((1, 3)), near]))
    segments = [(0, k) for k in range(1, 5)] + [(1, 2), (2, 3), (3, 4), (4, 1)]
    return trimesh.load_path(points[np.array(segments)])


def _texture(image_rgb: np.ndarray) -> PIL.Image.Image:
    assert image_rgb.ndim == 3 and image_rgb.shape[2] == 3 and image_rgb.dtype == np.uint8, (
        f"image must be (H, W, 3) uint8 RGB, got {image_rgb.shape} {image_rgb.dtype}"
    )
    scale = MAX_TEXTURE_SIDE / max(image_rgb.shape[:2])
    if scale < 1.0:
        image_rgb = cv2.resize(image_rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    encoded = io.BytesIO()
    PIL.Image.fromarray(image_rgb).save(encoded, format="JPEG", quality=90)
    return PIL.Image.open(encoded)  # format 'JPEG': trimesh stores it as a JPEG (its own encoder settings)


def _rgba(color: tuple[float, float, float]) -> np.ndarray:
    return np.array([*(round(255 * c) for c in color), 255], dtype=np.uint8)
