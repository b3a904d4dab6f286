"""Turn whatever a user uploads into one clean RGB uint8 image, or say clearly why not.

`load_image` accepts a path, raw bytes, a PIL image or a NumPy array and returns a `LoadedImage`:

- EXIF orientation is applied (phone photos come out upright).
- Every pixel format becomes RGB uint8: grayscale, palette, CMYK, 16-bit (divided by 257), float
  (taken as [0, 1] when it fits there, else stretched from its min to max), and transparent images
  composited on white (what a viewer shows on a page; black would hide dark clothes).
- Animated GIF / WebP / APNG: the first frame, with a note.
- Images larger than `max_side` (default 4096 px on the longest side) are downscaled for processing.
  JPEGs are decoded at a reduced size directly (Pillow's `draft`), so a 10000 × 10000 photo is cheap.
- The camera's diagonal field of view is read from EXIF's 35 mm-equivalent focal length when the photo has
  one (`LoadedImage.exif_fov_deg`), so the pipeline can use the real lens instead of a default.
- Pillow's decompression-bomb guard (about 179 megapixels) is kept and reported as an `ImageError`.
- Empty, truncated, corrupt or non-image input raises `ImageError` saying what is wrong and what to do.

Coordinates: the processing image (`LoadedImage.rgb`) and the original image (the decoded file after
EXIF rotation, `original_size`) share the same top-left origin; x and y are continuous pixel
coordinates (the pixel (i, j) covers [j, j+1) × [i, i+1)). `to_original` / `to_processing` convert.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 4096  # longest side, pixels, of the image every method works on
BACKGROUND_FOR_TRANSPARENCY = (255, 255, 255)
SIXTEEN_BIT_TO_EIGHT = 257.0  # 65535 / 255
FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)  # what "35 mm-equivalent" focal lengths are relative to
EXIF_IFD, FOCAL_LENGTH_35MM = 0x8769, 0xA405
PLAUSIBLE_FOCAL_35MM = (8.0, 2000.0)  # fisheye to long telephoto; outside this the tag is taken as wrong

ImageSource = Union[str, Path, bytes, bytearray, Image.Image, np.ndarray]


class ImageError(ValueError):
    """The input cannot be used as an image; the message says why and what to do."""


@dataclass
class LoadedImage:
    rgb: np.ndarray  # (H, W, 3) uint8, the processing image
    original_size: tuple[int, int]  # (height, width) of the original image after EXIF rotation
    scale: float  # processing pixels per original pixel, <= 1 (1.0 when not downscaled)
    notes: list[str] = field(default_factory=list)
    exif_fov_deg: float | None = None  # diagonal field of view from EXIF's 35 mm-equivalent focal length

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the processing image."""
        return self.rgb.shape[0], self.rgb.shape[1]

    def _ratio_xy(self) -> np.ndarray:
        """(2,) original pixels per processing pixel along x and y (exact per axis after rounding)."""
        (h, w), (orig_h, orig_w) = self.size, self.original_size
        return np.array([orig_w / w, orig_h / h])

    def to_original(self, xy: np.ndarray) -> np.ndarray:
        """(..., 2) processing-image pixels → original-image pixels."""
        return np.asarray(xy, dtype=np.float64) * self._ratio_xy()

    def to_processing(self, xy: np.ndarray) -> np.ndarray:
        """(..., 2) original-image pixels → processing-image pixels."""
        return np.asarray(xy, dtype=np.float64) / self._ratio_xy()


def load_image(source: ImageSource, max_side: int = MAX_SIDE) -> LoadedImage:
    """Decode `source` (path, bytes, PIL image or (H, W[, C]) array) into an upright RGB uint8 image."""
    notes: list[str] = []
    if isinstance(source, np.ndarray):
        return _finish(_array_to_rgb(source, notes), source.shape[:2], max_side, notes)
    image = source if isinstance(source, Image.Image) else _open(source)
    try:
        return _decode(image, max_side, notes)
    except Image.DecompressionBombError as error:
        raise ImageError(
            f"The image is too large to decode safely ({error}). Downscale it to at most "
            f"{max_side} pixels on the longest side and upload it again."
        ) from None
    except OSError as error:  # Pillow reports truncated and corrupt data as OSError
        raise ImageError(
            f"The image data is damaged or cut short ({error}). Re-download or re-export the file "
            "(e.g. save it again as JPEG or PNG) and try again."
        ) from None


