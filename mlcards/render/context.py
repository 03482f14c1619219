"""What the producing stages share during one build, and how they plug in.

A build has one BuildContext. Features contribute in two ways, like MkDocs
plugin events:

- a Producer yields OutputFiles for the docs tree (pages, downloads, plots);
- a CardFragment returns named Markdown slots for a version's card page
  (slot names: "summary" the decision summary, "top" callouts, "readiness",
  "quantitative", "changes", "checklist"); the card template places each slot where it belongs.

Features register with `producer` / `card_fragment` decorators in their own
module; `site.py` imports those modules and calls every registered function
in a fixed order, so output stays deterministic.

Links in slot Markdown are relative to the version's card page
`models/<id>/<version>/index.md` (e.g. `scorecard.md`, `plots/x.svg`); the
model's landing page `models/<id>/index.md` rebases them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment

from mlcards import reuse, timing
from mlcards.compute.readiness import Score, score_assessment
from mlcards.compute.verification import verify_claims
from mlcards.outputs import OutputFile
from mlcards.validate.registry import ModelVersion, Registry

CARD_SLOTS = ("summary", "top", "readiness", "quantitative", "changes", "checklist")


class _Registry:
    """Stands in for a ModelVersion in `BuildContext.cached` for registry-wide results."""

    key = "(registry)"


REGISTRY: Any = _Registry()
"""The subject of `cached` results about the whole registry (the site's date, tag anchors)."""


def registry_wide(memo_key: Any) -> bool:
    """Whether a memo entry is about the whole registry, not one version or model: the
    same for every page (a worker keeps such entries from one bundle to the next)."""
    return isinstance(memo_key, tuple) and len(memo_key) == 2 and memo_key[1] == REGISTRY.key


RENDERING = frozenset({"slots", "version_row"})
"""`cached` kinds that are rendering, not computing (timed as render)."""


@dataclass
class BuildContext:
    """Inputs and shared, memoised results of one build."""

    registry: Registry
    env: Environment
    revision: str | None = None
    build_date: str | None = None
    memo: dict[tuple[str, str], Any] = field(default_factory=dict)
    produced: set[str] = field(default_factory=set)
    """Docs-tree paths written so far by earlier producers (filled by site.py)."""

    def cached(self, kind: str, mv: ModelVersion, compute: Callable[[], Any]) -> Any:
        """Compute a per-version result once per build (e.g. 'score', 'evaluation'): a
        reuse point, timed as compute (or as render for the kinds in RENDERING)."""
        key = (kind, mv.key)
        if key not in self.memo:
            with timing.stage("compute") if kind not in RENDERING else nullcontext():
                self.memo[key] = reuse.active().result(self, kind, mv, compute)
        return self.memo[key]

    def known(self, kind: str, mv: ModelVersion) -> bool:
        """Whether `cached(kind, mv, ...)` computed without error, in this build or (for
        results the incremental layer keeps) an earlier one, without loading it."""
        return reuse.active().known(self, kind, mv)

    def bundle(self, kind: str, subject: Any, paths: reuse.Paths, make: reuse.Make, *,
               stage: str = "plots") -> list[OutputFile]:
        """Files made together by `make` (path -> bytes, exactly `paths`): a reuse point
        (kind 'plots', 'scorecards', 'pages' or 'registry'; `subject` the version, model
        or producer they belong to). Their bytes may be made later (see mlcards.reuse)."""
        return reuse.active().bundle(self, kind, subject, paths, make, stage=stage)

    def score(self, mv: ModelVersion) -> Score | None:
        """The version's readiness score (memoised as 'score'), None without readiness.yaml."""
        readiness = mv.readiness
        if readiness is None:
            return None
        rubric = self.registry.rubrics[readiness.rubric]
        root = self.registry.root
        result: Score = self.cached("score", mv, lambda: score_assessment(
            readiness, rubric, verify_claims(root, readiness)))
        return result

    def has_file(self, path: str) -> bool:
        """Whether an earlier producer wrote `path` (docs-tree relative, posix)."""
        return path in self.produced


Producer = Callable[[BuildContext], Iterable[OutputFile]]
CardFragment = Callable[[BuildContext, ModelVersion], dict[str, str]]

PRODUCERS: list[Producer] = []
CARD_FRAGMENTS: list[CardFragment] = []


def producer(func: Producer) -> Producer:
    """Register a function that adds files to the docs tree."""
    PRODUCERS.append(func)
    return func


def whole_registry(*paths: str) -> Callable[[Producer], Producer]:
    """Mark a producer whose files (exactly `paths`) are a pure function of the whole
    registry (index pages, registry.json): it is run later, beside the other deferred
    pages (in worker processes), and taken from the cache while no input changed."""
    def mark(func: Producer) -> Producer:
        func.whole_registry = paths  # type: ignore[attr-defined]
        return func

    return mark


def files_of(outputs: Iterable[OutputFile]) -> Mapping[str, bytes]:
    """path -> bytes of produced files (what a bundle's maker returns)."""
    return {f.path: f.content for f in outputs}


def card_fragment(func: CardFragment) -> CardFragment:
    """Register a function that fills named slots of each card page."""
    CARD_FRAGMENTS.append(func)
    return func
