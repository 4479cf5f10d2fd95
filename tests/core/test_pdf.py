"""PDF rendering: documents keep their own fonts even though a fonts key lets documents of one
design share the fonts once loaded (app/core/pdf.py)."""

from pathlib import Path

import pypdfium2
import pytest

from app.core.pdf import render_pdf

FONTS = Path("/usr/share/fonts/truetype/dejavu")  # fonts-dejavu-core, a system requirement
WORD = "Aula"


def document(font_file: str) -> tuple[str, dict[str, bytes]]:
    """One word in a font named Brand, from the given file."""
    html = (
        "<style>@font-face { font-family: Brand; src: url(package:brand.ttf) }"
        f" p {{ font-family: Brand; font-size: 40pt }}</style><p>{WORD}</p>"
    )
    return html, {"brand.ttf": (FONTS / font_file).read_bytes()}


def printed_width(pdf: bytes) -> float:
    """How wide the word is on the page: the two fonts draw it at different widths."""
    text = pypdfium2.PdfDocument(pdf)[0].get_textpage()
    assert text.get_text_range() == WORD
    return round(text.get_charbox(len(WORD) - 1)[2] - text.get_charbox(0)[0], 1)


SANS = "DejaVuSans.ttf"
SERIF = "DejaVuSerif.ttf"


@pytest.fixture(scope="module")
def width():
    """The word's width in each font, each rendered on its own."""
    return {font: printed_width(render_pdf(*document(font))) for font in (SANS, SERIF)}


def test_the_two_fonts_print_the_word_at_different_widths(width):
    assert width[SANS] != width[SERIF]


def test_documents_with_different_fonts_keys_each_print_with_their_own_fonts(width):
    for _ in range(2):  # the second time, each key's fonts are already loaded
        sans = render_pdf(*document(SANS), fonts_key="design-a 1+aaaa")
        serif = render_pdf(*document(SERIF), fonts_key="design-b 1+bbbb")
        assert (printed_width(sans), printed_width(serif)) == (width[SANS], width[SERIF])


def test_documents_without_a_fonts_key_each_load_their_own_fonts(width):
    assert printed_width(render_pdf(*document(SERIF))) == width[SERIF]
    assert printed_width(render_pdf(*document(SANS))) == width[SANS]


def test_a_time_limited_render_keeps_each_keys_fonts_too(width):
    sans = render_pdf(*document(SANS), timeout=30, fonts_key="design-c 1+cccc")
    serif = render_pdf(*document(SERIF), timeout=30, fonts_key="design-d 1+dddd")
    assert (printed_width(sans), printed_width(serif)) == (width[SANS], width[SERIF])
