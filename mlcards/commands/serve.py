"""`mlcards serve DIR`: preview the site with live reload while editing the registry."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from mlcards.commands import Subparsers, add_command


def register(sub: Subparsers) -> None:
    p = add_command(sub, "serve", "Preview the registry's site; rebuilds when a file changes.",
                    "  mlcards serve site_example\n"
                    "  mlcards serve my-registry -a 127.0.0.1:8001\n")
    p.add_argument("registry", type=Path, help="registry folder (holds mlcards.yaml)")
    p.add_argument("-a", "--dev-addr", default="127.0.0.1:8000", metavar="HOST:PORT",
                   help="address to serve on (default: 127.0.0.1:8000)")
    p.add_argument("--no-livereload", action="store_true", help="do not reload on changes")
    p.set_defaults(func=run)


def serve_config(registry_root: Path, work: Path) -> Path:
    """Write the preview's mkdocs.yml: the build's config with the mlcards plugin
    generating the pages from the registry on every rebuild."""
    from mlcards.site.engine import mkdocs_config, mkdocs_yaml
    from mlcards.validate.registry import load_registry

    registry = load_registry(registry_root)  # refuse invalid input before serving
    doc = mkdocs_config(registry, [], strict=False)
    doc["plugins"] = ["search", {"mlcards": {"registry": str(registry_root.resolve()),
                                             "prefix": "", "set_nav": True}}]
    del doc["nav"]  # the plugin sets it (and the assets) from what it produced
    (work / "docs").mkdir(parents=True, exist_ok=True)
    config_file = work / "mkdocs.yml"
    config_file.write_text(mkdocs_yaml(doc), encoding="utf-8")
    return config_file


def run(args: argparse.Namespace) -> int:
    from mkdocs.commands.serve import serve
    from mkdocs.exceptions import MkDocsException

    from mlcards.errors import MlcardsError

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    with tempfile.TemporaryDirectory(prefix="mlcards-serve-") as work:
        config_file = serve_config(args.registry, Path(work))
        try:
            serve(config_file=str(config_file), livereload=not args.no_livereload,
                  watch=[str(args.registry.resolve())], dev_addr=args.dev_addr)
        except MkDocsException as exc:
            raise MlcardsError(f"mkdocs serve failed: {exc}") from exc
    return 0
