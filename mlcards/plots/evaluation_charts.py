"""Drawing the evaluation plots (see mlcards.plots.evaluation for the plan).

Conventions: margins in inches through fig.subplots_adjust (never
tight_layout), explicit ticks and limits (no autoscaling work at save time),
titles placed at a fixed height, Okabe-Ito colours plus marker shapes so no
information is carried by colour alone.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps

from mlcards.disparity import Disparity
from mlcards.metrics import METRICS, Curves, Grouping, GroupStats
from mlcards.plots import OKABE_ITO, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from mlcards.evaluation import EvaluationReport

BREACH = "#D55E00"      # vermillion
OK = "#0072B2"          # blue
BAND = "#E4E4E4"
GRID = "#BBBBBB"
EMPTY = "#9E9E9E"
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
UNIT_METRICS = frozenset(n for n, s in METRICS.items() if s.kind in ("counts", "auc"))
UNIT_TOPS = (0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
NICE_STEPS = (0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0)


def fmt(value: float | None, digits: int = 3) -> str:
    """A metric value for people: fixed decimals, 'n/a' when undefined."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}".replace("-", "−")


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


def _labels(ax: Axes, axis: str, positions: list[float], texts: list[str], size: float) -> None:
    """Category labels as plain texts beside the axis: a Text each instead of a Tick
    (five artists each), which is most of the cost of a small chart."""
    if axis == "x":
        for pos, text in zip(positions, texts, strict=True):
            ax.annotate(text, (pos, 0.0), xycoords=ax.get_xaxis_transform(), xytext=(0, -4),
                        textcoords="offset points", ha="center", va="top", fontsize=size)
    else:
        for pos, text in zip(positions, texts, strict=True):
            ax.annotate(text, (0.0, pos), xycoords=ax.get_yaxis_transform(), xytext=(-4, 0),
                        textcoords="offset points", ha="right", va="center", fontsize=size)


# --------------------------------------------------------------------------- bars


def single_groupings(report: EvaluationReport) -> list[Grouping]:
    return [g for g in report.result.groupings if len(g.features) == 1]


def draw_bars(report: EvaluationReport, metric: str) -> Figure:
    """The metric per group (one colour per feature), interval whiskers, overall line."""
    groups: list[tuple[int, GroupStats]] = [
        (i, g) for i, gr in enumerate(single_groupings(report)) for g in gr.groups]
    n = len(groups)
    fig = new_figure(max(5.0, 2.0 + 0.72 * n), 3.6)
    _margins(fig, 0.75, 1.1, 0.45, 0.75)
    ax = fig.add_subplot()
    x = np.arange(n, dtype=np.float64)
    vals = np.array([g.values.get(metric, math.nan) for _, g in groups])
    small = [g.n is not None and g.n < report.policy.min_group_size for _, g in groups]
    colours = [OKABE_ITO[i % len(OKABE_ITO)] for i, _ in groups]
    ax.bar(x, np.nan_to_num(vals), width=0.68, color=colours,
           hatch=["///" if s else "" for s in small], edgecolor="white", linewidth=0)
    cis = [(k, g.ci[metric]) for k, (_, g) in enumerate(groups) if metric in g.ci]
    if cis:
        idx = [k for k, _ in cis]
        err = np.array([[vals[k] - lo, hi - vals[k]] for k, (lo, hi) in cis]).T.clip(0)
        ax.errorbar(x[idx], vals[idx], yerr=err, fmt="none", ecolor="black", elinewidth=1,
                    capsize=3)
    low, high, ticks = _value_range(metric, [*vals.tolist(), *(c for _, ci in cis for c in ci)])
    overall = report.result.overall.values.get(metric, math.nan)
    if math.isfinite(overall):
        ax.axhline(overall, color="black", linestyle="--", linewidth=1)
        ax.text(1.01, overall, f"overall\n{fmt(overall)}", transform=ax.get_yaxis_transform(),
                va="center", ha="left", fontsize=8)
    for k in np.flatnonzero(~np.isfinite(vals)).tolist():
        ax.text(x[k], low + 0.03 * (high - low), "n/a", ha="center", fontsize=8)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(low, high)
    ax.set_yticks(ticks, [f"{t:.3g}" for t in ticks])
    ax.set_xticks([])
    _labels(ax, "x", x.tolist(), [f"{short(g.slice[-1][1], 14)}\n{_count(g.n)}"
                                  f"{' ⚠' if s else ''}"
                                  for (_, g), s in zip(groups, small, strict=True)], 8)
    for i, grouping in enumerate(single_groupings(report)):
        idx = [k for k, (j, _) in enumerate(groups) if j == i]
        ax.annotate(short(grouping.features[0], 30), ((idx[0] + idx[-1]) / 2, 0.0),
                    xycoords=ax.get_xaxis_transform(), xytext=(0, -30),
                    textcoords="offset points", ha="center", va="top", fontsize=9,
                    fontweight="bold", color=OKABE_ITO[i % len(OKABE_ITO)])
    ax.set_ylabel(_axis_label(report, metric))
    ax.set_title(f"{report.metric(metric).label} by group (whiskers: "
                 f"{report.result.confidence:.0%} interval; ⚠ / hatched: small group)",
                 y=1.03, fontsize=10)
    return fig


