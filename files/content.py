"""What a file is, judged from its bytes: display names, sniffed types, image sizes, thumbnails.
Pure functions over bytes; nothing here touches storage or the database."""

import io
import posixpath
import unicodedata
from typing import IO

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError

from core.text import visible_text

# Bytes read from the start of an object to sniff its type and, usually, an image's dimensions.
HEAD_BYTES = 64 * 1024
FALLBACK_TYPE = "application/octet-stream"
# Raster formats a browser may show inline; everything else (SVG and HTML included) is a download.
INLINE_IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
THUMBNAIL_BOX = (320, 320)
THUMBNAIL_TYPE = "image/webp"
# Images larger than this (in pixels) keep their size but get no thumbnail: decoding is too costly.
MAX_THUMBNAIL_SOURCE_PIXELS = 50_000_000
NAME_MAX_LENGTH = 255
# EXIF Orientation values whose display turns the image a quarter (transposed, rotated 90 or 270 degrees):
# its upright width is the stored height. What ImageOps.exif_transpose does to the pixels.
QUARTER_TURNS = {5, 6, 7, 8}
EXIF_ORIENTATION = 0x0112


def sanitize_name(name: str) -> str:
    """A display name: no directories, no control or bidi-override characters, at most 255 characters."""
    name = posixpath.basename(unicodedata.normalize("NFC", name).replace("\\", "/"))
    name = visible_text(name)
    if len(name) > NAME_MAX_LENGTH:
        stem, dot, ext = name.rpartition(".")
        keep = ext[:16] if dot and stem else ""
        name = (
            name[: NAME_MAX_LENGTH - len(keep) - 1].rstrip() + "." + keep if keep else name[:NAME_MAX_LENGTH]
        )
    return name if name.strip(".") else "file"  # "", "." and ".." name a directory, not a file


def sniff_content_type(head: bytes) -> str:
    """The type the bytes say they are; never the client's word. Unknown types are opaque downloads."""
    return filetype.guess_mime(head) or FALLBACK_TYPE


def is_inline_image(content_type: str) -> bool:
    return content_type in INLINE_IMAGE_TYPES


def upright_size(image: Image.Image) -> tuple[int, int]:
    """Width and height as the image is shown, and its thumbnail made: turned as its EXIF Orientation says (a
    phone's portrait photo is stored landscape with Orientation 6; ImageOps.exif_transpose turns it). Read as
    Image.getexif reads it (EXIF, else XMP) from what the header gave: a PNG's own getexif would decode the
    whole image to look for EXIF after it."""
    width, height = image.size
    orientation = Image.Image.getexif(image).get(EXIF_ORIENTATION)
    return (height, width) if orientation in QUARTER_TURNS else (width, height)


def image_size(head: bytes, content_type: str) -> tuple[int, int] | None:
    """Width and height, upright, from an image's header, if Pillow agrees it is the sniffed format."""
    if not is_inline_image(content_type):
        return None
    try:
        with Image.open(io.BytesIO(head)) as image:
            if image.format != INLINE_IMAGE_TYPES[content_type]:
                return None
            return upright_size(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def render_thumbnail(source: IO[bytes], content_type: str) -> tuple[tuple[int, int], bytes | None]:
    """Verify a whole image and render its thumbnail: ((width, height) upright, WebP bytes or None).
    Raises ValueError when the bytes are not a valid image of the sniffed type."""
    expected = INLINE_IMAGE_TYPES.get(content_type)
    try:
        with Image.open(source) as image:
            if image.format != expected:
                raise ValueError(f"not a {expected} image")
            image.verify()
        source.seek(0)
        with Image.open(source) as image:
            size = upright_size(image)
            if size[0] * size[1] > MAX_THUMBNAIL_SOURCE_PIXELS:
                return size, None
            image.seek(0)
            # A JPEG decodes at 1/2 to 1/8 scale, as close to the box as it can: a 48-megapixel photo took
            # 3.3x the time at full size here (0.96-1.29 s against 0.28-0.40 s) and 64x the memory.
            image.draft(None, THUMBNAIL_BOX)
            thumb = ImageOps.exif_transpose(image).convert("RGBA")
            thumb.thumbnail(THUMBNAIL_BOX)
            out = io.BytesIO()
            thumb.save(out, format="WEBP", quality=80)
            return size, out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValueError(str(error)) from error
