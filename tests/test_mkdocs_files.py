"""A rebuild links the previous site's unchanged downloads instead of copying them
(mlcards.incremental.mkdocs_files): only files that are safe to share are linked, the
site is byte-identical to a --no-cache build, and a failed build leaves the old site
as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from test_mkdocs_cache import Run, cached_build, clean_build
from test_mkdocs_parallel import broken_link
from test_perf_equivalence import hashes, small_registry

from mlcards.incremental.mkdocs_files import PreviousSite


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    return small_registry(tmp_path / "registry", models=2)


def inodes(site: Path) -> dict[str, int]:
    """Relative path -> inode of every download (the files MkDocs copies)."""
    return {p.relative_to(site).as_posix(): p.stat().st_ino for p in site.rglob("*")
            if p.is_file() and p.suffix in {".svg", ".pdf", ".json", ".csv"}
            and p.name != "search_index.json"}


def change_first_model(registry: Path) -> str:
    """Change one result of the first model's first version; return that version's
    site folder."""
    path = sorted(registry.glob("models/*/*/evaluation.yaml"))[0]
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["results"][0]["value"] = round(1 - doc["results"][0]["value"], 4)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path.parent.relative_to(registry).as_posix()


def test_unchanged_downloads_are_linked_and_the_site_is_a_clean_builds(
        registry: Path, tmp_path: Path, run_cli: Run) -> None:
    cache, out = tmp_path / "cache", tmp_path / "site"
    cached_build(run_cli, registry, out, cache, 2)
    before = inodes(out)
    changed = change_first_model(registry)
    cached_build(run_cli, registry, out, cache, 2)
    after = inodes(out)
    other = sorted(registry.glob("models/*"))[1].relative_to(registry).as_posix()
    kept = [p for p in after if p.startswith(other + "/")]  # the other model's downloads
    assert len(kept) > 10 and [p for p in kept if after[p] != before[p]] == []  # linked
    plots = [p for p in after if p.startswith(changed + "/plots/")]
    assert plots and any(after[p] != before[p] for p in plots)  # the changed plots are new
    assert all(p.stat().st_nlink == 1 for p in out.rglob("*") if p.is_file())
    clean_build(run_cli, registry, tmp_path / "clean")
    assert hashes(out) == hashes(tmp_path / "clean")


def test_a_failed_rebuild_leaves_the_old_site_as_it_was(registry: Path, tmp_path: Path,
                                                       run_cli: Run) -> None:
    cache, out = tmp_path / "cache", tmp_path / "site"
    cached_build(run_cli, registry, out, cache, 2)
    before, stamps = hashes(out), inodes(out)
    change_first_model(registry)
    broken_link(registry)  # MkDocs warns; --strict fails the build after it wrote the site
    result, _ = cached_build(run_cli, registry, out, cache, 2, "--strict", code=1)
    assert "MkDocs build failed" in result.err
    assert hashes(out) == before and inodes(out) == stamps
    assert all(p.stat().st_nlink == 1 for p in out.rglob("*") if p.is_file())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == []


@pytest.fixture
def sites(tmp_path: Path) -> tuple[Path, Path]:
    """A previous site holding plots/a.svg and a docs file with the same bytes."""
    old, docs = tmp_path / "old", tmp_path / "docs"
    (old / "plots").mkdir(parents=True)
    docs.mkdir()
    (old / "plots" / "a.svg").write_bytes(b"<svg>same</svg>")
    (docs / "a.svg").write_bytes(b"<svg>same</svg>")
    return old, docs


def lend(old: Path, docs: Path, rel: str = "plots/a.svg") -> bool:
    return PreviousSite(old).lendable(rel, (docs / "a.svg").read_bytes()) is not None


def test_a_same_file_is_lent(sites: tuple[Path, Path], tmp_path: Path) -> None:
    old, docs = sites
    assert lend(old, docs)
    dest = tmp_path / "new.svg"
    assert PreviousSite(old).link("plots/a.svg", (docs / "a.svg").read_bytes(), str(dest))
    assert dest.stat().st_ino == (old / "plots" / "a.svg").stat().st_ino


@pytest.mark.parametrize("edit", ["other bytes", "missing", "symlink", "second name",
                                  "mode", "folder elsewhere"])
def test_a_file_not_safe_to_share_is_copied(sites: tuple[Path, Path], tmp_path: Path,
                                            edit: str) -> None:
    old, docs = sites
    target = old / "plots" / "a.svg"
    if edit == "other bytes":  # same size, other bytes
        target.write_bytes(b"<svg>SAME</svg>")
    elif edit == "missing":
        target.unlink()
    elif edit == "symlink":
        target.unlink()
        target.symlink_to(docs / "a.svg")
    elif edit == "second name":  # sharing it would tie the new site to another file
        os.link(target, tmp_path / "elsewhere.svg")
    elif edit == "mode":  # a copy would get the default mode
        target.chmod(0o600)
    else:
        outside = tmp_path / "outside"
        (old / "plots").rename(outside)
        (old / "plots").symlink_to(outside)
    assert not lend(old, docs)
    assert not PreviousSite(old).link("plots/a.svg", (docs / "a.svg").read_bytes(),
                                      str(tmp_path / "new.svg"))
    assert not (tmp_path / "new.svg").exists()
