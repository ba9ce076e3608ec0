"""Facsimile images: checking received bytes, and rendering the derivatives researchers see.

The only module that imports Pillow. Received files are hostile until proven otherwise, so
nothing here decodes pixels before the file's size and its header's pixel count have passed
their limits, only four raster formats are ever handed to Pillow's decoders, and a file that
ends early is refused rather than shown half-grey.
"""

from __future__ import annotations

import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError
from PIL.ExifTags import Base

from archive.ingest.decoding import sniff_binary
from archive.ingest.errors import ImageRefused
from archive.storage import INCOMING_PREFIX

# Pillow's names of the formats accepted, and the media type each is served with.
MEDIA_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "TIFF": "image/tiff",
    "WEBP": "image/webp",
}
ACCEPTED = "JPEG, PNG, TIFF or WebP"
# Derivatives are JPEG: every browser shows it, and scans of paper have no transparency.
DERIVATIVE_MEDIA_TYPE = "image/jpeg"
DERIVATIVE_QUALITY = 85

_SVG_MARKERS = (b"<svg", b"<!doctype svg", b"<?xml")


@dataclass(frozen=True)
class ImageInfo:
    """What Kaynak records about an accepted image."""

    format: str  # one of MEDIA_TYPES
    media_type: str
    width: int
    height: int
    page_count: int


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int


def check_image_size(size: int) -> None:
    """Refuse by byte count alone: called before an upload is read into memory."""
    limit = settings.KAYNAK_MAX_IMAGE_BYTES
    if size > limit:
        raise ImageRefused(
            f"the image is {size:,} bytes, over the limit of {limit:,} bytes "
            "(KAYNAK_MAX_IMAGE_BYTES)",
            code="too_large",
            size_bytes=size,
            limit_bytes=limit,
        )
    if size == 0:
        raise ImageRefused("the file is empty", code="empty")


def _describe_unaccepted(data: bytes) -> tuple[str, str]:
    """Say what bytes Pillow would not open as an accepted format are, for the refusal."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(marker in head for marker in _SVG_MARKERS) and b"<svg" in data[:4096].lower():
        return (
            "the file is an SVG drawing, which can carry scripts and is not accepted; "
            f"send a {ACCEPTED} scan",
            "unsupported_format",
        )
    binary = sniff_binary(data)
    if binary:
        return (f"the file is {binary}, not a {ACCEPTED} image", "unsupported_format")
    if b"\x00" not in data[:4096]:
        return (f"the file is text, not a {ACCEPTED} image", "not_an_image")
    return (f"the file is not a {ACCEPTED} image", "not_an_image")


def _open(source: bytes | Path) -> Image.Image:
    """Open the header only, refusing anything but the accepted formats or over the pixel
    limit. Pillow reads no pixel data until `load()`."""
    limit = settings.KAYNAK_MAX_IMAGE_PIXELS
    # Pillow's own bomb check runs inside open(), before we can look at the size: make it use
    # the configured limit (it warns above it and raises above twice it) so ours decides.
    Image.MAX_IMAGE_PIXELS = limit
    # Pillow's default, but anything in the process could have switched it on; on, a file
    # that ends early would decode as a partial image instead of failing.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        image = Image.open(stream, formats=list(MEDIA_TYPES))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        raise ImageRefused(
            f"the image's header claims more than the limit of {limit:,} pixels "
            f"(KAYNAK_MAX_IMAGE_PIXELS); it was not decoded ({bomb})",
            code="too_many_pixels",
            limit_pixels=limit,
        ) from None
    except FileNotFoundError:
        raise  # a stored original gone missing is not a fault of the image
    except UnidentifiedImageError:
        if isinstance(source, bytes):
            data = source
        else:
            with source.open("rb") as handle:
                data = handle.read(4096)
        message, code = _describe_unaccepted(data)
        raise ImageRefused(message, code=code) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRefused(f"the image's header is damaged ({error})", code="damaged") from None
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise ImageRefused(f"the image claims a size of {width} × {height}", code="damaged")
    if width * height > limit:
        image.close()
        raise ImageRefused(
            f"the image is {width:,} × {height:,} = {width * height:,} pixels, more than the "
            f"limit of {limit:,} pixels (KAYNAK_MAX_IMAGE_PIXELS); it was not decoded",
            code="too_many_pixels",
            width=width,
            height=height,
            limit_pixels=limit,
        )
    return image


def inspect_image(data: bytes) -> ImageInfo:
    """Check received bytes are a whole image Kaynak can show, without trusting them.

    Order matters: byte size, then the header (format and pixel count, nothing decoded),
    then a structural check, then a full decode of the first page to find truncation.
    Raises ImageRefused saying what is wrong.
    """
    check_image_size(len(data))
    with _open(data) as image:
        image_format = image.format
        assert image_format is not None  # `_open` accepted one of MEDIA_TYPES
        info = ImageInfo(
            format=image_format,
            media_type=MEDIA_TYPES[image_format],
            width=image.width,
            height=image.height,
            page_count=getattr(image, "n_frames", 1),
        )
    try:
        # verify() checks what the format can check without decoding (PNG's chunk CRCs);
        # it leaves the image unusable, hence a fresh open for the decode.
        with _open(data) as image:
            image.verify()
        with _open(data) as image:
            # JPEG decodes at 1/8 scale here: every byte is still read, so truncation is
            # still found, with an eighth of the memory and time.
            image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except ImageRefused:
        raise
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError, struct.error…
        reason = str(error) or type(error).__name__
        if "truncated" in reason.lower():
            raise ImageRefused(
                f"the image is truncated: the file ends before its pixels do ({reason})",
                code="truncated",
            ) from None
        raise ImageRefused(f"the image cannot be decoded ({reason})", code="damaged") from None
    return info


def _flatten(image: Image.Image) -> Image.Image:
    """RGB or greyscale pixels JPEG can hold; transparency is laid on white, as on paper."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith("I"):
        # 16-bit greyscale scans: the top 8 bits are what a screen can show.
        return image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode == "F":
        return image.convert("L")
    return image.convert("RGB")


