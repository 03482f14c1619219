"""Plots of a disaggregated evaluation, for readers who do not read code.

- bars: one panel per metric, a bar per group with interval whiskers and n,
  overall as a dashed line with the tolerance band around it;
- disparity: one panel per gated metric, each group's gap to overall against
  the policy's tolerance band (tau and the reference labelled), groups over it
  marked;
- heatmap-<a>-<b>: feature a x feature b, a panel of sample counts and one per
  metric;
- thresholds-<feature>: rates at decision thresholds 0.1..0.9 per group.

Every figure has a title, axis labels, Okabe-Ito colours (plus marker shapes),
fixed margins (fig.subplots_adjust; no tight_layout) and explicit ticks, and
comes with alt text. Metrics are small multiples of one figure per kind, not a figure
each: a figure's fixed cost (axes, ticks, the SVG writer) is most of a small chart's.
`plan_plots` is cheap and imports no matplotlib; drawing happens in `PlotSpec.svg`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from mlcards.compute.disparity import Disparity
from mlcards.compute.metrics import Curves, Grouping, fmt

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from mlcards.compute.evaluation import EvaluationReport

__all__ = ["PlotSpec", "fmt", "plan_plots", "slug"]


@dataclass(frozen=True)
class PlotSpec:
    """One plot of a version: file name, words for the page, and how to draw it."""

    name: str
    kind: str
    section: str
    title: str
    alt: str
    caption: str
    draw: Callable[[], Figure]

    def svg(self) -> bytes:
        from mlcards.plots.figures import svg_bytes

        return svg_bytes(self.draw())


def _drawn(chart: str, *args: Any) -> Figure:
    """`evaluation_charts.<chart>(*args)`, imported only when a plot is drawn: planning
    a version's plots (their files and words) imports no matplotlib."""
    from mlcards.plots import evaluation_charts

    draw: Callable[..., Figure] = getattr(evaluation_charts, chart)
    return draw(*args)


def _n(n: int | None) -> str:
    return "n unknown" if n is None else f"n={n:,}"


def slug(text: str) -> str:
    """A file-name-safe form of a feature name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "feature"


# --------------------------------------------------------------------------- alt text


def _bars_alt(report: EvaluationReport, metric: str) -> str:
    info = report.metric(metric)
    parts = [f"Bar chart of {info.label.lower()} for each group, overall "
             f"{fmt(report.result.overall.values.get(metric))}."]
    for grouping in report.single_groupings:
        items = ", ".join(f"{v} {fmt(g.values.get(metric))} ({_n(g.n)})"
                          for g in grouping.groups for _, v in g.slice)
        parts.append(f"{grouping.features[0]}: {items}.")
    return " ".join(parts)


def _disparity_alt(report: EvaluationReport, items: list[Disparity]) -> str:
    info = report.metric(items[0].metric)
    tau = items[0].tolerance
    over = [f"{g.label} ({fmt(g.to_overall)}{', small group' if g.small else ''})"
            for d in items for g in d.gaps if g.breach]
    limit = (f"the tolerance band of ±{fmt(tau, 2)} from the policy" if tau is not None
             else "no tolerance (the policy sets no max_disparity)")
    largest = max((g for d in items for g in d.gaps if math.isfinite(g.to_overall)),
                  key=lambda g: abs(g.to_overall), default=None)
    big = "" if largest is None else (f" Largest gap: {largest.label}, "
                                      f"{fmt(largest.to_overall)}.")
    return (f"Dot chart of each group's {info.label.lower()} minus the overall value "
            f"({fmt(items[0].overall)}), against {limit}.{big} Over the limit: "
            f"{'; '.join(over) if over else 'none'}.")


def _heatmap_alt(report: EvaluationReport, grouping: Grouping) -> str:
    names = [report.metric(m).label.lower() for m in report.result.metrics]
    cells = "; ".join(
        f"{g.label} ({_n(g.n)}): " + ", ".join(
            f"{name} {fmt(g.values.get(m))}" for name, m in
            zip(names, report.result.metrics, strict=True))
        for g in grouping.groups)
    return (f"Heatmaps of {', '.join(names)} for each combination of "
            f"{' and '.join(grouping.features)}, coloured by the gap to overall: {cells}.")


def _thresholds_alt(report: EvaluationReport, curves: Curves) -> str:
    names = ", ".join(report.metric(m).label.lower() for m in curves.metrics)
    mid = int(np.argmin(np.abs(curves.thresholds - 0.5)))
    at = ", ".join(f"{sl[0][1]} {fmt(curves.values[mid, k, 0])}"
                   for k, sl in enumerate(curves.groups))
    return (f"Line charts of {names} for each {curves.feature} group at thresholds 0.1 to "
            f"0.9. At 0.5, {report.metric(curves.metrics[0]).label.lower()}: {at}.")


# --------------------------------------------------------------------------- plan


def plan_plots(report: EvaluationReport) -> list[PlotSpec]:
    """Every plot of a version, in page order; nothing is drawn yet."""
    out: list[PlotSpec] = []
    used: set[str] = set()

    section = ""

    def add(name: str, kind: str, title: str, alt: str, caption: str,
            draw: Callable[[], Figure]) -> None:
        unique, i = name, 2
        while unique in used:
            unique, i = f"{name}-{i}", i + 1
        used.add(unique)
        out.append(PlotSpec(unique, kind, section, title, alt, caption, draw))

    metrics = report.result.metrics
    if report.single_groupings:
        section = "By group"
        add("bars", "bars", "Each metric by group",
            " ".join(_bars_alt(report, m) for m in metrics),
            "One panel per metric. Bars show each group's value, whiskers its interval, the "
            "dashed line the overall value and the grey band the policy's tolerance around "
            "it (◆: over the limit); n is the group's sample count; hatched bars (⚠) are "
            "groups too small to judge.",
            partial(_drawn, "draw_bars", report))
    gated = [items for m in metrics
             if (items := [d for d in report.disparities if d.metric == m and d.gated
                           and d.gaps]) and math.isfinite(items[0].overall)]
    if gated:
        section = "Gap to overall"
        add("disparity", "disparity", "Each group's gap to overall",
            " ".join(_disparity_alt(report, items) for items in gated),
            "One panel per gated metric. Each dot is a group's value minus the overall "
            "value; the grey band is the policy's tolerance; diamonds are over the limit, "
            "hollow dots are small groups.",
            partial(_drawn, "draw_disparity", report, gated))
    for grouping in report.result.groupings:
        if len(grouping.features) == 2:
            a, b = (slug(f) for f in grouping.features)
            section = "Intersections"
            add(f"heatmap-{a}-{b}", "heatmap", f"Each metric by {' × '.join(grouping.features)}",
                _heatmap_alt(report, grouping),
                "The first panel gives each intersection's sample count; then one panel per "
                "metric with each cell's value, coloured by how far it is from the overall "
                "value (orange below, purple above; the scale is in each panel's title).",
                partial(_drawn, "draw_heatmap", report, grouping))
    section = "Rates at each decision threshold"
    for curves in report.curves:
        add(f"thresholds-{slug(curves.feature)}", "thresholds",
            f"Rates by {curves.feature} at each threshold", _thresholds_alt(report, curves),
            "Each line is a group; the dashed line is overall.",
            partial(_drawn, "draw_thresholds", report, curves))
    return out
