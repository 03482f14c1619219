"""A figure drawn in inches without Axes, with one collection per style.

Small multiples built from Axes cost about 10 ms per panel before anything is
drawn (ticks, spines, transforms, autoscaling), and a bar chart adds a Patch
and a limits update per bar. The fixed chart kinds of an evaluation do not need
any of that: their layout is known in inches, so `Canvas` places rectangles,
lines, markers and texts at inch coordinates straight on the figure (no Axes),
and `finish` adds one collection per style, with one compound path per colour.
Texts are rows of one `CanvasText` artist: the renderer's draw_text per row, without a Text object's
layout (a Text costs about 0.3 ms to make, lay out and draw; a row about a third of
that). Drawn by a bare RendererSVG, the row keeps its anchor (text-anchor
start/middle/end); other renderers get a measured offset. (savefig wraps the SVG
renderer in a MixedModeRenderer, so the SVG files have measured offsets too; changing
that would change every file's bytes.) In an SVG file the rows' <text> elements are
written by `_SvgRows`, which makes each font and colour's style once per figure; the
bytes are what the renderer's draw_text writes (tests compare them).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

import matplotlib
from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.backend_bases import GraphicsContextBase, RendererBase
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.path import Path
from matplotlib.transforms import Affine2D, IdentityTransform, Transform

from mlcards.plots.figures import new_figure

Point = tuple[float, float]
Ha = Literal["left", "center", "right"]
Va = Literal["top", "center", "bottom", "baseline"]
ASCENT, MIDDLE, DESCENT = 0.76, 0.32, 0.24
"""DejaVu Sans, in em above (below, for DESCENT) the baseline: the top of capitals,
the middle of lower-case letters, the bottom of descenders."""


@dataclass(frozen=True)
class TextRow:
    x: float
    y: float            # inches from the top
    text: str
    size: float
    ha: Ha
    va: Va
    colour: str
    bold: bool


class _Anchor:
    """What matplotlib's SVG writer asks of a Text to keep its anchor: the position
    (display units) and horizontal alignment; vertical placement is the row's own."""

    def __init__(self, x: float, ha: Ha) -> None:
        self.x, self.ha = x, ha

    def get_transform(self) -> Transform:
        return IdentityTransform()

    def get_unitless_position(self) -> tuple[float, float]:
        return self.x, 0.0

    def get_ha(self) -> str:
        return self.ha

    def get_rotation_mode(self) -> str:
        return "default"


class _SvgRows:
    """Writes a row as matplotlib's SVG renderer writes a text drawn without a Text
    object (draw_text with no mtext, svg.fonttype 'none', no clip path, no link): the
    same <text> element through the renderer's own XML writer, with its style made once
    per font and colour of a figure instead of once per row. A font whose family is a
    generic name (sans-serif, ...) is left to the renderer (`style` gives None), and so
    is anything but matplotlib's own RendererSVG (`of` gives None)."""

    def __init__(self, svg: RendererSVG, gc: GraphicsContextBase) -> None:
        self.writer: Any = svg.writer  # matplotlib's _XMLWriter, without type annotations
        self.gc = gc
        self.styles: dict[tuple[float, bool, str], str | None] = {}
        """(size, bold, colour) of a row -> its style (a key cheaper than the font's hash)."""

    @classmethod
    def of(cls, renderer: RendererBase, gc: GraphicsContextBase) -> _SvgRows | None:
        svg = getattr(renderer, "_renderer", renderer)  # a MixedModeRenderer's, not rasterizing
        if not isinstance(svg, RendererSVG):
            return None
        plain = (type(svg).draw_text is RendererSVG.draw_text
                 and type(svg)._draw_text_as_text is RendererSVG._draw_text_as_text
                 and matplotlib.rcParams["svg.fonttype"] == "none"
                 and gc.get_url() is None and gc.get_clip_rectangle() is None
                 and gc.get_clip_path()[0] is None)
        return cls(svg, gc) if plain else None

    def style(self, row: TextRow, font: FontProperties) -> str | None:
        key = (row.size, row.bold, row.colour)
        if key not in self.styles:
            self.styles[key] = self._style(font, row.colour)
        return self.styles[key]

    def _style(self, font: FontProperties, colour: str) -> str | None:
        """RendererSVG._draw_text_as_text's style attribute of a text without mathtext."""
        families = font.get_family()
        generic = set(font_manager.font_family_aliases) | {"sans", "sans serif"}
        if any(name in generic for name in families):
            return None
        gc = self.gc
        gc.set_foreground(colour)
        rgba = gc.get_rgb()
        css: dict[str, str] = {}
        if font.get_style() != "normal":
            css["font-style"] = font.get_style()
        if font.get_variant() != "normal":
            css["font-variant"] = font.get_variant()
        weight: Any = font.get_weight()
        weight = font_manager.weight_dict.get(weight, weight)
        if weight != 400:
            css["font-weight"] = f"{weight}"
        css["font-size"] = f"{_short_float(font.get_size())}px"
        css["font-family"] = ", ".join(dict.fromkeys(repr(name) for name in families))
        if font.get_stretch() != "normal":
            css["font-stretch"] = str(font.get_stretch())
        hex_colour = to_hex(rgba)
        if hex_colour != "#000000":
            css["fill"] = hex_colour
        alpha = gc.get_alpha() if gc.get_forced_alpha() else rgba[3]
        if alpha != 1:
            css["opacity"] = _short_float(alpha)
        return "; ".join(f"{k}: {v}" for k, v in css.items())

    def write(self, x: float, y: float, text: str, style: str) -> None:
        # translate(0 0) is left out, as matplotlib's _generate_transform does; a falsy
        # attribute is not written
        place = "" if (x, y) == (0, 0) else f"translate({_short_float(x)} {_short_float(y)})"
        self.writer.element("text", text, attrib={"style": style, "transform": place})


