"""The FIELD arguments of `add-model`: `name:type[:modifier...]`, parsed and checked.

    argument                           meaning
    ---------------------------------  -----------------------------------------------
    title:str(200)                     a type from `field_types.FIELD_TYPES`, with its
                                       (...) arguments when it takes any
    author:User                        many-to-one: column author_id -> the User table
    ...:unique  ...:index              a unique constraint, an index
    ...:optional                       nullable, may be omitted
    ...:default=VALUE                  a default, parsed as the field's type
    author:User:cascade|set-null       ON DELETE CASCADE / SET NULL (set-null: optional)
    tags:Tag:many                      many-to-many through an association table
                                       (`many_to_many`); no other modifier

The first `:` ends the name; the type runs to the next `:` outside parentheses. Then
come the modifiers, separated by `:`. `default=` takes the REST of the argument as its
value, so it comes last: `at:time:index:default=12:30:00` (a value containing a
`:unique`, `:index`, ... segment is refused as ambiguous).

This module knows the syntax; what a type accepts (arguments, defaults, indexes) is
asked of its entry in the type table. Nothing here renders code. Every refusal is a
FieldSpecError naming the argument.
"""

import difflib
import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from .errors import FieldSpecError
from .field_types import (
    DEFAULT_DECIMAL,
    DEFAULT_STR_LENGTH,
    FIELD_TYPES,
    MAX_DECIMAL_PRECISION,
    MAX_DECIMAL_SCALE,
    MAX_INDEXED_STR_LENGTH,
    MAX_STR_LENGTH,
    MAX_STR_TOTAL,
    RELATION,
    Arguments,
    DefaultError,
    DefaultValue,
    FieldType,
    TypeArguments,
    known_types_text,
)
from .naming import pluralize

__all__ = [
    "MAX_NAME_LENGTH",
    "Field",
    "field_spec",
    "many_names",
    "parse_field",
    "parse_fields",
    "type_text",
]

MAX_NAME_LENGTH = 63  # PostgreSQL truncates longer identifiers

_ON_DELETE = {"cascade": "CASCADE", "set-null": "SET NULL"}
_FLAGS = ("unique", "index", "optional", "cascade", "set-null", "many")
_MODIFIER_HINTS = {
    "nullable": "optional",
    "null": "optional",
    "indexed": "index",
    "set_null": "set-null",
    "setnull": "set-null",
    "uniq": "unique",
}
_TYPE_NAMES = frozenset(FIELD_TYPES) - {RELATION}
# SQLAlchemy type names that are not ours in another case (Text, DateTime, ... are).
_MISSPELLINGS = {
    spelling: entry.name
    for entry in FIELD_TYPES.values()
    for spelling in entry.misspellings
}
_FIELD_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_MODEL_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")
_TYPE = re.compile(r"(?P<base>[A-Za-z][A-Za-z0-9_]*)(?:\((?P<args>[^()]*)\))?")
_ENUM_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

_PYDANTIC_ATTRIBUTES = (
    "construct", "copy", "dict", "fields", "from_orm", "json", "parse_file",
    "parse_obj", "parse_raw", "schema", "schema_json", "update_forward_refs",
    "validate",
)  # fmt: skip
# Field names the generated code already uses, with the reason shown to the user.
_RESERVED_NAMES = {
    **dict.fromkeys(
        ("id", "created_at", "updated_at"),
        "every model already has id, created_at and updated_at",
    ),
    **dict.fromkeys(
        ("metadata", "registry", "query", "type_annotation_map", "awaitable_attrs"),
        "an attribute of SQLAlchemy's declarative models",
    ),
    **dict.fromkeys(_PYDANTIC_ATTRIBUTES, "an attribute of Pydantic's BaseModel"),
    **dict.fromkeys(
        ("bool", "bytes", "date", "datetime", "float", "int", "list", "str", "time"),
        "a type name the generated annotations use (`date: Mapped[date]` breaks the "
        "next `Mapped[date]` in the class); try e.g. 'day' or 'start_date'",
    ),
    **dict.fromkeys(
        ("mapped_column", "relationship"),
        "a name the generated model class body calls for every column",
    ),
    "self": "SQLAlchemy's model constructor takes `self`, so `Model(self=...)` fails",
    **dict.fromkeys(
        ("limit", "offset", "sort"),
        "the list endpoint's query parameters are limit, offset and sort",
    ),
}
_RESERVED_PREFIXES = {
    "model_": "Pydantic reserves names starting with 'model_'",
    "min_": "min_<field> and max_<field> are the list endpoint's range filters",
    "max_": "min_<field> and max_<field> are the list endpoint's range filters",
}
# Enum values become StrEnum members: these would shadow str methods (or `mro`).
_ENUM_RESERVED = frozenset(name for name in dir(str) if not name.startswith("_")) | {
    "mro"
}


