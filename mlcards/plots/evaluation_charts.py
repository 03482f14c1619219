"""Drawing the evaluation plots (see mlcards.plots.evaluation for the plan).

Conventions: bars, gaps and heatmaps are small multiples laid out in inches on
a `Canvas` (mlcards.plots.canvas: no Axes per panel, no layout engine); the
threshold curves keep Axes with margins in inches through fig.subplots_adjust
(never tight_layout). Explicit ticks and limits, Okabe-Ito colours plus marker
shapes so no information is carried by colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex

from mlcards.compute.disparity import Disparity
from mlcards.compute.metrics import METRICS, Curves, Grouping, GroupStats, fmt
from mlcards.plots.canvas import Canvas, Scale
from mlcards.plots.figures import OKABE_ITO, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from mlcards.compute.evaluation import EvaluationReport

BREACH = "#D55E00"      # vermillion
OK = "#0072B2"          # blue
BAND = "#E4E4E4"
GRID = "#BBBBBB"
EMPTY = "#9E9E9E"
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
UNIT_METRICS = frozenset(n for n, s in METRICS.items() if s.kind in ("counts", "auc"))
UNIT_TOPS = (0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
NICE_STEPS = (0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0)


def short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(n: int | None) -> str:
    return "n unknown" if n is None else f"n={n:,}"


def _margins(fig: Figure, left: float, right: float, top: float, bottom: float,
             **space: float) -> None:
    """Margins in inches, so they hold at any figure size."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h,
                        bottom=bottom / h, **space)


def nice_symmetric(extent: float, max_ticks: int = 7) -> tuple[float, list[float]]:
    """A half-width >= extent on a round step, and ticks -k*step .. k*step (0 included)."""
    extent = extent if extent > 0 else 0.05
    for step in NICE_STEPS:
        k = math.ceil(extent / step - 1e-9)
        if 2 * k + 1 <= max_ticks:
            return round(k * step, 10), [round(i * step, 10) for i in range(-k, k + 1)]
    step = NICE_STEPS[-1]
    k = math.ceil(extent / step)
    return k * step, [i * step for i in range(-k, k + 1)]


def _value_range(metric: str, values: list[float]) -> tuple[float, float, list[float]]:
    """Bars start at zero; the top is a round number above the largest value (at most 1
    for rates and AUC, so small rates are still told apart)."""
    finite = [v for v in values if math.isfinite(v)] or [1.0]
    if (metric in UNIT_METRICS or metric not in METRICS) and 0 <= min(finite) <= max(finite) <= 1:
        top = next(t for t in UNIT_TOPS if t >= max(finite) * 1.12 or t == 1.0)
        return 0.0, top, [float(t) for t in np.linspace(0.0, top, 6)]
    top, _ = nice_symmetric(max(max(finite), 0.0) * 1.1, 11)
    bottom = -nice_symmetric(-min(finite) * 1.1, 11)[0] if min(finite) < 0 else 0.0
    return bottom, top, [float(t) for t in np.linspace(bottom, top, 6)]


def _axis_label(report: EvaluationReport, metric: str) -> str:
    label = report.metric(metric).label
    if metric in UNIT_METRICS:
        return f"{label} (0 to 1)"
    return f"{label} (label units)" if metric in METRICS else label


# --------------------------------------------------------------------------- panels

PAGE_WIDTH = 7.7          # inches: about the width of a Material content column at 100 dpi
PANEL_GAP = 0.3
PITCH = 0.2               # one row per 0.2 in (7 pt labels)
HEAD = 0.5                # panel title (two lines) above each row of panels
FOOT = 0.5                # tick labels and axis label below it
TOP, BOTTOM = 0.4, 0.35   # figure title; key


Key = tuple[tuple[str, ...], tuple[tuple[str, str], ...]]
"""(features, slice): one group of one grouping."""


@dataclass(frozen=True)
class Panel:
    """Where one panel's plotting area is, in inches from the top left."""

    x0: float
    y0: float
    width: float
    height: float

    @property
    def x1(self) -> float:
        return self.x0 + self.width

    @property
    def y1(self) -> float:
        return self.y0 + self.height

    def row(self, k: float) -> float:
        return self.y0 + (k + 0.5) * PITCH

    def scale(self, low: float, high: float) -> Scale:
        return Scale(low, high, self.x0, self.x1)


