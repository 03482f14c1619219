"""The core pages: home, models index, each model's landing page and version cards, tags.

Every page is a Jinja template from `templates/` rendered with the build's one
environment (escape-by-default, `|md` for Markdown fields). Links between
pages are relative, so the same tree works at the site root or under a prefix
(the MkDocs plugin). Card pages are assembled from the card's sections in
Mitchell et al.'s order plus the named slots other features fill
(`mlcards.render.context.CARD_SLOTS`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from markupsafe import Markup

from mlcards.compute.readiness import Score
from mlcards.errors import MlcardsError
from mlcards.outputs import OutputFile
from mlcards.render.context import (
    CARD_FRAGMENTS,
    CARD_SLOTS,
    REGISTRY,
    BuildContext,
    files_of,
    producer,
    whole_registry,
)
from mlcards.render.environment import format_number, rebase_links, relative_url, slugify
from mlcards.render.history import lifecycle_badges
from mlcards.schema.card import CARD_SECTIONS, SECTION_TITLES, Card
from mlcards.schema.evaluation import Evaluation, MetricDefinition, Result
from mlcards.validate.registry import ModelEntry, ModelVersion

ASSETS = {"assets/mlcards.css": "assets/mlcards/mlcards.css",
          "assets/tablesort.js": "assets/mlcards/tablesort.js",
          "assets/mlcards.js": "assets/mlcards/mlcards.js"}
"""Template file -> docs-tree path of the static files every page loads."""
EXTRA_CSS = ["assets/mlcards/mlcards.css"]
EXTRA_JAVASCRIPT = ["assets/mlcards/tablesort.js", "assets/mlcards/mlcards.js"]
"""tablesort.js sorts tables; mlcards.js opens every fold (<details>) for printing and
the folds around a linked anchor."""


def card_path(mv: ModelVersion) -> str:
    return f"models/{mv.model_id}/{mv.version}/index.md"


def landing_path(model_id: str) -> str:
    return f"models/{model_id}/index.md"


def scorecard_path(mv: ModelVersion) -> str:
    return f"models/{mv.model_id}/{mv.version}/scorecard.md"


@dataclass(frozen=True)
class VersionRow:
    """What tables show about one version."""

    mv: ModelVersion
    score: Score | None
    scorecard: str | None
    headline: list[tuple[str, Result]]
    badges: tuple[tuple[str, str], ...] = ()
    """Lifecycle flags (kind, label): stale evaluation, review overdue (mlcards.render.history)."""


def version_row(ctx: BuildContext, mv: ModelVersion) -> VersionRow:
    """Score, scorecard page (when one was produced) and headline metrics of a version
    (once per build: the home and models pages both list every newest version)."""
    result: VersionRow = ctx.cached("version_row", mv, lambda: _version_row(ctx, mv))
    return result


def _version_row(ctx: BuildContext, mv: ModelVersion) -> VersionRow:
    scorecard = scorecard_path(mv)
    return VersionRow(mv, ctx.score(mv), scorecard if ctx.has_file(scorecard) else None,
                      headline_results(mv), lifecycle_badges(ctx, mv))


def headline_results(mv: ModelVersion) -> list[tuple[str, Result]]:
    """Overall results of the metrics marked `headline` (the first metric when none is)."""
    summary = mv.evaluation_summary
    return [] if summary is None else list(summary.headline)


def tag_anchors(ctx: BuildContext) -> dict[str, str]:
    """Tag or task -> unique anchor id on the tags page ('tag-x', 'task-y')."""
    anchors: dict[str, str] = {}
    used: set[str] = set()
    for kind, values in (("tag", all_tags(ctx)), ("task", all_tasks(ctx))):
        for value in values:
            base = f"{kind}-{slugify(value)}"
            anchor, n = base, 2
            while anchor in used:
                anchor, n = f"{base}-{n}", n + 1
            used.add(anchor)
            anchors[f"{kind}:{value}"] = anchor
    return anchors


def all_tags(ctx: BuildContext) -> list[str]:
    return sorted({t for m in ctx.registry.models for t in m.latest.card.tags})


def all_tasks(ctx: BuildContext) -> list[str]:
    return sorted({m.latest.card.model_details.task for m in ctx.registry.models})


def render_page(ctx: BuildContext, template: str, path: str, **values: Any) -> OutputFile:
    """Render one template into the docs-tree page at `path`."""
    anchors = ctx.cached("tag_anchors", REGISTRY, lambda: tag_anchors(ctx))
    text = ctx.env.get_template(template).render(
        page=path, to=partial(relative_url, path), registry=ctx.registry,
        config=ctx.registry.config, policy=ctx.registry.config.policy,
        build_date=ctx.build_date, revision=ctx.revision, tags_page="tags/index.md",
        tag_anchor=lambda kind, value: anchors.get(f"{kind}:{value}"),
        card_path=card_path, landing_path=landing_path, **values)
    return OutputFile.text(path, text)


# --------------------------------------------------------------------------- producers


@producer
def static_assets(ctx: BuildContext) -> Iterator[OutputFile]:
    """The site's stylesheet and table-sorting script (overridable like templates)."""
    loader = ctx.env.loader
    assert loader is not None
    for template, path in ASSETS.items():
        source, _, _ = loader.get_source(ctx.env, template)
        yield OutputFile.text(path, source)


