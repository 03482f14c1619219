"""Import a Model Card Toolkit card (JSON, schema v0.0.1 / v0.0.2).

model_details -> card model_details; model_parameters -> architecture,
formats, training/evaluation datasets; quantitative_analysis ->
evaluation.yaml (slices "feature_value_X_feature_value" become slice
mappings) plus graphics; considerations -> intended use, caveats, risks.
Base64 graphics are written to `graphics/` beside the card; one that cannot be
decoded is skipped with a warning naming its JSON path, and so is any part of the
wrong type (every key is optional: the rest of the card is imported). Keys the toolkit's schema
does not define are kept verbatim in provenance.metadata (by JSON path). The schema
version comes from `schema_version`, else from the shape (`model_parameters.data`
as a mapping is v0.0.1).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mlcards.errors import InvalidInput, Problem, display_path
from mlcards.interop import graphics
from mlcards.interop.common import (
    EMAIL,
    ImportResult,
    Options,
    fill_required,
    join_text,
    metric_name,
    parse_date,
    read_text,
    set_text,
)
from mlcards.interop.hf_eval import parse_value
from mlcards.interop.mct_models import Dataset, Graphics, MctCard, PerfMetric, Sensitive
from mlcards.load.yaml import LoadedYaml, PathKey, parse_json_object
from mlcards.validate.documents import data_loc, problems_from_validation

MAX_PASSES = 20
CHANGES = "Changes in this version"
"""The additional section that holds model_details.version.diff."""
TRAIN = re.compile(r"train", re.IGNORECASE)
EVAL = re.compile(r"eval|test|valid|holdout|hold-out", re.IGNORECASE)
OVERALL = {"", "overall", "all", "none"}

__all__ = ["import_mct"]


def import_mct(path: Path, opts: Options) -> ImportResult:
    """Read a model_card.json into an ImportResult."""
    source = display_path(path)
    text = read_text(path)
    data = parse_json_object(text, source, "a Model Card Toolkit card")
    doc = _positions(text, path, data)
    mct, skipped = _read_leniently(doc)
    result = _Importer(mct, doc, source, opts).run()
    result.report[:0] = skipped
    return result


def _read_leniently(doc: LoadedYaml) -> tuple[MctCard, list[str]]:
    """The card with every part that does not check left out, and a located warning
    for each: every key of the toolkit's schema is optional, so a wrong type (a string
    where a list belongs, ...) never refuses the whole card."""
    data = copy.deepcopy(doc.data)
    notes: list[str] = []
    for _ in range(MAX_PASSES):
        try:
            return MctCard.model_validate(data), notes
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            problems = problems_from_validation(exc, doc, MctCard)
        dropped: dict[PathKey, Problem] = {}
        for err, problem in zip(errors, problems, strict=True):
            where = _deepest(data, data_loc(err["loc"], doc))
            if not where:
                raise InvalidInput(problems)
            dropped.setdefault(where, problem)
        for where in sorted(dropped, key=_order, reverse=True):
            _drop(data, where)
            warning = dataclasses.replace(dropped[where], severity="warning")
            notes.append(f"{warning.format()}; {format_path(where)} skipped, the rest of the "
                         "card imported")
    raise InvalidInput([doc.problem((), "the card does not check even with its bad parts "
                                    "left out")])  # pragma: no cover - each pass drops one


def _deepest(data: Any, loc: PathKey) -> PathKey:
    """The longest prefix of `loc` that exists in `data`."""
    node = data
    found_: PathKey = ()
    for part in loc:
        present = part in node if isinstance(node, dict) else (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        if not present:
            break
        node = node[part]
        found_ = (*found_, part)
    return found_


def _drop(data: Any, loc: PathKey) -> None:
    parent = data
    for part in loc[:-1]:
        parent = parent[part]
    del parent[loc[-1]]


def _order(loc: PathKey) -> list[tuple[bool, Any]]:
    """Sort key for paths: later list items first, so earlier indices stay right."""
    return [(isinstance(p, str), p) for p in loc]


def _positions(text: str, path: Path, data: Any) -> LoadedYaml:
    """The JSON data, located: positions come from reading the text as YAML on demand."""
    return LoadedYaml(path, data, text)


class _Importer:
    def __init__(self, mct: MctCard, doc: LoadedYaml, source: str, opts: Options) -> None:
        self.mct = mct
        self.doc = doc
        self.source = source
        self.opts = opts
        self.result = ImportResult(card={"schema_version": 1, "model_details": {}})
        self.details: dict[str, Any] = self.result.card["model_details"]
        self.found: dict[str, Any] = {}
        self.problems: list[Problem] = []
        self.taken: set[str] = set()

    def run(self) -> ImportResult:
        self.result.provenance("model-card-toolkit", self._version())
        self._model_details()
        features = self._model_parameters()
        self._considerations()
        self._quantitative(features)
        self._extras(self.mct, "")
        if self.problems:
            raise InvalidInput(self.problems)
        fill_required(self.result, self.opts, self.found)
        return self.result

    def _version(self) -> str:
        """The schema version: as the card says, else told by its shape."""
        given = self.mct.schema_version
        if given in ("0.0.1", "0.0.2"):
            self.result.report.append(f"{self.source}: schema_version {given}")
            return given
        mp = self.mct.model_parameters
        md = self.mct.model_details
        old = (mp is not None and isinstance(mp.data, dict)) or (
            md is not None and (isinstance(md.license, str) or isinstance(md.citation, str)))
        shape = "0.0.1" if old else "0.0.2"
        said = f"schema_version {given!r} is not 0.0.1/0.0.2" if given else "no schema_version"
        self.result.report.append(f"{self.source}: {said}; read as {shape} (from its shape)")
        return shape

    def warn(self, loc: PathKey, message: str) -> None:
        """A located warning for an optional part that is skipped."""
        problem = dataclasses.replace(self.doc.problem(loc, message), severity="warning")
        self.result.report.append(problem.format())

    def note(self, source: str, target: str) -> None:
        self.result.mapped(f"{self.source}: {source}", target)

    # ----------------------------------------------------------------- model_details

    def _model_details(self) -> None:
        md = self.mct.model_details
        if md is None:
            return
        self.found["name"] = md.name
        set_text(self.details, "description", join_text(md.overview, md.documentation))
        self.note("model_details.name/overview/documentation", "model_details.name/description")
        if md.version is not None:
            self.found["version"] = md.version.name
            when = parse_date(md.version.date)
            if when is not None:
                self.found["date"], self.found["date_source"] = when, "model_details.version.date"
            elif md.version.date:
                self.result.report.append(f"{self.source}: version date {md.version.date!r} "
                                          "not understood")
            if md.version.diff:
                self.result.keep_unmapped([CHANGES], md.version.diff,
                                          f"{self.source}: model_details.version.diff")
        self._owners(md.owners)
        licenses = [lic if isinstance(lic, str) else (lic.identifier or lic.custom_text or "")
                    for lic in _as_list(md.licenses) + _as_list(md.license)]
        if any(licenses):
            self.details["license"] = " OR ".join(x for x in licenses if x)
            self.note("model_details.licenses", "model_details.license")
        refs = [r if isinstance(r, str) else r.reference for r in md.references]
        if any(refs):
            self.details["references"] = [{"title": r, "url": r} for r in refs if r]
            self.note("model_details.references", "model_details.references")
        cites = [c if isinstance(c, str) else join_text(
            f"{c.style}:" if c.style else None, c.citation) for c in
            md.citations + _as_list(md.citation)]
        if any(cites):
            self.details["citation"] = join_text(*cites)
            self.note("model_details.citations", "model_details.citation")
        if md.path:
            self._keep("model_details.path", md.path)

    def _owners(self, owners: list[Any]) -> None:
        people = []
        for owner in owners:
            name, contact = owner.name or owner.contact, owner.contact
            if not name:
                continue
            person = {"name": name}
            if contact and EMAIL.match(contact):
                person["email"] = contact
            elif contact and contact.startswith(("http://", "https://")):
                person["url"] = contact
            elif contact and contact != name:
                set_text(self.details, "questions", f"{name}: {contact}")
            people.append(person)
        if people:
            self.found["owners"] = people
            self.note("model_details.owners", "model_details.owners")

    # ----------------------------------------------------------------- model_parameters

    def _model_parameters(self) -> list[str]:
        mp = self.mct.model_parameters
        if mp is None:
            return []
        if mp.model_architecture:
            self.details["architecture"] = mp.model_architecture
            self.note("model_parameters.model_architecture", "model_details.architecture")
        for key in ("input_format", "output_format"):
            pairs = getattr(mp, f"{key}_map")
            lines = [f"{kv.key}: {kv.value}" for kv in pairs]
            value = join_text(getattr(mp, key), "\n".join(lines))
            if value:
                self.details[key] = value
                self.note(f"model_parameters.{key}", f"model_details.{key}")
        features: list[str] = []
        items: list[tuple[str | int, Dataset]] = (
            list(mp.data.items()) if isinstance(mp.data, dict) else list(enumerate(mp.data)))
        for where, ds in items:
            if isinstance(where, str) and not ds.name:  # v0.0.1: {"train": {...}, "eval": {...}}
                ds.name = where
            features += _sensitive(ds)
            self._dataset(ds, ("model_parameters", "data", where))
        return features

    def _dataset(self, ds: Dataset, loc: PathKey) -> None:
        label = " ".join(filter(None, [ds.name, ds.description]))
        section = ("evaluation_data" if EVAL.search(label) and not TRAIN.search(ds.name or "")
                   else "training_data")
        sensitive = _sensitive(ds)
        images = self._graphics(ds.graphics, (*loc, "graphics"))
        description = join_text(ds.description,
                                f"Sensitive data: {', '.join(sensitive)}." if sensitive
                                else "Holds sensitive data." if ds.sensitive is True else None,
                                images)
        entry = {"name": ds.name or f"dataset {loc[-1]}", "description": description,
                 "url": ds.link}
        self.result.card.setdefault(section, {}).setdefault("datasets", []).append(entry)
        why = "" if EVAL.search(label) or TRAIN.search(label) else \
            " (not named as evaluation data, so listed as training data)"
        self.note(f"model_parameters.data[{loc[-1]}] {ds.name!r}", f"{section}.datasets{why}")

    def _graphics(self, collection: Graphics | None, loc: PathKey) -> str | None:
        """Write a collection's images out; Markdown that shows them."""
        if collection is None:
            return None
        lines = []
        for i, graphic in enumerate(collection.collection):
            if not graphic.image:
                continue
            try:
                data, kind = graphics.decode(graphic.image)
            except graphics.GraphicError as exc:
                self.warn((*loc, "collection", i, "image"), f"{exc}; graphic "
                          f"{graphic.name or i!r} skipped, the rest of the card imported")
                continue
            rel = graphics.file_name(graphic.name, kind, self.taken)
            self.result.files[rel] = data
            alt = (graphic.name or "graphic").replace("]", ")").replace("[", "(")
            lines.append(f"![{alt}]({rel})" + (f" {graphic.description}"
                                               if graphic.description else ""))
            self.note(f"graphic {graphic.name!r}", rel)
        return join_text(collection.description, "\n\n".join(lines))

    # ----------------------------------------------------------------- considerations

    def _considerations(self) -> None:
        c = self.mct.considerations
        if c is None:
            return
        uses = self.result.card.setdefault("intended_use", {})
        for key, target in (("use_cases", "primary_uses"), ("users", "primary_users")):
            set_text(uses, target, _bullets(getattr(c, key)))
            if getattr(c, key):
                self.note(f"considerations.{key}", f"intended_use.{target}")
        tradeoffs = _bullets(c.tradeoffs)
        caveats = join_text(_bullets(c.limitations),
                            f"Tradeoffs:\n\n{tradeoffs}" if tradeoffs else None)
        set_text(self.result.card, "caveats_and_recommendations", caveats)
        if caveats:
            self.note("considerations.limitations/tradeoffs", "caveats_and_recommendations")
        risks = [{"name": r.name or "Unnamed risk", "mitigation": r.mitigation_strategy}
                 for r in c.ethical_considerations]
        if risks:
            self.result.card["ethical_considerations"] = {"risks": risks}
            self.note("considerations.ethical_considerations", "ethical_considerations.risks")

    # ----------------------------------------------------------------- quantitative_analysis

    def _quantitative(self, features: list[str]) -> None:
        qa = self.mct.quantitative_analysis
        if qa is None:
            return
        images = self._graphics(qa.graphics, ("quantitative_analysis", "graphics"))
        if images:
            self.result.card["quantitative_analyses"] = {"unitary": images}
            self.note("quantitative_analysis.graphics", "quantitative_analyses.unitary")
        rows, skipped, thresholds = self._results(qa.performance_metrics, features)
        if not rows:
            return
        metrics: dict[str, dict[str, Any]] = {}
        for m in qa.performance_metrics:
            name = metric_name(m.type or "score")
            metrics.setdefault(name, {"name": name, "description": m.name,
                                      "headline": not metrics})
        self.result.evaluation = {
            "schema_version": 1, "date": self.found.get("date"),
            "dataset": self._eval_dataset(), "metrics": list(metrics.values()),
            "results": rows, "notes": join_text(*skipped)}
        self.note(f"quantitative_analysis.performance_metrics ({len(rows)})",
                  "evaluation.yaml results")
        if thresholds:
            self.result.card.setdefault("metrics", {})["decision_thresholds"] = "\n".join(
                f"- {name}: {value}" for name, value in sorted(thresholds))
            self.note("performance_metrics[].threshold", "metrics.decision_thresholds")

    def _results(self, perf: list[PerfMetric], features: list[str],
                 ) -> tuple[list[dict[str, Any]], list[str], set[tuple[str, str]]]:
        rows: list[dict[str, Any]] = []
        skipped: list[str] = []
        thresholds: set[tuple[str, str]] = set()
        multi = _multi_threshold(perf)
        for i, m in enumerate(perf):
            loc = ("quantitative_analysis", "performance_metrics", i)
            name = metric_name(m.type or "score")
            parsed = parse_value(m.value)
            if parsed is None:
                skipped.append(f"- {name} on {m.slice or 'overall'}: {m.value!r} (not a number)")
                self.result.report.append(f"{self.source}: {format_path(loc)} value "
                                          f"{m.value!r} is not a number; kept in notes")
                continue
            slice_ = parse_slice(m.slice, features)
            if m.threshold is not None:
                if name in multi:
                    slice_["threshold"] = str(m.threshold)
                else:
                    thresholds.add((name, str(m.threshold)))
            row: dict[str, Any] = {"metric": name, "slice": slice_, "value": parsed[0]}
            ci = self._ci(m, loc)
            if ci is not None:
                row["ci"] = ci
            rows.append(row)
        return rows, skipped, thresholds

    def _ci(self, m: PerfMetric, loc: PathKey) -> tuple[float, float] | None:
        if m.confidence_interval is None:
            return None
        low = parse_value(m.confidence_interval.lower_bound)
        high = parse_value(m.confidence_interval.upper_bound)
        if low is None or high is None or low[0] > high[0]:
            self.warn((*loc, "confidence_interval"),
                      "expected numeric lower_bound <= upper_bound, got "
                      f"{m.confidence_interval.lower_bound!r}.."
                      f"{m.confidence_interval.upper_bound!r}; the interval is skipped")
            return None
        return low[0], high[0]

    def _eval_dataset(self) -> dict[str, Any]:
        card = self.result.card
        for section in ("evaluation_data", "training_data"):
            datasets = card.get(section, {}).get("datasets", [])
            if datasets:
                url = datasets[0].get("url")
                return {"name": datasets[0]["name"],
                        "url": url if url and url.startswith(("http://", "https://")) else None}
        self.result.placeholders.append("evaluation.yaml dataset (no model_parameters.data)")
        return {"name": "TODO: evaluation dataset"}

    # ----------------------------------------------------------------- leftovers

    def _keep(self, path: str, value: Any) -> None:
        self.result.provenance("model-card-toolkit")["metadata"] = {
            **self.result.card["provenance"].get("metadata", {}), path: value}
        self.result.report.append(f"{self.source}: {path} -> provenance.metadata[{path!r}] "
                                  "(kept verbatim; no card field takes it)")

    def _extras(self, model: BaseModel, where: str) -> None:
        """Keep keys the toolkit's schema does not define (verbatim, by JSON path)."""
        for key, value in sorted((model.model_extra or {}).items()):
            self._keep(f"{where}.{key}" if where else key, value)
        for name in type(model).model_fields:
            value = getattr(model, name)
            items = (list(value.items()) if isinstance(value, dict)
                     else list(enumerate(value)) if isinstance(value, list) else [(None, value)])
            for i, item in items:
                if isinstance(item, BaseModel):
                    suffix = "" if i is None else f"[{i}]" if isinstance(i, int) else f".{i}"
                    self._extras(item, f"{where}.{name}{suffix}" if where else name + suffix)


