"""The result type of the `run_cli` fixture, importable by test modules.

It lives outside conftest.py: tests/browser/ has a conftest of its own, and
`from conftest import ...` would find whichever conftest was imported first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CliResult:
    """Exit status and captured output of one `mlcards` invocation."""

    code: int
    out: str
    err: str
