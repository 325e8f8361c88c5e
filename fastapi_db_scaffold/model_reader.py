"""Read a model class that `add-model` wrote back into its FIELD arguments.

The code is parsed with `ast`, never imported. Each column of the class
becomes the `name:type[:modifier...]` argument that renders it again:

    title: Mapped[str] = mapped_column(String(200), unique=True)
        -> title:str(200):unique
    reach: Mapped[int | None] = mapped_column(BigInteger)
        -> reach:bigint:optional
    author_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[User] = relationship(foreign_keys=..., lazy="raise")
        -> author:User:cascade

Formatting does not matter (ruff may wrap any call; arguments may be positional or
keyword), nor where a column type is imported from, nor methods a user added. A
back-reference (`posts: Mapped[list[Post]] = relationship(...)`) is not a field of
its class and is passed over. Anything else that field syntax cannot say (a
`server_default`, `__table_args__`, a type mismatch, ...) raises `UnreadableModel`
with the reason.

The field types are recognised from the type table, `field_types.FIELD_TYPES`, with
no list of their own: an entry's code templates are parsed with a hole where each
`{brace}` is, and the code read is matched against them. The column type against
`column` (`String({length})` captures the length; `{values}` the enum's values; a
fact such as `{longest}` must agree, a name such as `{enum_name}` may be anything),
`Mapped[...]` against `python`, a `default=` against `default_code`. Where entries
share a column (`String(320)` is str(320) and email), the annotation of the field in
the model's create schema tells them apart (it is the entry's `input`); without it
the general entry (str(320)) is read.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields

from .code_patterns import Holes, Matcher, hole, name_of, pattern
from .field_types import FIELD_TYPES, RELATION, FieldType, TypeArguments
from .fields import type_text

__all__ = ["UnreadableModel", "class_annotations", "model_field_specs"]


class UnreadableModel(ValueError):
    """The class cannot be expressed in field syntax; the message says why.

    Not a user error: the caller reports the model as skipped.
    """


# Column types that earlier versions of add-model wrote, and the field type each is
# read as (never written): only spellings, the type's facts are its table entry's.
_LEGACY_COLUMNS = (
    ("Float", "float"),  # now Double
    ("DateTime(timezone=True)", "datetime"),  # now UTCDateTime(precise=True)
    ("Time", "time"),  # now PreciseTime()
)

# Code templates are read as patterns with a hole for each brace (`code_patterns`);
# `{values}` takes any number of string literals (the choices).
_VALUES = "values"
# `{length}`, `{precision}`, `{scale}`: whole numbers, captured into TypeArguments.
_CAPTURED = frozenset(f.name for f in fields(TypeArguments)) - {"choices"}
_NO_ALIAS = "__no_alias__"  # `{alias}` when the annotation is no Literal alias

_ON_DELETE = {"CASCADE": "cascade", "SET NULL": "set-null"}
_COLUMN_KEYWORDS = frozenset({"unique", "index", "nullable", "default"})
# relationship() keywords that change what the relation is.
_RELATIONSHIP_REFUSED = frozenset({"secondary", "uselist", "primaryjoin"})


@dataclass(frozen=True)
class _Attribute:
    """One `name: Mapped[...] = call(...)` line of the class body."""

    name: str
    line: int
    annotation: ast.expr  # inside Mapped[...], without `| None`
    optional: bool
    call: ast.Call
    function: str  # mapped_column or relationship


def model_field_specs(
    module: ast.Module,
    class_name: str,
    model_tables: Mapping[str, str],
    inputs: Mapping[str, ast.expr] | None = None,
) -> list[str]:
    """The FIELD arguments of `class_name` in `module`, in the order of its columns.

    `model_tables` maps each table of the project to its model class (relations are
    written as `ForeignKey("users.id")`). `inputs` are the annotations of the model's
    create schema by field name (`class_annotations` of `<Model>Create`): they tell
    apart the types that share a column. Raises UnreadableModel.
    """
    node = _top_level_class(module, class_name)
    if node is None:
        raise UnreadableModel(f"no class {class_name} at the top of the module")
    if [ast.unparse(base) for base in node.bases] != ["Base"] or node.keywords:
        raise UnreadableModel(f"class {class_name} does not derive from Base alone")
    if node.decorator_list:
        raise UnreadableModel(f"class {class_name} is decorated")
    aliases = _literal_aliases(module)
    attributes = [a for a in map(_attribute, node.body) if a is not None]
    relationships = {a.name: a for a in attributes if a.function == "relationship"}
    specs: list[str] = []
    for attribute in attributes:
        if attribute.function != "mapped_column":
            continue
        if _foreign_key(attribute.call) is not None:
            relation_name = attribute.name.removesuffix("_id")
            relationship = relationships.pop(relation_name, None)
            if relationship is None or relation_name == attribute.name:
                raise UnreadableModel(
                    f"line {attribute.line}: foreign key {attribute.name} has no "
                    f"relationship {relation_name} beside it"
                )
            specs.append(_relation_spec(attribute, relationship, model_tables))
        else:
            specs.append(_column_spec(attribute, aliases, inputs or {}))
    for relationship in relationships.values():
        many = _many_to_many_spec(relationship, model_tables)
        if many is not None:
            specs.append(many)
            continue
        if not _is_list(relationship.annotation):  # a back-reference is no field
            raise UnreadableModel(
                f"line {relationship.line}: relationship {relationship.name} has no "
                f"foreign key column {relationship.name}_id"
            )
    return specs


def class_annotations(module: ast.Module, class_name: str) -> dict[str, ast.expr]:
    """The annotations of a top-level class's fields, `| None` removed, by name.

    Empty when there is no such class: a schema's `<Model>Create` body, for example.
    """
    node = _top_level_class(module, class_name)
    statements = node.body if node is not None else []
    return {
        statement.target.id: _unwrap_optional(_unquoted(statement.annotation))[0]
        for statement in statements
        if isinstance(statement, ast.AnnAssign)
        and isinstance(statement.target, ast.Name)
    }


def _top_level_class(module: ast.Module, class_name: str) -> ast.ClassDef | None:
    return next(
        (
            statement
            for statement in module.body
            if isinstance(statement, ast.ClassDef) and statement.name == class_name
        ),
        None,
    )


def _fail(statement: ast.stmt, problem: str) -> UnreadableModel:
    return UnreadableModel(f"line {statement.lineno}: {problem}")


def _attribute(statement: ast.stmt) -> _Attribute | None:
    """The column or relationship a class-body statement declares, if any."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.Pass):
        return None  # methods a user added do not change the table
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return None  # a docstring
    if isinstance(statement, ast.Assign | ast.AnnAssign):
        targets = (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
        )
        if [ast.unparse(t) for t in targets] == ["__tablename__"]:
            return None
    if not isinstance(statement, ast.AnnAssign) or not isinstance(
        statement.target, ast.Name
    ):
        code = ast.unparse(statement).splitlines()[0][:60]
        raise _fail(statement, f"{code!r} has no field syntax")
    name = statement.target.id
    annotation = statement.annotation
    if not (
        isinstance(annotation, ast.Subscript) and name_of(annotation.value) == "Mapped"
    ):
        raise _fail(statement, f"{name} is not annotated Mapped[...]")
    call = statement.value
    function = name_of(call.func) if isinstance(call, ast.Call) else None
    if not isinstance(call, ast.Call) or function not in (
        "mapped_column",
        "relationship",
    ):
        raise _fail(statement, f"{name} is not a mapped_column() or relationship()")
    inner, optional = _unwrap_optional(_unquoted(annotation.slice))
    return _Attribute(name, statement.lineno, inner, optional, call, function)


