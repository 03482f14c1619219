"""Milliseconds per version of the plots+PDFs stage's drawing, over a registry.

    python benchmarks/bench_plots.py                      # site_example, 7 repeats
    python benchmarks/bench_plots.py /tmp/reg5 --repeat 5
    python benchmarks/bench_plots.py --profile pdf        # cProfile of the PDFs

Evaluation reports and scorecards are computed once, outside the timings; each
repeat then draws every version's evaluation SVGs (plan_plots), its section-chart
SVG and its scorecard PDF. A first, untimed pass warms imports, fonts and the text
metrics cache, as a build's workers are warm after their first version. Prints the
median over the repeats of CPU ms per version (and the fastest repeat) for each kind.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from mlcards.plots.evaluation import plan_plots
from mlcards.plots.readiness import scorecard_pdf, section_chart_svg
from mlcards.render.context import BuildContext
from mlcards.render.environment import make_environment
from mlcards.render.evaluation import evaluation_report
from mlcards.render.scorecard import min_readiness, version_scorecard
from mlcards.validate.registry import load_registry


def jobs(registry_dir: Path) -> dict[str, list[Callable[[], bytes]]]:
    registry = load_registry(registry_dir)
    ctx = BuildContext(registry, make_environment())
    policy = min_readiness(ctx) or None
    out: dict[str, list[Callable[[], bytes]]] = {"svg": [], "chart": [], "pdf": []}
    for mv in registry.versions():
        report = evaluation_report(ctx, mv) if mv.has_evaluation else None
        if report is not None:
            specs = plan_plots(report)
            out["svg"].append(lambda specs=specs: b"".join(p.svg() for p in specs))
        card = version_scorecard(ctx, mv)
        if card is not None:
            out["chart"].append(lambda card=card: section_chart_svg(card, policy))
            out["pdf"].append(lambda card=card: scorecard_pdf(card, policy))
    return out


def per_version(draws: list[Callable[[], bytes]]) -> float:
    start = time.process_time()
    for draw in draws:
        draw()
    return (time.process_time() - start) * 1000 / max(len(draws), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registry", type=Path, nargs="?",
                        default=Path(__file__).resolve().parents[1] / "site_example")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--profile", choices=("svg", "chart", "pdf"),
                        help="print a cProfile (cumulative time) of one kind instead")
    args = parser.parse_args()
    work = jobs(args.registry)
    for draws in work.values():
        per_version(draws)  # warm
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.repeat):
            per_version(work[args.profile])
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        return
    print(f"{args.registry}: {args.repeat} repeats, CPU ms per version "
          "(median, fastest repeat)")
    for kind, label in (("svg", "evaluation SVGs"), ("chart", "section chart SVG"),
                        ("pdf", "scorecard PDF")):
        times = [per_version(work[kind]) for _ in range(args.repeat)]
        print(f"  {label:18} {len(work[kind]):3} versions  {statistics.median(times):7.2f} ms"
              f"  ({min(times):.2f})")


if __name__ == "__main__":
    main()
