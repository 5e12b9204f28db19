"""Reading back the PDFs the bot writes, without a PDF library: the page objects, and the text drawn."""

from __future__ import annotations

import re
import zlib


def page_count(pdf: bytes) -> int:
    """The pages of a PDF, by their objects (`/Type /Pages` is the tree, not a page)."""
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def pdf_text(pdf: bytes) -> str:
    """The text drawn in a PDF's content streams, one line per text object: the strings of each BT ... ET block
    joined (matplotlib splits words for kerning). Good enough for ASCII words, which is what the tests look for."""
    lines = []
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            content = zlib.decompress(stream.group(1))
        except zlib.error:
            continue
        for block in re.finditer(rb"BT(.*?)ET", content, re.S):
            strings = re.findall(rb"\(((?:\\.|[^\\)])*)\)", block.group(1))
            lines.append(b"".join(re.sub(rb"\\(.)", rb"\1", s) for s in strings).decode("latin-1"))
    return "\n".join(lines)
