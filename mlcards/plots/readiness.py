"""Readiness figures: the section-score chart (SVG) and the printable PDF scorecard.

Text from the registry is drawn literally (`parse_math=False`, or straight through
the renderer), so a `$` in a note is a dollar sign, not mathtext. The PDF has a
summary page, a page with every test and the provenance, then the tests' details
and evidence in full (URLs wrapped, never cut, as links) on as many pages as they
need; it is written without dates so the same scorecard gives the same bytes.

Both are drawn for every assessed version of a registry, so they are kept cheap:

- The chart has no Axes, ticks or legend: its bars, lines and texts are placed in
  inches (an Axes with its Tick objects and a Legend cost more than the rest).
- The PDF pages draw their text through one artist per page (`TextRows`) instead of
  a matplotlib Text per cell.
- A document whose text is all cp1252 (the WinAnsi encoding of the PDF core fonts)
  is set in Helvetica, a core font: nothing is embedded and no glyph is laid out
  through FreeType. Any other document (a CJK name, an emoji, a '≥' in a rubric) is
  set in DejaVu Sans, embedded as Type 3 fonts, so every character prints and can be
  extracted. The choice depends only on the document's text, so it is deterministic.
  Characters DejaVu Sans lacks (Chinese, Japanese, Korean) are taken from the first
  CJK font of `CJK_FONT_FILES` found on the machine (scripts/install-browser.sh
  installs Debian's fonts-wqy-microhei); without one they print as boxes.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import textwrap
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import matplotlib
from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_pdf import (
    Name,
    Op,
    PdfFile,
    PdfPages,
    RendererPdf,
    _get_link_annotation,
)
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text

from mlcards.compute.scorecard_data import (
    Scorecard,
    ScorecardSection,
    ScorecardTest,
    ScorecardVerification,
    automation,
)
from mlcards.compute.verification import STATE_LABELS
from mlcards.plots import textcache
from mlcards.plots.canvas import ASCENT, MIDDLE
from mlcards.plots.figures import OKABE_ITO, new_figure, svg_bytes

textcache.install_pdf()  # this module draws the scorecard PDFs (and imports the backend)

BLUE, ORANGE, GREEN, VERMILLION = OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[2], OKABE_ITO[3]
GREY, LIGHT, INK = "#6b6b6b", "#e6e6e6", "#1a1a1a"
STATUS_COLOURS = {"automated": GREEN, "manual": ORANGE, "not-done": VERMILLION}
STATUS_TEXT = {"automated": "automated", "manual": "manual", "not-done": "not done"}
VERIFIED_COLOURS = {"verified": GREEN, "failed": VERMILLION, "unverified": ORANGE,
                    "self-declared": GREY}
A4 = (8.27, 11.69)
MARGIN = 0.7
PDF_METADATA = {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None}

Ha = Literal["left", "center", "right"]
Va = Literal["top", "center", "baseline"]
Dash = Literal["--", ":"]


def points_text(value: float) -> str:
    return f"{value:g}"


def baseline(y: float, size: float, va: Va) -> float:
    """The baseline, in inches, of a line of `size`-point text whose `va` is at `y`
    (inches up from the bottom of the figure)."""
    return y - {"top": ASCENT, "center": MIDDLE, "baseline": 0.0}[va] * size / 72


# Fonts with CJK glyphs, in order of preference: Debian's and Fedora's paths, then macOS.
CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


@functools.cache
def pdf_font_families() -> tuple[str, ...]:
    """DejaVu Sans, then a CJK font for the glyphs it lacks (matplotlib's per-glyph
    font fallback), if one is installed."""
    for path in CJK_FONT_FILES:
        if os.path.isfile(path):
            font_manager.fontManager.addfont(path)
            return ("DejaVu Sans", font_manager.FontProperties(fname=path).get_name())
    return ("DejaVu Sans",)


class _NoBoldFallbackNotice(logging.Filter):
    """The CJK fonts have no bold face: matplotlib's notice that it uses the regular one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Failed to find font weight" not in record.getMessage()


@contextmanager
def quiet_glyphs() -> Iterator[None]:
    """Characters no font has draw as boxes; do not warn per glyph (nor per bold CJK run)."""
    notice = _NoBoldFallbackNotice()
    log = logging.getLogger(font_manager.__name__)
    log.addFilter(notice)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
            yield
    finally:
        log.removeFilter(notice)


# --------------------------------------------------------------------------- text


class PutText(Protocol):
    """Draws one line of text at (x, y), inches up and right from the figure's corner."""

    def __call__(self, x: float, y: float, s: str, size: float, *, ha: Ha = "left",
                 va: Va = "baseline", color: str = INK, bold: bool = False) -> None: ...


@dataclass(frozen=True)
class _Row:
    x: float
    y: float
    text: str
    size: float
    bold: bool
    color: str
    ha: Ha
    after: bool
    url: str | None = None


