"""`mlcards diff DIR MODEL [OLD] [NEW]`: what changed between two versions.

Markdown output is plain enough for a terminal and a CI log (padded tables,
no HTML) and renders as-is in a pull-request comment; JSON is for scripts.
Card text is untrusted: control characters are dropped so it cannot drive
the terminal.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlcards.commands import Subparsers, add_command
from mlcards.compute.diff import VersionDiff, diff_versions, to_json
from mlcards.compute.review import measurements_function
from mlcards.errors import MlcardsError
from mlcards.load.yaml import did_you_mean
from mlcards.validate.registry import ModelEntry, ModelVersion, Registry, load_registry

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def register(sub: Subparsers) -> None:
    p = add_command(sub, "diff", "Show what changed between two versions of a model.",
                    "  mlcards diff site_example credit-risk              # two newest versions\n"
                    "  mlcards diff site_example credit-risk 1.1.0 1.2.0\n"
                    "  mlcards diff site_example credit-risk --format json > diff.json\n")
    p.add_argument("registry", type=Path, help="registry folder (holds mlcards.yaml)")
    p.add_argument("model", help="model id (its folder name under models/)")
    p.add_argument("old", nargs="?", help="older version (default: the second newest)")
    p.add_argument("new", nargs="?", help="newer version (default: the newest)")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown",
                   help="output format (default: markdown)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    registry = load_registry(args.registry)
    entry = _entry(registry, args.model)
    old, new = pick_versions(entry, args.old, args.new)
    d = diff_versions(registry, old, new, measured_by=measurements_function(registry))
    text = (json.dumps(to_json(d), indent=2, ensure_ascii=False) + "\n"
            if args.format == "json" else format_markdown(d))
    if isinstance(sys.stdout, io.TextIOWrapper):  # a console without UTF-8 gets escapes
        sys.stdout.reconfigure(errors="backslashreplace")
    sys.stdout.write(text)
    return 0


def _entry(registry: Registry, model_id: str) -> ModelEntry:
    entry = registry.model(model_id)
    if entry is None:
        ids = [m.id for m in registry.models]
        raise MlcardsError(f"no model {model_id!r} in the registry{did_you_mean(model_id, ids)}"
                           f"; models: {', '.join(ids) or '(none)'}")
    return entry


def pick_versions(entry: ModelEntry, old: str | None,
                  new: str | None) -> tuple[ModelVersion, ModelVersion]:
    """The two versions to compare: given ones, or the two newest."""
    by_name = {v.version: v for v in entry.versions}
    for name in (old, new):
        if name is not None and name not in by_name:
            raise MlcardsError(f"model {entry.id!r} has no version {name!r}; versions: "
                               f"{', '.join(by_name)}")
    if old is None:
        if len(entry.versions) < 2:
            raise MlcardsError(f"model {entry.id!r} has only one version "
                               f"({entry.versions[0].version}); nothing to compare")
        return entry.versions[-2], entry.versions[-1]
    if new is None:
        later = [v for v in entry.versions if v.sort_key > by_name[old].sort_key]
        new_mv = later[-1] if later else entry.latest
        return by_name[old], new_mv
    return by_name[old], by_name[new]


# --------------------------------------------------------------------------- markdown


def clean(value: Any) -> str:
    """Text of a card value for a terminal: no control characters, one line."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return _CONTROL.sub("", text.replace("\n", " ").replace("\r", "")).strip()


