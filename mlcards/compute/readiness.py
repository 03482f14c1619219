"""Stage 3 (compute), readiness: score an assessment against a rubric.

A test scores 0 (not done), 0.5 (manual) or 1 (automated); a section scores
the sum of its tests; the final score is the minimum over the sections
(Breck et al., "The ML Test Score", 2017). A test marked not applicable still
scores 0: the rubric has no "not applicable". An `automated` claim that names a
JUnit report scores what the report verifies (mlcards.compute.verification).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mlcards.compute.verification import Verification, points_for, verify_claims
from mlcards.errors import InvalidInput, MlcardsError, Problem
from mlcards.load.yaml import did_you_mean
from mlcards.schema.readiness import Readiness, TestAssessment, TestStatus
from mlcards.validate.documents import SourceFile, read_source, validate_document
from mlcards.validate.registry import (
    CONFIG_FILE,
    ModelVersion,
    Registry,
    _rubrics,
    check_reports,
)
from mlcards.validate.rubric import Level, Rubric

POINTS: dict[TestStatus, float] = {"not-done": 0.0, "manual": 0.5, "automated": 1.0}
STATUS_LABELS: dict[TestStatus, str] = {"not-done": "not done", "manual": "manual",
                                        "automated": "automated"}


@dataclass(frozen=True)
class TestScore:
    id: str
    title: str
    section: str
    status: TestStatus
    points: float
    assessment: TestAssessment
    verification: Verification | None = None
    """The JUnit report's verdict on an `automated` claim (None: not claimed)."""


@dataclass(frozen=True)
class SectionScore:
    id: str
    title: str
    score: float
    maximum: float
    tests: tuple[TestScore, ...]


