"""Build a synthetic registry and print one table of where the time goes.

    python benchmarks/bench_build.py --models 100
    python benchmarks/bench_build.py --models 1000 --versions 2 --workers 2 --repeat 1

Generates the registry with make_registry.py (or reuses it), then runs, each in
a fresh `mlcards build` process (MkDocs included) with its own cache folder:

- cold: empty cache, no output folder;
- no change: the same inputs again (warm cache), into the same output folder;
- no change, new out: the same, into a new output folder (CI: a fresh checkout with
  the cache folder restored);
- one model changed: one value in one model's evaluation.yaml changed, then
  restored afterwards (the cache is warm for everything else);

and `mlcards validate` cold (--no-cache) and warm. Each build reports seconds
and peak memory (ru_maxrss of the build process / of its largest worker) per
stage through `mlcards build --timings-json`. With --repeat R each scenario
runs R times and the table shows medians. The machine may be shared: say so
when you publish numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_registry import make_registry  # noqa: E402

STAGES = (("load", "load+validate"), ("compute", "compute"), ("plots", "plots+PDFs"),
          ("render", "render"), ("write", "write docs"), ("mkdocs", "MkDocs"),
          ("swap", "swap in, delete old"))
OWN = ("load", "compute", "plots", "render", "write", "swap")
SCENARIOS = ("cold", "no change", "no change, new out", "one model changed")


def ensure_registry(folder: Path, models: int, versions: int, seed: int) -> Path:
    """The registry for these parameters, generated once and reused."""
    stamp = folder / ".bench-params"
    params = f"{models} {versions} {seed}\n"
    if stamp.is_file() and stamp.read_text() == params:
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    started = time.perf_counter()
    make_registry(folder, models, versions, seed)
    stamp.write_text(params)
    print(f"generated {models} x {versions} in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return folder


def mlcards(*args: str) -> list[str]:
    return [sys.executable, "-m", "mlcards.cli", *args]


def run_build(registry: Path, out: Path, cache: Path, workers: int, docs_only: bool,
              ) -> dict[str, Any]:
    """One `mlcards build` in a new process; its timings JSON plus wall time."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        report = Path(fh.name)
    cmd = mlcards("build", str(registry), "-o", str(out), "-q", "--workers", str(workers),
                  "--cache-dir", str(cache), "--timings-json", str(report))
    if docs_only:
        cmd.append("--docs-only")
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    wall = time.perf_counter() - started
    data: dict[str, Any] = json.loads(report.read_text())
    report.unlink()
    data["process_wall"] = wall
    return data


def run_validate(registry: Path, cache: Path, workers: int, *, use_cache: bool) -> float:
    cmd = mlcards("validate", str(registry), "--workers", str(workers), "--cache-dir",
                  str(cache))
    if not use_cache:
        cmd.append("--no-cache")
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def change_one_model(registry: Path) -> tuple[Path, bytes]:
    """Change one value of the first model's evaluation; return (file, old bytes)."""
    path = sorted(registry.glob("models/*/*/evaluation.yaml"))[0]
    old = path.read_bytes()
    text = old.decode()
    marker = "value: "
    i = text.index(marker) + len(marker)
    j = text.index("\n", i)
    value = float(text[i:j])
    path.write_text(text[:i] + f"{round(1 - value, 4)}" + text[j:], encoding="utf-8")
    return path, old


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def page_size(out: Path) -> tuple[int, int]:
    """(bytes of the first model's 1.0.0 card page as HTML, as Markdown)."""
    html = out / "models" / "model-0000" / "1.0.0" / "index.html"
    md = out / "docs" / "models" / "model-0000" / "1.0.0" / "index.md"
    return (html.stat().st_size if html.is_file() else 0,
            md.stat().st_size if md.is_file() else 0)


