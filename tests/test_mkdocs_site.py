"""A build whose inputs are all the same as a kept build's (mlcards.incremental.mkdocs_site)
does not run MkDocs: the output already holds that site, or the site is written from the
cache, and it is byte-identical to a --no-cache build; anything damaged is a miss."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_mkdocs_cache import Run, cached_build, clean_build
from test_mkdocs_parallel import broken_link
from test_perf_equivalence import hashes, small_registry

from mlcards.incremental.cache import Cache
from mlcards.incremental.mkdocs_page import CACHE_COUNT, WORKER_COUNT
from mlcards.incremental.mkdocs_site import KEPT_COUNT, KIND


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    return small_registry(tmp_path / "registry", models=2)


def manifests(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / KIND).rglob("*") if p.is_file())


def mkdocs_ran(timings: dict[str, object]) -> bool:
    counts = timings["counts"]
    assert isinstance(counts, dict)
    return KEPT_COUNT not in counts or CACHE_COUNT in counts or WORKER_COUNT in counts


def stamps(site: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(site).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in site.rglob("*") if p.is_file()}


def test_no_change_leaves_the_output_as_it_is(registry: Path, tmp_path: Path,
                                              run_cli: Run) -> None:
    cache, out = tmp_path / "cache", tmp_path / "site"
    _, cold = cached_build(run_cli, registry, out, cache, 2)
    assert mkdocs_ran(cold) and len(manifests(cache)) == 1
    before = stamps(out)
    _, warm = cached_build(run_cli, registry, out, cache, 2)
    assert warm["counts"][KEPT_COUNT] == 1 and not mkdocs_ran(warm)
    assert stamps(out) == before  # not one file written again
    clean_build(run_cli, registry, tmp_path / "clean")
    assert hashes(out) == hashes(tmp_path / "clean")


def test_a_fresh_output_folder_is_written_from_the_cache(registry: Path, tmp_path: Path,
                                                         run_cli: Run) -> None:
    """CI: a new checkout, no site folder, the cache folder restored."""
    cache = tmp_path / "cache"
    cached_build(run_cli, registry, tmp_path / "first", cache, 2)
    _, warm = cached_build(run_cli, registry, tmp_path / "second", cache, 1)
    assert warm["counts"][KEPT_COUNT] == 1 and not mkdocs_ran(warm)
    assert (tmp_path / "second" / ".mlcards-build").is_file()
    clean_build(run_cli, registry, tmp_path / "clean")
    assert hashes(tmp_path / "second") == hashes(tmp_path / "clean")


@pytest.mark.parametrize("edit", ["changed", "added", "removed", "link"])
def test_an_output_edited_by_hand_is_replaced(registry: Path, tmp_path: Path, run_cli: Run,
                                             edit: str) -> None:
    cache, out = tmp_path / "cache", tmp_path / "site"
    cached_build(run_cli, registry, out, cache, 2)
    page = next(out.glob("models/*/*/index.html"))
    if edit == "changed":
        page.write_bytes(page.read_bytes().replace(b"<h1", b"<h1 data-x=1", 1))
    elif edit == "added":
        (out / "models" / "notes.txt").write_text("mine\n", encoding="utf-8")
    elif edit == "removed":
        page.unlink()
    else:
        target = tmp_path / "elsewhere.html"
        target.write_bytes(page.read_bytes())
        page.unlink()
        os.symlink(target, page)
    _, warm = cached_build(run_cli, registry, out, cache, 2)
    assert warm["counts"][KEPT_COUNT] == 1 and not mkdocs_ran(warm)
    clean_build(run_cli, registry, tmp_path / "clean")
    assert hashes(out) == hashes(tmp_path / "clean")
    assert not page.is_symlink()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_manifest_or_file_is_a_miss(registry: Path, tmp_path: Path, run_cli: Run,
                                              damage: str) -> None:
    cache = tmp_path / "cache"
    cached_build(run_cli, registry, tmp_path / "first", cache, 2)
    (manifest,) = manifests(cache)
    data = manifest.read_bytes()
    manifest.write_bytes({"garbage": os.urandom(len(data) // 2), "empty": b"",
                          "truncated": data[: len(data) // 2]}[damage])
    _, warm = cached_build(run_cli, registry, tmp_path / "second", cache, 2)
    assert KEPT_COUNT not in warm["counts"] and warm["counts"][CACHE_COUNT] > 0
    clean_build(run_cli, registry, tmp_path / "clean")
    assert hashes(tmp_path / "second") == hashes(tmp_path / "clean")
    # the manifest is whole again; now damage a file of the site (the search index)
    blob = Cache(cache).location("blob", _blob_of(tmp_path / "second" / "search"
                                                  / "search_index.json"))
    Path(blob).write_bytes(b"{}")
    _, third = cached_build(run_cli, registry, tmp_path / "third", cache, 2)
    assert third["counts"][KEPT_COUNT] == 1 and mkdocs_ran(third)  # found, unusable
    assert hashes(tmp_path / "third") == hashes(tmp_path / "clean")


def _blob_of(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_kept_site_reports_mkdocs_warnings_again(registry: Path, tmp_path: Path,
                                                   run_cli: Run) -> None:
    broken_link(registry)
    cache = tmp_path / "cache"
    cold, _ = cached_build(run_cli, registry, tmp_path / "cold", cache)
    warm, timings = cached_build(run_cli, registry, tmp_path / "warm", cache, 2)
    assert timings["counts"][KEPT_COUNT] == 1 and not mkdocs_ran(timings)
    assert "'no-such-page.md'" in warm.err and warm.err == cold.err
    strict, _ = cached_build(run_cli, registry, tmp_path / "strict", cache, 1, "--strict",
                             code=1)
    assert "Aborted with" in strict.err and not (tmp_path / "strict").exists()


def test_a_manifest_path_leaving_the_site_is_refused(registry: Path, tmp_path: Path,
                                                     run_cli: Run) -> None:
    """Whoever can write the cache folder (without MLCARDS_CACHE_SECRET) could forge a
    manifest; its paths still cannot leave the output folder."""
    cache = tmp_path / "cache"
    cached_build(run_cli, registry, tmp_path / "first", cache, 2)
    (manifest,) = manifests(cache)
    store = Cache(cache)
    key = manifest.name
    site = store.get_object(KIND, key)
    blob = site["files"][0][1]
    site["files"].append(["../escaped.txt", blob, site["files"][0][2]])
    store.put_object(KIND, key, site)
    _, warm = cached_build(run_cli, registry, tmp_path / "second", cache, 2)
    assert KEPT_COUNT not in warm["counts"]
    assert not (tmp_path / "escaped.txt").exists()
    clean_build(run_cli, registry, tmp_path / "clean")
    assert hashes(tmp_path / "second") == hashes(tmp_path / "clean")


def _newest_manifest(cache: Path) -> list[tuple[str, str, int]]:
    """The kept-site manifest the last build wrote."""
    newest = max(manifests(cache), key=lambda p: p.stat().st_mtime_ns)
    return [tuple(f) for f in Cache(cache).get_object(KIND, newest.name)["files"]]


def test_a_rebuild_keeps_the_site_it_wrote(registry: Path, tmp_path: Path,
                                           run_cli: Run) -> None:
    """After one card changed, the site is kept without reading back the pages and
    downloads MkDocs took from the cache: the manifest still holds each file's
    SHA-256 and size, so the next build of the same inputs writes it byte for byte."""
    cache, out = tmp_path / "cache", tmp_path / "site"
    cached_build(run_cli, registry, out, cache, 2)
    card = sorted(registry.glob("models/*/1.1.0/card.yaml"))[0]
    card.write_text(card.read_text(encoding="utf-8").replace(
        "  description: ", "  description: Changed. ", 1), encoding="utf-8")
    _, rebuilt = cached_build(run_cli, registry, out, cache, 2)
    assert mkdocs_ran(rebuilt) and rebuilt["counts"][CACHE_COUNT] > 0
    entries = _newest_manifest(cache)
    assert sorted(p for p, _, _ in entries) == sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    for path, blob, size in entries:
        assert (out / path).stat().st_size == size, path
        assert _blob_of(out / path) == blob, path
    _, fresh = cached_build(run_cli, registry, tmp_path / "fresh", cache, 1)
    assert fresh["counts"][KEPT_COUNT] == 1 and not mkdocs_ran(fresh)
    clean_build(run_cli, registry, tmp_path / "clean")
    assert hashes(tmp_path / "fresh") == hashes(out) == hashes(tmp_path / "clean")


def test_files_known_as_blobs_are_not_read_back(tmp_path: Path) -> None:
    """`keep` takes a written file's blob as noted while the file has the noted size;
    otherwise it reads the file."""
    from mlcards.incremental.mkdocs_site import keep
    from mlcards.reuse import SiteInputs

    store = Cache(tmp_path / "cache")
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    for name, text in (("a/x.txt", b"xxxx"), ("a/y.txt", b"yyyy"), ("z.txt", b"zz")):
        (site / name).write_bytes(text)
    other = store.put_blob(b"1234")  # same size as x.txt and y.txt, other bytes
    inputs = SiteInputs([], "site_name: t\n", "2024-01-01", False)
    keep(store, inputs, site, [], {"a/x.txt": (other, 4), "a/y.txt": (other, 3)})
    (manifest,) = manifests(tmp_path / "cache")
    files = {f[0]: (f[1], f[2]) for f in store.get_object(KIND, manifest.name)["files"]}
    assert files["a/x.txt"] == (other, 4)  # taken as noted, not read
    assert files["a/y.txt"] == (_blob_of(site / "a" / "y.txt"), 4)  # size differs: read
    assert files["z.txt"] == (_blob_of(site / "z.txt"), 2)  # not noted: read
    assert store.get_blob(files["z.txt"][0]) == b"zz"
