"""Evaluation plots: deterministic bytes, readable labels, colour-blind palette, alt text."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from test_evaluation import make_registry, predictions_block, version

from mlcards.compute.evaluation import EvaluationReport, compute_report
from mlcards.plots.canvas import Canvas, CanvasText
from mlcards.plots.evaluation import plan_plots, slug
from mlcards.plots.evaluation_charts import nice_symmetric
from mlcards.plots.figures import _NO_DATES, _NOT_XML, svg_bytes


def report_of(root: Path) -> EvaluationReport:
    ctx, mv = version(root)
    report = compute_report(mv, ctx.registry.config.policy)
    assert report is not None
    return report


@pytest.fixture
def breaching(tmp_path: Path) -> EvaluationReport:
    doc = {"schema_version": 1, "dataset": {"name": "holdout"},
           "predictions": predictions_block(metrics=["accuracy", "selection_rate"])}
    return report_of(make_registry(tmp_path, doc, policy={"max_disparity": 0.05}))


def svg_text(report: EvaluationReport, name: str) -> str:
    plot = next(p for p in plan_plots(report) if p.name == name)
    return plot.svg().decode("utf-8")


def test_plots_are_byte_identical_across_runs(tmp_path: Path) -> None:
    first = {p.name: p.svg() for p in plan_plots(report_of(make_registry(tmp_path / "a")))}
    again = {p.name: p.svg() for p in plan_plots(report_of(make_registry(tmp_path / "b")))}
    assert first == again
    # small multiples: one bars, one disparity and one heatmap figure for all 8 metrics,
    # and the threshold curves of each feature
    assert sorted(first) == ["bars", "disparity", "heatmap-sex-age", "thresholds-age",
                             "thresholds-sex"]


def test_every_plot_has_a_title_axis_labels_and_no_tight_layout(
        breaching: EvaluationReport, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("tight_layout is slow and not deterministic; use margins")

    monkeypatch.setattr(Figure, "tight_layout", refuse)
    titles = {"bars": "Each metric by group", "disparity": "Each group's gap to the overall",
              "heatmap": "(rows) × age (columns)", "thresholds": "at each decision threshold"}
    axis_labels = {"bars": "Accuracy (0 to 1)", "disparity": "group − overall",
                   "heatmap": "Sample count", "thresholds": "decision threshold"}
    for plot in plan_plots(breaching):
        svg = plot.svg().decode("utf-8")
        assert titles[plot.kind] in svg, plot.name
        assert axis_labels[plot.kind] in svg, plot.name
        assert plot.alt and plot.caption and plot.title


def test_every_metric_has_its_panel(breaching: EvaluationReport) -> None:
    bars = svg_text(breaching, "bars")
    heatmap = svg_text(breaching, "heatmap-sex-age")
    for metric in breaching.result.metrics:
        label = breaching.metric(metric).label
        assert bars.count(label) >= 2, metric          # panel title and axis label
        assert label in heatmap, metric
        overall = breaching.result.overall.values[metric]
        assert f"overall {overall:.3f}" in bars


def test_bar_chart_shows_groups_with_n_overall_and_palette(breaching: EvaluationReport) -> None:
    svg = svg_text(breaching, "bars")
    assert "Each metric by group" in svg and "Accuracy (0 to 1)" in svg
    assert "n=" in svg and "overall" in svg
    assert "#0072b2" in svg and "#e69f00" in svg     # Okabe-Ito blue and orange, one per feature


def test_disparity_chart_marks_breaches_and_labels_tau(breaching: EvaluationReport) -> None:
    svg = svg_text(breaching, "disparity")
    assert "−τ" in svg and "+τ" in svg and "τ = ±0.05" in svg and "reference: overall" in svg
    assert "#d55e00" in svg                          # vermillion: groups over the limit
    plot = next(p for p in plan_plots(breaching) if p.name == "disparity")
    assert "Over the limit: sex=a" in plot.alt and "sex=b" in plot.alt


def test_disparity_chart_without_breaches_has_no_breach_marker(tmp_path: Path) -> None:
    report = report_of(make_registry(tmp_path, gap=0.0, policy={"max_disparity": 0.3}))
    svg = svg_text(report, "disparity")
    assert "#d55e00" not in svg
    plot = next(p for p in plan_plots(report) if p.name == "disparity")
    assert plot.alt.endswith("Over the limit: none.")


def test_heatmap_has_a_cell_per_intersection_with_n(breaching: EvaluationReport) -> None:
    svg = svg_text(breaching, "heatmap-sex-age")
    report_cells = next(g for g in breaching.result.groupings if g.features == ("sex", "age"))
    for group in report_cells.groups:
        assert f"n={group.n:,}" in svg
    assert "gap to overall" in svg


def test_threshold_curves_only_for_probability_scores(tmp_path: Path) -> None:
    with_score = report_of(make_registry(tmp_path / "a"))
    assert [p.name for p in plan_plots(with_score) if p.kind == "thresholds"] == [
        "thresholds-sex", "thresholds-age"]
    svg = svg_text(with_score, "thresholds-sex")
    assert "decision threshold" in svg and "0.1" in svg and "0.9" in svg
    doc = {"schema_version": 1, "dataset": {"name": "holdout"},
           "predictions": predictions_block(score=None)}
    without = report_of(make_registry(tmp_path / "b", doc))
    assert not [p for p in plan_plots(without) if p.kind == "thresholds"]


def test_file_names_are_safe_and_unique() -> None:
    assert slug("Age band / 2024") == "age-band-2024"
    assert slug("../..") == "feature"
    assert slug("Ünïcode") == "n-code"


def test_nice_symmetric_ticks_include_zero_and_cover_the_extent() -> None:
    half, ticks = nice_symmetric(0.13)
    assert half >= 0.13 and 0.0 in ticks and ticks[0] == -half and len(ticks) <= 7
    assert nice_symmetric(0.1) == (0.1, [-0.1, -0.05, 0.0, 0.05, 0.1])


def canvas_svgs(draw: Callable[[], Figure]) -> tuple[bytes, bytes]:
    """A figure's SVG with CanvasText writing its <text> elements itself, and through
    matplotlib's renderer.draw_text (the reference)."""
    direct = svg_bytes(draw())
    fig = draw()
    for texts in fig.findobj(CanvasText):
        texts.direct_svg = False  # type: ignore[union-attr]
    return direct, svg_bytes(fig)


