"""Readiness figures: the section-score chart (SVG) and the printable PDF scorecard.

Text from the registry is drawn with `parse_math=False`, so a `$` in a note is a
dollar sign, not mathtext. The PDF is two A4 pages (summary; every test and the
provenance), written without dates so the same scorecard gives the same bytes.
"""

from __future__ import annotations

import io
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from mlcards.plots import OKABE_ITO, new_figure, svg_bytes
from mlcards.scorecard_data import Scorecard, ScorecardSection, ScorecardTest

BLUE, ORANGE, GREEN, VERMILLION = OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[2], OKABE_ITO[3]
GREY, LIGHT, INK = "#6b6b6b", "#e6e6e6", "#1a1a1a"
STATUS_COLOURS = {"automated": GREEN, "manual": ORANGE, "not-done": VERMILLION}
STATUS_TEXT = {"automated": "automated", "manual": "manual", "not-done": "not done"}
A4 = (8.27, 11.69)
MARGIN = 0.7
PDF_METADATA = {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None}


def points_text(value: float) -> str:
    return f"{value:g}"


# --------------------------------------------------------------------------- chart


def draw_sections(ax: Axes, sections: Sequence[ScorecardSection], final: float,
                  weakest: str, min_score: float | None = None) -> None:
    """Horizontal bars: each section's score over its maximum; final and policy lines."""
    n = len(sections)
    ys = list(range(n - 1, -1, -1))
    top = max(s.maximum for s in sections)
    for y, s in zip(ys, sections, strict=True):
        ax.barh(y, s.maximum, height=0.62, color=LIGHT, zorder=1)
        ax.barh(y, s.score, height=0.62, zorder=2,
                color=VERMILLION if s.id == weakest else BLUE)
        ax.text(s.maximum + top * 0.015, y, f"{points_text(s.score)} / {points_text(s.maximum)}",
                va="center", ha="left", fontsize=8.5, color=INK, parse_math=False)
    ax.axvline(final, color=INK, linestyle="--", linewidth=1, zorder=3,
               label=f"final score (lowest section) = {points_text(final)}")
    if min_score is not None and min_score > 0:
        ax.axvline(min_score, color=GREY, linestyle=":", linewidth=1.4, zorder=3,
                   label=f"policy minimum = {points_text(min_score)}")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False,
              fontsize=7.5, borderaxespad=0.2, handlelength=2.2)
    ax.set_yticks(ys, [_clip(s.title, 38) for s in sections], parse_math=False)
    ax.set_xlim(0, top * 1.16)
    if top <= 20:
        ax.set_xticks([float(i) for i in range(int(top) + 1)])
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlabel("section score (sum of test points: manual 0.5, automated 1)")
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)


def section_chart(card: Scorecard, min_score: float | None = None) -> Figure:
    height = 1.2 + 0.42 * len(card.sections)
    fig = new_figure(6.4, height)
    ax = fig.add_axes((0.34, 0.55 / height, 0.6, 1 - 0.9 / height))
    draw_sections(ax, card.sections, card.final_score, card.weakest_section, min_score)
    return fig


def section_chart_svg(card: Scorecard, min_score: float | None = None) -> bytes:
    """The section chart of the scorecard page, as deterministic SVG."""
    with quiet_glyphs():
        return svg_bytes(section_chart(card, min_score))


