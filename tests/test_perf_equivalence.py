"""Cached, uncached and parallel builds give byte-identical output, and the build
cache misses when an input, a template or mlcards itself changes."""

from __future__ import annotations

import hashlib
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from cli_result import CliResult

import mlcards
from mlcards.incremental.cache import Cache
from mlcards.incremental.layer import configured
from mlcards.incremental.parse import cached_parse
from mlcards.render.environment import builtin_templates_dir

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from make_registry import make_registry  # noqa: E402

Run = Callable[..., CliResult]


def small_registry(root: Path, models: int = 2) -> Path:
    """A benchmark registry cut to one metric (fewer plots: a fast test)."""
    make_registry(root, models, 2, seed=3)
    for path in root.glob("models/*/*/evaluation.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        keep = {"accuracy"}
        doc["metrics"] = [m for m in doc["metrics"] if m["name"] in keep]
        doc["results"] = [r for r in doc["results"] if r["metric"] in keep]
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    for model in root.glob("models/*"):  # a model keeps its task and tags across versions
        first = yaml.safe_load((model / "1.0.0" / "card.yaml").read_text(encoding="utf-8"))
        for card in model.glob("*/card.yaml"):
            doc = yaml.safe_load(card.read_text(encoding="utf-8"))
            doc["tags"] = first["tags"]
            doc["model_details"]["task"] = first["model_details"]["task"]
            card.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return root


def hashes(site: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file of a build (the build marker aside)."""
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file() and p.name != ".mlcards-build"}


def build(run_cli: Run, registry: Path, out: Path, *args: str | Path) -> dict[str, str]:
    result = run_cli("build", registry, "-o", out, "-q", *args)
    assert result.code == 0, result.err
    return hashes(out)


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    return small_registry(tmp_path / "registry")


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return small_registry(tmp_path / "registry", models=1)


def test_cache_and_workers_do_not_change_output(registry: Path, tmp_path: Path,
                                                run_cli: Run) -> None:
    cache = tmp_path / "cache"
    plain = build(run_cli, registry, tmp_path / "a", "--docs-only", "--no-cache",
                  "--workers", "1")
    parallel = build(run_cli, registry, tmp_path / "b", "--docs-only", "--no-cache",
                     "--workers", "2")
    cold = build(run_cli, registry, tmp_path / "c", "--docs-only", "--cache-dir", cache,
                 "--workers", "1")
    assert any((cache / "manifest").rglob("*")), "the cold build stored nothing"
    warm = build(run_cli, registry, tmp_path / "d", "--docs-only", "--cache-dir", cache,
                 "--workers", "2")
    assert len(plain) > 30 and any(p.endswith(".svg") for p in plain)
    assert any(p.endswith("scorecard.pdf") for p in plain)
    assert parallel == plain
    assert cold == plain
    assert warm == plain


def test_full_build_with_warm_cache_matches_uncached(registry: Path, tmp_path: Path,
                                                     run_cli: Run) -> None:
    cache = tmp_path / "cache"
    build(run_cli, registry, tmp_path / "warmup", "--docs-only", "--cache-dir", cache)
    uncached = build(run_cli, registry, tmp_path / "a", "--no-cache", "--workers", "1")
    cached = build(run_cli, registry, tmp_path / "b", "--cache-dir", cache, "--workers", "2")
    assert any(p.endswith("index.html") for p in uncached)
    assert cached == uncached


def test_default_cache_folder_is_the_user_cache_dir_not_the_registry(
        registry: Path, tmp_path: Path, run_cli: Run, user_cache_dir: Path) -> None:
    run_cli("validate", registry)
    assert not (registry / ".mlcards-cache").exists()
    assert (user_cache_dir / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert any((user_cache_dir / "yaml").rglob("*"))
    result = run_cli("validate", registry, "--no-cache")
    assert result.code == 0


def _change_value(path: Path) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["results"][0]["value"] = round(1 - doc["results"][0]["value"], 4)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def test_cache_misses_when_an_input_changes(registry: Path, tmp_path: Path,
                                            run_cli: Run) -> None:
    cache = tmp_path / "cache"
    before = build(run_cli, registry, tmp_path / "a", "--docs-only", "--cache-dir", cache)
    changed = sorted(registry.glob("models/*/*/evaluation.yaml"))[0]
    _change_value(changed)
    cached = build(run_cli, registry, tmp_path / "b", "--docs-only", "--cache-dir", cache)
    uncached = build(run_cli, registry, tmp_path / "c", "--docs-only", "--no-cache")
    assert cached == uncached
    model, version = changed.parent.parent.name, changed.parent.name
    differ = {p for p in before if before[p] != cached.get(p)}
    assert f"docs/models/{model}/{version}/plots/bars.svg" in differ
    assert f"docs/models/{model}/{version}/index.md" in differ
    other = "model-0001" if model != "model-0001" else "model-0000"
    assert not any(f"/{other}/" in p and "/plots/" in p for p in differ)


def test_cache_misses_when_a_template_changes(tiny: Path, tmp_path: Path,
                                              run_cli: Run) -> None:
    builtin = builtin_templates_dir() / "partials" / "about_card.md.j2"
    override = tiny / "templates" / "partials"
    override.mkdir(parents=True)
    config = tiny / "mlcards.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "templates: templates\n",
                      encoding="utf-8")
    (override / "about_card.md.j2").write_text(builtin.read_text(encoding="utf-8")
                                               + "\nmarker-one\n", encoding="utf-8")
    cache = tmp_path / "cache"
    first = tmp_path / "a"
    build(run_cli, tiny, first, "--docs-only", "--cache-dir", cache)
    page = Path("docs/models/model-0000/1.0.0/index.md")
    assert "marker-one" in (first / page).read_text(encoding="utf-8")
    (override / "about_card.md.j2").write_text(builtin.read_text(encoding="utf-8")
                                               + "\nmarker-two\n", encoding="utf-8")
    second = tmp_path / "b"
    cached = build(run_cli, tiny, second, "--docs-only", "--cache-dir", cache)
    assert "marker-two" in (second / page).read_text(encoding="utf-8")
    assert cached == build(run_cli, tiny, tmp_path / "c", "--docs-only", "--no-cache")


def test_cache_misses_when_mlcards_version_changes(tiny: Path, tmp_path: Path,
                                                   run_cli: Run,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    scorecard = Path("docs/models/model-0000/1.0.0/scorecard.json")
    build(run_cli, tiny, tmp_path / "a", "--docs-only", "--cache-dir", cache)
    assert f'"mlcards_version": "{mlcards.__version__}"' in (
        tmp_path / "a" / scorecard).read_text(encoding="utf-8")
    monkeypatch.setattr(mlcards, "__version__", "99.0.0")
    monkeypatch.setattr("mlcards.compute.provenance.__version__", "99.0.0", raising=False)
    build(run_cli, tiny, tmp_path / "b", "--docs-only", "--cache-dir", cache)
    assert '"mlcards_version": "99.0.0"' in (tmp_path / "b" / scorecard).read_text(
        encoding="utf-8")


def test_parse_cache_keeps_problems_and_skips_parsing(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "card.yaml"
    text = "a: 1\na: 2\nb: [x, y]\n"
    cache = Cache(tmp_path / "cache")
    with configured(cache, 1):
        first = cached_parse(text, path)
        monkeypatch.setattr("mlcards.incremental.parse.parse_yaml", _fail)
        second = cached_parse(text, path)
        changed = text.replace("x", "z")
        with pytest.raises(AssertionError, match="parsed again"):
            cached_parse(changed, path)
    assert second.data == first.data == {"a": 1, "b": ["x", "y"]}
    assert second.problems == first.problems and "duplicate key" in first.problems[0].message


def _fail(text: str, path: Path) -> None:
    raise AssertionError("parsed again")


def test_shared_text_metrics_give_the_same_figures() -> None:
    from mlcards.plots import textcache
    from mlcards.plots.figures import new_figure, pdf_bytes, svg_bytes

    def figure() -> bytes:
        fig = new_figure(3, 2)
        ax = fig.add_subplot()
        ax.set_title("Accuracy by group — région ☂")
        ax.set_xticks([0, 1], ["north", "n=1,250"])
        return svg_bytes(fig) + pdf_bytes(fig)

    textcache._METRICS.clear()
    first = figure()  # measured with FreeType
    assert any("north" in key for key in textcache._METRICS)
    again = figure()  # measured from the shared metrics
    textcache._METRICS.clear()
    assert again == first == figure()


def test_valid_document_cache_locates_later_problems_like_a_cold_load(
        registry: Path, tmp_path: Path, run_cli: Run) -> None:
    """A card that came validated from the cache is parsed again when a cross-file
    check (here: a replacement model that no longer exists) must locate a problem."""
    card = registry / "models" / "model-0000" / "1.0.0" / "card.yaml"
    doc = yaml.safe_load(card.read_text(encoding="utf-8"))
    doc["deprecation"] = {"reason": "superseded", "replaced_by": "model-0001"}
    card.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    cache = tmp_path / "cache"
    assert run_cli("validate", registry, "--cache-dir", cache).code == 0
    assert any((cache / "valid").rglob("*")), "validated documents were not cached"
    shutil.rmtree(registry / "models" / "model-0001")
    warm = run_cli("validate", registry, "--cache-dir", cache)
    cold = run_cli("validate", registry, "--no-cache")
    assert warm.code == cold.code == 1
    line = next(i for i, text in enumerate(card.read_text(encoding="utf-8").splitlines(), 1)
                if "replaced_by" in text)
    assert f"card.yaml:{line}:" in warm.err and "model-0001" in warm.err
    assert warm.err == cold.err


def test_valid_document_cache_validates_a_changed_file_again(
        registry: Path, tmp_path: Path, run_cli: Run) -> None:
    cache = tmp_path / "cache"
    assert run_cli("validate", registry, "--cache-dir", cache).code == 0
    card = registry / "models" / "model-0000" / "1.0.0" / "card.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("status: approved",
                                                             "status: shipped"),
                    encoding="utf-8")
    warm = run_cli("validate", registry, "--cache-dir", cache)
    assert warm.code == 1 and "card.yaml:2:" in warm.err and "status" in warm.err


def test_registry_wide_pages_come_from_the_cache_until_a_model_changes(
        registry: Path, tmp_path: Path, run_cli: Run) -> None:
    cache = tmp_path / "cache"
    first = build(run_cli, registry, tmp_path / "a", "--docs-only", "--cache-dir", cache)
    again = run_cli("build", registry, "-o", tmp_path / "b", "--docs-only", "--cache-dir",
                    cache, "--timings")
    assert again.code == 0 and "cached registry " in again.err
    assert hashes(tmp_path / "b") == first
    card = registry / "models" / "model-0001" / "1.0.0" / "card.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("name: Model 0001",
                                                             "name: Renamed Model"),
                    encoding="utf-8")
    cached = build(run_cli, registry, tmp_path / "c", "--docs-only", "--cache-dir", cache)
    uncached = build(run_cli, registry, tmp_path / "d", "--docs-only", "--no-cache")
    assert cached == uncached
    differ = {p for p in first if first[p] != cached.get(p)}
    assert {"docs/registry.json", "docs/readiness/index.md",
            "docs/readiness/readiness.csv"} <= differ


def test_warm_load_keeps_evaluations_packed_until_asked(registry: Path,
                                                        tmp_path: Path) -> None:
    from mlcards.incremental.documents import StoredEvaluation
    from mlcards.validate.registry import load_registry

    cache = Cache(tmp_path / "cache")
    with configured(None, 1):
        cold = load_registry(registry)
    with configured(cache, 1):
        load_registry(registry)
        warm = load_registry(registry)
    pairs = list(zip(cold.versions(), warm.versions(), strict=True))
    assert all(isinstance(w.stored_evaluation, StoredEvaluation) for _, w in pairs)
    assert [c.evaluation_summary for c, _ in pairs] == [w.evaluation_summary for _, w in pairs]
    assert all(isinstance(w.stored_evaluation, StoredEvaluation) for _, w in pairs), \
        "reading the summaries unpacked an evaluation"
    assert [c.evaluation for c, _ in pairs] == [w.evaluation for _, w in pairs]
    assert not any(isinstance(w.stored_evaluation, StoredEvaluation) for _, w in pairs)


def test_warm_cache_needs_no_parsing_from_another_working_folder(
        registry: Path, tmp_path: Path, run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsed entries are keyed by the working folder (problems name files relative to
    it); validated ones are not, so a warm cache used from elsewhere parses nothing."""
    from mlcards.incremental.parse import prefetch

    cache = tmp_path / "cache"
    assert run_cli("validate", registry, "--cache-dir", cache).code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr("mlcards.incremental.parse.parse_yaml", _fail)
    with configured(Cache(cache), 2):
        assert prefetch(registry) == 0
        assert run_cli("validate", registry, "--cache-dir", cache, "--workers", "1").code == 0
