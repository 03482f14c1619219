"""`mlcards verify SCORECARD.json DIR`: an auditor re-checks a download against the registry."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_readiness_fixtures import standard_registry

from mlcards.compute.provenance import self_hash
from mlcards.compute.scorecard_data import scorecard_json
from mlcards.render.context import BuildContext
from mlcards.render.environment import make_environment
from mlcards.render.scorecard import version_scorecard
from mlcards.validate.registry import load_registry

if TYPE_CHECKING:  # tests/browser/conftest.py would shadow it at run time
    from cli_result import CliResult

V11 = "models/alpha/1.1.0"


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[Path, Path]:
    """(registry root, a freshly built scorecard.json of alpha 1.1.0 outside it)."""
    root = standard_registry(tmp_path / "registry")
    registry = load_registry(root)
    ctx = BuildContext(registry, make_environment(), revision="r1")
    card = version_scorecard(ctx, registry.versions()[1])
    assert card is not None
    out = tmp_path / "download" / "scorecard.json"
    out.parent.mkdir()
    out.write_bytes(scorecard_json(card))  # the bytes the site's producer writes
    return root, out


def differs(result: CliResult) -> list[str]:
    return [line.strip() for line in result.out.splitlines() if "DIFFERS" in line]


def test_accepts_a_fresh_scorecard(run_cli: Callable[..., CliResult],
                                   fresh: tuple[Path, Path]) -> None:
    root, card = fresh
    result = run_cli("verify", card, root)
    assert result.code == 0, result.out
    assert differs(result) == []
    assert f"ok      {V11}/reports/schema-check.txt: sha256 matches" in result.out
    assert "ok      score: final 2 of 7, level (1, 2]" in result.out
    assert result.out.rstrip().endswith("verified: the scorecard matches the registry")


def test_rejects_when_one_byte_of_an_input_changed(run_cli: Callable[..., CliResult],
                                                   fresh: tuple[Path, Path]) -> None:
    root, card = fresh
    evidence = root / V11 / "reports/schema-check.txt"
    data = bytearray(evidence.read_bytes())
    data[0] ^= 0x01
    evidence.write_bytes(bytes(data))
    result = run_cli("verify", card, root)
    assert result.code == 1
    assert differs(result)[0].startswith(f"DIFFERS {V11}/reports/schema-check.txt: recorded ")
    assert "NOT verified" in result.out


def test_rejects_a_changed_score_in_the_registry(run_cli: Callable[..., CliResult],
                                                 fresh: tuple[Path, Path]) -> None:
    root, card = fresh
    path = root / V11 / "readiness.yaml"
    path.write_text(path.read_text().replace("status: automated", "status: manual", 1))
    result = run_cli("verify", card, root)
    assert result.code == 1
    lines = differs(result)
    assert f"DIFFERS {V11}/readiness.yaml" in lines[0]
    assert "DIFFERS test data-1: recorded automated (1), registry manual (0.5)" in lines
    assert "DIFFERS section data: recorded 2.0, registry 1.5" in lines
    assert any(line.startswith("DIFFERS score: recorded final 2 level (1, 2], registry final "
                               "1.5 level (1, 2]") for line in lines)


def test_rejects_a_tampered_scorecard(run_cli: Callable[..., CliResult],
                                      fresh: tuple[Path, Path]) -> None:
    root, card = fresh
    doc = json.loads(card.read_text())
    doc["final_score"] = 5
    card.write_text(json.dumps(doc, indent=2))
    result = run_cli("verify", card, root)
    assert result.code == 1
    lines = differs(result)
    assert lines[0].startswith("DIFFERS sha256 of the canonical JSON: recorded ")
    assert any(line.startswith("DIFFERS score: recorded final 5") for line in lines)


def test_rejects_a_tampered_scorecard_even_when_its_hash_was_recomputed(
        run_cli: Callable[..., CliResult], fresh: tuple[Path, Path]) -> None:
    root, card = fresh
    doc = json.loads(card.read_text())
    doc["tests"][0]["note"] = "Checked by an auditor."
    doc["approver"]["name"] = "Someone Else"
    doc["sha256"] = self_hash(doc)
    card.write_text(json.dumps(doc))
    result = run_cli("verify", card, root)
    assert result.code == 1
    assert "ok      sha256 of the canonical JSON" in result.out
    assert sorted(differs(result)) == ["DIFFERS approver: differs from what the registry gives",
                                       "DIFFERS test data-1: note differ"]


def test_reports_a_model_version_missing_from_the_registry(
        run_cli: Callable[..., CliResult], fresh: tuple[Path, Path]) -> None:
    root, card = fresh
    (root / V11 / "readiness.yaml").unlink()
    result = run_cli("verify", card, root)
    assert result.code == 1
    assert "DIFFERS model version: alpha 1.1.0 has no readiness.yaml" in differs(result)


def test_a_file_that_is_not_a_scorecard_is_a_located_error(
        run_cli: Callable[..., CliResult], fresh: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = fresh
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "schema_version": 1,\n  "final_score": "high"\n')
    result = run_cli("verify", broken, root)
    assert result.code == 1
    assert "broken.json:4:1: (file): not valid JSON" in result.err
    broken.write_text('{\n  "schema_version": 1,\n  "final_score": "high"\n}\n')
    result = run_cli("verify", broken, root)
    assert result.code == 1
    assert "broken.json:3:18: final_score: Input should be a valid number" in result.err
    assert "broken.json:1:1: model: required field 'model' is missing" in result.err