def render_derivatives(original: Path, targets: dict[Path, int]) -> dict[Path, Rendition]:
    """Render the first page of `original` into each target path, fitted within its size in
    pixels (longest side), upright (EXIF orientation applied), as JPEG without metadata.

    Each target is written under a temporary name in its own folder and renamed into place,
    so a reader (or a crash) never meets a half-written derivative. Memory stays bounded by
    the largest target: JPEG decodes at a reduced scale (`draft`) and nothing at full size
    is kept beyond the decode of other formats.
    """
    largest = max(targets.values())
    with _open(original) as image:
        icc_profile = image.info.get("icc_profile")
        exif_orientation = image.getexif().get(Base.Orientation, 1)
        # thumbnail() asks the decoder for a reduced draft first (JPEG: 1/2 to 1/8 scale).
        image.thumbnail((largest, largest), Image.Resampling.LANCZOS)
        upright = ImageOps.exif_transpose(image) if exif_orientation != 1 else image
        pixels = _flatten(upright)
        pixels.load()  # while the file is open: thumbnail() leaves a small image unread
    results: dict[Path, Rendition] = {}
    written: list[Path] = []
    try:
        for target, size in sorted(targets.items(), key=lambda item: -item[1]):
            copy = pixels.copy()
            copy.thumbnail((size, size), Image.Resampling.LANCZOS)
            # A clean image: no EXIF (camera, GPS), comments or XMP travel with the pixels.
            clean = Image.frombytes(copy.mode, copy.size, copy.tobytes())
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(
                f"{INCOMING_PREFIX}{os.getpid()}-{threading.get_ident()}-{target.name}"
            )
            written.append(temporary)
            with temporary.open("wb") as handle:
                clean.save(
                    handle,
                    "JPEG",
                    quality=DERIVATIVE_QUALITY,
                    optimize=True,
                    progressive=True,
                    # The colour profile is kept so colours stay true; it says nothing about
                    # who took the picture or where.
                    **({"icc_profile": icc_profile} if icc_profile else {}),
                )
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
            results[target] = Rendition(clean.width, clean.height)
    finally:
        for temporary in written:
            temporary.unlink(missing_ok=True)
    return results
