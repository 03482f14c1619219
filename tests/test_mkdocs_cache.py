"""The MkDocs stage's page cache (mlcards.incremental.mkdocs_cache): a warm build takes
every unchanged page from the cache, and after any sequence of changes the site is
byte-identical to a --no-cache build, with MkDocs' warnings and --strict unchanged."""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_result import CliResult
from test_mkdocs_parallel import broken_link
from test_perf_equivalence import hashes, small_registry

from mlcards.incremental.cache import BLOB
from mlcards.incremental.mkdocs_cache import KIND
from mlcards.incremental.mkdocs_page import CACHE_COUNT
from mlcards.incremental.mkdocs_site import KEPT_COUNT
from mlcards.incremental.mkdocs_site import KIND as SITE_KIND
from mlcards.render.environment import builtin_templates_dir

Run = Callable[..., CliResult]


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    return small_registry(tmp_path / "registry", models=3)


def cached_build(run_cli: Run, registry: Path, out: Path, cache: Path, workers: int = 1,
                 *args: str | Path, code: int = 0) -> tuple[CliResult, dict[str, Any]]:
    report = out.with_suffix(".json")
    result = run_cli("build", registry, "-o", out, "-q", "--workers", str(workers),
                     "--cache-dir", cache, "--timings-json", report, *args)
    assert result.code == code, result.err
    return result, json.loads(report.read_text()) if report.exists() else {}


def clean_build(run_cli: Run, registry: Path, out: Path, *args: str | Path,
                code: int = 0) -> CliResult:
    result = run_cli("build", registry, "-o", out, "-q", "--no-cache", *args)
    assert result.code == code, result.err
    return result


def forget_sites(cache: Path) -> None:
    """Drop the kept whole sites (mkdocs_site): the next build runs MkDocs, whose page
    cache these tests are about."""
    shutil.rmtree(cache / SITE_KIND, ignore_errors=True)


def page_count(site: dict[str, str]) -> int:
    return sum(1 for path in site if path.endswith("index.html") and path != "404.html")


def test_warm_build_takes_every_page_from_the_cache(registry: Path, tmp_path: Path,
                                                    run_cli: Run) -> None:
    cache = tmp_path / "cache"
    _, cold = cached_build(run_cli, registry, tmp_path / "cold", cache, 2)
    assert CACHE_COUNT not in cold["counts"]
    forget_sites(cache)
    _, warm = cached_build(run_cli, registry, tmp_path / "warm", cache, 1)
    clean_build(run_cli, registry, tmp_path / "clean")
    site = hashes(tmp_path / "clean")
    assert hashes(tmp_path / "warm") == hashes(tmp_path / "cold") == site
    assert warm["counts"][CACHE_COUNT] == page_count(site)  # nav pages too


def test_kept_pages_give_the_same_warnings_and_strict_result(registry: Path, tmp_path: Path,
                                                             run_cli: Run) -> None:
    broken_link(registry)
    cache = tmp_path / "cache"
    cold, _ = cached_build(run_cli, registry, tmp_path / "cold", cache)
    forget_sites(cache)
    warm, timings = cached_build(run_cli, registry, tmp_path / "warm", cache, 2)
    assert timings["counts"][CACHE_COUNT] > 4
    assert "'no-such-page.md'" in warm.err and "'#no-such-anchor'" in warm.err
    assert warm.err == cold.err
    strict, _ = cached_build(run_cli, registry, tmp_path / "strict", cache, 1, "--strict",
                             code=1)
    plain = clean_build(run_cli, registry, tmp_path / "plain", "--strict", code=1)
    assert "Aborted with" in strict.err and strict.err == plain.err
    assert not (tmp_path / "strict").exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "swapped"])