class TextRows(Artist):
    """One-line texts at fixed baselines, all drawn by this one artist.

    A matplotlib Text costs tens of microseconds to make and as much again to lay out
    and draw; a page of the scorecard has about a hundred of them. A row here is only
    the renderer's draw_text (and a width measurement when it is not left-aligned).
    Positions are inches from the figure's lower left; a row made with `after` starts
    `x` inches after the end of the row before it. The font is chosen when drawing:
    Helvetica when rcParams['pdf.use14corefonts'] is on, else the rc font family.
    """

    def __init__(self) -> None:
        super().__init__()
        self.set_zorder(3)
        self.rows: list[_Row] = []

    @property
    def texts(self) -> list[str]:
        return [row.text for row in self.rows]

    def add(self, x: float, y: float, text: str, size: float, *, bold: bool = False,
            color: str = INK, ha: Ha = "left", after: bool = False,
            url: str | None = None) -> None:
        if text:
            self.rows.append(_Row(x, y, text, size, bold, color, ha, after, url))

    def draw(self, renderer: RendererBase) -> None:
        fig = self.get_figure()
        if fig is None or not self.get_visible() or not self.rows:
            return
        dpi = fig.dpi
        core = bool(matplotlib.rcParams["pdf.use14corefonts"])
        with document_font_lookups(renderer):
            self._draw_rows(renderer, dpi, core)
        self.stale = False

    def _draw_rows(self, renderer: RendererBase, dpi: float, core: bool) -> None:
        fonts: dict[tuple[float, bool], FontProperties] = {}
        gc = renderer.new_gc()
        direct = _CoreText.of(renderer) if core else None
        end = 0.0
        for i, row in enumerate(self.rows):
            prop = fonts.get((row.size, row.bold))
            if prop is None:
                prop = fonts[row.size, row.bold] = _font(row.size, row.bold, core)
            x = (end if row.after else 0.0) + row.x * dpi
            following = i + 1 < len(self.rows) and self.rows[i + 1].after
            width = 0.0
            if row.ha != "left" or following or row.url:
                width = renderer.get_text_width_height_descent(row.text, prop, ismath=False)[0]
            x -= {"left": 0.0, "center": width / 2, "right": width}[row.ha]
            end = x + width
            if direct is not None:
                direct.draw(gc, x, row.y * dpi, row.text, prop, row.color)
            else:
                gc.set_foreground(row.color)
                renderer.draw_text(gc, x, row.y * dpi, row.text, prop, 0.0, ismath=False)
            if row.url:
                _link(renderer, row.url, x, row.y * dpi, width, row.size * dpi / 72)
        gc.restore()


class _CoreText:
    """Writes a row in a PDF core font as RendererPdf.draw_text does (the graphics state
    for its colour, then BT /F1 size Tf, x y Td, (text) Tj ET), through the same file
    methods, but sets the colour only when it is not the previous row's: draw_text
    compares the whole graphics state for every row (check_gc), and after one row
    the next in the same colour would write nothing. Only for matplotlib's own
    RendererPdf writing a `_PdfFile` (`of` gives None otherwise)."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        self.file: Any = pdf.file
        self.colour: str | None = None

    @classmethod
    def of(cls, renderer: RendererBase) -> _CoreText | None:
        pdf = getattr(renderer, "_renderer", renderer)  # a MixedModeRenderer's, not rasterizing
        plain = (isinstance(pdf, RendererPdf) and isinstance(pdf.file, _PdfFile)
                 and type(pdf).draw_text is RendererPdf.draw_text
                 and type(pdf).check_gc is RendererPdf.check_gc
                 and bool(matplotlib.rcParams["pdf.use14corefonts"]))
        return cls(pdf) if plain else None

    def draw(self, gc: Any, x: float, y: float, text: str, prop: FontProperties,
             colour: str) -> None:
        linked = gc.get_url() is not None  # draw_text's own link (TextRows adds its own)
        if colour != self.colour:
            gc.set_foreground(colour)
            if not linked:
                self.pdf.check_gc(gc, gc._rgb)
            self.colour = colour
        if linked:
            self.pdf.draw_text(gc, x, y, text, prop, 0.0)
            return
        op: Any = Op
        file = self.file
        file.output(op.begin_text, file.fontName(prop), prop.get_size_in_points(),
                    op.selectfont)
        self.pdf._setup_textpos(x, y, 0.0)
        file.output(self.pdf.encode_string(text, fonttype=1), op.show, op.end_text)


def _link(renderer: RendererBase, url: str, x: float, y: float, width: float,
          height: float) -> None:
    """A clickable link over a drawn row, in a PDF (what matplotlib's PDF renderer does
    for a Text with a url, which it skips for the core fonts)."""
    file = getattr(renderer, "file", None)
    if not isinstance(file, PdfFile):
        return
    gc = renderer.new_gc()
    gc.set_url(url)
    file._annotations[-1][1].append(_get_link_annotation(  # type: ignore[no-untyped-call]
        gc, x, y - 0.2 * height, width, height, 0.0))
    gc.restore()


def _font(size: float, bold: bool, core: bool) -> FontProperties:
    if core:  # the core fonts' AFM files call the regular face 'Medium'
        return FontProperties(family="Helvetica", size=size, weight="bold" if bold else "medium")
    return FontProperties(family=list(pdf_font_families()), size=size,
                          weight="bold" if bold else "normal")


def figure_text(fig: Figure) -> PutText:
    """PutText through matplotlib Text objects (for SVG: browsers then align the text
    themselves, in whatever font they use)."""
    def put(x: float, y: float, s: str, size: float, *, ha: Ha = "left",
            va: Va = "baseline", color: str = INK, bold: bool = False) -> None:
        fig.text(x, y, s, transform=fig.dpi_scale_trans, fontsize=size, ha=ha, va=va,
                 color=color, fontweight="bold" if bold else "normal", parse_math=False)
    return put


def drawn_text(figures: Iterable[Figure]) -> list[str]:
    """Every string the figures draw."""
    out: list[str] = []
    for fig in figures:
        for artist in fig.findobj(lambda a: isinstance(a, (Text, TextRows))):
            out.extend(artist.texts if isinstance(artist, TextRows)
                       else [artist.get_text()])  # type: ignore[attr-defined]
    return out


def core_fonts_suffice(strings: Iterable[str]) -> bool:
    """Whether every character has a place in cp1252 (WinAnsiEncoding), the one
    encoding of the PDF core fonts; matplotlib prints any other character as '?'."""
    try:
        "".join(strings).encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


# --------------------------------------------------------------------------- chart


@dataclass(frozen=True)
class Box:
    """The plot area of the chart, in inches from the figure's lower left."""

    left: float
    bottom: float
    width: float
    height: float


