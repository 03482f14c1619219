"""Time one version's evaluation: compute (results, intervals, disparities) and plots.

    python benchmarks/evaluation_version.py site_example credit-default/1.1.0
    python benchmarks/make_registry.py --models 5 --versions 2 -o /tmp/reg5
    python benchmarks/evaluation_version.py /tmp/reg5 model-0000/1.0.0

Prints CPU and wall time of a second run (the first warms caches: imports, fonts).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from mlcards.compute.evaluation import compute_report
from mlcards.plots.evaluation import plan_plots
from mlcards.validate.registry import load_registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registry", type=Path)
    parser.add_argument("version", help="model-id/version")
    args = parser.parse_args()
    registry = load_registry(args.registry)
    mv = next(m for m in registry.versions() if m.key == args.version)
    policy = registry.config.policy
    report = compute_report(mv, policy)
    assert report is not None, "the version has no evaluation.yaml"
    for plot in plan_plots(report):
        plot.svg()
    wall, cpu = time.perf_counter(), time.process_time()
    report = compute_report(mv, policy)
    assert report is not None
    wall1, cpu1 = time.perf_counter(), time.process_time()
    plots = plan_plots(report)
    size = sum(len(p.svg()) for p in plots)
    wall2, cpu2 = time.perf_counter(), time.process_time()
    rows = f"{report.rows:,} rows, " if report.rows else ""
    print(f"{mv.key}: {report.source}, {rows}{len(report.result.metrics)} metrics, "
          f"{report.result.bootstrap} resamples")
    print(f"  compute: {cpu1 - cpu:.3f} s CPU ({wall1 - wall:.3f} s wall)")
    print(f"  plots:   {len(plots)} SVGs, {size / 1024:.0f} KiB, {cpu2 - cpu1:.3f} s CPU "
          f"({wall2 - wall1:.3f} s wall, {(cpu2 - cpu1) / max(len(plots), 1) * 1000:.0f} ms "
          "per plot)")


if __name__ == "__main__":
    main()
