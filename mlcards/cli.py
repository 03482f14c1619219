"""The `mlcards` command: parse arguments, call the pipeline, print, exit.

Exit status: 0 success, 1 invalid input or a failed gate, 2 usage error.
Each subcommand lives in `mlcards/commands/<name>.py` and exposes
`register(subparsers)`; heavy imports happen inside the command, not here.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from mlcards import __version__
from mlcards.errors import InvalidInput, MlcardsError

COMMANDS = ("init", "validate", "schema", "build", "serve", "score", "check", "verify",
            "evaluate", "diff", "import", "export")

EPILOG = """examples:
  mlcards init my-registry            scaffold a registry with one model
  mlcards validate my-registry        report every problem, with file:line:column
  mlcards build my-registry -o site   build the static site
  mlcards check my-registry           CI gate: exit 1 when an approved model fails policy
"""

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples in epilogs laid out as written."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlcards",
        description="Turn a folder of YAML model metadata into a model-registry website.",
        epilog=EPILOG, formatter_class=HelpFormatter)
    parser.add_argument("--version", action="version", version=f"mlcards {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module_name = "import_" if name == "import" else name
        try:
            module = importlib.import_module(f"mlcards.commands.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"mlcards.commands.{module_name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except InvalidInput as exc:
        print(exc, file=sys.stderr)
        errors = sum(p.severity == "error" for p in exc.problems)
        print(f"{errors} error(s); nothing was written.", file=sys.stderr)
        return EXIT_INVALID
    except MlcardsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("interrupted; nothing was changed.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
