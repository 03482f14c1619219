"""Export a card (and its evaluation) as a Hugging Face model card README.md.

Front matter: the Hub's metadata keys, `model-index` from evaluation.yaml, the
imported card's `provenance.metadata` (kept verbatim), and an `mlcards:` block
with the fields the Hub has no key for. Body: the Hugging Face template's
headings (hf_sections), or the heading an imported card read the field from
(`provenance.headings`), plus the card's additional sections under their own
headings, so `mlcards import hf` maps every section back to the same field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlcards.errors import InvalidInput, MlcardsError, Problem, display_path
from mlcards.interop.common import dump_yaml, join_text
from mlcards.interop.hf_body import TITLE_PREFIX
from mlcards.interop.hf_eval import from_evaluation, model_index
from mlcards.interop.hf_sections import EXPORT_BULLETS, SLOTS, Slot
from mlcards.interop.markdown import Section, normalize_title, render_sections, shift_headings
from mlcards.schema import Card, Evaluation
from mlcards.validate.documents import read_source, validate_document

HYPERPARAMETERS_INTRO = "The following hyperparameters were used during training:"
PIPELINE_TAGS = frozenset("""
text-classification token-classification table-question-answering question-answering
zero-shot-classification translation summarization feature-extraction text-generation
text2text-generation fill-mask sentence-similarity text-to-speech text-to-audio
automatic-speech-recognition audio-to-audio audio-classification voice-activity-detection
depth-estimation image-classification object-detection image-segmentation text-to-image
image-to-text image-to-image image-to-video unconditional-image-generation video-classification
reinforcement-learning robotics tabular-classification tabular-regression tabular-to-text
table-to-text multiple-choice text-ranking text-retrieval time-series-forecasting text-to-video
image-text-to-text visual-question-answering document-question-answering
zero-shot-image-classification graph-ml mask-generation zero-shot-object-detection text-to-3d
image-to-3d image-feature-extraction video-text-to-text keypoint-detection any-to-any
visual-document-retrieval audio-text-to-text other
""".split())
TEMPLATE_ORDER = ("model details", "uses", "bias risks and limitations",
                  "how to get started with the model", "training details", "evaluation",
                  "ethical considerations", "model examination", "environmental impact",
                  "technical specifications", "citation", "glossary", "more information",
                  "model card authors", "model card contact")
NOT_CARRIED = ("approvals", "deprecation", "next_review")


def load_version(folder: Path) -> tuple[Card, Evaluation | None]:
    """The card and evaluation of a version folder, or every located problem."""
    if not (folder / "card.yaml").is_file():
        raise MlcardsError(f"{display_path(folder)} has no card.yaml; "
                           "expected a version folder models/<id>/<version>")
    problems: list[Problem] = []
    card: Card | None = None
    evaluation: Evaluation | None = None
    src = read_source(folder / "card.yaml", problems)
    if src is not None:
        card = validate_document(src.doc, Card, problems)
    if (folder / "evaluation.yaml").is_file():
        esrc = read_source(folder / "evaluation.yaml", problems)
        if esrc is not None:
            evaluation = validate_document(esrc.doc, Evaluation, problems)
    errors = [p for p in problems if p.severity == "error"]
    if errors or card is None:
        raise InvalidInput(problems)
    return card, evaluation


def render_readme(card: Card, evaluation: Evaluation | None) -> tuple[str, list[str]]:
    """README.md text for a card, and notes on what the format cannot carry."""
    data = card.model_dump(mode="python", exclude_none=True)
    notes = [f"not carried by Hugging Face cards: {key}" for key in NOT_CARRIED
             if data.get(key)]
    extra = sorted(data.get("custom", {}))
    if extra:
        notes.append(f"not carried by Hugging Face cards: custom keys {', '.join(extra)}")
    carried: list[Any] = []
    table: list[dict[str, Any]] = []
    if evaluation is not None:
        evaluation_data = evaluation.model_dump(mode="python", exclude_none=True)
        carried, table = from_evaluation(evaluation_data, card.model_details.task)
        notes.append(f"evaluation: {len(carried)} results -> model-index, {len(table)} sliced "
                     "results -> 'Disaggregated Results' table")
    front = _front_matter(data, card, carried)
    if evaluation is not None and evaluation.date is not None:
        front["mlcards"]["evaluation_date"] = evaluation.date
    body = render_sections(_body(data, table))
    return f"---\n{dump_yaml(front)}---\n\n{body}", notes


def _front_matter(data: dict[str, Any], card: Card, carried: list[Any]) -> dict[str, Any]:
    details = card.model_details
    provenance = data.get("provenance", {})
    meta = dict(provenance.get("metadata", {})) \
        if provenance.get("format") == "huggingface" else {}
    front: dict[str, Any] = {}
    if "language" in meta:
        front["language"] = meta.pop("language")
    mapped = {"license": details.license, "library_name": details.library,
              "pipeline_tag": details.task if details.task in PIPELINE_TAGS
              else meta.get("pipeline_tag"),
              "base_model": details.base_model, "tags": card.tags or None,
              "datasets": [d.name for d in card.training_data.datasets]
              if card.training_data and card.training_data.datasets else None,
              "metrics": meta.get("metrics") or
              list(dict.fromkeys(r.metric_type for r in carried)) or None}
    listed = meta.pop("base_model", None)
    if isinstance(listed, list) and ", ".join(map(str, listed)) == details.base_model:
        mapped["base_model"] = listed
    meta.pop("pipeline_tag", None)
    meta.pop("metrics", None)
    front.update({k: v for k, v in mapped.items() if v})
    front.update({k: v for k, v in meta.items() if k not in front})
    block = {"id": details.id, "version": details.version, "date": details.released,
             "status": card.status, "risk_tier": card.risk_tier,
             "task": None if details.task in PIPELINE_TAGS else details.task}
    front["mlcards"] = {k: v for k, v in block.items() if v is not None}
    if carried:
        name = provenance.get("model_index_name") or details.name
        front["model-index"] = model_index(name, carried)
    return front


def _body(data: dict[str, Any], table: list[dict[str, Any]]) -> Section:
    root = Section("", 0)
    name = data["model_details"]["name"]
    headings = data.get("provenance", {}).get("headings", {})
    kept = (headings.get("title") or [""])[0]
    title = Section(kept if kept and TITLE_PREFIX.sub("", kept).strip() == name
                    else f"Model Card for {name}", 1)
    root.children.append(title)
    for slot in SLOTS:
        text = _slot_text(slot, data, table)
        if text:
            path = headings.get(".".join(slot.field)) or (*slot.parents, slot.heading)
            node = _node(title, tuple(path))
            node.text = join_text(node.text, shift_headings(text, node.level + 1)) or ""
    for section in data.get("additional_sections", []):
        node = _node(title, (*section.get("parents", []), section["title"]))
        node.text = join_text(node.text, shift_headings(section["text"], node.level + 1)) or ""
    return root


def _node(title: Section, path: tuple[str, ...]) -> Section:
    """The section at `path` under the title, created in template order when missing."""
    node = title
    for part in path:
        found = node.child(part)
        if found is None:
            found = Section(part, min(6, node.level + 1))
            _insert(node, found)
        node = found
    return node


def _insert(parent: Section, child: Section) -> None:
    rank = _rank(child.title) if parent.level == 1 else len(TEMPLATE_ORDER)
    at = len(parent.children)
    for i, sibling in enumerate(parent.children):
        if parent.level == 1 and _rank(sibling.title) > rank:
            at = i
            break
    parent.children.insert(at, child)


def _rank(title: str) -> int:
    key = normalize_title(title)
    return TEMPLATE_ORDER.index(key) if key in TEMPLATE_ORDER else len(TEMPLATE_ORDER)


def _slot_text(slot: Slot, data: dict[str, Any], table: list[dict[str, Any]]) -> str | None:
    if slot.kind == "table":
        return _table(table) if table else None
    value: Any = data
    for part in slot.field:
        value = value.get(part) if isinstance(value, dict) else None
    if slot.kind == "sources":
        return _sources(data["model_details"])
    if slot.kind == "owners":
        return "\n".join(_owner(p) for p in value or [])
    if slot.kind == "risks":
        return _risks(value or [])
    if slot.kind == "hyperparameters":
        return join_text(HYPERPARAMETERS_INTRO, "\n".join(
            f"- {k}: {v}" for k, v in value.items())) if value else None
    if slot.kind == "frameworks":
        return "\n".join(f"- {k} {v}" for k, v in value.items()) if value else None
    if slot.kind == "grid":
        return _grid(value) if value else None
    if slot.field == ("model_details", "description"):
        bullets = [f"- **{label}:** {data['model_details'][key]}" for label, key
                   in EXPORT_BULLETS if data["model_details"].get(key)]
        return "\n\n".join([str(value), "\n".join(bullets)] if bullets else [str(value)])
    return str(value) if value else None


def _sources(details: dict[str, Any]) -> str | None:
    lines = [f"- **Repository:** {details['repository']}"] if details.get("repository") else []
    lines += [f"- **{ref['title']}:** {ref['url']}" for ref in details.get("references", [])]
    return "\n".join(lines) or None


def _owner(p: dict[str, Any]) -> str:
    line = f"- {p['name']}" + (f" <{p['email']}>" if p.get("email") else "")
    attrs = [f"{k}: {p[k]}" for k in ("role", "team", "url") if p.get(k)]
    return line + (f" ({'; '.join(attrs)})" if attrs else "")


def _risks(risks: list[dict[str, Any]]) -> str | None:
    """Bullets '- **name**: mitigation' when every mitigation is one line, else one
    sub-heading per risk (written as '#' and demoted under 'Risks and Harms')."""
    if all("\n" not in (r.get("mitigation") or "") for r in risks):
        lines = [f"- **{r['name']}**" + (f": {r['mitigation']}" if r.get("mitigation") else "")
                 for r in risks]
        return "\n".join(lines) or None
    return "\n\n".join(f"# {r['name']}\n\n{r.get('mitigation') or ''}".rstrip() for r in risks)


def _grid(table: dict[str, Any]) -> str:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
    lines = [row(table["columns"]), "|" + "---|" * len(table["columns"])]
    return "\n".join([*lines, *(row(r) for r in table.get("rows", []))])


def _table(rows: list[dict[str, Any]]) -> str:
    lines = ["| Metric | Slice | Value | CI | n |", "|---|---|---|---|---|"]
    for row in rows:
        slice_ = ", ".join(f"{k}={v}" for k, v in row.get("slice", {}).items())
        ci = f"[{row['ci'][0]}, {row['ci'][1]}]" if row.get("ci") else ""
        n = str(row["n"]) if row.get("n") is not None else ""
        cells = [row["metric"], slice_, repr(float(row["value"])), ci, n]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def export_hf(folder: Path, out: Path, *, force: bool) -> list[str]:
    """Write README.md for a version folder; return notes on what was not carried."""
    card, evaluation = load_version(folder)
    text, notes = render_readme(card, evaluation)
    if out.exists() and not force:
        raise MlcardsError(f"would overwrite {display_path(out)}; pass --force to overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return notes
