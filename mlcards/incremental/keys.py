"""What each cached result of a build depends on, as SHA-256 keys.

Keys, from narrow to wide (each also holds `cache.code_key()`):

- version inputs: the version's YAML files, its predictions CSV, evidence files and
  JUnit reports;
- evaluation report: evaluation.yaml, predictions, the policy;
- scorecard: the version's card, readiness, evidence files and JUnit reports, the
  rubrics, the source revision;
- scorecard files (page, JSON, CSV, PDF, chart): the same for this version and the
  earlier ones (the page compares with the previous assessment);
- model pages: every version of the model, registry settings, revision, build
  date, and `registry_facts`: what a card page shows about the rest of the
  registry. A card fragment that reads other models must add what it reads there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcards import timing
from mlcards.incremental.cache import active_cache, code_key, digest, file_sha256
from mlcards.render.context import REGISTRY
from mlcards.reuse import Make

if TYPE_CHECKING:
    from mlcards.render.context import BuildContext
    from mlcards.validate.registry import ModelEntry, ModelVersion

def _memo(ctx: BuildContext, name: str, ident: str, make: Callable[[], str]) -> str:
    key = (f"buildkeys.{name}", ident)
    if key not in ctx.memo:
        ctx.memo[key] = make()
    value: str = ctx.memo[key]
    return value


# --------------------------------------------------------------------------- inputs


def version_inputs(ctx: BuildContext, mv: ModelVersion) -> str:
    """Digest of every file a version's outputs are made from."""
    def make() -> str:
        parts: list[object] = [mv.key, sorted((k, s.sha256) for k, s in mv.files.items()),
                               predictions_sha(mv)]
        if mv.readiness is not None:
            parts.append(sorted((test_id, e.path, file_sha256((mv.folder / e.path).resolve()))
                                for test_id, t in mv.readiness.tests.items()
                                for e in t.evidence if e.path is not None))
            parts.append(junit_shas(ctx, mv))
        return digest(*parts)

    return _memo(ctx, "version", mv.key, make)


def readiness_inputs(ctx: BuildContext, mv: ModelVersion) -> str:
    """Digest of what a version's scorecard is made from: card, readiness, evidence (not
    its evaluation: a changed result does not redraw the scorecard PDF)."""
    def make() -> str:
        files = sorted((k, s.sha256) for k, s in mv.files.items() if k != "evaluation")
        evidence = [] if mv.readiness is None else sorted(
            (test_id, e.path, file_sha256((mv.folder / e.path).resolve()))
            for test_id, t in mv.readiness.tests.items() for e in t.evidence
            if e.path is not None)
        return digest(mv.key, files, evidence, junit_shas(ctx, mv))

    return _memo(ctx, "readiness", mv.key, make)


def junit_shas(ctx: BuildContext, mv: ModelVersion) -> list[tuple[str, str, str]]:
    """(test id, path, SHA-256) of each JUnit report the version's readiness names
    (registry-relative; 'missing' for one that is not there)."""
    if mv.readiness is None:
        return []
    root = ctx.registry.root
    return sorted((test_id, t.junit, file_sha256((root / t.junit).resolve()))
                  for test_id, t in mv.readiness.tests.items() if t.junit is not None)


def predictions_sha(mv: ModelVersion) -> str | None:
    summary = mv.evaluation_summary
    if summary is None or summary.predictions is None:
        return None
    return file_sha256((mv.folder / summary.predictions.path).resolve())


def model_inputs(ctx: BuildContext, model: ModelEntry) -> str:
    return _memo(ctx, "model", model.id, lambda: digest(
        model.id, [version_inputs(ctx, mv) for mv in model.versions]))


def _folder_digest(folder: Path) -> list[tuple[str, str]]:
    if not folder.is_dir():
        return []
    return [(p.relative_to(folder).as_posix(), file_sha256(p))
            for p in sorted(folder.rglob("*")) if p.is_file()]


def registry_settings(ctx: BuildContext) -> str:
    """Registry-wide inputs: mlcards, mlcards.yaml, rubrics, custom schema, templates."""
    def make() -> str:
        reg = ctx.registry
        config = reg.config
        rubrics = sorted((k, r.model_dump_json()) for k, r in reg.rubrics.items())
        schema = file_sha256(reg.root / config.custom_schema) if config.custom_schema else None
        templates = _folder_digest(reg.root / config.templates) if config.templates else None
        return digest(code_key(), reg.config_file.sha256, rubrics, schema, templates)

    return _memo(ctx, "settings", REGISTRY.key, make)


def revision(ctx: BuildContext) -> str | None:
    from mlcards.compute.provenance import source_revision

    return source_revision(ctx.registry.root, ctx.revision)


def evaluation_key(ctx: BuildContext, mv: ModelVersion) -> str:
    """An evaluation report depends on its files and the policy only."""
    def make() -> str:
        src = mv.files.get("evaluation")
        return digest(code_key(), "evaluation", mv.key, src.sha256 if src else None,
                      predictions_sha(mv), ctx.registry.config.policy.model_dump_json())

    return _memo(ctx, "evaluation", mv.key, make)


def scorecard_key(ctx: BuildContext, mv: ModelVersion) -> str:
    return digest("scorecard", registry_settings(ctx), readiness_inputs(ctx, mv),
                  revision(ctx))


