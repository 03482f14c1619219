"""`mlcards score PATH`: the readiness score of one readiness.yaml or of a whole registry."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcards.commands import Subparsers, add_command

if TYPE_CHECKING:
    from mlcards.compute.readiness import Score
    from mlcards.validate.registry import ModelVersion

FORMATS = ("table", "json", "csv")


def register(sub: Subparsers) -> None:
    p = add_command(sub, "score", "Score readiness (ML Test Score) of a file or a registry.",
                    "  mlcards score site_example\n"
                    "  mlcards score models/fraud/2.0.0/readiness.yaml\n"
                    "  mlcards score site_example --format csv > readiness.csv\n")
    p.add_argument("path", type=Path, help="a readiness.yaml, or a registry folder")
    p.add_argument("--format", choices=FORMATS, default="table",
                   help="table (default), json or csv")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path: Path = args.path
    text = score_registry(path, args.format) if path.is_dir() else score_file(path, args.format)
    print(text, end="")
    return 0


# --------------------------------------------------------------------------- one file


def score_file(path: Path, fmt: str) -> str:
    from mlcards.compute.readiness import score_readiness_file

    score, src = score_readiness_file(path)
    data = score_data(score)
    if fmt == "json":
        return _json({"file": src.name, **data})
    if fmt == "csv":
        from mlcards.compute.scorecard_data import write_csv

        return write_csv(("section", "test_id", "title", "status", "points"),
                         [(t.section, t.id, t.title, t.status, t.points)
                          for t in score.tests]).decode("utf-8")
    rows = [(s.title, _n(s.score), _n(s.maximum)) for s in score.sections]
    rows.append(("final (lowest section)", _n(score.final), _n(score.maximum)))
    gaps = ", ".join(t.id for t in score.gaps) or "none"
    return (f"{src.name}: {score.rubric.title} ({score.rubric.version})\n"
            + table(("section", "score", "max"), rows, right={1, 2})
            + f"level {score.level.range_text}: {score.level.summary}\n"
            + f"weakest section: {score.weakest.title}\n"
            + f"tests not done ({len(score.gaps)}): {gaps}\n"
            + automation_text(score))


def automation_text(score: Score) -> str:
    """Which automated claims the JUnit reports verify (one line, more when some fail)."""
    claims = score.automated_claims
    if not claims:
        return ""
    lines = [f"automated claims verified by CI test reports: {len(score.verified)} of "
             f"{len(claims)} ({_n(score.verified_points)} of {_n(score.total_points)} points)"]
    lines += [f"  {t.id} {t.verification.state}: {t.verification.reason}"
              for t in claims if t.verification is not None
              and t.verification.state in ("failed", "unverified")]
    return "\n".join(lines) + "\n"


def score_data(score: Score) -> dict[str, Any]:
    """A score as plain data (what --format json prints)."""
    return {
        "rubric": {"id": score.rubric.rubric, "title": score.rubric.title,
                   "version": score.rubric.version},
        "final_score": score.final, "maximum": score.maximum,
        "level": {"range": score.level.range_text, "summary": score.level.summary},
        "weakest_section": score.weakest.id,
        "sections": [{"id": s.id, "title": s.title, "score": s.score, "maximum": s.maximum}
                     for s in score.sections],
        "tests": [{"id": t.id, "section": t.section, "status": t.status, "points": t.points,
                   "verified": t.verification.state if t.verification else None}
                  for t in score.tests],
    }


# --------------------------------------------------------------------------- registry


def score_registry(root: Path, fmt: str) -> str:
    from mlcards.compute.readiness import score_version
    from mlcards.validate.registry import load_registry

    registry = load_registry(root)
    versions = sorted(registry.versions(), key=lambda v: (v.model_id, v.sort_key))
    scored = [(mv, score_version(registry, mv)) for mv in versions]
    if fmt == "json":
        return _json({"registry": registry.config.title,
                      "min_readiness": registry.config.policy.min_readiness,
                      "versions": [{"model_id": mv.model_id, "version": mv.version,
                                    "status": mv.card.status, "assessed": s is not None,
                                    **(score_data(s) if s else {})} for mv, s in scored]})
    sections: list[str] = []
    for _, s in scored:
        sections += [x.id for x in (s.sections if s else ()) if x.id not in sections]
    if fmt == "csv":
        from mlcards.compute.scorecard_data import write_csv

        columns = ("model_id", "version", "status", "assessed", "final_score", "maximum",
                   "level", "weakest_section", *[f"section_{x}" for x in sections], "gaps")
        return write_csv(columns, [_csv_row(mv, s, sections) for mv, s in scored]).decode()
    rows = [(mv.model_id, mv.version, mv.card.status,
             f"{_n(s.final)} / {_n(s.maximum)}" if s else "-",
             s.level.range_text if s else "not assessed", s.weakest.title if s else "")
            for mv, s in scored]
    return table(("model", "version", "status", "score", "level", "weakest section"), rows,
                 right={3})


def _csv_row(mv: ModelVersion, s: Score | None, sections: list[str]) -> list[object]:
    if s is None:
        return [mv.model_id, mv.version, mv.card.status, "no", *[None] * (5 + len(sections))]
    scores = {x.id: x.score for x in s.sections}
    return [mv.model_id, mv.version, mv.card.status, "yes", s.final, s.maximum,
            s.level.range_text, s.weakest.id, *[scores.get(x) for x in sections], len(s.gaps)]


# --------------------------------------------------------------------------- output


def _n(value: float) -> str:
    return f"{value:g}"


def _json(data: dict[str, Any]) -> str:
    from mlcards.compute.provenance import normalize

    return json.dumps(normalize(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """Aligned plain-text columns (right-aligned where asked)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(cells).rstrip() + "\n"

    return line(header) + "".join(line(r) for r in rows)