def test_damaged_page_entries_are_misses(registry: Path, tmp_path: Path, run_cli: Run,
                                         damage: str) -> None:
    cache = tmp_path / "cache"
    cached_build(run_cli, registry, tmp_path / "cold", cache, 2)
    entries = sorted(p for p in (cache / KIND).rglob("*") if p.is_file())
    pages_html = sorted(p for p in (cache / BLOB).rglob("*")
                        if p.is_file() and p.read_bytes().lstrip().startswith(b"<!doctype html>"))
    assert entries and pages_html
    for group in (entries, pages_html):
        contents = [p.read_bytes() for p in group]
        for i, path in enumerate(group):
            path.write_bytes({"garbage": os.urandom(max(1, len(contents[i]) // 3)),
                              "truncated": contents[i][: len(contents[i]) // 2],
                              "empty": b"",
                              "swapped": contents[(i + 1) % len(contents)]}[damage])
    cached_build(run_cli, registry, tmp_path / "out", cache, 2)
    clean_build(run_cli, registry, tmp_path / "clean")
    assert hashes(tmp_path / "out") == hashes(tmp_path / "clean")


# --------------------------------------------------------------------------- changes


def edit_card(root: Path, rng: random.Random) -> str:
    card = rng.choice(sorted(root.glob("models/*/*/card.yaml")))
    doc = yaml.safe_load(card.read_text(encoding="utf-8"))
    doc["model_details"]["description"] += f" Edited {rng.randrange(10**6)}."
    card.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return f"edit {card.relative_to(root)}"


def set_version(folder: Path) -> None:
    """The card in `folder` names the folder's version."""
    card = folder / "card.yaml"
    doc = yaml.safe_load(card.read_text(encoding="utf-8"))
    doc["model_details"]["version"] = folder.name
    card.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def add_version(root: Path, rng: random.Random) -> str:
    model = rng.choice(sorted(root.glob("models/*")))
    source = sorted(model.iterdir())[-1]
    new = model / f"2.{rng.randrange(100)}.0"
    if new.exists():
        return "none"
    shutil.copytree(source, new)
    set_version(new)
    return f"add {new.relative_to(root)}"


def delete_version(root: Path, rng: random.Random) -> str:
    models = [m for m in sorted(root.glob("models/*")) if len(list(m.iterdir())) > 1]
    if not models:
        return "none"
    version = sorted(rng.choice(models).iterdir())[-1]
    shutil.rmtree(version)
    return f"delete {version.relative_to(root)}"


def rename_version(root: Path, rng: random.Random) -> str:
    version = rng.choice(sorted(root.glob("models/*/*")))
    new = version.with_name(version.name.replace(".0", ".7", 1))
    if new.exists() or new == version:
        return "none"
    version.rename(new)
    set_version(new)
    return f"rename {version.relative_to(root)} -> {new.name}"


def link_to_a_later_version(root: Path, rng: random.Random) -> str:
    """Every version page links to model-0000's version 2.0.0, which does not exist
    yet: when it appears, the HTML of the other models' pages (and MkDocs' warnings)
    change, though their Markdown does not."""
    override = root / "templates" / "partials"
    override.mkdir(parents=True, exist_ok=True)
    builtin = builtin_templates_dir() / "partials" / "about_card.md.j2"
    (override / "about_card.md.j2").write_text(
        builtin.read_text(encoding="utf-8") + "\n[later](../../model-0000/2.0.0/index.md)\n",
        encoding="utf-8")
    config = root / "mlcards.yaml"
    if "templates:" not in config.read_text(encoding="utf-8"):
        config.write_text(config.read_text(encoding="utf-8") + "templates: templates\n",
                          encoding="utf-8")
    return "template links to model-0000/2.0.0"


def add_2_0_0(root: Path, rng: random.Random) -> str:
    model = root / "models" / "model-0000"
    if (model / "2.0.0").exists():
        return "none"
    shutil.copytree(sorted(model.iterdir())[0], model / "2.0.0")
    set_version(model / "2.0.0")
    return f"add {model.name}/2.0.0"


def retitle(root: Path, rng: random.Random) -> str:
    config = root / "mlcards.yaml"
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    doc["title"] = f"Registry {rng.randrange(1000)}"
    config.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return "config: new site title"


CHANGES = (edit_card, edit_card, add_version, delete_version, rename_version, add_2_0_0)


@pytest.mark.parametrize("seed", [1, 2])
def test_after_any_changes_the_site_is_that_of_a_clean_build(tmp_path: Path, run_cli: Run,
                                                             seed: int) -> None:
    """A random sequence of edits, additions, deletions and renames of versions, with a
    template change and a config change in it; each build is compared with a clean one."""
    rng = random.Random(seed)
    root = small_registry(tmp_path / "registry", models=3)
    cache = tmp_path / "cache"
    cached_build(run_cli, root, tmp_path / "site-0", cache, 2)
    shutil.copytree(root, tmp_path / "registry-0")
    steps: list[Callable[[Path, random.Random], str]] = [
        rng.choice(CHANGES) for _ in range(4)]
    link_at = rng.randrange(len(steps) + 1)
    steps.insert(link_at, link_to_a_later_version)
    steps.insert(rng.randrange(link_at + 1, len(steps) + 1), add_2_0_0)  # after the link
    steps.insert(rng.randrange(len(steps) + 1), retitle)
    for n, change in enumerate(steps, start=1):
        what = change(root, rng)
        out, clean = tmp_path / f"site-{n}", tmp_path / f"clean-{n}"
        result, timings = cached_build(run_cli, root, out, cache, rng.choice([1, 2]))
        clean_result = clean_build(run_cli, root, clean)
        assert hashes(out) == hashes(clean), f"step {n}: {what}"
        assert result.err == clean_result.err, f"step {n}: {what}"
        kept = timings["counts"].get(CACHE_COUNT, 0)
        if change is retitle:  # a site-wide input: no page is kept
            assert kept == 0, what
        elif what != "none":
            assert 0 < kept < page_count(hashes(clean)), what
        shutil.rmtree(clean)
    # every change undone: the first build's whole site, from the cache (mkdocs_site)
    shutil.rmtree(root)
    shutil.copytree(tmp_path / "registry-0", root)
    result, timings = cached_build(run_cli, root, out, cache, rng.choice([1, 2]))
    clean_result = clean_build(run_cli, root, tmp_path / "clean-0")
    assert hashes(out) == hashes(tmp_path / "clean-0") == hashes(tmp_path / "site-0")
    assert result.err == clean_result.err
    assert timings["counts"][KEPT_COUNT] == 1 and CACHE_COUNT not in timings["counts"]
