"""What every renderer draws and returns: meshes in the camera frame, a light rig, and the rendered layers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Nothing closer to the camera than this is drawn (metres); far enough for any photo of people.
Z_NEAR = 0.01
Z_FAR = 1000.0


@dataclass
class MeshToDraw:
    """One person's mesh from one method.

    vertices (V, 3) metres in the OpenCV camera frame (x right, y down, z forward);
    faces (F, 3) vertex indices, counter-clockwise seen from outside; color RGB in [0, 1].
    """

    vertices: np.ndarray
    faces: np.ndarray
    color: tuple[float, float, float]
    name: str = "mesh"  # e.g. "hmr_person0": node and file name in exports

    def __post_init__(self):
        self.vertices = np.asarray(self.vertices, dtype=np.float64)
        self.faces = np.asarray(self.faces, dtype=np.int64)
        assert self.vertices.ndim == 2 and self.vertices.shape[1] == 3, (
            f"vertices must be (V, 3), got {self.vertices.shape}"
        )
        assert self.faces.ndim == 2 and self.faces.shape[1] == 3, f"faces must be (F, 3), got {self.faces.shape}"
        assert len(self.color) == 3, f"color must be RGB, got {self.color}"


@dataclass
class RenderOutput:
    """Rendered layers, all (H, W): what the overlay and the tests need."""

    color: np.ndarray  # (H, W, 3) float32 RGB in [0, 1], shaded meshes over black
    alpha: np.ndarray  # (H, W) float32 coverage in [0, 1], anti-aliased at edges where the renderer can
    depth: np.ndarray  # (H, W) float32 z of the nearest surface in metres, 0 where nothing is drawn

    @property
    def mask(self) -> np.ndarray:
        """(H, W) bool: pixels at least half covered by a mesh.

        From coverage, not depth: pyrender's multisampled depth comes from one sample that is not at the
        pixel centre, which shifts a depth-based silhouette by a fraction of a pixel.
        """
        return self.alpha > 0.5


@dataclass(frozen=True)
class DirectionalLight:
    direction: tuple[float, float, float]  # where the light travels, OpenCV camera frame
    intensity: float


# A key light from the upper left, a fill from the right and a weak light from below-behind the camera,
# all travelling away from the camera so the visible side is lit (shared by every renderer).
LIGHTS = (
    DirectionalLight(direction=(0.4, 0.6, 1.0), intensity=0.65),
    DirectionalLight(direction=(-0.6, 0.2, 1.0), intensity=0.35),
    DirectionalLight(direction=(0.0, -0.5, 1.0), intensity=0.2),
)
AMBIENT = 0.25
DISPLAY_GAMMA = 2.2  # colours are linear light written as colour ** (1 / 2.2), as pyrender writes them


def unit(vector) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float64)
    return vector / np.linalg.norm(vector, axis=-1, keepdims=True)


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(V, 3) unit normals: area-weighted sums of the adjacent faces' normals."""
    corners = vertices[faces]  # (F, 3, 3)
    face_normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])  # length = 2 * area
    sums = np.stack(
        [np.bincount(faces.ravel(), np.repeat(face_normals[:, c], 3), minlength=len(vertices)) for c in range(3)],
        axis=1,
    )
    return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


def lambert_light(normals: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(N,) light reaching surface points (N, 3) with unit normals (N, 3), camera frame: ambient plus each lamp's
    Lambert term. Surfaces facing away (seen through open meshes) are lit as if they faced the camera."""
    normals = np.where((np.einsum("pc,pc->p", normals, points) > 0)[:, None], -normals, normals)
    light = np.full(len(normals), AMBIENT)
    for lamp in LIGHTS:
        # einsum, not `@`: numpy's BLAS splits even this over threads, which on a shared 2-core CPU costs
        # milliseconds of waiting per call (as torch's do, core/threads.py).
        light += lamp.intensity * np.clip(np.einsum("pc,c->p", normals, -unit(lamp.direction)), 0.0, None)
    return light


def shaded(base_colors: np.ndarray, light: np.ndarray) -> np.ndarray:
    """Display colours (N, 3) in [0, 1]: base colours (N, 3) or (3,) lit by `light` (N,) in linear light."""
    return np.clip(np.asarray(base_colors, np.float64) * light[:, None] ** (1.0 / DISPLAY_GAMMA), 0.0, 1.0)
