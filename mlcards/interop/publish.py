"""Publish the graphics an import wrote beside a card (`graphics/` of a version
folder) into the docs tree, so the card page's `![..](graphics/x.png)` images
resolve: `models/<id>/<version>/graphics/<name>`.

Only plain file names, and only files whose first bytes are PNG, JPEG or a
script-free SVG, are copied; symlinks and anything else are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlcards.interop.graphics import FOLDER, sniff, svg_is_inert
from mlcards.outputs import OutputFile
from mlcards.render.context import BuildContext, producer

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*\.(png|jpg|svg)$")


@producer
def version_graphics(ctx: BuildContext) -> Iterator[OutputFile]:
    """Each version's imported graphics, under its card page's folder."""
    for mv in ctx.registry.versions():
        folder = mv.folder / FOLDER
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in sorted(folder.iterdir()):
            match = NAME.match(path.name)
            if match is None or path.is_symlink() or not path.is_file():
                continue
            data = path.read_bytes()
            kind = sniff(data)
            if kind != match.group(1) or (kind == "svg" and not svg_is_inert(data)):
                continue
            yield OutputFile(f"models/{mv.model_id}/{mv.version}/{FOLDER}/{path.name}", data)
