"""A promotion's picture, checked before it reaches a screen: PNG or JPEG by its content
(Pillow reads and verifies it, whatever the name or the claim), within a size in bytes
and in pixels. Returned as a data: URI, so screens need nothing but the broker."""

from __future__ import annotations

import base64
import binascii
import io

from PIL import Image, UnidentifiedImageError

from edge_agent.queue.engine import QueueError
from lobby.contract import ErrorCode

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


def decode_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text.removeprefix("data:image/png;base64,").removeprefix("data:image/jpeg;base64,"), validate=True)
    except (binascii.Error, ValueError):
        raise QueueError(ErrorCode.BAD_IMAGE, "The image is not valid base64.") from None


def checked_image(data: bytes, max_bytes: int, max_pixels: int) -> str:
    """The image as a data: URI, or a QueueError saying what is wrong with it."""
    if len(data) > max_bytes:
        raise QueueError(ErrorCode.IMAGE_TOO_LARGE, f"The image is {len(data) // 1024} KB; the limit is {max_bytes // 1024} KB.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind, size = probe.format, probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise QueueError(ErrorCode.BAD_IMAGE, "The file is not a PNG or JPEG image (or it is damaged).") from None
    if kind not in FORMATS:
        raise QueueError(ErrorCode.BAD_IMAGE, f"The image is {kind}; use PNG or JPEG.")
    if max(size) > max_pixels:
        raise QueueError(ErrorCode.IMAGE_TOO_LARGE, f"The image is {size[0]}×{size[1]} pixels; the longer side may be {max_pixels} at most.")
    return f"data:{FORMATS[kind]};base64,{base64.b64encode(data).decode('ascii')}"