@contextmanager
def quiet_glyphs() -> Iterator[None]:
    """Characters the font lacks (e.g. CJK in a name) draw as boxes; do not warn per glyph."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        yield


# --------------------------------------------------------------------------- PDF layout


class Page:
    """An A4 figure with a text cursor measured in inches from the top."""

    def __init__(self, number: int, total: int, card: Scorecard) -> None:
        self.fig = new_figure(*A4)
        self.y = MARGIN
        self._footer(number, total, card)

    def _fx(self, x: float) -> float:
        return x / A4[0]

    def _fy(self, y: float) -> float:
        return 1 - y / A4[1]

    def text(self, x: float, s: str, size: float = 8.5, *, y: float | None = None,
             weight: str = "normal", color: str = INK, ha: str = "left") -> None:
        self.fig.text(self._fx(x), self._fy(self.y if y is None else y), s, fontsize=size,
                      fontweight=weight, color=color, ha=ha, va="top", parse_math=False)

    def column(self, x: float, lines: Sequence[str], size: float, pitch: float, *,
               weight: str = "normal", color: str = INK, ha: str = "left") -> None:
        """One text per row, `pitch` inches apart, from the cursor down (cursor unchanged)."""
        for i, line in enumerate(lines):
            if line:
                self.text(x, line, size, y=self.y + i * pitch, weight=weight, color=color,
                          ha=ha)

    def rule(self, color: str = GREY, width: float = 0.6) -> None:
        self.fig.add_artist(_line(self._fx(MARGIN), self._fx(A4[0] - MARGIN),
                                  self._fy(self.y), color, width))

    def heading(self, s: str) -> None:
        self.y += 0.12
        self.text(MARGIN, s, 11, weight="bold")
        self.y += 0.24
        self.rule(LIGHT, 0.8)
        self.y += 0.08

    def _footer(self, number: int, total: int, card: Scorecard) -> None:
        y = A4[1] - 0.45
        self.text(MARGIN, f"scorecard.json SHA-256 {card.sha256}", 6.5, y=y, color=GREY)
        self.text(A4[0] - MARGIN, f"page {number} of {total}", 6.5, y=y, color=GREY, ha="right")


def _line(x0: float, x1: float, y: float, color: str, width: float) -> Line2D:
    return Line2D([x0, x1], [y, y], color=color, linewidth=width)


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
    page.text(MARGIN, _clip(f"{card.model.name} {card.model.version}", 60), 18, weight="bold")
    page.y += 0.38
    page.text(MARGIN, f"{card.model.id} · status: {card.model.status}", 9, color=GREY)
    page.y += 0.3
    page.rule(INK, 1.0)
    page.y += 0.2


def _summary(page: Page, card: Scorecard) -> None:
    top = page.y
    page.text(MARGIN, points_text(card.final_score), 34, weight="bold",
              color=VERMILLION if card.final_score == 0 else BLUE)
    page.text(MARGIN + _big_width(points_text(card.final_score)) + 0.08,
              f"/ {points_text(card.maximum)}", 14, y=top + 0.22, color=GREY)
    page.text(MARGIN, "final score (lowest section)", 7.5, y=top + 0.62, color=GREY)
    x = MARGIN + 2.3
    page.text(x, f"Level {card.level.range}", 11, y=top + 0.02, weight="bold")
    for i, line in enumerate(_wrap(card.level.summary, 62, 2)):
        page.text(x, line, 9, y=top + 0.28 + i * 0.17)
    weakest = next(s for s in card.sections if s.id == card.weakest_section)
    page.text(x, f"Weakest section: {_clip(weakest.title, 40)} "
              f"({points_text(weakest.score)} of {points_text(weakest.maximum)})", 9,
              y=top + 0.66, color=VERMILLION)
    page.y = top + 1.0


def _big_width(number: str) -> float:
    """Approximate width in inches of a number set in 34 pt bold (digits 0.33 in)."""
    return sum(0.18 if c == "." else 0.33 for c in number)


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
    height = 0.55 + 0.36 * len(card.sections)
    left, width = MARGIN + 2.3, A4[0] - 2 * MARGIN - 2.6
    ax = page.fig.add_axes((left / A4[0], 1 - (page.y + height - 0.2) / A4[1],
                            width / A4[0], (height - 0.55) / A4[1]))
    draw_sections(ax, card.sections, card.final_score, card.weakest_section, min_score)
    page.y += height + 0.3


def _gaps(page: Page, card: Scorecard) -> None:
    gaps = [t for t in card.tests if t.status == "not-done"]
    page.heading(f"Gaps: {len(gaps)} of {len(card.tests)} tests not done")
    if not gaps:
        page.text(MARGIN, "Every test is done (manually or automated).", 8.5)
        page.y += 0.2
        return
    room = int((A4[1] - 0.9 - page.y) / 0.19)
    shown = gaps if len(gaps) <= room else gaps[: room - 1]
    page.column(MARGIN, [t.id for t in shown], 8, 0.19, weight="bold")
    page.column(MARGIN + 0.85, [_clip(t.title, 60) for t in shown], 8, 0.19)
    page.column(MARGIN + 4.6, [_clip(f"n/a: {t.not_applicable}" if t.not_applicable
                                     else t.owner, 42) for t in shown], 7.5, 0.19, color=GREY)
    page.y += 0.19 * len(shown)
    if len(shown) < len(gaps):
        page.text(MARGIN, f"… and {len(gaps) - len(shown)} more; every test is listed on page 2.",
                  8, color=GREY)
        page.y += 0.19


# --------------------------------------------------------------------------- page 2

COLUMNS = (("Test", 0.0), ("Title", 0.62), ("Status", 3.4), ("Pts", 4.05), ("Owner", 4.35),
           ("Last run", 5.45), ("Schedule", 6.15))


def _tests_table(page: Page, card: Scorecard, room: float) -> None:
    """Every test, grouped by section; rows shrink to fit `room` inches if needed."""
    page.heading("Every test")
    for name, x in COLUMNS:
        page.text(MARGIN + x, name, 7.5, weight="bold", color=GREY)
    page.y += 0.2
    needed = 0.168 * len(card.tests) + 0.23 * len(card.sections)
    scale = min(1.0, room / needed) if needed else 1.0
    size = 7.5 * max(scale, 0.75)
    for s in card.sections:
        page.y += 0.04 * scale
        page.text(MARGIN, f"{s.title} — {points_text(s.score)} of {points_text(s.maximum)}",
                  8 * max(scale, 0.75), weight="bold")
        page.y += 0.19 * scale
        _test_rows(page, [t for t in card.tests if t.section == s.id], size, 0.168 * scale)
    page.y += 0.1


def _test_rows(page: Page, tests: list[ScorecardTest], size: float, pitch: float) -> None:
    cells = [[t.id, _clip(t.title, 50), "", points_text(t.points), _clip(t.owner, 18),
              t.last_run.isoformat() if t.last_run else "", _clip(t.schedule, 13)]
             for t in tests]
    for i, (_, x) in enumerate(COLUMNS):
        if COLUMNS[i][0] == "Status":
            for status, colour in STATUS_COLOURS.items():
                page.column(MARGIN + x, [STATUS_TEXT[status] if t.status == status else ""
                                         for t in tests], size, pitch, color=colour)
        else:
            page.column(MARGIN + x, [row[i] for row in cells], size, pitch)
    page.y += pitch * len(tests)


def _evidence(page: Page, card: Scorecard, bottom: float) -> None:
    """Evidence of each test: kind, title, where, SHA-256 of registry files."""
    items = [(t.id, e) for t in card.tests for e in t.evidence]
    if not items:
        return
    room = int((bottom - page.y - 0.5) / 0.16)
    if room < 3:
        page.y += 0.1
        page.text(MARGIN, f"Evidence: {len(items)} item(s), listed with their SHA-256 in "
                  "scorecard.json and on the scorecard page.", 7.5, color=GREY)
        page.y += 0.2
        return
    page.heading("Evidence")
    shown = items if len(items) <= room else items[: room - 1]
    page.column(MARGIN, [test_id for test_id, _ in shown], 7, 0.16, weight="bold")
    page.column(MARGIN + 0.75, [_clip(f"{e.kind}: {e.title}" if e.title else e.kind, 40)
                                for _, e in shown], 7, 0.16)
    page.column(MARGIN + 3.4, [_clip(e.url or e.path, 50) for _, e in shown], 6.5, 0.16,
                color=GREY)
    page.column(A4[0] - MARGIN, [f"sha256 {e.sha256[:12]}…" if e.sha256 else ""
                                 for _, e in shown], 6.5, 0.16, color=GREY, ha="right")
    page.y += 0.16 * len(shown)
    if len(shown) < len(items):
        page.text(MARGIN, f"… and {len(items) - len(shown)} more in scorecard.json", 7,
                  color=GREY)
        page.y += 0.16


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


# --------------------------------------------------------------------------- document


def scorecard_figures(card: Scorecard, min_score: float | None = None) -> list[Figure]:
    """The two pages of the printable scorecard."""
    first = Page(1, 2, card)
    _header(first, card)
    _summary(first, card)
    _assessment(first, card)
    _chart(first, card, min_score)
    _gaps(first, card)
    second = Page(2, 2, card)
    second.text(MARGIN, _clip(f"{card.model.name} {card.model.version} — "
                              f"{card.rubric.title}", 90), 8, color=GREY)
    second.y += 0.2
    bottom = A4[1] - 0.8 - _provenance_height(card)
    _tests_table(second, card, bottom - second.y - 0.9)
    _evidence(second, card, bottom)
    second.y = max(second.y, bottom)
    _provenance(second, card)
    return [first.fig, second.fig]


def scorecard_pdf(card: Scorecard, min_score: float | None = None) -> bytes:
    """scorecard.pdf bytes: two A4 pages, no dates, same input -> same bytes."""
    buf = io.BytesIO()
    # Type 3 fonts: subsetting TrueType (type 42) with fontTools costs ~0.3 s more
    # per document; the text stays extractable either way.
    with matplotlib.rc_context({"pdf.fonttype": 3}), quiet_glyphs(), \
            PdfPages(buf, metadata={**PDF_METADATA, "Title": "ML readiness scorecard"}) as pdf:
        for fig in scorecard_figures(card, min_score):
            pdf.savefig(fig)
    return buf.getvalue()