def _unquoted(annotation: ast.expr) -> ast.expr:
    """`User | None` for the forward reference `"User | None"`."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            return ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return annotation
    return annotation


def _unwrap_optional(annotation: ast.expr) -> tuple[ast.expr, bool]:
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        for inner, other in (
            (annotation.left, annotation.right),
            (annotation.right, annotation.left),
        ):
            if isinstance(other, ast.Constant) and other.value is None:
                return inner, True
    if isinstance(annotation, ast.Subscript) and name_of(annotation.value) == (
        "Optional"
    ):
        return annotation.slice, True
    return annotation, False


def _is_list(annotation: ast.expr) -> bool:
    return isinstance(annotation, ast.Subscript) and name_of(annotation.value) in (
        "list",
        "List",
        "Sequence",
        "set",
    )


def _literal_aliases(module: ast.Module) -> dict[str, tuple[str, ...]]:
    """Module-level `PostStatus = Literal["draft", ...]` aliases, by name."""
    aliases: dict[str, tuple[str, ...]] = {}
    for statement in module.body:
        value: ast.expr | None = None
        target: ast.expr | None = None
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign):
            target, value = statement.target, statement.value
        if isinstance(target, ast.Name) and value is not None:
            choices = _literal_choices(value)
            if choices is not None:
                aliases[target.id] = choices
    return aliases


def _literal_choices(node: ast.expr) -> tuple[str, ...] | None:
    if not (isinstance(node, ast.Subscript) and name_of(node.value) == "Literal"):
        return None
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    return _strings(items)


def _strings(nodes: list[ast.expr]) -> tuple[str, ...] | None:
    values = tuple(
        n.value
        for n in nodes
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )
    return values if len(values) == len(nodes) else None


def _keywords(call: ast.Call, where: str) -> dict[str, ast.expr]:
    keywords: dict[str, ast.expr] = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            raise UnreadableModel(f"{where}: **keyword arguments have no field syntax")
        keywords[keyword.arg] = keyword.value
    return keywords


def _flag(attribute: _Attribute, keywords: Mapping[str, ast.expr], key: str) -> bool:
    node = keywords.get(key)
    if node is None:
        return False
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    raise UnreadableModel(
        f"line {attribute.line}: {attribute.name}: {key}= is not True or False"
    )


def _check_nullable(attribute: _Attribute, keywords: Mapping[str, ast.expr]) -> None:
    if "nullable" in keywords and _flag(attribute, keywords, "nullable") != (
        attribute.optional
    ):
        raise UnreadableModel(
            f"line {attribute.line}: {attribute.name}: nullable= contradicts its "
            "annotation"
        )


def _modifiers(
    attribute: _Attribute, keywords: Mapping[str, ast.expr], *flags: str
) -> list[str]:
    unknown = sorted(set(keywords) - _COLUMN_KEYWORDS)
    if unknown:
        raise UnreadableModel(
            f"line {attribute.line}: {attribute.name}: {unknown[0]}= has no field "
            "syntax"
        )
    _check_nullable(attribute, keywords)
    return [flag for flag in flags if _flag(attribute, keywords, flag)]


# ---- relations -------------------------------------------------------------------


def _foreign_key(call: ast.Call) -> ast.Call | None:
    for argument in call.args:
        if isinstance(argument, ast.Call) and name_of(argument.func) == "ForeignKey":
            return argument
    return None


def _relation_spec(
    column: _Attribute, relationship: _Attribute, model_tables: Mapping[str, str]
) -> str:
    where = f"line {column.line}: {column.name}"
    foreign_key = _foreign_key(column.call)
    assert foreign_key is not None
    relation = FIELD_TYPES[RELATION]
    if any(
        argument is not foreign_key
        and not _MATCHER.matches(pattern(relation.column), argument)
        for argument in column.call.args
    ):
        raise UnreadableModel(
            f"{where}: a foreign key column's type is {relation.column}"
        )
    if not _MATCHER.matches(pattern(relation.python), column.annotation):
        raise UnreadableModel(
            f"{where}: a foreign key column is Mapped[{relation.python}]"
        )
    fk_keywords = _keywords(foreign_key, where)
    referred = _strings(foreign_key.args[:1])
    table, _, key = referred[0].rpartition(".") if referred else ("", "", "")
    if len(foreign_key.args) != 1 or key != "id" or set(fk_keywords) - {"ondelete"}:
        raise UnreadableModel(f'{where}: the foreign key is not ForeignKey("table.id")')
    target = model_tables.get(table)
    if target is None:
        raise UnreadableModel(f"{where}: no model of this project has table {table!r}")
    keywords = _keywords(column.call, where)
    if "default" in keywords:
        raise UnreadableModel(f"{where}: a relation has no default")
    modifiers = _modifiers(column, keywords, "unique")
    if column.optional:
        modifiers.append("optional")
    on_delete = fk_keywords.get("ondelete")
    if on_delete is not None:
        action = _strings([on_delete])
        flag = _ON_DELETE.get(action[0].upper()) if action else None
        if flag is None:
            raise UnreadableModel(f"{where}: ondelete is not CASCADE or SET NULL")
        modifiers.append(flag)
    _check_relationship(relationship, target, column.optional)
    return ":".join([relationship.name, target, *modifiers])


def _many_to_many_spec(
    relationship: _Attribute, model_tables: Mapping[str, str]
) -> str | None:
    """`tags:Tag:many` for `tags: Mapped[list[Tag]] = relationship(secondary=...)`
    (None for a relationship without `secondary`)."""
    annotation = relationship.annotation
    keywords = {k.arg: k.value for k in relationship.call.keywords if k.arg}
    if "secondary" not in keywords or not isinstance(annotation, ast.Subscript):
        return None
    target = name_of(_unquoted(annotation.slice))
    if not _is_list(annotation) or target not in set(model_tables.values()):
        raise UnreadableModel(
            f"line {relationship.line}: {relationship.name}: a many-to-many "
            "relationship is Mapped[list[Model]] of a model of this project"
        )
    return f"{relationship.name}:{target}:many"


def _check_relationship(relationship: _Attribute, target: str, optional: bool) -> None:
    where = f"line {relationship.line}: {relationship.name}"
    if name_of(_unquoted(relationship.annotation)) != target:
        raise UnreadableModel(f"{where}: the relationship is not Mapped[{target}]")
    if relationship.optional != optional:
        raise UnreadableModel(
            f"{where}: optional unlike its column {relationship.name}_id"
        )
    keywords = _keywords(relationship.call, where)
    refused = sorted(set(keywords) & _RELATIONSHIP_REFUSED)
    if refused:
        raise UnreadableModel(f"{where}: {refused[0]}= has no field syntax")
    arguments = relationship.call.args
    if arguments and not (
        len(arguments) == 1
        and target in (name_of(arguments[0]), *(_strings(arguments) or ()))
    ):
        raise UnreadableModel(f"{where}: the relationship is not to {target}")


# ---- columns ---------------------------------------------------------------------


@dataclass(frozen=True)
class _ColumnTemplate:
    """A column type code the reader recognises, and the entry it stands for."""

    entry: FieldType
    code: str  # a `column` template of the table, or a legacy spelling
    loose: bool  # keyword arguments of the template may be left out

    @property
    def general(self) -> bool:
        """Whether the code captures the type's arguments (`String({length})`)."""
        return any(hole(node) in _CAPTURED for node in ast.walk(pattern(self.code)))