@dataclass(frozen=True, slots=True)
class _TypeFacts:
    """What the type part of an argument says."""

    kind: str
    arguments: TypeArguments = TypeArguments()
    target: str | None = None


@dataclass(frozen=True)
class Field:
    """One parsed FIELD argument; `spec` is the argument as typed.

    `kind` names its entry in `field_types.FIELD_TYPES` ("str", ..., "relation").
    """

    name: str
    kind: str
    spec: str = ""
    length: int | None = None  # str only
    precision: int | None = None  # decimal only
    scale: int | None = None  # decimal only
    choices: tuple[str, ...] = ()  # enum only
    target: str | None = None  # relation only: the related model's class name
    unique: bool = False
    index: bool = False
    optional: bool = False
    default: DefaultValue = None  # parsed; None when not given
    default_text: str | None = None  # the raw text after `default=`
    on_delete: str | None = None  # relation only: None, "CASCADE" or "SET NULL"
    many: bool = False  # relation only: many-to-many, no column of its own

    @cached_property
    def type(self) -> FieldType:
        return FIELD_TYPES[self.kind]

    @property
    def arguments(self) -> TypeArguments:
        return TypeArguments(self.length, self.precision, self.scale, self.choices)

    @property
    def column_name(self) -> str:
        """The database column: `author_id` for the relation `author` (a
        many-to-many relation has none: its name stands for it)."""
        return f"{self.name}_id" if self.is_relation else self.name

    @property
    def is_relation(self) -> bool:
        """A many-to-one relation: a foreign-key column of the model's table."""
        return self.kind == RELATION and not self.many

    @property
    def is_many(self) -> bool:
        """A many-to-many relation: rows of an association table."""
        return self.kind == RELATION and self.many

    @property
    def taken_names(self) -> tuple[str, ...]:
        """The names the field takes in the model and the API."""
        if self.is_many:
            return many_names(self.name)
        return tuple(dict.fromkeys((self.name, self.column_name)))

    @property
    def has_default(self) -> bool:
        return self.default_text is not None

    @property
    def varchar_length(self) -> int:
        """Characters of the row this field's VARCHAR takes on MySQL (0: none)."""
        return self.type.varchar_length(self.arguments)


def singular(name: str) -> str:
    """The singular of a plural field name, where `pluralize` would give it back
    (`tags` -> `tag`, `categories` -> `category`); else the name itself."""
    candidates = []
    if name.endswith("ies"):
        candidates.append(name[:-3] + "y")
    if name.endswith("es"):
        candidates.append(name[:-2])
    if name.endswith("s"):
        candidates.append(name[:-1])
    for candidate in candidates:
        if candidate and pluralize(candidate) == name:
            return candidate
    return name


def many_names(name: str) -> tuple[str, str, str]:
    """What a many-to-many field `tags` is called: the relationship (`tags`), the
    ids of create and update bodies (`tag_ids`) and the list filter (`tag_id`)."""
    one = singular(name)
    return name, f"{one}_ids", f"{one}_id"


def _error(spec: str, problem: str) -> FieldSpecError:
    return FieldSpecError(f'"{spec}": {problem}')


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    choices = sorted(str(option) for option in options)
    close = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_field_name(spec: str, name: str) -> None:
    if not name:
        raise _error(spec, "missing field name; a field is name:type[:modifier...]")
    if name.startswith("_"):
        raise _error(
            spec,
            f"field name {name!r} must not start with '_' "
            "(SQLAlchemy and Pydantic reserve such names)",
        )
    if not _FIELD_NAME.fullmatch(name):
        raise _error(
            spec,
            f"field name {name!r} must be lowercase snake_case: a letter, then "
            "lowercase letters, digits and single underscores",
        )
    if keyword.iskeyword(name):
        raise _error(spec, f"field name {name!r} is a Python keyword")
    if keyword.issoftkeyword(name) or name == "type":
        raise _error(
            spec,
            f"field name {name!r} is a Python soft keyword; pick another name",
        )
    if name in _RESERVED_NAMES:
        raise _error(spec, f"field name {name!r} is reserved: {_RESERVED_NAMES[name]}")
    for prefix, reason in _RESERVED_PREFIXES.items():
        if name.startswith(prefix):
            raise _error(spec, f"field name {name!r} is reserved: {reason}")


