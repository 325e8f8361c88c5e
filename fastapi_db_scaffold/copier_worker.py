"""Copier's `Worker` as `new` runs it: into a fresh staging directory, faster.

Two costs of Copier that `new` does not need to pay on every run:

- Copier asks git, once for every file it writes, whether the destination's git
  index needs an executable bit copied (only for `core.fileMode=false`, and only for
  files git already tracks). `new` renders into an empty temporary directory that no
  repository tracks, so the answer is always "no": that is ~60 git processes spared.
- Copier compiles every template file anew each run, and every path, answer
  default and validator it renders from a string; its environment gets the bytecode
  cache of `jinja_cache` (keyed by template name, since Copier renders from a fresh
  clone in a new temporary directory each time), for strings too.

Both override private methods of Copier's Worker (the tool already relies on
Copier's internals in `template_source`); a Copier without them gets its own Worker,
unchanged. Imported only when a template is rendered: importing Copier is most of
`new`.
"""

from __future__ import annotations

from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .jinja_cache import bytecode_cache, cache_string_templates

if TYPE_CHECKING:
    from copier._jinja_ext import SandboxedEnvironment
    from copier._main import Worker

__all__ = ["staging_worker"]


@cache
def _staging_worker_class() -> type[Worker]:
    from copier._main import Worker

    overridden = ("_sync_git_index_executable_bit", "jinja_env")
    if not all(hasattr(Worker, name) for name in overridden):
        return Worker

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

    return StagingWorker


def staging_worker(**options: Any) -> Worker:
    """A Worker (a context manager, as `copier.Worker`) with Copier's options."""
    return _staging_worker_class()(**options)
