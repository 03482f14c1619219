"""Import a Hugging Face model card (`README.md`) into card.yaml and evaluation.yaml.

Front matter keys with a card field are mapped; the others are kept verbatim
in `provenance.metadata` (the exporter writes them back). `model-index` (and the
legacy `model_index` / `metric:` spelling) and `.eval_results/*.yaml` beside the
README become evaluation.yaml; a model-index result that does not check is skipped
with a located warning, never the whole import. Nothing is written to `custom`,
which belongs to the registry's own JSON Schema. An
optional `mlcards:` block (written by `mlcards export hf`) restores the
fields Hugging Face cards have no place for: id, version, date, status,
risk tier and a task that is not a Hub pipeline tag.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from mlcards.errors import InvalidInput, Problem, display_path
from mlcards.interop.common import (
    ImportResult,
    Options,
    fill_required,
    parse_date,
    read_text,
)
from mlcards.interop.hf_body import BodyInfo, import_body
from mlcards.interop.hf_eval import HfResult, parse_value, to_evaluation
from mlcards.interop.markdown import split_front_matter
from mlcards.load.yaml import LoadedYaml, YamlError, load_yaml_file, parse_yaml
from mlcards.schema.card import RiskTier, Status
from mlcards.schema.common import StrictModel, Text
from mlcards.validate.documents import problems_from_validation, validate_document

MAX_README_BYTES = 2 * 1024 * 1024
FORMAT = "huggingface"
MAPPED_KEYS = ("license", "tags", "datasets", "base_model", "library_name", "pipeline_tag",
               "model-index", "model_index", "mlcards", "metrics")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Task(_Loose):
    type: Text | None = None
    name: Text | None = None


class _Dataset(_Loose):
    type: Text
    name: Text | None = None
    config: Text | None = None
    split: Text | None = None


def _number(value: Any) -> Any:
    if parse_value(value) is None:
        raise ValueError("expected a number (or 'value ± error')")
    return value


MetricValue = Annotated[Any, AfterValidator(_number)]


class _Metric(_Loose):
    type: Text
    value: MetricValue
    name: Text | None = None
    config: Text | None = None
    verified: bool | None = None


class _Result(_Loose):
    task: _Task | None = None
    dataset: _Dataset
    metrics: list[_Metric] = Field(min_length=1)


class _Entry(_Loose):
    name: Text | None = None
    results: list[Any] = Field(default_factory=list)
    """Checked one by one (_checked_results): a bad result is skipped, not fatal."""


class MlcardsBlock(StrictModel):
    """Fields `mlcards export hf` keeps in the front matter's `mlcards:` key."""

    id: str | None = None
    version: Text | None = None
    date: dt.date | None = None
    status: Status | None = None
    risk_tier: RiskTier | None = None
    task: str | None = None
    evaluation_date: dt.date | None = None


class FrontMatter(_Loose):
    license: Text | list[Text] | None = None
    tags: Text | list[Text] | None = None
    datasets: Text | list[Text] | None = None
    metrics: Text | list[Text] | None = None
    base_model: Text | list[Text] | None = None
    library_name: Text | None = None
    pipeline_tag: Text | None = None
    model_index: list[_Entry] | None = Field(default=None, alias="model-index")
    legacy_model_index: list[_Entry] | None = Field(default=None, alias="model_index")
    mlcards: MlcardsBlock | None = None


class _ErDataset(_Loose):
    id: Text
    task_id: Text | None = None


class _ErSource(_Loose):
    url: Text | None = None
    name: Text | None = None


class _ErEntry(_Loose):
    dataset: _ErDataset
    value: MetricValue
    date: Any = None
    source: _ErSource | None = None
    notes: Text | None = None


def import_hf(readme: Path, opts: Options) -> ImportResult:
    """Read a README.md (and .eval_results/ beside it) into an ImportResult."""
    source = display_path(readme)
    text = read_text(readme, max_bytes=MAX_README_BYTES)
    yaml_text, body, body_line = split_front_matter(text)
    if yaml_text is None and text.lstrip("\ufeff").startswith("---"):
        raise InvalidInput([Problem(source, 1, 1, "", "front matter opened with '---' on line 1 "
                                    "is never closed; expected a line '---' after the YAML")])
    problems: list[Problem] = []
    doc, front = _front_matter(yaml_text, readme, problems)
    result = ImportResult(card={"schema_version": 1, "model_details": {}})
    result.provenance(FORMAT)
    found: dict[str, Any] = {}
    hf_results = _model_index(doc, front, result, source) if doc and front else []
    er_results, er_notes, er_dates = _eval_results(readme.parent / ".eval_results", problems)
    if problems:
        raise InvalidInput(problems)
    if doc is not None and front is not None:
        _metadata(doc, front, hf_results, result, found, source)
    info = import_body(body, body_line, result, source)
    _evaluation(result, hf_results + er_results, er_notes, er_dates, info, source, found)
    _found_from_body(info, found, er_dates)
    fill_required(result, opts, found)
    _keep_index_name(result, found)
    if info.dropped:
        result.report.append(f"{source}: dropped {info.dropped} template placeholders "
                             "(HTML comments, '[More Information Needed]', empty headings)")
    return result


