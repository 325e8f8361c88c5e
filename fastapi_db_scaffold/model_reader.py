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
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["UnreadableModel", "model_field_specs"]


class UnreadableModel(ValueError):
    """The class cannot be expressed in field syntax; the message says why.

    Not a user error: the caller reports the model as skipped.
    """


# Column types by name: the field type, and the annotation the generated code gives.
_SIMPLE_TYPES = {
    "Text": "text",
    "Integer": "int",
    "BigInteger": "bigint",
    "Double": "float",
    "Float": "float",
    "Boolean": "bool",
    "Date": "date",
    "UTCDateTime": "datetime",
    "PreciseTime": "time",
    "Time": "time",
    "Uuid": "uuid",
    "JSON": "json",
}
_ANNOTATIONS = {
    "str": "str",
    "text": "str",
    "int": "int",
    "bigint": "int",
    "float": "float",
    "decimal": "Decimal",
    "bool": "bool",
    "date": "date",
    "datetime": "datetime",
    "time": "time",
    "uuid": "UUID",
    "json": "dict[str, Any]",
}
# Which field types a default of each written form belongs to.
_DEFAULT_KINDS = {
    "str": {"str", "text", "enum"},
    "int": {"int", "bigint", "float"},
    "float": {"float"},
    "bool": {"bool"},
    "Decimal": {"decimal"},
    "UUID": {"uuid"},
    "date": {"date"},
    "datetime": {"datetime"},
    "time": {"time"},
}
_ON_DELETE = {"CASCADE": "cascade", "SET NULL": "set-null"}
_COLUMN_KEYWORDS = frozenset({"unique", "index", "nullable", "default"})
_ENUM_KEYWORDS = frozenset(
    {"name", "native_enum", "length", "create_constraint", "validate_strings"}
)
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
    module: ast.Module, class_name: str, model_tables: Mapping[str, str]
) -> list[str]:
    """The FIELD arguments of `class_name` in `module`, in the order of its columns.

    `model_tables` maps each table of the project to its model class (relations are
    written as `ForeignKey("users.id")`). Raises UnreadableModel.
    """
    node = next(
        (
            statement
            for statement in module.body
            if isinstance(statement, ast.ClassDef) and statement.name == class_name
        ),
        None,
    )
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
            specs.append(_column_spec(attribute, aliases))
    for relationship in relationships.values():
        if not _is_list(relationship.annotation):  # a back-reference is no field
            raise UnreadableModel(
                f"line {relationship.line}: relationship {relationship.name} has no "
                f"foreign key column {relationship.name}_id"
            )
    return specs


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
        isinstance(annotation, ast.Subscript) and _name_of(annotation.value) == "Mapped"
    ):
        raise _fail(statement, f"{name} is not annotated Mapped[...]")
    call = statement.value
    function = _name_of(call.func) if isinstance(call, ast.Call) else None
    if not isinstance(call, ast.Call) or function not in (
        "mapped_column",
        "relationship",
    ):
        raise _fail(statement, f"{name} is not a mapped_column() or relationship()")
    inner, optional = _unwrap_optional(_unquoted(annotation.slice))
    return _Attribute(name, statement.lineno, inner, optional, call, function)