def tick_values(top: float) -> list[float]:
    """0, step, 2 step, ... up to `top` (at least 1): at most 11 ticks, the step 1, 2 or
    5 times a power of ten."""
    top = max(top, 1.0)
    step = next(m * 10.0 ** k for k in range(12) for m in (1, 2, 5) if top <= 10 * m * 10 ** k)
    return [i * step for i in range(int(top / step + 1e-9) + 1)]


def draw_sections(fig: Figure, put: PutText, box: Box, sections: Sequence[ScorecardSection],
                  final: float, weakest: str, min_score: float | None = None) -> None:
    """Horizontal bars: each section's score over its maximum; final and policy lines,
    explained by a key above the bars; the score axis below them."""
    n = max(len(sections), 1)
    # the scale reaches the longest bar and the policy line (a policy above what the
    # rubric allows is drawn, not dropped)
    reach = max([s.maximum for s in sections] + [final, min_score or 0.0, 1.0])
    unit = box.width / (reach * 1.16)  # inches per point
    row = box.height / n
    right, roof = box.left + box.width, box.bottom + box.height

    def x_at(points: float) -> float:
        return box.left + points * unit

    for i, s in enumerate(sections):
        y = roof - (i + 0.4) * row
        _add(fig, Rectangle((box.left, y - 0.31 * row), s.maximum * unit, 0.62 * row,
                            facecolor=LIGHT, edgecolor="none", linewidth=0, zorder=1))
        _add(fig, Rectangle((box.left, y - 0.31 * row), s.score * unit, 0.62 * row,
                            facecolor=VERMILLION if s.id == weakest else BLUE,
                            edgecolor="none", linewidth=0, zorder=1))
        put(x_at(s.maximum) + 0.05, y, f"{points_text(s.score)} / {points_text(s.maximum)}",
            8.5, va="center")
        put(box.left - 0.08, y, _clip(s.title, 38), 9, ha="right", va="center")

    lines: list[tuple[float, str, Dash, float, str]] = [
        (final, INK, "--", 1.0, f"final score (lowest section) = {points_text(final)}")]
    if min_score is not None and min_score > 0:
        lines.append((min_score, GREY, ":", 1.4, f"policy minimum = {points_text(min_score)}"))
    for k, (value, color, style, width, label) in enumerate(lines):
        _add(fig, Line2D([x_at(value)] * 2, [box.bottom, roof], color=color, linestyle=style,
                         linewidth=width, zorder=2))
        key = roof + 0.13 + 0.17 * (len(lines) - 1 - k)
        _add(fig, Line2D([box.left, box.left + 0.3], [key, key], color=color, linestyle=style,
                         linewidth=width, zorder=2))
        put(box.left + 0.38, key, label, 7.5, va="center")

    ticks = tick_values(reach)
    tick = 3.5 / 72
    verts = [(box.left, box.bottom), (right, box.bottom)]
    for v in ticks:
        verts += [(x_at(v), box.bottom), (x_at(v), box.bottom - tick)]
        put(x_at(v), box.bottom - tick - 0.05, points_text(v), 9, ha="center", va="top")
    codes = [Path.MOVETO, Path.LINETO] * (len(verts) // 2)
    _add(fig, PathPatch(Path(verts, codes), fill=False, edgecolor=INK, linewidth=0.8, zorder=2))
    put(box.left + box.width / 2, box.bottom - 0.29,
        "section score (sum of test points: manual 0.5, automated 1)", 9, ha="center", va="top")


def _add(fig: Figure, artist: Artist) -> None:
    artist.set_transform(fig.dpi_scale_trans)
    fig.add_artist(artist)


def section_chart(card: Scorecard, min_score: float | None = None) -> Figure:
    height = 1.35 + 0.42 * len(card.sections)
    fig = new_figure(6.4, height)
    box = Box(2.18, 0.55, 3.84, height - 1.05)
    draw_sections(fig, figure_text(fig), box, card.sections, card.final_score,
                  card.weakest_section, min_score)
    return fig


def section_chart_svg(card: Scorecard, min_score: float | None = None) -> bytes:
    """The section chart of the scorecard page, as deterministic SVG."""
    with quiet_glyphs():
        return svg_bytes(section_chart(card, min_score))


# --------------------------------------------------------------------------- PDF layout


class Page:
    """An A4 figure with a text cursor measured in inches from the top."""

    def __init__(self) -> None:
        self.fig = new_figure(*A4)
        self.rows = TextRows()
        self.fig.add_artist(self.rows)
        self.y = MARGIN

    def text(self, x: float, s: str, size: float = 8.5, *, y: float | None = None,
             bold: bool = False, color: str = INK, ha: Ha = "left",
             url: str | None = None) -> None:
        """One line whose top is at the cursor (or at `y`); `url` makes it a link."""
        top = A4[1] - (self.y if y is None else y)
        self.rows.add(x, baseline(top, size, "top"), s, size, bold=bold, color=color, ha=ha,
                      url=url)

    def put(self, x: float, y: float, s: str, size: float, *, ha: Ha = "left",
            va: Va = "baseline", color: str = INK, bold: bool = False) -> None:
        """PutText for the chart: (x, y) in inches from the page's lower left."""
        self.rows.add(x, baseline(y, size, va), s, size, bold=bold, color=color, ha=ha)

    def column(self, x: float, lines: Sequence[str], size: float, pitch: float, *,
               bold: bool = False, color: str = INK, ha: Ha = "left") -> None:
        """One line per row, `pitch` inches apart, from the cursor down (cursor unchanged)."""
        for i, line in enumerate(lines):
            self.text(x, line, size, y=self.y + i * pitch, bold=bold, color=color, ha=ha)

    def rule(self, color: str = GREY, width: float = 0.6) -> None:
        y = A4[1] - self.y
        _add(self.fig, Line2D([MARGIN, A4[0] - MARGIN], [y, y], color=color, linewidth=width))

    def heading(self, s: str) -> None:
        self.y += 0.12
        self.text(MARGIN, s, 11, bold=True)
        self.y += 0.24
        self.rule(LIGHT, 0.8)
        self.y += 0.08

    def footer(self, number: int, total: int, card: Scorecard) -> None:
        y = A4[1] - 0.45
        self.text(MARGIN, f"scorecard.json SHA-256 {card.sha256}", 6.5, y=y, color=GREY)
        self.text(A4[0] - MARGIN, f"page {number} of {total}", 6.5, y=y, color=GREY, ha="right")


def _clip(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrap(text: str, width: int, lines: int) -> list[str]:
    out = textwrap.wrap(" ".join(text.split()), width) or [""]
    if len(out) > lines:
        out = [*out[: lines - 1], _clip(" ".join(out[lines - 1:]), width)]
    return out


# --------------------------------------------------------------------------- page 1


def _header(page: Page, card: Scorecard) -> None:
    page.text(MARGIN, "ML readiness scorecard", 8, color=GREY)
    page.text(A4[0] - MARGIN, f"{card.rubric.title} · rubric {card.rubric.version}", 8,
              color=GREY, ha="right")
    page.y += 0.22
    page.text(MARGIN, _clip(f"{card.model.name} {card.model.version}", 60), 18, bold=True)
    page.y += 0.38
    page.text(MARGIN, f"{card.model.id} · status: {card.model.status}", 9, color=GREY)
    page.y += 0.3
    page.rule(INK, 1.0)
    page.y += 0.2


def _summary(page: Page, card: Scorecard) -> None:
    top = page.y
    score = A4[1] - top
    page.put(MARGIN, score, points_text(card.final_score), 34, va="top", bold=True,
             color=VERMILLION if card.final_score == 0 else BLUE)
    page.rows.add(0.08, baseline(score, 34, "top"), f"/ {points_text(card.maximum)}", 14,
                  color=GREY, after=True)
    page.text(MARGIN, "final score (lowest section)", 7.5, y=top + 0.62, color=GREY)
    x = MARGIN + 2.3
    page.text(x, f"Level {card.level.range}", 11, y=top + 0.02, bold=True)
    for i, line in enumerate(_wrap(card.level.summary, 62, 2)):
        page.text(x, line, 9, y=top + 0.28 + i * 0.17)
    weakest = next(s for s in card.sections if s.id == card.weakest_section)
    page.text(x, f"Weakest section: {_clip(weakest.title, 40)} "
              f"({points_text(weakest.score)} of {points_text(weakest.maximum)})", 9,
              y=top + 0.66, color=VERMILLION)
    page.text(x, automation_line(card), 8.5, y=top + 0.86, color=GREY)
    page.y = top + 1.1


def automation_line(card: Scorecard) -> str:
    a = automation(card.tests)
    if not a.claims:
        return "No test is claimed automated."
    return (f"Automated claims verified by CI test reports: {a.verified} of {a.claims} "
            f"({points_text(a.verified_points)} of {points_text(a.total_points)} points "
            "verified)")


def _assessment(page: Page, card: Scorecard) -> None:
    page.heading("Assessment")
    rows = [("Assessor", _person(card.assessor.name, card.assessor.role)),
            ("Approver", _person(card.approver.name, card.approver.role)
             if card.approver else "not approved"),
            ("Assessment date", card.date.isoformat()),
            ("Next review", card.next_review.isoformat() if card.next_review else "—"),
            ("Supersedes", card.supersedes or "—")]
    for i, (label, value) in enumerate(rows):
        col, row = i % 2, i // 2
        x = MARGIN + col * 3.5
        y = page.y + row * 0.22
        page.text(x, label, 8, y=y, color=GREY)
        page.text(x + 1.15, _clip(value, 38), 8.5, y=y)
    page.y += 0.22 * ((len(rows) + 1) // 2) + 0.05


def _person(name: str, role: str | None) -> str:
    return f"{name} ({role})" if role else name


def _chart(page: Page, card: Scorecard, min_score: float | None) -> None:
    page.heading("Section scores")
    height = 0.36 * len(card.sections)
    roof = page.y + 0.45  # the key above the bars
    box = Box(MARGIN + 2.3, A4[1] - roof - height, A4[0] - 2 * MARGIN - 2.6, height)
    draw_sections(page.fig, page.put, box, card.sections, card.final_score,
                  card.weakest_section, min_score)
    page.y = roof + height + 0.55


def _gaps(page: Page, card: Scorecard) -> None:
    gaps = [t for t in card.tests if t.status == "not-done"]
    page.heading(f"Gaps: {len(gaps)} of {len(card.tests)} tests not done")
    if not gaps:
        page.text(MARGIN, "Every test is done (manually or automated).", 8.5)
        page.y += 0.2
        return
    room = int((A4[1] - 0.9 - page.y) / 0.19)
    shown = gaps if len(gaps) <= room else gaps[: room - 1]
    page.column(MARGIN, [t.id for t in shown], 8, 0.19, bold=True)
    page.column(MARGIN + 0.85, [_clip(t.title, 60) for t in shown], 8, 0.19)
    page.column(MARGIN + 4.6, [_clip(f"n/a: {t.not_applicable}" if t.not_applicable
                                     else t.owner, 42) for t in shown], 7.5, 0.19, color=GREY)
    page.y += 0.19 * len(shown)
    if len(shown) < len(gaps):
        page.text(MARGIN, f"… and {len(gaps) - len(shown)} more; every test is listed on page 2.",
                  8, color=GREY)
        page.y += 0.19


# --------------------------------------------------------------------------- page 2

TABLE_TITLE = 50
"""Characters of a title in the table of every test (the details pages print it whole)."""
COLUMNS = (("Test", 0.0), ("Title", 0.62), ("Claimed", 3.4), ("Verified", 4.0),
           ("Pts", 4.72), ("Owner", 4.95), ("Last run", 5.8), ("Schedule", 6.4))


def _tests_table(page: Page, card: Scorecard, room: float) -> None:
    """Every test, grouped by section; rows shrink to fit `room` inches if needed."""
    page.heading("Every test")
    for name, x in COLUMNS:
        page.text(MARGIN + x, name, 7.5, bold=True, color=GREY)
    page.y += 0.2
    needed = 0.168 * len(card.tests) + 0.23 * len(card.sections)
    scale = min(1.0, room / needed) if needed else 1.0
    size = 7.5 * max(scale, 0.75)
    for s in card.sections:
        page.y += 0.04 * scale
        page.text(MARGIN, f"{s.title} — {points_text(s.score)} of {points_text(s.maximum)}",
                  8 * max(scale, 0.75), bold=True)
        page.y += 0.19 * scale
        _test_rows(page, [t for t in card.tests if t.section == s.id], size, 0.168 * scale)
    page.y += 0.1


def _test_rows(page: Page, tests: list[ScorecardTest], size: float, pitch: float) -> None:
    for i, t in enumerate(tests):
        y = page.y + i * pitch
        v = t.verification
        cells = (t.id, _clip(t.title, TABLE_TITLE), STATUS_TEXT[t.status],
                 STATE_LABELS[v.state] if v else "—", points_text(t.points),
                 _clip(t.owner, 15), t.last_run.isoformat() if t.last_run else "",
                 _clip(t.schedule, 9))
        colours = {"Claimed": STATUS_COLOURS[t.status],
                   "Verified": VERIFIED_COLOURS[v.state] if v else GREY}
        for (name, x), cell in zip(COLUMNS, cells, strict=True):
            page.text(MARGIN + x, cell, size, y=y, color=colours.get(name, INK))
    page.y += pitch * len(tests)


def _evidence(page: Page, card: Scorecard) -> None:
    """Where the evidence is: in full, with links and SHA-256, from page 3 on."""
    items = sum(len(t.evidence) for t in card.tests)
    if items:
        page.y += 0.1
        page.text(MARGIN, f"Evidence: {items} item(s), each in full with its link and SHA-256 "
                  "under “Test details and evidence” (from page 3).", 7.5, color=GREY)
        page.y += 0.2


def _provenance_height(card: Scorecard) -> float:
    return 1.35 + 0.15 * min(len(card.provenance.inputs), 12)


def _provenance(page: Page, card: Scorecard) -> None:
    page.heading("Provenance")
    p = card.provenance
    facts = [f"mlcards {p.mlcards_version}", f"rubric {card.rubric.id} {p.rubric_version}",
             f"revision {p.revision or 'not recorded'}"]
    page.text(MARGIN, "   ·   ".join(facts), 7.5)
    page.y += 0.2
    page.text(MARGIN, "SHA-256 of the input files (paths relative to the registry root):", 7.5,
              color=GREY)
    page.y += 0.18
    room = max(2, int((A4[1] - 1.1 - page.y) / 0.15))
    shown = p.inputs if len(p.inputs) <= room else p.inputs[: room - 1]
    page.column(MARGIN, [item.sha256 for item in shown], 6.5, 0.15)
    page.column(MARGIN + 4.15, [_clip(item.path, 62) for item in shown], 6.5, 0.15)
    page.y += 0.15 * len(shown)
    if len(shown) < len(p.inputs):
        page.text(MARGIN, f"… and {len(p.inputs) - len(shown)} more in scorecard.json", 6.5,
                  color=GREY)
        page.y += 0.15
    page.y += 0.1
    page.text(MARGIN, "Check this scorecard against the registry: "
              "mlcards verify scorecard.json REGISTRY", 7.5, color=GREY)


# --------------------------------------------------------------------------- page 3 on

DETAIL_WIDTH = 112
"""Characters per line of the details pages (6.5-7.5 pt across the text width)."""
DETAIL_BOTTOM = A4[1] - 0.8


def _details(card: Scorecard) -> list[Page]:
    """Every test's full title, status, owner, schedule, note and evidence (URLs and
    paths in full, as links), flowing over as many pages as they need."""
    pages = [Page()]
    pages[0].heading("Test details and evidence")

    def line(text: str, size: float = 7, *, x: float = MARGIN, bold: bool = False,
             color: str = INK, url: str | None = None, pitch: float = 0.15) -> None:
        page = pages[-1]
        if page.y + pitch > DETAIL_BOTTOM:
            pages.append(Page())
            page = pages[-1]
        page.text(x, text, size, bold=bold, color=color, url=url)
        page.y += pitch

    indent = MARGIN + 0.55
    listed = False
    for t in card.tests:
        report = t.verification if t.verification and t.verification.report else None
        if not (t.note or t.evidence or t.schedule or report or len(t.title) > TABLE_TITLE):
            continue
        listed = True
        for i, part in enumerate(textwrap.wrap(f"{t.id}  {t.title}", DETAIL_WIDTH - 10)):
            line(part, 7.5, bold=i == 0, pitch=0.16)
        verdict = t.verification.state if t.verification else None
        facts = [STATUS_TEXT[t.status] + (f" (claimed; {STATE_LABELS[verdict]})" if verdict
                                          else ""), f"{points_text(t.points)} point(s)",
                 f"owner {t.owner}" if t.owner else "",
                 f"last run {t.last_run.isoformat()}" if t.last_run else "",
                 f"schedule: {t.schedule}" if t.schedule else ""]
        for part in textwrap.wrap(" · ".join(f for f in facts if f), DETAIL_WIDTH):
            line(part, x=indent, color=GREY)
        if t.not_applicable:
            for part in textwrap.wrap(f"Not applicable: {t.not_applicable}", DETAIL_WIDTH):
                line(part, x=indent)
        if t.note:
            for part in textwrap.wrap(f"Note: {t.note}", DETAIL_WIDTH):
                line(part, x=indent)
        for e in t.evidence:
            what = f"Evidence ({e.kind}): {e.title}" if e.title else f"Evidence ({e.kind})"
            for part in textwrap.wrap(what, DETAIL_WIDTH):
                line(part, x=indent)
            where = e.url or e.path or ""
            for start in range(0, len(where), DETAIL_WIDTH):  # URLs in full, never cut
                line(where[start:start + DETAIL_WIDTH], 6.5, x=indent + 0.15, color=BLUE,
                     url=e.url)
            if e.sha256:
                line(f"sha256 {e.sha256}", 6.5, x=indent + 0.15, color=GREY)
        if report is not None:
            for text, size, colour, at in _report_lines(report):
                for part in textwrap.wrap(text, DETAIL_WIDTH - (4 if at else 0)):
                    line(part, size, x=indent + at, color=colour)
        pages[-1].y += 0.06
    return pages if listed else []


def _report_lines(v: ScorecardVerification) -> list[tuple[str, float, str, float]]:
    """(text, size, colour, indent) of a test's JUnit report in the details pages."""
    out = [(f"CI test report (JUnit): {v.report}", 7.0, INK, 0.0),
           (f"sha256 {v.sha256}", 6.5, GREY, 0.15),
           (f"run {v.timestamp or 'without a timestamp'} · matching cases: {v.passed} passed, "
            f"{v.failed} failed, {v.skipped} skipped", 6.5, GREY, 0.15),
           (f"{STATE_LABELS[v.state].capitalize()}: "
            + (f"{len(v.failures)} matching case(s)" if v.failures else v.reason), 7.0,
            VERIFIED_COLOURS[v.state], 0.15)]
    out += [(f"{f.outcome}: {f.case}: {f.message}", 6.5, VERMILLION, 0.3)
            for f in v.failures[:20]]
    if len(v.failures) > 20:
        out.append((f"… and {len(v.failures) - 20} more failed cases in scorecard.json", 6.5,
                    GREY, 0.3))
    return out


# --------------------------------------------------------------------------- document


def scorecard_figures(card: Scorecard, min_score: float | None = None) -> list[Figure]:
    """The pages of the printable scorecard: a summary, every test and the provenance,
    then each test's details and evidence in full."""
    first = Page()
    _header(first, card)
    _summary(first, card)
    _assessment(first, card)
    _chart(first, card, min_score)
    _gaps(first, card)
    second = Page()
    second.text(MARGIN, _clip(f"{card.model.name} {card.model.version} — "
                              f"{card.rubric.title}", 90), 8, color=GREY)
    second.y += 0.2
    bottom = A4[1] - 0.8 - _provenance_height(card)
    _tests_table(second, card, bottom - second.y - 0.9)
    _evidence(second, card)
    second.y = max(second.y, bottom)
    _provenance(second, card)
    pages = [first, second, *_details(card)]
    for number, page in enumerate(pages, 1):
        page.footer(number, len(pages), card)
    return [page.fig for page in pages]


def pdf_metadata(card: Scorecard) -> dict[str, str]:
    """The document's title, subject and keywords: which model, version and rubric (what
    a PDF reader's window and a file index show)."""
    return {"Title": f"ML readiness scorecard: {card.model.name} {card.model.version}",
            "Subject": f"{card.rubric.title} of {card.model.id} {card.model.version} "
                       f"({card.model.status})",
            "Keywords": f"mlcards; {card.model.id}; {card.model.version}; {card.rubric.id}"}


def scorecard_pdf(card: Scorecard, min_score: float | None = None) -> bytes:
    """scorecard.pdf bytes: A4 pages, no dates, same input -> same bytes."""
    figures = scorecard_figures(card, min_score)
    core = core_fonts_suffice(drawn_text(figures))
    buf = io.BytesIO()
    # Not core: DejaVu Sans as Type 3 fonts (subsetting TrueType, type 42, with fontTools
    # costs ~0.3 s more per document); the text stays extractable either way.
    with matplotlib.rc_context({"pdf.use14corefonts": core, "pdf.fonttype": 3}), \
            quiet_glyphs(), \
            _PdfPages(buf, metadata={**PDF_METADATA, **pdf_metadata(card)}) as pdf:
        for fig in figures:
            pdf.savefig(fig)
    return buf.getvalue()


@contextmanager
def document_font_lookups(renderer: RendererBase) -> Iterator[None]:
    """While drawing a page of a `_PdfFile`, the renderer finds the font of each
    FontProperties once per document (its _get_font_afm and _get_font_ttf, kept in the
    file's `font_lookups`), not once per text row. Only that renderer object is changed,
    and only until the block ends, error or not; any other renderer is left alone."""
    target: Any = getattr(renderer, "_renderer", renderer)  # MixedModeRenderer's
    file = getattr(target, "file", None)
    if not isinstance(target, RendererPdf) or not isinstance(file, _PdfFile):
        yield
        return
    lookups = file.font_lookups
    original_afm: Any = target._get_font_afm  # matplotlib has no type annotations
    original_ttf: Any = target._get_font_ttf

    def get_font_afm(prop: FontProperties) -> Any:
        key = ("afm", _font_key(prop))
        font = lookups.get(key)
        if font is None:  # findfont, then the AFM object cached by file name
            font = lookups[key] = original_afm(prop)
        return font

    def get_font_ttf(prop: FontProperties) -> Any:
        key = ("ttf", _font_key(prop))
        files = lookups.get(key)
        if files is None:
            font = original_ttf(prop)  # with matplotlib's warning if the font fails
            lookups[key] = font_manager.fontManager._find_fonts_by_props(prop)
            return font
        # what _get_font_ttf does after its lookup: one FT2Font per file list, reset
        font = font_manager.get_font(files)
        font.clear()
        font.set_size(prop.get_size_in_points(), 72)
        return font

    own = vars(target)
    before = {name: own[name] for name in _RENDERER_LOOKUPS if name in own}
    own.update(zip(_RENDERER_LOOKUPS, (get_font_afm, get_font_ttf), strict=True))
    try:
        yield
    finally:  # the class's methods again (or what the object had before)
        for name in _RENDERER_LOOKUPS:
            del own[name]
        own.update(before)


_RENDERER_LOOKUPS = ("_get_font_afm", "_get_font_ttf")


@functools.cache
def _afm_font_name(filename: str) -> str:
    from matplotlib._afm import AFM

    with open(filename, "rb") as fh:
        return str(AFM(fh).get_fontname())


def _font_key(prop: FontProperties) -> tuple[Any, ...]:
    """A FontProperties' identity, what its own hash and equality are made of (a
    FontProperties is mutable, so it is not itself kept as a key)."""
    return tuple(vars(prop).items())


class _PdfFile(PdfFile):
    """matplotlib's PdfFile, with two savings:

    - a core font is named from an AFM file read once per process: PdfFile parses the
      whole file (metrics and kerning pairs) in every document only for the font's
      name, about 15 ms a document;
    - the font of each FontProperties is looked up once per document, not once per
      text row: PdfFile.fontName (and the renderer's lookups, through
      `document_font_lookups`) read a dozen rcParams and ask font_manager.findfont for
      every draw_text, about 30 % of a scorecard's time. The lookups live in this
      object, so they end with the document; they depend only on the properties, the
      rcParams and the font manager's fonts, which nothing changes while scorecard_pdf
      writes a document (its rc_context fixes the PDF font settings).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self.font_lookups: dict[tuple[Any, ...], Any] = {}

    def fontName(self, fontprop: Any, subset: int = 0) -> Any:  # matplotlib's name
        if not isinstance(fontprop, FontProperties):  # a font file: no lookup to save
            return super().fontName(fontprop, subset)  # type: ignore[no-untyped-call]
        # the first call also registers the font's files with this document; later
        # calls for the same properties only return the first name again
        key = ("name", bool(matplotlib.rcParams["pdf.use14corefonts"]), subset,
               _font_key(fontprop))
        name = self.font_lookups.get(key)
        if name is None:
            name = self.font_lookups[key] = \
                super().fontName(fontprop, subset)  # type: ignore[no-untyped-call]
        return name

    def _write_afm_font(self, filename: str) -> Any:
        name: Any = Name  # matplotlib's PDF writer has no type annotations
        pdf: Any = self
        fontdict = {"Type": name("Font"), "Subtype": name("Type1"),
                    "BaseFont": name(_afm_font_name(str(filename))),
                    "Encoding": name("WinAnsiEncoding")}
        obj = pdf.reserveObject("font dictionary")
        pdf.writeObject(obj, fontdict)
        return obj


class _PdfPages(PdfPages):
    """PdfPages writing through _PdfFile (tests check matplotlib still calls this)."""

    def _ensure_file(self) -> Any:
        if self._file is None:
            make: Any = _PdfFile
            self._file = make(self._filename, metadata=self._metadata)
        return self._file
