"""`mlcards build DIR -o site/`: the registry as a static website (MkDocs + Material)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from mlcards.commands import Subparsers, add_command


def register(sub: Subparsers) -> None:
    p = add_command(
        sub, "build", "Build the registry's website (model cards, scorecards, plots).",
        "  mlcards build site_example -o site\n"
        "  mlcards build my-registry -o site --strict --build-date 2026-03-01\n"
        "  mlcards build my-registry -o out --docs-only   # docs/ + mkdocs.yml for MkDocs "
        "or Zensical\n")
    p.add_argument("registry", type=Path, help="registry folder (holds mlcards.yaml)")
    p.add_argument("-o", "--output", type=Path, default=Path("site"),
                   help="output folder, replaced atomically (default: site)")
    p.add_argument("--strict", action="store_true",
                   help="fail on MkDocs warnings (broken links) too")
    p.add_argument("--docs-only", action="store_true",
                   help="write the docs tree and mkdocs.yml only; do not run MkDocs")
    p.add_argument("--revision", help="source revision recorded in downloads "
                   "(default: git HEAD when the registry is a git checkout)")
    p.add_argument("--build-date", metavar="YYYY-MM-DD",
                   help="date recorded in the sitemap (default: the newest card date)")
    p.add_argument("-q", "--quiet", action="store_true", help="print warnings and errors only")
    p.add_argument("--timings", action="store_true",
                   help="print seconds and peak memory of each stage at the end")
    p.add_argument("--timings-json", type=Path, metavar="FILE",
                   help="write the same measurements as JSON to FILE (benchmarks/)")
    from mlcards.incremental.cache import add_arguments

    add_arguments(p)
    p.set_defaults(func=run)


class ConsoleProgress:
    """Progress on stderr: a counter updated in place on a terminal, plain lines in logs."""

    def __init__(self, stream: TextIO, *, quiet: bool, live: bool) -> None:
        self.stream = stream
        self.quiet = quiet
        self.live = live
        self.pending = False

    def _end_live(self) -> None:
        if self.pending:
            self.stream.write("\n")
            self.pending = False

    def stage(self, text: str) -> None:
        if not self.quiet:
            self._end_live()
            print(f"mlcards: {text}", file=self.stream, flush=True)

    def counts(self, pages: int, plots: int) -> None:
        if self.quiet or not self.live:
            return
        self.stream.write(f"\rmlcards: producing... {pages} pages, {plots} plots")
        self.stream.flush()
        self.pending = True

    def warning(self, text: str) -> None:
        self._end_live()
        print(text, file=self.stream, flush=True)


def live_terminal(stream: TextIO) -> bool:
    """Update lines in place only on an interactive terminal outside CI."""
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    return stream.isatty() and not ci and os.environ.get("TERM") != "dumb"


def run(args: argparse.Namespace) -> int:
    from mlcards.site.build import BuildOptions, build_site, parse_build_date

    progress = ConsoleProgress(sys.stderr, quiet=args.quiet, live=live_terminal(sys.stderr))
    options = BuildOptions(
        strict=args.strict, docs_only=args.docs_only, revision=args.revision,
        build_date=parse_build_date(args.build_date) if args.build_date else None,
        progress=progress)
    from mlcards import timing
    from mlcards.incremental.bundles import DamagedCacheFile
    from mlcards.incremental.cache import from_arguments
    from mlcards.incremental.layer import configured
    from mlcards.incremental.parse import prefetch

    cache, workers = from_arguments(args, args.registry)
    recorder = timing.Recorder()
    with timing.recording(recorder):
        try:
            with configured(cache, workers):
                with timing.stage("load"):
                    prefetch(args.registry)
                build_site(args.registry, args.output, options)
        except DamagedCacheFile as exc:  # nothing was swapped in: build again, checking
            progress.warning(f"warning: {exc}; building again without damaged entries")
            with configured(cache, workers, check_files=True):
                build_site(args.registry, args.output, options)
    if args.timings:
        print(recorder.table(), file=sys.stderr)
    if args.timings_json:
        with args.timings_json.open("w", encoding="utf-8") as fh:
            timing.write_json(recorder, fh)
    return 0
