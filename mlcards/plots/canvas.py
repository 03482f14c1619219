"""A figure drawn in inches on one hidden Axes, with one collection per style.

Small multiples built from Axes cost about 10 ms per panel before anything is
drawn (ticks, spines, transforms, autoscaling), and a bar chart adds a Patch
and a limits update per bar. The fixed chart kinds of an evaluation do not need
any of that: their layout is known in inches, so `Canvas` places rectangles,
lines, markers and texts at inch coordinates on one Axes that covers the figure,
and `finish` adds one PolyCollection / LineCollection per style. matplotlib still
lays out and writes every text, colour and path (SVG and PDF alike); a chart
costs a few milliseconds plus about 0.2 ms per text.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from mlcards.plots import new_figure

Point = tuple[float, float]


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
        self.ax = self.fig.add_axes((0.0, 0.0, 1.0, 1.0))
        self.ax.set_axis_off()
        self.ax.set_xlim(0.0, width)
        self.ax.set_ylim(height, 0.0)
        self._rects: defaultdict[tuple[str, int], list[tuple[list[Point], str]]] = \
            defaultdict(list)
        self._lines: defaultdict[tuple[float, str, int], list[tuple[list[Point], str]]] = \
            defaultdict(list)
        self._marks: defaultdict[tuple[str, str, bool, float], list[Point]] = defaultdict(list)

    def rect(self, x0: float, y0: float, x1: float, y1: float, colour: str, *,
             hatch: str = "", z: int = 1) -> None:
        self._rects[(hatch, z)].append(([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], colour))

    def line(self, x0: float, y0: float, x1: float, y1: float, colour: str = "black", *,
             width: float = 1.0, style: str = "solid", z: int = 2) -> None:
        self._lines[(width, style, z)].append(([(x0, y0), (x1, y1)], colour))

    def mark(self, x: float, y: float, colour: str, *, shape: str = "o", hollow: bool = False,
             size: float = 4.5) -> None:
        self._marks[(shape, colour, hollow, size)].append((x, y))

    def text(self, x: float, y: float, text: str, *, size: float = 7, ha: str = "left",
             va: str = "center", colour: str = "black", bold: bool = False) -> None:
        self.ax.text(x, y, text, fontsize=size, ha=ha, va=va, color=colour,
                     fontweight="bold" if bold else "normal", clip_on=False)

    def finish(self) -> Figure:
        """Add the collected shapes, one artist per style, and return the figure."""
        for (hatch, z), items in sorted(self._rects.items()):
            self.ax.add_collection(PolyCollection(
                [v for v, _ in items], facecolors=[c for _, c in items], hatch=hatch or None,
                edgecolors="white" if hatch else "none", linewidths=0, zorder=z), autolim=False)
        for (width, style, z), items in sorted(self._lines.items()):
            self.ax.add_collection(LineCollection(
                [v for v, _ in items], colors=[c for _, c in items], linewidths=width,
                linestyles=style, zorder=z, capstyle="butt"), autolim=False)
        for (shape, colour, hollow, size), points in sorted(self._marks.items()):
            self.ax.add_line(Line2D([x for x, _ in points], [y for _, y in points],
                                    linestyle="none", marker=shape, markersize=size,
                                    color=colour, markerfacecolor="white" if hollow else colour,
                                    zorder=4))
        return self.fig