def bench(args: argparse.Namespace) -> dict[str, Any]:
    work = args.dir or Path(tempfile.gettempdir()) / f"mlcards-bench-{args.models}x{args.versions}"
    registry = ensure_registry(work / "registry", args.models, args.versions, args.seed)
    results: dict[str, list[dict[str, Any]]] = {s: [] for s in SCENARIOS}
    validate_cold: list[float] = []
    validate_warm: list[float] = []
    sizes = (0, 0)
    for _ in range(args.repeat):
        cache = work / "cache"
        shutil.rmtree(cache, ignore_errors=True)
        out = work / "site"
        shutil.rmtree(out, ignore_errors=True)  # cold: no site to link unchanged files from
        results["cold"].append(run_build(registry, out, cache, args.workers, args.docs_only))
        sizes = page_size(out)
        results["no change"].append(run_build(registry, out, cache, args.workers,
                                              args.docs_only))
        fresh = work / "site-new"  # CI: a new checkout, the cache folder restored
        shutil.rmtree(fresh, ignore_errors=True)
        results["no change, new out"].append(run_build(registry, fresh, cache, args.workers,
                                                       args.docs_only))
        shutil.rmtree(fresh, ignore_errors=True)
        path, old = change_one_model(registry)
        try:
            results["one model changed"].append(run_build(registry, out, cache, args.workers,
                                                          args.docs_only))
        finally:
            path.write_bytes(old)
        validate_cold.append(run_validate(registry, cache, args.workers, use_cache=False))
        validate_warm.append(run_validate(registry, cache, args.workers, use_cache=True))
    return {"results": results, "validate_cold": validate_cold,
            "validate_warm": validate_warm, "page_bytes": sizes, "registry": str(registry)}


def table(data: dict[str, Any], args: argparse.Namespace) -> str:
    """The one table: stages x scenarios, seconds and peak MiB (medians over repeats)."""
    res = data["results"]

    def sec(scenario: str, stage: str) -> float:
        return median([r["seconds"].get(stage, 0.0) for r in res[scenario]])

    def mib(scenario: str, stage: str) -> str:
        peaks = [r["peak_mib"].get(stage) for r in res[scenario]]
        peaks = [p for p in peaks if p]
        if not peaks:
            return "-"
        return f"{median([p[0] for p in peaks]):.0f}/{median([p[1] for p in peaks]):.0f}"

    head = f"{'stage':<22}" + "".join(f"{s + ' s':>20}{'MiB':>11}" for s in SCENARIOS)
    lines = [f"mlcards build, {args.models} models x {args.versions} versions, "
             f"--workers {args.workers}, median of {args.repeat} run(s); "
             "MiB = peak RSS main/worker", head, "-" * len(head)]
    for stage, label in STAGES:
        lines.append(f"{label:<22}" + "".join(f"{sec(s, stage):>20.2f}{mib(s, stage):>11}"
                                              for s in SCENARIOS))
    own = {s: median([sum(r["seconds"].get(k, 0.0) for k in OWN) for r in res[s]])
           for s in SCENARIOS}
    total = {s: median([r["total"] for r in res[s]]) for s in SCENARIOS}
    peak = {s: max(max(r["peak_rss_mib"], r["peak_child_rss_mib"]) for r in res[s])
            for s in SCENARIOS}
    lines.append("-" * len(head))
    lines.append(f"{'mlcards own stages':<22}" + "".join(f"{own[s]:>20.2f}{'':>11}"
                                                         for s in SCENARIOS))
    lines.append(f"{'whole build':<22}" + "".join(f"{total[s]:>20.2f}{peak[s]:>11.0f}"
                                                  for s in SCENARIOS))
    ratio = "".join(f"{own[s] / sec(s, 'mkdocs') if sec(s, 'mkdocs') else float('nan'):>20.2f}"
                    f"{'':>11}" for s in SCENARIOS)
    lines.append(f"{'own / MkDocs':<22}{ratio}")
    lines.append(f"mlcards validate: cold (--no-cache) {median(data['validate_cold']):.2f} s, "
                 f"warm {median(data['validate_warm']):.2f} s")
    html, md = data["page_bytes"]
    docs = f", {md:,} bytes Markdown" if md else ""
    lines.append(f"card page models/model-0000/1.0.0: {html:,} bytes HTML{docs}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--versions", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario (median)")
    parser.add_argument("--dir", type=Path, help="work folder (registry, cache, site)")
    parser.add_argument("--docs-only", action="store_true", help="skip MkDocs")
    parser.add_argument("--json", type=Path, help="also write the raw measurements here")
    args = parser.parse_args()
    data = bench(args)
    if args.json:
        args.json.write_text(json.dumps(data, indent=1, sort_keys=True))
    print(table(data, args))


if __name__ == "__main__":
    main()
