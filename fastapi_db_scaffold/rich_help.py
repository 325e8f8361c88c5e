"""Typer's Rich help, without the two Rich modules printing help never uses.

`typer.rich_utils`, which renders `--help`, imports `rich.markdown` (with
markdown-it and Pygments) and `rich.traceback` (with `rich.pretty` and attrs) at its
top, for the "markdown" markup mode and for pretty tracebacks. This CLI uses the
"rich" markup mode and prints its errors as one line, so neither runs for help; their
imports were about 40 % of `fastapi-db --help`.

`load_rich_utils()` imports `typer.rich_utils` with stand-ins for those two modules:
classes named `Markdown` and `Traceback` that import the real module the first time
they are used (constructed, or an attribute read), and then act as the real class.
The stand-ins are in `sys.modules` only while `typer.rich_utils` is imported, so any
other import of `rich.markdown` or `rich.traceback` gets the real module. The help
printed is the same, byte for byte. Should a Typer version import anything else from
them, the stand-ins are withdrawn and `typer.rich_utils` is imported as it is.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

__all__ = ["load_rich_utils"]

_DEFERRED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


class _Deferred(type):
    """The metaclass of a stand-in: the real class is imported on first use."""

    _module: str
    _name: str

    def real(cls) -> Any:
        return getattr(importlib.import_module(cls._module), cls._name)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.real()(*args, **kwargs)

    def __getattr__(cls, name: str) -> Any:  # e.g. Traceback.from_exception
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(cls.real(), name)

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, cls.real())


def _stand_in(module: str, name: str) -> ModuleType:
    stand_in = ModuleType(module, f"Stand-in for {module} while typer.rich_utils loads")
    deferred = _Deferred(name, (), {"_module": module, "_name": name})
    setattr(stand_in, name, deferred)
    return stand_in


def load_rich_utils() -> ModuleType:
    """`typer.rich_utils`, imported (once) without rich.markdown or rich.traceback."""
    if "typer.rich_utils" in sys.modules:
        return sys.modules["typer.rich_utils"]
    placed = {
        module: _stand_in(module, name)
        for module, name in _DEFERRED.items()
        if module not in sys.modules
    }
    sys.modules.update(placed)
    try:
        return importlib.import_module("typer.rich_utils")
    except ImportError:  # a Typer that imports more of them: no stand-ins
        sys.modules.pop("typer.rich_utils", None)
        _withdraw(placed)
        return importlib.import_module("typer.rich_utils")
    finally:
        _withdraw(placed)


def _withdraw(placed: dict[str, ModuleType]) -> None:
    """Take the stand-ins out of `sys.modules` (and off the `rich` package)."""
    package = sys.modules.get("rich")
    for module, stand_in in placed.items():
        if sys.modules.get(module) is stand_in:
            del sys.modules[module]
        attribute = module.rpartition(".")[2]
        if package is not None and getattr(package, attribute, None) is stand_in:
            delattr(package, attribute)
