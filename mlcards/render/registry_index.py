"""`registry.json` at the site root: the machine-readable index of the registry.

Every model version with its status, risk tier, tags, task, owners, dates,
readiness score and level, headline metrics, deprecation and the relative
URLs of its card page, scorecard page and downloads, so other tools (release
dashboards, deployment gates, search) read the registry without scraping
pages. Deterministic: keys sorted, lists sorted, no clock time.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from typing import Any

from mlcards import __version__
from mlcards.compute.evaluation import MetricInfo
from mlcards.compute.readiness import Score
from mlcards.outputs import OutputFile
from mlcards.render.context import BuildContext, producer, whole_registry
from mlcards.render.evaluation import evaluation_report
from mlcards.schema.common import Person
from mlcards.validate.registry import ModelEntry, ModelVersion

INDEX_PATH = "registry.json"
INDEX_FORMAT = 1
DOWNLOADS = ("json", "csv", "pdf")


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(p: Person) -> dict[str, Any]:
    return {k: v for k, v in p.model_dump().items() if v is not None}


def page_url(doc_path: str) -> str:
    """The site URL of a docs page, relative to the site root (directory URLs):
    models/a/1.0.0/index.md -> models/a/1.0.0/, .../scorecard.md -> .../scorecard/."""
    stem = doc_path.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return stem.removesuffix("index")
    return stem + "/"


def links(ctx: BuildContext, mv: ModelVersion) -> dict[str, Any]:
    """Relative URLs of the version's pages and downloads that the build wrote."""
    base = f"models/{mv.model_id}/{mv.version}"
    out: dict[str, Any] = {"model": page_url(f"models/{mv.model_id}/index.md"),
                           "card": page_url(f"{base}/index.md")}
    if ctx.has_file(f"{base}/scorecard.md"):
        out["scorecard"] = page_url(f"{base}/scorecard.md")
    downloads = {ext: f"{base}/scorecard.{ext}" for ext in DOWNLOADS
                 if ctx.has_file(f"{base}/scorecard.{ext}")}
    if downloads:
        out["downloads"] = downloads
    return out


def readiness(score: Score | None) -> dict[str, Any] | None:
    """Final score, level and section sums of the version's assessment."""
    if score is None:
        return None
    return {
        "rubric": score.rubric.rubric,
        "rubric_version": score.rubric.version,
        "score": score.final,
        "level": score.level.summary,
        "weakest_section": score.weakest.id,
        "sections": {s.id: {"score": s.score, "maximum": s.maximum} for s in score.sections},
        "gaps": len(score.gaps),
    }


def headline_metrics(ctx: BuildContext, mv: ModelVersion) -> list[dict[str, Any]]:
    """Overall values of the metrics marked `headline` (all metrics when none is), as
    the card page shows them: given in evaluation.yaml or computed from predictions.
    Kept in the build cache with the report's key (a warm build need not load reports)."""
    result: list[dict[str, Any]] = ctx.cached("headline", mv,
                                               lambda: _headline_metrics(ctx, mv))
    return result


def _headline_metrics(ctx: BuildContext, mv: ModelVersion) -> list[dict[str, Any]]:
    report = evaluation_report(ctx, mv)
    if report is None:
        return []
    unique: dict[str, MetricInfo] = {}
    for info in report.metrics:
        unique.setdefault(info.name, info)
    infos = list(unique.values())
    wanted = [m for m in infos if m.headline] or infos
    overall = report.result.overall
    out = []
    for info in wanted:
        value = overall.values.get(info.name)
        if value is None or not math.isfinite(value):
            continue
        item: dict[str, Any] = {"name": info.name, "value": float(value),
                                "higher_is_better": info.higher_is_better}
        ci = overall.ci.get(info.name)
        if ci is not None:
            item["ci"] = [float(ci[0]), float(ci[1])]
        if overall.n is not None:
            item["n"] = int(overall.n)
        if info.threshold is not None:
            item["threshold"] = float(info.threshold)
        out.append(item)
    return sorted(out, key=lambda m: str(m["name"]))


