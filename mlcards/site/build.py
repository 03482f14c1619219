"""Stage 6, assemble: producers -> docs tree + mkdocs.yml -> MkDocs build -> atomic swap.

`build_site` is the whole pipeline behind `mlcards build`: it loads and validates
the registry (refusing invalid input with the validator's messages), runs every
registered producer in a fixed order, writes the docs tree and a generated
`mkdocs.yml`, runs MkDocs once (mkdocs-material theme) into a temporary folder
next to the output, and only then swaps that folder in. Any failure leaves the
previous output untouched. Output is deterministic: the sitemap's dates come
from SOURCE_DATE_EPOCH, set from `--build-date` or the newest card date.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import os
import shutil
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import jinja2

from mlcards import reuse, timing
from mlcards.render.context import CARD_FRAGMENTS, PRODUCERS, BuildContext, files_of
from mlcards.errors import MlcardsError, display_path
from mlcards.outputs import OutputFile
from mlcards.render.environment import make_environment
from mlcards.reuse import SiteInputs
from mlcards.site.engine import (
    PAGE_TEMPLATES,
    locate,
    mkdocs_config,
    mkdocs_yaml,
    page_sources,
    run_mkdocs,
)
from mlcards.site.trees import remove_tree
from mlcards.render.titles import with_safe_title
from mlcards.validate.registry import Registry, load_registry

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

FEATURE_MODULES = (
    "mlcards.render.scorecard",
    "mlcards.render.evaluation",
    "mlcards.render.history",
    "mlcards.render.checklist",
    "mlcards.render.decision",
    "mlcards.render.registry_index",
    "mlcards.interop.publish",
    "mlcards.render.pages",
)
"""Modules whose import registers producers and card fragments, in run order.
`mlcards.render.pages` comes last so the home and card pages can see which pages
(scorecards, the readiness overview) the other features produced."""

MARKER = ".mlcards-build"
MARKER_TEXT = "Built by `mlcards build`; mlcards replaces this folder on the next build.\n"
PLOT_SUFFIXES = (".svg", ".png", ".pdf")


class Progress(Protocol):
    """Where the pipeline reports what it did (the CLI prints it; tests ignore it)."""

    def stage(self, text: str) -> None: ...

    def counts(self, pages: int, plots: int) -> None: ...

    def warning(self, text: str) -> None: ...


class NoProgress:
    """A Progress that reports nothing."""

    def stage(self, text: str) -> None:
        return None

    def counts(self, pages: int, plots: int) -> None:
        return None

    def warning(self, text: str) -> None:
        return None


@dataclass
class BuildOptions:
    """What `mlcards build` was asked to do."""

    strict: bool = False
    docs_only: bool = False
    revision: str | None = None
    build_date: str | None = None
    progress: Progress = field(default_factory=NoProgress)


@dataclass(frozen=True)
class BuildResult:
    output: Path
    pages: int
    plots: int
    files: int
    warnings: list[str]


# --------------------------------------------------------------------------- produce


def load_features() -> None:
    """Import every feature module (each registers itself) and order the registries."""
    for name in FEATURE_MODULES:
        importlib.import_module(name)
    PRODUCERS.sort(key=_feature_rank)
    CARD_FRAGMENTS.sort(key=_feature_rank)


def _feature_rank(func: Callable[..., Any]) -> int:
    """Position of the function's module in FEATURE_MODULES (others after them).
    list.sort is stable, so functions of one module keep their definition order."""
    module = getattr(func, "__module__", "")
    return FEATURE_MODULES.index(module) if module in FEATURE_MODULES else len(FEATURE_MODULES)


def make_context(registry: Registry, *, revision: str | None = None,
                 build_date: str | None = None) -> BuildContext:
    """The build's one context: registry, the Jinja environment, revision and date."""
    override = registry.root / registry.config.templates if registry.config.templates else None
    env = make_environment(override.resolve() if override else None)
    return BuildContext(registry, env, revision=resolve_revision(registry.root, revision),
                        build_date=build_date or default_build_date(registry))


def resolve_revision(root: Path, given: str | None) -> str | None:
    """The revision given, else git's HEAD when the registry is a git checkout."""
    try:
        from mlcards.compute.provenance import source_revision
    except ImportError:
        return given
    return source_revision(root, given)


def default_build_date(registry: Registry) -> str:
    """The newest release date among the cards (never the clock); 1970-01-01 when empty."""
    dates = [d for mv in registry.versions() if (d := mv.card.model_details.released)]
    return max(dates).isoformat() if dates else "1970-01-01"


def parse_build_date(text: str) -> str:
    """Validate a YYYY-MM-DD date given on the command line."""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise MlcardsError(f"--build-date: expected a date as YYYY-MM-DD, got {text!r}") from exc