@dataclass(frozen=True)
class _Candidate:
    """A column type read as one entry, with the arguments it gave."""

    template: _ColumnTemplate
    arguments: TypeArguments

    @property
    def entry(self) -> FieldType:
        return self.template.entry


def _column_spec(
    column: _Attribute,
    aliases: Mapping[str, tuple[str, ...]],
    inputs: Mapping[str, ast.expr],
) -> str:
    where = f"line {column.line}: {column.name}"
    if not column.call.args:
        raise UnreadableModel(f"{where}: mapped_column() has no column type")
    if len(column.call.args) > 1:
        raise UnreadableModel(f"{where}: mapped_column() has more than a type")
    chosen = _field_type(column, aliases, inputs.get(column.name), where)
    keywords = _keywords(column.call, where)
    modifiers = _modifiers(column, keywords, "unique", "index")
    if column.optional:
        modifiers.append("optional")
    default = keywords.get("default")
    if default is not None:
        modifiers.append(f"default={_default_text(default, chosen, where)}")
    return ":".join(
        [column.name, type_text(chosen.entry, chosen.arguments), *modifiers]
    )


def _field_type(
    column: _Attribute,
    aliases: Mapping[str, tuple[str, ...]],
    schema_annotation: ast.expr | None,
    where: str,
) -> _Candidate:
    """The entry a column is, from its type, its annotation and its schema's."""
    node = column.call.args[0]
    candidates = [c for t in _COLUMN_TEMPLATES if (c := _candidate(t, node))]
    if not candidates:
        raise UnreadableModel(f"{where}: {_no_field_type(node)}")
    annotation = column.annotation

    def written(candidate: _Candidate, template: str, code: ast.expr) -> bool:
        return _MATCHER.matches(
            pattern(_filled(candidate, template, annotation, aliases)), code
        )

    fitting = [c for c in candidates if written(c, c.entry.python, annotation)]
    if not fitting:
        problem = _annotation_problem(candidates[0], annotation, aliases)
        raise UnreadableModel(f"{where}: {problem}")
    if len(fitting) > 1 and schema_annotation is not None:
        told = [c for c in fitting if written(c, c.entry.input, schema_annotation)]
        fitting = told or fitting
    return next((c for c in fitting if c.template.general), fitting[0])