def _split_type(spec: str, rest: str) -> tuple[str, str | None]:
    """Split `type[:modifiers]`; the type may hold parentheses (never a `:`)."""
    depth = 0
    for position, char in enumerate(rest):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == ":" and depth == 0:
            return rest[:position], rest[position + 1 :]
    if depth:
        raise _error(spec, f"unbalanced parentheses in type {rest!r}")
    return rest, None


def _int_argument(spec: str, text: str, what: str, example: str) -> int:
    text = text.strip()
    if not re.fullmatch(r"[0-9]+", text):
        raise _error(spec, f"{what} must be a whole number, e.g. {example}")
    return int(text)


def _parse_type(spec: str, type_text: str) -> _TypeFacts:
    known = known_types_text()
    if not type_text:
        raise _error(spec, f"missing type; known: {known}")
    match = _TYPE.fullmatch(type_text)
    if match is None:
        raise _error(spec, f"unknown type {type_text!r}; known: {known}")
    base, args = match["base"], match["args"]
    entry = FIELD_TYPES.get(base) if base in _TYPE_NAMES else None
    if entry is not None:
        return _TypeFacts(base, _parse_arguments(spec, entry, args))
    if base.lower() in _TYPE_NAMES:
        raise _error(
            spec,
            f"unknown type {type_text!r}: type names are lowercase "
            f"(did you mean {base.lower()!r}?)",
        )
    if base in _MISSPELLINGS:
        raise _error(
            spec,
            f"unknown type {type_text!r} (did you mean {_MISSPELLINGS[base]!r}?); "
            f"known: {known}",
        )
    if _MODEL_NAME.fullmatch(base) and args is None:
        return _TypeFacts(RELATION, target=base)
    hint = _did_you_mean(base, _TYPE_NAMES)
    raise _error(spec, f"unknown type {type_text!r}{hint}; known: {known}")


def _parse_arguments(spec: str, entry: FieldType, args: str | None) -> TypeArguments:
    shape = entry.arguments
    if shape is Arguments.LENGTH:
        return TypeArguments(length=_parse_length(spec, args))
    if shape is Arguments.PRECISION_SCALE:
        return _parse_precision_scale(spec, args)
    if shape is Arguments.CHOICES:
        return TypeArguments(choices=_parse_choices(spec, args))
    if args is not None:
        raise _error(spec, f"type {entry.name!r} takes no arguments")
    return TypeArguments()


def _parse_length(spec: str, args: str | None) -> int:
    length = DEFAULT_STR_LENGTH
    if args is not None:
        length = _int_argument(spec, args, "str length", "str(200)")
    if not 1 <= length <= MAX_STR_LENGTH:
        raise _error(
            spec,
            f"str length must be between 1 and {MAX_STR_LENGTH} "
            "(MySQL row size limit); use text for longer strings",
        )
    return length


def _parse_precision_scale(spec: str, args: str | None) -> TypeArguments:
    precision, scale = DEFAULT_DECIMAL
    if args is not None:
        parts = args.split(",")
        if len(parts) != 2:
            raise _error(
                spec,
                "decimal takes a precision and a scale: decimal(P,S), e.g. "
                "decimal(10,2)",
            )
        precision = _int_argument(spec, parts[0], "decimal precision", "decimal(10,2)")
        scale = _int_argument(spec, parts[1], "decimal scale", "decimal(10,2)")
    if not 1 <= precision <= MAX_DECIMAL_PRECISION:
        raise _error(
            spec,
            f"decimal precision must be between 1 and {MAX_DECIMAL_PRECISION} "
            "(MySQL's maximum)",
        )
    if not 0 <= scale <= min(precision, MAX_DECIMAL_SCALE):
        raise _error(
            spec,
            f"decimal scale must be between 0 and the precision ({precision}), "
            f"and at most {MAX_DECIMAL_SCALE} (MySQL's maximum)",
        )
    return TypeArguments(precision=precision, scale=scale)