def produce(ctx: BuildContext, progress: Progress | None = None) -> list[OutputFile]:
    """Run every producer in order; refuse two producers writing the same path."""
    load_features()
    progress = progress or NoProgress()
    files: dict[str, OutputFile] = {}
    owners: dict[str, str] = {}
    for func in list(PRODUCERS):
        name = producer_name(func)
        for out in _run_producer(func, ctx):
            if out.path in files:
                raise MlcardsError(f"{name} and {owners[out.path]} both write {out.path}")
            _check_path(out.path, name)
            files[out.path] = out if out.made_later else with_safe_title(out)
            owners[out.path] = name
            ctx.produced.add(out.path)
        progress.counts(*count_kinds(files))
    return reuse.active().finish(files[p] for p in sorted(files))  # bundles made later


def producer_name(func: Callable[..., Any]) -> str:
    """`module.function`, as messages and cache keys name a producer."""
    return f"{func.__module__}.{getattr(func, '__name__', '?')}"


def _run_producer(func: Callable[[BuildContext], Iterable[OutputFile]],
                  ctx: BuildContext) -> list[OutputFile]:
    try:
        with timing.stage("render"):
            paths = getattr(func, "whole_registry", None)
            if paths is not None:
                return ctx.bundle("registry", producer_name(func), list(paths),
                                  lambda: files_of(func(ctx)), stage="render")
            return list(func(ctx))
    except Exception as exc:
        message = template_error(exc)
        if message is None:
            raise  # a bug in Python code: keep the traceback
        raise MlcardsError(message) from exc


def template_error(exc: Exception) -> str | None:
    """`templates/x.md.j2:12:1: template: message` for an error raised by a template
    (syntax, undefined variable, or a filter failing), else None."""
    filename = getattr(exc, "filename", None) if isinstance(exc, jinja2.TemplateError) else None
    line = getattr(exc, "lineno", None) if filename else None
    # Jinja rewrites tracebacks so that template frames carry the template's file and line
    in_templates = [f for f in traceback.extract_tb(exc.__traceback__)
                    if f.filename.endswith(".j2")]
    if filename is None and in_templates:
        filename, line = in_templates[-1].filename, in_templates[-1].lineno
    if filename is None:
        return None
    what = exc.message if isinstance(exc, jinja2.TemplateError) else None
    what = what or f"{exc.__class__.__name__}: {exc}"
    return f"{display_path(Path(filename))}:{line or 1}:1: template: {what}"


def _check_path(path: str, producer_name: str) -> None:
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
        raise MlcardsError(f"{producer_name} wrote an invalid docs path {path!r}")


def count_kinds(files: dict[str, OutputFile] | list[OutputFile]) -> tuple[int, int]:
    """(pages, plots) among the produced files."""
    paths = list(files) if isinstance(files, dict) else [f.path for f in files]
    pages = sum(p.endswith(".md") for p in paths)
    plots = sum("/plots/" in f"/{p}" and p.endswith(PLOT_SUFFIXES) for p in paths)
    return pages, plots


# --------------------------------------------------------------------------- write


def write_tree(files: list[OutputFile], config_text: str, root: Path, *,
               link: bool = False) -> None:
    """root/mkdocs.yml and root/docs/<path> for every file given (`link`: MkDocs'
    temporary docs folder may hard-link cached files, see OutputFile.write_to; the
    files MkDocs reads in place are not given, see reuse.docs_to_write)."""
    docs = root / "docs"
    with timing.stage("write"):
        docs.mkdir(parents=True, exist_ok=True)  # MkDocs wants it, even with no file to hold
        folders: set[str] = set()
        for out in files:
            out.write_to(docs / out.path, folders, link=link)
        (root / "mkdocs.yml").write_text(config_text, encoding="utf-8")


# --------------------------------------------------------------------------- build


@dataclass(frozen=True)
class Docs:
    """The docs tree of a build and what MkDocs needs besides (the registry stays
    behind: MkDocs holds every page, so the build lets go of the registry first)."""

    files: list[OutputFile]
    config_text: str
    build_date: str
    sources: dict[str, Path | str]
    """Docs path -> the registry file or template it was made from (for messages)."""


def build_site(registry_root: Path, output: Path, options: BuildOptions | None = None,
               ) -> BuildResult:
    """The whole `mlcards build`: validate, produce, write, MkDocs, swap in atomically."""
    options = options or BuildOptions()
    check_output(registry_root, output)
    docs = make_docs(registry_root, options)
    pages, plots = count_kinds(docs.files)
    if options.docs_only:
        with staging_folder(output) as staged:
            write_tree(docs.files, docs.config_text, staged)
            finish_output(staged, output)
        warnings: list[str] = []
    else:
        warnings = build_with_mkdocs(docs, output, options)
    for message in warnings:
        options.progress.warning(message)
    what = "docs tree and mkdocs.yml" if options.docs_only else "site"
    options.progress.stage(f"wrote {what} to {display_path(output)}")
    return BuildResult(output, pages, plots, len(docs.files), warnings)


