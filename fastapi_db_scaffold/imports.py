"""Imports that follow from the code: a generated module gets exactly what it uses.

Snippets render code without import lines. `with_imports` then finds the names the
code uses but never defines (Python's own scope analysis, `symtable`), and imports
each from the first place that defines it:

1. the project's own modules that this kind of file may import from (their top-level
   definitions, read with `ast`, including files planned but not yet written), so a
   project whose template put a name elsewhere still gets the right import;
2. `STANDARD_IMPORTS`, the vocabulary of the snippets from the standard library,
   FastAPI, Pydantic, SQLAlchemy and the test tools.

A name used only inside a quoted annotation (`Mapped[list["Post"]]`, where
importing Post at run time would be circular) is imported the same way under
`if TYPE_CHECKING:`.

A name found nowhere is a bug in a snippet (or a project older than its snippets):
a ProjectError says which. Ruff sorts the lines afterwards.
"""

from __future__ import annotations

import ast
import builtins
import fnmatch
import symtable
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ProjectError

__all__ = ["STANDARD_IMPORTS", "ModuleIndex", "defines", "with_imports"]

_BY_MODULE: dict[str, tuple[str, ...]] = {
    "typing": ("TYPE_CHECKING", "Annotated", "Any", "Literal", "Self", "TypeVar"),
    "collections.abc": ("AsyncIterator", "Iterator", "Sequence"),
    "datetime": ("date", "datetime", "time"),
    "decimal": ("Decimal",),
    "uuid": ("UUID",),
    "fastapi": ("APIRouter", "HTTPException", "Path", "Query", "status"),
    "fastapi.exceptions": ("RequestValidationError",),
    "fastapi.testclient": ("TestClient",),
    "httpx2": ("ASGITransport", "AsyncClient"),
    "pydantic": (
        "AwareDatetime", "BaseModel", "ConfigDict", "EmailStr", "Field",
        "model_validator",
    ),
    "sqlalchemy": (
        "JSON", "BigInteger", "Boolean", "Column", "ColumnElement", "Connection",
        "Date", "DateTime", "Double", "Enum", "ForeignKey", "Integer", "Numeric",
        "String", "Table", "Text", "Uuid", "column", "delete", "event", "func",
        "insert", "make_url", "select", "table", "update",
    ),
    "sqlalchemy.orm": (
        "InstrumentedAttribute", "Mapped", "Session", "mapped_column", "relationship",
    ),
    "sqlalchemy.ext.asyncio": ("AsyncConnection", "AsyncSession"),
}  # fmt: skip
_PLAIN_MODULES = ("asyncio", "gc", "json", "pytest", "random")

STANDARD_IMPORTS: Mapping[str, str | None] = {
    **{name: module for module, names in _BY_MODULE.items() for name in names},
    **dict.fromkeys(_PLAIN_MODULES),
}
"""Every name a snippet may use from outside the project: name -> the module it is
imported from, or None for a module imported whole (`import pytest`)."""


@dataclass(frozen=True)
class ModuleIndex:
    """The top-level definitions of a project's modules: dotted module -> names."""

    definitions: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, root: Path, planned: Mapping[Path, str] | None = None) -> ModuleIndex:
        """Index every `.py` file under `root` (never importing it), plus `planned`
        files (path -> text) that are about to be written."""
        texts: dict[Path, str] = {}
        for path in root.rglob("*.py"):
            relative = path.relative_to(root)
            if relative.parts[0] in {"migrations", ".venv", "venv"} or any(
                part.startswith(".") for part in relative.parts
            ):
                continue
            try:
                texts[relative] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
        for path, text in (planned or {}).items():
            texts[path.relative_to(root) if path.is_absolute() else path] = text
        return cls({_dotted(p): _defined_names(text) for p, text in texts.items()})

    def find(self, name: str, patterns: Iterable[str]) -> str | None:
        """The first module matching one of `patterns` (in order) that defines
        `name`; several matches of one pattern are taken in sorted order."""
        for pattern in patterns:
            for module in sorted(fnmatch.filter(self.definitions, pattern)):
                if name in self.definitions[module]:
                    return module
        return None


def _dotted(path: Path) -> str:
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _defined_names(text: str) -> frozenset[str]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return frozenset()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return frozenset(names)


def defines(code: str, name: str) -> bool:
    """Whether the module `code` defines `name` at its top level."""
    return name in _defined_names(code)