def _parse_choices(spec: str, args: str | None) -> tuple[str, ...]:
    if args is None or not args.strip():
        raise _error(spec, "enum needs at least one value: enum(a,b,c)")
    choices = tuple(value.strip() for value in args.split(","))
    seen: set[str] = set()
    for value in choices:
        if not _ENUM_VALUE.fullmatch(value):
            raise _error(
                spec,
                f"enum value {value!r} must be an identifier: a letter, then letters, "
                "digits or underscores",
            )
        if keyword.iskeyword(value):
            raise _error(spec, f"enum value {value!r} is a Python keyword")
        if value in _ENUM_RESERVED:
            raise _error(
                spec,
                f"enum value {value!r} would shadow the str method of that name on "
                "the generated StrEnum",
            )
        if len(value) > MAX_NAME_LENGTH:
            raise _error(
                spec,
                f"enum value {value!r} is longer than {MAX_NAME_LENGTH} characters "
                "(PostgreSQL's limit for enum labels)",
            )
        if value.lower() in seen:
            raise _error(
                spec,
                f"enum value {value!r} is given twice (MySQL compares enum values "
                "case-insensitively)",
            )
        seen.add(value.lower())
    return choices


def _parse_modifiers(spec: str, text: str | None) -> tuple[list[str], str | None]:
    """The flag modifiers in order, and the raw `default=` value (None if absent)."""
    flags: list[str] = []
    while text is not None:
        if text.startswith("default="):
            value = text.removeprefix("default=")
            for segment in value.split(":")[1:]:
                if segment in _FLAGS or segment.startswith("default="):
                    raise _error(
                        spec,
                        f"default value {value!r} contains ':{segment}'; default= "
                        "takes the rest of the argument, so put it last",
                    )
            return flags, value
        modifier, colon, rest = text.partition(":")
        text = rest if colon else None
        if not modifier:
            raise _error(spec, "empty modifier (two ':' in a row, or a trailing ':')")
        if modifier == "default":
            raise _error(spec, "modifier 'default' needs a value: default=VALUE")
        if modifier not in _FLAGS:
            alias = _MODIFIER_HINTS.get(modifier.lower())
            hint = f" (did you mean {alias!r}?)" if alias else ""
            hint = hint or _did_you_mean(modifier, _FLAGS)
            raise _error(
                spec,
                f"unknown modifier {modifier!r}{hint}; known: unique, index, "
                "optional, default=VALUE, cascade, set-null, many",
            )
        if modifier in flags:
            raise _error(spec, f"modifier {modifier!r} is given twice")
        flags.append(modifier)
    return flags, None


def _check_modifiers(spec: str, facts: _TypeFacts, flags: list[str]) -> None:
    entry = FIELD_TYPES[facts.kind]
    if facts.kind != RELATION:
        for flag in ("cascade", "set-null"):
            if flag in flags:
                raise _error(
                    spec,
                    f"{flag} only applies to a relation (it is the ON DELETE action "
                    "of its foreign key)",
                )
    if "many" in flags:
        _check_many_modifiers(spec, facts, flags)
    if "cascade" in flags and "set-null" in flags:
        raise _error(spec, "cascade and set-null exclude each other (one ON DELETE)")
    if "set-null" in flags and "optional" not in flags:
        raise _error(
            spec,
            "set-null needs optional: the foreign key column would be NOT NULL, so "
            "ON DELETE SET NULL could not work",
        )
    for flag in ("unique", "index"):
        if flag not in flags:
            continue
        if entry.unindexable:
            raise _error(spec, f"{entry.name} cannot be {flag}: {entry.unindexable}")
        length = facts.arguments.length
        if length is not None and length > MAX_INDEXED_STR_LENGTH:
            raise _error(
                spec,
                f"str({length}) cannot be {flag}: MySQL index keys hold at most "
                f"{MAX_INDEXED_STR_LENGTH} characters (3072 bytes in utf8mb4)",
            )


def _check_many_modifiers(spec: str, facts: _TypeFacts, flags: list[str]) -> None:
    if facts.kind != RELATION:
        raise _error(
            spec,
            "many only applies to a relation: tags:Tag:many relates many rows to "
            "many rows of Tag",
        )
    others = [flag for flag in flags if flag != "many"]
    if others:
        raise _error(
            spec,
            f"many takes no other modifier (not {', '.join(others)}): the links are "
            "rows of an association table, removed with either side, and the list "
            "may be empty",
        )


def _parse_default(spec: str, facts: _TypeFacts, text: str) -> DefaultValue:
    entry = FIELD_TYPES[facts.kind]
    if entry.parse_default is None:
        raise _error(spec, entry.no_default or f"{entry.name} cannot have a default")
    try:
        return entry.parse_default(text, facts.arguments)
    except DefaultError as error:
        raise _error(spec, str(error)) from None


