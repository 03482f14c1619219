"""Provenance of downloads: canonical JSON, self hash, source revision (never the clock)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from test_readiness_fixtures import standard_registry

from mlcards.compute.provenance import (
    canonical_json,
    git_revision,
    seal,
    self_hash,
    source_revision,
)
from mlcards.render.context import BuildContext
from mlcards.render.environment import make_environment
from mlcards.render.scorecard import version_scorecard
from mlcards.validate.registry import load_registry


def test_canonical_json_sorts_keys_drops_whitespace_and_integral_fractions() -> None:
    assert canonical_json({"b": 1.0, "a": [0.5, 2.0, True, None], "é": "ü"}) == \
        '{"a":[0.5,2,true,null],"b":1,"é":"ü"}'.encode()


def test_the_self_hash_is_recomputable_with_plain_json_and_hashlib() -> None:
    doc = seal({"final_score": 2.0, "tests": [{"id": "x", "points": 0.5}], "sha256": "old"})
    body = {k: v for k, v in doc.items() if k != "sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert doc["sha256"] == hashlib.sha256(text.encode()).hexdigest() == self_hash(doc)


def test_revision_given_wins_and_no_git_means_none(tmp_path: Path) -> None:
    assert source_revision(tmp_path, "v1.2") == "v1.2"
    assert source_revision(tmp_path, None) is None


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c",
                           "user.email=t@example.com", *args], check=True,
                          capture_output=True, text=True).stdout.strip()


def test_a_registry_in_a_git_checkout_records_head(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed for this test")
    root = standard_registry(tmp_path / "repo")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "registry")
    head = git(root, "rev-parse", "HEAD")
    assert git_revision(root.resolve()) == head
    registry = load_registry(root)
    card = version_scorecard(BuildContext(registry, make_environment()), registry.versions()[0])
    assert card is not None and card.provenance.revision == head
    given = BuildContext(registry, make_environment(), revision="release-7")
    card = version_scorecard(given, registry.versions()[0])
    assert card is not None and card.provenance.revision == "release-7"
