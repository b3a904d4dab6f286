"""What every converter shares: clear errors about raw files, safe readers, mmhuman3d's box and camera helpers,
keypoints filed into human_data, progress bars and the atomic HumanData writer.

Every problem with the raw data is a `RawDataError` whose message names the file and what was expected there;
`python -m train.prepare` prints it as one paragraph (no traceback) and writes nothing.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
from tqdm import tqdm

from core.body_models.smpl_files import SAFE_GLOBALS
from core.joints import joint_names, mapping
from core.joints.human_data import HUMAN_DATA_NAMES

DOCS = "docs/data.md"


class RawDataError(Exception):
    """A raw dataset file or folder is missing or not what its dataset publishes; the message says which."""


@dataclass
class Options:
    """Settings every converter accepts (`python -m train.prepare --help`)."""

    workers: int = 1  # processes for the per-sequence work (H36M masks, frame extraction, image sizes)
    skip_missing_images: bool = False  # leave out samples whose image is absent (counted) instead of failing
    extract_frames: bool = False  # H36M / MPI-INF-3DHP: write the video frames the samples need as JPEGs
    progress: bool | None = None  # tqdm's default: bars on a terminal, none in logs


# ------------------------------------------------------------------------------------------------ raw files


def require_dir(path: Path, what: str) -> Path:
    if not Path(path).is_dir():
        raise RawDataError(f"{path}: folder not found; expected {what}. See {DOCS} for the layout.")
    return Path(path)


def require_file(path: Path, what: str) -> Path:
    if not Path(path).is_file():
        raise RawDataError(f"{path}: file not found; expected {what}. See {DOCS} for the layout.")
    return Path(path)


class _NumpyUnpickler(pickle.Unpickler):
    """Rebuilds numpy arrays and plain Python values; refuses every other global (a pickle can run code)."""

    def find_class(self, module: str, name: str):
        if (module, name) in SAFE_GLOBALS:
            return SAFE_GLOBALS[(module, name)]
        raise pickle.UnpicklingError(f"refused global '{module}.{name}': the file should hold only numpy arrays")


def load_pickle(path: Path, what: str) -> Any:
    """A dataset's (often Python 2) pickle of numpy arrays, read as latin-1 without running any code."""
    require_file(path, what)
    try:
        with open(path, "rb") as handle:
            return _NumpyUnpickler(handle, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise RawDataError(
            f"{path}: not a readable {what} ({error}); the file may be truncated: download it again"
        ) from None


def load_mat(path: Path, what: str) -> dict:
    """A MATLAB v5 .mat file (scipy.io)."""
    import scipy.io

    require_file(path, what)
    try:
        return scipy.io.loadmat(path)
    except NotImplementedError:  # v7.3 files are HDF5
        raise RawDataError(f"{path}: a MATLAB v7.3 (HDF5) file where {what} (MATLAB v5) was expected") from None
    except (ValueError, TypeError, OSError, EOFError) as error:
        raise RawDataError(f"{path}: not a readable {what} ({error}); the file may be truncated") from None


def mat_array(mat: dict, key: str, path: Path, shape_hint: str) -> np.ndarray:
    if key not in mat:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise RawDataError(f"{path}: no variable '{key}' ({shape_hint}); it holds {found}")
    return mat[key]


def json_items(path: Path, prefix: str, what: str) -> Iterator[Any]:
    """Stream the items of the JSON array at `prefix` ('annotations.item', 'item', ...) without loading the file.

    Numbers come back as int / float, as json.load gives them. A truncated or malformed file raises
    RawDataError naming it.
    """
    import ijson

    require_file(path, what)
    with open(path, "rb") as handle:
        try:
            yield from ijson.items(handle, prefix, use_float=True)
        except ijson.JSONError as error:
            raise RawDataError(
                f"{path}: not a complete {what} ({error}); the file is truncated or not JSON: download it again"
            ) from None


def image_size(path: Path) -> tuple[int, int]:
    """(height, width) as cv2.imread(path).shape gives them, read from the file header only."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(0x0112, 1)
    except (UnidentifiedImageError, OSError) as error:
        raise RawDataError(f"{path}: not a readable image ({error})") from None
    return (width, height) if orientation in (5, 6, 7, 8) else (height, width)  # OpenCV applies EXIF rotation


class Images:
    """Checks that each sample's image exists under `root`; with `skip_missing`, counts the absent ones instead."""

    def __init__(self, root: Path, skip_missing: bool, listed_in: Path | str):
        self.root, self.skip_missing, self.listed_in = Path(root), skip_missing, listed_in
        self.missing = 0

    def present(self, relative: str) -> bool:
        if (self.root / relative).is_file():
            return True
        if not self.skip_missing:
            raise RawDataError(
                f"{self.root / relative}: image listed in {self.listed_in} not found. Put the dataset's images "
                f"under {self.root} (layout in {DOCS}), or pass --skip-missing-images to leave such samples out."
            )
        self.missing += 1
        return False


# ------------------------------------------------------------------------------------------------ geometry


def bbox_expand(xyxy, scale_factor: float) -> list:
    """mmhuman3d BaseConverter._bbox_expand: scale a box about its centre (same operation order)."""
    center = [(xyxy[0] + xyxy[2]) / 2, (xyxy[1] + xyxy[3]) / 2]
    return [
        scale_factor * (xyxy[0] - center[0]) + center[0],
        scale_factor * (xyxy[1] - center[1]) + center[1],
        scale_factor * (xyxy[2] - center[0]) + center[0],
        scale_factor * (xyxy[3] - center[1]) + center[1],
    ]


def xyxy_to_xywh(xyxy) -> list:
    x1, y1, x2, y2 = xyxy
    return [x1, y1, x2 - x1, y2 - y1]


def keypoints_box(keypoints2d: np.ndarray, scale_factor: float = 1.2) -> list:
    """xywh of the min/max box of (K, 2+) keypoints enlarged `scale_factor` times (3DPW, LSP, MPI-INF-3DHP)."""
    xyxy = [min(keypoints2d[:, 0]), min(keypoints2d[:, 1]), max(keypoints2d[:, 0]), max(keypoints2d[:, 1])]
    return xyxy_to_xywh(bbox_expand(xyxy, scale_factor))


def hybrik_box(xywh, width, height) -> np.ndarray:
    """mmhuman3d hybrik_transforms.get_bbox: xywh → xyxy with w − 1, h − 1, clipped to the image; (4,)."""
    xywh = np.asarray(xywh).reshape(1, 4)
    xyxy = np.hstack((xywh[:, :2], xywh[:, :2] + np.maximum(0, xywh[:, 2:4] - 1)))
    return np.hstack([np.minimum(limit - 1, np.maximum(0, xyxy[:, k])) for k, limit in enumerate((width, height) * 2)])


def cam_to_pixel(cam: np.ndarray, f, c) -> np.ndarray:
    """(K, 3) camera coordinates → (K, 3) pixels u, v and depth z (mmhuman3d hybrik_transforms.cam2pixel)."""
    x = cam[:, 0] / (cam[:, 2] + 1e-8) * f[0] + c[0]
    y = cam[:, 1] / (cam[:, 2] + 1e-8) * f[1] + c[1]
    return np.concatenate((x[:, None], y[:, None], cam[:, 2][:, None]), 1)


def intrinsic_matrix(f, c, inv: bool = False) -> np.ndarray:
    """(3, 3) float32 K, or K⁻¹ computed in float64 and cast back (mmhuman3d get_intrinsic_matrix)."""
    matrix = np.zeros((3, 3), np.float32)
    matrix[0, 0], matrix[0, 2], matrix[1, 1], matrix[1, 2], matrix[2, 2] = f[0], c[0], f[1], c[1], 1
    return np.linalg.inv(matrix).astype(np.float32) if inv else matrix


def camera_parameter(K, R, T, height: int, width: int, name: str = "default", distortion: dict | None = None) -> dict:
    """The dict mmhuman3d's CameraParameter(name, H, W).set_KRT(K, R, T).to_dict() gives (key order kept)."""
    params = {"in_mat": np.asarray(K).tolist()}
    params.update({key: 0.0 for key in ("k1", "k2", "k3", "k4", "k5", "k6", "p1", "p2")})
    params.update(distortion or {})
    params.update(
        {
            "H": int(height),
            "W": int(width),
            "rotation_mat": np.asarray(R).tolist(),
            "translation": np.asarray(T).tolist(),
            "name": name,
        }
    )
    return params


# ------------------------------------------------------------------------------------------------ human_data


def human_data_keypoints(keypoints: np.ndarray, convention: str) -> tuple[np.ndarray, np.ndarray]:
    """(N, K, C) keypoints in `convention` → (compressed (N, K', C) float64, mask (190,) uint8).

    The compressed array holds the joints human_data has, in human_data's order: what mmhuman3d's
    convert_kps(·, src, 'human_data') followed by HumanData.compress_keypoints_by_mask() stores, without
    building the (N, 190, C) array in between.
    """
    src_indices, dst_indices = mapping(joint_names(convention), tuple(HUMAN_DATA_NAMES))
    mask = np.zeros(len(HUMAN_DATA_NAMES), np.uint8)
    mask[dst_indices] = 1
    compressed = np.asarray(keypoints)[:, src_indices]  # one copy; float64 like convert_kps's zeros array
    return compressed.astype(np.float64, copy=False), mask


def hybrik_keypoint_fields(joints17: dict, joints29: dict) -> dict:
    """HybrIK's 3D keypoint keys as mmhuman3d's HybrIK converters store them: `keypoints3d17{,_cam,_relative}`
    (h36m_17) and `keypoints3d{,_cam,_relative}` (hybrik_29) in the human_data layout, each with its mask.

    joints17 / joints29: {'img' | 'cam' | 'relative': Column of (N, J, 4) keypoints}.
    """
    kp17 = {name: human_data_keypoints(column.array(), "h36m_17") for name, column in joints17.items()}
    kp29 = {name: human_data_keypoints(column.array(), "hybrik_29") for name, column in joints29.items()}
    mask17, mask29 = kp17["img"][1], kp29["img"][1]
    return {
        "keypoints3d17_mask": mask17,
        "keypoints3d_mask": mask29,
        "keypoints3d17_cam_mask": mask17,
        "keypoints3d_cam_mask": mask29,
        "keypoints3d17_relative_mask": mask17,
        "keypoints3d_relative_mask": mask29,
        "keypoints3d17_cam": kp17["cam"][0],
        "keypoints3d17": kp17["img"][0],
        "keypoints3d17_relative": kp17["relative"][0],
        "keypoints3d_relative": kp29["relative"][0],
        "keypoints3d_cam": kp29["cam"][0],
        "keypoints3d": kp29["img"][0],
    }


class Column:
    """Per-sample rows of one array, stored in fixed-size numpy chunks as they arrive.

    Python lists of small arrays cost ~100 bytes of overhead per row and double the memory when turned into
    one array; chunks keep a converter's memory close to the size of the arrays it writes.
    """

    CHUNK_ROWS = 16384

    def __init__(self, row_shape: tuple | None = None, dtype=None):
        """row_shape / dtype None: the first row's (np.array(list_of_rows) chooses so for rows of one dtype)."""
        self.row_shape = None if row_shape is None else tuple(row_shape)
        self.dtype = None if dtype is None else np.dtype(dtype)
        self.chunks: list[np.ndarray] = []
        self.filled = self.CHUNK_ROWS

    def append(self, row) -> None:
        if self.dtype is None:
            self.dtype = np.asarray(row).dtype
        if self.row_shape is None:
            self.row_shape = np.shape(row)
        if self.filled == self.CHUNK_ROWS:
            self.chunks.append(np.empty((self.CHUNK_ROWS, *self.row_shape), self.dtype))
            self.filled = 0
        self.chunks[-1][self.filled] = row
        self.filled += 1

    def __len__(self) -> int:
        return 0 if not self.chunks else (len(self.chunks) - 1) * self.CHUNK_ROWS + self.filled

    def array(self) -> np.ndarray:
        """All rows as one (N, *row_shape) array; the chunks are released."""
        if not self.chunks:
            return np.empty((0, *(self.row_shape or ())), self.dtype or np.float64)
        self.chunks[-1] = self.chunks[-1][: self.filled]
        out = np.concatenate(self.chunks) if len(self.chunks) > 1 else self.chunks[0].copy()
        self.chunks, self.filled = [], self.CHUNK_ROWS
        return out


def data_length(fields: dict) -> int:
    """mmhuman3d's __data_len__: from the first sized key it checks (bbox, keypoints, smpl betas), else -1."""
    for key in ("bbox_xywh", "keypoints2d", "keypoints3d"):
        if key in fields:
            return len(fields[key])
    for key in ("smpl", "smplh", "smplx"):
        if key in fields and "betas" in fields[key]:
            return len(fields[key]["betas"])
    return -1


def write_human_data(path: Path, fields: dict) -> Path:
    """Write `fields` (keypoint arrays already compressed, with their masks) as a HumanData .npz, atomically.

    The file is first written next to its destination as `.<name>.partial-<pid>.npz` and renamed into place
    when complete, so an interruption (Ctrl-C, a kill, a full disk) leaves the old file, or none, never half a
    file; the partial file is removed on the way out. Layout as mmhuman3d's HumanData.dump: the three reserved
    keys, then the fields in the order given.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    compressed = any(key.endswith("_mask") and "keypoints" in key for key in fields)
    to_save = {"__key_strict__": False, "__data_len__": data_length(fields), "__keypoints_compressed__": compressed}
    to_save.update(fields)
    partial = path.with_name(f".{path.stem}.partial-{os.getpid()}.npz")
    try:
        with _deferred_sigterm():
            np.savez_compressed(partial, **to_save)
            os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


@contextlib.contextmanager
def _deferred_sigterm():
    """A SIGTERM (e.g. from a job scheduler) becomes KeyboardInterrupt, so the `finally` above still runs."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def progress(iterable: Iterable, desc: str, options: Options, total: int | None = None, unit: str = "it"):
    return tqdm(
        iterable,
        desc=desc,
        total=total,
        unit=unit,
        disable=None if options.progress is None else not options.progress,
        dynamic_ncols=True,
        leave=False,
    )


def report(path: Path, count: int, images: Images | None = None, extra: str = "") -> str:
    """One line per written file: where, how many samples, how many left out for a missing image."""
    line = f"wrote {path} ({count:,} samples"
    if images is not None and images.missing:
        line += f"; {images.missing:,} left out because their image is missing"
    return line + (f"; {extra}" if extra else "") + ")"
