"""Stage 1, load: YAML -> data + positions, and every way a file can fail to load.

Each failure must be a YamlError carrying one located Problem (file, 1-based
line and column), never a traceback from PyYAML or Python.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlcards.load.yaml import (
    MAX_FILE_BYTES,
    MAX_NODES,
    YamlError,
    did_you_mean,
    format_loc,
    load_yaml_file,
    parse_yaml,
)

CARD_LIKE = """\
schema_version: 1
model_details:
  id: demo
  owners:
    - name: Ann
      email: ann@example.com
tags: [a, b]
"""

BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def load_error(tmp_path: Path, content: str | bytes, name: str = "card.yaml") -> YamlError:
    """Write `content` to a file, load it, and return the YamlError it must raise."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(YamlError) as info:
        load_yaml_file(path)
    return info.value


# --------------------------------------------------------------------------- positions


def test_positions_of_values_and_keys_are_one_based() -> None:
    doc = parse_yaml(CARD_LIKE, Path("card.yaml"))
    assert doc.data["model_details"]["owners"][0]["email"] == "ann@example.com"
    assert doc.locate(("model_details", "id")) == (3, 7)
    assert doc.locate(("model_details", "id"), key=True) == (3, 3)
    assert doc.locate(("model_details", "owners", 0, "email")) == (6, 14)
    assert doc.locate(("tags", 1)) == (7, 11)


def test_locate_falls_back_to_the_nearest_existing_parent() -> None:
    doc = parse_yaml(CARD_LIKE, Path("card.yaml"))
    # `task` is absent: the problem is placed on the mapping that lacks it
    assert doc.locate(("model_details", "task")) == doc.locate(("model_details",))
    assert doc.locate(("nowhere", "at", "all")) == (1, 1)


def test_problem_formats_file_line_column_field_message() -> None:
    doc = parse_yaml(CARD_LIKE, Path("card.yaml"))
    problem = doc.problem(("model_details", "owners", 0, "email"), "bad address")
    assert problem.format().endswith(
        "card.yaml:6:14: model_details.owners[0].email: bad address")


def test_format_loc_and_did_you_mean() -> None:
    assert format_loc(("a", 0, "b", 2)) == "a[0].b[2]"
    assert format_loc(()) == ""
    assert did_you_mean("intended_usage", ["intended_use", "metrics"]) == \
        ' (did you mean "intended_use"?)'
    assert did_you_mean("zzz", ["intended_use", "metrics"]) == ""


def test_dates_stay_dates_and_quoted_versions_stay_text() -> None:
    doc = parse_yaml("date: 2026-01-15\nversion: '1.10'\n", Path("x.yaml"))
    assert str(doc.data["date"]) == "2026-01-15"
    assert doc.data["version"] == "1.10"


# --------------------------------------------------------------------------- failures


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    err = load_error(tmp_path, "a: 1\nb: [1, 2\nc: 3\n")
    p = err.problem
    assert p.file.endswith("card.yaml")
    assert (p.line, p.column) == (3, 2)
    assert "YAML syntax error" in p.message


def test_tab_indentation_is_a_located_syntax_error(tmp_path: Path) -> None:
    err = load_error(tmp_path, "a:\n\tb: 1\n")
    assert (err.problem.line, err.problem.column) == (2, 1)
    assert "YAML syntax error" in err.problem.message


def test_duplicate_key_is_reported_with_both_lines() -> None:
    doc = parse_yaml("model_details:\n  id: a\n  name: x\n  id: b\n", Path("card.yaml"))
    assert len(doc.problems) == 1
    p = doc.problems[0]
    assert (p.line, p.column) == (4, 3)
    assert "duplicate key 'id'" in p.message
    assert "line 2" in p.message
    assert p.field == "model_details.id"


def test_merge_keys_may_be_overridden_without_a_duplicate_report() -> None:
    text = "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 3\n"
    doc = parse_yaml(text, Path("x.yaml"))
    assert doc.data["c"] == {"x": 3, "y": 2}  # YAML merge: the mapping's own key wins
    assert doc.problems == []


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n"])
def test_empty_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    err = load_error(tmp_path, content)
    assert (err.problem.line, err.problem.column) == (1, 1)
    assert "empty" in err.problem.message


def test_non_utf8_file_names_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    err = load_error(tmp_path, b"a: 1\nb: 2\nname: caf\xe9\n")
    assert err.problem.line == 3
    assert "UTF-8" in err.problem.message


def test_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    text = "a: 1\n" + "# padding\n" * (MAX_FILE_BYTES // 10 + 1)
    err = load_error(tmp_path, text)
    assert (err.problem.line, err.problem.column) == (1, 1)
    assert str(MAX_FILE_BYTES) in err.problem.message


def test_billion_laughs_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    # 9**9 = 387 million strings once expanded; must be refused, not expanded
    err = load_error(tmp_path, BILLION_LAUGHS)
    assert err.problem.line >= 1 and err.problem.column >= 1
    assert str(MAX_NODES) in err.problem.message
    assert "alias" in err.problem.message


@pytest.mark.parametrize("text", ["a: &x [*x]\n", "a: &x {b: *x}\n", "a: &x {<<: *x}\n"])
def test_recursive_alias_is_a_located_error(tmp_path: Path, text: str) -> None:
    err = load_error(tmp_path, text)
    assert err.problem.line == 1
    assert err.problem.column >= 1


@pytest.mark.parametrize("levels", [150, 50_000])
def test_deep_nesting_is_a_clear_error_not_a_crash(tmp_path: Path, levels: int) -> None:
    # 150: caught after composing; 50,000 would overflow libyaml's C stack (a segfault)
    # and is caught on the event stream before composing
    err = load_error(tmp_path, "a: " + "[" * levels + "]" * levels + "\n")
    assert err.problem.line == 1
    assert err.problem.column > 1
    assert "nesting deeper than" in err.problem.message


def test_long_lines_with_shallow_nesting_still_load() -> None:
    text = "a: " + "x" * 3000 + "\nb: [1, [2, {c: 3}]]\n"
    assert parse_yaml(text, Path("x.yaml")).data["b"] == [1, [2, {"c": 3}]]


def test_python_tags_are_not_constructed(tmp_path: Path) -> None:
    err = load_error(tmp_path, "a: !!python/object/apply:os.system ['echo hi']\n")
    assert (err.problem.line, err.problem.column) == (1, 4)


def test_several_documents_in_one_file_are_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, "a: 1\n---\nb: 2\n")
    assert err.problem.line == 2


def test_missing_file_is_a_problem_not_an_oserror(tmp_path: Path) -> None:
    with pytest.raises(YamlError) as info:
        load_yaml_file(tmp_path / "absent.yaml")
    assert "cannot read" in info.value.problem.message
