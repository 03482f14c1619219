"""`load_registry` / `mlcards validate`: every problem located at file:line:column.

Each test breaks one file of a fresh scaffold (or site_example) copy and checks
the problem's file, line AND column, computed from the broken text itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlcards.errors import Problem
from mlcards.load.yaml import MAX_FILE_BYTES
from mlcards.validate.registry import collect_problems

SCAFFOLD_VERSION = Path("models/example-model/0.1.0")
CARD = SCAFFOLD_VERSION / "card.yaml"
EVALUATION = SCAFFOLD_VERSION / "evaluation.yaml"
READINESS = SCAFFOLD_VERSION / "readiness.yaml"


def edit(root: Path, rel: Path | str, old: str, new: str) -> str:
    """Replace `old` (which must occur once) by `new` in a registry file; return the text."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def pos(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the first `needle` in `text`, plus `offset` characters."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def problems(root: Path, *, strict: bool = False) -> list[Problem]:
    registry, found = collect_problems(root, strict=strict)
    assert registry is None, "expected the registry to be invalid"
    return [p for p in found if p.severity == "error"]


def only(root: Path, **kwargs: bool) -> Problem:
    """The single error of an invalid registry."""
    found = problems(root, **kwargs)
    assert len(found) == 1, "\n".join(p.format() for p in found)
    return found[0]


def at(problem: Problem, rel: Path | str, line_col: tuple[int, int]) -> None:
    assert problem.file.endswith(Path(rel).as_posix()), problem.format()
    assert (problem.line, problem.column) == line_col, problem.format()


def test_scaffold_is_valid(scaffold_registry: Path) -> None:
    registry, found = collect_problems(scaffold_registry)
    assert registry is not None, [p.format() for p in found]


# --------------------------------------------------------------------------- per file


def test_wrong_type_names_line_column_field_and_what_was_given(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, CARD, "date: 2026-01-15", "date: soon")
    p = only(scaffold_registry)
    at(p, CARD, pos(text, "soon"))
    assert p.field == "model_details.date"
    assert "date" in p.message and "'soon'" in p.message


def test_wrong_type_in_a_list_item(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, EVALUATION, "value: 0.87", "value: high")
    p = only(scaffold_registry)
    at(p, EVALUATION, pos(text, "value: high", len("value: ")))
    assert p.field == "results[1].value"


@pytest.mark.parametrize(("old", "new", "suggestion", "field"), [
    ("risk_tier: limited", "risk_teir: limited", "risk_tier", "risk_teir"),
    ("  library: scikit-learn", "  libary: scikit-learn", "library", "model_details.libary"),
])
def test_unknown_key_is_located_at_the_key_with_did_you_mean(
        scaffold_registry: Path, old: str, new: str, suggestion: str, field: str) -> None:
    text = edit(scaffold_registry, CARD, old, new)
    p = only(scaffold_registry)
    at(p, CARD, pos(text, new.strip()))
    assert p.field == field
    assert f'did you mean "{suggestion}"?' in p.message


def test_unknown_key_without_a_close_match_lists_the_allowed_keys(
        scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, READINESS, "date: 2026-01-15", "date: 2026-01-15\nzzz: 1")
    p = only(scaffold_registry)
    at(p, READINESS, pos(text, "zzz"))
    assert "allowed keys:" in p.message and "assessor" in p.message


def test_yaml_syntax_error_names_the_line_and_where_the_bracket_opened(
        scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, CARD, "tags: [tabular, example]", "tags: [tabular, example")
    p = only(scaffold_registry)
    # libyaml notices the missing ']' at the first token it cannot take: `model_details:`
    at(p, CARD, pos(text, "model_details:", len("model_details")))
    line, column = pos(text, "[tabular")
    assert f"started on line {line}, column {column}" in p.message


def test_missing_required_field_is_located_at_its_parent(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, CARD, "  task: binary-classification\n", "")
    p = only(scaffold_registry)
    at(p, CARD, pos(text, "id: example-model"))  # the model_details mapping starts here
    assert p.field == "model_details.task"
    assert "required field 'task' is missing" in p.message


def test_missing_required_top_level_field(scaffold_registry: Path) -> None:
    edit(scaffold_registry, "mlcards.yaml", "title: Model registry\n", "")
    p = only(scaffold_registry)
    at(p, "mlcards.yaml", (2, 1))
    assert p.field == "title"


def test_duplicate_key_is_located_at_the_second_occurrence(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, CARD, "status: draft\n", "status: draft\nstatus: approved\n")
    p = only(scaffold_registry)
    at(p, CARD, pos(text, "status: approved"))
    assert p.field == "status"
    assert f"line {pos(text, 'status: draft')[0]}" in p.message


