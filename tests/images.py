"""Images for the facsimile tests, made with Pillow at run time (none are stored)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

ORIENTATION = 0x0112
GPS_IFD = 0x8825
RED, BLUE, GREEN = (220, 30, 30), (30, 30, 220), (30, 200, 30)


def image_bytes(image: Image.Image, format: str = "JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def two_colour(width: int, height: int, left=RED, right=BLUE, mode: str = "RGB") -> Image.Image:
    """Left half one colour, right half another: orientation shows in the result."""
    image = Image.new(mode, (width, height), left)
    image.paste(Image.new(mode, (width - width // 2, height), right), (width // 2, 0))
    return image


def jpeg(width: int = 400, height: int = 300, *, seed: int = 0, **options) -> bytes:
    image = two_colour(width, height)
    # A seed-coloured corner makes images of one size differ in their bytes (a single pixel
    # could vanish in JPEG's quantisation).
    corner = (min(16, width), min(16, height))
    image.paste(Image.new("RGB", corner, (seed * 37 % 256, seed * 11 % 256, seed % 7 * 36)))
    return image_bytes(image, "JPEG", quality=90, **options)


def png(width: int = 400, height: int = 300, *, mode: str = "RGB") -> bytes:
    colour = (*RED, 128) if mode == "RGBA" else RED
    return image_bytes(Image.new(mode, (width, height), colour), "PNG")


def webp(width: int = 400, height: int = 300) -> bytes:
    return image_bytes(two_colour(width, height), "WEBP", quality=80)


def tiff(pages: int = 1, width: int = 300, height: int = 200) -> bytes:
    """A TIFF whose first page is red and whose others are blue."""
    first = Image.new("RGB", (width, height), RED)
    others = [Image.new("RGB", (width, height), BLUE) for _ in range(pages - 1)]
    return image_bytes(first, "TIFF", save_all=True, append_images=others, compression="raw")


def camera_jpeg() -> bytes:
    """A photo as a phone takes it: stored sideways with an Orientation tag (rotate 90°
    clockwise to view), the place it was taken in GPS tags, the camera's name and a comment."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "Invented Camera Co."
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (41.0, 0.0, 30.0)
    gps[3], gps[4] = "E", (29.0, 0.0, 5.0)
    return image_bytes(
        two_colour(600, 300), "JPEG", quality=90, exif=exif, comment=b"taken at home"
    )


def decompression_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    """A small, valid-looking PNG whose header claims `width` × `height` pixels: a real 8 × 8
    PNG with the size in its IHDR chunk (and that chunk's CRC) rewritten."""
    data = bytearray(image_bytes(Image.new("L", (8, 8)), "PNG"))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17]))
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = "Bu bir tarama değil: just a note about the clipping.\n".encode()