def _candidate(template: _ColumnTemplate, node: ast.expr) -> _Candidate | None:
    """`node` read as `template`'s entry, when it is that code."""
    holes: Holes = {}
    if not _MATCHER.matches(pattern(template.code), node, holes, loose=template.loose):
        return None
    numbers: dict[str, int] = {}
    choices: tuple[str, ...] = ()
    for name, captured in holes.items():
        if name == _VALUES:
            choices = (_strings(captured) if isinstance(captured, list) else None) or ()
            if not choices:
                return None
        elif name in _CAPTURED:
            number = _whole_number(captured)
            if number is None:
                return None
            numbers[name] = number
    arguments = TypeArguments(choices=choices, **numbers)
    entry = template.entry
    for name, captured in holes.items():  # {longest} must be what the values say
        fact = entry.facts.get(name)
        if fact is not None and _literal(captured) != fact(arguments):
            return None
    return _Candidate(template, arguments)


def _filled(
    candidate: _Candidate,
    template: str,
    annotation: ast.expr,
    aliases: Mapping[str, tuple[str, ...]],
) -> str:
    """A code template of the candidate's entry with its arguments filled in.

    `{alias}` is the model's annotation when that is a Literal (or a module-level
    alias of one) of the candidate's values.
    """
    named = (
        aliases.get(annotation.id)
        if isinstance(annotation, ast.Name)
        else _literal_choices(annotation)
    )
    choices = candidate.arguments.choices
    alias = ast.unparse(annotation) if choices and named == choices else _NO_ALIAS
    return candidate.entry.code(template, candidate.arguments, alias=alias)


