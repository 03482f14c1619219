"""Stage 2, validate: loaded YAML -> typed Registry, or every located problem.

Per-file validation maps pydantic's error locations back to YAML lines through
the positions recorded at load time; cross-file checks follow (folder names,
metric definitions, rubric test ids, file references, the custom JSON Schema).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import jsonschema
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel

from mlcards import reuse
from mlcards.errors import InvalidInput, Problem, display_path
from mlcards.load.junit import JunitError, read_junit
from mlcards.load.yaml import (
    LoadedYaml,
    did_you_mean,
    format_loc,
)
from mlcards.schema import Card, Evaluation, Readiness, RegistryConfig
from mlcards.schema.card import CARD_SECTIONS
from mlcards.schema.evaluation import Predictions, Result
from mlcards.validate.documents import SourceFile, read_document, read_source, validate_document
from mlcards.validate.placeholders import PLACEHOLDERS, placeholder_message
from mlcards.validate.rubric import Rubric, builtin_rubric

CONFIG_FILE = "mlcards.yaml"
MODELS_DIR = "models"
VERSION_FILES: dict[str, type[BaseModel]] = {
    "card.yaml": Card,
    "evaluation.yaml": Evaluation,
    "readiness.yaml": Readiness,
}
VALIDATED_FILES: dict[str, type[BaseModel]] = {CONFIG_FILE: RegistryConfig, **VERSION_FILES}
"""File name -> the model a registry load validates it with (load_document)."""

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class EvaluationSummary:
    """What a build reads of an evaluation.yaml for every version (the registry-wide
    pages, dates, cache keys and cross-file checks), kept apart so that an unchanged
    evaluation need not be loaded whole from the build cache."""

    date: dt.date | None
    predictions: Predictions | None
    defined: tuple[str, ...]
    """Names of the metrics defined in `metrics`."""
    undefined: tuple[tuple[int, str], ...]
    """(index in `results`, metric) of each result whose metric is not defined."""
    headline: tuple[tuple[str, Result], ...]
    """Overall results of the headline metrics (the first metric when none is marked)."""

    @classmethod
    def of(cls, ev: Evaluation) -> EvaluationSummary:
        defined = tuple(m.name for m in ev.metrics)
        names = [m.name for m in ev.metrics if m.headline] or list(defined[:1])
        overall = {r.metric: r for r in ev.results if not r.slice}
        return cls(ev.date, ev.predictions, defined,
                   tuple((i, r.metric) for i, r in enumerate(ev.results)
                         if r.metric not in defined),
                   tuple((name, overall[name]) for name in names if name in overall))


@runtime_checkable
class LazyEvaluation(Protocol):
    """An evaluation known valid, made only when a build needs more than its summary
    (the incremental layer keeps valid evaluations this way)."""

    @property
    def summary(self) -> EvaluationSummary: ...

    def load(self) -> Evaluation: ...


@dataclass
class ModelVersion:
    """One released version of a model: its card and optional companions.

    `evaluation` is loaded on first use when it came from the build cache;
    `has_evaluation` and `evaluation_summary` answer without loading it."""

    model_id: str
    version: str
    folder: Path
    card: Card
    stored_evaluation: Evaluation | LazyEvaluation | None = None
    readiness: Readiness | None = None
    files: dict[str, SourceFile] = field(default_factory=dict)
    _summary: EvaluationSummary | None = field(default=None, repr=False, compare=False)

    @property
    def evaluation(self) -> Evaluation | None:
        ev = self.stored_evaluation
        if ev is not None and not isinstance(ev, Evaluation):
            self._summary = ev.summary
            self.stored_evaluation = ev = ev.load()
        return ev

    @property
    def has_evaluation(self) -> bool:
        return self.stored_evaluation is not None

    @property
    def evaluation_summary(self) -> EvaluationSummary | None:
        if self._summary is None:
            ev = self.stored_evaluation
            if isinstance(ev, Evaluation):
                self._summary = EvaluationSummary.of(ev)
            elif ev is not None:
                self._summary = ev.summary
        return self._summary

    @property
    def key(self) -> str:
        return f"{self.model_id}/{self.version}"

    @property
    def sort_key(self) -> Version:
        return Version(self.version)


@dataclass
class ModelEntry:
    """A model with its versions, oldest first."""

    id: str
    versions: list[ModelVersion]

    @property
    def latest(self) -> ModelVersion:
        return self.versions[-1]

    def previous(self, mv: ModelVersion) -> ModelVersion | None:
        i = self.versions.index(mv)
        return self.versions[i - 1] if i > 0 else None


@dataclass
class Registry:
    """A validated registry folder."""

    root: Path
    config: RegistryConfig
    config_file: SourceFile
    models: list[ModelEntry]
    rubrics: dict[str, Rubric]
    warnings: list[Problem] = field(default_factory=list)
    _by_id: dict[str, ModelEntry] = field(default_factory=dict, repr=False, compare=False)

    def versions(self) -> list[ModelVersion]:
        return [v for m in self.models for v in m.versions]

    def model(self, model_id: str) -> ModelEntry | None:
        """The model with this id (an index by id, rebuilt when the list changed)."""
        index = self._by_id
        if len(index) != len(self.models) or any(
                index.get(m.id) is not m for m in self.models[:1] + self.models[-1:]):
            index = self._by_id = {m.id: m for m in self.models}
        return index.get(model_id)


# --------------------------------------------------------------------------- per file


def load_document(path: Path, model: type[M], problems: list[Problem],
                  ) -> tuple[SourceFile | None, M | LazyEvaluation | None]:
    """read_source + validate_document of one file, a reuse point ("valid"): the
    incremental layer returns a file whose exact bytes validated before unparsed."""
    src, value, found = reuse.active().call("valid", read_document, path, model)
    problems.extend(found)
    return src, value


def load_registry(root: Path, *, strict: bool = False) -> Registry:
    """Load and validate a whole registry; raise InvalidInput with every problem."""
    problems: list[Problem] = []
    registry = _load(root, problems, strict=strict)
    errors = [p for p in problems if p.severity == "error"]
    if errors or registry is None:
        raise InvalidInput(problems)
    registry.warnings = [p for p in problems if p.severity == "warning"]
    return registry


def _load(root: Path, problems: list[Problem], *, strict: bool) -> Registry | None:
    if not root.is_dir():
        problems.append(Problem(display_path(root), 1, 1, "", "not a folder"))
        return None
    config_src, loaded = load_document(root / CONFIG_FILE, RegistryConfig, problems)
    config = loaded if isinstance(loaded, RegistryConfig) else None
    rubrics = _rubrics(root, config, config_src, problems)
    models_dir = root / MODELS_DIR
    if not models_dir.is_dir():
        problems.append(Problem(display_path(models_dir), 1, 1, "",
                                "missing `models/` folder (models/<model-id>/<version>/card.yaml)"))
        return None
    models = [entry for d in sorted(models_dir.iterdir()) if d.is_dir()
              if (entry := _load_model(d, root, config, rubrics, problems, strict))]
    if config is not None and config_src is not None:
        _check_config(root, config, config_src, problems)
        _check_replacements(models, problems)
    if config is None or config_src is None:
        return None
    return Registry(root, config, config_src, models, rubrics)


def _rubrics(root: Path, config: RegistryConfig | None, src: SourceFile | None,
             problems: list[Problem]) -> dict[str, Rubric]:
    builtin = builtin_rubric()
    rubrics = {builtin.rubric: builtin}
    if config is None or src is None:
        return rubrics
    for i, rel in enumerate(config.rubrics):
        path = confined_path(root, rel, root, src.doc, ("rubrics", i), problems)
        if path is None:
            continue
        rsrc = read_source(path, problems)
        rubric = validate_document(rsrc.doc, Rubric, problems) if rsrc else None
        if rubric is not None:
            rubrics[rubric.rubric] = rubric
    return rubrics


def _load_model(folder: Path, root: Path, config: RegistryConfig | None,
                rubrics: dict[str, Rubric], problems: list[Problem],
                strict: bool) -> ModelEntry | None:
    versions: list[ModelVersion] = []
    for vdir in sorted(p for p in folder.iterdir() if p.is_dir()):
        mv = _load_version(vdir, root, config, rubrics, problems, strict)
        if mv is not None:
            versions.append(mv)
    if not versions:
        if not any(p.is_dir() for p in folder.iterdir()):
            problems.append(Problem(display_path(folder), 1, 1, "",
                                    "model folder has no version folders"))
        return None
    versions.sort(key=lambda v: v.sort_key)
    return ModelEntry(folder.name, versions)


def _load_version(vdir: Path, root: Path, config: RegistryConfig | None,
                  rubrics: dict[str, Rubric], problems: list[Problem],
                  strict: bool) -> ModelVersion | None:
    card_path = vdir / "card.yaml"
    if not card_path.is_file():
        problems.append(Problem(display_path(card_path), 1, 1, "",
                                "missing card.yaml in version folder"))
        return None
    try:
        Version(vdir.name)
    except InvalidVersion:
        problems.append(Problem(display_path(vdir), 1, 1, "",
                                f"version folder {vdir.name!r} is not a PEP 440 / semver "
                                "version (e.g. 1.2.0)"))
        return None
    files: dict[str, SourceFile] = {}
    parsed: dict[str, BaseModel | LazyEvaluation | None] = {}
    for fname, model in VERSION_FILES.items():
        path = vdir / fname
        if not path.exists():
            continue
        src, parsed[fname] = load_document(path, model, problems)
        if src is None:
            continue
        files[fname.removesuffix(".yaml")] = src
    card = parsed.get("card.yaml")
    if not isinstance(card, Card):
        if "card" in files:  # reported with the card's schema errors, not after them
            details = files["card"].doc.data
            details = details.get("model_details") if isinstance(details, dict) else None
            given = details if isinstance(details, dict) else {}
            _check_folder_names(files["card"], vdir, given.get("id"), given.get("version"),
                                problems)
        return None
    evaluation = parsed.get("evaluation.yaml")
    readiness = parsed.get("readiness.yaml")
    mv = ModelVersion(vdir.parent.name, vdir.name, vdir, card,
                      evaluation if isinstance(evaluation, Evaluation | LazyEvaluation)
                      else None,
                      readiness if isinstance(readiness, Readiness) else None, files)
    _check_version(mv, root, config, rubrics, problems, strict)
    return mv


# --------------------------------------------------------------------------- cross-file


def _check_version(mv: ModelVersion, root: Path, config: RegistryConfig | None,
                   rubrics: dict[str, Rubric], problems: list[Problem], strict: bool) -> None:
    details = mv.card.model_details
    _check_folder_names(mv.files["card"], mv.folder, details.id, details.version, problems)
    if config is not None:
        _check_custom(mv, root, config, problems)
        if strict:
            _check_placeholders(mv, config, problems)
    if mv.has_evaluation:
        _check_evaluation(mv, root, problems)
    if mv.readiness is not None:
        _check_readiness(mv, root, rubrics, problems)


def _check_folder_names(card: SourceFile, vdir: Path, given_id: object,
                        given_version: object, problems: list[Problem]) -> None:
    """model_details.id and .version must equal the folder names. Given as written
    when the card has schema errors too (so they are all reported in one run); a
    value that is no text, or already has a problem of its own, is left to those."""
    checks = (("id", given_id, vdir.parent.name, "model id {!r} does not match its folder "
               "name {!r}"),
              ("version", given_version, vdir.name, "version {!r} does not match its folder "
               "name {!r} (quote versions like '1.10' so YAML keeps them as text)"))
    for key, given, folder, message in checks:
        text = str(given) if isinstance(given, str | int | float) \
            and not isinstance(given, bool) else None
        if text is None or text == folder:
            continue
        problem = card.problem(("model_details", key), message.format(text, folder))
        if not any((p.file, p.field) == (problem.file, problem.field) for p in problems):
            problems.append(problem)


def _check_evaluation(mv: ModelVersion, root: Path, problems: list[Problem]) -> None:
    summary = mv.evaluation_summary
    assert summary is not None
    doc = mv.files["evaluation"]
    defined = list(summary.defined)
    for i, metric in summary.undefined:
        problems.append(doc.problem(
            ("results", i, "metric"),
            f"metric {metric!r} is not defined in `metrics`{did_you_mean(metric, defined)}"))
    if summary.predictions is not None:
        confined_path(mv.folder.parent, summary.predictions.path, mv.folder,
                      doc, ("predictions", "path"), problems, must_exist=True)


def _check_readiness(mv: ModelVersion, root: Path, rubrics: dict[str, Rubric],
                     problems: list[Problem]) -> None:
    assert mv.readiness is not None
    doc = mv.files["readiness"]
    rubric = rubrics.get(mv.readiness.rubric)
    if rubric is None:
        problems.append(doc.problem(("rubric",), f"unknown rubric {mv.readiness.rubric!r}; "
                                    f"known: {', '.join(sorted(rubrics))}"))
        return
    ids = rubric.test_ids()
    for test_id, assessment in mv.readiness.tests.items():
        if test_id not in ids:
            problems.append(doc.problem(("tests", test_id),
                                        f"unknown test id {test_id!r} in rubric "
                                        f"{rubric.rubric!r}{did_you_mean(test_id, ids)}",
                                        key=True))
        for j, ev in enumerate(assessment.evidence):
            if ev.path is not None:
                confined_path(root, ev.path, mv.folder, doc,
                              ("tests", test_id, "evidence", j, "path"), problems,
                              must_exist=True)
            if ev.path is None and ev.url is None:
                problems.append(doc.problem(("tests", test_id, "evidence", j),
                                            "evidence needs a `url` or a `path`"))
    check_reports(root, mv.readiness, doc, problems)


def check_reports(root: Path, readiness: Readiness, doc: SourceFile,
                  problems: list[Problem]) -> None:
    """The JUnit reports of an assessment: confined to the registry, read safely (a
    hostile or malformed report is an error located in it); a missing one is a
    warning (its claim counts as manual)."""
    for test_id, a in readiness.tests.items():
        loc: tuple[str | int, ...] = ("tests", test_id)
        if a.junit is None:
            for key, given in (("cases", bool(a.cases)),
                               ("max_age_days", a.max_age_days is not None)):
                if given:
                    problems.append(doc.problem((*loc, key), f"`{key}` needs `junit`: the "
                                                "JUnit XML report that ran this test"))
            continue
        field = format_loc((*loc, "junit"))
        path = confined_path(root, a.junit, root, doc, (*loc, "junit"), problems)
        if path is None:
            continue
        if not path.is_file():
            what = "is a folder" if path.exists() else "does not exist"
            problems.append(doc.doc.problem((*loc, "junit"), f"JUnit report {a.junit!r} {what} "
                                        "(relative to the registry root); the automated "
                                        "claim counts as manual (0.5)", severity="warning"))
            continue
        try:
            read_junit(path, field)
        except JunitError as exc:
            line, column = doc.doc.locate((*loc, "junit"))
            p = exc.problem
            problems.append(Problem(p.file, p.line, p.column, p.field,
                                    f"{p.message} (the report of {doc.name}:{line}:{column})"))


def _check_custom(mv: ModelVersion, root: Path, config: RegistryConfig,
                  problems: list[Problem]) -> None:
    schema = _custom_schema(root, config)
    if schema is None:
        return
    doc = mv.files["card"]
    validator = jsonschema.Draft202012Validator(schema)
    for err in sorted(validator.iter_errors(mv.card.custom), key=lambda e: list(e.path)):
        loc = ("custom", *err.absolute_path)
        problems.append(doc.problem(loc, f"{err.message} (custom_schema)"))


_SCHEMA_CACHE: dict[Path, Any] = {}


def _custom_schema(root: Path, config: RegistryConfig) -> Any | None:
    if config.custom_schema is None:
        return None
    path = (root / config.custom_schema).resolve()
    if path not in _SCHEMA_CACHE:
        try:
            _SCHEMA_CACHE[path] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _SCHEMA_CACHE[path] = None  # reported once by _check_config
    return _SCHEMA_CACHE[path]


def _check_placeholders(mv: ModelVersion, config: RegistryConfig,
                        problems: list[Problem]) -> None:
    """Placeholder text (--strict): the scaffold's phrases anywhere in the card and the
    readiness file, generic markers (TODO, ...) in the sections the policy requires and
    in model_details, which every card has (an import's 'TODO: release date')."""
    required = set(config.policy.required_sections or CARD_SECTIONS) | {"model_details"}
    for name in ("card", "readiness"):
        src = mv.files.get(name)
        data = src.doc.data if src is not None else None
        if src is None or not isinstance(data, dict):
            continue
        for loc, text in _strings(data, ()):
            message = placeholder_message(
                text, required=name == "card" and loc[0] in required)
            if message is not None:
                problems.append(src.doc.problem(loc, message))


def _strings(value: Any, loc: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        return [(loc, value)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, (*loc, k))]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _strings(v, (*loc, i))]
    return []


