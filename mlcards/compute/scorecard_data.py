"""The scorecard as data: a pydantic model (its JSON Schema is published in
schemas/scorecard.schema.json), how it is built from a registry, and its JSON
and CSV downloads.

CSV layout (chosen for spreadsheets: header in row 1, no comment lines, one
rectangular table): one row per test; the scorecard-wide fields (final score,
level, provenance: input hashes, mlcards and rubric versions, revision, and the
scorecard.json hash) are repeated on every row so a filtered or sorted sheet
keeps them. Text cells starting with = + - @ get a leading apostrophe so
spreadsheet programs never run them as formulas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from mlcards.compute.provenance import (
    input_files,
    mlcards_version,
    pretty_json,
    relative_path,
    seal,
    sha256_file,
)
from mlcards.compute.readiness import Score, TestScore, rubric_source
from mlcards.compute.verification import VerifiedState, report_files
from mlcards.schema.common import Person, StrictModel
from mlcards.schema.readiness import Readiness, TestStatus
from mlcards.validate.registry import ModelVersion, Registry

SHA256 = r"^[0-9a-f]{64}$"


class ScorecardEvidence(StrictModel):
    kind: str
    title: str | None = None
    url: str | None = None
    path: str | None = Field(default=None, description="Registry file, relative to the root.")
    sha256: str | None = Field(default=None, pattern=SHA256,
                               description="SHA-256 of the registry file at `path`.")


class ScorecardCaseFailure(StrictModel):
    case: str = Field(description="classname::name of the failed test case.")
    outcome: Literal["failed", "error"]
    message: str = ""


class ScorecardVerification(StrictModel):
    """What the JUnit report named by an `automated` claim says."""

    state: VerifiedState = Field(
        description="verified (1 point: matching cases passed, report fresh), failed (0: a "
                    "matching case failed), unverified (0.5: report missing, stale or no "
                    "matching case), self-declared (1: no report named).")
    reason: str
    report: str | None = Field(default=None, description="Report file, relative to the root.")
    sha256: str | None = Field(default=None, pattern=SHA256,
                               description="SHA-256 of the report file.")
    timestamp: str | None = Field(default=None,
                                  description="When the report's run started (ISO 8601).")
    passed: int = Field(default=0, description="Matching cases that passed.")
    failed: int = Field(default=0, description="Matching cases that failed or errored.")
    skipped: int = Field(default=0, description="Matching cases that were skipped.")
    failures: list[ScorecardCaseFailure] = Field(default_factory=list)


class ScorecardTest(StrictModel):
    id: str
    title: str
    section: str = Field(description="Section id.")
    status: TestStatus = Field(description="The status the assessment claims.")
    points: float = Field(description="0 not done, 0.5 manual, 1 automated; an automated "
                          "claim scores what its JUnit report verifies (see verification).")
    verification: ScorecardVerification | None = Field(
        default=None, description="The JUnit report's verdict on an automated claim.")
    owner: str | None = None
    last_run: dt.date | None = None
    schedule: str | None = None
    not_applicable: str | None = Field(default=None,
                                       description="Why the test does not apply (scores 0).")
    note: str | None = None
    evidence: list[ScorecardEvidence] = Field(default_factory=list)


class ScorecardSection(StrictModel):
    id: str
    title: str
    score: float = Field(description="Sum of the section's test points.")
    maximum: float


class ScorecardModelRef(StrictModel):
    id: str
    name: str
    version: str
    status: str = Field(description="Lifecycle status of the card (draft, approved, ...).")


class ScorecardRubric(StrictModel):
    id: str
    title: str
    version: str


class ScorecardLevel(StrictModel):
    range: str = Field(description="The band of final scores, e.g. (2, 3].")
    summary: str
    min: float | None = None
    max: float | None = None


class ScorecardInput(StrictModel):
    path: str = Field(description="Relative to the registry root.")
    sha256: str = Field(pattern=SHA256)


class ScorecardProvenance(StrictModel):
    inputs: list[ScorecardInput]
    mlcards_version: str
    rubric_version: str
    revision: str | None = Field(default=None, description="Source revision (e.g. git commit).")


class Scorecard(StrictModel):
    """scorecard.json: a model version's readiness scorecard with its provenance."""

    schema_version: Literal[1] = 1
    model: ScorecardModelRef
    rubric: ScorecardRubric
    final_score: float = Field(description="Minimum of the section scores.")
    maximum: float = Field(description="Highest possible final score.")
    level: ScorecardLevel
    weakest_section: str = Field(description="Id of the section that sets the final score.")
    sections: list[ScorecardSection]
    tests: list[ScorecardTest]
    assessor: Person
    approver: Person | None = None
    date: dt.date
    next_review: dt.date | None = None
    supersedes: str | None = None
    provenance: ScorecardProvenance
    sha256: str = Field(pattern=SHA256, description="SHA-256 of this document's canonical "
                        "JSON (RFC 8785 form) computed without this field.")


