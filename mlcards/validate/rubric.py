"""Readiness rubrics: the built-in ML Test Score and organisations' own files.

A rubric file (YAML, same shape as `ml_test_score.yaml`) names its sections and
tests and the bands of final scores ("levels"). Registries list their own files
in `mlcards.yaml` under `rubrics:`; readiness files pick one by its `rubric` id.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from mlcards.schema.common import StrictModel, Text

BUILTIN_RUBRIC = Path(__file__).with_name("ml_test_score.yaml")


class RubricTest(StrictModel):
    id: str = Field(min_length=1, description="Unique within the rubric, e.g. data-1.")
    title: str
    description: str | None = None


class RubricSection(StrictModel):
    id: str = Field(min_length=1)
    title: str
    tests: list[RubricTest] = Field(min_length=1)

    @property
    def maximum(self) -> float:
        """Highest section score: every test automated (1 point each)."""
        return float(len(self.tests))


class Level(StrictModel):
    """A band of final scores: min exclusive (absent: -inf), max inclusive (absent: +inf)."""

    min: float | None = None
    max: float | None = None
    summary: str

    def contains(self, score: float) -> bool:
        above = self.min is None or score > self.min
        below = self.max is None or score <= self.max
        return above and below

    @property
    def range_text(self) -> str:
        """The band as the paper writes it: 0, (0, 1], ..., > 5."""
        if self.min is None and self.max is None:
            return "any"
        if self.min is None:
            return f"{self.max:g}" if self.max == 0 else f"≤ {self.max:g}"
        if self.max is None:
            return f"> {self.min:g}"
        return f"({self.min:g}, {self.max:g}]"


class Rubric(StrictModel):
    """A rubric: sections of tests; a section scores the sum of its tests and the
    final score is the minimum over sections (ML Test Score convention)."""

    rubric: str = Field(description="Rubric id, named by readiness files.")
    title: str
    version: Text
    scoring: dict[str, Any] = Field(
        default_factory=dict, description="Notes on scoring (informative; points are fixed "
        "at 0 not done, 0.5 manual, 1 automated).")
    levels: list[Level] = Field(
        min_length=1, description="Bands of final scores, lowest first; together they must "
        "cover every score (first without min, last without max, each min = previous max).")
    sections: list[RubricSection] = Field(min_length=1)

    @field_validator("levels")
    @classmethod
    def _levels_cover_all_scores(cls, levels: list[Level]) -> list[Level]:
        if levels[0].min is not None:
            raise ValueError("the first level must have no `min` (it starts at -infinity)")
        if levels[-1].max is not None:
            raise ValueError("the last level must have no `max` (it runs to +infinity)")
        for i in range(1, len(levels)):
            prev, cur = levels[i - 1], levels[i]
            if prev.max is None or cur.min != prev.max:
                raise ValueError(f"level {i} must start where level {i - 1} ends: expected "
                                 f"min {prev.max}, got {cur.min}")
            if cur.max is not None and cur.max <= cur.min:
                raise ValueError(f"level {i} is empty: max {cur.max} must exceed min {cur.min}")
        return levels

    @field_validator("sections")
    @classmethod
    def _unique_ids(cls, sections: list[RubricSection]) -> list[RubricSection]:
        for kind, ids in (("section", [s.id for s in sections]),
                          ("test", [t.id for s in sections for t in s.tests])):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} id(s): {', '.join(dupes)}")
        return sections

    def test_ids(self) -> list[str]:
        return [t.id for s in self.sections for t in s.tests]

    def section(self, section_id: str) -> RubricSection | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def level_for(self, score: float) -> Level:
        for level in self.levels:
            if level.contains(score):
                return level
        return self.levels[-1]


@cache
def builtin_rubric() -> Rubric:
    """The ML Test Score rubric shipped in the package."""
    from mlcards.load.yaml import load_yaml_file

    return Rubric.model_validate(load_yaml_file(BUILTIN_RUBRIC).data)


def load_rubric_file(path: Path) -> Rubric:
    """Load and validate one rubric file; raise InvalidInput with located problems."""
    from mlcards.errors import InvalidInput, Problem
    from mlcards.validate.documents import read_source, validate_document

    problems: list[Problem] = []
    src = read_source(path, problems)
    rubric = validate_document(src.doc, Rubric, problems) if src else None
    if rubric is None or any(p.severity == "error" for p in problems):
        raise InvalidInput(problems)
    return rubric