def _check_config(root: Path, config: RegistryConfig, src: SourceFile,
                  problems: list[Problem]) -> None:
    for i, section in enumerate(config.policy.required_sections):
        if section not in CARD_SECTIONS:
            problems.append(src.doc.problem(
                ("policy", "required_sections", i),
                f"unknown card section {section!r}{did_you_mean(section, list(CARD_SECTIONS))}"))
    if config.templates is not None:
        path = confined_path(root, config.templates, root, src.doc, ("templates",), problems,
                             must_exist=True)
        if path is not None and not path.is_dir():
            problems.append(src.doc.problem(("templates",), "expected a folder of templates"))
    if config.custom_schema is not None:
        path = confined_path(root, config.custom_schema, root, src.doc, ("custom_schema",),
                             problems, must_exist=True)
        if path is not None:
            try:
                jsonschema.Draft202012Validator.check_schema(
                    json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, jsonschema.SchemaError) as exc:
                msg = getattr(exc, "message", str(exc))
                problems.append(src.doc.problem(("custom_schema",),
                                                f"not a valid JSON Schema: {msg}"))


def _check_replacements(models: list[ModelEntry], problems: list[Problem]) -> None:
    ids = {m.id for m in models}
    for m in models:
        for mv in m.versions:
            dep = mv.card.deprecation
            if dep and dep.replaced_by and dep.replaced_by not in ids:
                problems.append(mv.files["card"].problem(
                    ("deprecation", "replaced_by"),
                    f"replacement model {dep.replaced_by!r} is not in the registry"
                    f"{did_you_mean(dep.replaced_by, sorted(ids))}"))


