"""The `mlcards` command line: exit statuses 0 (ok), 1 (invalid input), 2 (usage
error), and a --help with examples for the program and every subcommand."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlcards import __version__
from mlcards.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parent.parent


def subcommands() -> list[str]:
    """Names of the subcommands the parser actually registers (modules present)."""
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(actions) == 1
    return sorted(actions[0].choices)


def test_the_foundation_commands_are_registered() -> None:
    names = subcommands()
    assert {"init", "validate", "schema"} <= set(names)
    assert set(names) <= set(COMMANDS)


def test_program_help_lists_every_command_with_examples(run_cli: Callable[..., Any]) -> None:
    result = run_cli("--help")
    assert result.code == 0
    assert "examples:" in result.out
    for name in subcommands():
        assert name in result.out


@pytest.mark.parametrize("name", subcommands())
def test_every_subcommand_help_has_examples(name: str, run_cli: Callable[..., Any]) -> None:
    result = run_cli(name, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: mlcards {name}")
    examples = result.out.split("examples:", 1)
    assert len(examples) == 2, result.out
    assert f"mlcards {name}" in examples[1]


def test_version(run_cli: Callable[..., Any]) -> None:
    result = run_cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"mlcards {__version__}"


def test_valid_registry_exits_0(run_cli: Callable[..., Any]) -> None:
    result = run_cli("validate", ROOT / "site_example")
    assert result.code == 0, result.err
    assert ": valid" in result.out


def test_invalid_registry_exits_1_without_a_traceback(
        scaffold_registry: Path, run_cli: Callable[..., Any]) -> None:
    (scaffold_registry / "mlcards.yaml").write_text("schema_version: 1\ntitel: x\n",
                                                     encoding="utf-8")
    result = run_cli("validate", scaffold_registry)
    assert result.code == 1
    assert "Traceback" not in result.err
    assert 'unknown key \'titel\' (did you mean "title"?)' in result.err


def test_missing_registry_folder_is_a_usage_error(tmp_path: Path,
                                                  run_cli: Callable[..., Any]) -> None:
    result = run_cli("validate", tmp_path / "nowhere")
    assert result.code == 2
    assert "nowhere: no such file or folder" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("args", [
    ["validate", "--bogus", "site_example"],
    ["frobnicate"],
    ["validate"],
    [],
    ["schema", "-o"],
])
def test_usage_errors_exit_2(args: list[str], run_cli: Callable[..., Any]) -> None:
    result = run_cli(*args)
    assert result.code == 2
    assert "usage: mlcards" in result.err + result.out


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as users and CI run it."""
    script = Path(sys.executable).parent / "mlcards"
    assert script.exists(), f"console script missing: {script} (is mlcards installed?)"
    return subprocess.run([str(script), *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, check=False)


def test_console_script_exit_statuses() -> None:
    ok = run_script("validate", "site_example")
    assert ok.returncode == 0, ok.stderr
    usage = run_script("validate", "--no-such-option", "site_example")
    assert usage.returncode == 2
    assert "unrecognized arguments: --no-such-option" in usage.stderr


def test_schema_command_writes_every_schema(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    result = run_cli("schema", "-o", tmp_path / "out")
    assert result.code == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    committed = sorted(p.name for p in (ROOT / "schemas").glob("*.json"))
    assert written == committed
