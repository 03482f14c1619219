"""MkDocs reads the cache's docs files in place (mlcards.incremental.mkdocs_blobs): the
files come out in the order MkDocs' own walk of a whole docs tree gives, and the site
is the same as a build from a tree on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.structure.files import File, Files, get_files
from test_mkdocs_cache import Run, cached_build, clean_build
from test_perf_equivalence import hashes, small_registry

from mlcards.incremental.bundles import CachedFile
from mlcards.incremental.cache import BLOB, Cache
from mlcards.incremental.mkdocs_blobs import COUNT, BlobDocs, dest_uri, to_write, walk_order
from mlcards.outputs import OutputFile

PATHS = ["index.md", "b.md", "A.md", "a.md", "a-b/x.md", "a/b.md", "a/index.md", "a/z.svg",
         "a b/c.md", "_x/y.md", "a/index.htm", "models/m1/index.md", "models/m1.md",
         "models/m10/index.md", "models/m1/1.0.0/index.md", "models/m1/1.0.0/plots/p.svg",
         "models/m1/1.0.0/scorecard.pdf", "models/m1/1.0.0/scorecard/index.md",
         "models/m1/2.0.0/index.md", "models/index.md", "tags/index.md", "z/index.md",
         "z/a.md", "readiness/index.md", "stylesheets/x.css", "javascripts/y.js",
         "assets/images/favicon.png"]


def _config(root: Path, docs: str = "docs"):  # type: ignore[no-untyped-def]
    (root / docs).mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(f"site_name: t\ndocs_dir: {docs}\ntheme: material\n",
                                     encoding="utf-8")
    return load_config(config_file=str(root / "mkdocs.yml"), site_dir=str(root / "site"))


def _files_of(config) -> Files:  # type: ignore[no-untyped-def]
    """What MkDocs' build has before the first `on_files`: the walk, then the theme's."""
    files = get_files(config)
    files.add_files_from_theme(config.theme.get_env(), config)
    return files


def _write(docs: Path, paths: list[str]) -> None:
    for path in paths:
        (docs / path).parent.mkdir(parents=True, exist_ok=True)
        (docs / path).write_text(f"# {path}\n", encoding="utf-8")


def test_walk_order_is_get_files_order(tmp_path: Path) -> None:
    config = _config(tmp_path)
    _write(tmp_path / "docs", PATHS)
    walked = [f.src_uri for f in get_files(config)]
    assert sorted(walked) == sorted(PATHS)
    assert sorted(PATHS, key=walk_order) == walked


@pytest.mark.parametrize("split", [0, 1, 2], ids=["even-on-disk", "odd-on-disk", "all-blobs"])
def test_blob_files_come_where_the_walk_puts_them(tmp_path: Path, split: int) -> None:
    whole = _config(tmp_path / "whole")
    theme_file = next(f.src_uri for f in _files_of(whole) if f.src_dir != whole.docs_dir)
    paths = [*PATHS, theme_file]  # a docs file where the theme has one: the docs' wins
    _write(tmp_path / "whole" / "docs", paths)
    expected = [(f.src_uri, f.src_dir == whole.docs_dir) for f in _files_of(whole)]
    assert (theme_file, True) in expected and (theme_file, False) not in expected

    cache = Cache(tmp_path / "cache")
    on_disk = [p for i, p in enumerate(paths) if split < 2 and i % 2 == split]
    blobs = [(p, cache.put_blob(f"# {p}\n".encode())) for p in paths if p not in on_disk]
    config = _config(tmp_path / "part")
    _write(tmp_path / "part" / "docs", on_disk)
    files = BlobDocs(cache, blobs).on_files(_files_of(config), config=config)
    assert [(f.src_uri, f.src_dir == config.docs_dir) for f in files] == expected
    for path, key in blobs:
        file = files.get_file_from_path(path)
        assert file is not None and file.abs_src_path == cache.location(BLOB, key)
        assert file.content_bytes == f"# {path}\n".encode() and file.generated_by is None
        assert file.edit_uri == path  # as for a file of the docs folder


@pytest.mark.parametrize("pair", [("README.md", "index.md"), ("index.md", "index.html"),
                                  ("a.md", "a.markdown"), ("a.md", "a.html"),
                                  ("a.md", "a/index.html")])
def test_files_written_to_one_place_stay_on_disk(tmp_path: Path,
                                                  pair: tuple[str, str]) -> None:
    """MkDocs' walk decides which of two files of a folder that would be written to
    one place the site keeps (`a.md` and `a/index.html` are in two folders: no
    conflict for the walk, both stay blobs)."""
    cache = Cache(tmp_path / "cache")
    paths = [f"docs/{pair[0]}", f"docs/{pair[1]}", "docs/plot.svg", "other/index.md"]
    files: list[OutputFile] = [CachedFile(p, cache, cache.put_blob(p.encode()))
                               for p in paths]
    files.append(OutputFile.text("fresh.md", "# new\n"))
    written, blobs = to_write(files)
    if "/" in pair[1]:
        assert [f.path for f in written] == ["fresh.md"]
    else:
        assert [f.path for f in written] == [*paths[:3], "fresh.md"]
        assert [p for p, _ in blobs] == ["other/index.md"]


def test_dest_uri_is_mkdocs_own() -> None:
    for path in [*PATHS, "README.md", "x/README.markdown", "x/a.markdown", "x/a.html"]:
        for urls in (True, False):
            assert dest_uri(path, urls) == File(path, "/docs", "/site", urls).dest_uri, path


def test_a_rebuild_reads_the_cache_in_place(tmp_path: Path, run_cli: Run) -> None:
    registry = small_registry(tmp_path / "registry", models=2)
    cache, out = tmp_path / "cache", tmp_path / "site"
    _, cold = cached_build(run_cli, registry, out, cache, 2)
    assert cold["counts"][COUNT] > 0  # a cold build's made files are blobs already
    card = sorted(registry.glob("models/*/1.1.0/card.yaml"))[0]
    card.write_text(card.read_text(encoding="utf-8").replace(
        "  description: ", "  description: Changed. ", 1), encoding="utf-8")
    _, warm = cached_build(run_cli, registry, out, cache, 1)
    assert warm["counts"][COUNT] > cold["counts"][COUNT] / 2
    clean_build(run_cli, registry, tmp_path / "clean")
    assert hashes(out) == hashes(tmp_path / "clean")


def test_file_order_helper_matches_mkdocs() -> None:
    """walk_order agrees with MkDocs' own `file_sort_key` (which replicates the walk)."""
    from mkdocs.structure.files import file_sort_key

    files = [File(p, "/docs", "/site", True) for p in PATHS]
    assert sorted(PATHS, key=walk_order) == [f.src_uri for f in sorted(files,
                                                                       key=file_sort_key)]
