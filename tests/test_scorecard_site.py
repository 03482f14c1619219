"""End to end: `mlcards build` publishes the scorecards, their downloads and the overview."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from test_readiness_fixtures import standard_registry

if TYPE_CHECKING:  # tests/browser/conftest.py would shadow it at run time
    from cli_result import CliResult


def test_build_publishes_scorecards_and_downloads_that_verify(
        run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    root = standard_registry(tmp_path / "registry")
    site = tmp_path / "site"
    result = run_cli("build", root, "-o", site, "--strict", "--revision", "abc123")
    assert result.code == 0, result.err
    version = site / "models/alpha/1.1.0"
    html = (version / "scorecard/index.html").read_text()
    assert "Readiness scorecard: Alpha model 1.1.0" in html
    assert 'href="../scorecard.pdf"' in html and 'src="../plots/readiness-sections.svg"' in html
    assert (version / "scorecard.pdf").read_bytes().startswith(b"%PDF")
    assert (version / "plots/readiness-sections.svg").read_bytes().startswith(b"<?xml")
    doc = json.loads((version / "scorecard.json").read_text())
    assert doc["provenance"]["revision"] == "abc123"
    assert (site / "readiness/readiness.csv").read_text().startswith("model_id,model_name,")
    assert "ML readiness: 2 of 7" in (version / "index.html").read_text()
    assert "Alpha model" in (site / "readiness/index.html").read_text()
    verified = run_cli("verify", version / "scorecard.json", root)
    assert verified.code == 0, verified.out
