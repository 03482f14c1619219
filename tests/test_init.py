"""`mlcards init DIR`: a registry with one model that validates (and fails --strict
until its placeholders are edited); never overwrites existing files unless --force
is given."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlcards.commands.init import SCAFFOLD, scaffold_files
from mlcards.commands.schemagen import schema_documents
from mlcards.validate.registry import collect_problems

CARD = Path("models/example-model/0.1.0/card.yaml")


def test_init_creates_a_registry_that_validates(
        tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    target = tmp_path / "my-registry"
    result = run_cli("init", target)
    assert result.code == 0, result.err
    for rel in scaffold_files():
        assert (target / rel).read_bytes() == (SCAFFOLD / rel).read_bytes()
    for name, text in schema_documents().items():
        assert (target / "schemas" / name).read_text(encoding="utf-8") == text
    registry, problems = collect_problems(target)
    assert registry is not None, [p.format() for p in problems]
    assert [v.key for v in registry.versions()] == ["example-model/0.1.0"]
    assert registry.versions()[0].evaluation is not None
    assert registry.versions()[0].readiness is not None
    check = run_cli("validate", target)
    assert check.code == 0, check.err
    assert run_cli("validate", "--strict", target).code == 1  # placeholders left


def test_init_refuses_to_overwrite_without_force(
        tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    target = tmp_path / "reg"
    assert run_cli("init", target).code == 0
    (target / CARD).write_text("# my own card\n", encoding="utf-8")
    result = run_cli("init", target)
    assert result.code == 1
    assert "--force" in result.err
    assert str(CARD.as_posix()) in result.err.replace("\\", "/")
    assert "Traceback" not in result.err
    assert (target / CARD).read_text(encoding="utf-8") == "# my own card\n"


def test_init_with_force_overwrites(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    target = tmp_path / "reg"
    assert run_cli("init", target).code == 0
    (target / CARD).write_text("# my own card\n", encoding="utf-8")
    assert run_cli("init", "--force", target).code == 0
    assert (target / CARD).read_bytes() == (SCAFFOLD / CARD).read_bytes()


def test_init_into_an_existing_folder_keeps_unrelated_files(
        tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    target = tmp_path / "repo"
    target.mkdir()
    (target / "NOTES.md").write_text("keep me\n", encoding="utf-8")
    assert run_cli("init", target).code == 0
    assert (target / "NOTES.md").read_text(encoding="utf-8") == "keep me\n"
    assert (target / "mlcards.yaml").is_file()


def test_scaffold_files_are_listed_in_a_stable_order() -> None:
    files = scaffold_files()
    assert files == sorted(files)
    assert Path("mlcards.yaml") in files
    assert {p.name for p in files} >= {"card.yaml", "evaluation.yaml", "readiness.yaml"}
