"""Property-based tests: the validator only ever reports located problems.

Hypothesis generates card, evaluation and readiness documents, valid and
invalid (random keys, wrong types, odd text, broken YAML); loading a registry
must never raise anything but its own InvalidInput, and every problem must
name a file and a 1-based line and column.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlcards.commands.init import SCAFFOLD
from mlcards.errors import InvalidInput
from mlcards.validate.registry import load_registry

VERSION_DIR = Path("models/example-model/0.1.0")
FIELD_NAMES = ["model_details", "status", "tags", "intended_use", "name", "version", "date",
               "results", "metric", "value", "tests", "data-1", "status", "schema_version",
               "evidence", "path", "ci", "slice", "n", "owners", "email", "custom"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["<script>alert(1)</script>", "../../etc/passwd", "/etc/passwd",
                     "2026-01-01", "1.0", "TODO", "automated", "approved"]),
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(min_size=1, max_size=12))
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(keys, children, max_size=5)),
    max_leaves=25,
)


def _mutate(base: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    """Replace the value at `path` (creating maps as needed) in a copy of base."""
    out: dict[str, Any] = yaml.safe_load(yaml.safe_dump(base))
    node: Any = out
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[path[-1]] = value
    return out


def _registry(tmp: Path) -> Path:
    root = tmp / "reg"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(SCAFFOLD, root)
    return root


def _assert_only_located_problems(root: Path) -> None:
    try:
        load_registry(root)
    except InvalidInput as exc:
        assert exc.problems, "InvalidInput without problems"
        for p in exc.problems:
            assert p.file and p.line >= 1 and p.column >= 1, p
            assert p.message, p


FILES = ["card.yaml", "evaluation.yaml", "readiness.yaml"]
# YAML folds its own line breaks (NEL, LS, PS, CR) inside scalars on a dump/load round trip.
CARD_TEXT = st.characters(exclude_characters="\x85\u2028\u2029\r", exclude_categories=("Cs",))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(FILES), doc=documents)
def test_any_document_gives_located_problems_only(tmp_path: Path, which: str, doc: Any) -> None:
    root = _registry(tmp_path)
    (root / VERSION_DIR / which).write_text(yaml.safe_dump(doc), encoding="utf-8")
    _assert_only_located_problems(root)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(FILES),
       path=st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=3),
       value=documents)
def test_mutated_valid_document_gives_located_problems_only(
        tmp_path: Path, which: str, path: list[str], value: Any) -> None:
    root = _registry(tmp_path)
    target = root / VERSION_DIR / which
    base = yaml.safe_load(target.read_text(encoding="utf-8"))
    target.write_text(yaml.safe_dump(_mutate(base, path, value)), encoding="utf-8")
    _assert_only_located_problems(root)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("ab: -[]{}\n\t'\"&*!|>#%@`,?")), max_size=80))
def test_arbitrary_yaml_text_gives_located_problems_only(tmp_path: Path, text: str) -> None:
    root = _registry(tmp_path)
    (root / VERSION_DIR / "card.yaml").write_text(text, encoding="utf-8")
    _assert_only_located_problems(root)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(CARD_TEXT, min_size=1, max_size=60),
       description=st.text(CARD_TEXT, min_size=1, max_size=200),
       tags=st.lists(st.text(CARD_TEXT, min_size=1, max_size=15), max_size=4))
def test_valid_cards_with_any_text_validate(tmp_path: Path, name: str, description: str,
                                            tags: list[str]) -> None:
    root = _registry(tmp_path)
    target = root / VERSION_DIR / "card.yaml"
    card = yaml.safe_load(target.read_text(encoding="utf-8"))
    card["model_details"]["name"] = name
    card["model_details"]["description"] = description
    card["tags"] = tags
    target.write_text(yaml.safe_dump(card, allow_unicode=True), encoding="utf-8")
    registry = load_registry(root)
    loaded = registry.models[0].latest.card
    assert loaded.model_details.name == name
    assert loaded.tags == tags