def parse_field(spec: str) -> Field:
    """Parse one `name:type[:modifier...]` argument, or raise FieldSpecError."""
    name, colon, rest = spec.partition(":")
    if not colon:
        raise _error(spec, "missing type; a field is name:type[:modifier...]")
    _check_field_name(spec, name)
    type_text, modifier_text = _split_type(spec, rest)
    facts = _parse_type(spec, type_text)
    if facts.kind == RELATION and name.endswith("_id"):
        raise _error(
            spec,
            "name the relation after the object, not its column: "
            f"{name.removesuffix('_id')}:{facts.target} makes the column {name}",
        )
    column = f"{name}_id" if facts.kind == RELATION else name
    if len(column) > MAX_NAME_LENGTH:
        raise _error(
            spec,
            f"column name {column!r} is longer than {MAX_NAME_LENGTH} characters "
            "(PostgreSQL's limit)",
        )
    flags, default_text = _parse_modifiers(spec, modifier_text)
    _check_modifiers(spec, facts, flags)
    if "many" in flags and default_text is not None:
        raise _error(spec, "a many-to-many relation cannot have a default")
    if "many" in flags and name.endswith("_ids"):
        objects = pluralize(name.removesuffix("_ids"))
        raise _error(
            spec,
            "name the relation after the objects, not their ids: "
            f"{objects}:{facts.target}:many makes the ids {name}",
        )
    default = None
    if default_text is not None:
        default = _parse_default(spec, facts, default_text)
    return Field(
        name=name,
        kind=facts.kind,
        spec=spec,
        length=facts.arguments.length,
        precision=facts.arguments.precision,
        scale=facts.arguments.scale,
        choices=facts.arguments.choices,
        target=facts.target,
        unique="unique" in flags,
        index="index" in flags,
        optional="optional" in flags,
        default=default,
        default_text=default_text,
        on_delete=next((_ON_DELETE[f] for f in flags if f in _ON_DELETE), None),
        many="many" in flags,
    )


def parse_fields(
    specs: Iterable[str], known_models: Iterable[str], *, model: str | None = None
) -> list[Field]:
    """Parse every FIELD argument and check them together.

    Names and columns must be unique across the fields (`author:User` takes both
    `author` and `author_id`), relation targets must be models of the project or
    `model`, the one the fields belong to (a relation to itself must be optional),
    and the string fields together must fit a MySQL row. Zero fields is fine: the
    model then has only id, created_at and updated_at.
    """
    known = set(known_models)
    fields = [parse_field(spec) for spec in specs]
    taken: dict[str, Field] = {}
    for field in fields:
        if model is not None and field.target == model and not field.optional:
            raise _error(
                field.spec,
                "a relation of a model to itself must be optional (the first row "
                f"has nothing to point to): {field.spec}:optional",
            )
        for name in field.taken_names:
            other = taken.get(name)
            if other is not None:
                raise _error(
                    field.spec, f"the name {name!r} is already taken by {other.spec!r}"
                )
            taken[name] = field
        if field.target not in (None, model) and field.target not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise _error(
                field.spec,
                f"no model {field.target!r} in this project (known: {listed})",
            )
    total = sum(field.varchar_length for field in fields)
    if total > MAX_STR_TOTAL:
        raise FieldSpecError(
            f"the string fields add up to {total} characters, more than "
            f"{MAX_STR_TOTAL} "
            "(a MySQL row holds 65,535 bytes, up to 4 a character); use text for "
            "long strings"
        )
    return fields


def field_spec(field: Field) -> str:
    """The canonical `name:type[:modifier...]` argument of a parsed field.

    `parse_field(field_spec(f))` equals `f` but for `spec`. A type that takes
    arguments always shows them; modifiers come in the order unique, index, optional,
    cascade|set-null, many, then `default=` (it takes the rest of the argument).
    """
    parts = [field.name, _type_text(field)]
    parts += [flag for flag in ("unique", "index", "optional") if getattr(field, flag)]
    parts += [flag for flag, action in _ON_DELETE.items() if action == field.on_delete]
    parts += ["many"] if field.many else []
    if field.default_text is not None:
        parts.append(f"default={field.default_text}")
    return ":".join(parts)


def _type_text(field: Field) -> str:
    if field.target is not None:
        return field.target
    return type_text(field.type, field.arguments)


def type_text(entry: FieldType, arguments: TypeArguments) -> str:
    """A type as the field syntax writes it: `str(200)`, `decimal(8,2)`, `email`."""
    shape = entry.arguments
    if shape is Arguments.LENGTH:
        return f"{entry.name}({arguments.length})"
    if shape is Arguments.PRECISION_SCALE:
        return f"{entry.name}({arguments.precision},{arguments.scale})"
    if shape is Arguments.CHOICES:
        return f"{entry.name}({','.join(arguments.choices)})"
    return entry.name