def _free_names(code: str, filename: str) -> list[str]:
    """Names the module uses but neither defines nor gets from builtins, in order."""
    table = symtable.symtable(code, filename, "exec")
    defined = {
        symbol.get_name()
        for symbol in table.get_symbols()
        if symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace()
    }
    used: dict[str, None] = {}
    pending = [table]
    while pending:
        scope = pending.pop()
        pending.extend(scope.get_children())
        for symbol in scope.get_symbols():
            name = symbol.get_name()
            implicit = scope is table or symbol.is_global()
            if symbol.is_referenced() and implicit and not symbol.is_declared_global():
                used.setdefault(name, None)
    return [
        name
        for name in used
        if name not in defined and not hasattr(builtins, name) and name != "__name__"
    ]


def _relative(target: str, importer: str) -> str:
    """`target` as seen from the module `importer`: relative inside one package."""
    target_parts, importer_parts = target.split("."), importer.split(".")
    if target_parts[0] != importer_parts[0] or len(importer_parts) < 2:
        return target
    package = importer_parts[:-1]
    common = 0
    while (
        common < len(package)
        and common < len(target_parts)
        and package[common] == target_parts[common]
    ):
        common += 1
    dots = "." * (len(package) - common + 1)
    return dots + ".".join(target_parts[common:])


def with_imports(
    code: str,
    *,
    module: str,
    index: ModuleIndex,
    sources: Iterable[str],
    path: str,
) -> str:
    """`code` (a whole module, without imports) with the import lines it needs.

    `module` is its dotted name, `sources` the patterns of project modules it may
    import from (in order of preference), `path` names it in errors.
    """
    patterns = tuple(sources)
    by_module: dict[str, set[str]] = defaultdict(set)
    plain: set[str] = set()
    free = _free_names(code, path)
    type_only: dict[str, set[str]] = defaultdict(set)
    for name in _quoted_annotation_names(code):
        if name in free or name in _defined_names(code):
            continue
        found = index.find(name, patterns)
        if found is None:
            raise ProjectError(
                f"the generated {path} names {name!r} in an annotation, which the "
                "project does not define"
            )
        type_only[_relative(found, module)].add(name)
    if type_only:
        free.append("TYPE_CHECKING")
    for name in free:
        found = index.find(name, patterns)
        if found is not None:
            by_module[_relative(found, module)].add(name)
        elif name in STANDARD_IMPORTS:
            source = STANDARD_IMPORTS[name]
            if source is None:
                plain.add(name)
            else:
                by_module[source].add(name)
        else:
            raise ProjectError(
                f"the generated {path} uses {name!r}, which the project does not "
                "define: its template is older than this fastapi-db; copy what is "
                "missing from a project made by `fastapi-db new`"
            )
    lines = [f"import {name}" for name in sorted(plain)]
    lines += [
        f"from {source} import {', '.join(sorted(names))}"
        for source, names in sorted(by_module.items())
    ]
    if type_only:
        lines += ["", "if TYPE_CHECKING:"]
        lines += [
            f"    from {source} import {', '.join(sorted(names))}"
            for source, names in sorted(type_only.items())
        ]
    return _insert_after_docstring(code, lines)


def _quoted_annotation_names(code: str) -> list[str]:
    """The names inside string annotations of the module, in order (the values of
    a `Literal[...]`, and the metadata of an `Annotated[...]`, are no names)."""
    names: dict[str, None] = {}
    pending: list[ast.AST] = [
        node.annotation
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.AnnAssign)
    ]
    while pending:
        part = pending.pop(0)
        if isinstance(part, ast.Subscript) and ast.unparse(part.value) == "Literal":
            continue
        if isinstance(part, ast.Call):  # `Field(...)` and other values
            continue
        if (
            isinstance(part, ast.Subscript)
            and ast.unparse(part.value) == "Annotated"
            and isinstance(part.slice, ast.Tuple)
            and part.slice.elts
        ):
            pending.append(part.slice.elts[0])
            continue
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            try:
                quoted = ast.parse(part.value, mode="eval")
            except SyntaxError:
                continue
            names.update(
                (inner.id, None)
                for inner in ast.walk(quoted)
                if isinstance(inner, ast.Name)
            )
        pending.extend(ast.iter_child_nodes(part))
    return list(names)


def _insert_after_docstring(code: str, lines: list[str]) -> str:
    if not lines:
        return code
    tree = ast.parse(code)
    first = tree.body[0] if tree.body else None
    has_docstring = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    source_lines = code.splitlines(keepends=True)
    at = first.end_lineno if has_docstring and first is not None else 0
    block = "\n" + "\n".join(lines) + "\n\n"
    return "".join(source_lines[: at or 0]) + block + "".join(source_lines[at or 0 :])
