"""`mlcards schema -o DIR`: write one JSON Schema per file kind."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlcards.commands import Subparsers, add_command
from mlcards.commands.schemagen import write_schemas


def register(sub: Subparsers) -> None:
    p = add_command(sub, "schema", "Write the JSON Schema of every file kind.",
                    "  mlcards schema -o schemas/\n")
    p.add_argument("-o", "--output", type=Path, default=Path("schemas"),
                   help="folder to write into (default: schemas/)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for path in write_schemas(args.output):
        print(f"wrote {path}")
    return 0