# --------------------------------------------------------------------------- build


def evidence_file(mv: ModelVersion, rel: str) -> Path:
    """Where an evidence `path` points: relative to the readiness file's folder."""
    return (mv.folder / rel).resolve()


def scorecard_inputs(registry: Registry, mv: ModelVersion, score: Score) -> list[Path]:
    """Every registry file the scorecard is made from."""
    assert mv.readiness is not None
    paths = [mv.files["readiness"].path, mv.files["card"].path]
    custom = rubric_source(registry, score.rubric)
    if custom is not None:
        paths.append(custom)
    evidence = [evidence_file(mv, ev.path) for t in mv.readiness.tests.values()
                for ev in t.evidence if ev.path is not None]
    return paths + [p for p in evidence if p.is_file()] \
        + report_files(registry.root, mv.readiness)  # a folder has no hash


def build_scorecard(registry: Registry, mv: ModelVersion, score: Score,
                    revision: str | None) -> Scorecard:
    """The sealed scorecard of one assessed model version."""
    readiness = mv.readiness
    assert readiness is not None
    root = registry.root
    doc = {
        "schema_version": 1,
        "model": {"id": mv.model_id, "name": mv.card.model_details.name,
                  "version": mv.version, "status": mv.card.status},
        "rubric": {"id": score.rubric.rubric, "title": score.rubric.title,
                   "version": score.rubric.version},
        "final_score": score.final,
        "maximum": score.maximum,
        "level": {"range": score.level.range_text, "summary": score.level.summary,
                  "min": score.level.min, "max": score.level.max},
        "weakest_section": score.weakest.id,
        "sections": [{"id": s.id, "title": s.title, "score": s.score, "maximum": s.maximum}
                     for s in score.sections],
        "tests": [_test_entry(root, mv, t, readiness) for t in score.tests],
        **_people(readiness),
        "provenance": {
            "inputs": [{"path": f.path, "sha256": f.sha256}
                       for f in input_files(root, scorecard_inputs(registry, mv, score))],
            "mlcards_version": mlcards_version(),
            "rubric_version": score.rubric.version,
            "revision": revision,
        },
    }
    return seal_scorecard(doc)


def _test_entry(root: Path, mv: ModelVersion, t: TestScore,
                readiness: Readiness) -> dict[str, object]:
    test_id, title, section, status, points = t.id, t.title, t.section, t.status, t.points
    a = readiness.tests.get(test_id)
    if a is None:
        return {"id": test_id, "title": title, "section": section, "status": status,
                "points": points, "evidence": []}
    v = t.verification
    verification = None if v is None else {
        "state": v.state, "reason": v.reason, "report": v.report, "sha256": v.sha256,
        "timestamp": v.timestamp, "passed": v.passed, "failed": v.failed,
        "skipped": v.skipped,
        "failures": [{"case": f.case, "outcome": f.outcome, "message": f.message}
                     for f in v.failures]}
    evidence = []
    for ev in a.evidence:
        path = evidence_file(mv, ev.path) if ev.path is not None else None
        evidence.append({"kind": ev.kind, "title": ev.title, "url": ev.url,
                         "path": relative_path(root, path) if path else None,
                         "sha256": sha256_file(path) if path and path.is_file() else None})
    return {"id": test_id, "title": title, "section": section, "status": status,
            "points": points, "owner": a.owner,
            "last_run": a.last_run.isoformat() if a.last_run else None,
            "schedule": a.schedule, "not_applicable": a.not_applicable, "note": a.note,
            "evidence": evidence, "verification": verification}


