"""MkDocs' Markdown conversion in worker processes (mlcards.incremental.mkdocs_parallel) changes
neither the site nor MkDocs' warnings, and a page a worker cannot render is
rendered in the main process."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_result import CliResult
from test_perf_equivalence import hashes, small_registry

from mlcards.incremental.mkdocs_cache import KIND
from mlcards.incremental.mkdocs_page import WORKER_COUNT
from mlcards.incremental.mkdocs_site import KIND as SITE_KIND
from mlcards.render.environment import builtin_templates_dir

Run = Callable[..., CliResult]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_registry(tmp_path_factory.mktemp("parallel") / "registry")


def build(run_cli: Run, registry: Path, out: Path, workers: int, *args: str | Path,
          code: int = 0) -> tuple[CliResult, dict[str, Any]]:
    """One build (plots from a shared cache, pages and sites not: they are rendered);
    its result and its timings."""
    shutil.rmtree(registry.parent / "cache" / KIND, ignore_errors=True)
    shutil.rmtree(registry.parent / "cache" / SITE_KIND, ignore_errors=True)
    report = out.with_suffix(".json")
    result = run_cli("build", registry, "-o", out, "-q", "--workers", str(workers),
                     "--cache-dir", registry.parent / "cache", "--timings-json", report,
                     *args)
    assert result.code == code, result.err
    return result, json.loads(report.read_text()) if report.exists() else {}


def test_workers_give_the_same_site(registry: Path, tmp_path: Path, run_cli: Run) -> None:
    _, serial = build(run_cli, registry, tmp_path / "a", 1)
    _, parallel = build(run_cli, registry, tmp_path / "b", 2)
    one, two = hashes(tmp_path / "a"), hashes(tmp_path / "b")
    for name in ("index.html", "search/search_index.json", "sitemap.xml", "sitemap.xml.gz",
                 "models/model-0000/1.0.0/index.html"):
        assert name in one, name
    assert two == one
    assert WORKER_COUNT not in serial["counts"]
    pages = sum(1 for p in one if p.endswith("index.html") and p.startswith("models/"))
    assert parallel["counts"][WORKER_COUNT] == pages - 1  # all but models/index.md (in nav)


def broken_link(registry: Path) -> None:
    """Every version page links to a page that does not exist and to an anchor that
    does not exist (MkDocs warnings from the render and from the anchor check)."""
    override = registry / "templates" / "partials"
    override.mkdir(parents=True, exist_ok=True)
    builtin = builtin_templates_dir() / "partials" / "about_card.md.j2"
    links = "[gone](no-such-page.md) [nowhere](scorecard.md#no-such-anchor)"
    (override / "about_card.md.j2").write_text(
        builtin.read_text(encoding="utf-8") + f"\n{links}\n", encoding="utf-8")
    config = registry / "mlcards.yaml"
    text = config.read_text(encoding="utf-8")
    if "templates:" not in text:
        config.write_text(text + "templates: templates\n", encoding="utf-8")


def test_page_warnings_and_strict_are_the_same(registry: Path, tmp_path: Path,
                                               run_cli: Run) -> None:
    broken_link(registry)
    try:
        serial, _ = build(run_cli, registry, tmp_path / "a", 1)
        parallel, timings = build(run_cli, registry, tmp_path / "b", 2)
        assert timings["counts"][WORKER_COUNT] > 4
        assert parallel.err == serial.err
        lines = parallel.err.splitlines()
        assert len(lines) >= 4, parallel.err
        card = "model-0000/1.0.0/card.yaml:1:1: page models/model-0000/1.0.0/index.md: "
        assert any(card in line and "'no-such-page.md'" in line and
                   "mkdocs: warning: Doc file" in line for line in lines), parallel.err
        assert any(card in line and "does not contain an anchor '#no-such-anchor'" in line
                   for line in lines), parallel.err
        assert hashes(tmp_path / "a") == hashes(tmp_path / "b")

        strict_serial, _ = build(run_cli, registry, tmp_path / "c", 1, "--strict", code=1)
        strict, _ = build(run_cli, registry, tmp_path / "d", 2, "--strict", code=1)
        assert "MkDocs build failed: Aborted with" in strict.err
        assert strict.err == strict_serial.err
        assert not (tmp_path / "d").exists()
    finally:
        (registry / "templates" / "partials" / "about_card.md.j2").unlink()
        config = registry / "mlcards.yaml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            "templates: templates\n", ""), encoding="utf-8")


def test_a_page_a_worker_cannot_render_is_rendered_here(
        registry: Path, tmp_path: Path, run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs.structure.pages import Page

    main_pid = os.getpid()
    render = Page.render

    def fails_in_workers(self: Page, config: Any, files: Any) -> None:
        if os.getpid() != main_pid:
            raise RuntimeError("worker failure")
        render(self, config, files)

    build(run_cli, registry, tmp_path / "a", 1)
    monkeypatch.setattr(Page, "render", fails_in_workers)
    _, parallel = build(run_cli, registry, tmp_path / "b", 2)
    assert WORKER_COUNT not in parallel["counts"]
    assert hashes(tmp_path / "b") == hashes(tmp_path / "a")
