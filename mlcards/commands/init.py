"""`mlcards init DIR`: scaffold a registry with one model that validates."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from mlcards.commands import Subparsers, add_command
from mlcards.commands.schemagen import schema_documents, write_schemas
from mlcards.errors import MlcardsError

SCAFFOLD = Path(__file__).parent.parent / "scaffold"


def register(sub: Subparsers) -> None:
    p = add_command(sub, "init", "Create a registry folder with one example model.",
                    "  mlcards init my-registry\n  mlcards init --force my-registry\n")
    p.add_argument("registry", type=Path, help="folder to create")
    p.add_argument("--force", action="store_true", help="overwrite files that already exist")
    p.set_defaults(func=run)


def scaffold_files() -> list[Path]:
    return sorted(p.relative_to(SCAFFOLD) for p in SCAFFOLD.rglob("*") if p.is_file())


def run(args: argparse.Namespace) -> int:
    target: Path = args.registry
    files = scaffold_files()
    schemas = [Path("schemas") / name for name in sorted(schema_documents())]
    existing = [rel for rel in [*files, *schemas] if (target / rel).exists()]
    if existing and not args.force:
        names = ", ".join(str(target / rel) for rel in existing)
        raise MlcardsError(f"would overwrite {names}; pass --force to overwrite")
    for rel in files:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SCAFFOLD / rel, target / rel)
    write_schemas(target / "schemas")
    print(f"created {target} ({len(files)} files and schemas/); next: mlcards validate {target}")
    return 0