def test_canvas_text_writes_what_matplotlib_writes(breaching: EvaluationReport) -> None:
    """CanvasText makes each font and colour's style once per figure and writes the
    elements through the SVG renderer's writer: byte for byte what draw_text writes, for
    every chart drawn on a Canvas and for awkward rows (markup characters, quotes,
    non-ASCII, alpha, generic font families that matplotlib expands, a row at 0, 0)."""
    for plot in plan_plots(breaching):
        if plot.kind != "thresholds":  # Axes, no Canvas
            direct, reference = canvas_svgs(plot.draw)
            assert direct == reference, plot.name

    def awkward() -> Figure:
        c = Canvas(3.0, 2.0)
        rows = ["a < b & c > d", "it's \"quoted\"", "both ' and \"", "Zoë ≥ 张 🙂", "−0.5"]
        for k, text in enumerate(rows):
            for j, (ha, va) in enumerate([("left", "top"), ("center", "center"),
                                          ("right", "bottom"), ("left", "baseline")]):
                c.text(0.2 + 0.8 * j, 0.2 + 0.3 * k, text, size=6 + k, ha=ha, va=va,
                       colour=("black", "#0072B2", "white", "#12345680")[j],
                       bold=bool(k % 2))
        c.text(0.0, 0.0, "corner", size=9, bold=True, va="baseline")
        c.text(0.5, 1.8, "generic", va="baseline")
        fig = c.finish()
        texts = next(iter(fig.findobj(CanvasText)))
        texts._fonts[(7.0, False)] = FontProperties(family="sans-serif", size=7.0)
        texts._fonts[(8.0, False)] = FontProperties(family=["monospace", "DejaVu Sans"],
                                                    size=8.0, stretch="condensed")
        return fig

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        direct, reference = canvas_svgs(awkward)
    assert direct == reference
    assert b"&lt; b &amp; c &gt;" in direct and b"opacity: 0.50" in direct
    assert b"monospace" in direct and b"sans-serif" in direct


def test_svg_bytes_are_what_matplotlib_writes_to_a_binary_file(
        breaching: EvaluationReport) -> None:
    """svg_bytes writes to a text buffer and encodes once; matplotlib, given a binary
    file, encodes each write: the same UTF-8 bytes (non-ASCII labels included)."""
    for plot in plan_plots(breaching):
        fig = plot.draw()
        fig.text(0.1, 0.1, "Zoë ≥ 0.5 · 张 — ⚠")
        binary = io.BytesIO()
        with warnings.catch_warnings():  # DejaVu Sans has no 张: a box, and a warning
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
            fig.savefig(binary, format="svg", metadata=_NO_DATES)
            assert svg_bytes(fig) == _NOT_XML.sub(b"", binary.getvalue()), plot.name
