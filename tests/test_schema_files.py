"""Committed JSON Schemas are fresh, YAML files point editors at them, and the
wheel carries the schemas, templates, rubric and scaffold the package reads."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mlcards.commands.schemagen import schema_documents, write_schemas

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")
KIND_OF_FILE = {"card.yaml": "card", "evaluation.yaml": "evaluation",
                "readiness.yaml": "readiness", "mlcards.yaml": "registry"}
REGEN = "regenerate with: mlcards schema -o {}"


@pytest.mark.parametrize("folder", ["schemas", "site_example/schemas"])
def test_committed_schemas_match_the_models(folder: str, tmp_path: Path) -> None:
    written = write_schemas(tmp_path / "fresh")
    fresh = {p.name: p.read_text(encoding="utf-8") for p in written}
    committed = {p.name: p.read_text(encoding="utf-8")
                 for p in sorted((ROOT / folder).glob("*.json"))}
    assert sorted(committed) == sorted(fresh), REGEN.format(folder)
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert stale == [], REGEN.format(folder)


def test_schema_documents_are_json_with_ids() -> None:
    docs = schema_documents()
    for name in ("card", "evaluation", "readiness", "registry"):
        schema = json.loads(docs[f"{name}.schema.json"])
        assert schema["$id"].endswith(f"/{name}.schema.json")
        assert schema["additionalProperties"] is False
    assert schema_documents() == docs  # deterministic


def _yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.yaml") if p.name in KIND_OF_FILE)


@pytest.mark.parametrize("root", ["site_example", "mlcards/scaffold"])
def test_every_yaml_file_names_its_schema_for_editors(root: str, tmp_path: Path) -> None:
    base = ROOT / root
    if root == "mlcards/scaffold":  # `mlcards init` writes schemas/ beside the scaffold
        write_schemas(tmp_path / "schemas")
        schemas_dir = tmp_path / "schemas"
    else:
        schemas_dir = base / "schemas"
    files = _yaml_files(base)
    assert len(files) >= 4
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = SCHEMA_LINE.match(first)
        assert match, f"{path}: first line must be '# yaml-language-server: $schema=...'"
        target = (path.parent / match.group(1)).resolve()
        rel = target.relative_to((base / "schemas").resolve())
        assert rel.as_posix() == f"{KIND_OF_FILE[path.name]}.schema.json", path
        assert (schemas_dir / rel).is_file(), path


def test_wheel_carries_templates_schemas_rubric_and_scaffold(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheels = list(tmp_path.glob("mlcards-*.whl"))
    assert len(wheels) == 1
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    for path in sorted((ROOT / "schemas").glob("*.json")):
        assert f"mlcards/schemas/{path.name}" in names
    templates = [p.relative_to(ROOT / "templates").as_posix()
                 for p in (ROOT / "templates").rglob("*.j2")]
    assert templates, "templates/ has no Jinja templates"
    for rel in templates:
        assert f"mlcards/templates/{rel}" in names
    assert "mlcards/validate/ml_test_score.yaml" in names
    for rel in ("mlcards.yaml", "models/example-model/0.1.0/card.yaml"):
        assert f"mlcards/scaffold/{rel}" in names
    assert "mlcards/cli.py" in names
    assert not any(n.startswith(("tests/", "site_example/")) for n in names)
