"""The pinhole camera shared by all renderers: OpenCV intrinsics, camera-frame points, pixel centres.

Convention (OpenCV): points are in the camera frame, metres, x right, y down, z forward. Pixel (column i,
row j) has its centre at image coordinates (i, j), so `project` lands on the pixel the point falls in,
and OpenCV's drawing functions (keypoints) agree with the rendered meshes.

OpenGL (pyrender) and glTF use x right, y up, z backward (the camera looks down -z), and put pixel
centres at half-integers. `OPENCV_TO_OPENGL` and `opengl_intrinsics` are the only two places where
that difference is handled.
"""

from __future__ import annotations

import numpy as np

# Flip y and z: OpenCV camera frame ↔ OpenGL / glTF camera frame (its own inverse).
OPENCV_TO_OPENGL = np.diag([1.0, -1.0, -1.0, 1.0])


def intrinsics(fx: float, fy: float, cx: float, cy: float) -> np.ndarray:
    """(3, 3) OpenCV camera matrix K, in pixels."""
    return np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])


def centred_intrinsics(height: int, width: int, focal: float) -> np.ndarray:
    """K with the principal point at the image centre ((W - 1) / 2, (H - 1) / 2 in OpenCV's pixel-centre convention)."""
    return intrinsics(focal, focal, (width - 1) / 2.0, (height - 1) / 2.0)


def project(points: np.ndarray, K: np.ndarray) -> np.ndarray:
    """(N, 3) camera-frame points, z > 0 → (N, 2) pixel coordinates (x, y)."""
    points = np.asarray(points, dtype=np.float64)
    x = K[0, 0] * points[:, 0] / points[:, 2] + K[0, 2]
    y = K[1, 1] * points[:, 1] / points[:, 2] + K[1, 2]
    return np.stack([x, y], axis=1)


def opencv_to_opengl(points: np.ndarray) -> np.ndarray:
    """(N, 3) points in the OpenCV camera frame → the OpenGL / glTF camera frame (y up, looking down -z)."""
    return np.asarray(points, dtype=np.float64) * np.diag(OPENCV_TO_OPENGL)[:3]  # a diagonal: no matrix product


def opengl_intrinsics(K: np.ndarray) -> tuple[float, float, float, float]:
    """(fx, fy, cx, cy) for an OpenGL camera (pyrender.IntrinsicsCamera) that draws what K projects.

    OpenGL samples pixel centres at half-integer window coordinates, OpenCV at integers, hence the + 0.5.
    """
    return float(K[0, 0]), float(K[1, 1]), float(K[0, 2]) + 0.5, float(K[1, 2]) + 0.5


def resized_intrinsics(K: np.ndarray, scale_x: float, scale_y: float) -> np.ndarray:
    """K (3, 3) for the same picture resized by (scale_x, scale_y): with pixel centres at integers, the image
    edge sits at -0.5, so x ↦ scale_x · (x + 0.5) - 0.5 (as cv2.resize maps pixels)."""
    resized = np.diag([scale_x, scale_y, 1.0]) @ np.asarray(K, dtype=np.float64)
    resized[0, 2] += 0.5 * scale_x - 0.5
    resized[1, 2] += 0.5 * scale_y - 0.5
    return resized


def check_intrinsics(K: np.ndarray) -> np.ndarray:
    """Validate and return K as a float (3, 3) array."""
    K = np.asarray(K, dtype=np.float64)
    assert K.shape == (3, 3), f"K must be a (3, 3) camera matrix, got {K.shape}"
    assert K[0, 0] > 0 and K[1, 1] > 0, f"focal lengths must be positive, got fx={K[0, 0]}, fy={K[1, 1]}"
    return K


def cropped_intrinsics(K: np.ndarray, x0: int, y0: int) -> np.ndarray:
    """K (3, 3) for the window of the picture whose top-left pixel is (x0, y0): the same rays, shifted."""
    cropped = np.array(K, dtype=np.float64)
    cropped[0, 2] -= x0
    cropped[1, 2] -= y0
    return cropped
