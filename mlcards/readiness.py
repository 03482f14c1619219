"""Stage 3 (compute), readiness: score an assessment against a rubric.

A test scores 0 (not done), 0.5 (manual) or 1 (automated); a section scores
the sum of its tests; the final score is the minimum over the sections
(Breck et al., "The ML Test Score", 2017).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlcards.rubric import Level, Rubric
from mlcards.schema.readiness import Readiness, TestAssessment, TestStatus

POINTS: dict[TestStatus, float] = {"not-done": 0.0, "manual": 0.5, "automated": 1.0}


@dataclass(frozen=True)
class TestScore:
    id: str
    title: str
    section: str
    status: TestStatus
    points: float
    assessment: TestAssessment


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
    def tests(self) -> list[TestScore]:
        return [t for s in self.sections for t in s.tests]

    @property
    def gaps(self) -> list[TestScore]:
        """Tests not done, in rubric order."""
        return [t for t in self.tests if t.status == "not-done"]


def score_assessment(readiness: Readiness, rubric: Rubric) -> Score:
    """Score every rubric test; tests the assessment does not mention are not done."""
    sections = []
    for section in rubric.sections:
        tests = []
        for test in section.tests:
            assessment = readiness.tests.get(test.id, TestAssessment())
            tests.append(TestScore(test.id, test.title, section.id, assessment.status,
                                   POINTS[assessment.status], assessment))
        total = sum(t.points for t in tests)
        sections.append(SectionScore(section.id, section.title, total, float(len(tests)),
                                     tuple(tests)))
    final = min(s.score for s in sections)
    return Score(rubric, final, rubric.level_for(final), tuple(sections))
