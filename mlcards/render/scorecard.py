"""Readiness on the site: a scorecard page with downloads per assessed model
version, the registry-wide readiness overview and CSV, and the card's
"readiness" slot.

Files (docs paths): models/<id>/<version>/scorecard.md with scorecard.json,
scorecard.csv and scorecard.pdf beside it, the chart in
models/<id>/<version>/plots/readiness-sections.svg, and readiness/index.md with
readiness/readiness.csv. Everything is derived from the registry and the
source revision only, so two builds give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup
from packaging.version import Version

from mlcards.compute.provenance import source_revision
from mlcards.compute.readiness import (
    STATUS_LABELS,
    Score,
    ScoreChange,
    compare_scores,
    previous_assessed,
)
from mlcards.compute.scorecard_data import (
    Scorecard,
    ScorecardEvidence,
    automation,
    build_scorecard,
    scorecard_csv,
    scorecard_json,
    write_csv,
)
from mlcards.compute.verification import STATE_LABELS
from mlcards.outputs import OutputFile
from mlcards.render.context import BuildContext, card_fragment, files_of, producer, whole_registry
from mlcards.validate.registry import ModelVersion
from mlcards.validate.rubric import builtin_rubric

CHART = "plots/readiness-sections.svg"
INDEX = "readiness/index.md"
INDEX_CSV = "readiness/readiness.csv"
LINK_SCHEMES = {"http", "https", "mailto"}


def version_dir(mv: ModelVersion) -> str:
    return f"models/{mv.model_id}/{mv.version}"


def scorecard_path(mv: ModelVersion) -> str:
    """Docs path of a version's scorecard page."""
    return f"{version_dir(mv)}/scorecard.md"


def href(path: str) -> Markup:
    """A relative link target, percent-encoded, safe to print unescaped."""
    return Markup(quote(path, safe="/"))


def link_url(url: str | None) -> str | None:
    """The URL when it is safe to link (http, https, mailto), else None."""
    if not url:
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in LINK_SCHEMES else None


