"""Bytes of a page file to text: BOMs, legacy and mixed encodings, and binary content, each named.

`DecodedPage.encoding` says how the text was obtained, so a page decoded by a fallback is visible
in `sources.encoding` and flagged on its records; bytes that are not text in any encoding we know
give `text=None` and a `problem` that becomes the quarantine reason.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

# Share of C0 control bytes (other than tab, newline, form feed, CR) beyond which bytes are not text.
_MAX_CONTROL_SHARE = 0.01
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0C, 0x0D)) + b"\x7f"
# A legacy single-byte text (French, German, typographic quotes) has a few percent of bytes >= 0x80;
# beyond this share the bytes are binary or text in an encoding we would only turn into mojibake.
_MAX_HIGH_BYTE_SHARE = 0.3
_HIGH_BYTES = bytes(range(0x80, 0x100))
# UTF-32 first: its little-endian BOM starts with UTF-16's.
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
LEGACY_ENCODINGS = ("cp1252", "latin-1", "utf-8+cp1252")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-32", *LEGACY_ENCODINGS, "binary", "empty")
# Quarantine reasons for bytes that are not text: a fixed vocabulary, so spans can be counted by reason.
BINARY_CONTENT = "binary content (NUL or control bytes)"
INVALID_TEXT = "invalid text: neither UTF-8 nor a single-byte encoding"
INVALID_WIDE_TEXT = "invalid UTF-16 or UTF-32 after its byte-order mark"


@dataclass(frozen=True)
class DecodedPage:
    text: str | None  # None when the bytes are not text
    encoding: str  # utf-8, utf-8-sig, utf-16, utf-32, cp1252, latin-1, utf-8+cp1252, binary, empty
    problem: str | None = None  # why the bytes cannot be read as text

    @property
    def is_fallback(self) -> bool:
        """True when the text was not valid UTF-8 (or UTF-16/32 with a BOM) and was decoded by guess."""
        return self.encoding in LEGACY_ENCODINGS


def _share(data: bytes, members: bytes) -> float:
    # bytes.translate deletes in C: the length difference counts the members without a Python loop.
    return (len(data) - len(data.translate(None, members))) / max(len(data), 1)


def _cp1252_byte(error: UnicodeDecodeError) -> tuple[str, int]:
    """Decode one undecodable byte as cp1252 (latin-1 for its five unassigned bytes) and go on."""
    byte = error.object[error.start : error.start + 1]
    try:
        return byte.decode("cp1252"), error.start + 1
    except UnicodeDecodeError:
        return byte.decode("latin-1"), error.start + 1


codecs.register_error("papers_cp1252_byte", _cp1252_byte)


def _decode_with_bom(data: bytes) -> DecodedPage | None:
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)  # the codec consumes the BOM itself
            except UnicodeDecodeError:
                return DecodedPage(None, "binary", INVALID_WIDE_TEXT)
            if "\x00" in text or _share(text.encode("utf-8", "replace"), _CONTROL_BYTES) > _MAX_CONTROL_SHARE:
                return DecodedPage(None, "binary", BINARY_CONTENT)
            return DecodedPage(text, codec)
    return None


def _decode_legacy(data: bytes) -> DecodedPage:
    """Not valid UTF-8: mostly UTF-8 with a few stray bytes, or a single-byte Windows/ISO encoding."""
    valid_text = data.decode("utf-8", "ignore")
    valid_multibyte = len(valid_text) - len(valid_text.encode("ascii", "ignore"))
    invalid = len(data.decode("utf-8", "replace")) - len(valid_text)
    if valid_multibyte > invalid:
        # Pasted from two sources: keep the UTF-8 characters and read only the stray bytes as cp1252,
        # instead of turning every UTF-8 character into mojibake by decoding the whole file as cp1252.
        return DecodedPage(data.decode("utf-8", "papers_cp1252_byte"), "utf-8+cp1252")
    if _share(data, _HIGH_BYTES) > _MAX_HIGH_BYTE_SHARE:
        return DecodedPage(None, "binary", INVALID_TEXT)
    try:
        # Web text saved by Windows tools is cp1252 far more often than true latin-1.
        return DecodedPage(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:
        return DecodedPage(data.decode("latin-1"), "latin-1")


def decode_page(data: bytes) -> DecodedPage:
    """Decode UTF-8 (with or without BOM) or UTF-16/32 with a BOM; fall back, flagged; refuse binary."""
    if not data or data.isspace():
        return DecodedPage("", "empty")
    if bom_decoded := _decode_with_bom(data):
        return bom_decoded
    if b"\x00" in data or _share(data, _CONTROL_BYTES) > _MAX_CONTROL_SHARE:
        return DecodedPage(None, "binary", BINARY_CONTENT)
    body, encoding = (data[3:], "utf-8-sig") if data.startswith(codecs.BOM_UTF8) else (data, "utf-8")
    try:
        return DecodedPage(body.decode("utf-8"), encoding)
    except UnicodeDecodeError:
        return _decode_legacy(body)


def binary_preview(data: bytes, limit: int = 200) -> str:
    """The start of undecodable bytes as printable ASCII escapes: safe to store and to show."""
    return data[:limit].decode("latin-1").encode("unicode_escape").decode("ascii")


def split_lines(text: str) -> list[str]:
    """Split on LF, CRLF or lone CR alike, so line numbers match what an editor shows."""
    if "\r" in text:  # skip two full copies of the text when it has Unix line endings already
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")