def layout(count: int, label_width: float, width: float, height: float,
           per_row: int | None = None) -> tuple[Canvas, list[Panel], list[bool]]:
    """A canvas with `count` panels in rows; which panels start a row (they carry labels)."""
    fit = max(1, int((PAGE_WIDTH - label_width - 0.2 + PANEL_GAP) // (width + PANEL_GAP)))
    per_row = min(per_row or fit, fit)
    rows = (count + per_row - 1) // per_row
    canvas = Canvas(PAGE_WIDTH, TOP + BOTTOM + rows * (HEAD + height + FOOT))
    panels = [Panel(label_width + (i % per_row) * (width + PANEL_GAP),
                    TOP + HEAD + (i // per_row) * (HEAD + height + FOOT), width, height)
              for i in range(count)]
    return canvas, panels, [i % per_row == 0 for i in range(count)]


def axis(c: Canvas, p: Panel, scale: Scale, ticks: list[float], labels: list[str],
         xlabel: str) -> None:
    """Left and bottom lines, tick marks with their labels, the axis label."""
    c.line(p.x0, p.y0, p.x0, p.y1, width=0.8)
    c.line(p.x0, p.y1, p.x1, p.y1, width=0.8)
    for t, text in zip(ticks, labels, strict=True):
        x = scale(t)
        c.line(x, p.y1, x, p.y1 + 0.05, width=0.8)
        c.text(x, p.y1 + 0.07, text, ha="center", va="top")
    c.text((p.x0 + p.x1) / 2, p.y1 + 0.25, xlabel, ha="center", va="top")


def panel_title(c: Canvas, p: Panel, title: str, detail: str) -> None:
    c.text(p.x0, p.y0 - 0.2, short(title, 32), size=8, va="bottom")
    c.text(p.x0, p.y0 - 0.05, detail, va="bottom", colour="#444444")


def figure_title(c: Canvas, text: str, key: str) -> None:
    c.text(0.15, 0.12, text, size=9.5, va="top")
    c.text(c.width / 2, c.height - 0.1, key, ha="center", va="bottom")


def row_labels(c: Canvas, p: Panel, texts: list[str], heads: list[bool],
               colours: list[str]) -> None:
    for k, (text, head, colour) in enumerate(zip(texts, heads, colours, strict=True)):
        c.text(p.x0 - 0.08, p.row(k), text, ha="right", colour=colour, bold=head)


def _tick_text(t: float) -> str:
    return f"{t:.3g}".replace("-", "−")


def _signed(t: float) -> str:
    return ("+" if t > 0 else "") + fmt(t, 3).rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- bars


def _is_small(report: EvaluationReport, n: int | None) -> bool:
    return n is not None and n < report.policy.min_group_size


def _breaches(report: EvaluationReport, metric: str) -> dict[Key, bool]:
    """(features, slice) -> over the limit, for the metric's gated disparities."""
    return {(d.features, g.slice): g.breach for d in report.disparities
            if d.metric == metric and d.gated for g in d.gaps}


def draw_bars(report: EvaluationReport) -> Figure:
    """Small multiples: one panel per metric, one bar per group (colour by feature),
    interval whiskers, overall as a dashed line, the tolerance band around it for
    gated metrics and a diamond on groups over the limit."""
    metrics = list(report.result.metrics)
    rows: list[tuple[int, Grouping, GroupStats | None]] = []
    for i, grouping in enumerate(report.single_groupings):
        rows.append((i, grouping, None))
        rows.extend((i, grouping, g) for g in grouping.groups)
    texts = [short(gr.features[0], 26) if g is None else
             f"{short(g.slice[-1][1], 16)}  {_count(g.n)}{' ⚠' if _is_small(report, g.n) else ''}"
             for _, gr, g in rows]
    heads = [g is None for _, _, g in rows]
    colours = [OKABE_ITO[i % 8] if g is None else "black" for i, _, g in rows]
    label_width = min(2.2, 0.25 + 0.055 * max(len(t) for t in texts))
    c, panels, first = layout(len(metrics), label_width, 1.65, PITCH * len(rows), 3)
    tau = report.policy.max_disparity
    for metric, p, starts in zip(metrics, panels, first, strict=True):
        if starts:
            row_labels(c, p, texts, heads, colours)
        values = [g.values.get(metric, math.nan) for _, _, g in rows if g is not None]
        cis = [c_ for _, _, g in rows if g is not None and (c_ := g.ci.get(metric))]
        low, high, ticks = _value_range(metric, [*values, *(v for ci in cis for v in ci)])
        x = p.scale(low, high)
        overall = report.result.overall.values.get(metric, math.nan)
        over = _breaches(report, metric)
        if over and tau is not None and math.isfinite(overall):
            c.rect(x.clip(overall - tau), p.y0, x.clip(overall + tau), p.y1, BAND, z=0)
        for k, (i, gr, g) in enumerate(rows):
            if g is None:
                continue
            y, value = p.row(k), g.values.get(metric, math.nan)
            if not math.isfinite(value):
                c.text(x(max(low, 0.0)) + 0.03, y, "n/a")
                continue
            c.rect(x.clip(max(low, 0.0)), y - 0.34 * PITCH, x.clip(value), y + 0.34 * PITCH,
                   OKABE_ITO[i % 8], hatch="///" if _is_small(report, g.n) else "")
            if (ci := g.ci.get(metric)) is not None:
                c.line(x.clip(ci[0]), y, x.clip(ci[1]), y, width=1, z=3)
            if over.get((gr.features, g.slice)):
                c.mark(x.clip(value), y, BREACH, shape="D")
        if math.isfinite(overall):
            c.line(x(overall), p.y0, x(overall), p.y1, style="dashed", z=3)
        shown = ticks[::2] if len(ticks) > 4 else ticks
        axis(c, p, x, shown, [_tick_text(t) for t in shown], _axis_label(report, metric))
        panel_title(c, p, report.metric(metric).label, f"overall {fmt(overall)}")
    limit = "" if tau is None else f"; grey band: overall ± τ = {fmt(tau, 2)}, ◆ over it"
    figure_title(c, f"Each metric by group (whiskers: {report.result.confidence:.0%} interval)",
                 f"dashed line: overall{limit}; hatched ⚠: small group "
                 f"(n < {report.policy.min_group_size})")
    return c.finish()


# --------------------------------------------------------------------------- disparity


def draw_disparity(report: EvaluationReport, by_metric: list[list[Disparity]]) -> Figure:
    """Small multiples: one panel per gated metric, each group's gap to overall (dot,
    interval line) against the tolerance band; groups over it are vermillion diamonds."""
    keys: list[Key | tuple[str, ...]] = []      # a grouping's features: its header row
    label: dict[Key, str] = {}
    for d in (d for items in by_metric for d in items):
        if d.features not in keys:
            keys.append(d.features)
        for g in d.gaps:
            if (d.features, g.slice) not in label:
                keys.append((d.features, g.slice))
                label[(d.features, g.slice)] = \
                    f"{short(' · '.join(v for _, v in g.slice), 34)}  {_count(g.n)}"
    order = sorted(range(len(keys)), key=lambda k: (_head_of(keys[k], keys), k))
    keys = [keys[k] for k in order]
    row_of = {key: k for k, key in enumerate(keys)}
    texts = [short(" × ".join(cast(tuple[str, ...], key)), 30) if _is_head(key)
             else label[cast(Key, key)] for key in keys]
    heads = [_is_head(key) for key in keys]
    label_width = min(2.2, 0.25 + 0.055 * max(len(t) for t in texts))
    c, panels, first = layout(len(by_metric), label_width, 1.65, PITCH * len(keys), 3)
    tau = by_metric[0][0].tolerance
    cis = {(gr.features, gs.slice): gs.ci for gr in report.result.groupings for gs in gr.groups}
    for items, p, starts in zip(by_metric, panels, first, strict=True):
        metric, overall = items[0].metric, items[0].overall
        if starts:
            row_labels(c, p, texts, heads, ["black"] * len(texts))
        gaps = [((d.features, g.slice), g) for d in items for g in d.gaps]
        intervals = {key: ci for key, _ in gaps
                     if (ci := cis.get(key, {}).get(metric)) is not None}
        extent = max([abs(g.to_overall) for _, g in gaps if math.isfinite(g.to_overall)]
                     + [abs(v - overall) for ci in intervals.values() for v in ci]
                     + [tau or 0.0])
        half, ticks = nice_symmetric(extent * 1.08, 5)
        x = p.scale(-half, half)
        if tau is not None:
            c.rect(x(-tau), p.y0, x(tau), p.y1, BAND, z=0)
            for side, text in ((-tau, "−τ"), (tau, "+τ")):   # in the first (header) row
                c.text(x(side), p.row(0), text, ha="center", colour="#444444")
        c.line(x(0.0), p.y0, x(0.0), p.y1, width=1)
        for k, key in enumerate(keys):
            if _is_head(key) and k:
                c.line(p.x0, p.y0 + k * PITCH, p.x1, p.y0 + k * PITCH, GRID, width=0.6)
        for key, g in gaps:
            y = p.row(row_of[key])
            colour = BREACH if g.breach else OK
            if (ci := intervals.get(key)) is not None:
                c.line(x.clip(ci[0] - overall), y, x.clip(ci[1] - overall), y, colour, z=3)
            if math.isfinite(g.to_overall):
                c.mark(x.clip(g.to_overall), y, colour, shape="D" if g.breach else "o",
                       hollow=g.small)
        axis(c, p, x, ticks, [_signed(t) for t in ticks], "group − overall")
        panel_title(c, p, report.metric(metric).label, f"overall {fmt(overall)}")
    limit = "no limit set (policy max_disparity)" if tau is None else \
        f"grey band: tolerance τ = ±{fmt(tau, 2)} (policy max_disparity)"
    figure_title(c, f"Each group's gap to the overall value; reference: overall; {limit}",
                 f"● within the limit   ◆ over the limit (vermillion)   ○ small group "
                 f"(n < {report.policy.min_group_size})   — {report.result.confidence:.0%} "
                 "interval")
    return c.finish()


def _is_head(key: object) -> bool:
    return isinstance(key, tuple) and all(isinstance(k, str) for k in key)


def _head_of(key: object, keys: Sequence[object]) -> int:
    """Rows sort under their grouping's header, groupings in first-seen order."""
    features = key if _is_head(key) else key[0]  # type: ignore[index]
    return keys.index(features)


# --------------------------------------------------------------------------- heatmap


def draw_heatmap(report: EvaluationReport, grouping: Grouping) -> Figure:
    """Feature a x feature b: a panel of sample counts, then one panel per metric with
    the value in each cell, coloured by its gap to overall (scale per panel)."""
    fa, fb = grouping.features
    rows = sorted({dict(g.slice)[fa] for g in grouping.groups})
    cols = sorted({dict(g.slice)[fb] for g in grouping.groups})
    cells = {(dict(g.slice)[fa], dict(g.slice)[fb]): g for g in grouping.groups}
    metrics = list(report.result.metrics)
    tau = report.policy.max_disparity
    cell_w, cell_h = 0.62, 0.34
    texts = [short(r, 18) for r in rows]
    label_width = min(1.6, 0.25 + 0.055 * max(len(t) for t in texts))
    c, panels, first = layout(len(metrics) + 1, label_width, cell_w * len(cols),
                              cell_h * len(rows))
    cmap = colormaps["PuOr"]
    for n, (p, starts) in enumerate(zip(panels, first, strict=True)):
        if starts:
            for r, text in enumerate(texts):
                c.text(p.x0 - 0.08, p.y0 + (r + 0.5) * cell_h, text, ha="right")
        for k, col in enumerate(cols):
            c.text(p.x0 + (k + 0.5) * cell_w, p.y1 + 0.06, short(col, 10), ha="center",
                   va="top")
        c.text((p.x0 + p.x1) / 2, p.y1 + 0.25, short(fb, 30), ha="center", va="top")
        if n == 0:
            for (a, b), g in cells.items():
                cx, cy = p.x0 + cols.index(b) * cell_w, p.y0 + rows.index(a) * cell_h
                c.rect(cx + 0.01, cy + 0.01, cx + cell_w - 0.01, cy + cell_h - 0.01, "#F2F2F2")
                c.text(cx + cell_w / 2, cy + cell_h / 2,
                       f"{_count(g.n)}{' ⚠' if _is_small(report, g.n) else ''}", ha="center")
            panel_title(c, p, "Sample count", f"{short(fa, 14)} × {short(fb, 14)}")
            continue
        metric = metrics[n - 1]
        overall = report.result.overall.values.get(metric, math.nan)
        gaps = {key: g.values.get(metric, math.nan) - overall for key, g in cells.items()}
        finite = [abs(v) for v in gaps.values() if math.isfinite(v)]
        half, _ = nice_symmetric(max([*finite, tau or 0.0, 1e-3]), 5)
        for r, a in enumerate(rows):
            for k, b in enumerate(cols):
                cx, cy = p.x0 + k * cell_w, p.y0 + r * cell_h
                gap = gaps.get((a, b), math.nan)
                fill = to_hex(cmap(0.5 + gap / (2 * half))) if math.isfinite(gap) else EMPTY
                c.rect(cx + 0.01, cy + 0.01, cx + cell_w - 0.01, cy + cell_h - 0.01, fill)
                over = tau is not None and math.isfinite(gap) and abs(gap) > tau + 1e-12
                cell = cells.get((a, b))
                c.text(cx + cell_w / 2, cy + cell_h / 2, "no rows" if cell is None else
                       f"{fmt(cell.values.get(metric))}{' ◆' if over else ''}", ha="center",
                       colour="white" if math.isfinite(gap) and abs(gap) > 0.6 * half
                       else "black", bold=over)
        panel_title(c, p, report.metric(metric).label,
                    f"overall {fmt(overall)}; colour ±{fmt(half, 3)}")
    limit = "" if tau is None else f"   ◆ bold: over the limit τ = ±{fmt(tau, 2)}"
    figure_title(c, f"{short(fa, 30)} (rows) × {short(fb, 30)} (columns): each cell's value, "
                    "coloured by its gap to overall",
                 f"orange: below overall, purple: above (scale per panel){limit}")
    return c.finish()


# --------------------------------------------------------------------------- thresholds


def draw_thresholds(report: EvaluationReport, curves: Curves) -> Figure:
    """Rates at thresholds 0.1..0.9, one line (colour and marker) per group."""
    m = len(curves.metrics)
    fig = new_figure(0.9 + 2.4 * m, 3.2)
    _margins(fig, 0.65, 0.2, 0.65, 0.95, wspace=0.35)
    axes = fig.subplots(1, m, squeeze=False)[0]
    ticks = [0.1, 0.3, 0.5, 0.7, 0.9]
    yticks = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    for j, (ax, metric) in enumerate(zip(axes, curves.metrics, strict=True)):
        for k, sl in enumerate(curves.groups):
            ax.plot(curves.thresholds, curves.values[:, k, j], color=OKABE_ITO[k % 8],
                    marker=MARKERS[k % len(MARKERS)], markersize=3, linewidth=1.2,
                    label=f"{short(sl[0][1], 16)} ({_count(curves.sizes[k])})")
        ax.plot(curves.thresholds, curves.overall[:, j], color="black", linestyle="--",
                linewidth=1, label="overall")
        ax.set_xlim(0.05, 0.95)
        ax.set_ylim(0, 1)
        ax.set_xticks(ticks, [f"{t:.1f}" for t in ticks])
        ax.set_yticks(yticks, [f"{t:.1f}" for t in yticks] if j == 0 else [])
        ax.set_title(report.metric(metric).label, y=1.0, fontsize=9)
        ax.set_xlabel("decision threshold")
    axes[0].set_ylabel("rate (0 to 1; same scale in every panel)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=7,
               frameon=False)
    h = fig.get_size_inches()[1]
    fig.suptitle(f"Rates by {short(curves.feature, 30)} at each decision threshold "
                 "(score ≥ threshold counts as positive)", y=1 - 0.1 / h, fontsize=10)
    return fig
