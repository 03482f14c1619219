"""`mlcards validate DIR`: report every problem in a registry, located."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlcards.commands import Subparsers, add_command
from mlcards.errors import format_problems
from mlcards.validate import collect_problems


def register(sub: Subparsers) -> None:
    p = add_command(sub, "validate", "Check every file of a registry against the schemas.",
                    "  mlcards validate site_example\n"
                    "  mlcards validate --strict my-registry   # also reject TODO placeholders\n")
    p.add_argument("registry", type=Path, help="registry folder (holds mlcards.yaml)")
    p.add_argument("--strict", action="store_true",
                   help="also reject placeholder text (TODO, 'More information needed') "
                        "in required sections")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    registry, problems = collect_problems(args.registry, strict=args.strict)
    if problems:
        print(format_problems(problems), file=sys.stderr)
    if registry is None:
        errors = sum(p.severity == "error" for p in problems)
        print(f"{errors} error(s) in {args.registry}", file=sys.stderr)
        return 1
    n = len(registry.versions())
    print(f"{args.registry}: {len(registry.models)} models, {n} versions: valid")
    return 0
