"""`mlcards check DIR`: the CI gate.

The gate itself (rules, findings, `evaluate`) is mlcards.compute.gate; this command
formats the findings (FORMATTERS) and exits 1 when any finding is an error. Adding
an output format: a function in FORMATTERS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

from mlcards.commands import Subparsers, add_command
from mlcards.commands.report import github_report, junit_report
from mlcards.compute.gate import Outcome, evaluate
from mlcards.errors import MlcardsError

# --------------------------------------------------------------------------- output


def format_text(outcome: Outcome) -> str:
    lines = [f"{f.file}:{f.line}:{f.column}: {f.severity}: "
             f"{f.model + ': ' if f.model else ''}{f.message} [{f.rule}]"
             for f in outcome.findings]
    errors = sum(f.severity == "error" for f in outcome.findings)
    policy = "" if outcome.min_score is None else f" (min readiness {outcome.min_score:g})"
    if outcome.failed:
        lines.append(f"check failed: {errors} error(s); {outcome.checked} approved model "
                     f"version(s) checked{policy}")
    else:
        lines.append(f"check passed: {outcome.checked} approved model version(s) meet the "
                     f"policy{policy}")
    return "\n".join(lines) + "\n"


FORMATTERS: dict[str, Callable[[Outcome], str]] = {
    "text": format_text, "junit": junit_report, "github": github_report}


# --------------------------------------------------------------------------- command


def register(sub: Subparsers) -> None:
    p = add_command(sub, "check", "CI gate: fail when an approved model version breaks policy.",
                    "  mlcards check site_example\n"
                    "  mlcards check my-registry --min-score 2\n")
    p.add_argument("registry", help="registry folder (holds mlcards.yaml)")
    p.add_argument("--min-score", type=non_negative, metavar="X",
                   help="minimum readiness score of approved versions "
                        "(default: policy.min_readiness in mlcards.yaml)")
    p.add_argument("--format", choices=sorted(FORMATTERS), default="text",
                   help="output format (default: text); junit: JUnit XML, one test case per "
                        "model version and rule; github: GitHub Actions annotations")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="write the report to FILE (the text report still goes to stdout)")
    p.add_argument("--fail-on-regression", action=argparse.BooleanOptionalAction,
                   default=None, help="fail approved versions whose metrics or readiness "
                   "regressed since the previous version (default: policy.fail_on_regression)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD|today|inputs", type=iso_date,
                   default="today",
                   help="date review and assessment due dates are judged against (default: "
                        "today, so a review that fell due since the last change fails CI; "
                        "'inputs': the newest date in the registry's files, as the site's "
                        "pages use)")
    p.set_defaults(func=run)


def iso_date(text: str) -> str | None:
    """--as-of: a date, 'today' (the clock: the gate judges now) or 'inputs' (None: the
    newest date in the inputs, as deterministic pages do)."""
    if text == "today":
        return dt.date.today().isoformat()
    if text == "inputs":
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date as YYYY-MM-DD, 'today' or 'inputs', got {text!r}") from None


def non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    outcome = evaluate(args.registry, args.min_score,
                       fail_on_regression=args.fail_on_regression, as_of=args.as_of)
    text = FORMATTERS[args.format](outcome)
    if args.output is not None:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise MlcardsError(f"cannot write {args.output}: {exc.strerror}") from exc
        text = format_text(outcome)
    print(text, end="", file=sys.stdout)
    return 1 if outcome.failed else 0
