"""Uploads of any size, mode or state become a 28x28 image in the dataset's polarity, or a clear BadImage."""
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from demo.images import BadImage, drawing, mask28, to_gray28


def glyph(mode: str, size=(40, 60)) -> Image.Image:
    """A dark bar on a light background, in the given mode."""
    a = np.full(size[::-1], 240, np.uint8)
    a[10:50, 15:25] = 10
    return Image.fromarray(a).convert(mode)


def saved(im: Image.Image, fmt="PNG") -> io.BytesIO:
    buf = io.BytesIO()
    im.save(buf, fmt)
    buf.seek(0)
    return buf


def check(x):
    assert x.shape == (1, 1, 28, 28) and str(x.dtype) == "torch.uint8"
    assert x[0, 0, 14, 14] > 150 and x[0, 0, 0, 0] < 60  # the bar is light, the background black


@pytest.mark.parametrize("mode", ["L", "RGB", "1", "P", "CMYK", "LA"])
def test_common_modes(mode):
    check(to_gray28(Image.open(saved(glyph(mode), "JPEG" if mode == "CMYK" else "PNG"))))


def test_sixteen_bit_float_and_transparent_images():
    a = np.full((60, 40), 60000, np.uint16)
    a[10:50, 15:25] = 1000
    check(to_gray28(Image.open(saved(Image.fromarray(a)))))  # 16-bit PNG ("I;16" or "I")
    check(to_gray28(Image.fromarray((a / 65535).astype(np.float32))))  # mode "F"
    rgba = np.zeros((60, 40, 4), np.uint8)
    rgba[10:50, 15:25] = (0, 0, 0, 255)  # a black glyph on a transparent background
    check(to_gray28(Image.open(saved(Image.fromarray(rgba)))))


def test_already_dark_images_keep_their_polarity_and_extreme_sizes_work():
    a = np.zeros((28, 28), np.uint8)
    a[5:20, 10:15] = 255
    assert (to_gray28(a)[0, 0].numpy() == a).all()
    assert to_gray28(np.full((1, 1), 255, np.uint8)).shape == (1, 1, 28, 28)
    big = np.full((4000, 4000), 255, np.uint8)
    big[700:3300, 1700:2300] = 0
    check(to_gray28(big))
    for strip in (np.full((1, 4000), 200, np.uint8), np.full((4000, 1), 20, np.uint8)):  # no side shrinks to 0
        assert to_gray28(strip).shape == (1, 1, 28, 28)
    with pytest.raises(BadImage, match="between 1 and 4,096 on a side"):
        to_gray28(np.zeros((1, 5000), np.uint8))


def test_broken_files_are_bad_images(tmp_path):
    data = saved(glyph("L", (300, 300))).getvalue()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "notes.txt").write_text("not an image")
    for name in ("cut.png", "notes.txt"):
        with pytest.raises(BadImage, match="Could not read"):
            to_gray28(tmp_path / name)
    with pytest.raises(BadImage, match="No image"):
        to_gray28(None)


def test_a_huge_image_is_refused_before_decoding(tmp_path):
    png = saved(Image.new("L", (1, 1))).getvalue()
    ihdr = b"IHDR" + struct.pack(">II", 60_000, 60_000) + png[24:29]  # claim 60,000 x 60,000 pixels
    forged = png[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]
    (tmp_path / "huge.png").write_bytes(forged)
    with pytest.raises(BadImage, match="too large"):
        to_gray28(tmp_path / "huge.png")


def test_drawn_strokes_and_masks():
    assert drawing(None) is None and drawing({"background": None, "layers": [], "composite": None}) is None
    layer = np.zeros((280, 280, 4), np.uint8)
    assert drawing({"layers": [layer]}) is None  # a layer with no ink is still a blank drawing
    layer[:140, :, 3] = 255
    painted = drawing({"layers": [layer]})
    assert painted.shape == (280, 280) and painted.sum() == 140 * 280
    m = mask28(painted)
    assert m.shape == (1, 1, 28, 28) and int(m.sum()) == 14 * 28


def test_a_small_file_that_decodes_to_a_huge_image_is_refused_before_decoding(tmp_path):
    """A 20,000 x 20,000 PNG of one colour compresses to a few hundred KB; its header says how big it is."""
    Image.new("L", (20_000, 20_000)).save(tmp_path / "bomb.png", optimize=True)
    assert (tmp_path / "bomb.png").stat().st_size < 2_000_000
    with pytest.raises(BadImage, match="far too large; use one between 1 and 4,096"):
        to_gray28(tmp_path / "bomb.png")
    assert Image.MAX_IMAGE_PIXELS == 4096 * 4096  # what Gradio's own decoding of drawings obeys as well