def test_duplicate_nested_key_names_its_full_path(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, CARD, "  task: binary-classification\n",
                "  task: binary-classification\n  task: regression\n")
    p = only(scaffold_registry)
    at(p, CARD, pos(text, "task: regression"))
    assert p.field == "model_details.task"


@pytest.mark.parametrize(("content", "needle"), [
    ("", "empty"),
    ("# nothing but a comment\n", "empty"),
    ("---\n", "expected a YAML mapping at the top level, got an empty document"),
    ("- a\n- b\n", "expected a YAML mapping at the top level, got a list"),
    ("just some text\n", "expected a YAML mapping at the top level, got plain text"),
])
def test_empty_or_non_mapping_file(scaffold_registry: Path, content: str, needle: str) -> None:
    (scaffold_registry / READINESS).write_text(content, encoding="utf-8")
    p = only(scaffold_registry)
    # `---` alone: the (null) document starts after the marker
    at(p, READINESS, (2, 1) if content == "---\n" else (1, 1))
    assert needle in p.message


def test_non_utf8_file(scaffold_registry: Path) -> None:
    path = scaffold_registry / CARD
    path.write_bytes(path.read_bytes().replace(b"Example model", b"Mod\xe8le"))
    p = only(scaffold_registry)
    text = (scaffold_registry / CARD).read_bytes().decode("latin-1")
    at(p, CARD, (pos(text, "Mod\xe8le")[0], 1))
    assert "UTF-8" in p.message


