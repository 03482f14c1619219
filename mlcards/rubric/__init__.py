"""Readiness rubrics: the built-in ML Test Score and organisations' own files."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pydantic import Field

from mlcards.schema.common import StrictModel, Text

BUILTIN_RUBRIC = Path(__file__).with_name("ml_test_score.yaml")


class RubricTest(StrictModel):
    id: str
    title: str
    description: str | None = None


class RubricSection(StrictModel):
    id: str
    title: str
    tests: list[RubricTest] = Field(min_length=1)


class Level(StrictModel):
    """A band of final scores: min exclusive (absent: -inf), max inclusive (absent: +inf)."""

    min: float | None = None
    max: float | None = None
    summary: str

    def contains(self, score: float) -> bool:
        above = self.min is None or score > self.min
        below = self.max is None or score <= self.max
        return above and below


class Rubric(StrictModel):
    """A rubric: sections of tests; a section scores the sum of its tests and the
    final score is the minimum over sections (ML Test Score convention)."""

    rubric: str = Field(description="Rubric id, named by readiness files.")
    title: str
    version: Text
    scoring: dict[str, Any] = Field(default_factory=dict)
    levels: list[Level] = Field(min_length=1)
    sections: list[RubricSection] = Field(min_length=1)

    def test_ids(self) -> list[str]:
        return [t.id for s in self.sections for t in s.tests]

    def level_for(self, score: float) -> Level:
        for level in self.levels:
            if level.contains(score):
                return level
        return self.levels[-1]


@cache
def builtin_rubric() -> Rubric:
    """The ML Test Score rubric shipped in the package."""
    from mlcards.load import load_yaml_file

    return Rubric.model_validate(load_yaml_file(BUILTIN_RUBRIC).data)
