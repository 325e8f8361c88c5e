"""Python code compared with code templates: does `sa.String(length=200)` read as
`String({length})`, and with which length?

A template is parsed with a hole where each `{brace}` is (`pattern`); `Matcher.matches`
compares an expression with it and records what each hole matched. Names match
however they are qualified (`sa.String` is `String`), a call without arguments is its
bare name (`Text()` is `Text`), an argument that templates give a position may be
passed by keyword (the matcher is told the parameter names), and with `loose` the
keyword arguments a template writes may be left out. A brace listed as `many`
(`{values}`) takes any number of positional arguments.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from string import Formatter

__all__ = ["Holes", "Matcher", "hole", "name_of", "pattern"]

Holes = dict[str, ast.expr | list[ast.expr]]
"""What each hole of a pattern matched, by brace name."""

_HOLE_PREFIX, _HOLE_SUFFIX = "__hole_", "__"
Parameters = Mapping[tuple[str | None, int], str]
"""(function name, position) -> the parameter's name: ("String", 0) -> "length"."""


def name_of(node: ast.expr) -> str | None:
    """`String` for `String` and `sa.String`; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


@cache
def pattern(template: str, many: Collection[str] = ("values",)) -> ast.expr:
    """The code of `template` with a hole (`__hole_length__`) for each `{brace}`;
    a brace in `many` becomes a starred hole: any number of arguments."""
    names = {name for _, name, _, _ in Formatter().parse(template) if name}
    holes = {name: f"{_HOLE_PREFIX}{name}{_HOLE_SUFFIX}" for name in names}
    for name in set(many) & names:
        holes[name] = "*" + holes[name]
    return ast.parse(template.format(**holes), mode="eval").body


def hole(node: ast.AST) -> str | None:
    """The brace a pattern node is a hole for (a name or a string), if any."""
    text = node.id if isinstance(node, ast.Name) else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    if text and text.startswith(_HOLE_PREFIX) and text.endswith(_HOLE_SUFFIX):
        return text[len(_HOLE_PREFIX) : -len(_HOLE_SUFFIX)]
    return None


@dataclass(frozen=True)
class _Bound:
    """The arguments of a call, those with a parameter name by keyword."""

    positional: list[ast.expr]
    keywords: dict[str, ast.expr]
    from_positions: set[str]  # keywords that were written positionally


@dataclass(frozen=True)
class Matcher:
    """Matches code against patterns, knowing the positional parameters' names."""

    parameters: Parameters

    def matches(
        self,
        template: ast.expr,
        node: ast.expr,
        holes: Holes | None = None,
        loose: bool = False,
    ) -> bool:
        """Whether `node` is the code of `template` (a `pattern`); what its holes
        match goes to `holes`."""
        holes = {} if holes is None else holes
        brace = hole(template)
        if brace is not None:
            holes[brace] = node
            return True
        if isinstance(template, ast.Call) or isinstance(node, ast.Call):
            return self._calls_match(template, node, holes, loose)
        if isinstance(template, ast.Name):
            return name_of(node) == template.id
        if isinstance(template, ast.Constant):
            return (
                isinstance(node, ast.Constant)
                and type(node.value) is type(template.value)
                and node.value == template.value
            )
        return type(node) is type(template) and all(
            self._same(value, getattr(node, name), holes, loose)
            for name, value in ast.iter_fields(template)
        )

    def _same(self, value: object, other: object, holes: Holes, loose: bool) -> bool:
        """Whether two fields of ast nodes are the same code."""
        if isinstance(value, ast.expr):
            return isinstance(other, ast.expr) and self.matches(
                value, other, holes, loose
            )
        if isinstance(value, ast.AST):  # Load, BitOr, ...
            return type(value) is type(other)
        if isinstance(value, list):
            return (
                isinstance(other, list)
                and len(value) == len(other)
                and all(
                    self._same(a, b, holes, loose)
                    for a, b in zip(value, other, strict=True)
                )
            )
        return value == other

    def _calls_match(
        self, template: ast.expr, node: ast.expr, holes: Holes, loose: bool
    ) -> bool:
        template_call, call = _as_call(template), _as_call(node)
        if template_call is None or call is None:
            return False
        expected, given = self._bound(template_call), self._bound(call)
        if expected is None or given is None:
            return False
        missing = set(expected.keywords) - set(given.keywords)
        return (
            self.matches(template_call.func, call.func, holes)
            and set(given.keywords) <= set(expected.keywords)
            and not (missing and (not loose or missing & expected.from_positions))
            and self._positional_match(
                expected.positional, given.positional, holes, loose
            )
            and all(
                self.matches(expected.keywords[name], value, holes, loose)
                for name, value in given.keywords.items()
            )
        )

    def _bound(self, call: ast.Call) -> _Bound | None:
        name = name_of(call.func)
        bound = _Bound([], {}, set())
        for index, argument in enumerate(call.args):
            parameter = self.parameters.get((name, index))
            if parameter is None or isinstance(argument, ast.Starred):
                bound.positional.append(argument)
            else:
                bound.keywords[parameter] = argument
                bound.from_positions.add(parameter)
        for keyword in call.keywords:
            if keyword.arg is None or keyword.arg in bound.keywords:
                return None  # **options, or an argument given twice
            bound.keywords[keyword.arg] = keyword.value
        return bound

    def _positional_match(
        self,
        templates: list[ast.expr],
        nodes: list[ast.expr],
        holes: Holes,
        loose: bool,
    ) -> bool:
        """Positional arguments; a starred hole (last) takes the rest of them."""
        last = templates[-1] if templates else None
        if isinstance(last, ast.Starred) and (name := hole(last.value)) is not None:
            templates = templates[:-1]
            holes[name], nodes = nodes[len(templates) :], nodes[: len(templates)]
        return len(templates) == len(nodes) and all(
            self.matches(t, n, holes, loose)
            for t, n in zip(templates, nodes, strict=True)
        )


def _as_call(node: ast.expr) -> ast.Call | None:
    if isinstance(node, ast.Call):
        return node
    if isinstance(node, ast.Name | ast.Attribute):
        return ast.Call(func=node, args=[], keywords=[])
    return None
