"""`mlcards verify SCORECARD.json DIR`: check a downloaded scorecard against a registry.

Recomputes, without trusting the site: the scorecard's own canonical hash, the
SHA-256 of every input file it names, the set of input files, the scores
(per test, per section, final, level) and the rest of its content. Prints what
matches and what differs; exit 0 only when everything matches.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mlcards.commands import Subparsers, add_command
from mlcards.errors import InvalidInput, MlcardsError, display_path
from mlcards.load.yaml import parse_json_object


@dataclass(frozen=True)
class Check:
    ok: bool
    subject: str
    detail: str = ""

    def format(self) -> str:
        mark = "ok     " if self.ok else "DIFFERS"
        return f"  {mark} {self.subject}{': ' + self.detail if self.detail else ''}"


def register(sub: Subparsers) -> None:
    p = add_command(sub, "verify", "Check a scorecard.json against the registry it came from.",
                    "  mlcards verify scorecard.json site_example\n"
                    "  mlcards verify site/models/fraud/2.0.0/scorecard.json my-registry\n")
    p.add_argument("scorecard", type=Path, help="a scorecard.json (downloaded or built)")
    p.add_argument("registry", type=Path, help="registry folder (holds mlcards.yaml)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raw, card = read_scorecard(args.scorecard)
    checks = verify(raw, card, args.registry)
    print(f"verify {display_path(args.scorecard)} against {display_path(args.registry)} "
          f"({card.model.id} {card.model.version})")
    for c in checks:
        print(c.format())
    bad = [c for c in checks if not c.ok]
    if bad:
        print(f"NOT verified: {len(bad)} difference(s) between the scorecard and the registry")
        return 1
    print("verified: the scorecard matches the registry")
    return 0


def read_scorecard(path: Path) -> tuple[dict[str, Any], Any]:
    """The file's JSON and its validated Scorecard; located errors otherwise."""
    from mlcards.compute.scorecard_data import Scorecard
    from mlcards.validate.documents import problems_from_validation

    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MlcardsError(f"{name}:1:1: cannot read the scorecard: {exc}") from exc
    raw = parse_json_object(text, name, "a scorecard")
    try:
        return raw, Scorecard.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(problems_from_validation(exc, _positions(path, text, raw),
                                                    Scorecard)) from exc


def _positions(path: Path, text: str, raw: dict[str, Any]) -> Any:
    """The JSON parsed as YAML (a superset) for line numbers; line 1 when that fails."""
    from mlcards.load.yaml import LoadedYaml, YamlError, parse_yaml

    try:
        return parse_yaml(text, path)
    except YamlError:
        return LoadedYaml(path, raw)


# --------------------------------------------------------------------------- checks


def verify(raw: dict[str, Any], card: Any, root: Path) -> list[Check]:
    """Every check of a scorecard against the registry at `root`."""
    from mlcards.compute.provenance import HASH_FIELD, self_hash
    from mlcards.compute.readiness import score_version
    from mlcards.compute.scorecard_data import build_scorecard
    from mlcards.validate.registry import load_registry

    claimed, actual = raw.get(HASH_FIELD), self_hash(raw)
    checks = [Check(claimed == actual, "sha256 of the canonical JSON",
                    f"{actual}" if claimed == actual else
                    f"recorded {claimed}, content hashes to {actual}")]
    registry = load_registry(root)
    checks += input_checks(card, registry.root)
    entry = registry.model(card.model.id)
    mv = next((v for v in entry.versions if v.version == card.model.version), None) \
        if entry else None
    score = score_version(registry, mv) if mv else None
    if mv is None or score is None:
        what = "is not in the registry" if mv is None else "has no readiness.yaml"
        checks.append(Check(False, "model version", f"{card.model.id} {card.model.version} "
                                                    f"{what}"))
        return checks
    fresh = build_scorecard(registry, mv, score, card.provenance.revision)
    return checks + input_set_checks(card, fresh) + score_checks(card, fresh) \
        + content_checks(card, fresh)


