"""Person crops and input normalisation, exactly as mmhuman3d's test pipelines.

Images are RGB uint8 numpy arrays (H, W, 3) throughout this project; convert from BGR only where an
image enters (cv2.imread). Boxes are xyxy pixels. Steps:
1. box → centre + square side: side = max(w, h) · 1.25 (`box2cs`, aspect 1, no +1 on w/h);
2. affine crop to the method's input size with cv2.getAffineTransform on float32 points (no half-pixel
   offset), cv2.warpAffine INTER_LINEAR, border 0, result still uint8;
3. (RGB − mean) · (1/std) in float32 with OpenCV's arithmetic (mmcv.imnormalize), HWC → CHW.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from core.methods import IMAGENET_MEAN, IMAGENET_STD, network_method

BOX_SCALE_FACTOR = 1.25


@dataclass(frozen=True)
class InputSpec:
    """Network input: square side in pixels and the RGB normalisation stored with the weights."""

    size: int
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD


def input_spec(method_id: str) -> InputSpec:
    """The crop size and normalisation of a method's network (core.methods)."""
    row = network_method(method_id)
    return InputSpec(size=row.input_size, mean=row.mean, std=row.std)


HMR_INPUT = input_spec("hmr")  # also SPIN-GTA's
HYBRIK_INPUT = input_spec("hybrik")


@dataclass
class CropBatch:
    images: torch.Tensor  # (B, 3, S, S) float32 normalised
    centers: np.ndarray  # (B, 2) box centres, image pixels
    sizes: np.ndarray  # (B,) square crop sides, image pixels
    trans: np.ndarray  # (B, 2, 3) image → crop
    trans_inv: np.ndarray  # (B, 2, 3) crop → image


def box_to_center_size(
    boxes_xyxy: np.ndarray, aspect_ratio: float = 1.0, scale_factor: float = BOX_SCALE_FACTOR
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (N, 4) xyxy → centres (N, 2) and square sides (N,) (mmhuman3d `box2cs` with aspect 1)."""
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    x, y = boxes[:, 0], boxes[:, 1]
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    center = np.stack([x + w * 0.5, y + h * 0.5], -1)
    wider = w > aspect_ratio * h
    h = np.where(wider, w / aspect_ratio, h)
    w = np.where(wider, w, h * aspect_ratio)
    return center, w * scale_factor


def get_affine_transform(
    center, size, rotation_deg: float, output_size: tuple[int, int], inv: bool = False
) -> np.ndarray:
    """2×3 matrix mapping the square of side `size` around `center` (rotated by rotation_deg) to output_size (W, H).

    Three point pairs: the centre, the point half a side above it (rotated) and a third point at 90°,
    stored as float32 and solved with cv2.getAffineTransform, as mmhuman3d. inv=True maps crop → image.
    """
    size = float(np.asarray(size, dtype=np.float64).reshape(-1)[0])  # a side, or mmhuman3d's [w, h] scale
    dst_w, dst_h = output_size
    rot = np.pi * rotation_deg / 180
    sn, cs = np.sin(rot), np.cos(rot)
    src_dir = [0.0 * cs - size * -0.5 * sn, 0.0 * sn + size * -0.5 * cs]
    src = np.zeros((3, 2), dtype=np.float32)
    src[0, :] = np.asarray(center, dtype=np.float64)
    src[1, :] = np.asarray(center, dtype=np.float64) + src_dir
    src[2, :] = _third_point(src[0], src[1])
    dst = np.zeros((3, 2), dtype=np.float32)
    dst[0, :] = [dst_w * 0.5, dst_h * 0.5]
    dst[1, :] = np.array([dst_w * 0.5, dst_h * 0.5]) + np.array([0.0, dst_w * -0.5])
    dst[2, :] = _third_point(dst[0], dst[1])
    if inv:
        return cv2.getAffineTransform(np.float32(dst), np.float32(src))
    return cv2.getAffineTransform(np.float32(src), np.float32(dst))


def _third_point(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """b + (a − b) rotated by 90° anticlockwise (float32)."""
    direction = a - b
    return b + np.array([-direction[1], direction[0]], dtype=np.float32)


def warp(image_rgb: np.ndarray, trans: np.ndarray, size: int) -> np.ndarray:
    """Crop (size, size, 3) uint8 with bilinear sampling and a black border."""
    return cv2.warpAffine(image_rgb, trans, (int(size), int(size)), flags=cv2.INTER_LINEAR)


def normalize(crop_rgb: np.ndarray, spec: InputSpec = HMR_INPUT) -> np.ndarray:
    """uint8 RGB (S, S, 3) → float32 (RGB − mean)·(1/std) with OpenCV's arithmetic, like mmcv.imnormalize."""
    image = crop_rgb.copy().astype(np.float32)
    # mmhuman3d's Normalize stores mean/std as float32 before mmcv widens them to float64: same rounding here.
    mean = np.float64(np.asarray(spec.mean, dtype=np.float32).reshape(1, -1))
    std_inv = 1 / np.float64(np.asarray(spec.std, dtype=np.float32).reshape(1, -1))
    cv2.subtract(image, mean, image)
    cv2.multiply(image, std_inv, image)
    return image


def crop(
    image_rgb: np.ndarray, center, side: float, size: int, rotation_deg: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """One square crop: uint8 (size, size, 3) and its crop → image matrix (2, 3)."""
    trans = get_affine_transform(center, side, rotation_deg, (size, size))
    return warp(image_rgb, trans, size), get_affine_transform(center, side, rotation_deg, (size, size), inv=True)


def crop_people(
    image_rgb: np.ndarray, boxes_xyxy: np.ndarray, spec: InputSpec, scale_factor: float = BOX_SCALE_FACTOR
) -> CropBatch:
    """RGB uint8 (H, W, 3) and person boxes (N, 4) xyxy → one normalised network input per box."""
    if image_rgb.dtype != np.uint8 or image_rgb.ndim != 3 or image_rgb.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 image (H, W, 3), got {image_rgb.dtype} {image_rgb.shape}")
    centers, sizes = box_to_center_size(boxes_xyxy, scale_factor=scale_factor)
    output_size = (spec.size, spec.size)
    trans = [get_affine_transform(c, s, 0.0, output_size) for c, s in zip(centers, sizes)]
    trans_inv = [get_affine_transform(c, s, 0.0, output_size, inv=True) for c, s in zip(centers, sizes)]
    crops = [normalize(warp(image_rgb, t, spec.size), spec) for t in trans]
    images = np.stack(crops) if crops else np.zeros((0, spec.size, spec.size, 3), np.float32)
    return CropBatch(
        images=torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(),
        centers=centers,
        sizes=sizes,
        trans=np.asarray(trans, np.float64).reshape(-1, 2, 3),
        trans_inv=np.asarray(trans_inv, np.float64).reshape(-1, 2, 3),
    )