# --------------------------------------------------------------------------- disparity


def draw_disparity(report: EvaluationReport, items: list[Disparity]) -> Figure:
    """Each group's gap to overall (dot, interval line) against the tolerance band."""
    metric, overall, tau = items[0].metric, items[0].overall, items[0].tolerance
    rows = [(d, g) for d in items for g in d.gaps]
    cis = {(d.features, gs.slice): gs.ci.get(metric) for d in items
           for gr in report.result.groupings if gr.features == d.features for gs in gr.groups}
    labels = [short(f"{g.label} ({_count(g.n)})", 52) for _, g in rows]
    left = min(3.2, 0.3 + 0.056 * max(len(t) for t in labels))   # 7 pt DejaVu Sans
    fig = new_figure(4.7 + left, 1.75 + 0.25 * len(rows))
    _margins(fig, left, 0.3, 0.75, 0.85)
    ax = fig.add_subplot()
    y = np.arange(len(rows), dtype=np.float64)[::-1]
    extent = max([abs(g.to_overall) for _, g in rows if math.isfinite(g.to_overall)]
                 + [abs(c - overall) for c in _flat(cis.values())] + [tau or 0.0])
    half, ticks = nice_symmetric(extent * 1.08)
    if tau is not None:
        ax.axvspan(-tau, tau, color=BAND, zorder=0)
        for side, text in ((-tau, "−τ"), (tau, "+τ")):
            ax.text(side, 1.0, text, transform=ax.get_xaxis_transform(), ha="center",
                    va="bottom", fontsize=8)
    ax.axvline(0, color="black", linewidth=1)
    colours = [BREACH if g.breach else OK for _, g in rows]
    with_ci = [(k, ci) for k, (d, g) in enumerate(rows)
               if (ci := cis.get((d.features, g.slice))) is not None]
    if with_ci:
        ax.hlines([y[k] for k, _ in with_ci], [ci[0] - overall for _, ci in with_ci],
                  [ci[1] - overall for _, ci in with_ci], colors=[colours[k] for k, _ in with_ci],
                  linewidth=1)
    for breach in (False, True):     # one call per marker style, not one per row
        for small in (False, True):
            idx = [k for k, (_, g) in enumerate(rows) if g.breach == breach and g.small == small]
            if idx:
                colour = BREACH if breach else OK
                ax.plot([rows[k][1].to_overall for k in idx], y[idx], linestyle="none",
                        marker="D" if breach else "o", color=colour, markersize=5,
                        markerfacecolor="white" if small else colour)
    cuts = [y[k] + 0.5 for k in range(1, len(rows)) if rows[k][0] is not rows[k - 1][0]]
    if cuts:
        ax.hlines(cuts, -half, half, colors=GRID, linewidth=0.6)
    ax.set_yticks([])
    label_at = ax.get_yaxis_transform()
    for k, text in enumerate(labels):   # plain texts: far cheaper than tick objects
        ax.text(-0.015, y[k], text, fontsize=7, ha="right", va="center", transform=label_at)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(-half, half)
    ax.set_xticks(ticks, [("+" if t > 0 else "") + fmt(t, 3).rstrip("0").rstrip(".")
                          for t in ticks])
    ax.set_xlabel(f"{report.metric(metric).label}: group − overall (overall = {fmt(overall)})")
    limit = "no limit set (policy max_disparity)" if tau is None else \
        f"grey band: tolerance τ = ±{fmt(tau, 2)} (policy max_disparity)"
    ax.set_title(f"{report.metric(metric).label}: each group's gap to the overall value\n"
                 f"reference: overall; {limit}", y=1.04, fontsize=9)
    fig.text(0.5, 0.12 / fig.get_size_inches()[1], (
        f"● within the limit   ◆ over the limit (vermillion)   ○ small group "
        f"(n < {report.policy.min_group_size})   — {report.result.confidence:.0%} interval"),
        ha="center", va="bottom", fontsize=7)
    return fig