def _people(r: Readiness) -> dict[str, object]:
    return {"assessor": r.assessor.model_dump(mode="json"),
            "approver": r.approver.model_dump(mode="json") if r.approver else None,
            "date": r.date.isoformat(),
            "next_review": r.next_review.isoformat() if r.next_review else None,
            "supersedes": r.supersedes}


def seal_scorecard(doc: dict[str, object]) -> Scorecard:
    """Validate, then hash exactly the JSON form that will be written."""
    draft = Scorecard.model_validate({**doc, "sha256": "0" * 64})
    return Scorecard.model_validate(seal(draft.model_dump(mode="json", exclude={"sha256"})))


def scorecard_dict(card: Scorecard) -> dict[str, object]:
    return card.model_dump(mode="json")


def scorecard_json(card: Scorecard) -> bytes:
    """scorecard.json bytes: indented, sorted keys, final newline."""
    return pretty_json(scorecard_dict(card))


@dataclass(frozen=True)
class Automation:
    """How much of a scorecard's automation is verified by CI test reports."""

    claims: int
    """Tests claimed `automated`."""
    verified: int
    failed: int
    unverified: int
    self_declared: int
    verified_points: float
    """Points of the verified tests."""
    total_points: float
    """Points of every test."""


def automation(tests: Iterable[ScorecardTest]) -> Automation:
    tests = list(tests)
    states = [t.verification.state for t in tests if t.verification is not None]
    return Automation(len(states), states.count("verified"), states.count("failed"),
                      states.count("unverified"), states.count("self-declared"),
                      sum(t.points for t in tests if t.verification is not None
                          and t.verification.state == "verified"),
                      sum(t.points for t in tests))


# --------------------------------------------------------------------------- CSV

TEST_COLUMNS = ("model_id", "model_version", "section", "test_id", "test_title", "status",
                "points", "owner", "last_run", "schedule", "not_applicable", "note",
                "evidence", "verified", "verification", "junit_report", "junit_sha256",
                "junit_timestamp", "cases_passed", "cases_failed", "cases_skipped",
                "final_score", "level", "weakest_section", "rubric",
                "rubric_version", "assessor", "approver", "assessment_date", "next_review",
                "mlcards_version", "revision", "inputs", "scorecard_sha256")


def safe_cell(value: object) -> str:
    """Text for a CSV cell; formula-like text is neutralised with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buf.getvalue().encode("utf-8")


def evidence_text(ev: ScorecardEvidence) -> str:
    where = ev.url or ev.path or ""
    label = f"{ev.kind}: {ev.title} <{where}>" if ev.title else f"{ev.kind}: {where}"
    return f"{label} sha256={ev.sha256}" if ev.sha256 else label


def verification_cells(v: ScorecardVerification | None) -> tuple[object, ...]:
    """verified, verification, junit_report, junit_sha256, junit_timestamp and the
    passed / failed / skipped counts (empty cells when the test claims no automation)."""
    if v is None:
        return (None,) * 8
    return (v.state, v.reason, v.report, v.sha256, v.timestamp,
            *((v.passed, v.failed, v.skipped) if v.report and v.sha256 else (None,) * 3))


def scorecard_csv(card: Scorecard) -> bytes:
    """scorecard.csv bytes: one row per test, scorecard-wide columns repeated."""
    p = card.provenance
    common = (card.final_score, f"{card.level.range} {card.level.summary}",
              card.weakest_section, card.rubric.id, card.rubric.version, card.assessor.name,
              card.approver.name if card.approver else None, card.date.isoformat(),
              card.next_review.isoformat() if card.next_review else None,
              p.mlcards_version, p.revision,
              "; ".join(f"{i.path}={i.sha256}" for i in p.inputs), card.sha256)
    rows = [(card.model.id, card.model.version, t.section, t.id, t.title, t.status, t.points,
             t.owner, t.last_run.isoformat() if t.last_run else None, t.schedule,
             t.not_applicable, t.note, " | ".join(evidence_text(e) for e in t.evidence),
             *verification_cells(t.verification), *common) for t in card.tests]
    return write_csv(TEST_COLUMNS, rows)