def _name_of(node: ast.expr) -> str | None:
    """`String` for `String` and `sa.String`; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


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
    if isinstance(annotation, ast.Subscript) and _name_of(annotation.value) == (
        "Optional"
    ):
        return annotation.slice, True
    return annotation, False


def _is_list(annotation: ast.expr) -> bool:
    return isinstance(annotation, ast.Subscript) and _name_of(annotation.value) in (
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
    if not (isinstance(node, ast.Subscript) and _name_of(node.value) == "Literal"):
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
        if isinstance(argument, ast.Call) and _name_of(argument.func) == "ForeignKey":
            return argument
    return None


def _relation_spec(
    column: _Attribute, relationship: _Attribute, model_tables: Mapping[str, str]
) -> str:
    where = f"line {column.line}: {column.name}"
    foreign_key = _foreign_key(column.call)
    assert foreign_key is not None
    if any(
        argument is not foreign_key and _name_of(argument) != "Integer"
        for argument in column.call.args
    ):
        raise UnreadableModel(f"{where}: a foreign key column is an Integer")
    if ast.unparse(column.annotation) != "int":
        raise UnreadableModel(f"{where}: a foreign key column is Mapped[int]")
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


def _check_relationship(relationship: _Attribute, target: str, optional: bool) -> None:
    where = f"line {relationship.line}: {relationship.name}"
    if _name_of(_unquoted(relationship.annotation)) != target:
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
        and target in (_name_of(arguments[0]), *(_strings(arguments) or ()))
    ):
        raise UnreadableModel(f"{where}: the relationship is not to {target}")


# ---- columns ---------------------------------------------------------------------


def _column_spec(column: _Attribute, aliases: Mapping[str, tuple[str, ...]]) -> str:
    where = f"line {column.line}: {column.name}"
    if not column.call.args:
        raise UnreadableModel(f"{where}: mapped_column() has no column type")
    if len(column.call.args) > 1:
        raise UnreadableModel(f"{where}: mapped_column() has more than a type")
    kind, type_text, choices = _column_type(column.call.args[0], where)
    if choices is not None:
        annotation = column.annotation
        named = aliases.get(annotation.id) if isinstance(annotation, ast.Name) else None
        if (named or _literal_choices(annotation)) != choices:
            raise UnreadableModel(
                f"{where}: the annotation is not a Literal of the enum's values"
            )
    elif ast.unparse(column.annotation) != _ANNOTATIONS[kind]:
        raise UnreadableModel(
            f"{where}: the annotation {ast.unparse(column.annotation)} does not match "
            f"{_ANNOTATIONS[kind]}"
        )
    keywords = _keywords(column.call, where)
    modifiers = _modifiers(column, keywords, "unique", "index")
    if column.optional:
        modifiers.append("optional")
    default = keywords.get("default")
    if default is not None:
        modifiers.append(f"default={_default_text(default, kind, where)}")
    return ":".join([column.name, type_text, *modifiers])


def _column_type(node: ast.expr, where: str) -> tuple[str, str, tuple[str, ...] | None]:
    """(field type, its text, the enum's values) of a column type expression."""
    call = node if isinstance(node, ast.Call) else None
    name = _name_of(call.func if call is not None else node)
    arguments = call.args if call is not None else []
    keywords = _keywords(call, where) if call is not None else {}
    if name == "String":
        (length,) = _integers(arguments, keywords, ("length",), where)
        return "str", f"str({length})", None
    if name == "Numeric":
        precision, scale = _integers(arguments, keywords, ("precision", "scale"), where)
        return "decimal", f"decimal({precision},{scale})", None
    if name == "Enum":
        choices = _strings(arguments)
        if not choices or set(keywords) - _ENUM_KEYWORDS:
            raise UnreadableModel(f"{where}: Enum() is not Enum(values..., name=...)")
        return "enum", f"enum({','.join(choices)})", choices
    if name == "DateTime" and not arguments and _is_true(keywords, "timezone"):
        return "datetime", "datetime", None  # written by older versions
    if name == "UTCDateTime" and set(keywords) <= {"precise"} and not arguments:
        return "datetime", "datetime", None
    if name in _SIMPLE_TYPES and name != "UTCDateTime" and not (arguments or keywords):
        kind = _SIMPLE_TYPES[name]
        return kind, kind, None
    raise UnreadableModel(f"{where}: column type {ast.unparse(node)} has no field type")


def _integers(
    arguments: list[ast.expr],
    keywords: Mapping[str, ast.expr],
    names: tuple[str, ...],
    where: str,
) -> list[int]:
    """The whole-number arguments `names` of a type, positional or by keyword."""
    rest = names[len(arguments) :]
    given = [*arguments, *(keywords[name] for name in rest if name in keywords)]
    values = [
        node.value
        for node in given
        if isinstance(node, ast.Constant) and type(node.value) is int
    ]
    if len(values) != len(names) or not set(keywords) <= set(rest):
        raise UnreadableModel(f"{where}: expected {', '.join(names)} as whole numbers")
    return values


def _is_true(keywords: Mapping[str, ast.expr], key: str) -> bool:
    node = keywords.get(key)
    return (
        set(keywords) == {key} and isinstance(node, ast.Constant) and node.value is True
    )


def _default_text(node: ast.expr, kind: str, where: str) -> str:
    """The `default=` text of a column default written as the generated code does."""
    form, text = _default_form(node)
    if form is None or kind not in _DEFAULT_KINDS[form]:
        raise UnreadableModel(
            f"{where}: default {ast.unparse(node)} is not a literal {kind} default"
        )
    return text


def _default_form(node: ast.expr) -> tuple[str | None, str]:
    """(form, text): `("time", "12:30")` for `time.fromisoformat("12:30")`."""
    if isinstance(node, ast.Call):
        text = _strings(node.args) if len(node.args) == 1 else None
        if text is None or node.keywords:
            return None, ""
        function = node.func
        if isinstance(function, ast.Name) and function.id in ("Decimal", "UUID"):
            return function.id, text[0]
        if (
            isinstance(function, ast.Attribute)
            and function.attr == "fromisoformat"
            and _name_of(function.value) in ("date", "datetime", "time")
        ):
            return _name_of(function.value), text[0]
        return None, ""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None, ""
    if isinstance(value, bool):
        return "bool", "true" if value else "false"
    if isinstance(value, int):
        return "int", str(value)
    if isinstance(value, float):
        return "float", repr(value)
    if isinstance(value, str):
        return "str", value
    return None, ""