def _annotation_problem(
    candidate: _Candidate, annotation: ast.expr, aliases: Mapping[str, tuple[str, ...]]
) -> str:
    code = ast.unparse(annotation)
    expected = _filled(candidate, candidate.entry.python, annotation, aliases)
    if _NO_ALIAS in expected:
        values = ", ".join(candidate.arguments.choices)
        return f"the annotation {code} is not a Literal of the values {values}"
    return f"the annotation {code} does not match {expected}"


def _no_field_type(node: ast.expr) -> str:
    """Why a column type was not read, with the codes it was closest to."""
    problem = f"column type {ast.unparse(node)} has no field type"
    near = [
        template.code
        for template in _COLUMN_TEMPLATES
        if _function_name(pattern(template.code)) == _function_name(node)
    ]
    if not near:
        return problem
    near = list(dict.fromkeys(near))
    expected = near[0] if len(near) == 1 else ", ".join(near[:-1]) + " or " + near[-1]
    return f"{problem} (expected {expected})"


def _function_name(node: ast.expr) -> str | None:
    return name_of(node.func if isinstance(node, ast.Call) else node)


def _default_text(node: ast.expr, candidate: _Candidate, where: str) -> str:
    """The `default=` text of a default written as the entry's `default_code` is.

    `{text}` in the template captures the text itself (`Decimal("1.50")`); `{value!r}`
    a literal, whose text is the string or, for other values, their JSON (`true`).
    """
    entry = candidate.entry
    if entry.parse_default is None:
        raise UnreadableModel(f"{where}: {entry.no_default}")
    refused = UnreadableModel(
        f"{where}: default {ast.unparse(node)} is not a literal {entry.name} default"
    )
    holes: Holes = {}
    if not _MATCHER.matches(pattern(entry.default_code), node, holes):
        raise refused
    text_node, value_node = holes.get("text"), holes.get("value")
    try:
        if isinstance(text_node, ast.Constant) and isinstance(text_node.value, str):
            text = text_node.value
            entry.parse_default(text, candidate.arguments)
            return text
        if isinstance(value_node, ast.expr):
            value = ast.literal_eval(value_node)
            text = value if isinstance(value, str) else json.dumps(value)
            if entry.parse_default(text, candidate.arguments) == value:
                return text
    except (ValueError, TypeError, SyntaxError, RecursionError):  # DefaultError too
        pass
    raise refused


def _whole_number(node: ast.expr | list[ast.expr]) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _literal(node: ast.expr | list[ast.expr]) -> object:
    try:
        return ast.literal_eval(node) if isinstance(node, ast.expr) else None
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None


def _parameters() -> dict[tuple[str | None, int], str]:
    """The names the column templates give positions: ("String", 0) -> "length".

    The braces are named after SQLAlchemy's parameters, so `String(length=200)` and
    `Numeric(8, scale=2)` read as `String({length})` and `Numeric({precision},
    {scale})` do.
    """
    parameters: dict[tuple[str | None, int], str] = {}
    for entry in FIELD_TYPES.values():
        for node in ast.walk(pattern(entry.column)):
            if isinstance(node, ast.Call):
                for index, argument in enumerate(node.args):
                    brace = hole(argument)
                    if brace in _CAPTURED:
                        parameters[name_of(node.func), index] = brace
    return parameters


_MATCHER = Matcher(_parameters())
# The table's column types (a relation's is read beside its foreign key), then the
# legacy spellings, matched exactly.
_COLUMN_TEMPLATES = tuple(
    _ColumnTemplate(entry, entry.column, loose=True)
    for entry in FIELD_TYPES.values()
    if entry.name != RELATION
) + tuple(
    _ColumnTemplate(FIELD_TYPES[name], code, loose=False)
    for code, name in _LEGACY_COLUMNS
)
