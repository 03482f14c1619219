"""MkDocs plugin `mlcards`: add a registry's pages to an existing MkDocs site.

    plugins:
      - search
      - mlcards:
          registry: ../model-registry   # relative to mkdocs.yml
          prefix: registry              # docs-tree folder the pages go under

A thin adapter over the same pipeline as `mlcards build`: the registry is
loaded and validated, every producer runs, and the files are added to the
build as generated files (nothing is written into docs_dir). Model and
version pages stay out of an automatic navigation, which lists only the
registry's top-level pages. `mkdocs serve` also watches the registry folder.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel

from mlcards.errors import InvalidInput, MlcardsError
from mlcards.outputs import OutputFile
from mlcards.site.build import make_context, produce
from mlcards.site.engine import top_nav
from mlcards.validate.registry import load_registry

REQUIRED_EXTENSIONS = ("admonition", "attr_list", "md_in_html", "tables", "toc")
TOP_PAGES = ("index.md", "models/index.md", "tags/index.md", "readiness/index.md")


class MlcardsConfig(base.Config):  # type: ignore[no-untyped-call]
    """Options of the plugin in mkdocs.yml."""

    registry = c.Type(str)
    prefix = c.Type(str, default="registry")
    revision = c.Optional(c.Type(str))
    build_date = c.Optional(c.Type(str))
    hide_model_pages = c.Type(bool, default=True)
    set_nav = c.Type(bool, default=False)
    """Replace the site's navigation with the registry's top-level pages (`mlcards serve`)."""


class MlcardsPlugin(BasePlugin[MlcardsConfig]):  # type: ignore[no-untyped-call]
    """Generates the registry's pages into the MkDocs build."""

    def __init__(self) -> None:
        self.outputs: list[OutputFile] = []
        self.registry_root: Path | None = None

    @property
    def prefix(self) -> str:
        return self.config.prefix.strip("/")

    def uri(self, path: str) -> str:
        """Docs-tree path of a produced file under the configured prefix."""
        return posixpath.join(self.prefix, path) if self.prefix else path

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        base_dir = Path(config.config_file_path or ".").parent
        root = (base_dir / self.config.registry).resolve()
        self.registry_root = root
        try:
            registry = load_registry(root)
            ctx = make_context(registry, revision=self.config.revision,
                               build_date=self.config.build_date)
            self.outputs = produce(ctx)
        except InvalidInput as exc:
            raise PluginError(f"mlcards: the registry {root} is invalid:\n{exc}") from exc
        except MlcardsError as exc:
            raise PluginError(f"mlcards: {exc}") from exc
        self._add_extensions(config)
        self._add_assets(config)
        if self.config.set_nav:
            prefix = f"{self.prefix}/" if self.prefix else ""
            config.nav = top_nav([o.path for o in self.outputs], prefix)
        return config

    def _add_extensions(self, config: MkDocsConfig) -> None:
        """The Markdown extensions the pages are written for."""
        for name in REQUIRED_EXTENSIONS:
            if name not in config.markdown_extensions:
                config.markdown_extensions.append(name)

    def _add_assets(self, config: MkDocsConfig) -> None:
        from mlcards.render.pages import EXTRA_CSS, EXTRA_JAVASCRIPT

        produced = {o.path for o in self.outputs}
        for path in EXTRA_CSS:
            if path in produced and self.uri(path) not in config.extra_css:
                config.extra_css.append(self.uri(path))
        scripts = [str(s) for s in config.extra_javascript]
        for path in EXTRA_JAVASCRIPT:
            if path in produced and self.uri(path) not in scripts:
                config.extra_javascript.append(self.uri(path))

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        for out in self.outputs:
            uri = self.uri(out.path)
            if files.get_file_from_path(uri) is not None:
                raise PluginError(f"mlcards: {uri} exists in docs_dir; the registry pages "
                                  "would replace it (choose another `prefix`)")
            files.append(File.generated(config, uri, content=out.content,
                                        inclusion=self._inclusion(out.path)))
        return files

    def _inclusion(self, path: str) -> InclusionLevel:
        """Keep model and version pages out of an automatic navigation."""
        if self.config.hide_model_pages and path.endswith(".md") and path not in TOP_PAGES:
            return InclusionLevel.NOT_IN_NAV
        return InclusionLevel.UNDEFINED

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        """Rebuild when a registry file changes."""
        if self.registry_root is not None:
            server.watch(str(self.registry_root))
        return server