def _front_matter(yaml_text: str | None, readme: Path, problems: list[Problem],
                  ) -> tuple[LoadedYaml | None, FrontMatter | None]:
    """The parsed and checked front matter; problems are appended, not raised."""
    if yaml_text is None or not yaml_text.strip():
        return None, None
    try:
        doc = parse_yaml(yaml_text, readme)
    except YamlError as exc:
        problems.append(exc.problem)
        return None, None
    found = list(doc.problems)
    front = validate_document(doc, FrontMatter, found)
    problems.extend(found)
    return (doc, front) if not found else (None, None)


def _model_index(doc: LoadedYaml, front: FrontMatter, result: ImportResult,
                 source: str) -> list[HfResult]:
    results = []
    key = "model-index" if front.model_index is not None else "model_index"
    for i, entry in enumerate(front.model_index or front.legacy_model_index or []):
        for res in _checked_results(doc, key, i, entry, result):
            task = res.task.type if res.task else None
            for metric in res.metrics:
                parsed = parse_value(metric.value)
                assert parsed is not None  # checked by _number
                args = (res.dataset.model_extra or {}).get("args")
                config = res.dataset.config or (str(args) if isinstance(args, str | int)
                                                else None)  # the older `args: cs` spelling
                results.append(HfResult(
                    res.dataset.type, metric.type, parsed[0], task, res.dataset.name,
                    config, res.dataset.split, metric.name, metric.config, parsed[1]))
    return results


def _checked_results(doc: LoadedYaml, key: str, i: int, entry: _Entry,
                     result: ImportResult) -> list[_Result]:
    """The entry's results that check; each other one is reported (located) and skipped."""
    kept = []
    for j, raw in enumerate(entry.results):
        if isinstance(raw, dict) and "metrics" not in raw and isinstance(raw.get("metric"), dict):
            raw = {**raw, "metrics": [raw["metric"]]}  # the legacy single `metric:`
        try:
            kept.append(_Result.model_validate(raw))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = (key, i, "results", j, *[p for p in err["loc"] if not (
                    isinstance(p, str) and ("[" in p or p.startswith("function-")))])
                message = (f"required field {loc[-1]!r} is missing" if err["type"] == "missing"
                           else err["msg"].replace("Value error, ", ""))
                while len(loc) > 4 and loc not in doc.positions:
                    loc = loc[:-1]
                problem = dataclasses.replace(doc.problem(loc, message), severity="warning")
                result.report.append(f"{problem.format()}; result skipped")
    return kept


def _eval_results(folder: Path,
                  problems: list[Problem]) -> tuple[list[HfResult], list[str], list[dt.date]]:
    """Entries of `.eval_results/*.yaml` (each file a list of results)."""
    results: list[HfResult] = []
    notes: list[str] = []
    dates: list[dt.date] = []
    if not folder.is_dir():
        return results, notes, dates
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        try:
            doc = load_yaml_file(path)
        except YamlError as exc:
            problems.append(exc.problem)
            continue
        data = doc.data if isinstance(doc.data, list) else [doc.data]
        data = [d for d in data if not (isinstance(d, dict) and "error" in d)]
        try:
            entries = TypeAdapter(list[_ErEntry]).validate_python(data)
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, doc, _ErEntry))
            continue
        for entry in entries:
            _eval_entry(entry, results, notes, dates)
    return results, notes, dates


def _eval_entry(entry: _ErEntry, results: list[HfResult], notes: list[str],
                dates: list[dt.date]) -> None:
    parsed = parse_value(entry.value)
    assert parsed is not None  # checked by _number
    task_id = entry.dataset.task_id
    metric = task_id if task_id and task_id != "default" else "score"
    results.append(HfResult(entry.dataset.id, metric, parsed[0], ci=parsed[1]))
    when = parse_date(entry.date)
    if when is not None:
        dates.append(when)
    extra = [entry.notes or ""]
    if entry.source and entry.source.url:
        extra.append(f"source: [{entry.source.name or entry.source.url}]({entry.source.url})")
    if any(extra):
        notes.append(f"- {entry.dataset.id} ({metric}): " + "; ".join(e for e in extra if e))


