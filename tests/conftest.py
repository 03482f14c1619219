"""Shared fixtures: fresh registries in tmp_path and an in-process CLI runner.

Keep this file small and generic; feature-specific fixtures belong in their
own test modules.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_result import CliResult

from mlcards.cli import main
from mlcards.commands.init import SCAFFOLD

ROOT = Path(__file__).resolve().parent.parent
SITE_EXAMPLE = ROOT / "site_example"


@pytest.fixture(autouse=True)
def user_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default build cache (the user's cache directory) of this test: a folder of
    its own (each test starts cold, as with a fresh registry), never ~/.cache."""
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("MLCARDS_CACHE_SECRET", raising=False)
    return home / "mlcards"


@pytest.fixture
def scaffold_registry(tmp_path: Path) -> Path:
    """A fresh copy of what `mlcards init` creates (without schemas/)."""
    root = tmp_path / "registry"
    shutil.copytree(SCAFFOLD, root)
    return root


@pytest.fixture
def example_registry(tmp_path: Path) -> Path:
    """A fresh copy of site_example/."""
    root = tmp_path / "site_example"
    shutil.copytree(SITE_EXAMPLE, root)
    return root


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `mlcards ARGS...` in-process; argparse's SystemExit becomes the exit code."""

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
