"""Reference pages of the project's own documentation, generated, never written twice.

- one page per file kind from the JSON Schemas (`mlcards.commands.schemagen.schema_documents`),
  with the scaffold's file of that kind as a worked example;
- the CLI reference from `mlcards.cli.build_parser()` (every subcommand's --help);
- the rubric's level bands and tests from the built-in rubric file.

`docs/hooks.py` adds these pages to the MkDocs build in memory, so they cannot go
stale; `python -m mlcards.commands.docgen DIR` writes them out for reading without MkDocs.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mlcards.cli import build_parser
from mlcards.commands.schemagen import schema_documents
from mlcards.schema import FILE_KINDS
from mlcards.validate.rubric import Rubric, builtin_rubric

PACKAGE = Path(__file__).parent.parent
INIT_EXAMPLE = "The `{}` that `mlcards init` writes:"
KIND_FILES: dict[str, tuple[str, str | None, str]] = {
    "registry": ("mlcards.yaml", "scaffold/mlcards.yaml", INIT_EXAMPLE),
    "card": ("card.yaml", "scaffold/models/example-model/0.1.0/card.yaml", INIT_EXAMPLE),
    "evaluation": ("evaluation.yaml", "scaffold/models/example-model/0.1.0/evaluation.yaml",
                   INIT_EXAMPLE),
    "readiness": ("readiness.yaml", "scaffold/models/example-model/0.1.0/readiness.yaml",
                  INIT_EXAMPLE),
    "rubric": ("Rubric files", "validate/ml_test_score.yaml",
               "The built-in ML Test Score rubric, a rubric file like any other:"),
    "scorecard": ("scorecard.json", None, ""),
}
"""Schema kind -> (page title, example file inside the package, example caption)."""
RUBRIC_PAGE = "reference/ml-test-score.md"
HELP_WIDTH = 96


def code(text: str) -> str:
    """Inline code that is safe inside a Markdown table cell."""
    return "<code>" + html.escape(text).replace("|", "&#124;") + "</code>"


def cell(text: str) -> str:
    """Plain text for a table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def anchor(name: str) -> str:
    return name.lower()


# --------------------------------------------------------------------------- JSON Schema


