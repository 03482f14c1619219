"""Worker processes that make bundles drop what each bundle memoised, keep what the
parent memoised before forking, and give the same files as making them here; a few
bundles of several stages share one pool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_mkdocs_cache import Run, cached_build
from test_perf_equivalence import hashes, small_registry

from mlcards.incremental import bundles
from mlcards.incremental.bundles import Bundle, _forgetting, _pool_results, run_bundle
from mlcards.incremental.layer import configured
from mlcards.render.context import REGISTRY, registry_wide


def test_forgetting_drops_only_what_was_added_inside() -> None:
    memo: dict[Any, Any] = {("score", "a"): 1, ("score", "b"): 2}
    with _forgetting(memo):
        memo[("slots", "a")] = "x"
        memo[("score", "a")] = 10  # a replaced value keeps its place
        memo[("slots", "b")] = "y"
    assert memo == {("score", "a"): 10, ("score", "b"): 2}


def test_forgetting_keeps_the_entries_named_lasting() -> None:
    memo: dict[Any, Any] = {}
    with _forgetting(memo, registry_wide):
        memo[("slots", "m/1.0.0")] = "x"
        memo[("tag_anchors", REGISTRY.key)] = {"fraud": "fraud"}
        memo[("history.as_of", REGISTRY.key)] = "2026-01-01"
    assert memo == {("tag_anchors", REGISTRY.key): {"fraud": "fraud"},
                    ("history.as_of", REGISTRY.key): "2026-01-01"}


def test_forgetting_drops_additions_when_the_bundle_fails() -> None:
    memo: dict[Any, Any] = {"kept": 1}
    with pytest.raises(RuntimeError), _forgetting(memo):
        memo["added"] = 2
        raise RuntimeError("template error")
    assert memo == {"kept": 1}


def test_forgetting_without_a_memo_is_a_no_op() -> None:
    with _forgetting(None):
        pass


def _counting_bundles(memo: dict[Any, Any], count: int) -> list[Bundle]:
    """Bundles whose file is the memo's size when they start, then add to it."""
    def make(i: int) -> dict[str, bytes]:
        seen = len(memo)
        memo[("slots", i)] = "x" * 1000
        return {f"out/{i}.txt": str(seen).encode()}

    return [Bundle("pages", None, (f"out/{i}.txt",), lambda i=i: make(i), "render", memo)
            for i in range(count)]


def test_each_bundle_in_a_worker_sees_only_the_parents_memo() -> None:
    assert bundles._can_fork()  # Linux CI: the pool path is the one under test
    memo: dict[Any, Any] = {("score", "parent"): 1}
    jobs = _counting_bundles(memo, 60)  # several bundles per worker and chunk
    results = _pool_results(jobs, 2)
    assert [r[f"out/{i}.txt"] for i, r in enumerate(results)] == [b"1"] * 60
    assert memo == {("score", "parent"): 1}  # workers never write the parent's memo


def test_a_worker_makes_a_registry_wide_result_once_for_all_its_bundles() -> None:
    """What every bundle needs alike (e.g. the tag anchors) is made once per worker."""
    memo: dict[Any, Any] = {}

    def make(i: int) -> dict[str, bytes]:
        made = ("tag_anchors", REGISTRY.key) not in memo
        memo.setdefault(("tag_anchors", REGISTRY.key), "anchors")
        memo[("slots", i)] = "x"
        return {f"out/{i}.txt": b"made" if made else b"kept"}

    jobs = [Bundle("pages", None, (f"out/{i}.txt",), lambda i=i: make(i), "render", memo,
                   registry_wide) for i in range(60)]
    made = [r[f"out/{i}.txt"] for i, r in enumerate(_pool_results(jobs, 2))]
    assert 1 <= made.count(b"made") <= 2  # once in each worker that got work
    assert made.count(b"kept") >= 58


def test_in_this_process_the_memo_keeps_growing() -> None:
    """The serial path (one worker) keeps its memo: later bundles may reuse it."""
    memo: dict[Any, Any] = {}
    outputs = [run_bundle(b) for b in _counting_bundles(memo, 3)]
    assert [o[f"out/{i}.txt"] for i, o in enumerate(outputs)] == [b"0", b"1", b"2"]
    assert len(memo) == 3


def _stage_bundles(plots: int, pages: int) -> list[Bundle]:
    def make(path: str) -> dict[str, bytes]:
        return {path: path.encode()}

    return ([Bundle("pages", None, (f"p/{i}",), lambda i=i: make(f"p/{i}"), "render")
             for i in range(pages)]
            + [Bundle("plots", None, (f"s/{i}",), lambda i=i: make(f"s/{i}"), "plots")
               for i in range(plots)])


def test_a_few_bundles_of_two_stages_share_one_pool_plots_first() -> None:
    jobs = _stage_bundles(plots=1, pages=6)
    with configured(None, 2):
        batches = bundles._batches(jobs)
    assert [(stage, [b.stage for b in batch]) for stage, batch in batches] == [
        ("render", ["plots"] + ["render"] * 6)]


@pytest.mark.parametrize(("workers", "plots", "pages"), [(1, 1, 6), (2, 10, 10), (2, 3, 0)])
def test_otherwise_each_stage_is_a_batch_of_its_own(workers: int, plots: int,
                                                    pages: int) -> None:
    jobs = _stage_bundles(plots, pages)
    with configured(None, workers):
        batches = bundles._batches(jobs)
    expected = [(s, n) for s, n in (("plots", plots), ("render", pages)) if n]
    assert [(stage, len(batch)) for stage, batch in batches] == expected
    assert all(b.stage == stage for stage, batch in batches for b in batch)


def test_resolving_in_one_pool_or_stage_by_stage_gives_the_same_files(
        tmp_path: Path, run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small registry's cold build takes the shared pool; with the limit at 0 it
    goes stage by stage; the sites are the same, byte for byte."""
    registry = small_registry(tmp_path / "registry", models=2)
    counts = []
    for name, limit in (("shared", bundles.SHARED_POOL_LIMIT), ("staged", 0)):
        monkeypatch.setattr(bundles, "SHARED_POOL_LIMIT", limit)
        _, report = cached_build(run_cli, registry, tmp_path / name, tmp_path / f"c-{name}", 2)
        assert ("plots" in report["seconds"]) == (name == "staged")
        counts.append((report["counts"]["made plots bundles"],
                       report["counts"]["made render bundles"]))
    assert counts[0] == counts[1] and counts[0][0] >= 4  # 4 versions' plots, at least
    assert hashes(tmp_path / "shared") == hashes(tmp_path / "staged")
