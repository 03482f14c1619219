"""`mlcards validate --strict` rejects template placeholders left in required card
sections; without --strict they are accepted. (The scaffold's own placeholders:
test_new_user_trips.py; here they are filled in first.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_new_user_trips import fill_in

from mlcards.validate.registry import collect_problems

CARD = Path("models/example-model/0.1.0/card.yaml")
PRIMARY_USES = "  primary_uses: Ranks applications for manual review.\n"


@pytest.fixture
def finished(scaffold_registry: Path) -> Path:
    """The scaffold with its own placeholders edited, as a user would."""
    fill_in(scaffold_registry)
    return scaffold_registry


def set_primary_uses(root: Path, value: str) -> str:
    path = root / CARD
    text = path.read_text(encoding="utf-8")
    assert text.count(PRIMARY_USES) == 1
    text = text.replace(PRIMARY_USES, f'  primary_uses: "{value}"\n')
    path.write_text(text, encoding="utf-8")
    return text


@pytest.mark.parametrize("placeholder", [
    "More information needed",
    "[More Information Needed]",
    "TODO",
    "TODO: say what the model is for",
    "Scores loans. TBD which ones.",
])
def test_strict_rejects_placeholders_in_required_sections(
        finished: Path, placeholder: str) -> None:
    text = set_primary_uses(finished, placeholder)
    registry, problems = collect_problems(finished)
    assert registry is not None, [p.format() for p in problems]
    registry, problems = collect_problems(finished, strict=True)
    assert registry is None
    assert len(problems) == 1
    p = problems[0]
    line = text[: text.index(placeholder)].count("\n") + 1
    column = text.index('"' + placeholder) - text.rfind("\n", 0, text.index(placeholder))
    assert (p.file.endswith(CARD.as_posix()), p.line, p.column) == (True, line, column)
    assert p.field == "intended_use.primary_uses"
    assert "placeholder text" in p.message and "--strict" in p.message


@pytest.mark.parametrize("text", ["Mastodon TODOs are tracked elsewhere", "Photodocumentation"])
def test_strict_does_not_flag_words_that_merely_contain_todo(
        finished: Path, text: str) -> None:
    set_primary_uses(finished, text)
    registry, problems = collect_problems(finished, strict=True)
    assert registry is not None, [p.format() for p in problems]


def test_strict_ignores_sections_the_policy_does_not_require(finished: Path) -> None:
    path = finished / CARD
    path.write_text(path.read_text(encoding="utf-8") + "factors: {relevant: TODO}\n",
                    encoding="utf-8")
    registry, problems = collect_problems(finished, strict=True)
    assert registry is not None, [p.format() for p in problems]


def test_strict_checks_all_nine_sections_when_the_policy_names_none(
        finished: Path) -> None:
    config = finished / "mlcards.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text[: text.index("  required_sections:")], encoding="utf-8")
    path = finished / CARD
    path.write_text(path.read_text(encoding="utf-8") + "factors: {relevant: TODO}\n",
                    encoding="utf-8")
    _, problems = collect_problems(finished, strict=True)
    assert [p.field for p in problems] == ["factors.relevant"]


def test_site_example_passes_strict() -> None:
    root = Path(__file__).resolve().parent.parent / "site_example"
    registry, problems = collect_problems(root, strict=True)
    assert registry is not None, [p.format() for p in problems]


def test_cli_strict_exit_codes(finished: Path, run_cli: Callable[..., Any]) -> None:
    set_primary_uses(finished, "[More Information Needed]")
    lenient = run_cli("validate", finished)
    strict = run_cli("validate", "--strict", finished)
    assert lenient.code == 0
    assert strict.code == 1
    assert "placeholder text '[More Information Needed]'" in strict.err