def type_text(schema: dict[str, Any]) -> str:
    """A short human description of a JSON Schema's type, with links to objects."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return f"[{name}](#{anchor(name)})"
    if "const" in schema:
        return code(json.dumps(schema["const"]))
    if "enum" in schema:
        return "one of " + ", ".join(code(str(v)) for v in schema["enum"])
    if "anyOf" in schema:
        members = [m for m in schema["anyOf"] if m.get("type") != "null"]
        return " or ".join(type_text(m) for m in members) or "null"
    kind = schema.get("type")
    if kind == "array":
        if "prefixItems" in schema:
            return "[" + ", ".join(type_text(m) for m in schema["prefixItems"]) + "]"
        return "list of " + type_text(schema.get("items", {}))
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return "map of text to " + type_text(extra)
        return "mapping"
    names = {"string": "text", "number": "number", "integer": "integer", "boolean": "true/false"}
    text = names.get(str(kind), str(kind) if kind else "any value")
    fmt = schema.get("format")
    if fmt == "date":
        return "date (YYYY-MM-DD)"
    return f"{text} ({fmt})" if fmt else text


CONSTRAINTS = (
    ("pattern", "pattern {}"), ("minLength", "at least {} characters"),
    ("maxLength", "at most {} characters"), ("minItems", "at least {} item(s)"),
    ("maxItems", "at most {} item(s)"), ("minimum", "≥ {}"), ("exclusiveMinimum", "> {}"),
    ("maximum", "≤ {}"), ("exclusiveMaximum", "< {}"),
)


def constraints(schema: dict[str, Any]) -> list[str]:
    """Limits on a value (pattern, sizes, bounds), also inside anyOf members."""
    out: list[str] = []
    for member in [schema, *schema.get("anyOf", [])]:
        for key, template in CONSTRAINTS:
            if key in member:
                value = member[key]
                out.append(template.format(code(value) if key == "pattern" else value))
    return out


def referenced_description(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    """The description of the object a property refers to (directly or via anyOf)."""
    for member in [prop, *prop.get("anyOf", [])]:
        ref = member.get("$ref")
        if isinstance(ref, str):
            return str(defs.get(ref.rsplit("/", 1)[-1], {}).get("description", ""))
    return ""


def field_rows(schema: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    """Markdown table rows, one per property, in schema order."""
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        text = cell(prop.get("description") or referenced_description(prop, defs))
        if text and not text.endswith((".", "?", ")")):
            text += "."
        limits = constraints(prop)
        if limits:
            text += " Limits: " + ", ".join(limits) + "."
        if "default" in prop and prop["default"] not in (None, [], {}):
            text += " Default: " + code(json.dumps(prop["default"])) + "."
        need = "**required**" if name in required else "optional"
        rows.append(f"| {code(name)} | {type_text(prop)} | {need} | {text.strip()} |")
    return rows


def object_order(doc: dict[str, Any]) -> list[str]:
    """$defs names in the order they are first referenced from the root, then the rest."""
    defs = doc.get("$defs", {})
    seen: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.rsplit("/", 1)[-1]
                if name not in seen and name in defs:
                    seen.append(name)
                    walk(defs[name])
            for key, value in node.items():
                if key != "$defs":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(doc)
    return seen + sorted(n for n in defs if n not in seen)


def object_section(name: str, schema: dict[str, Any], defs: dict[str, Any],
                   level: str = "##") -> list[str]:
    lines = [f"{level} {name} {{#{anchor(name)}}}", ""]
    if schema.get("description"):
        lines += [" ".join(str(schema["description"]).split()), ""]
    if schema.get("properties"):
        lines += ["| Field | Type | Required | Meaning and limits |",
                  "| --- | --- | --- | --- |", *field_rows(schema, defs), ""]
    elif "enum" in schema:
        lines += ["One of: " + ", ".join(code(str(v)) for v in schema["enum"]), ""]
    return lines


def schema_page(kind: str, doc: dict[str, Any]) -> str:
    """The reference page of one file kind."""
    file_name, example, caption = KIND_FILES.get(kind, (f"{kind}.json", None, ""))
    title = str(doc.get("title", kind))
    lines = [f"# {file_name}", "",
             f"Generated from the `{title}` schema "
             f"(JSON Schema: `schemas/{kind}.schema.json`, also written by "
             "`mlcards schema`). Unknown keys are errors; a field marked optional may be "
             "left out.", ""]
    defs = doc.get("$defs", {})
    lines += object_section(title, doc, defs)
    for name in object_order(doc):
        lines += object_section(name, defs[name], defs)
    if example is not None:
        text = (PACKAGE / example).read_text(encoding="utf-8")
        lines += ["## Example", "", caption.format(file_name), "",
                  "```yaml", text.rstrip("\n"), "```", ""]
    return "\n".join(lines)


def schema_pages() -> dict[str, str]:
    """reference/<kind>.md for every file kind."""
    pages = {}
    for file_name, text in schema_documents().items():
        kind = file_name.removesuffix(".schema.json")
        pages[f"reference/{kind}.md"] = schema_page(kind, declared_order(kind, json.loads(text)))
    return pages


def schema_models() -> dict[str, type[BaseModel]]:
    """The models behind schema_documents(), to read their declared field order."""
    from mlcards.compute.scorecard_data import Scorecard
    from mlcards.validate.rubric import Rubric

    return {**FILE_KINDS, "rubric": Rubric, "scorecard": Scorecard}


def declared_order(kind: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The schema with properties in the order the model declares them (the published
    JSON sorts keys; people read a card's sections in Mitchell et al.'s order)."""
    model = schema_models().get(kind)
    if model is None:
        return doc
    declared = model.model_json_schema()

    def reorder(target: dict[str, Any], source: dict[str, Any]) -> None:
        props = target.get("properties")
        order = list(source.get("properties", {}))
        if isinstance(props, dict):
            target["properties"] = {k: props[k] for k in sorted(
                props, key=lambda k: (order.index(k) if k in order else len(order), k))}

    reorder(doc, declared)
    for name, sub in doc.get("$defs", {}).items():
        reorder(sub, declared.get("$defs", {}).get(name, {}))
    return doc


def reference_index(kinds: Sequence[str]) -> str:
    lines = ["# Reference", "", "Generated from the code, so it always matches the "
             "installed mlcards.", "",
             "- [Command line](cli.md): every command and option.",
             "- [ML Test Score](ml-test-score.md): the built-in rubric's tests and levels."]
    for kind in kinds:
        title = KIND_FILES.get(kind, (f"{kind}.json", None, ""))[0]
        lines.append(f"- [{title}]({kind}.md): every field.")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- CLI


