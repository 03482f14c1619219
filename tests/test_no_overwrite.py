"""Nothing lost: `mlcards init` and the importers never overwrite a file without --force.

Each test puts a sentinel file where the command would write, runs the command
without --force (it must fail, name the file and leave every byte as it was),
then with --force (it must write).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mlcards.cli import main
from mlcards.commands.init import scaffold_files
from mlcards.schemagen import schema_documents

SENTINEL = b"# hand-written, must survive\n"


def tree_hashes(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under root."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def init_targets() -> list[str]:
    """Every file `mlcards init` writes, relative to the new registry."""
    return [p.as_posix() for p in scaffold_files()] + [
        f"schemas/{name}" for name in sorted(schema_documents())]


@pytest.mark.parametrize("target", init_targets())
def test_init_refuses_to_overwrite_any_file_it_would_write(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str) -> None:
    root = tmp_path / "reg"
    (root / target).parent.mkdir(parents=True)
    (root / target).write_bytes(SENTINEL)
    before = tree_hashes(root)

    assert main(["init", str(root)]) == 1
    err = capsys.readouterr().err
    assert target.split("/")[-1] in err and "--force" in err
    assert tree_hashes(root) == before  # nothing written, not even the other files


def test_init_with_force_overwrites(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    (root / "mlcards.yaml").parent.mkdir(parents=True)
    (root / "mlcards.yaml").write_bytes(SENTINEL)
    assert main(["init", "--force", str(root)]) == 0
    assert (root / "mlcards.yaml").read_bytes() != SENTINEL
    assert set(tree_hashes(root)) == set(init_targets())


def test_init_into_an_unrelated_folder_keeps_its_files(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    root.mkdir()
    (root / "notes.md").write_bytes(SENTINEL)
    assert main(["init", str(root)]) == 0
    assert (root / "notes.md").read_bytes() == SENTINEL
