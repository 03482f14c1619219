"""`mlcards import hf|mct`: turn a Hugging Face or Model Card Toolkit card into
card.yaml and evaluation.yaml, saying what went where."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from mlcards.commands import Subparsers, add_command
from mlcards.errors import MlcardsError

EXAMPLES = """\
  mlcards import hf README.md -o models/sentiment/1.0.0/
  mlcards import hf README.md -o models/sentiment/1.0.0/ --owner 'Jane Doe <jane@example.com>' \\
      --date 2024-05-01 --task text-classification
  mlcards import mct model_card.json -o models/census-income/0.3.0/ --force
"""


def register(sub: Subparsers) -> None:
    p = add_command(sub, "import", "Import a Hugging Face or Model Card Toolkit model card.",
                    EXAMPLES)
    formats = p.add_subparsers(dest="format", metavar="FORMAT", required=True)
    hf = formats.add_parser("hf", help="a Hugging Face README.md (front matter + Markdown)",
                            description="Import a Hugging Face model card; .eval_results/*.yaml "
                            "beside it are read too.")
    hf.add_argument("source", type=Path, help="README.md of the Hugging Face model")
    mct = formats.add_parser("mct", help="a Model Card Toolkit model_card.json",
                             description="Import a Model Card Toolkit JSON card (schema "
                             "v0.0.1 or v0.0.2); embedded graphics are written to graphics/, "
                             "one that cannot be decoded is skipped with a warning.")
    mct.add_argument("source", type=Path, help="model_card.json")
    for parser in (hf, mct):
        _common(parser)
    p.set_defaults(func=run)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="version folder to write, e.g. models/<id>/<version>/")
    p.add_argument("--id", dest="model_id", help="model id (default: the output's parent folder)")
    p.add_argument("--version", help="version (default: the output folder's name)")
    p.add_argument("--date", type=_date,
                   help="release date YYYY-MM-DD (wins over the card's; needed when it has none)")
    p.add_argument("--task", help="task, e.g. binary-classification (wins over the card's)")
    p.add_argument("--owner", action="append", default=[], dest="owners", metavar="OWNER",
                   help="owner 'Name <email>', repeatable (replaces the card's owners)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from exc


def run(args: argparse.Namespace) -> int:
    from mlcards.interop.common import Options, print_report, write_result
    from mlcards.interop.hf import import_hf
    from mlcards.interop.mct import import_mct

    if not args.source.is_file():
        raise MlcardsError(f"{args.source}: no such file")
    opts = Options(out=args.output, model_id=args.model_id, version=args.version,
                   date=args.date, task=args.task, owners=args.owners, force=args.force)
    result = import_hf(args.source, opts) if args.format == "hf" else import_mct(args.source,
                                                                                  opts)
    written = write_result(result, opts)
    print(f"imported {args.source} ({args.format}):")
    print_report(result, written)
    return 0
