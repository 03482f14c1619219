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
from mlcards.commands.schemagen import schema_documents

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


# --------------------------------------------------------------------------- importers

INTEROP = Path(__file__).parent / "data" / "interop"
IMPORTS = {
    "hf": ["import", "hf", str(INTEROP / "hf_bert" / "README.md")],
    "mct": ["import", "mct", str(INTEROP / "mct" / "census_income.json")],  # with graphics
}


def written_by(tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The files an import writes into an empty version folder."""
    out = tmp_path / "probe" / "models" / "m" / "1.0.0"
    assert main([*IMPORTS[kind], "-o", str(out)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return sorted(tree_hashes(out))


@pytest.mark.parametrize("kind", sorted(IMPORTS))
def test_import_refuses_to_overwrite_any_file_it_would_write(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    targets = written_by(tmp_path, kind, capsys)
    assert "card.yaml" in targets and "evaluation.yaml" in targets
    if kind == "mct":
        assert any(t.startswith("graphics/") for t in targets)
    for target in targets:
        out = tmp_path / target.replace("/", "_") / "models" / "m" / "1.0.0"
        (out / target).parent.mkdir(parents=True)
        (out / target).write_bytes(SENTINEL)
        before = tree_hashes(out)
        assert main([*IMPORTS[kind], "-o", str(out)]) == 1, target
        err = capsys.readouterr().err
        assert target.split("/")[-1] in err and "--force" in err, err
        assert tree_hashes(out) == before, f"{target}: files changed without --force"

        assert main([*IMPORTS[kind], "-o", str(out), "--force"]) == 0, target
        capsys.readouterr()
        assert (out / target).read_bytes() != SENTINEL
        assert sorted(tree_hashes(out)) == targets


def test_export_refuses_to_overwrite_without_force(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.md"
    readme.write_bytes(SENTINEL)
    version = INTEROP / "native" / "credit-risk" / "2.1.0"
    assert main(["export", "hf", str(version), "-o", str(readme)]) == 1
    assert "--force" in capsys.readouterr().err
    assert readme.read_bytes() == SENTINEL
    assert main(["export", "hf", str(version), "-o", str(readme), "--force"]) == 0
    assert readme.read_bytes() != SENTINEL
