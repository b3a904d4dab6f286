"""load_image: every odd input either becomes an upright RGB uint8 image or raises ImageError with advice."""

import io

import numpy as np
import pytest
from PIL import Image

from core.image_io import EXIF_IFD, FOCAL_LENGTH_35MM, MAX_SIDE, ImageError, load_image


def _encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def _marked_rgb(width=60, height=40) -> Image.Image:
    """Gray image with a red block in the top-left corner, to see where rotation put it."""
    array = np.full((height, width, 3), 128, np.uint8)
    array[:10, :15] = (255, 0, 0)
    return Image.fromarray(array)


def _assert_rgb8(loaded, height, width):
    assert loaded.rgb.dtype == np.uint8
    assert loaded.rgb.shape == (height, width, 3)
    assert loaded.rgb.flags["C_CONTIGUOUS"]


def test_plain_rgb_jpeg_bytes_and_path(tmp_path):
    data = _encode(_marked_rgb(), "JPEG", quality=95)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    for source in (data, path, str(path)):
        loaded = load_image(source)
        _assert_rgb8(loaded, 40, 60)
        assert loaded.scale == 1.0 and loaded.original_size == (40, 60) and loaded.notes == []
        assert loaded.rgb[5, 5, 0] > 200 and loaded.rgb[5, 5, 1] < 60  # the red corner survived


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    loaded = load_image(_encode(_marked_rgb(), "JPEG", quality=95, exif=exif.tobytes()))
    _assert_rgb8(loaded, 60, 40)
    assert loaded.original_size == (60, 40)
    # The stored top-left corner is shown at the top-right after a clockwise turn.
    assert loaded.rgb[5, 35, 0] > 200 and loaded.rgb[5, 5, 0] < 160
    assert any("EXIF" in note for note in loaded.notes)


def test_grayscale_palette_cmyk():
    gray = Image.fromarray(np.tile(np.arange(0, 200, 5, dtype=np.uint8), (10, 1)), "L")
    loaded = load_image(_encode(gray, "PNG"))
    _assert_rgb8(loaded, 10, 40)
    assert (loaded.rgb[..., 0] == loaded.rgb[..., 2]).all() and loaded.rgb[0, 3, 1] == 15

    loaded = load_image(_encode(_marked_rgb().convert("P"), "PNG"))
    _assert_rgb8(loaded, 40, 60)
    assert loaded.rgb[5, 5, 0] > 200

    loaded = load_image(_encode(_marked_rgb().convert("CMYK"), "JPEG", quality=95))
    _assert_rgb8(loaded, 40, 60)
    assert loaded.rgb[5, 5, 0] > 200 and loaded.rgb[5, 5, 2] < 80
    assert abs(int(loaded.rgb[30, 50, 0]) - 128) < 20


