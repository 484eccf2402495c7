"""Page layout shared by the reports: A4 template, paragraph styles, tables, and the per-page footer."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from hsp_desktop.errors import InputError
from hsp_desktop.reporting.fonts import FontSet

MARGIN = 15 * mm
PAGE_W, PAGE_H = A4
CONTENT_W = PAGE_W - 2 * MARGIN
HEADER_BG = colors.HexColor("#eef1f5")


class Styles:
    """Paragraph styles for one font set (CJK text wraps per character)."""

    def __init__(self, fonts: FontSet, language: str) -> None:
        wrap = "CJK" if language == "zh" else None
        base: dict[str, Any] = {"fontName": fonts.regular, "alignment": TA_LEFT}
        if wrap:
            base["wordWrap"] = wrap
        self.title = ParagraphStyle("title", fontSize=14.5, leading=18, **{**base, "fontName": fonts.bold})
        self.subtitle = ParagraphStyle(
            "subtitle", fontSize=9, leading=11, textColor=colors.HexColor("#555555"), **base
        )
        self.h2 = ParagraphStyle(
            "h2", fontSize=10.5, leading=13, spaceBefore=6, spaceAfter=3, **{**base, "fontName": fonts.bold}
        )
        self.body = ParagraphStyle("body", fontSize=8.5, leading=11, **base)
        self.small = ParagraphStyle("small", fontSize=7.5, leading=9.5, **base)
        self.cell = ParagraphStyle("cell", fontSize=8, leading=10, **base)
        self.cell_bold = ParagraphStyle("cellb", fontSize=8, leading=10, **{**base, "fontName": fonts.bold})
        self.caution = ParagraphStyle(
            "caution",
            fontSize=8,
            leading=10,
            textColor=colors.HexColor("#9a4b00"),
            **{**base, "fontName": fonts.bold},
        )
        self.big = ParagraphStyle("big", fontSize=20, leading=24, **{**base, "fontName": fonts.bold})


def table(
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    fonts: FontSet,
    *,
    header: bool = True,
    size: float = 8,
    extra: Sequence[tuple[Any, ...]] = (),
) -> Table:
    """A compact grid table; the first row is a shaded header when ``header``."""
    tbl = Table([list(r) for r in rows], colWidths=list(widths), repeatRows=1 if header else 0)
    style: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), fonts.regular),
        ("FONTSIZE", (0, 0), (-1, -1), size),
        ("LEADING", (0, 0), (-1, -1), size + 2),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8c8c8")),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style += [
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
            ("FONTNAME", (0, 0), (-1, 0), fonts.bold),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#808080")),
        ]
    tbl.setStyle(TableStyle(style + list(extra)))
    return tbl


def numbered_canvas(
    footer_left: str, footer_right: Callable[[int, int], str], font: str
) -> type[rl_canvas.Canvas]:
    """A canvas class that writes the footer with "page n of N" on every page once the page count is known."""

    class _NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            self.saveState()
            self.setStrokeColor(colors.HexColor("#909090"))
            self.setLineWidth(0.4)
            self.line(MARGIN, 11 * mm, PAGE_W - MARGIN, 11 * mm)
            self.setFont(font, 7)
            self.setFillColor(colors.HexColor("#404040"))
            self.drawString(MARGIN, 7.5 * mm, footer_left)
            self.drawRightString(PAGE_W - MARGIN, 7.5 * mm, footer_right(self._pageNumber, total))
            self.restoreState()

    return _NumberedCanvas


def build_pdf(
    path: Path | str,
    story: list[Flowable],
    *,
    title: str,
    author: str,
    subject: str,
    canvasmaker: type[rl_canvas.Canvas],
) -> Path:
    """Write ``story`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise InputError(
            "Report folder does not exist",
            expected="an existing folder",
            found=str(folder),
            fix="create the folder or choose another output path",
            field="output",
        )
    fd, tmp_name = tempfile.mkstemp(prefix=".report-", suffix=".pdf", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        doc = SimpleDocTemplate(
            str(tmp),
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=12 * mm,
            bottomMargin=16 * mm,
            title=title,
            author=author,
            subject=subject,
            creator="HSP Desktop",
            invariant=1,
        )
        doc.build(story, canvasmaker=canvasmaker)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def needs_cjk(text: str) -> bool:
    """True when ``text`` has characters the base-14 fonts cannot show (e.g. a Chinese name)."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return True
    return False


def any_text(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph that switches to the CJK font when ``text`` needs it (names typed in Chinese)."""
    if style.fontName.startswith("Helvetica") and needs_cjk(text):
        from hsp_desktop.reporting.fonts import fonts_for

        style = ParagraphStyle(
            style.name + "-cjk", parent=style, fontName=fonts_for("zh").regular, wordWrap="CJK"
        )
    return p(text, style)


def p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (XML special characters escaped)."""
    from xml.sax.saxutils import escape

    return Paragraph(escape(text), style)
