"""A hostile build cache runs no code and changes no output.

A registry is edited by many teams through pull requests, and CI restores its build
cache from a shared store. These tests plant pickles that would run a command when
unpickled (they create a marker file), garbage, truncated and forged entries, and
check that every build still succeeds, runs nothing, and writes the same bytes as a
`--no-cache` build.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from cli_result import CliResult

from mlcards.errors import Problem
from mlcards.incremental.cache import BLOB, MAGIC, Cache
from mlcards.incremental.codec import CodecError, decode, encode

Run = Callable[..., CliResult]
PACKAGE = Path(__file__).resolve().parent.parent / "mlcards"


class _RunsCommand:
    """Unpickling this creates `marker` (what an attacker's cache entry would do)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def _entries(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in (".gitignore", "CACHEDIR.TAG"):
            yield path


def _site(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _build(run_cli: Run, registry: Path, out: Path, *args: str | Path,
           docs_only: bool = True) -> dict[str, str]:
    result = run_cli("build", registry, "-o", out, *(["--docs-only"] if docs_only else []),
                     *args)
    assert result.code == 0, result.err
    return _site(out)


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "attacker-ran-code"


@pytest.fixture
def payload(marker: Path) -> bytes:
    data = pickle.dumps(_RunsCommand(marker))
    pickle.loads(data)  # the payload works: unpickling it does run the command
    assert marker.exists()
    marker.unlink()
    return data


@pytest.fixture
def warm_cache(example_registry: Path, tmp_path: Path, run_cli: Run) -> Path:
    """A cache folder filled by one build of the example registry."""
    cache = tmp_path / "cache"
    _build(run_cli, example_registry, tmp_path / "first", "--cache-dir", cache)
    assert len(list(_entries(cache))) > 50
    return cache


@pytest.fixture
def clean_site(example_registry: Path, tmp_path: Path, run_cli: Run) -> dict[str, str]:
    return _build(run_cli, example_registry, tmp_path / "clean", "--no-cache")


def test_cache_committed_inside_the_registry_is_ignored_with_a_warning(
        example_registry: Path, warm_cache: Path, tmp_path: Path, run_cli: Run,
        payload: bytes, marker: Path, clean_site: dict[str, str]) -> None:
    planted = example_registry / ".mlcards-cache"
    shutil.copytree(warm_cache, planted)
    for path in _entries(planted):
        path.write_bytes(payload)
    result = run_cli("build", example_registry, "-o", tmp_path / "out", "--docs-only")
    assert result.code == 0, result.err
    assert ".mlcards-cache: ignored" in result.err
    assert not marker.exists()
    assert _site(tmp_path / "out") == clean_site
    assert run_cli("validate", example_registry).code == 0
    assert not marker.exists()


@pytest.mark.parametrize("sealed", [False, True], ids=["raw", "in-a-valid-envelope"])
def test_crafted_entry_for_every_key_runs_no_code(
        example_registry: Path, warm_cache: Path, tmp_path: Path, run_cli: Run,
        payload: bytes, marker: Path, clean_site: dict[str, str], sealed: bool) -> None:
    for path in _entries(warm_cache):
        kind, key = path.parent.parent.name, path.name
        data = payload
        if sealed and kind != BLOB:  # what a forger who knows the format would write
            head = f"{kind}\n{key}\n".encode()
            data = MAGIC + hashlib.sha256(head + payload).digest() + payload
        path.write_bytes(data)
    planted = tmp_path / "planted"
    shutil.copytree(warm_cache, planted)
    assert _build(run_cli, example_registry, tmp_path / "out", "--cache-dir",
                  warm_cache) == clean_site
    assert run_cli("validate", example_registry, "--cache-dir", warm_cache).code == 0
    # the whole site too, from the same planted entries (MkDocs' tree links cached files)
    assert _build(run_cli, example_registry, tmp_path / "site", "--cache-dir", planted,
                  docs_only=False) == _build(run_cli, example_registry, tmp_path / "plain",
                                             "--no-cache", docs_only=False)
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "swapped"])
def test_damaged_cache_gives_the_same_site_as_no_cache(
        example_registry: Path, warm_cache: Path, tmp_path: Path, run_cli: Run,
        clean_site: dict[str, str], damage: str) -> None:
    entries = list(_entries(warm_cache))
    contents = [p.read_bytes() for p in entries]
    for i, path in enumerate(entries):
        data = contents[i]
        path.write_bytes({
            "garbage": os.urandom(max(1, len(data) // 3)),
            "truncated": data[: len(data) // 2],
            "empty": b"",
            "swapped": contents[(i + 1) % len(contents)],  # another key's entry
        }[damage])
    assert _build(run_cli, example_registry, tmp_path / "out", "--cache-dir",
                  warm_cache) == clean_site
    # the damaged entries were replaced: the next build is served from the cache
    again = run_cli("build", example_registry, "-o", tmp_path / "again", "--docs-only",
                    "--cache-dir", warm_cache, "--timings")
    assert "cached valid documents" in again.err
    assert _site(tmp_path / "again") == clean_site


@pytest.mark.parametrize("docs_only", [True, False], ids=["docs-tree", "mkdocs-site"])
def test_damaged_cached_file_is_made_again(
        example_registry: Path, warm_cache: Path, tmp_path: Path, run_cli: Run,
        docs_only: bool) -> None:
    """Only a cached page's bytes are damaged (its manifest is intact): found when the
    file is written or linked, the build runs again and the bundle is made anew."""
    args = ("--docs-only",) if docs_only else ()
    clean = run_cli("build", example_registry, "-o", tmp_path / "clean", "--no-cache", *args)
    assert clean.code == 0, clean.err
    blobs = list(_entries(warm_cache / BLOB))
    for path in blobs[: len(blobs) // 2]:
        path.write_bytes(path.read_bytes() + b"<script>alert(1)</script>")
    result = run_cli("build", example_registry, "-o", tmp_path / "out", "--cache-dir",
                     warm_cache, *args)
    assert result.code == 0, result.err
    assert "is damaged; building again" in result.err
    assert _site(tmp_path / "out") == _site(tmp_path / "clean")


def test_forged_entry_is_refused_when_the_cache_has_a_secret(
        example_registry: Path, tmp_path: Path, run_cli: Run,
        monkeypatch: pytest.MonkeyPatch, clean_site: dict[str, str]) -> None:
    monkeypatch.setenv("MLCARDS_CACHE_SECRET", "only-trusted-ci-knows-this")
    cache = tmp_path / "cache"
    _build(run_cli, example_registry, tmp_path / "first", "--cache-dir", cache)
    forged = 0
    for path in _entries(cache / "summary"):  # plain text shown on the home page
        head = f"summary\n{path.name}\n".encode()
        text = b"<b>forged</b>"
        path.write_bytes(MAGIC + hashlib.sha256(head + text).digest() + text)
        forged += 1
    assert forged
    assert _build(run_cli, example_registry, tmp_path / "out", "--cache-dir",
                  cache) == clean_site


def test_every_result_of_a_build_is_stored_as_plain_data(example_registry: Path,
                                                          tmp_path: Path) -> None:
    """The codec knows every type a build stores (else its warm builds would quietly
    redo that work), and a warm build then makes nothing again."""
    from mlcards.incremental.layer import configured
    from mlcards.site.build import BuildOptions, build_site

    cache = Cache(tmp_path / "cache")
    with configured(cache, 1):
        build_site(example_registry, tmp_path / "a", BuildOptions(docs_only=True))
    assert cache.unstorable == []
    warm = Cache(tmp_path / "cache")
    with configured(warm, 1):
        build_site(example_registry, tmp_path / "b", BuildOptions(docs_only=True))
    assert warm.misses == 0 and warm.rejected == 0 and warm.hits > 0
    assert _site(tmp_path / "a") == _site(tmp_path / "b")


def test_secret_seals_entries_so_another_secret_misses(tmp_path: Path) -> None:
    Cache(tmp_path, secret=b"a").put("k", "ab12", b"payload")
    assert Cache(tmp_path, secret=b"a").get("k", "ab12") == b"payload"
    other = Cache(tmp_path, secret=b"b")
    assert other.get("k", "ab12") is None and other.rejected == 1


def test_cache_dir_inside_the_registry_is_refused(example_registry: Path, tmp_path: Path,
                                                  run_cli: Run) -> None:
    result = run_cli("build", example_registry, "-o", tmp_path / "out",
                     "--cache-dir", example_registry / "cache")
    assert result.code != 0
    assert "lies inside the registry" in result.err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- codec


def test_codec_round_trips_yaml_data_and_allowed_types() -> None:
    value = {
        "when": dt.date(2026, 1, 2), "at": dt.datetime(2026, 1, 2, 3, 4, 5,
                                                        tzinfo=dt.UTC),
        "$": "a key that looks like a tag", 1: "int key", None: [1.5, float("inf")],
        "set": {"a", "b"}, "bytes": b"\x00\xff", "tuple": (1, ("x", 2)),
        "problem": Problem("f.yaml", 3, 4, "a.b", "expected x"),
        "array": np.arange(6, dtype=np.float64).reshape(2, 3),
    }
    back = decode(encode(value))
    array = back.pop("array")
    assert np.array_equal(array, value.pop("array")) and array.shape == (2, 3)
    assert back == value
    assert isinstance(back["tuple"][1], tuple)


@pytest.mark.parametrize("entry", [
    b'{"$":"dc","c":"os:system","v":{}}',
    b'{"$":"dc","c":"subprocess:Popen","v":{"args":"touch x"}}',
    b'{"$":"model","c":"pydantic:BaseModel","v":{}}',
    b'{"$":"dc","c":"mlcards.errors:Problem","v":{"file":"f"}}',
    b'{"$":"nd","dtype":"|O","shape":[1],"v":"AAAAAAAAAAA="}',
    b'{"$":"no-such-tag","v":1}',
    b'{"$":"map","v":[[[1],2]]}',
    b'\x80\x04\x95',
    b'{"unterminated": ',
])
def test_codec_refuses_what_it_did_not_write(entry: bytes) -> None:
    with pytest.raises(CodecError):
        decode(entry)


def test_codec_refuses_to_store_arbitrary_objects() -> None:
    with pytest.raises(CodecError):
        encode(_RunsCommand(Path("x")))
    with pytest.raises(CodecError):
        encode(np.array([object()]))


def test_package_never_deserialises_with_a_format_that_runs_code() -> None:
    """No pickle/marshal loads or unsafe YAML anywhere in mlcards, except the in-memory
    hand-over of rendered pages from the build's own forked MkDocs workers."""
    in_memory = {"mkdocs_parallel.py"}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            owner = node.value.id if isinstance(node.value, ast.Name) else ""
            call = f"{owner}.{node.attr}"
            unsafe = call in ("pickle.loads", "pickle.load", "marshal.loads", "marshal.load",
                              "yaml.unsafe_load", "yaml.load", "yaml.full_load",
                              "shelve.open", "dill.loads")
            allowed = path.name in in_memory and call == "pickle.loads"
            if unsafe and not allowed:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {call}")
    assert found == []


def test_a_lent_blob_is_checked_where_it_is_read(tmp_path: Path) -> None:
    """A docs-tree file linked to a cache blob unread (`Cache.link_blob`) is checked
    against its key when the build reads it, or at the end when nothing did; a damaged
    one (same size, one byte changed) stops the build with DamagedCacheFile."""
    from mlcards.incremental.bundles import DamagedCacheFile, check_unread, read_docs_file

    store = Cache(tmp_path / "cache")
    key = store.put_blob(b"<svg>plot</svg>")
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("read.svg", "unread.svg", "intact.svg"):
        assert store.link_blob(key, str(docs / name))
    assert read_docs_file(store, str(docs / "read.svg")) == (b"<svg>plot</svg>", key)
    assert read_docs_file(store, str(docs / "read.svg"))[1] is None  # checked once
    fresh = docs / "fresh.svg"
    fresh.write_bytes(b"made now")
    assert read_docs_file(store, str(fresh)) == (b"made now", None)
    (docs / "sub").mkdir()
    assert store.link_blob(key, str(docs / "sub" / ".." / "relative.svg"))
    relative = os.path.relpath(docs / "relative.svg")  # another spelling of the name
    assert read_docs_file(store, relative) == (b"<svg>plot</svg>", key)
    check_unread(store)  # intact: nothing raised
    assert store.lent == {}
    for name in ("a.svg", "b.svg"):
        assert store.link_blob(key, str(docs / name))
    Path(store.location(BLOB, key)).write_bytes(b"<svg>plot</svG>")
    with pytest.raises(DamagedCacheFile):
        read_docs_file(store, str(docs / "a.svg"))
    with pytest.raises(DamagedCacheFile):
        check_unread(store)


@pytest.mark.parametrize("kind", ["download", "page"])
def test_a_same_size_damaged_docs_file_is_made_again(
        example_registry: Path, warm_cache: Path, tmp_path: Path, run_cli: Run,
        kind: str) -> None:
    """A cached plot or page Markdown with one byte changed (its size kept) is found
    when MkDocs reads it from the cache; the build runs again and makes it anew."""
    clean = run_cli("build", example_registry, "-o", tmp_path / "clean", "--no-cache")
    assert clean.code == 0, clean.err
    heads = (b"<?xml", b"<svg") if kind == "download" else (b"---\n",)
    damaged = 0
    for path in _entries(warm_cache / BLOB):
        data = path.read_bytes()
        if data.startswith(heads):
            path.write_bytes(data[:-2] + (b"X" if data[-2:-1] != b"X" else b"Y") + data[-1:])
            damaged += 1
    assert damaged
    result = run_cli("build", example_registry, "-o", tmp_path / "out", "--cache-dir",
                     warm_cache)
    assert result.code == 0, result.err
    assert "is damaged; building again" in result.err
    assert _site(tmp_path / "out") == _site(tmp_path / "clean")
