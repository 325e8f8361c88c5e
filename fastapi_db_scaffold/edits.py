"""Idempotent insertion of lines at marker comments of generated files.

A marker is a comment line such as `# fastapi-db: model imports (...)`. New lines go
into the block of code lines just above it (blank lines between are skipped), so the
marker stays put and an import block stays one block; a line already present anywhere
in the file is not added again. Python code whose names the file does not define
above the marker (a renamed `api_router`, a moved marker) is refused, not written.
"""

from __future__ import annotations

import ast
import builtins

from .errors import ProjectError

__all__ = ["insert_above_marker", "has_marker"]


def _marker_index(lines: list[str], marker: str) -> int | None:
    for index, line in enumerate(lines):
        if line.strip().startswith(marker):
            return index
    return None


def has_marker(text: str, marker: str) -> bool:
    return _marker_index(text.splitlines(), marker) is not None


def insert_above_marker(
    text: str,
    marker: str,
    new_lines: list[str],
    where: str,
    *,
    block: bool = False,
    check_names: bool = False,
) -> str:
    """Return `text` with `new_lines` inserted above `marker`.

    Lines already in the file are not added again; with `block=True` the lines are one
    block, added unless its first non-blank line is already there. `where` names the
    file in the error raised when the marker is missing. With `check_names` (Python
    code), the inserted lines must only use names the module defines above them.
    """
    lines = text.splitlines()
    index = _marker_index(lines, marker)
    if index is None:
        raise ProjectError(
            f"{where}: the marker comment '{marker}' is missing; restore it "
            "(new code is registered above it) and run the command again"
        )
    present = {line.strip() for line in lines}
    if block:
        first = next((line.strip() for line in new_lines if line.strip()), "")
        missing = [] if first in present else new_lines
    else:
        missing = [line for line in new_lines if line.strip() not in present]
    if not missing:
        return text
    insert_at = index
    while insert_at > 0 and not lines[insert_at - 1].strip():
        insert_at -= 1
    lines[insert_at:insert_at] = missing
    newline = "\r\n" if "\r\n" in text else "\n"
    edited = newline.join(lines) + (newline if text.endswith("\n") or not text else "")
    if check_names:
        _check_names_defined(text, edited, insert_at, len(missing), marker, where)
    return edited


def _check_names_defined(
    before: str, after: str, start: int, count: int, marker: str, where: str
) -> None:
    """Refuse an insertion whose code uses a module name not defined above it.

    After a user renames `api_router` or moves a marker, the inserted lines would
    import fine on paper and fail with a NameError when the app starts.
    """
    try:
        ast.parse(before)
    except SyntaxError:
        return  # the file is already broken; the project's own checks will say so
    try:
        module = ast.parse(after)
    except SyntaxError as error:
        raise ProjectError(
            f"{where}: the lines fastapi-db adds above '{marker}' would not parse "
            f"there ({error.msg}); move the marker back to the end of its block"
        ) from None
    first, last = start + 1, start + count  # 1-based lines of the inserted code
    inserted = [s for s in module.body if first <= s.lineno <= last]
    above, below = set[str](), set[str]()
    for statement in module.body:
        if statement in inserted:
            continue
        names = _bound_names(statement)
        if names is None:  # a star import: any name may come from it
            return
        (above if statement.lineno < first else below).update(names)
    eager, late, local = set[str](), set[str](), set[str]()
    for statement in inserted:
        _collect_uses(statement, eager, late, local)
    known = local | set(dir(builtins))
    # Names read when the module runs must be bound above; names read inside a
    # function body only when it is called, so anywhere in the module will do.
    undefined = sorted((eager - above - known) | (late - above - below - known))
    if not undefined:
        return
    listed = ", ".join(undefined)
    place = (
        "defined only below the marker"
        if set(undefined) <= below
        else "not defined above the marker"
    )
    they = "it is" if len(undefined) == 1 else "they are"
    raise ProjectError(
        f"{where}: the lines fastapi-db adds above '{marker}' use {listed}, "
        f"{place}; define {listed} above the marker again (or move the marker "
        f"back below where {they} defined) and run the command again"
    )


def _collect_uses(
    node: ast.AST, eager: set[str], late: set[str], local: set[str]
) -> None:
    """Split the names `node` reads into read-at-import (`eager`) and read-when-
    called (`late`, inside function bodies); `local` gets the names it binds."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        body = node.body if isinstance(node.body, list) else [node.body]
        for part in ast.iter_child_nodes(node):
            if part in body:
                continue
            _collect_uses(part, eager, late, local)
        for statement in body:
            for child in ast.walk(statement):
                if isinstance(child, ast.Name):
                    (late if isinstance(child.ctx, ast.Load) else local).add(child.id)
                elif isinstance(child, ast.arg):
                    local.add(child.arg)
        if not isinstance(node, ast.Lambda):
            local.add(node.name)
        return
    if isinstance(node, ast.Name):
        (eager if isinstance(node.ctx, ast.Load) else local).add(node.id)
    elif isinstance(node, ast.arg):
        local.add(node.arg)
    elif isinstance(node, ast.Import | ast.ImportFrom | ast.ClassDef):
        local.update(_bound_names(node) or ())
    for child in ast.iter_child_nodes(node):
        _collect_uses(child, eager, late, local)


def _bound_names(statement: ast.AST) -> set[str] | None:
    """The module names a top-level statement binds (None for `import *`); the
    bodies of functions and classes are their own scopes."""
    names: set[str] = set()
    if isinstance(statement, ast.Import | ast.ImportFrom):
        for alias in statement.names:
            if alias.name == "*":
                return None
            names.add(alias.asname or alias.name.split(".")[0])
        return names
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {statement.name}
    if isinstance(statement, ast.Name) and isinstance(statement.ctx, ast.Store):
        return {statement.id}
    for child in ast.iter_child_nodes(statement):
        bound = _bound_names(child)
        if bound is None:
            return None
        names |= bound
    return names
