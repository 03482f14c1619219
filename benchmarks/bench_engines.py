"""MkDocs and Zensical on the same `--docs-only` tree, timed in one run.

    python benchmarks/bench_engines.py --models 100 --zensical /path/to/venv/bin/zensical

Builds a synthetic registry's docs tree once (`mlcards build --docs-only`), then
runs, each as a fresh process, twice (cold: no output and no engine cache; warm:
again, nothing changed):

- MkDocs 1.x on the generated mkdocs.yml (`python -m mkdocs build`), as a user
  who takes the docs tree to MkDocs would;
- Zensical (`zensical build`), which reads the same mkdocs.yml and keeps its own
  cache next to it (removed before the cold run).

`mlcards build` itself (with its page cache) is in bench_build.py. Zensical is
not a dependency: install it into a separate virtualenv (`pip install zensical`)
and pass its executable. The machine may be shared: say so when you publish numbers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_build import ensure_registry  # noqa: E402


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and the peak RSS (MiB) of the command (its largest process)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{output.decode(errors='replace')}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--versions", type=int, default=2)
    parser.add_argument("--zensical", required=True, help="the zensical executable")
    parser.add_argument("--dir", type=Path, help="work folder (registry, trees)")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="mlcards-engines-"))
    registry = ensure_registry(work / "registry", args.models, args.versions, 0)
    tree = work / "tree"
    subprocess.run([sys.executable, "-m", "mlcards.cli", "build", str(registry), "-o",
                    str(tree), "--docs-only", "-q", "--no-cache", "--build-date",
                    "2026-01-01"], check=True)
    pages = sum(1 for _ in (tree / "docs").rglob("*.md"))
    rows = []
    for engine in ("MkDocs", "Zensical"):
        for run in ("cold", "warm"):
            if engine == "MkDocs":
                if run == "cold":
                    shutil.rmtree(tree / "site-mkdocs", ignore_errors=True)
                cmd = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", "mkdocs.yml",
                       "-d", "site-mkdocs"]
            else:
                if run == "cold":
                    for leftover in (".cache", "site"):
                        shutil.rmtree(tree / leftover, ignore_errors=True)
                cmd = [args.zensical, "build", "-f", "mkdocs.yml"]
            seconds, mib = timed(cmd, tree)
            rows.append((engine, run, seconds, mib))
    print(f"{args.models} models x {args.versions} versions: {pages} pages, one run each")
    print(f"{'engine':10} {'run':6} {'seconds':>8} {'peak MiB':>9}")
    for engine, run, seconds, mib in rows:
        print(f"{engine:10} {run:6} {seconds:8.1f} {mib:9.0f}")


if __name__ == "__main__":
    main()
