"""From received bytes to the normalised text that offsets are defined on."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from archive.ingest.errors import IngestRefused

# Signatures of formats that are sometimes sent by mistake as "text".
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"RIFF", "a RIFF file (WebP, WAV or AVI)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
)

# Control characters other than tab, line feed, form feed and carriage return never occur in
# real text; finding one means the bytes were not text in the encoding we tried.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str


def sniff_binary(data: bytes) -> str | None:
    """Name the binary format `data` starts with, or None if it looks like it could be text."""
    for signature, description in _BINARY_SIGNATURES:
        if data.startswith(signature):
            return description
    return None


def normalize_text(text: str) -> str:
    """`\\r\\n` and `\\r` become `\\n`; the text becomes Unicode NFC. Nothing else changes."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _refuse_controls(text: str, encoding: str) -> None:
    match = _CONTROL.search(text)
    if match:
        raise IngestRefused(
            f"the bytes are not text: decoded as {encoding} they contain the control character "
            f"U+{ord(match.group()):04X} at character {match.start()}",
            code="undecodable",
        )


@lru_cache(maxsize=2)
def decode(data: bytes) -> DecodedText:
    """Decode received bytes: a BOM decides (UTF-8, UTF-16); else UTF-8; else Turkish 8-bit.

    Cached for the last two files: the parsers are tried in turn on the same bytes, and each
    decodes them (a refusal is not cached, so it is raised again for each).

    Windows-1254 is tried only when UTF-8 fails. When no byte falls in 0x80-0x9F, the bytes
    read the same in Windows-1254 and ISO-8859-9, and the label says ISO-8859-9.
    """
    if not data:
        raise IngestRefused("the file is empty", code="empty")
    binary = sniff_binary(data)
    if binary:
        raise IngestRefused(f"the file is {binary}, not text", code="binary")

    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        if b"\x00" in data:
            raise IngestRefused(
                "the file contains NUL bytes: it is binary data or UTF-16 without a byte-order "
                "mark",
                code="binary",
            )
        eight_bit = "windows-1254" if re.search(rb"[\x80-\x9f]", data) else "iso-8859-9"
        candidates = ["utf-8", eight_bit]

    failures = []
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            failures.append(f"{encoding} (byte 0x{data[error.start]:02X} at offset {error.start})")
            continue
        _refuse_controls(text, encoding)
        return DecodedText(text=normalize_text(text), encoding=encoding)
    raise IngestRefused(
        "the bytes cannot be decoded as text; tried " + ", ".join(failures), code="undecodable"
    )
