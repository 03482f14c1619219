"""Small registries written into tmp_path for the readiness, scorecard, check and
verify tests (imported by those modules; its own test checks the writer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mlcards.validate.registry import load_registry

ALL_BUILTIN = {
    "data": [f"data-{i}" for i in range(1, 8)],
    "model": [f"model-{i}" for i in range(1, 8)],
    "infra": [f"infra-{i}" for i in range(1, 8)],
    "monitor": [f"monitor-{i}" for i in range(1, 8)],
}


def write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return path


def card(model_id: str, version: str, status: str = "draft") -> dict[str, Any]:
    return {
        "schema_version": 1,
        "status": status,
        "model_details": {
            "id": model_id, "name": f"{model_id.title()} model", "version": version,
            "date": "2026-01-15", "description": "A test model.",
            "task": "binary-classification",
            "owners": [{"name": "Ada Owner", "email": "ada@example.com"}],
        },
    }


def readiness(tests: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"schema_version": 1, "rubric": "ml-test-score",
            "assessor": {"name": "Grace Assessor", "role": "ML lead"},
            "date": "2026-02-01", **extra, "tests": tests}


def make_registry(root: Path, models: dict[str, dict[str, tuple[str, dict[str, Any] | None]]],
                  *, min_readiness: float = 1.0, config: dict[str, Any] | None = None) -> Path:
    """models: id -> version -> (card status, readiness document or None)."""
    write_yaml(root / "mlcards.yaml", {"schema_version": 1, "title": "Test registry",
                                       "policy": {"min_readiness": min_readiness},
                                       **(config or {})})
    for model_id, versions in models.items():
        for version, (status, ready) in versions.items():
            folder = root / "models" / model_id / version
            write_yaml(folder / "card.yaml", card(model_id, version, status))
            if ready is not None:
                write_yaml(folder / "readiness.yaml", ready)
    return root


def statuses(status: str, ids: list[str]) -> dict[str, Any]:
    return {i: {"status": status} for i in ids}


def standard_registry(root: Path) -> Path:
    """Two models: 'alpha' (1.0.0 approved at 0.5, 1.1.0 approved at 2) and a draft 'beta'."""
    evidence = root / "models" / "alpha" / "1.1.0" / "reports" / "schema-check.txt"
    evidence.parent.mkdir(parents=True, exist_ok=True)
    evidence.write_text("schema check passed\n", "utf-8")
    v1 = {"data-1": {"status": "manual"}, "model-1": {"status": "manual"},
          "infra-1": {"status": "manual"}, "monitor-1": {"status": "automated"}}
    v2: dict[str, Any] = {}
    for ids in ALL_BUILTIN.values():
        v2.update(statuses("automated", ids[:2]))
    v2["data-1"] = {"status": "automated", "owner": "Data team", "last_run": "2026-01-30",
                    "schedule": "every commit", "note": "Checked with **pandera**.",
                    "evidence": [{"kind": "report", "title": "Schema check",
                                  "path": "reports/schema-check.txt"},
                                 {"kind": "ci-run", "url": "https://ci.example.com/runs/1"}]}
    v2["data-5"] = {"status": "not-done", "not_applicable": "No personal data is used."}
    return make_registry(root, {
        "alpha": {"1.0.0": ("approved", readiness(v1)),
                  "1.1.0": ("approved", readiness(v2, approver={"name": "Lin Approver"},
                                                  next_review="2026-08-01",
                                                  supersedes="1.0.0"))},
        "beta": {"0.1.0": ("draft", readiness({}))},
    })


def test_standard_registry_is_valid(tmp_path: Path) -> None:
    reg = load_registry(standard_registry(tmp_path))
    assert [mv.key for mv in reg.versions()] == ["alpha/1.0.0", "alpha/1.1.0", "beta/0.1.0"]


def produce_files(ctx: Any) -> dict[str, bytes]:
    """Run the readiness producers and return path -> bytes. Costly files may come back
    deferred (mlcards.incremental.bundles: made after every producer ran); resolve them here the
    way the site build does."""
    import importlib

    from mlcards.render.scorecard import produce_readiness, readiness_overview

    files = [*produce_readiness(ctx), *readiness_overview(ctx)]
    try:
        deferred = importlib.import_module("mlcards.incremental.bundles")
    except ModuleNotFoundError:
        deferred = None
    if deferred is not None:
        files = deferred.resolve(files)
    return {f.path: f.content for f in files}