def test_transparency_is_composited_on_white():
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[..., :3] = (0, 0, 255)
    rgba[:, 15:, 3] = 255  # left half transparent, right half opaque blue
    loaded = load_image(_encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    _assert_rgb8(loaded, 20, 30)
    assert tuple(loaded.rgb[10, 2]) == (255, 255, 255)
    assert tuple(loaded.rgb[10, 25]) == (0, 0, 255)
    assert any("white" in note for note in loaded.notes)


def test_sixteen_bit_png_is_scaled_not_clipped():
    values = np.linspace(0, 65535, 64).astype(np.uint16).reshape(8, 8)
    loaded = load_image(_encode(Image.fromarray(values), "PNG"))
    _assert_rgb8(loaded, 8, 8)
    assert loaded.rgb[0, 0, 0] == 0 and loaded.rgb[-1, -1, 0] == 255
    assert 120 < loaded.rgb[4, 0, 0] < 135  # mid-range stays mid-gray (clipping would give 255)


def test_arrays_of_other_dtypes():
    floats = np.full((4, 5, 3), 0.5, np.float32)
    assert load_image(floats).rgb[0, 0, 0] in (127, 128)
    sixteen = np.full((4, 5), 65535, np.uint16)
    assert load_image(sixteen).rgb[0, 0, 2] == 255
    with pytest.raises(ImageError, match="shape"):
        load_image(np.zeros((4, 5, 2), np.uint8))
    with pytest.raises(ImageError, match="NaN"):
        load_image(np.full((4, 5), np.nan))


def test_animated_gif_uses_first_frame():
    frames = [Image.new("RGB", (16, 12), color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    data = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    loaded = load_image(data)
    _assert_rgb8(loaded, 12, 16)
    assert loaded.rgb[6, 8, 0] > 200 and loaded.rgb[6, 8, 1] < 50
    assert any("3 frames" in note for note in loaded.notes)


@pytest.mark.parametrize("size", [1, 5])
def test_tiny_images_are_accepted(size):
    loaded = load_image(_encode(Image.new("RGB", (size, size), (10, 20, 30)), "PNG"))
    _assert_rgb8(loaded, size, size)
    assert tuple(loaded.rgb[0, 0]) == (10, 20, 30)


def test_broken_inputs_raise_helpful_errors(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        load_image(empty)
    with pytest.raises(ImageError, match="empty"):
        load_image(b"")
    with pytest.raises(ImageError, match="No image file"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="not an image"):
        load_image(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(ImageError, match="not an image"):
        load_image(b"name,age\nada,36\n")
    jpeg = _encode(Image.fromarray(np.random.default_rng(1).integers(0, 256, (200, 300, 3), dtype=np.uint8)), "JPEG")
    with pytest.raises(ImageError, match="damaged or cut short"):
        load_image(jpeg[: len(jpeg) // 2])


def test_huge_image_is_downscaled_and_coordinates_map_back():
    # A 10000 × 10000 JPEG: 100 megapixels, above Pillow's warning threshold but below its hard limit.
    big = Image.new("RGB", (10000, 10000), (128, 128, 128))
    big.paste((255, 0, 0), (7000, 2000, 8000, 3000))  # a red square
    data = _encode(big, "JPEG", quality=80)
    del big
    loaded = load_image(data)
    _assert_rgb8(loaded, MAX_SIDE, MAX_SIDE)
    assert loaded.original_size == (10000, 10000)
    assert loaded.scale == pytest.approx(MAX_SIDE / 10000)
    assert any("downscaled" in note for note in loaded.notes)
    # Find the red square in the processing image and map its centre back.
    red = (loaded.rgb[..., 0] > 200) & (loaded.rgb[..., 1] < 60)
    ys, xs = np.nonzero(red)
    centre = loaded.to_original(np.array([xs.mean() + 0.5, ys.mean() + 0.5]))
    np.testing.assert_allclose(centre, [7500, 2500], atol=6)
    np.testing.assert_allclose(loaded.to_processing(loaded.to_original([[12.0, 34.0]])), [[12.0, 34.0]])


def test_non_jpeg_large_image_is_downscaled():
    loaded = load_image(_encode(Image.new("L", (5000, 300), 90), "PNG"), max_side=1000)
    _assert_rgb8(loaded, 60, 1000)
    assert loaded.original_size == (300, 5000)
    np.testing.assert_allclose(loaded.to_original([[1000.0, 60.0]]), [[5000.0, 300.0]])


def test_decompression_bomb_is_refused_with_a_message(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # hard limit becomes 2000 pixels
    with pytest.raises(ImageError, match="too large"):
        load_image(_encode(Image.new("RGB", (100, 100)), "PNG"))


def _jpeg_with_focal_35mm(focal_mm) -> bytes:
    exif = Image.Exif()
    exif[EXIF_IFD] = {FOCAL_LENGTH_35MM: focal_mm}
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (90, 90, 90)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_field_of_view_is_read_from_the_35mm_equivalent_focal_length():
    # A 26 mm-equivalent phone lens: the 43.27 mm full-frame diagonal spans 2·atan(21.63 / 26) = 79.52°.
    assert load_image(_jpeg_with_focal_35mm(26)).exif_fov_deg == pytest.approx(79.524, abs=1e-3)
    assert load_image(_jpeg_with_focal_35mm(50)).exif_fov_deg == pytest.approx(46.793, abs=1e-3)
    for implausible in (0, 5000):
        assert load_image(_jpeg_with_focal_35mm(implausible)).exif_fov_deg is None
    plain = io.BytesIO()
    Image.new("RGB", (40, 30)).save(plain, "JPEG")
    assert load_image(plain.getvalue()).exif_fov_deg is None
    assert load_image(np.zeros((4, 4, 3), np.uint8)).exif_fov_deg is None