def _open(source: str | Path | bytes | bytearray) -> Image.Image:
    """Open lazily with Pillow, turning every failure into an ImageError."""
    if isinstance(source, (bytes, bytearray)):
        if len(source) == 0:
            raise ImageError("The upload is empty (0 bytes). Choose a JPEG, PNG or WebP photo and upload it again.")
        stream, name = io.BytesIO(source), "the uploaded data"
    else:
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"No image file at {path}. Check the path.")
        if path.stat().st_size == 0:
            raise ImageError(f"{path} is empty (0 bytes). Choose a JPEG, PNG or WebP photo instead.")
        stream, name = path, str(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(stream)
    except UnidentifiedImageError:
        raise ImageError(
            f"{name} is not an image format this program can read. Use a JPEG, PNG, WebP, BMP, TIFF or "
            "GIF file (HEIC photos from phones: export them as JPEG first)."
        ) from None
    except Image.DecompressionBombError as error:
        raise ImageError(f"{name} is too large to decode safely ({error}). Downscale it first.") from None


def _decode(image: Image.Image, max_side: int, notes: list[str]) -> LoadedImage:
    """Pick the first frame, draft-decode large JPEGs, apply EXIF rotation, convert to RGB."""
    if getattr(image, "n_frames", 1) > 1:
        notes.append(f"Animated image with {image.n_frames} frames: using the first frame.")
        image.seek(0)
    original_wh = _upright_size(image)
    if image.format == "JPEG" and max(image.size) > max_side:
        # Decode at 1/2, 1/4 or 1/8 size straight from the JPEG data: fast and light on memory.
        shrink = max_side / max(image.size)
        image.draft("RGB", (int(image.size[0] * shrink) + 1, int(image.size[1] * shrink) + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image.load()
    upright = ImageOps.exif_transpose(image)
    if upright.size != image.size or _exif_orientation(image) not in (0, 1):
        notes.append("Rotated upright using the photo's EXIF orientation.")
    rgb = _pil_to_rgb(upright, notes)
    loaded = _finish(rgb, (original_wh[1], original_wh[0]), max_side, notes)
    loaded.exif_fov_deg = exif_fov_deg(image)
    return loaded


def exif_fov_deg(image: Image.Image) -> float | None:
    """Diagonal field of view (degrees) from EXIF's FocalLengthIn35mmFilm; None when absent or implausible."""
    try:
        focal = float(image.getexif().get_ifd(EXIF_IFD).get(FOCAL_LENGTH_35MM, 0) or 0)
    except (TypeError, ValueError, OSError, SyntaxError):  # Pillow's errors for damaged EXIF blocks
        return None
    if not PLAUSIBLE_FOCAL_35MM[0] <= focal <= PLAUSIBLE_FOCAL_35MM[1]:
        return None
    return math.degrees(2.0 * math.atan(FULL_FRAME_DIAGONAL_MM / 2.0 / focal))


def _exif_orientation(image: Image.Image) -> int:
    return int(image.getexif().get(0x0112, 1) or 1)


def _upright_size(image: Image.Image) -> tuple[int, int]:
    """(width, height) after EXIF rotation, read before any draft decoding shrinks the image."""
    width, height = image.size
    return (height, width) if _exif_orientation(image) in (5, 6, 7, 8) else (width, height)


def _pil_to_rgb(image: Image.Image, notes: list[str]) -> np.ndarray:
    """Any Pillow mode → (H, W, 3) uint8."""
    mode = image.mode
    if mode == "RGB":
        return np.asarray(image)
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return _array_to_rgb(np.asarray(image), notes)
    if mode == "P" and "transparency" in image.info:
        image, mode = image.convert("RGBA"), "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        notes.append("Transparent areas were filled with white.")
        background = Image.new("RGB", image.size, BACKGROUND_FOR_TRANSPARENCY)
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return np.asarray(background)
    if mode == "CMYK":
        notes.append("Converted from CMYK to RGB (colours may shift slightly).")
    elif mode in ("L", "1"):
        notes.append("Grayscale image: copied to three channels.")
    try:
        return np.asarray(image.convert("RGB"))
    except ValueError:
        raise ImageError(
            f"Pixel format {mode!r} cannot be converted to RGB; save the image as RGB JPEG or PNG."
        ) from None


def _array_to_rgb(array: np.ndarray, notes: list[str]) -> np.ndarray:
    """(H, W), (H, W, 1), (H, W, 3) or (H, W, 4) of any numeric dtype → (H, W, 3) uint8."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageError(f"Expected an image array of shape (H, W), (H, W, 3) or (H, W, 4), got {array.shape}.")
    if array.size == 0:
        raise ImageError(f"The image array is empty (shape {array.shape}).")
    rgb8 = _to_uint8(array, notes)
    if rgb8.ndim == 2:
        return np.repeat(rgb8[..., None], 3, axis=2)
    if rgb8.shape[2] == 4:
        notes.append("Transparent areas were filled with white.")
        alpha = rgb8[..., 3:].astype(np.float32) / 255.0
        background = np.array(BACKGROUND_FOR_TRANSPARENCY, dtype=np.float32)
        return np.round(rgb8[..., :3] * alpha + background * (1.0 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(rgb8)


def _to_uint8(array: np.ndarray, notes: list[str]) -> np.ndarray:
    """Rescale to 0..255 by dtype: uint8 as is, 16-bit / 257, bool x 255, float [0, 1] x 255 (else min-max)."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.integer):
        if array.min() >= 0 and array.max() <= 65535:
            notes.append("16-bit image: reduced to 8 bits per channel.")
            return np.round(array / SIXTEEN_BIT_TO_EIGHT).astype(np.uint8)
        return _stretch(array.astype(np.float64), notes)
    values = array.astype(np.float64)
    if not np.isfinite(values).all():
        raise ImageError("The image array contains NaN or infinite values; fix the data before uploading.")
    if values.min() >= 0.0 and values.max() <= 1.0:
        notes.append("Floating-point image in [0, 1]: scaled to 0..255.")
        return np.round(values * 255.0).astype(np.uint8)
    return _stretch(values, notes)


def _stretch(values: np.ndarray, notes: list[str]) -> np.ndarray:
    """Map the array's own min..max to 0..255 (for data with no standard range)."""
    low, high = float(values.min()), float(values.max())
    notes.append(f"Pixel values in [{low:g}, {high:g}] stretched to 0..255.")
    span = high - low if high > low else 1.0
    return np.round((values - low) / span * 255.0).astype(np.uint8)


def _finish(rgb: np.ndarray, original_hw: tuple[int, int], max_side: int, notes: list[str]) -> LoadedImage:
    """Downscale to `max_side` if needed and record the mapping to the original image."""
    original_h, original_w = int(original_hw[0]), int(original_hw[1])
    longest = max(original_h, original_w)
    if longest <= max_side and rgb.shape[:2] == (original_h, original_w):
        return LoadedImage(np.ascontiguousarray(rgb), (original_h, original_w), 1.0, notes)
    scale = min(1.0, max_side / longest)
    new_w, new_h = max(1, round(original_w * scale)), max(1, round(original_h * scale))
    resized = Image.fromarray(rgb).resize((new_w, new_h), Image.Resampling.LANCZOS)
    if scale < 1.0:
        notes.append(f"Large image ({original_w}×{original_h}) downscaled to {new_w}×{new_h} for processing.")
    return LoadedImage(np.asarray(resized), (original_h, original_w), scale, notes)
