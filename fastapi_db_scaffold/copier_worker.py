"""Copier's `Worker` as `new` runs it: into a fresh staging directory, faster.

Three costs of Copier that `new` does not need to pay on every run:

- Copier clones a git template for every copy, and then asks git for its tag, its
  hash, its version and its index: about ten git processes, a fifth of `new`, only
  to read files this tool has on disk already. The bundled template's versions are
  git commits made from version trees the tool keeps (`template_versions`); given
  the tree of the tagged version (`CheckedOut`), the worker reads it in place and
  records the repository and tag exactly as after a clone.
- Copier asks git, once for every file it writes, whether the destination's git
  index needs an executable bit copied (only for `core.fileMode=false`, and only for
  files git already tracks). `new` renders into an empty temporary directory that no
  repository tracks, so the answer is always "no": that is ~60 git processes spared.
- Copier compiles every template file anew each run, and every path, answer
  default and validator it renders from a string; its environment gets the bytecode
  cache of `jinja_cache` (keyed by template name, since Copier renders from a fresh
  clone in a new temporary directory each time), for strings too.

These override private methods of Copier's Worker and Template (the tool already
relies on Copier's internals in `template_source`); a Copier without them gets its
own classes, unchanged. Imported only when a template is rendered: importing Copier
is most of `new`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from .jinja_cache import bytecode_cache, cache_string_templates

if TYPE_CHECKING:
    from copier._jinja_ext import SandboxedEnvironment
    from copier._main import Worker
    from copier._template import Template
    from packaging.version import Version

__all__ = ["CheckedOut", "staging_worker"]


@dataclass(frozen=True)
class CheckedOut:
    """The files of a git template's tagged commit, already on disk."""

    tree: Path
    """The directory holding copier.yml, as a clone of `tag` would."""
    tag: str
    """The tag (`vcs_ref`) whose commit holds exactly these files."""


_TEMPLATE_OVERRIDES = ("local_abspath", "commit", "commit_hash", "version")


@cache
def _checked_out_template_class(checked_out: CheckedOut) -> type[Template] | None:
    from copier._template import Template

    if not all(hasattr(Template, name) for name in _TEMPLATE_OVERRIDES):
        return None

    class CheckedOutTemplate(Template):
        """A git template read from `checked_out.tree` instead of a fresh clone."""

        @cached_property
        def local_abspath(self) -> Path:
            return checked_out.tree.resolve()

        @cached_property
        def commit(self) -> str | None:
            return checked_out.tag

        @cached_property
        def commit_hash(self) -> str | None:
            from copier._vcs import get_git

            git = get_git(self.url_expanded)
            return str(git("rev-parse", f"{checked_out.tag}^{{commit}}")).strip()

        @cached_property
        def version(self) -> Version | None:
            from packaging.version import InvalidVersion, Version

            try:
                return Version(checked_out.tag)
            except InvalidVersion:
                return None

        @cached_property
        def git_index_modes(self) -> Mapping[PurePosixPath, int]:
            return {}  # the tree's own modes, as the commit was made from them

    return CheckedOutTemplate


@cache
def _staging_worker_class(checked_out: CheckedOut | None) -> type[Worker]:
    from copier._main import Worker

    overridden = ("_sync_git_index_executable_bit", "jinja_env", "template")
    if not all(hasattr(Worker, name) for name in overridden):
        return Worker
    template_class, template_tag = None, None
    if checked_out is not None:
        template_class = _checked_out_template_class(checked_out)
        template_tag = checked_out.tag

    class StagingWorker(Worker):
        """A Worker whose destination is a fresh directory outside any repository."""

        def _sync_git_index_executable_bit(
            self, dst_relpath: Path, src_mode: int
        ) -> None:
            """Nothing to sync: no git index tracks the staging directory's files."""

        @cached_property
        def jinja_env(self) -> SandboxedEnvironment:
            environment = super().jinja_env
            environment.bytecode_cache = bytecode_cache(environment, by_name=True)
            cache_string_templates(environment, environment.bytecode_cache)
            return environment

        @cached_property
        def template(self) -> Template:
            ref = self.resolved_vcs_ref
            if template_class is None or not self.src_path or ref != template_tag:
                return super().template
            result = template_class(
                url=self.src_path, ref=ref, use_prereleases=self.use_prereleases
            )
            self._cleanup_hooks.append(result._cleanup)
            return result

    return StagingWorker


def staging_worker(checked_out: CheckedOut | None = None, **options: Any) -> Worker:
    """A Worker (a context manager, as `copier.Worker`) with Copier's options; one
    given `checked_out` reads that tree instead of cloning `src_path` at its tag."""
    return _staging_worker_class(checked_out)(**options)
