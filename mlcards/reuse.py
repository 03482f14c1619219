"""The points where a stage's result may be reused, and the default: no reuse.

Stages stay pure functions of their inputs. Where a result is worth keeping across
builds, a stage names the point and hands over the function that makes it:

- `call(point, fn, *args)`: a stage function at its boundary ("yaml": parse a
  file's text, "valid": read and validate one file, "summary": a plain-text summary);
- `result(ctx, kind, subject, compute)`: a per-version result of a build
  (`BuildContext.cached`);
- `bundle(ctx, kind, subject, paths, make)`: files made together (a version's
  plots, its scorecard files, a model's pages, a registry-wide page);
- `finish(files)`: the produced files once every producer ran;
- `docs_to_write(files)`: which of the files MkDocs' docs folder must hold (the
  others the MkDocs run reads from where they are);
- `mkdocs_plugins(previous_site)`: plugins added to the MkDocs run (e.g. parallel
  conversion), told the site the run replaces, if any;
- `kept_site(inputs)` / `keep_site(inputs, folder, messages)`: a whole site built
  before from exactly these inputs, and keeping one (MkDocs need not run again).

`Inline` (the default) makes everything at once, here. The incremental layer
(`mlcards.incremental`) installs another `Reuse` for the duration of a command,
with `using`; stages never import it, and their output is the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from mlcards.errors import MlcardsError
from mlcards.outputs import OutputFile

T = TypeVar("T")
Paths = Sequence[str] | Callable[[], Sequence[str]]
Make = Callable[[], Mapping[str, bytes]]
"""A bundle's maker: path -> bytes, for exactly the bundle's paths."""


@dataclass(frozen=True)
class SiteInputs:
    """What the MkDocs stage makes the site from, besides the installed libraries."""

    files: Sequence[OutputFile]
    config_text: str
    build_date: str
    strict: bool


class KeptSite(Protocol):
    """A site built before from the same inputs (see `Reuse.kept_site`)."""

    @property
    def messages(self) -> list[str]:
        """MkDocs' messages of that build, as `site.engine.run_mkdocs` returned them."""
        ...

    def holds(self, folder: Path) -> bool:
        """Whether `folder` holds exactly this site, byte for byte."""
        ...

    def write_to(self, folder: Path) -> bool:
        """Write the site into the empty `folder` (False: a kept file was damaged)."""
        ...


class Reuse(Protocol):
    """How results are made: at once (Inline) or reused across builds."""

    def call(self, point: str, fn: Callable[..., T], *args: Any) -> T: ...

    def result(self, ctx: Any, kind: str, subject: Any, compute: Callable[[], T]) -> T: ...

    def known(self, ctx: Any, kind: str, subject: Any) -> bool: ...

    def bundle(self, ctx: Any, kind: str, subject: Any, paths: Paths, make: Make, *,
               stage: str) -> list[OutputFile]: ...

    def finish(self, files: Iterable[OutputFile]) -> list[OutputFile]: ...

    def docs_to_write(self, files: Iterable[OutputFile]) -> list[OutputFile]: ...

    def mkdocs_plugins(self, previous_site: Path | None) -> dict[str, Any]: ...

    def kept_site(self, inputs: SiteInputs) -> KeptSite | None: ...

    def keep_site(self, inputs: SiteInputs, folder: Path, messages: list[str]) -> None: ...


class Inline:
    """No reuse: every function runs when asked, every bundle is made at once."""

    def call(self, point: str, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)

    def result(self, ctx: Any, kind: str, subject: Any, compute: Callable[[], T]) -> T:
        return compute()

    def known(self, ctx: Any, kind: str, subject: Any) -> bool:
        """Whether `ctx.cached(kind, subject, ...)` was computed (without error)."""
        return (kind, getattr(subject, "key", subject)) in ctx.memo

    def bundle(self, ctx: Any, kind: str, subject: Any, paths: Paths, make: Make, *,
               stage: str) -> list[OutputFile]:
        made = make()
        planned = list(paths() if callable(paths) else paths)
        check_made(kind, planned, made)
        return [OutputFile(p, made[p]) for p in planned]

    def finish(self, files: Iterable[OutputFile]) -> list[OutputFile]:
        return list(files)

    def docs_to_write(self, files: Iterable[OutputFile]) -> list[OutputFile]:
        return list(files)

    def mkdocs_plugins(self, previous_site: Path | None) -> dict[str, Any]:
        return {}

    def kept_site(self, inputs: SiteInputs) -> KeptSite | None:
        return None

    def keep_site(self, inputs: SiteInputs, folder: Path, messages: list[str]) -> None:
        return None


def check_made(kind: str, planned: Iterable[str], made: Mapping[str, bytes]) -> None:
    """A bundle's maker must make exactly the files it planned (later producers may
    already link to them)."""
    if set(made) != set(planned):
        extra = sorted(set(made) ^ set(planned))
        raise MlcardsError(f"{kind}: planned and made files differ: {', '.join(extra)}")


_ACTIVE: ContextVar[Reuse | None] = ContextVar("mlcards_reuse", default=None)
_INLINE = Inline()


def active() -> Reuse:
    """The Reuse in force (Inline unless a command installed another)."""
    return _ACTIVE.get() or _INLINE


@contextmanager
def using(reuse: Reuse) -> Iterator[Reuse]:
    """Make results through `reuse` inside the block."""
    token = _ACTIVE.set(reuse)
    try:
        yield reuse
    finally:
        _ACTIVE.reset(token)