@producer
@whole_registry("index.md")
def home_page(ctx: BuildContext) -> Iterator[OutputFile]:
    rows = [version_row(ctx, m.latest) for m in ctx.registry.models]
    yield render_page(ctx, "home.md.j2", "index.md", rows=rows,
                      n_versions=len(ctx.registry.versions()),
                      has_readiness_page=ctx.has_file("readiness/index.md"))


@producer
@whole_registry("models/index.md")
def models_index_page(ctx: BuildContext) -> Iterator[OutputFile]:
    models = [(m, version_row(ctx, m.latest)) for m in ctx.registry.models]
    yield render_page(ctx, "models_index.md.j2", "models/index.md", models=models)


@producer
@whole_registry("tags/index.md")
def tags_page(ctx: BuildContext) -> Iterator[OutputFile]:
    latest = [m.latest for m in ctx.registry.models]
    by_tag = {t: [mv for mv in latest if t in mv.card.tags] for t in all_tags(ctx)}
    by_task = {t: [mv for mv in latest if mv.card.model_details.task == t]
               for t in all_tasks(ctx)}
    yield render_page(ctx, "tags.md.j2", "tags/index.md", by_tag=by_tag, by_task=by_task)


@producer
def model_pages(ctx: BuildContext) -> Iterator[OutputFile]:
    """A card page per version, and the model's landing page (its latest card); made
    after every producer ran, in worker processes and through the build cache."""
    for model in ctx.registry.models:
        paths = [*(card_path(mv) for mv in model.versions), landing_path(model.id)]
        yield from ctx.bundle("pages", model, paths,
                              partial(_model_page_files, ctx, model), stage="render")


def _model_page_files(ctx: BuildContext, model: ModelEntry) -> Mapping[str, bytes]:
    return files_of(_model_pages(ctx, model))


def _model_pages(ctx: BuildContext, model: ModelEntry) -> Iterator[OutputFile]:
    rows = [version_row(ctx, mv) for mv in reversed(model.versions)]
    for mv in model.versions:
        yield card_page(ctx, model, mv, rows, landing=False)
    yield card_page(ctx, model, model.latest, rows, landing=True)


def card_page(ctx: BuildContext, model: ModelEntry, mv: ModelVersion,
              rows: list[VersionRow], *, landing: bool) -> OutputFile:
    """One card page: the version's own page, or the model's landing page."""
    path = landing_path(model.id) if landing else card_path(mv)
    slots = card_slots(ctx, mv)
    if landing:
        slots = {k: Markup(rebase_links(str(v), mv.version)) for k, v in slots.items()}
    row = next(r for r in rows if r.mv is mv)
    replacement = _replacement(ctx, mv)
    return render_page(
        ctx, "card.md.j2", path, model=model, mv=mv, card=mv.card, landing=landing,
        link_base=mv.version if landing else "", slots=slots, row=row, rows=rows,
        sections=card_sections(mv.card),
        results=results_tables(mv.evaluation), replacement=replacement,
        sources=_sources(ctx, mv), custom=_custom(mv))


def _custom(mv: ModelVersion) -> list[tuple[str, str]]:
    """The card's team-specific fields as (key, text), JSON for non-text values."""
    return [(key, value if isinstance(value, str) else
             json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))
            for key, value in sorted(mv.card.custom.items())]


def _replacement(ctx: BuildContext, mv: ModelVersion) -> ModelEntry | None:
    dep = mv.card.deprecation
    return ctx.registry.model(dep.replaced_by) if dep and dep.replaced_by else None


def _sources(ctx: BuildContext, mv: ModelVersion) -> list[tuple[str, str]]:
    """(registry-relative path, sha256) of the version's input files."""
    root = ctx.registry.root.resolve()
    out = []
    for kind in sorted(mv.files):
        src = mv.files[kind]
        rel = src.path.resolve().relative_to(root).as_posix()
        out.append((rel, src.sha256))
    return out


