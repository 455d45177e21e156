"""The certificate as a one-page PDF (A4, landscape), drawn with fpdf2.

Names and course titles may be Arabic, Persian or Pashto, or mix scripts ("اللغة الألمانية A1"),
so text goes through HarfBuzz (uharfbuzz) for joining and right-to-left order, with Noto Sans
for Latin, Greek and Cyrillic and Noto Sans Arabic as the fallback for Arabic script. The fonts
come from npm (`@expo-google-fonts/noto-sans`, `@expo-google-fonts/noto-sans-arabic`, SIL Open
Font License); fpdf2 embeds only the glyphs a certificate uses, so the file stays ~10-20 KB.

Parsing and subsetting the fonts costs ~100 ms, and a certificate never changes once issued, so
each rendering (per code, language and verification address) is kept in the cache.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from fpdf import FPDF

FONT_ROOT = Path(settings.BASE_DIR) / "node_modules" / "@expo-google-fonts"
FONTS = {
    ("NotoSans", ""): FONT_ROOT / "noto-sans" / "400Regular" / "NotoSans_400Regular.ttf",
    ("NotoSans", "B"): FONT_ROOT / "noto-sans" / "700Bold" / "NotoSans_700Bold.ttf",
    ("NotoSansArabic", ""): FONT_ROOT / "noto-sans-arabic" / "400Regular" / "NotoSansArabic_400Regular.ttf",
    ("NotoSansArabic", "B"): FONT_ROOT / "noto-sans-arabic" / "700Bold" / "NotoSansArabic_700Bold.ttf",
}
# Arabic script, its supplements and presentation forms (Arabic, Persian, Pashto, Urdu).
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
CACHE_SECONDS = 7 * 24 * 3600
INK = (11, 90, 122)  # the platform's theme colour (#0b5a7a)
GREY = (70, 70, 70)
# fontTools logs every subsetting step at INFO; that is noise in the server log.
logging.getLogger("fontTools").setLevel(logging.WARNING)


@dataclass(frozen=True)
class CertificateText:
    """Everything printed on the certificate, already translated and formatted."""

    heading: str
    certifies: str
    name: str
    completed: str
    course: str
    details: str
    code_label: str
    code: str
    check_label: str
    url: str


def _line(
    pdf: FPDF, text: str, *, style: str, size: float, height: float, color: tuple[int, int, int]
) -> None:
    pdf.set_font("NotoSans", style, size)
    # fpdf2 2.8 switches to a fallback font inside a saved graphics state and then believes the
    # main font is still set; without this, a line after an Arabic one is drawn with no font.
    pdf.current_font_is_set_on_page = False
    pdf.set_text_color(*color)
    pdf.multi_cell(0, height, text, align="C", new_x="LMARGIN", new_y="NEXT")


def certificate_pdf_render(text: CertificateText) -> bytes:
    """The PDF for `text`: a framed page, centred lines, right-to-left where the text is."""
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"{text.heading}: {text.course}")
    pdf.set_creator("Passage")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(25, 20, 25)
    pdf.add_page()
    # Fonts are embedded even when unused, so Arabic ones only when some line needs them.
    arabic = any(_ARABIC.search(value) for value in vars(text).values())
    for (family, style), path in FONTS.items():
        if arabic or family == "NotoSans":
            pdf.add_font(family, style, str(path))
    if arabic:
        pdf.set_fallback_fonts(["NotoSansArabic"], exact_match=False)
    pdf.set_text_shaping(True)

    pdf.set_draw_color(*INK)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, pdf.w - 26, pdf.h - 26)

    pdf.set_y(24)
    _line(pdf, "Passage", style="B", size=14, height=8, color=INK)
    pdf.ln(6)
    _line(pdf, text.heading, style="B", size=30, height=15, color=INK)
    pdf.ln(6)
    _line(pdf, text.certifies, style="", size=14, height=8, color=GREY)
    pdf.ln(2)
    _line(pdf, text.name, style="B", size=28, height=14, color=(0, 0, 0))
    pdf.ln(2)
    _line(pdf, text.completed, style="", size=14, height=8, color=GREY)
    pdf.ln(2)
    _line(pdf, text.course, style="B", size=20, height=10, color=(0, 0, 0))
    pdf.ln(4)
    _line(pdf, text.details, style="", size=14, height=8, color=GREY)

    pdf.set_y(pdf.h - 46)
    _line(pdf, f"{text.code_label} {text.code}", style="B", size=13, height=7, color=(0, 0, 0))
    _line(pdf, text.check_label, style="", size=11, height=6, color=GREY)
    _line(pdf, text.url, style="", size=11, height=6, color=INK)
    return bytes(pdf.output())


def certificate_pdf(text: CertificateText) -> bytes:
    """`certificate_pdf_render`, from the cache when this exact text was rendered before."""
    key = "courses:certificate-pdf:" + hashlib.sha256(repr(text).encode()).hexdigest()
    data: bytes | None = cache.get(key)
    if data is None:
        data = certificate_pdf_render(text)
        cache.set(key, data, timeout=CACHE_SECONDS)
    return data