def points(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def signed(value: float | None) -> str:
    if value is None:
        return "new"
    return "±0" if value == 0 else f"{value:+g}"


# --------------------------------------------------------------------------- cached data


def version_score(ctx: BuildContext, mv: ModelVersion) -> Score | None:
    """The score of a version, computed once per build (None: no readiness.yaml)."""
    return ctx.score(mv)


def version_scorecard(ctx: BuildContext, mv: ModelVersion) -> Scorecard | None:
    """The sealed scorecard of a version, once per build (None: not assessed)."""
    def compute() -> Scorecard | None:
        score = version_score(ctx, mv)
        if score is None:
            return None
        revision = source_revision(ctx.registry.root, ctx.revision)
        return build_scorecard(ctx.registry, mv, score, revision)

    result: Scorecard | None = ctx.cached("scorecard", mv, compute)
    return result


def version_change(ctx: BuildContext, mv: ModelVersion) -> ScoreChange | None:
    score = version_score(ctx, mv)
    previous = previous_assessed(ctx.registry, mv)
    before = version_score(ctx, previous) if previous else None
    if score is None or previous is None or before is None:
        return None
    return compare_scores(before, score, previous.version)


def min_readiness(ctx: BuildContext) -> float:
    return ctx.registry.config.policy.min_readiness


def meets_policy(ctx: BuildContext, mv: ModelVersion) -> bool:
    score = version_score(ctx, mv)
    return (score.final if score else 0.0) >= min_readiness(ctx)


# --------------------------------------------------------------------------- page


@dataclass(frozen=True)
class EvidenceView:
    label: str
    url: str | None
    path: str | None
    sha256: str | None


def evidence_view(ev: ScorecardEvidence) -> EvidenceView:
    label = ev.title or ev.kind
    return EvidenceView(label if ev.title is None else f"{ev.kind}: {label}",
                        link_url(ev.url), ev.path, ev.sha256)


def page_context(ctx: BuildContext, mv: ModelVersion, card: Scorecard) -> dict[str, Any]:
    score = version_score(ctx, mv)
    assert score is not None
    change = version_change(ctx, mv)
    return {
        "card": card, "score": score, "change": change, "mv": mv,
        "weakest": score.weakest, "gaps": [t for t in card.tests if t.status == "not-done"],
        "sections": [(s, [t for t in card.tests if t.section == s.id]) for s in card.sections],
        "evidence": {t.id: [evidence_view(e) for e in t.evidence] for t in card.tests},
        "status_label": STATUS_LABELS, "state_label": STATE_LABELS, "pts": points,
        "signed": signed, "automation": automation(card.tests),
        "min_score": min_readiness(ctx), "meets": meets_policy(ctx, mv),
        "gated": mv.card.status == "approved", "chart": CHART,
        "previous_link": href(f"../{change.before_version}/scorecard.md") if change else None,
    }


def scorecard_outputs(ctx: BuildContext, mv: ModelVersion) -> list[OutputFile]:
    """The page, its chart and its three downloads for one assessed version."""
    card = version_scorecard(ctx, mv)
    if card is None:
        return []
    from mlcards.plots.readiness import scorecard_pdf, section_chart_svg

    base = version_dir(mv)
    page = ctx.env.get_template("scorecard.md.j2").render(page_context(ctx, mv, card))
    policy = min_readiness(ctx) or None
    return [
        OutputFile.text(f"{base}/scorecard.md", page),
        OutputFile(f"{base}/scorecard.json", scorecard_json(card)),
        OutputFile(f"{base}/scorecard.csv", scorecard_csv(card)),
        OutputFile(f"{base}/scorecard.pdf", scorecard_pdf(card, policy)),
        OutputFile(f"{base}/{CHART}", section_chart_svg(card, policy)),
    ]


def deferred_scorecard(ctx: BuildContext, mv: ModelVersion) -> list[OutputFile]:
    """scorecard_outputs, made after every producer ran, in worker processes and
    through the build cache (a 'scorecards' bundle); the paths are known at once."""
    if not mv.readiness:
        return []
    base = version_dir(mv)
    paths = [f"{base}/scorecard.{ext}" for ext in ("md", "json", "csv", "pdf")]
    return ctx.bundle("scorecards", mv, [*paths, f"{base}/{CHART}"],
                      lambda: files_of(scorecard_outputs(ctx, mv)))


# --------------------------------------------------------------------------- registry index


@dataclass(frozen=True)
class BriefLevel:
    range: str
    summary: str


@dataclass(frozen=True)
class BriefSection:
    id: str
    title: str
    score: float


@dataclass(frozen=True)
class BriefRubric:
    id: str
    version: str


@dataclass(frozen=True)
class ScorecardBrief:
    """What the readiness overview and its CSV show of one scorecard: plain data, kept
    in the build cache so that a changed model does not unpickle every scorecard."""

    final_score: float
    maximum: float
    level: BriefLevel
    sections: tuple[BriefSection, ...]
    weakest_section: str
    not_done: int
    rubric: BriefRubric
    assessor: str
    approver: str | None
    date: str
    next_review: str | None
    sha256: str
    mlcards_version: str
    revision: str | None
    inputs: str
    claims: int = 0
    """Tests claimed automated."""
    verified: int = 0
    """Of those, verified by their CI test report."""
    verified_points: float = 0.0
    total_points: float = 0.0

    @classmethod
    def of(cls, c: Scorecard) -> ScorecardBrief:
        p = c.provenance
        a = automation(c.tests)
        return cls(c.final_score, c.maximum, BriefLevel(c.level.range, c.level.summary),
                   tuple(BriefSection(s.id, s.title, s.score) for s in c.sections),
                   c.weakest_section, sum(t.status == "not-done" for t in c.tests),
                   BriefRubric(c.rubric.id, c.rubric.version), c.assessor.name,
                   c.approver.name if c.approver else None, c.date.isoformat(),
                   c.next_review.isoformat() if c.next_review else None, c.sha256,
                   p.mlcards_version, p.revision,
                   "; ".join(f"{i.path}={i.sha256}" for i in p.inputs), a.claims, a.verified,
                   a.verified_points, a.total_points)


def scorecard_brief(ctx: BuildContext, mv: ModelVersion) -> ScorecardBrief | None:
    """The version's ScorecardBrief (None: not assessed), once per build."""
    def compute() -> ScorecardBrief | None:
        card = version_scorecard(ctx, mv)
        return None if card is None else ScorecardBrief.of(card)

    result: ScorecardBrief | None = ctx.cached("scorecard-brief", mv, compute)
    return result


@dataclass(frozen=True)
class IndexRow:
    mv: ModelVersion
    card: ScorecardBrief | None
    meets: bool

    @property
    def gated(self) -> bool:
        return self.mv.card.status == "approved"


def index_rows(ctx: BuildContext) -> list[IndexRow]:
    """One row per model version, sorted by model id then version."""
    versions = sorted(ctx.registry.versions(), key=lambda v: (v.model_id, Version(v.version)))
    minimum = min_readiness(ctx)
    rows = []
    for mv in versions:
        brief = scorecard_brief(ctx, mv)
        rows.append(IndexRow(mv, brief, (brief.final_score if brief else 0.0) >= minimum))
    return rows


def section_columns(rows: list[IndexRow]) -> list[str]:
    """Section ids over every rubric in use, in order of first appearance."""
    seen: list[str] = []
    for row in rows:
        for s in row.card.sections if row.card else []:
            if s.id not in seen:
                seen.append(s.id)
    return seen


def readiness_csv(ctx: BuildContext, rows: list[IndexRow]) -> bytes:
    """readiness.csv: one row per model version (spreadsheet layout, see scorecard_data)."""
    sections = section_columns(rows)
    columns = ["model_id", "model_name", "version", "status", "assessed", "final_score",
               "maximum", "level", "level_summary", "weakest_section", "weakest_score",
               *[f"section_{s}" for s in sections], "gaps", "automated_claims",
               "verified_claims", "verified_points", "total_points", "meets_policy", "gated",
               "min_readiness", "rubric", "rubric_version", "assessor", "approver",
               "assessment_date", "next_review", "scorecard", "scorecard_sha256",
               "mlcards_version", "revision", "inputs"]
    return write_csv(columns, [_csv_row(ctx, r, sections) for r in rows])


def _csv_row(ctx: BuildContext, row: IndexRow, sections: list[str]) -> list[object]:
    mv, c = row.mv, row.card
    head: list[object] = [mv.model_id, mv.card.model_details.name, mv.version, mv.card.status,
                          "yes" if c else "no"]
    policy = ["yes" if row.meets else "no", "yes" if row.gated else "no",
              min_readiness(ctx)]
    if c is None:
        return [*head, *[None] * (6 + len(sections) + 5), *policy, *[None] * 11]
    weakest = next(s for s in c.sections if s.id == c.weakest_section)
    scores = {s.id: s.score for s in c.sections}
    return [*head, c.final_score, c.maximum, c.level.range, c.level.summary, weakest.id,
            weakest.score, *[scores.get(s) for s in sections], c.not_done, c.claims,
            c.verified, c.verified_points, c.total_points, *policy,
            c.rubric.id, c.rubric.version, c.assessor, c.approver, c.date, c.next_review,
            scorecard_path(mv), c.sha256, c.mlcards_version, c.revision, c.inputs]


def index_page(ctx: BuildContext, rows: list[IndexRow]) -> str:
    rubrics = {r.card.rubric.id: ctx.registry.rubrics[r.card.rubric.id]
               for r in rows if r.card is not None}
    assessed = [r for r in rows if r.card is not None]
    return ctx.env.get_template("readiness.md.j2").render(
        rows=rows, rubrics=[rubrics[k] for k in sorted(rubrics)], href=href, pts=points,
        min_score=min_readiness(ctx), assessed=len(assessed),
        failing=[r for r in rows if r.gated and not r.meets],
        title=ctx.registry.config.title)


# --------------------------------------------------------------------------- plug-ins


@producer
def produce_readiness(ctx: BuildContext) -> list[OutputFile]:
    """Scorecards of every assessed version (made later, see deferred_scorecard)."""
    return [f for mv in ctx.registry.versions() for f in deferred_scorecard(ctx, mv)]


@producer
@whole_registry(INDEX, INDEX_CSV)
def readiness_overview(ctx: BuildContext) -> list[OutputFile]:
    """The registry's readiness overview page and CSV."""
    rows = index_rows(ctx)
    return [OutputFile.text(INDEX, index_page(ctx, rows)),
            OutputFile(INDEX_CSV, readiness_csv(ctx, rows))]


@card_fragment
def readiness_fragment(ctx: BuildContext, mv: ModelVersion) -> dict[str, str]:
    """The card's "readiness" slot: final score, level, weakest section, scorecard link."""
    card = version_scorecard(ctx, mv)
    score = version_score(ctx, mv)
    text = ctx.env.get_template("readiness-summary.md.j2").render(
        card=card, weakest=score.weakest if score else None, pts=points,
        min_score=min_readiness(ctx), meets=meets_policy(ctx, mv),
        gated=mv.card.status == "approved", status=mv.card.status,
        rubric_title=builtin_rubric().title)
    return {"readiness": text}
