import numpy as np
import pytest

from core.pipeline.crop import (
    HMR_INPUT,
    HYBRIK_INPUT,
    box_to_center_size,
    crop,
    crop_people,
    get_affine_transform,
    normalize,
    warp,
)


def test_box_to_center_and_square_side():
    centers, sizes = box_to_center_size(np.array([[10.0, 20.0, 110.0, 220.0], [0.0, 0.0, 300.0, 100.0]]))
    assert np.allclose(centers, [[60.0, 120.0], [150.0, 50.0]])
    assert np.allclose(sizes, [200 * 1.25, 300 * 1.25])


def test_affine_matches_hand_computation():
    trans = get_affine_transform((300.0, 200.0), 250.0, 0.0, (224, 224))
    scale = 224 / 250
    expected = np.array([[scale, 0, 112 - 300 * scale], [0, scale, 112 - 200 * scale]])
    assert np.allclose(trans, expected, atol=1e-4)
    inv = get_affine_transform((300.0, 200.0), 250.0, 0.0, (224, 224), inv=True)
    assert np.allclose(inv, [[1 / scale, 0, 300 - 112 / scale], [0, 1 / scale, 200 - 112 / scale]], atol=1e-3)
    assert np.allclose(inv[:, :2] @ trans[:, :2], np.eye(2), atol=1e-5)


def test_affine_rotation_maps_centre_to_centre_and_turns():
    trans = get_affine_transform((100.0, 100.0), 200.0, 90.0, (256, 256))
    assert np.allclose(trans @ [100, 100, 1], [128, 128], atol=1e-3)
    # The source point half a side above the centre, rotated by 90°, goes to the top middle of the crop.
    sn, cs = np.sin(np.pi / 2), np.cos(np.pi / 2)
    above = np.array([100 - (-100) * sn, 100 + (-100) * cs])
    assert np.allclose(trans @ [*above, 1], [128, 0], atol=1e-3)


def test_warp_identity_crop_keeps_pixels_and_pads_black():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
    trans = get_affine_transform((112.0, 112.0), 224.0, 0.0, (224, 224))
    assert np.array_equal(warp(image, trans, 224), image)
    shifted = get_affine_transform((112.0 + 50, 112.0), 224.0, 0.0, (224, 224))
    out = warp(image, shifted, 224)
    assert out.dtype == np.uint8 and (out[:, -40:] == 0).all()
    assert np.array_equal(out[:, :150], image[:, 50:200])


def test_normalize_is_rgb_minus_mean_times_inverse_std():
    crop = np.zeros((2, 2, 3), np.uint8)
    crop[0, 0] = (255, 0, 128)
    out = normalize(crop, HMR_INPUT)
    assert out.dtype == np.float32
    expected = (np.array([255, 0, 128]) - np.array(HMR_INPUT.mean)) / np.array(HMR_INPUT.std)
    assert np.allclose(out[0, 0], expected, atol=1e-5)


def test_crop_people_batches_boxes():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    batch = crop_people(image, np.array([[10, 10, 100, 200], [150, 50, 390, 290]]), HYBRIK_INPUT)
    assert batch.images.shape == (2, 3, 256, 256)
    assert batch.trans_inv.shape == (2, 2, 3)
    corner = batch.trans_inv[1] @ [0, 0, 1]
    assert np.allclose(corner, batch.centers[1] - batch.sizes[1] / 2, atol=1e-3)
    with pytest.raises(ValueError, match="RGB uint8"):
        crop_people(image.astype(np.float32), np.zeros((1, 4)), HMR_INPUT)


def test_single_crop_and_mmhuman3d_scale_pair():
    image = np.random.default_rng(2).integers(0, 256, (100, 120, 3), dtype=np.uint8)
    pixels, crop_to_image = crop(image, (60.0, 50.0), 80.0, 64)
    assert pixels.shape == (64, 64, 3) and pixels.dtype == np.uint8
    assert np.allclose(crop_to_image @ [32, 32, 1], [60, 50], atol=1e-3)
    paired = get_affine_transform((60.0, 50.0), np.array([80.0, 80.0]), 0.0, (64, 64))
    assert np.array_equal(paired, get_affine_transform((60.0, 50.0), 80.0, 0.0, (64, 64)))