def _metadata(doc: LoadedYaml, front: FrontMatter, hf_results: list[HfResult],
              result: ImportResult, found: dict[str, Any], source: str) -> None:
    card = result.card
    details = card["model_details"]
    for key, target in (("license", "license"), ("base_model", "base_model"),
                        ("library_name", "library")):
        value = getattr(front, key)
        if value:
            details[target] = " OR ".join(_list(value)) if key == "license" \
                else ", ".join(_list(value))
            result.mapped(f"{source}: front matter {key!r}", f"model_details.{target}")
    if front.tags:
        card["tags"] = _list(front.tags)
        result.mapped(f"{source}: front matter 'tags'", "tags")
    found["hub_ids"] = _list(front.datasets) if front.datasets else []
    if front.datasets:
        card["training_data"] = {"datasets": [{"name": d} for d in _list(front.datasets)]}
        result.mapped(f"{source}: front matter 'datasets'", "training_data.datasets")
    _block(front, result, found, source)
    _task_and_name(front, hf_results, result, found, source)
    kept = {k: v for k, v in doc.data.items() if k not in MAPPED_KEYS}
    derived = list(dict.fromkeys(r.metric_type for r in hf_results))
    if front.metrics and _list(front.metrics) != derived:
        kept["metrics"] = doc.data["metrics"]
    elif front.metrics:
        result.mapped(f"{source}: front matter 'metrics'", "evaluation.yaml metrics")
    if isinstance(front.base_model, list):  # keep the list form for export
        kept["base_model"] = doc.data["base_model"]
    if front.pipeline_tag and details.get("task") != front.pipeline_tag:
        kept["pipeline_tag"] = front.pipeline_tag
    if kept:
        result.provenance(FORMAT)["metadata"] = kept
        result.report.append(f"{source}: front matter {', '.join(map(repr, kept))} -> "
                             "provenance.metadata (kept verbatim for export)")


def _block(front: FrontMatter, result: ImportResult, found: dict[str, Any], source: str) -> None:
    block = front.mlcards
    if block is None:
        return
    for key in ("id", "version", "task"):
        if getattr(block, key):
            found[key] = getattr(block, key)
    if block.date:
        found["date"], found["date_source"] = block.date, f"{source}: mlcards.date"
    found["evaluation_date"] = block.evaluation_date
    for key in ("status", "risk_tier"):
        if getattr(block, key):
            result.card[key] = getattr(block, key)
    result.mapped(f"{source}: front matter 'mlcards'",
                  "id, version, date, status, risk_tier, task, evaluation date")


def _task_and_name(front: FrontMatter, hf_results: list[HfResult], result: ImportResult,
                   found: dict[str, Any], source: str) -> None:
    first_task = next((r.task_type for r in hf_results if r.task_type), None)
    task = found.get("task") or front.pipeline_tag or first_task
    if task:
        found["task"] = task
        result.card["model_details"]["task"] = task
    entries = front.model_index or front.legacy_model_index or []
    if entries and entries[0].name:
        found["index_name"] = entries[0].name


def _found_from_body(info: BodyInfo, found: dict[str, Any], dates: list[dt.date]) -> None:
    found["name"] = info.name or found.get("index_name")
    found["owners"] = info.owners or info.developed_by
    if "date" not in found and dates:
        found["date"], found["date_source"] = max(dates), ".eval_results"


def _evaluation(result: ImportResult, results: list[HfResult], notes: list[str],
                dates: list[dt.date], info: BodyInfo, source: str,
                found: dict[str, Any]) -> None:
    if not results and not info.table:
        return
    if results:
        when = found.get("evaluation_date") or (max(dates) if dates else None)
        evaluation, log = to_evaluation(results, notes, when,
                                        frozenset(found.get("hub_ids", ())))
        result.mapped(f"{source}: model-index / .eval_results ({len(results)} results)",
                      "evaluation.yaml (dataset, metrics, overall results)")
        result.report.extend(log)
    else:
        evaluation = {"schema_version": 1, "dataset": {"name": "TODO: evaluation dataset"},
                      "metrics": [], "results": []}
        result.placeholders.append("evaluation.yaml dataset (no model-index)")
    defined = {m["name"] for m in evaluation["metrics"]}
    for row in info.table:
        if row["metric"] not in defined:
            evaluation["metrics"].append({"name": row["metric"]})
            defined.add(row["metric"])
        evaluation["results"].append(row)
    result.evaluation = evaluation


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _keep_index_name(result: ImportResult, found: dict[str, Any]) -> None:
    """Keep a model-index name that differs from the card's name (export writes it back)."""
    index_name = found.get("index_name")
    if index_name and index_name != result.card["model_details"].get("name"):
        result.provenance(FORMAT)["model_index_name"] = index_name
        result.mapped("model-index name", "provenance.model_index_name")