def _short_float(x: float) -> str:
    """matplotlib's SVG number format: %f without trailing zeros or point."""
    return f"{x:f}".rstrip("0").rstrip(".")


class CanvasText(Artist):
    """Every text of a canvas, drawn by this one artist (see the module's docstring)."""

    direct_svg = True
    """Write SVG text elements through `_SvgRows` (tests compare it with draw_text's)."""

    def __init__(self, height: float) -> None:
        super().__init__()
        self.set_zorder(5)
        self.height = height
        self.rows: list[TextRow] = []
        self._fonts: dict[tuple[float, bool], FontProperties] = {}

    @property
    def texts(self) -> list[str]:
        return [row.text for row in self.rows]

    def _font(self, size: float, bold: bool) -> FontProperties:
        font = self._fonts.get((size, bold))
        if font is None:
            font = self._fonts[size, bold] = FontProperties(
                size=size, weight="bold" if bold else "normal")
        return font

    def draw(self, renderer: RendererBase) -> None:
        fig = self.get_figure()
        if fig is None or not self.get_visible():
            return
        dpi = fig.dpi
        svg = isinstance(renderer, RendererSVG)
        flip = renderer.flipy()     # text positions count from the top (Agg, SVG)
        gc = renderer.new_gc()
        direct = None if svg or not self.direct_svg else _SvgRows.of(renderer, gc)
        widths: dict[tuple[str, float, bool], float] = {}
        for row in self.rows:
            font = self._font(row.size, row.bold)
            em = row.size / 72
            below = {"top": ASCENT, "center": MIDDLE, "bottom": -DESCENT,
                     "baseline": 0.0}[row.va] * em    # the baseline, below the row's y
            top = (row.y + below) * dpi
            x, y = row.x * dpi, top if flip else self.height * dpi - top
            anchor = None
            if svg:
                anchor = _Anchor(x, row.ha)
            elif row.ha != "left":
                width = widths.get((row.text, row.size, row.bold))
                if width is None:  # tick labels and group names recur across panels
                    width = widths[row.text, row.size, row.bold] = \
                        renderer.get_text_width_height_descent(row.text, font, ismath=False)[0]
                x -= width / 2 if row.ha == "center" else width
            style = direct.style(row, font) if direct is not None else None
            if direct is not None and style is not None:
                direct.write(x, y, row.text, style)
                continue
            gc.set_foreground(row.colour)
            renderer.draw_text(gc, x, y, row.text, font, 0.0, ismath=False,
                               mtext=anchor)  # type: ignore[arg-type]
        gc.restore()
        self.stale = False