def input_checks(card: Any, root: Path) -> list[Check]:
    from mlcards.compute.provenance import sha256_file

    out = []
    base = root.resolve()
    for item in card.provenance.inputs:
        path = (base / item.path).resolve()
        if not path.is_relative_to(base):
            out.append(Check(False, item.path, "path leaves the registry folder"))
        elif not path.is_file():
            out.append(Check(False, item.path, "file is missing from the registry"))
        else:
            digest = sha256_file(path)
            out.append(Check(digest == item.sha256, item.path, "sha256 matches"
                             if digest == item.sha256 else
                             f"recorded {item.sha256[:16]}…, registry file {digest[:16]}…"))
    return out


def input_set_checks(card: Any, fresh: Any) -> list[Check]:
    recorded = {i.path for i in card.provenance.inputs}
    current = {i.path for i in fresh.provenance.inputs}
    return [Check(False, path, "the registry now uses this file, the scorecard does not list it")
            for path in sorted(current - recorded)] + \
           [Check(False, path, "listed in the scorecard, no longer an input")
            for path in sorted(recorded - current)]


def score_checks(card: Any, fresh: Any) -> list[Check]:
    out = []
    old_tests = {t.id: t for t in card.tests}
    for t in fresh.tests:
        old = old_tests.pop(t.id, None)
        if old is None or (old.status, old.points) != (t.status, t.points):
            was = f"{old.status} ({old.points:g})" if old else "absent"
            out.append(Check(False, f"test {t.id}", f"recorded {was}, registry {t.status} "
                                                    f"({t.points:g})"))
    out += [Check(False, f"test {tid}", "recorded, not in the rubric") for tid in old_tests]
    old_sections = {s.id: s.score for s in card.sections}
    for s in fresh.sections:
        if old_sections.get(s.id) != s.score:
            out.append(Check(False, f"section {s.id}",
                             f"recorded {old_sections.get(s.id)}, registry {s.score:g}"))
    same = (card.final_score, card.level.range) == (fresh.final_score, fresh.level.range)
    out.append(Check(same, "score", f"final {fresh.final_score:g} of {fresh.maximum:g}, level "
                     f"{fresh.level.range}" if same else
                     f"recorded final {card.final_score:g} level {card.level.range}, registry "
                     f"final {fresh.final_score:g} level {fresh.level.range}"))
    return out


def content_checks(card: Any, fresh: Any) -> list[Check]:
    """Fields other than scores and inputs (notes, owners, people, dates, versions)."""
    skip = {"sha256", "provenance", "tests", "sections", "final_score", "level"}
    old, new = card.model_dump(mode="json"), fresh.model_dump(mode="json")
    out = [Check(False, key, "differs from what the registry gives")
           for key in sorted(new) if key not in skip and old.get(key) != new[key]]
    recorded = {t["id"]: t for t in old["tests"]}
    for t in new["tests"]:
        was = recorded.get(t["id"], {})
        fields = [k for k in sorted(t) if k not in ("status", "points") and was.get(k) != t[k]]
        if was and fields:
            out.append(Check(False, f"test {t['id']}", f"{', '.join(fields)} differ"))
    was, now = old["provenance"], new["provenance"]
    if was["rubric_version"] != now["rubric_version"]:
        out.append(Check(False, "rubric version", f"recorded {was['rubric_version']}, "
                         f"registry {now['rubric_version']}"))
    if not out:
        out.append(Check(True, "content", "every other field matches"))
    made = f"made by mlcards {was['mlcards_version']}"
    if was["mlcards_version"] != now["mlcards_version"]:
        made += f", checked with mlcards {now['mlcards_version']}"
    out.append(Check(True, "provenance", f"{made}; source revision "
                     f"{was['revision'] or 'not recorded'}"))
    return out
