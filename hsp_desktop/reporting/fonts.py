"""Fonts for the PDF reports.

English uses the PDF base-14 Helvetica (WinAnsi covers µ, ×, ², ±).  Chinese prefers an embedded TrueType CJK
font found on the machine (so the PDF looks the same on every viewer) and falls back to Adobe's ``STSong-Light``
CID font, which every PDF viewer with the Asian font pack (Acrobat, poppler, PDF.js, Windows Edge) substitutes.
ReportLab cannot embed OpenType fonts with PostScript (CFF) outlines, such as Noto Sans CJK; those are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: TrueType-outline CJK fonts worth embedding, in order of preference (Windows, then Linux distributions).
CJK_TRUETYPE_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("C:/Windows/Fonts/simhei.ttf", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("C:/Windows/Fonts/simsun.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/System/Library/Fonts/STHeiti Light.ttc", 0),
)

CJK_CID_FONT = "STSong-Light"


@dataclass(frozen=True)
class FontSet:
    """The font names a report uses, registered with ReportLab."""

    regular: str
    bold: str
    embedded: bool


@cache
def fonts_for(language: str) -> FontSet:
    """Register (once) and return the fonts for a report language (``"en"`` or ``"zh"``)."""
    if language != "zh":
        return FontSet("Helvetica", "Helvetica-Bold", embedded=False)
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    for path, index in CJK_TRUETYPE_CANDIDATES:
        if not Path(path).is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont("HspCJK", path, subfontIndex=index))
        except (TTFError, OSError):  # CFF outlines or an unreadable file: try the next one
            continue
        return FontSet("HspCJK", "HspCJK", embedded=True)
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_CID_FONT))
    return FontSet(CJK_CID_FONT, CJK_CID_FONT, embedded=False)