def _by_colour(items: list[tuple[list[Point], str]]) -> list[tuple[str, list[list[Point]]]]:
    """Shapes grouped by colour, colours in order of first use (shapes of one layer
    do not overlap, so only the layer order, kept by zorder, matters)."""
    groups: dict[str, list[list[Point]]] = {}
    for shape, colour in items:
        groups.setdefault(colour, []).append(shape)
    return list(groups.items())


def _compound(shapes: list[list[Point]], *, closed: bool) -> Path:
    """One Path with a subpath per shape (polygons closed, polylines open)."""
    vertices: list[Point] = []
    codes: list[Any] = []  # Path's code type (numpy uint8)
    for shape in shapes:
        vertices.extend(shape)
        codes.extend([Path.MOVETO] + [Path.LINETO] * (len(shape) - 1))
        if closed:
            vertices.append(shape[0])
            codes.append(Path.CLOSEPOLY)
    return Path(vertices, codes)


@dataclass(frozen=True)
class Scale:
    """Data values low..high mapped onto x0..x1 inches."""

    low: float
    high: float
    x0: float
    x1: float

    def __call__(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return self.x0 + (value - self.low) / span * (self.x1 - self.x0)

    def clip(self, value: float) -> float:
        return min(max(self(value), self.x0), self.x1)


class Canvas:
    """Collects shapes in inch coordinates (y grows downwards) and makes the figure."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.fig: Figure = new_figure(width, height)
        self.inches = Affine2D().scale(1.0, -1.0).translate(0.0, height) \
            + self.fig.dpi_scale_trans
        """Inches from the top left -> display units (an Axes would cost ~10 ms)."""
        self._rects: defaultdict[tuple[str, int], list[tuple[list[Point], str]]] = \
            defaultdict(list)
        self._lines: defaultdict[tuple[float, str, int], list[tuple[list[Point], str]]] = \
            defaultdict(list)
        self._marks: defaultdict[tuple[str, str, bool, float], list[Point]] = defaultdict(list)
        self.texts = CanvasText(height)

    def rect(self, x0: float, y0: float, x1: float, y1: float, colour: str, *,
             hatch: str = "", z: int = 1) -> None:
        self._rects[(hatch, z)].append(([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], colour))

    def line(self, x0: float, y0: float, x1: float, y1: float, colour: str = "black", *,
             width: float = 1.0, style: str = "solid", z: int = 2) -> None:
        self._lines[(width, style, z)].append(([(x0, y0), (x1, y1)], colour))

    def mark(self, x: float, y: float, colour: str, *, shape: str = "o", hollow: bool = False,
             size: float = 4.5) -> None:
        self._marks[(shape, colour, hollow, size)].append((x, y))

    def text(self, x: float, y: float, text: str, *, size: float = 7, ha: Ha = "left",
             va: Va = "center", colour: str = "black", bold: bool = False) -> None:
        """One line of text; line breaks in it (from card data) become spaces."""
        if text:
            self.texts.rows.append(TextRow(x, y, " ".join(text.splitlines()), size, ha, va,
                                           colour, bold))

    def finish(self) -> Figure:
        """Add the collected shapes, one collection per style with a compound path per
        colour (one SVG element, however many bars or lines it holds), and return the
        figure."""
        for (hatch, z), items in sorted(self._rects.items()):
            groups = _by_colour(items)
            self._add(PathCollection(
                [_compound(shapes, closed=True) for _, shapes in groups],
                facecolors=[c for c, _ in groups], hatch=hatch or None,
                edgecolors="white" if hatch else "none", linewidths=0, zorder=z))
        for (width, style, z), items in sorted(self._lines.items()):
            groups = _by_colour(items)
            self._add(PathCollection(
                [_compound(shapes, closed=False) for _, shapes in groups], facecolors="none",
                edgecolors=[c for c, _ in groups], linewidths=width, linestyles=style,
                zorder=z, capstyle="butt"))
        for (shape, colour, hollow, size), points in sorted(self._marks.items()):
            self._add(Line2D([x for x, _ in points], [y for _, y in points],
                                    linestyle="none", marker=shape, markersize=size,
                                    color=colour, markerfacecolor="white" if hollow else colour,
                                    zorder=4))
        self.fig.add_artist(self.texts)
        return self.fig

    def _add(self, artist: Artist) -> None:
        artist.set_transform(self.inches)
        self.fig.add_artist(artist)
