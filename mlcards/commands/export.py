"""`mlcards export hf`: write a version's card as a Hugging Face README.md."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlcards.commands import Subparsers, add_command

EXAMPLES = """\
  mlcards export hf my-registry/models/sentiment/1.0.0 -o README.md
  mlcards export hf my-registry/models/sentiment/1.0.0 -o hub/README.md --force
"""


def register(sub: Subparsers) -> None:
    p = add_command(sub, "export", "Export a model version's card to another format.", EXAMPLES)
    formats = p.add_subparsers(dest="format", metavar="FORMAT", required=True)
    hf = formats.add_parser("hf", help="a Hugging Face README.md with model-index",
                            description="Write a Hugging Face model card (front matter, "
                            "model-index from evaluation.yaml, template headings).")
    hf.add_argument("version_dir", type=Path, help="version folder models/<id>/<version>")
    hf.add_argument("-o", "--output", type=Path, required=True, help="README.md to write")
    hf.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mlcards.errors import display_path
    from mlcards.interop.hf_export import export_hf

    notes = export_hf(args.version_dir, args.output, force=args.force)
    for note in notes:
        print(f"  {note}")
    print(f"wrote {display_path(args.output)}")
    return 0