def confined_path(boundary: Path, rel: str, base: Path, doc: LoadedYaml | SourceFile,
                  loc: tuple[str | int, ...], problems: list[Problem],
                  *, must_exist: bool = False) -> Path | None:
    """Resolve `rel` against `base`; it must stay inside `boundary` (symlinks resolved)."""
    if Path(rel).is_absolute() or re.match(r"^[A-Za-z]:[\\/]", rel):
        problems.append(doc.problem(loc, f"absolute paths are not allowed: {rel!r}; "
                                    "give a path relative to the file"))
        return None
    path = (base / rel).resolve()
    inside = boundary.resolve()
    if not path.is_relative_to(inside):
        problems.append(doc.problem(loc, f"path {rel!r} leaves the allowed folder "
                                    f"{display_path(inside)}"))
        return None
    if must_exist and not path.exists():
        problems.append(doc.problem(loc, f"file {rel!r} does not exist"))
        return None
    return path


def collect_problems(root: Path, *, strict: bool = False) -> tuple[Registry | None, list[Problem]]:
    """Like load_registry but returns (registry or None, problems) without raising."""
    try:
        reg = load_registry(root, strict=strict)
    except InvalidInput as exc:
        return None, exc.problems
    return reg, reg.warnings


__all__ = ["PLACEHOLDERS", "ModelEntry", "ModelVersion", "Registry", "SourceFile",
           "collect_problems", "confined_path", "format_loc", "load_registry"]
