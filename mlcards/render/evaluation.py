"""The evaluation on the site: each version's report once per build, its card-page
slots, and its plots (a 'plots' bundle per version)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from mlcards.compute.diff import MeasuredBy
from mlcards.compute.evaluation import EvaluationReport, compute_report
from mlcards.errors import InvalidInput, Problem
from mlcards.outputs import OutputFile
from mlcards.render.context import BuildContext, card_fragment, producer
from mlcards.validate.registry import ModelVersion


def evaluation_report(ctx: BuildContext, mv: ModelVersion) -> EvaluationReport | None:
    """compute_report, once per build."""
    report: EvaluationReport | None = ctx.cached(
        "evaluation", mv, lambda: compute_report(mv, ctx.registry.config.policy))
    return report


def build_measurements(ctx: BuildContext) -> MeasuredBy:
    """Each version's measurements from this build's memoised evaluation reports."""
    from mlcards.compute.review import measurements_function

    return measurements_function(ctx.registry, partial(evaluation_report, ctx))


def check_registry(ctx: BuildContext) -> list[Problem]:
    """Compute every version's evaluation; return all problems found (for the gate).
    A report known to have computed without a problem (ctx.known) is not loaded."""
    problems: list[Problem] = []
    for mv in ctx.registry.versions():
        if not mv.has_evaluation or ctx.known("evaluation", mv):
            continue
        try:
            evaluation_report(ctx, mv)
        except InvalidInput as exc:
            problems.extend(exc.problems)
    return problems


@card_fragment
def evaluation_fragment(ctx: BuildContext, mv: ModelVersion) -> dict[str, str]:
    """"quantitative": tables, disparities, plots; "top": disparity callouts."""
    from mlcards.render.evaluation_page import render_slots

    report = evaluation_report(ctx, mv)
    return {} if report is None else render_slots(ctx.env, report)


@producer
def evaluation_plots(ctx: BuildContext) -> Iterable[OutputFile]:
    """The SVG plots of every version with an evaluation (drawn after every producer
    ran, in worker processes and through the build cache: a 'plots' bundle)."""
    problems = check_registry(ctx)
    if problems:  # every version's problems at once, not only the first broken one
        raise InvalidInput(problems)
    for mv in ctx.registry.versions():
        if mv.has_evaluation:
            plan = partial(plot_files, ctx, mv)
            yield from ctx.bundle("plots", mv, partial(_plot_paths, plan),
                                  partial(_draw_plots, plan))


def _plot_paths(plan: Callable[[], dict[str, Callable[[], bytes]]]) -> list[str]:
    return list(plan())


def _draw_plots(plan: Callable[[], dict[str, Callable[[], bytes]]]) -> dict[str, bytes]:
    return {path: draw() for path, draw in plan().items()}


def plot_files(ctx: BuildContext, mv: ModelVersion) -> dict[str, Callable[[], bytes]]:
    """Docs path -> drawing function (SVG bytes) of each plot of a version."""
    from mlcards.plots.evaluation import plan_plots

    report = evaluation_report(ctx, mv)
    base = f"models/{mv.model_id}/{mv.version}/plots"
    return {} if report is None else {f"{base}/{p.name}.svg": p.svg for p in plan_plots(report)}
