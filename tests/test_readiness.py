"""The scorer, on hand-made assessments whose scores are worked out here.

ML Test Score: a test scores 0 (not done), 0.5 (manual) or 1 (automated); a
section scores the sum; the final score is the minimum over sections, read
against the rubric's level bands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from test_readiness_fixtures import ALL_BUILTIN, make_registry, readiness, write_yaml

from mlcards.cli import main
from mlcards.compute.readiness import (
    UnknownTests,
    compare_scores,
    score_assessment,
    score_readiness_file,
)
from mlcards.errors import InvalidInput
from mlcards.schema.readiness import Readiness
from mlcards.validate.registry import load_registry
from mlcards.validate.rubric import Rubric, builtin_rubric


def assess(tests: dict[str, str], rubric: str = "ml-test-score") -> Readiness:
    return Readiness.model_validate({
        "schema_version": 1, "rubric": rubric, "assessor": {"name": "A"},
        "date": "2026-01-01", "tests": {t: {"status": s} for t, s in tests.items()}})


def sections(score: Any) -> dict[str, float]:
    return {s.id: s.score for s in score.sections}


CUSTOM_RUBRIC: dict[str, Any] = {
    "rubric": "acme-readiness", "title": "ACME readiness", "version": "3",
    "levels": [{"max": 1, "summary": "low"}, {"min": 1, "max": 2, "summary": "mid"},
               {"min": 2, "summary": "high"}],
    "sections": [
        {"id": "safety", "title": "Safety", "tests": [
            {"id": "s-1", "title": "Red team"}, {"id": "s-2", "title": "Abuse filter"},
            {"id": "s-3", "title": "Incident plan"}]},
        {"id": "ops", "title": "Operations", "tests": [
            {"id": "o-1", "title": "Alerting"}, {"id": "o-2", "title": "Rollback"}]},
    ],
}


# --------------------------------------------------------------------------- scoring


def test_half_points_add_up_per_section_and_the_minimum_is_final() -> None:
    score = score_assessment(assess({
        "data-1": "manual", "data-2": "manual", "data-3": "automated",   # 0.5 + 0.5 + 1 = 2
        "model-1": "automated", "model-2": "manual",                      # 1 + 0.5 = 1.5
        "infra-1": "automated", "infra-2": "automated", "infra-3": "automated",  # 3
        "monitor-1": "manual",                                            # 0.5
    }), builtin_rubric())
    assert sections(score) == {"data": 2.0, "model": 1.5, "infra": 3.0, "monitor": 0.5}
    assert score.final == 0.5
    assert score.weakest.id == "monitor"
    assert score.level.range_text == "(0, 1]"
    assert score.maximum == 7
    assert len(score.gaps) == 28 - 9


def test_a_section_without_any_test_done_makes_the_final_score_zero() -> None:
    done = {t: "automated" for s in ("data", "model", "infra") for t in ALL_BUILTIN[s]}
    score = score_assessment(assess(done), builtin_rubric())
    assert sections(score) == {"data": 7.0, "model": 7.0, "infra": 7.0, "monitor": 0.0}
    assert score.final == 0
    assert score.weakest.id == "monitor"
    assert score.level.summary.startswith("a research project")


def test_an_empty_assessment_scores_zero_everywhere_and_lists_every_test_as_a_gap() -> None:
    score = score_assessment(assess({}), builtin_rubric())
    assert sections(score) == {"data": 0, "model": 0, "infra": 0, "monitor": 0}
    assert score.final == 0
    assert score.weakest.id == "data"  # ties: first section in rubric order
    assert [t.id for t in score.gaps] == builtin_rubric().test_ids()


def test_every_test_automated_is_seven_everywhere_and_exceptional() -> None:
    score = score_assessment(assess({t: "automated" for t in builtin_rubric().test_ids()}),
                             builtin_rubric())
    assert score.final == 7
    assert score.level.range_text == "> 5"
    assert score.gaps == []


def test_not_applicable_still_scores_zero() -> None:
    r = Readiness.model_validate({
        "schema_version": 1, "assessor": {"name": "A"}, "date": "2026-01-01",
        "tests": {"data-5": {"not_applicable": "no personal data"}}})
    score = score_assessment(r, builtin_rubric())
    test = score.test("data-5")
    assert test is not None and test.points == 0 and test.status == "not-done"


@pytest.mark.parametrize(("final", "band"), [
    (0, "0"), (0.5, "(0, 1]"), (1, "(0, 1]"), (1.5, "(1, 2]"), (2, "(1, 2]"), (3, "(2, 3]"),
    (3.5, "(3, 5]"), (5, "(3, 5]"), (5.5, "> 5"), (7, "> 5")])
def test_level_bands_follow_the_paper_lower_bound_exclusive(final: float, band: str) -> None:
    assert builtin_rubric().level_for(final).range_text == band


def test_a_custom_rubric_with_its_own_sections_and_levels() -> None:
    rubric = Rubric.model_validate(CUSTOM_RUBRIC)
    score = score_assessment(assess({"s-1": "automated", "s-2": "manual", "s-3": "manual",
                                     "o-1": "automated", "o-2": "automated"},
                                    "acme-readiness"), rubric)
    # safety: 1 + 0.5 + 0.5 = 2; ops: 1 + 1 = 2; final = min = 2 -> (1, 2] "mid"
    assert sections(score) == {"safety": 2.0, "ops": 2.0}
    assert score.final == 2
    assert score.level.summary == "mid"
    assert score.maximum == 2  # the smaller section can reach only 2
    half = score_assessment(assess({"s-1": "manual", "o-1": "automated", "o-2": "automated"},
                                   "acme-readiness"), rubric)
    assert (half.final, half.weakest.id, half.level.summary) == (0.5, "safety", "low")


def test_the_scorer_refuses_test_ids_its_rubric_does_not_have() -> None:
    with pytest.raises(UnknownTests, match="data-99"):
        score_assessment(assess({"data-99": "manual"}), builtin_rubric())


def test_compare_scores_reports_section_and_final_change_and_moved_tests() -> None:
    before = score_assessment(assess({"data-1": "manual", "model-1": "automated"}),
                              builtin_rubric())
    after = score_assessment(assess({"data-1": "automated", "model-1": "automated",
                                     "infra-1": "manual", "monitor-1": "manual"}),
                             builtin_rubric())
    change = compare_scores(before, after, "1.0.0")
    assert {s.id: s.delta for s in change.sections} == {
        "data": 0.5, "model": 0.0, "infra": 0.5, "monitor": 0.5}
    assert (change.final_before, change.final_after, change.final_delta) == (0, 0.5, 0.5)
    assert [(t.id, t.before, t.after, t.delta) for t in change.moved] == [
        ("data-1", "manual", "automated", 0.5), ("infra-1", "not-done", "manual", 0.5),
        ("monitor-1", "not-done", "manual", 0.5)]


# --------------------------------------------------------------------------- rubric files


def test_rubric_levels_must_cover_every_score() -> None:
    gap = {**CUSTOM_RUBRIC, "levels": [{"max": 1, "summary": "low"},
                                       {"min": 2, "summary": "high"}]}
    with pytest.raises(ValidationError, match="must start where level 0 ends"):
        Rubric.model_validate(gap)
    open_start = {**CUSTOM_RUBRIC, "levels": [{"min": 0, "summary": "x"}]}
    with pytest.raises(ValidationError, match="first level must have no `min`"):
        Rubric.model_validate(open_start)


def test_a_custom_rubric_file_with_duplicate_test_ids_is_a_located_error(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(CUSTOM_RUBRIC))
    bad["sections"][1]["tests"][0]["id"] = "s-1"
    write_yaml(tmp_path / "rubrics" / "acme.yaml", bad)
    make_registry(tmp_path, {"m": {"1.0.0": ("draft", None)}},
                  config={"rubrics": ["rubrics/acme.yaml"]})
    with pytest.raises(InvalidInput) as exc:
        load_registry(tmp_path)
    [problem] = exc.value.problems
    assert problem.file.endswith("rubrics/acme.yaml")
    assert problem.field == "sections" and problem.line > 1
    assert "duplicate test id(s): s-1" in problem.message


def custom_registry(root: Path) -> Path:
    write_yaml(root / "rubrics" / "acme.yaml", CUSTOM_RUBRIC)
    ready = {**readiness({"s-1": {"status": "automated"}, "o-1": {"status": "manual"},
                          "o-2": {"status": "manual"}}), "rubric": "acme-readiness"}
    return make_registry(root, {"m": {"1.0.0": ("approved", ready)}},
                         config={"rubrics": ["rubrics/acme.yaml"]})


def test_a_lone_readiness_file_is_scored_with_its_registrys_custom_rubric(tmp_path: Path) -> None:
    custom_registry(tmp_path)
    score, _ = score_readiness_file(tmp_path / "models/m/1.0.0/readiness.yaml")
    assert score.rubric.rubric == "acme-readiness"
    assert sections(score) == {"safety": 1.0, "ops": 1.0}
    assert score.final == 1 and score.level.summary == "low"


def test_an_unknown_test_id_in_a_lone_file_is_located_with_a_suggestion(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "readiness.yaml",
                      readiness({"data-1": {"status": "manual"}, "dta-2": {"status": "manual"}}))
    with pytest.raises(InvalidInput) as exc:
        score_readiness_file(path)
    [problem] = exc.value.problems
    line = path.read_text().splitlines().index("  dta-2:") + 1
    assert (problem.field, problem.line, problem.column) == ("tests.dta-2", line, 3)
    assert 'did you mean "data-2"' in problem.message


def test_an_unknown_rubric_is_a_located_error(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "readiness.yaml", {**readiness({}), "rubric": "nope"})
    with pytest.raises(InvalidInput, match=r"readiness.yaml:2:9: rubric: unknown rubric 'nope'"):
        score_readiness_file(path)


# --------------------------------------------------------------------------- mlcards score


def test_score_command_json_of_one_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    path = write_yaml(tmp_path / "readiness.yaml", readiness({
        "data-1": {"status": "manual"}, "model-1": {"status": "automated"},
        "infra-1": {"status": "manual"}, "monitor-1": {"status": "manual"}}))
    assert main(["score", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["final_score"] == 0.5
    assert [s["score"] for s in data["sections"]] == [0.5, 1, 0.5, 0.5]
    assert data["level"]["range"] == "(0, 1]"


def test_score_command_table_and_csv_of_a_registry(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, {
        "zeta": {"1.0.0": ("approved", readiness({t: {"status": "manual"}
                                                  for t in builtin_rubric().test_ids()}))},
        "alpha": {"2.0.0": ("draft", None)}})
    assert main(["score", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:4] == ["alpha", "2.0.0", "draft", "-"]
    assert lines[2].split()[:6] == ["zeta", "1.0.0", "approved", "3.5", "/", "7"]
    assert main(["score", str(tmp_path), "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[2].startswith("zeta,1.0.0,approved,yes,3.5,7,\"(3, 5]\",data,3.5,3.5,3.5,3.5,0")


def test_score_command_reports_invalid_input_located(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = write_yaml(tmp_path / "readiness.yaml",
                      readiness({"data-1": {"status": "automatic"}}))
    assert main(["score", str(path)]) == 1
    err = capsys.readouterr().err
    assert "readiness.yaml:9:13: tests.data-1.status:" in err
