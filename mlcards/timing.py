"""Where a build spends its time: seconds and peak memory per stage.

The site calls `stage("load")`, `stage("mkdocs")`, ... around its steps; stages
nest, and a stage's time excludes the stages inside it (the compute done
while rendering a page counts as compute, not render). Memory is the peak
resident size (ru_maxrss) of the process and, separately, of the largest
worker process, as seen when the stage ends. `mlcards build --timings`
prints the table; benchmarks/bench_build.py reads it as JSON.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TextIO

STAGES = ("load", "compute", "plots", "render", "write", "mkdocs", "swap")
LABELS = {"load": "load+validate", "compute": "compute", "plots": "plots+PDFs",
          "render": "render", "write": "write docs", "mkdocs": "MkDocs",
          "swap": "swap in, delete old"}
OWN = ("load", "compute", "plots", "render", "write", "swap")
"""mlcards' own stages (everything but MkDocs)."""


def peak_rss_mib() -> tuple[float, float]:
    """(this process, largest finished child process) peak resident size in MiB."""
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale / 2**20
    return own, children


@dataclass
class Recorder:
    """Exclusive seconds per stage, the peak memory seen at each stage's end, counters."""

    seconds: dict[str, float] = field(default_factory=dict)
    peak_mib: dict[str, tuple[float, float]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    _stack: list[list[float]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    total: float = 0.0

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        self._stack.append([0.0])  # time spent in nested stages
        try:
            yield
        finally:
            inner = self._stack.pop()[0]
            elapsed = time.perf_counter() - start
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - inner
            if self._stack:
                self._stack[-1][0] += elapsed
            self.peak_mib[name] = peak_rss_mib()

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def finish(self) -> None:
        self.total = time.perf_counter() - self.started

    def own_seconds(self) -> float:
        return sum(self.seconds.get(s, 0.0) for s in OWN)

    def as_dict(self) -> dict[str, object]:
        own, children = peak_rss_mib()
        return {"seconds": {k: round(v, 4) for k, v in self.seconds.items()},
                "peak_mib": {k: [round(a, 1), round(b, 1)] for k, (a, b) in
                             self.peak_mib.items()},
                "counts": dict(sorted(self.counts.items())),
                "own_seconds": round(self.own_seconds(), 4), "total": round(self.total, 4),
                "peak_rss_mib": round(own, 1), "peak_child_rss_mib": round(children, 1)}

    def table(self) -> str:
        """A plain-text table for people (stderr of `mlcards build --timings`)."""
        lines = [f"{'stage':<14}{'seconds':>9}  {'peak MiB (main / worker)':>25}"]
        for name in [*STAGES, *sorted(set(self.seconds) - set(STAGES))]:
            if name in self.seconds:
                own, child = self.peak_mib.get(name, (0.0, 0.0))
                lines.append(f"{LABELS.get(name, name):<14}{self.seconds[name]:>9.2f}  "
                             f"{own:>15.0f} / {child:>6.0f}")
        lines.append(f"{'mlcards own':<14}{self.own_seconds():>9.2f}")
        lines.append(f"{'whole build':<14}{self.total:>9.2f}")
        if self.counts:
            lines.append("counts: " + ", ".join(f"{k} {v}" for k, v in
                                                sorted(self.counts.items())))
        return "\n".join(lines)


_CURRENT: ContextVar[Recorder | None] = ContextVar("mlcards_timing", default=None)


def current() -> Recorder | None:
    return _CURRENT.get()


@contextmanager
def recording(recorder: Recorder) -> Iterator[Recorder]:
    """Record the stages of whatever runs inside the block into `recorder`."""
    token = _CURRENT.set(recorder)
    try:
        yield recorder
    finally:
        recorder.finish()
        _CURRENT.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Count the block's time as stage `name` (a no-op when nothing records)."""
    recorder = _CURRENT.get()
    if recorder is None:
        yield
        return
    with recorder.stage(name):
        yield


def count(name: str, n: int = 1) -> None:
    recorder = _CURRENT.get()
    if recorder is not None:
        recorder.count(name, n)


def write_json(recorder: Recorder, stream: TextIO) -> None:
    stream.write(json.dumps(recorder.as_dict(), sort_keys=True) + "\n")
