"""What every importer shares: reading inputs safely, filling required card
fields from flags or marked placeholders, and writing `card.yaml` /
`evaluation.yaml` (and extra files) deterministically, never over existing
files unless forced, and only after the output validates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel

from mlcards import __version__
from mlcards.errors import InvalidInput, MlcardsError, Problem, display_path
from mlcards.interop.urls import add_section, drop_invalid_urls
from mlcards.load.yaml import YamlError, parse_yaml
from mlcards.schema import Card, Evaluation
from mlcards.validate.documents import validate_document

MAX_INPUT_BYTES = 20 * 1024 * 1024
SCHEMA_LINE = "# yaml-language-server: $schema=../../../schemas/{kind}.schema.json\n"
PLACEHOLDER_DATE = "TODO: release date (pass --date)"
"""No fake dates: a card without one says so, and `validate --strict` rejects it."""
SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
METRIC_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
TOOL = f"mlcards {__version__}"
NOTE = "TODO (mlcards import):"


@dataclass
class Options:
    """Flags shared by the importers."""

    out: Path
    model_id: str | None = None
    version: str | None = None
    date: dt.date | None = None
    task: str | None = None
    owners: list[str] = field(default_factory=list)
    force: bool = False


@dataclass
class ImportResult:
    """What an importer produced: documents, extra files and what went where."""

    card: dict[str, Any]
    evaluation: dict[str, Any] | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    report: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)

    def mapped(self, source: str, target: str) -> None:
        self.report.append(f"{source} -> {target}")

    def keep_unmapped(self, path: list[str], text: str, source: str) -> None:
        """Keep text no field takes as the additional section at heading `path`."""
        add_section(self.card, path[:-1], path[-1], text)
        self.report.append(f"{source} -> additional section {' / '.join(path)!r} "
                           "(no matching card field)")

    def provenance(self, fmt: str, version: str | None = None) -> dict[str, Any]:
        """The card's provenance block (made on first use)."""
        block: dict[str, Any] = self.card.setdefault(
            "provenance", {"format": fmt, "format_version": version, "imported_with": TOOL})
        return block


# --------------------------------------------------------------------------- reading