def num(x: float | str | None, signed: bool = False) -> str:
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    if signed and abs(x) < 1e-12:
        return "0"
    return f"{x:+.4g}" if signed else f"{x:.4g}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown pipe table padded to column widths (reads well unrendered)."""
    cells = [list(headers), *[[c.replace("|", "\\|") for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
             for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return lines


def format_markdown(d: VersionDiff) -> str:
    """The whole diff as Markdown, regressions first."""
    o, n = d.old.version, d.new.version
    out = [f"# {d.model_id}: {o} → {n}", "",
           f"{o} ({d.old.status}, {d.old.date}) → {n} ({d.new.status}, {d.new.date}); "
           f"regression tolerance {num(d.tolerance)}", ""]
    out += _regressions(d) + _metrics(d) + _readiness(d) + _disparity(d) + _fields(d)
    if d.is_empty:
        out += ["No changes.", ""]
    return "\n".join(out)


def _regressions(d: VersionDiff) -> list[str]:
    regs = sorted(d.regressions, key=lambda r: not r.gated)
    if not regs:
        return ["## Regressions", "", "None.", ""]
    out = [f"## Regressions ({len(regs)})", ""]
    if any(r.gated for r in regs):
        out += ["[gate]: beyond the regression policy; fails `mlcards check` when the new "
                "version is approved.", ""]
    for r in regs:
        mark = " [gate]" if r.gated else ""
        out.append(f"- {r.kind}: {clean(r.subject)}: {num(r.old)} → {num(r.new)} "
                   f"({num(r.delta, signed=True)}){mark}")
    return [*out, ""]


def _metrics(d: VersionDiff) -> list[str]:
    if not d.metrics:
        return []
    order = {"regressed": 0, "improved": 1, "changed": 2, "added": 3, "removed": 4,
             "unchanged": 5}
    arrow = {True: " ↑", False: " ↓", None: " ↕"}  # ↕: neither direction is better
    rows = [[clean(m.metric) + arrow[m.higher_is_better], clean(m.slice_label),
             num(m.old), num(m.new), num(m.delta, signed=True), m.change,
             {True: "yes", False: "no", None: "—"}[m.outside_ci]]
            for m in sorted(d.metrics, key=lambda m: order[m.change])]
    head = ["metric", "slice", d.old.version, d.new.version, "delta", "change", "outside CI"]
    return ["## Metrics", "", *table(head, rows), ""]


def _readiness(d: VersionDiff) -> list[str]:
    r = d.readiness
    if r is None:
        return []
    out = ["## Readiness", "",
           f"Final score {num(r.old_final)} → {num(r.new_final)} ({num(r.delta, signed=True)})",
           ""]
    rows = [[s.title, num(s.old), num(s.new), num(s.delta, signed=True)] for s in r.sections]
    out += [*table(["section", d.old.version, d.new.version, "delta"], rows), ""]
    if r.tests:
        out += ["Tests that moved:", ""]
        out += [f"- {t.id} {t.title}: {t.old or 'not-done'} → {t.new or 'not-done'} "
                f"({t.gain:+g})" for t in sorted(r.tests, key=lambda t: t.gain)]
        out.append("")
    return out


def _disparity(d: VersionDiff) -> list[str]:
    changed = [x for x in d.disparity if x.delta is None or abs(x.delta) > 1e-9]
    if not changed:
        return []
    rows = [[clean(x.metric), clean(x.feature), num(x.old), num(x.new),
             num(x.delta, signed=True), "grew" if x.grew else ""]
            for x in sorted(changed, key=lambda x: not x.grew)]
    head = ["metric", "groups", d.old.version, d.new.version, "delta", ""]
    return ["## Disparity (largest gap to overall)", "", *table(head, rows), ""]


def _fields(d: VersionDiff) -> list[str]:
    if not d.fields:
        return []
    out = [f"## Card fields ({len(d.fields)} changed)", ""]
    for f in d.fields:
        if f.diff:
            out += [f"- {f.kind} `{clean(f.path)}`:", "", "  ```diff"]
            out += ["  " + _CONTROL.sub("", line) for line in f.diff.splitlines()]
            out += ["  ```", ""]
        elif f.kind == "edited":
            out.append(f"- edited `{clean(f.path)}`: {clean(f.old)} → {clean(f.new)}")
        else:
            value = f.new if f.new is not None else f.old
            out.append(f"- {f.kind} `{clean(f.path)}`: {clean(value)}")
    return [*out, ""]