@dataclass(frozen=True)
class Score:
    """The scored assessment of one model version."""

    rubric: Rubric
    final: float
    level: Level
    sections: tuple[SectionScore, ...]

    @property
    def weakest(self) -> SectionScore:
        """The section that sets the final score (first one on ties, rubric order)."""
        return min(self.sections, key=lambda s: s.score)

    @property
    def maximum(self) -> float:
        """The highest final score this rubric allows (smallest section maximum)."""
        return min(s.maximum for s in self.sections)

    @property
    def tests(self) -> list[TestScore]:
        return [t for s in self.sections for t in s.tests]

    @property
    def verified_points(self) -> float:
        """Points of tests whose `automated` claim a JUnit report verified."""
        return sum(t.points for t in self.tests
                   if t.verification is not None and t.verification.state == "verified")

    @property
    def total_points(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def automated_claims(self) -> list[TestScore]:
        return [t for t in self.tests if t.verification is not None]

    @property
    def verified(self) -> list[TestScore]:
        return [t for t in self.automated_claims
                if t.verification is not None and t.verification.state == "verified"]

    @property
    def gaps(self) -> list[TestScore]:
        """Tests not done, in rubric order."""
        return [t for t in self.tests if t.status == "not-done"]

    def section(self, section_id: str) -> SectionScore | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def test(self, test_id: str) -> TestScore | None:
        return next((t for t in self.tests if t.id == test_id), None)


class UnknownTests(MlcardsError):
    """An assessment names tests its rubric does not have (validation reports them located)."""


def unknown_tests(readiness: Readiness, rubric: Rubric) -> list[str]:
    """Test ids of the assessment that are not in the rubric, in file order."""
    ids = set(rubric.test_ids())
    return [t for t in readiness.tests if t not in ids]


def score_assessment(readiness: Readiness, rubric: Rubric,
                     verifications: Mapping[str, Verification] | None = None) -> Score:
    """Score every rubric test; tests the assessment does not mention are not done.
    `verifications` (test id -> the JUnit report's verdict) set the points of
    `automated` claims; without them every claim scores as declared."""
    unknown = unknown_tests(readiness, rubric)
    if unknown:
        raise UnknownTests(f"test id(s) not in rubric {rubric.rubric!r}: {', '.join(unknown)}")
    sections = []
    for section in rubric.sections:
        tests = []
        for test in section.tests:
            assessment = readiness.tests.get(test.id, TestAssessment())
            v = (verifications or {}).get(test.id)
            tests.append(TestScore(test.id, test.title, section.id, assessment.status,
                                   points_for(assessment.status, v, POINTS), assessment, v))
        total = sum(t.points for t in tests)
        sections.append(SectionScore(section.id, section.title, total, float(len(tests)),
                                     tuple(tests)))
    final = min(s.score for s in sections)
    return Score(rubric, final, rubric.level_for(final), tuple(sections))


# --------------------------------------------------------------------------- registry


def rubric_for(registry: Registry, readiness: Readiness) -> Rubric:
    """The rubric an assessment names (validation guarantees it exists)."""
    return registry.rubrics[readiness.rubric]


def score_version(registry: Registry, mv: ModelVersion,
                  as_of: dt.date | None = None) -> Score | None:
    """The score of a model version, or None when it has no readiness.yaml. Its JUnit
    reports are judged as of `as_of` (default: the assessment date)."""
    if mv.readiness is None:
        return None
    return score_assessment(mv.readiness, rubric_for(registry, mv.readiness),
                            verify_claims(registry.root, mv.readiness, as_of))


def previous_assessed(registry: Registry, mv: ModelVersion) -> ModelVersion | None:
    """The nearest earlier version of the same model that has a readiness assessment."""
    entry = registry.model(mv.model_id)
    if entry is None or mv not in entry.versions:
        return None
    earlier = entry.versions[: entry.versions.index(mv)]
    return next((v for v in reversed(earlier) if v.readiness is not None), None)


def rubric_source(registry: Registry, rubric: Rubric) -> Path | None:
    """The registry file a custom rubric came from (None for the built-in one)."""
    for rel in registry.config.rubrics:
        path = (registry.root / rel).resolve()
        if not path.is_file():
            continue
        src = read_source(path, [])
        if src is not None and isinstance(src.doc.data, dict) \
                and src.doc.data.get("rubric") == rubric.rubric:
            return path
    return None


# --------------------------------------------------------------------------- change


@dataclass(frozen=True)
class SectionChange:
    id: str
    title: str
    before: float | None
    after: float

    @property
    def delta(self) -> float | None:
        return None if self.before is None else self.after - self.before


@dataclass(frozen=True)
class TestChange:
    id: str
    title: str
    before: TestStatus
    after: TestStatus
    before_points: float
    after_points: float

    @property
    def delta(self) -> float:
        return self.after_points - self.before_points


@dataclass(frozen=True)
class ScoreChange:
    """How a version's score differs from an earlier version's."""

    before_version: str
    same_rubric: bool
    final_before: float
    final_after: float
    sections: tuple[SectionChange, ...]
    moved: tuple[TestChange, ...]

    @property
    def final_delta(self) -> float:
        return self.final_after - self.final_before


def compare_scores(before: Score, after: Score, before_version: str) -> ScoreChange:
    """Per-section and final change, and the tests whose status moved (rubric order)."""
    same = before.rubric.rubric == after.rubric.rubric
    sections = tuple(SectionChange(s.id, s.title,
                                   old.score if (old := before.section(s.id)) and same else None,
                                   s.score) for s in after.sections)
    moved = []
    for t in after.tests:
        old_test = before.test(t.id) if same else None
        if old_test is not None and (old_test.status, old_test.points) != (t.status, t.points):
            moved.append(TestChange(t.id, t.title, old_test.status, t.status,
                                    old_test.points, t.points))
    return ScoreChange(before_version, same, before.final, after.final, sections, tuple(moved))


# --------------------------------------------------------------------------- one file


def find_registry_root(path: Path) -> Path | None:
    """The nearest folder at or above `path` that holds mlcards.yaml."""
    for folder in [path, *path.parents]:
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def score_readiness_file(path: Path) -> tuple[Score, SourceFile]:
    """Validate and score one readiness.yaml; custom rubrics come from the enclosing
    registry's mlcards.yaml. Raise InvalidInput with every located problem."""
    problems: list[Problem] = []
    src = read_source(path, problems)
    readiness = validate_document(src.doc, Readiness, problems) if src else None
    rubrics = _registry_rubrics(path.resolve().parent, problems)
    if src is None or readiness is None or _errors(problems):
        raise InvalidInput(problems)
    rubric = rubrics.get(readiness.rubric)
    if rubric is None:
        problems.append(src.doc.problem(("rubric",), f"unknown rubric {readiness.rubric!r}; "
                                        f"known: {', '.join(sorted(rubrics))}"))
        raise InvalidInput(problems)
    ids = rubric.test_ids()
    problems.extend(src.doc.problem(("tests", t), f"unknown test id {t!r} in rubric "
                                    f"{rubric.rubric!r}{did_you_mean(t, ids)}", key=True)
                    for t in unknown_tests(readiness, rubric))
    root = find_registry_root(path.resolve().parent) or path.resolve().parent
    check_reports(root, readiness, src, problems)
    if _errors(problems):
        raise InvalidInput(problems)
    return score_assessment(readiness, rubric, verify_claims(root, readiness)), src


def _registry_rubrics(folder: Path, problems: list[Problem]) -> dict[str, Rubric]:
    from mlcards.schema import RegistryConfig

    root = find_registry_root(folder)
    config_src = read_source(root / CONFIG_FILE, problems) if root else None
    config = (validate_document(config_src.doc, RegistryConfig, problems)
              if config_src else None)
    return _rubrics(root or folder, config, config_src, problems)


def _errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)
