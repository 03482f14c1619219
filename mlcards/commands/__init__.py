"""One module per CLI subcommand; each exposes `register(subparsers)`."""

from __future__ import annotations

import argparse
from typing import Any

from mlcards.cli import HelpFormatter

Subparsers = Any  # argparse._SubParsersAction is private


def add_command(sub: Subparsers, name: str, help_text: str, examples: str,
                ) -> argparse.ArgumentParser:
    """A subcommand parser whose --help ends with examples."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help_text, description=help_text,
        epilog="examples:\n" + examples, formatter_class=HelpFormatter)
    return parser
