"""Bytes of a page file to text: BOMs, legacy encodings and binary content, each named."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

# Share of C0 control characters (other than tab/newline/CR/form feed) beyond which text is binary.
_MAX_CONTROL_SHARE = 0.01
_ALLOWED_CONTROLS = {0x09, 0x0A, 0x0C, 0x0D}


@dataclass(frozen=True)
class DecodedPage:
    text: str | None  # None when the bytes are not text
    encoding: str  # utf-8, utf-8-sig, cp1252, latin-1, binary, empty
    problem: str | None = None  # why the file cannot be read as text


def _looks_binary(data: bytes) -> bool:
    if b"\x00" in data:
        return True
    sample = data[: 1 << 16]
    controls = sum(1 for b in sample if b < 0x20 and b not in _ALLOWED_CONTROLS)
    return controls > _MAX_CONTROL_SHARE * max(len(sample), 1)


def decode_page(data: bytes) -> DecodedPage:
    """Decode UTF-8 (with or without BOM); fall back to cp1252/latin-1, flagged; refuse binary."""
    if not data.strip():
        return DecodedPage("", "empty")
    if _looks_binary(data):
        return DecodedPage(None, "binary", "binary content (NUL or control bytes)")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return DecodedPage(data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError:
            return DecodedPage(None, "binary", "invalid UTF-8 after a UTF-8 byte-order mark")
    try:
        return DecodedPage(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Web text saved by Windows tools is cp1252 far more often than true latin-1.
        return DecodedPage(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:
        return DecodedPage(data.decode("latin-1"), "latin-1")


def split_lines(text: str) -> list[str]:
    """Split on LF, CRLF or lone CR alike, so line numbers match what an editor shows."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