def _flat(cis: object) -> list[float]:
    return [c for ci in cis if ci is not None for c in ci]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- heatmap


def draw_heatmap(report: EvaluationReport, grouping: Grouping, metric: str) -> Figure:
    """Feature a x feature b: value and n per cell, coloured by the gap to overall."""
    fa, fb = grouping.features
    rows = sorted({dict(g.slice)[fa] for g in grouping.groups})
    cols = sorted({dict(g.slice)[fb] for g in grouping.groups})
    overall = report.result.overall.values.get(metric, math.nan)
    tau = report.policy.max_disparity
    grid = np.full((len(rows), len(cols)), np.nan)
    cells = {(dict(g.slice)[fa], dict(g.slice)[fb]): g for g in grouping.groups}
    for (a, b), g in cells.items():
        grid[rows.index(a), cols.index(b)] = g.values.get(metric, math.nan) - overall
    finite = np.abs(grid[np.isfinite(grid)])
    half, ticks = nice_symmetric(max([*finite.tolist(), tau or 0.0, 1e-3]), 5)
    fig = new_figure(1.5 + 1.15 * len(cols) + 1.7, 1.35 + 0.6 * len(rows))
    _margins(fig, 1.5, 1.7, 0.55, 0.65)
    ax = fig.add_subplot()
    cmap = colormaps["PuOr"].with_extremes(bad=EMPTY)
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=-half, vmax=half,
                      aspect="auto")
    for r, a in enumerate(rows):
        for c, b in enumerate(cols):
            if (a, b) not in cells:
                ax.text(c, r, "no rows", ha="center", va="center", fontsize=7)
    for (a, b), g in cells.items():
        gap = grid[rows.index(a), cols.index(b)]
        small = g.n is not None and g.n < report.policy.min_group_size
        over = tau is not None and math.isfinite(gap) and abs(gap) > tau + 1e-12
        text = f"{fmt(g.values.get(metric))}\n{_count(g.n)}{' ⚠' if small else ''}"
        ax.text(cols.index(b), rows.index(a), text + ("\nover limit" if over else ""),
                ha="center", va="center", fontsize=7,
                color="white" if math.isfinite(gap) and abs(gap) > 0.6 * half else "black",
                fontweight="bold" if over else "normal")
    ax.set_xticks([])
    ax.set_yticks([])
    _labels(ax, "x", list(range(len(cols))), [short(c, 14) for c in cols], 9)
    _labels(ax, "y", list(range(len(rows))), [short(r, 16) for r in rows], 9)
    row_labels = max(len(short(r, 16)) for r in rows)
    ax.set_xlabel(short(fb, 40), labelpad=16)
    ax.set_ylabel(short(fa, 40), labelpad=8 + 5.5 * row_labels)  # clear of the row labels
    bar = fig.colorbar(image, ax=ax, fraction=0.1, pad=0.05)
    bar.set_ticks(ticks, labels=[("+" if t > 0 else "") + fmt(t, 3) for t in ticks])
    limit = "" if tau is None else f"; limit τ = ±{fmt(tau, 2)}"
    bar.set_label(f"gap to overall ({fmt(overall)}){limit}", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    ax.set_title(f"{report.metric(metric).label} by {short(fa, 20)} × {short(fb, 20)}",
                 y=1.03, fontsize=9)
    return fig


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