def card_slots(ctx: BuildContext, mv: ModelVersion) -> dict[str, Markup]:
    """Every registered fragment's output, joined per slot, computed once per version."""
    def compute() -> dict[str, Markup]:
        parts: dict[str, list[str]] = {name: [] for name in CARD_SLOTS}
        for fragment in CARD_FRAGMENTS:
            for name, text in fragment(ctx, mv).items():
                if name not in parts:
                    raise MlcardsError(
                        f"card fragment {_qualname(fragment)} returned unknown slot {name!r}; "
                        f"slots are {', '.join(CARD_SLOTS)}")
                if text and text.strip():
                    parts[name].append(text.strip("\n"))
        return {name: Markup("\n\n".join(texts)) for name, texts in parts.items()}

    result: dict[str, Markup] = ctx.cached("slots", mv, compute)
    return result


def _qualname(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{getattr(func, '__name__', repr(func))}"


# --------------------------------------------------------------------------- card view

FIELD_LABELS = {
    "primary_uses": "Primary intended uses", "primary_users": "Primary intended users",
    "out_of_scope": "Out-of-scope uses", "relevant": "Relevant factors",
    "evaluation": "Evaluation factors", "performance_measures": "Model performance measures",
    "decision_thresholds": "Decision thresholds", "variation_approaches": "Variation approaches",
    "unitary": "Unitary results", "intersectional": "Intersectional results",
    "data": "Data", "human_life": "Human life", "mitigations": "Mitigations",
    "use_cases": "Use cases", "motivation": "Motivation", "preprocessing": "Preprocessing",
}


@dataclass(frozen=True)
class Section:
    """One of the nine card sections: its key, title, value and its Markdown fields."""

    key: str
    title: str
    value: Any
    fields: list[tuple[str, str | None]]

    @property
    def present(self) -> bool:
        return self.value not in (None, "")


def card_sections(card: Card) -> list[Section]:
    """The nine sections in Mitchell et al.'s order, present or not."""
    out = []
    for key in CARD_SECTIONS:
        value = getattr(card, key)
        if isinstance(value, str) or value is None:
            fields: list[tuple[str, str | None]] = [("", value)]
        else:
            fields = [(FIELD_LABELS.get(name, name.replace("_", " ").capitalize()),
                       getattr(value, name)) for name in type(value).model_fields
                      if name in FIELD_LABELS]
        out.append(Section(key, SECTION_TITLES[key], value, fields))
    return out


@dataclass(frozen=True)
class ResultRow:
    """A result with its metric definition, for the quantitative tables."""

    result: Result
    metric: MetricDefinition | None

    @property
    def slice_label(self) -> str:
        return ", ".join(f"{k} = {v}" for k, v in sorted(self.result.slice.items()))

    @property
    def slice_values(self) -> str:
        return " × ".join(v for _, v in sorted(self.result.slice.items()))

    @property
    def ci_text(self) -> Markup:
        """'[low, high]' (numbers only, so printed as is) or '—'."""
        ci = self.result.ci
        return Markup("—" if ci is None else f"[{format_number(ci[0])}, {format_number(ci[1])}]")

    @property
    def n_text(self) -> str:
        return "—" if self.result.n is None else str(self.result.n)

    @property
    def meets_threshold(self) -> bool | None:
        if self.metric is None or self.metric.threshold is None \
                or self.metric.higher_is_better is None:
            return None
        value, limit = self.result.value, self.metric.threshold
        return value >= limit if self.metric.higher_is_better else value <= limit


@dataclass(frozen=True)
class ResultTables:
    """evaluation.yaml results: overall first, then one table per slice feature set."""

    overall: list[ResultRow]
    groups: list[tuple[str, list[ResultRow]]]


def results_tables(evaluation: Evaluation | None) -> ResultTables | None:
    """Group precomputed results for the card's fallback quantitative tables."""
    if evaluation is None:
        return None
    defs = {m.name: m for m in evaluation.metrics}
    order = {m.name: i for i, m in enumerate(evaluation.metrics)}

    def key(r: Result) -> tuple[Any, ...]:
        return (order.get(r.metric, len(order)), r.metric, sorted(r.slice.items()))

    rows = [ResultRow(r, defs.get(r.metric)) for r in sorted(evaluation.results, key=key)]
    by_features: dict[tuple[str, ...], list[ResultRow]] = {}
    for row in rows:
        if row.result.slice:
            by_features.setdefault(tuple(sorted(row.result.slice)), []).append(row)
    groups = [(" × ".join(features), sorted(by_features[features],
                                            key=lambda r: (r.slice_label, key(r.result))))
              for features in sorted(by_features, key=lambda f: (len(f), f))]
    return ResultTables([r for r in rows if not r.result.slice], groups)
