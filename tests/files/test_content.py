"""Judging files by their bytes: names, types, images."""

import io

import pytest
from PIL import Image

from files import content
from tests.files import samples


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\ada\\report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("tab\tand\nnewline.txt", "tabandnewline.txt"),
        ("  spaced   out .txt ", "spaced out .txt"),
        ("", "file"),
        ("/", "file"),
    ],
)
def test_sanitize_name(given, expected):
    assert content.sanitize_name(given) == expected


def test_long_names_keep_their_extension():
    name = content.sanitize_name("a" * 600 + ".jpeg")
    assert len(name) == 255
    assert name.endswith(".jpeg")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (samples.png(), "image/png"),
        (samples.PDF, "application/pdf"),
        (samples.HTML, "application/octet-stream"),
        (samples.SVG, "application/octet-stream"),
        (b"", "application/octet-stream"),
    ],
)
def test_sniff_content_type(data, expected):
    assert content.sniff_content_type(data[: content.HEAD_BYTES]) == expected


def test_thumbnail_fits_the_box_and_keeps_the_aspect():
    size, thumb = content.render_thumbnail(io.BytesIO(samples.png(1000, 500)), "image/png")
    assert size == (1000, 500)
    with Image.open(io.BytesIO(thumb)) as image:
        assert image.format == "WEBP"
        assert image.size == (320, 160)


def test_a_phone_photo_s_thumbnail_is_upright_and_small():
    # given: a 4000x3000 JPEG, red in its top-left corner, that its EXIF says to turn a quarter clockwise
    photo = Image.new("RGB", (4000, 3000), "white")
    photo.paste("red", (0, 0, 1000, 1000))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to show
    data = io.BytesIO()
    photo.save(data, "JPEG", exif=exif)

    size, thumb = content.render_thumbnail(io.BytesIO(data.getvalue()), "image/jpeg")

    # then: the size is the photo's as it is shown (portrait, as its thumbnail), and the thumbnail stands
    # upright with the red corner top right
    assert size == (3000, 4000)
    with Image.open(io.BytesIO(thumb)) as image:
        assert image.size == (240, 320)
        assert image.convert("RGB").getpixel((230, 10)) == pytest.approx((255, 0, 0), abs=60)


@pytest.mark.parametrize(
    ("orientation", "expected"), [(1, (800, 600)), (3, (800, 600)), (6, (600, 800)), (8, (600, 800))]
)
def test_an_image_s_size_is_as_it_is_shown_upright(orientation, expected):
    # given: an 800x600 JPEG whose EXIF says to turn it (6 and 8: a quarter, so a portrait photo)
    data = samples.phone_photo(800, 600, orientation=orientation)

    # then: its header and its whole decoding report the size it is shown at, as its thumbnail has it
    assert content.image_size(data[: content.HEAD_BYTES], "image/jpeg") == expected
    size, thumb = content.render_thumbnail(io.BytesIO(data), "image/jpeg")
    assert size == expected
    with Image.open(io.BytesIO(thumb)) as image:
        assert image.width / image.height == pytest.approx(expected[0] / expected[1])


def test_thumbnail_refuses_bytes_that_are_not_the_sniffed_format():
    with pytest.raises(ValueError, match="JPEG"):
        content.render_thumbnail(io.BytesIO(samples.png()), "image/jpeg")
    with pytest.raises(ValueError, match=".+"):
        content.render_thumbnail(io.BytesIO(samples.FAKE_PNG), "image/png")
