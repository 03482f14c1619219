"""The pre-commit hook (.pre-commit-hooks.yaml) and `mlcards validate FILE...`."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlcards.cli import main

REPO = Path(__file__).parent.parent
SCAFFOLD = REPO / "mlcards" / "scaffold"
CARD = "models/example-model/0.1.0/card.yaml"


def hook() -> dict[str, object]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hooks, list) and len(hooks) == 1
    found: dict[str, object] = hooks[0]
    return found


def test_hook_definition_has_what_pre_commit_requires() -> None:
    h = hook()
    assert h["id"] == "mlcards-validate"
    assert {"id", "name", "entry", "language"} <= set(h)
    assert h["language"] == "python" and h["pass_filenames"] is True
    assert shlex.split(str(h["entry"])) == ["mlcards", "validate"]


@pytest.mark.parametrize(("path", "matches"), [
    ("mlcards.yaml", True),
    ("registry/mlcards.yaml", True),
    ("registry/models/a/1.0.0/card.yaml", True),
    ("models/a/1.0.0/evaluation.yaml", True),
    ("models/a/1.0.0/readiness.yaml", True),
    ("models/a/1.0.0/predictions.csv", False),
    ("models/a/1.0.0/mycard.yaml", False),
    ("models/a/1.0.0/card.yaml.orig", False),
    ("docs/card.md", False),
])
def test_hook_files_pattern(path: str, matches: bool) -> None:
    # pre-commit applies `files` with re.search to repository-relative posix paths
    assert bool(re.search(str(hook()["files"]), path)) is matches


def registry(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(SCAFFOLD, root)
    return root


def run_entry(files: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the hook's entry the way pre-commit does: entry + the changed files."""
    entry = shlex.split(str(hook()["entry"]))
    exe = Path(sys.executable).parent / entry[0]
    return subprocess.run([str(exe), *entry[1:], *map(str, files)], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def test_entry_validates_each_registry_holding_a_changed_file_once(tmp_path: Path) -> None:
    good, bad = registry(tmp_path, "good"), registry(tmp_path, "bad")
    card = bad / CARD
    card.write_text(card.read_text().replace("  task: binary", "  taks: binary"))
    files = [good / CARD, good / "mlcards.yaml", bad / CARD,
             bad / "models/example-model/0.1.0/evaluation.yaml"]
    result = run_entry([f.relative_to(tmp_path) for f in files], tmp_path)
    assert result.returncode == 1
    assert result.stdout.count("good: 1 models, 1 versions: valid") == 1
    assert "bad/models/example-model/0.1.0/card.yaml:" in result.stderr
    assert "model_details.taks: unknown key 'taks'" in result.stderr
    assert result.stderr.count("error(s) in bad") == 1


def test_entry_passes_for_valid_changes(tmp_path: Path) -> None:
    good = registry(tmp_path, "good")
    result = run_entry([good / CARD], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "good: 1 models, 1 versions: valid"


def test_file_outside_any_registry_is_a_located_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    stray = tmp_path / "notes" / "card.yaml"
    stray.parent.mkdir()
    stray.write_text("title: x\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "notes/card.yaml"]) == 1
    err = capsys.readouterr().err
    assert "notes/card.yaml:1:1: (file): not inside a registry (no mlcards.yaml" in err


def test_a_folder_argument_still_validates_that_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    registry(tmp_path, "reg")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "reg"]) == 0
    assert capsys.readouterr().out.strip() == "reg: 1 models, 1 versions: valid"
    (tmp_path / "empty").mkdir()
    assert main(["validate", "empty"]) == 1
    assert "empty/mlcards.yaml:1:1" in capsys.readouterr().err