def make_docs(registry_root: Path, options: BuildOptions) -> Docs:
    """Load and validate the registry, run every producer, generate mkdocs.yml."""
    progress = options.progress
    with timing.stage("load"):
        registry = load_registry(registry_root)
    for warning in registry.warnings:
        progress.warning(warning.format())
    n_versions = len(registry.versions())
    progress.stage(f"loaded {len(registry.models)} models, {n_versions} versions")
    ctx = make_context(registry, revision=options.revision, build_date=options.build_date)
    files = produce(ctx, progress)
    pages, plots = count_kinds(files)
    progress.stage(f"rendered {pages} pages, {plots} plots, {len(files)} files")
    paths = [f.path for f in files]
    config_text = mkdocs_yaml(mkdocs_config(registry, paths, strict=options.strict))
    assert ctx.build_date is not None
    sources = page_sources(registry, paths, template_files(ctx))
    ctx.memo.clear()
    return Docs(files, config_text, ctx.build_date, sources)


def build_with_mkdocs(docs: Docs, output: Path, options: BuildOptions) -> list[str]:
    """The site at `output`, built by MkDocs (or kept from a build of the very same
    inputs, see `reuse.kept_site`); returns MkDocs' warnings, located."""
    inputs = SiteInputs(docs.files, docs.config_text, docs.build_date, options.strict)
    reuse_point = reuse.active()
    kept = reuse_point.kept_site(inputs)
    if kept is not None and kept.holds(output):
        return locate(kept.messages, docs.sources)  # the output is that site already
    with staging_folder(output) as staged:
        if kept is not None and kept.write_to(staged):
            messages = kept.messages
        else:
            clear_folder(staged)
            messages = run_mkdocs_in(staged, docs, options, previous_build(output))
            (staged / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
            reuse_point.keep_site(inputs, staged, messages)
        finish_output(staged, output)
    return locate(messages, docs.sources)


def previous_build(output: Path) -> Path | None:
    """The site a build into `output` replaces, if `output` holds one."""
    return output.resolve() if (output / MARKER).is_file() else None


def run_mkdocs_in(site: Path, docs: Docs, options: BuildOptions,
                  previous_site: Path | None = None) -> list[str]:
    """Write the docs tree into a temporary folder and run MkDocs on it into `site`
    (replacing `previous_site`, if any)."""
    work = Path(tempfile.mkdtemp(prefix="mlcards-docs-"))
    try:
        write_tree(reuse.active().docs_to_write(docs.files), docs.config_text, work, link=True)
        options.progress.stage("running MkDocs")
        gc.collect()  # the registry's objects: their memory is MkDocs' to reuse
        with timing.stage("mkdocs"):
            return run_mkdocs(work / "mkdocs.yml", site, strict=options.strict,
                              build_date=docs.build_date, sources=docs.sources,
                              previous_site=previous_site)
    finally:
        with timing.stage("swap"):
            remove_tree(work)


def finish_output(staged: Path, output: Path) -> None:
    """Mark the staged folder as a build and swap it in for the output."""
    (staged / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    with timing.stage("swap"):
        swap_in(staged, output)


def clear_folder(folder: Path) -> None:
    """Empty `folder` (a staging folder that a failed write left half full)."""
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def template_files(ctx: BuildContext) -> dict[str, Path | str]:
    """Page template name -> the file it is loaded from (the registry's own or built in)."""
    loader = ctx.env.loader
    assert loader is not None
    out: dict[str, Path | str] = {}
    for name in PAGE_TEMPLATES.values():
        filename = loader.get_source(ctx.env, name)[1]
        if filename:
            out[name] = Path(filename)
    return out


def check_output(registry_root: Path, output: Path) -> None:
    """Refuse outputs whose replacement would destroy something that is not a build."""
    out = output.resolve()
    root = registry_root.resolve()
    if root.is_relative_to(out) or Path.cwd().resolve().is_relative_to(out):
        raise MlcardsError(f"output folder {display_path(output)} would replace the registry "
                           "or the working folder; choose a new folder such as site/")
    if out.exists() and not out.is_dir():
        raise MlcardsError(f"output {display_path(output)} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise MlcardsError(f"refusing to replace {display_path(output)}: it is not empty and "
                           f"was not made by mlcards build (no {MARKER} file); remove it or "
                           "choose another folder")


@contextmanager
def staging_folder(output: Path) -> Iterator[Path]:
    """A fresh folder next to `output` (same file system), removed unless swapped in."""
    parent = output.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{output.name}.building-", dir=parent))
    staged.chmod(0o755)
    try:
        yield staged
    finally:
        if staged.exists():
            remove_tree(staged)


def swap_in(staged: Path, output: Path) -> None:
    """Rename the old output away, the new one in, then delete the old one."""
    out = output.resolve()
    old: Path | None = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        try:
            os.replace(out, old)  # renaming a folder onto an empty folder is allowed
        except BaseException:  # Ctrl-C too: put things back as they were
            _restore(old, out)
            raise
    try:
        os.replace(staged, out)
    except BaseException:
        if old is not None:
            _restore(old, out)
        raise
    if old is not None:
        remove_tree(old)


def _restore(old: Path, out: Path) -> None:
    """After an interrupted rename: an output at `out` again, no `old` folder left."""
    if out.exists():  # `old` is the unused placeholder, or the new output made it in
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(old, out)
