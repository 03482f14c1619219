"""`mlcards validate DIR`: report every problem in a registry, located."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlcards.commands import Subparsers, add_command
from mlcards.errors import Problem, display_path, format_problems
from mlcards.validate.registry import CONFIG_FILE, collect_problems

EXIT_USAGE = 2
"""As mlcards.cli's (which this layer does not import): the command line was wrong."""


def register(sub: Subparsers) -> None:
    p = add_command(sub, "validate", "Check every file of a registry against the schemas.",
                    "  mlcards validate site_example\n"
                    "  mlcards validate --strict my-registry   # also reject TODO placeholders\n"
                    "  mlcards validate models/a/1.0.0/card.yaml  # the registry holding a file\n")
    p.add_argument("registry", type=Path, nargs="+",
                   help="registry folder (holds mlcards.yaml), or files inside registries: "
                        "each registry holding one is validated once (for pre-commit hooks)")
    p.add_argument("--strict", action="store_true",
                   help="also reject placeholder text: TODO, 'More information needed' "
                        "in required sections, `mlcards init`'s own ('Your Name', ...) "
                        "anywhere")
    from mlcards.incremental.cache import add_arguments

    add_arguments(p)
    p.set_defaults(func=run)


def registry_root(path: Path) -> Path | None:
    """The folder holding mlcards.yaml at or above `path`, or None."""
    start = path.absolute()
    if not start.is_dir():
        start = start.parent
    return next((d for d in (start, *start.parents) if (d / CONFIG_FILE).is_file()), None)


def roots_of(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """Registries to validate: folders as given, files mapped to their registry once."""
    roots: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        found = None if path.is_dir() else registry_root(path)
        root = path if path.is_dir() else Path(display_path(found)) if found else None
        if root is None:
            problems.append(Problem(display_path(path), 1, 1, "",
                                    f"not inside a registry (no {CONFIG_FILE} in its folder "
                                    "or above)"))
        elif all(root.resolve() != r.resolve() for r in roots):
            roots.append(root)
    return roots, problems


def run(args: argparse.Namespace) -> int:
    missing = [path for path in args.registry if not path.exists()]
    if missing:  # a mistyped argument is a usage error (2), not an invalid registry (1)
        for path in missing:
            print(f"error: {path}: no such file or folder", file=sys.stderr)
        return EXIT_USAGE
    roots, outside = roots_of(args.registry)
    if outside:
        print(format_problems(outside), file=sys.stderr)
    status = 1 if outside else 0
    from mlcards.incremental.cache import from_arguments
    from mlcards.incremental.layer import configured
    from mlcards.incremental.parse import prefetch

    for root in roots:
        with configured(*from_arguments(args, root)):
            prefetch(root)
            status = max(status, validate_one(root, args.strict))
    return status


def validate_one(root: Path, strict: bool) -> int:
    """Validate one registry folder, print its problems and a summary line."""
    registry, problems = collect_problems(root, strict=strict)
    if problems:
        print(format_problems(problems), file=sys.stderr)
    if registry is None:
        errors = sum(p.severity == "error" for p in problems)
        print(f"{errors} error(s) in {root}", file=sys.stderr)
        return 1
    n = len(registry.versions())
    print(f"{root}: {len(registry.models)} models, {n} versions: valid")
    return 0
