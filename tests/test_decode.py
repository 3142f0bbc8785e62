"""Bytes to text: every encoding a page arrives in is decoded and named; non-text bytes are refused."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from pipeline.decode import BINARY_CONTENT, INVALID_TEXT, binary_preview, decode_page, split_lines
from pipeline.pages import count_lines

TEXT = "Café “quoted” naïve — résumé of a paper\nSecond line\n"
BAD = Path(__file__).parent / "fixtures" / "bad"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),  # with its byte-order mark, though every other byte is NUL
        (TEXT.encode("utf-32"), "utf-32"),
        (TEXT.encode("cp1252"), "cp1252"),  # typographic quotes and dashes saved by a Windows tool
        ("Café naïve \x81\n".encode("latin-1"), "latin-1"),  # 0x81 is unassigned in cp1252
        # Pasted from two sources: UTF-8 text with one stray cp1252 byte.
        (TEXT.encode("utf-8") + "Café".encode("cp1252"), "utf-8+cp1252"),
    ],
)
def test_text_in_each_encoding_is_decoded_and_named(data, encoding):
    page = decode_page(data)
    assert page.encoding == encoding
    assert page.text.startswith(TEXT.rstrip("\n").split("\n")[0][:4])
    assert page.problem is None
    assert page.is_fallback == (encoding in ("cp1252", "latin-1", "utf-8+cp1252"))


def test_mixed_text_keeps_its_utf8_characters_and_reads_the_stray_byte_as_cp1252():
    page = decode_page(TEXT.encode("utf-8") + b"caf\xe9")
    assert page.text == TEXT + "café"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"Title\x00\x00 abstract\n" * 10, BINARY_CONTENT),  # NUL bytes
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, BINARY_CONTENT),  # an image
        (bytes(range(0x80, 0x100)) * 20, INVALID_TEXT),  # no NUL, but not text in any encoding
        (b"text with \x1b[31m escapes \x1b[0m" * 3, BINARY_CONTENT),  # control bytes
    ],
)
def test_bytes_that_are_not_text_are_refused_with_a_reason(data, problem):
    page = decode_page(data)
    assert (page.text, page.encoding, page.problem) == (None, "binary", problem)


@pytest.mark.parametrize("data", [b"", b"  \n\t\r\n  ", codecs.BOM_UTF8 + b"\n"])
def test_empty_and_whitespace_only_files_are_empty(data):
    page = decode_page(data)
    assert (page.text or "").strip() == "" and page.problem is None


def test_a_binary_preview_is_printable_ascii():
    preview = binary_preview((BAD / "nul_bytes.txt").read_bytes(), limit=2_000)
    assert preview.isascii() and "\\x00" in preview


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_line_counts_of_bytes_and_of_text_agree_for_every_line_ending(newline):
    data = newline.join([b"one", b"", b"three", b"four"])
    assert count_lines(data) == len(split_lines(data.decode())) == 4
