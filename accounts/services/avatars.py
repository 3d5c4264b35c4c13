"""A user's profile picture: checked, re-encoded and stored (docs/api.md, "Profile pictures").

Whatever was uploaded, what is kept is Parley's own copy: a square WebP of AVATAR_SIZE pixels, drawn from the
upload's pixels alone, so that no metadata (EXIF and its GPS position, comments, colour profiles) and nothing
but a picture survives. It is stored through default_storage (local disk, or the S3 bucket) under a new random
name each time, which the picture's URL carries: a changed picture is a new URL, never a stale cached one."""

import io
import secrets
from functools import partial
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import User
from accounts.services.users import user_profile_announce
from core.errors import Refused

AVATAR_MAX_BYTES = 5 * 1024 * 1024  # what a person may upload; what is stored is a few KiB
AVATAR_SIZE = 256  # the stored picture's width and height, in pixels
AVATAR_MAX_PIXELS = 40_000_000  # an upload's own width × height: past it, decoding alone costs too much
# As Pillow names them; never SVG (a document, which may carry script).
AVATAR_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}
AVATAR_CONTENT_TYPE = "image/webp"

NOT_A_PICTURE = "That file is not a picture: use a PNG, JPEG, WebP or GIF image."
TOO_LARGE = f"That picture is too large: at most {AVATAR_MAX_BYTES // (1024 * 1024)} MiB."
TOO_MANY_PIXELS = "That picture has too many pixels: at most 40 megapixels."


def avatar_encode(upload: IO[bytes], *, size: int | None) -> bytes:
    """The upload as Parley stores it (a square WebP, metadata gone), or Refused: `too_large` past
    AVATAR_MAX_BYTES, `not_an_image` for anything Pillow does not open and verify as a PNG, JPEG, WebP or
    GIF."""
    if size is not None and size > AVATAR_MAX_BYTES:
        raise Refused("too_large", TOO_LARGE)
    data = upload.read(AVATAR_MAX_BYTES + 1)
    if len(data) > AVATAR_MAX_BYTES:
        raise Refused("too_large", TOO_LARGE)
    try:
        with Image.open(io.BytesIO(data), formats=sorted(AVATAR_FORMATS)) as probe:
            if probe.width * probe.height > AVATAR_MAX_PIXELS:
                raise Refused("not_an_image", TOO_MANY_PIXELS)
            probe.verify()  # the whole file's structure and checksums, before any pixel is decoded
        with Image.open(io.BytesIO(data), formats=sorted(AVATAR_FORMATS)) as image:
            image.seek(0)  # an animated GIF or WebP: its first frame
            if image.format == "JPEG":  # decoded at a fraction of its size where it is far larger than needed
                image.draft("RGB", (AVATAR_SIZE * 2, AVATAR_SIZE * 2))
            upright = ImageOps.exif_transpose(image)  # as the camera held it, before EXIF goes
            pixels = upright.convert("RGBA" if _has_alpha(upright) else "RGB")
            square = ImageOps.fit(pixels, (AVATAR_SIZE, AVATAR_SIZE), method=Image.Resampling.LANCZOS)
    except Refused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        raise Refused("not_an_image", NOT_A_PICTURE) from None
    out = io.BytesIO()
    square.save(out, format="WEBP", quality=85, method=4)  # no exif=, icc_profile=: nothing but the pixels
    return out.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def user_avatar_set(*, user: User, upload: IO[bytes], size: int | None = None) -> User:
    """The user's new picture: checked and re-encoded before anything is written (a refused upload changes
    nothing), stored under a new name, then recorded; the old picture is deleted once that commits, and the
    people who share a conversation with the user see the new one (user_profile_announce)."""
    encoded = avatar_encode(upload, size=size)
    name = default_storage.save(f"avatars/{user.pk}/{secrets.token_urlsafe(12)}.webp", ContentFile(encoded))
    try:
        with transaction.atomic():
            _avatar_record(user=user, name=name)
    except BaseException:
        default_storage.delete(name)  # not recorded: no orphan file
        raise
    return user


def user_avatar_remove(*, user: User) -> User:
    """Back to initials; the old picture is deleted once that commits."""
    with transaction.atomic():
        _avatar_record(user=user, name="")
    return user


def _avatar_record(*, user: User, name: str) -> None:
    locked = User.objects.select_for_update().only("pk", "avatar").get(pk=user.pk)
    old = locked.avatar.name
    if not old and not name:
        user.avatar = ""
        return
    User.objects.filter(pk=user.pk).update(avatar=name)
    user.avatar = name
    if old:
        transaction.on_commit(partial(default_storage.delete, old))
    user_profile_announce(user=user)