def registry_facts(ctx: BuildContext) -> str:
    """Digest of what a model's card pages show about the rest of the registry."""
    def make() -> str:
        from mlcards.render.checklist import _registry_pct
        from mlcards.render.history import as_of
        from mlcards.render.pages import tag_anchors

        reg = ctx.registry
        facts = {
            "as_of": as_of(ctx).isoformat(),
            "tag_anchors": tag_anchors(ctx),
            "completeness": _completeness(ctx, _registry_pct),
            "models": [(m.id, m.latest.version, m.latest.card.model_details.name,
                        m.latest.card.status) for m in reg.models],
            "produced": sorted(p for p in ctx.produced if not p.startswith("models/")),
        }
        return digest(json.dumps(facts, sort_keys=True, default=str))

    return _memo(ctx, "facts", REGISTRY.key, make)


def _completeness(ctx: BuildContext, compute: Callable[[BuildContext], Any]) -> Any:
    """The checklist's registry completeness, kept in the cache under the inputs of every
    model's newest version (it needs their evaluation reports, which a warm build
    would otherwise have to load)."""
    cache = active_cache()
    if cache is None:
        return compute(ctx)
    reg = ctx.registry
    key = digest("completeness", registry_settings(ctx),
                 [(m.id, version_inputs(ctx, m.latest)) for m in reg.models])
    stored = cache.get_object("facts", key)
    if isinstance(stored, tuple) and len(stored) == 1:
        return stored[0]
    value = compute(ctx)
    cache.put_object("facts", key, (value,))
    return value


# --------------------------------------------------------------------------- ctx.cached


def checklist_counts_key(ctx: BuildContext, mv: ModelVersion) -> str:
    """A version's checklist counts: its files, its evaluation report, the settings."""
    return digest("checklist-counts", registry_settings(ctx), version_inputs(ctx, mv),
                  evaluation_key(ctx, mv))


def index_entry_key(ctx: BuildContext, mv: ModelVersion) -> str:
    """A version's registry.json entry: its files and evaluation, the settings, whether
    it is its model's newest version, and which of its pages and downloads exist."""
    from mlcards.render.registry_index import links

    model = ctx.registry.model(mv.model_id)
    latest = model is not None and model.latest is mv
    return digest("index-entry", registry_settings(ctx), version_inputs(ctx, mv),
                  evaluation_key(ctx, mv), latest, links(ctx, mv))


PERSISTENT: dict[str, Callable[[BuildContext, ModelVersion], str]] = {
    "index-entry": index_entry_key,
    "checklist-counts": checklist_counts_key,
    "evaluation": evaluation_key,
    "headline": evaluation_key,
    "scorecard": scorecard_key,
    "scorecard-brief": scorecard_key,
}
"""ctx.cached kinds kept in the build cache across builds (pickled)."""


def remember(ctx: BuildContext, kind: str, mv: ModelVersion, compute: Callable[[], Any]) -> Any:
    """A ctx.cached result, from the build cache when stored."""
    keyf = PERSISTENT.get(kind)
    cache = active_cache()
    if keyf is None or cache is None or not hasattr(mv, "files"):
        return compute()
    key = keyf(ctx, mv)
    stored = cache.get_object(kind, key)
    if isinstance(stored, tuple) and len(stored) == 1:
        timing.count(f"cached {kind}")
        return stored[0]
    value = compute()
    cache.put_object(kind, key, (value,))
    return value


def is_known(ctx: BuildContext, kind: str, mv: ModelVersion) -> bool:
    """Whether a ctx.cached result of a persistent kind was computed in this build or
    is stored in the build cache (so it computed without error), without loading it."""
    if (kind, mv.key) in ctx.memo:
        return True
    keyf = PERSISTENT.get(kind)
    cache = active_cache()
    return keyf is not None and cache is not None and cache.has(kind, keyf(ctx, mv))


# --------------------------------------------------------------------------- bundles


def plots_key(ctx: BuildContext, mv: ModelVersion) -> str:
    """A version's evaluation plots: its evaluation report's inputs."""
    return digest("plots", evaluation_key(ctx, mv))


def scorecards_key(ctx: BuildContext, mv: ModelVersion) -> str:
    """A version's scorecard page, downloads and chart: the page compares with the
    earlier versions' assessments, so their inputs count too."""
    model = ctx.registry.model(mv.model_id)
    assert model is not None
    upto = model.versions[: model.versions.index(mv) + 1]
    return digest("scorecard-files", registry_settings(ctx), mv.key, revision(ctx),
                  [readiness_inputs(ctx, v) for v in upto])


def registry_key(ctx: BuildContext, name: str) -> str:
    """The files of a producer that reads the whole registry: every model, the
    settings, revision and date, and which files were produced before it."""
    return digest("registry-outputs", name, registry_settings(ctx),
                  [model_inputs(ctx, m) for m in ctx.registry.models], revision(ctx),
                  ctx.build_date, sorted(ctx.produced))


def pages_key(ctx: BuildContext, model: ModelEntry) -> str:
    """A model's card pages and landing page."""
    return digest("pages", registry_settings(ctx), model_inputs(ctx, model), revision(ctx),
                  ctx.build_date, registry_facts(ctx))


BUNDLE_KEYS: dict[str, Callable[[BuildContext, Any], str]] = {
    "plots": plots_key,
    "scorecards": scorecards_key,
    "registry": registry_key,
    "pages": pages_key,
}
"""The key of each kind of bundle, from its subject (a version, a model, a producer)."""


def seeing_produced(ctx: BuildContext, make: Make) -> Make:
    """`make`, run later as it would have run now: seeing the files produced so far."""
    produced = frozenset(ctx.produced)

    def run() -> Mapping[str, bytes]:
        saved = ctx.produced
        ctx.produced = set(produced)
        try:
            return make()
        finally:
            ctx.produced = saved

    return run