def test_file_over_the_size_limit(scaffold_registry: Path) -> None:
    with (scaffold_registry / EVALUATION).open("a", encoding="utf-8") as f:
        f.write("# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    p = only(scaffold_registry)
    at(p, EVALUATION, (1, 1))
    assert f"limit is {MAX_FILE_BYTES} bytes" in p.message


def test_alias_expansion_bomb_is_a_clear_error(scaffold_registry: Path) -> None:
    lines = ['x0: &x0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9)}]" for i in range(1, 10)]
    (scaffold_registry / READINESS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = only(scaffold_registry)
    assert p.file.endswith(READINESS.as_posix())
    assert p.line >= 1 and p.column >= 1
    assert "alias" in p.message


# --------------------------------------------------------------------------- cross-file


def test_version_must_match_its_folder(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, CARD, "version: 0.1.0", "version: 0.2.0")
    p = only(scaffold_registry)
    at(p, CARD, pos(text, "0.2.0"))
    assert p.field == "model_details.version"
    assert "'0.2.0' does not match its folder name '0.1.0'" in p.message


def test_unquoted_version_read_as_a_number_gets_a_quoting_hint(scaffold_registry: Path) -> None:
    folder = scaffold_registry / SCAFFOLD_VERSION
    folder.rename(folder.with_name("1.10"))
    card = SCAFFOLD_VERSION.with_name("1.10") / "card.yaml"
    text = edit(scaffold_registry, card, "version: 0.1.0", "version: 1.10")
    p = only(scaffold_registry)
    at(p, card, pos(text, "1.10"))
    assert "'1.1' does not match its folder name '1.10'" in p.message
    assert "quote" in p.message


def test_model_id_must_match_its_folder(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, CARD, "id: example-model", "id: other-model")
    p = only(scaffold_registry)
    at(p, CARD, pos(text, "other-model"))
    assert "folder name 'example-model'" in p.message


def test_version_folder_must_be_a_version(scaffold_registry: Path) -> None:
    folder = scaffold_registry / SCAFFOLD_VERSION
    folder.rename(folder.with_name("latest"))
    p = only(scaffold_registry)
    assert p.file.endswith("models/example-model/latest")
    assert "not a PEP 440" in p.message


def test_undefined_metric_in_results(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, EVALUATION, "{metric: accuracy, slice: {group: b}",
                "{metric: acuracy, slice: {group: b}")
    p = only(scaffold_registry)
    at(p, EVALUATION, pos(text, "acuracy"))
    assert p.field == "results[2].metric"
    assert 'did you mean "accuracy"?' in p.message


def test_unknown_readiness_test_id_is_located_at_the_key(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, READINESS, "  model-1: {status: manual}",
                "  modle-1: {status: manual}")
    p = only(scaffold_registry)
    at(p, READINESS, pos(text, "modle-1"))
    assert p.field == "tests.modle-1"
    assert 'did you mean "model-1"?' in p.message


def test_unknown_rubric(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, READINESS, "rubric: ml-test-score", "rubric: ml-score")
    p = only(scaffold_registry)
    at(p, READINESS, pos(text, "ml-score"))
    assert "unknown rubric 'ml-score'" in p.message


def test_evidence_needs_a_url_or_a_path(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, READINESS, "  model-1: {status: manual}",
                "  model-1: {status: manual, evidence: [{title: Notes}]}")
    p = only(scaffold_registry)
    at(p, READINESS, pos(text, "{title: Notes}"))
    assert "`url` or a `path`" in p.message


@pytest.mark.parametrize(("evidence", "message"), [
    ("../../../../outside.txt", "leaves the allowed folder"),
    ("../../../../../../../../etc/passwd", "leaves the allowed folder"),
    ("/etc/passwd", "absolute paths are not allowed"),
    ("C:\\\\Windows\\\\win.ini", "absolute paths are not allowed"),
    ("../../../evidence/missing.txt", "does not exist"),
])
def test_evidence_path_must_stay_inside_the_registry(
        scaffold_registry: Path, evidence: str, message: str) -> None:
    (scaffold_registry.parent / "outside.txt").write_text("secret", encoding="utf-8")
    text = edit(scaffold_registry, READINESS, "  model-1: {status: manual}",
                f'  model-1: {{status: manual, evidence: [{{path: "{evidence}"}}]}}')
    p = only(scaffold_registry)
    at(p, READINESS, pos(text, f'"{evidence}"'))
    assert p.field == "tests.model-1.evidence[0].path"
    assert message in p.message


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_evidence_symlink_pointing_outside_is_refused(scaffold_registry: Path) -> None:
    outside = scaffold_registry.parent / "outside.txt"
    outside.write_text("secret", encoding="utf-8")
    (scaffold_registry / "evidence").mkdir()
    (scaffold_registry / "evidence" / "report.txt").symlink_to(outside)
    text = edit(scaffold_registry, READINESS, "  model-1: {status: manual}",
                "  model-1: {status: manual, evidence: [{path: ../../../evidence/report.txt}]}")
    p = only(scaffold_registry)
    at(p, READINESS, pos(text, "../../../evidence/report.txt"))
    assert "leaves the allowed folder" in p.message


def test_evidence_path_inside_the_registry_is_accepted(scaffold_registry: Path) -> None:
    (scaffold_registry / "evidence").mkdir()
    (scaffold_registry / "evidence" / "report.txt").write_text("ok", encoding="utf-8")
    edit(scaffold_registry, READINESS, "  model-1: {status: manual}",
         "  model-1: {status: manual, evidence: [{path: ../../../evidence/report.txt}]}")
    registry, found = collect_problems(scaffold_registry)
    assert registry is not None, [p.format() for p in found]


def test_predictions_path_must_stay_inside_the_model_folder(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, EVALUATION, "metrics:\n",
                "predictions: {path: ../../../mlcards.yaml, label: y, prediction: p, "
                "sensitive: [g]}\nmetrics:\n")
    p = only(scaffold_registry)
    at(p, EVALUATION, pos(text, "../../../mlcards.yaml"))
    assert "leaves the allowed folder" in p.message


def test_unknown_required_section_in_the_policy(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, "mlcards.yaml", "[model_details, intended_use,",
                "[model_details, intended_uses,")
    p = only(scaffold_registry)
    at(p, "mlcards.yaml", pos(text, "intended_uses"))
    assert p.field == "policy.required_sections[1]"
    assert 'did you mean "intended_use"?' in p.message


def test_replacement_model_must_exist(scaffold_registry: Path) -> None:
    text = edit(scaffold_registry, CARD, "status: draft\n",
                "status: deprecated\ndeprecation: {replaced_by: exmaple-model}\n")
    p = only(scaffold_registry)
    at(p, CARD, pos(text, "exmaple-model"))
    assert 'did you mean "example-model"?' in p.message


def test_missing_config_and_models_folder(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    messages = [p.message for p in problems(root)]
    assert any("cannot read file" in m for m in messages)
    assert any("missing `models/` folder" in m for m in messages)


def test_not_a_folder(tmp_path: Path) -> None:
    p = only(tmp_path / "absent")
    assert "not a folder" in p.message


def test_custom_field_violating_the_registry_json_schema(example_registry: Path) -> None:
    card = Path("models/credit-default/1.1.0/card.yaml")
    text = edit(example_registry, card, "cost_center: CC-4410", "cost_center: 4410")
    p = only(example_registry)
    at(p, card, pos(text, "4410"))
    assert p.field == "custom.cost_center"
    assert "custom_schema" in p.message and "string" in p.message


def test_custom_field_missing_a_required_property(example_registry: Path) -> None:
    card = Path("models/demand-forecast/3.2.0/card.yaml")
    text = edit(example_registry, card, "  model_inventory_id: MI-00288\n", "")
    p = only(example_registry)
    at(p, card, pos(text, "cost_center"))  # the `custom` mapping starts here
    assert p.field == "custom"
    assert "'model_inventory_id' is a required property" in p.message