def read_text(path: Path, *, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of an input file; a located problem when it cannot be read."""
    name = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput([Problem(name, 1, 1, "", f"cannot read file: {exc.strerror}")]
                           ) from exc
    if len(raw) > max_bytes:
        raise InvalidInput([Problem(name, 1, 1, "",
                                    f"file is {len(raw)} bytes; the limit is {max_bytes}")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InvalidInput([Problem(name, line, column, "",
                                    f"file is not valid UTF-8 text (byte 0x{raw[exc.start]:02x})")]
                           ) from exc


def parse_date(value: Any) -> dt.date | None:
    """A date from ISO dates/datetimes, YYYY/MM/DD or MM/DD/YYYY; None otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    for fmt in ("%Y/%m/%d", "%m/%d/%Y", "%d.%m.%Y", "%B %d, %Y", "%b %d, %Y", "%Y-%m"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def metric_name(raw: str) -> str:
    """A metric id that mlcards accepts ('pass@1' -> 'pass_1')."""
    cleaned = METRIC_NAME.sub("_", raw.strip()).strip("_")
    return cleaned or "score"


def slug(name: str | None) -> str | None:
    """'Census Income Classifier' -> 'census-income-classifier' (None when nothing is left)."""
    text = re.sub(r"[^a-z0-9._-]+", "-", (name or "").lower()).strip("-._")[:100]
    return text or None


def person(text: str) -> dict[str, str]:
    """'Jane Doe <jane@example.com>' -> {name, email}; 'Jane' -> {name}."""
    match = re.match(r"^\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$", text)
    if match and match.group(1):
        return {"name": match.group(1), "email": match.group(2)}
    return {"name": text.strip()}


def join_text(*parts: str | None) -> str | None:
    """Non-empty parts joined by blank lines; None when all are empty."""
    kept = [p.strip("\n").rstrip() for p in parts if p and p.strip()]
    return "\n\n".join(kept) if kept else None


def set_text(target: dict[str, Any], key: str, text: str | None) -> None:
    """Set or append (after a blank line) a Markdown field."""
    if not text or not text.strip():
        return
    target[key] = join_text(target.get(key), text)


# --------------------------------------------------------------------------- required fields


def fill_required(result: ImportResult, opts: Options, found: dict[str, Any]) -> None:
    """Fill id, version, name, date, task, owners and description.

    Precedence: command-line flag, then the output folder
    (`models/<id>/<version>/`), then what the source card says (`found`),
    then a placeholder that `mlcards validate --strict` rejects.
    """
    details = result.card.setdefault("model_details", {})
    details["id"] = _pick_id(result, opts, found)
    details["version"] = _pick_version(result, opts, found)
    details["name"] = found.get("name") or details["id"]
    _pick_date(result, opts, found, details)
    _pick_task(result, opts, found, details)
    _pick_owners(result, opts, found, details)
    _section_placeholders(result)
    if not details.get("description"):
        details["description"] = "TODO: describe what the model does, for whom, how it was built."
        result.placeholders.append("model_details.description (no description in the source)")
    drop_invalid_urls(result.card, result.evaluation, result.report)
    kept = [line for line in details["description"].split("\n")
            if not line.startswith(NOTE)]  # an earlier import's note (a second trip)
    details["description"] = join_text("\n".join(kept)) or details["description"]
    if result.placeholders:
        note = (f"{NOTE} replace the placeholders in "
                + ", ".join(p.split(" ")[0] for p in result.placeholders) + ".")
        details["description"] = join_text(details["description"], note)


SECTION_REQUIRED = {"intended_use": ("primary_uses", "describe the intended uses"),
                    "factors": ("relevant", "describe the relevant factors"),
                    "metrics": ("performance_measures", "describe the performance measures")}


def _section_placeholders(result: ImportResult) -> None:
    """A section the source fills partly still needs its required field."""
    for section, (key, what) in SECTION_REQUIRED.items():
        part = result.card.get(section)
        if isinstance(part, dict) and part and not part.get(key):
            part[key] = f"TODO: {what}."
            result.placeholders.append(f"{section}.{key} (the source fills other parts of "
                                       f"{section} only)")


def _pick_id(result: ImportResult, opts: Options, found: dict[str, Any]) -> str:
    folder = opts.out.resolve().parent.name
    value = _pick(result, "model id", [(opts.model_id, "--id"), (folder, "output folder"),
                                       (found.get("id"), "source card"),
                                       (slug(found.get("name")), "card's name")], _is_slug)
    if value is None:
        raise MlcardsError("cannot tell the model id; pass --id or write to "
                           "models/<id>/<version>/")
    return value


def _pick_version(result: ImportResult, opts: Options, found: dict[str, Any]) -> str:
    folder = opts.out.resolve().name
    value = _pick(result, "version", [(opts.version, "--version"), (folder, "output folder"),
                                      (found.get("version"), "source card")], _is_version)
    if value is None:
        result.placeholders.append("model_details.version (no version in the source)")
        return "0.0.0"
    return value


def _pick(result: ImportResult, what: str, candidates: list[tuple[Any, str]],
          valid: Callable[[str], bool]) -> str | None:
    """The first candidate given (a flag must be valid; an odd folder name is skipped),
    noting where it came from and any other candidate that disagrees."""
    chosen: tuple[str, str] | None = None
    for value, source in candidates:
        if not value:
            continue
        text = str(value)
        if chosen is None and valid(text):
            chosen = (text, source)
            result.report.append(f"{what} {text!r} from the {source}")
        elif chosen is None and source not in ("output folder", "card's name"):
            raise MlcardsError(f"{what} {text!r} ({source}) is not valid: "
                               + ("lower-case letters, digits, '.', '_' and '-'; pass --id"
                                  if what == "model id" else
                                  "not a PEP 440 / semver version; pass --version"))
        elif chosen is not None and text != chosen[0] and source != "card's name":
            hint = " (mlcards validate expects them to match)" if source == "output folder" \
                else ""
            result.report.append(f"note: the {source} says {what} {text!r}{hint}")
    return chosen[0] if chosen else None


def _is_slug(text: str) -> bool:
    return bool(SLUG.match(text)) and len(text) <= 100


def _is_version(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def _pick_date(result: ImportResult, opts: Options, found: dict[str, Any],
               details: dict[str, Any]) -> None:
    if opts.date is not None:
        details["date"] = opts.date
    elif found.get("date") is not None:
        details["date"] = found["date"]
        result.report.append(f"release date {found['date']} from {found.get('date_source')}")
    else:
        details["date"] = PLACEHOLDER_DATE
        result.placeholders.append("model_details.date (no release date in the source; "
                                   "pass --date)")


def _pick_task(result: ImportResult, opts: Options, found: dict[str, Any],
               details: dict[str, Any]) -> None:
    task = opts.task or found.get("task")
    if task:
        details["task"] = task
        return
    details["task"] = "TODO: task"
    result.placeholders.append("model_details.task (pass --task)")


def _pick_owners(result: ImportResult, opts: Options, found: dict[str, Any],
                 details: dict[str, Any]) -> None:
    owners = [person(o) for o in opts.owners] or found.get("owners") or []
    for owner in owners:
        if owner.get("email") and not EMAIL.match(owner["email"]):
            owner.pop("email")
    if owners:
        details["owners"] = owners
        return
    details["owners"] = [{"name": "TODO: model owner"}]
    result.placeholders.append("model_details.owners (pass --owner 'Name <email>')")


# --------------------------------------------------------------------------- writing


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text, lists for tuples, no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _tuple(dumper: yaml.SafeDumper, data: tuple[Any, ...]) -> yaml.Node:
    return dumper.represent_list(list(data))


_Dumper.add_representer(str, _str)
_Dumper.add_representer(tuple, _tuple)


def dump_yaml(data: Any) -> str:
    """Deterministic YAML: keys in the given order, Unicode kept, block text."""
    text: str = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                          default_flow_style=False, width=1000)
    return text


def prune(value: Any) -> Any:
    """Drop None, empty lists and empty mappings, recursively."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list | tuple):
        items = [prune(v) for v in value]
        return type(value)(items) if isinstance(value, tuple) else items
    return value


def render_document(kind: str, data: dict[str, Any], target: Path) -> str:
    """Validated YAML text of a card or evaluation, with the schema comment first."""
    model: type[BaseModel] = Card if kind == "card" else Evaluation
    body = dump_yaml(prune(data))
    try:
        doc = parse_yaml(body, target)
    except YamlError as exc:  # pragma: no cover - dump_yaml output always parses
        raise InvalidInput([exc.problem]) from exc
    problems: list[Problem] = []
    parsed = validate_document(doc, model, problems)
    if parsed is None:
        raise InvalidInput([Problem(p.file, p.line, p.column, p.field,
                                    f"{p.message} (in the generated file; fix the source "
                                    "card or pass the flag for this field)")
                            for p in problems])
    clean = prune(parsed.model_dump(mode="python", exclude_none=True))
    return SCHEMA_LINE.format(kind=kind) + dump_yaml(clean)


def write_result(result: ImportResult, opts: Options) -> list[Path]:
    """Write card.yaml, evaluation.yaml and extra files into opts.out."""
    out = opts.out
    texts: dict[str, bytes] = {"card.yaml": render_document(
        "card", result.card, out / "card.yaml").encode("utf-8")}
    if result.evaluation is not None:
        texts["evaluation.yaml"] = render_document(
            "evaluation", result.evaluation, out / "evaluation.yaml").encode("utf-8")
    texts.update(result.files)
    targets = {confined(out, rel): data for rel, data in sorted(texts.items())}
    existing = [p for p in targets if p.exists()]
    if existing and not opts.force:
        names = ", ".join(display_path(p) for p in existing)
        raise MlcardsError(f"would overwrite {names}; pass --force to overwrite")
    for path, data in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return list(targets)


def confined(folder: Path, rel: str) -> Path:
    """`folder/rel`, refusing anything that would land outside `folder`."""
    base = folder.resolve()
    path = (base / rel).resolve()
    if Path(rel).is_absolute() or not path.is_relative_to(base) or path == base:
        raise MlcardsError(f"refusing to write {rel!r} outside {display_path(folder)}")
    return path


def print_report(result: ImportResult, written: list[Path]) -> None:
    """What went where, the placeholders left, and the files written."""
    for line in result.report:
        print(f"  {line}")
    for item in result.placeholders:
        print(f"  placeholder: {item}")
    if result.placeholders:
        print("  `mlcards validate --strict` rejects the placeholders until they are replaced.")
    for path in written:
        print(f"wrote {display_path(path)}")