@contextmanager
def fixed_width(columns: int) -> Iterator[None]:
    """argparse wraps help to the terminal's width; pin it so output is reproducible."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Subcommand name -> parser, in registration order."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_page() -> str:
    """reference/cli.md: the main help, then every subcommand's help."""
    with fixed_width(HELP_WIDTH):
        parser = build_parser()
        lines = ["# Command line", "",
                 "Generated from `mlcards --help` and each command's `--help`. Exit "
                 "status: 0 success, 1 invalid input or a failed gate, 2 usage error.", "",
                 "```text", parser.format_help().rstrip(), "```", ""]
        for name, sub in subcommands(parser).items():
            lines += [f"## mlcards {name} {{#{anchor(name)}}}", "",
                      "```text", sub.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- rubric


def levels_table(rubric: Rubric) -> str:
    """Markdown table of the rubric's final-score bands."""
    rows = ["| Final score | Meaning |", "| --- | --- |"]
    for level in rubric.levels:
        if level.min is None:
            band = f"≤ {level.max:g}" if level.max is not None else "any"
        elif level.max is None:
            band = f"> {level.min:g}"
        else:
            band = f"({level.min:g}, {level.max:g}]"
        rows.append(f"| {band} | {cell(level.summary)} |")
    return "\n".join(rows) + "\n"


def tests_table(rubric: Rubric) -> str:
    """Markdown table per section of the rubric's tests."""
    out: list[str] = []
    for section in rubric.sections:
        out += [f"### {cell(section.title)} (`{section.id}`)", "",
                "| Id | Test |", "| --- | --- |"]
        out += [f"| `{t.id}` | {cell(t.title)} |" for t in section.tests]
        out.append("")
    return "\n".join(out)


def rubric_page(rubric: Rubric) -> str:
    return "\n".join([
        f"# {rubric.title} rubric", "",
        f"The built-in rubric `{rubric.rubric}`, version {rubric.version}, generated from "
        "`mlcards/validate/ml_test_score.yaml`. How it is scored: [Scoring rules](../scoring.md).",
        "", "## Levels", "", levels_table(rubric), "## Tests", "", tests_table(rubric)])


# --------------------------------------------------------------------------- markers

MARKER = re.compile(r"<!--\s*mlcards:([a-z-]+)(?:\s+(\S+))?\s*-->")
FENCE_LANGUAGES = {".yml": "yaml", ".yaml": "yaml", ".sh": "bash", ".json": "json",
                   ".toml": "toml", ".py": "python"}


def include_block(root: Path, rel: str) -> str:
    """A repository file as a fenced code block (the file is shown, never copied)."""
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        raise ValueError(f"mlcards:include {rel}: no such file in the repository")
    lang = FENCE_LANGUAGES.get(path.suffix, "text")
    text = path.read_text(encoding="utf-8").rstrip("\n")
    return f'```{lang} title="{rel}"\n{text}\n```'


def expand_markers(markdown: str, root: Path) -> str:
    """Replace `<!-- mlcards:NAME [ARG] -->` markers in hand-written pages with
    generated content: rubric-levels, rubric-tests, include PATH (relative to root)."""
    rubric = builtin_rubric()

    def replace(match: re.Match[str]) -> str:
        name, arg = match.group(1), match.group(2)
        if name == "rubric-levels":
            return levels_table(rubric)
        if name == "rubric-tests":
            return tests_table(rubric)
        if name == "include" and arg:
            return include_block(root, arg)
        raise ValueError(f"unknown docs marker {match.group(0)!r}")

    return MARKER.sub(replace, markdown)


# --------------------------------------------------------------------------- all


def generated_pages() -> dict[str, str]:
    """Docs path (relative to docs/) -> Markdown, for every generated page."""
    pages = schema_pages()
    kinds = [p.removeprefix("reference/").removesuffix(".md") for p in pages]
    pages["reference/index.md"] = reference_index(kinds)
    pages["reference/cli.md"] = cli_page()
    pages[RUBRIC_PAGE] = rubric_page(builtin_rubric())
    return dict(sorted(pages.items()))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m mlcards.commands.docgen DIR`: write the generated pages under DIR."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m mlcards.commands.docgen DOCS_DIR", file=sys.stderr)
        return 2
    for rel, text in generated_pages().items():
        path = Path(args[0]) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