def version_entry(ctx: BuildContext, model: ModelEntry, mv: ModelVersion) -> dict[str, Any]:
    """One model version of the index."""
    card, details = mv.card, mv.card.model_details
    dep = card.deprecation
    return {
        "id": mv.model_id,
        "version": mv.version,
        "latest": mv is model.latest,
        "name": details.name,
        "status": card.status,
        "risk_tier": card.risk_tier,
        "tags": sorted(set(card.tags)),
        "task": details.task,
        "owners": sorted((_person(p) for p in details.owners),
                         key=lambda p: json.dumps(p, sort_keys=True)),
        "license": details.license,
        "dates": {
            "released": _date(details.released),
            "next_review": _date(card.next_review),
            "evaluated": _date(summary.date if (summary := mv.evaluation_summary) else None),
            "assessed": _date(mv.readiness.date if mv.readiness else None),
            "assessment_next_review": _date(mv.readiness.next_review if mv.readiness
                                            else None),
        },
        "approvals": sorted(({"name": a.name, "role": a.role, "date": _date(a.date),
                              "decision": a.decision} for a in card.approvals),
                            key=lambda a: (a["date"] or "", a["name"], a["role"])),
        "readiness": readiness(ctx.score(mv)),
        "metrics": headline_metrics(ctx, mv),
        "deprecation": (None if dep is None else
                        {"reason": dep.reason, "replaced_by": dep.replaced_by}),
        "links": links(ctx, mv),
    }


def ordered_versions(ctx: BuildContext) -> list[tuple[ModelEntry, ModelVersion]]:
    """Every (model, version), by model id then version: the order of "versions"."""
    return [(m, mv) for m in sorted(ctx.registry.models, key=lambda m: m.id)
            for mv in sorted(m.versions, key=lambda v: v.sort_key)]


def build_index(ctx: BuildContext) -> dict[str, Any]:
    """The whole index as plain data."""
    return {**index_head(ctx),
            "versions": [version_entry(ctx, m, mv) for m, mv in ordered_versions(ctx)]}


def index_head(ctx: BuildContext) -> dict[str, Any]:
    """Everything of the index but its "versions"."""
    reg = ctx.registry
    models = sorted(reg.models, key=lambda m: m.id)
    return {
        "format": INDEX_FORMAT,
        "generator": f"mlcards {__version__}",
        "revision": ctx.revision,
        "build_date": ctx.build_date,
        "registry": {
            "title": reg.config.title,
            "description": reg.config.description,
            "site_url": reg.config.site_url,
            "repo_url": reg.config.repo_url,
            "policy": reg.config.policy.model_dump(mode="json"),
        },
        "models": [{"id": m.id, "name": m.latest.card.model_details.name,
                    "latest_version": m.latest.version,
                    "versions": [v.version for v in m.versions],
                    "url": page_url(f"models/{m.id}/index.md")} for m in models],
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)


def index_json(ctx: BuildContext) -> bytes:
    """registry.json's bytes: sorted keys, two-space indent, trailing newline.

    The same text as dumping build_index() whole, assembled from each version's
    entry as text (kept in the build cache): "versions" is the last key, and an
    entry nested in it is its own dump indented by four spaces."""
    head = index_head(ctx)
    assert max(head) < "versions"
    entries = [_entry_text(ctx, m, mv) for m, mv in ordered_versions(ctx)]
    body = "[]" if not entries else "[\n    " + ",\n    ".join(entries) + "\n  ]"
    text = _dumps(head).removesuffix("\n}") + f',\n  "versions": {body}\n}}'
    return (text + "\n").encode("utf-8")


def _entry_text(ctx: BuildContext, model: ModelEntry, mv: ModelVersion) -> str:
    """One version's entry as it reads inside "versions" (nested four spaces deep)."""
    text: str = ctx.cached("index-entry", mv, lambda: _dumps(version_entry(ctx, model, mv))
                           .replace("\n", "\n    "))
    return text


@producer
@whole_registry(INDEX_PATH)
def produce_index(ctx: BuildContext) -> Iterator[OutputFile]:
    """Write registry.json at the docs root (run last, so links see every download)."""
    yield OutputFile(INDEX_PATH, index_json(ctx))
