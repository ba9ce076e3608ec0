from __future__ import annotations

import codecs
import gzip
import io
import zipfile

import pytest

from archive.ingest import IngestRefused
from archive.ingest.decoding import decode

TURKISH = "Şükrü Yılmaz İstanbul'da çiçek ağacı gördü"


def test_decodes_utf8_without_bom() -> None:
    decoded = decode(TURKISH.encode("utf-8"))
    assert (decoded.text, decoded.encoding) == (TURKISH, "utf-8")


def test_decodes_utf8_with_bom_and_drops_the_bom() -> None:
    decoded = decode(codecs.BOM_UTF8 + TURKISH.encode("utf-8"))
    assert (decoded.text, decoded.encoding) == (TURKISH, "utf-8-sig")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_decodes_utf16_with_bom(codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    decoded = decode(bom + TURKISH.encode(codec))
    assert (decoded.text, decoded.encoding) == (TURKISH, "utf-16")


def test_falls_back_to_windows_1254_only_when_utf8_fails() -> None:
    # 0x80 is the euro sign in Windows-1254 and a C1 control in ISO-8859-9.
    data = (TURKISH + " 5 €").encode("cp1254")
    decoded = decode(data)
    assert (decoded.text, decoded.encoding) == (TURKISH + " 5 €", "windows-1254")


def test_labels_turkish_8bit_without_c1_bytes_as_iso_8859_9() -> None:
    decoded = decode(TURKISH.encode("iso-8859-9"))
    assert (decoded.text, decoded.encoding) == (TURKISH, "iso-8859-9")


def test_utf8_text_is_never_read_as_windows_1254() -> None:
    assert decode("çağ".encode()).text == "çağ"


def test_normalises_line_endings_to_line_feed() -> None:
    assert decode(b"one\r\ntwo\rthree\n").text == "one\ntwo\nthree\n"


def test_normalises_to_nfc() -> None:
    decomposed = "Gu\u0308nlu\u0308k"  # u + combining diaeresis
    assert decode(decomposed.encode()).text == "Günlük"


def test_refuses_empty_bytes() -> None:
    with pytest.raises(IngestRefused, match="empty"):
        decode(b"")


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "text")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
        (_zip_bytes(), "ZIP archive"),
        (gzip.compress(b"text"), "gzip"),
    ],
)
def test_refuses_binary_formats_by_name(data: bytes, named: str) -> None:
    with pytest.raises(IngestRefused, match=named) as refusal:
        decode(data)
    assert refusal.value.code == "binary"


def test_refuses_bytes_with_nul_as_binary() -> None:
    with pytest.raises(IngestRefused, match="NUL bytes"):
        decode(b"looks like text\x00\x01\x02")


def test_refuses_undecodable_bytes_and_says_where() -> None:
    # 0x81 and 0x8D are undefined in Windows-1254 and invalid as UTF-8.
    with pytest.raises(IngestRefused) as refusal:
        decode(b"Haber \x81\x8d metni")
    assert refusal.value.code == "undecodable"
    assert "utf-8 (byte 0x81 at offset 6)" in refusal.value.message
    assert "windows-1254" in refusal.value.message


def test_refuses_text_with_control_characters() -> None:
    with pytest.raises(IngestRefused, match="U\\+0007"):
        decode(b"bell \x07 inside")