def _sensitive(ds: Dataset) -> list[str]:
    """Sensitive features of a dataset (v0.0.1 only flags that there are some)."""
    return ds.sensitive.sensitive_data if isinstance(ds.sensitive, Sensitive) else []


def parse_slice(text: str | None, features: list[str]) -> dict[str, str]:
    """'sex_Female_X_race_Black' -> {sex: Female, race: Black}; 'age:30' -> {age: 30}."""
    if text is None or text.strip().lower() in OVERALL:
        return {}
    out: dict[str, str] = {}
    for part in text.split("_X_"):
        known = sorted((f for f in features if part.startswith(f + "_")), key=len, reverse=True)
        if re.search(r"[:=]", part):
            key, value = re.split(r"\s*[:=]\s*", part, maxsplit=1)
        elif known:
            key, value = known[0], part[len(known[0]) + 1:]
        elif "_" in part:
            key, value = part.split("_", 1)
        else:
            key, value = "slice", part
        out[key.strip() or "slice"] = value.strip()
    return out


def _multi_threshold(perf: list[PerfMetric]) -> set[str]:
    """Metrics reported at more than one threshold on the same slice."""
    seen: dict[tuple[str, str], set[str]] = {}
    for m in perf:
        if m.threshold is not None:
            key = (metric_name(m.type or "score"), m.slice or "")
            seen.setdefault(key, set()).add(str(m.threshold))
    return {name for (name, _), values in seen.items() if len(values) > 1}


def _bullets(items: list[Any]) -> str | None:
    texts = [i if isinstance(i, str) else i.description for i in items]
    lines = [f"- {t.strip()}" if "\n" not in t.strip() else t.strip() for t in texts if t]
    return "\n".join(lines) or None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def format_path(loc: PathKey) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")

