"""The FIELD arguments of `add-model`: `name:type[:modifier...]`, parsed and checked.

    argument                           meaning
    ---------------------------------  -----------------------------------------------
    title:str   title:str(200)         String(N); N is 255 unless given, 10000 at most
    body:text                          Text (no length; cannot be unique or indexed)
    views:int   views:bigint           Integer (32-bit), BigInteger (64-bit)
    ratio:float                        Float
    price:decimal   price:decimal(P,S) Numeric(P,S); (10,2) unless given
    published:bool                     Boolean
    day:date  at:datetime  at:time     Date, timezone-aware DateTime, Time
    key:uuid  extra:json               Uuid, JSON
    status:enum(draft,published)       an enum of identifier values
    author:User                        many-to-one: column author_id -> the User table
    ...:unique  ...:index              a unique constraint, an index
    ...:optional                       nullable, may be omitted
    ...:default=VALUE                  a default, parsed as the field's type
    author:User:cascade|set-null       ON DELETE CASCADE / SET NULL (set-null: optional)

The first `:` ends the name; the type runs to the next `:` outside parentheses. Then
come the modifiers, separated by `:`. `default=` takes the REST of the argument as its
value, so it comes last: `at:time:index:default=12:30:00` (a value containing a
`:unique`, `:index`, ... segment is refused as ambiguous).

Nothing here renders code: a `Field` carries the parsed facts (and the Python type of
its values) for the renderers. Every refusal is a FieldSpecError naming the argument.
"""

import difflib
import keyword
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, localcontext
from enum import StrEnum
from uuid import UUID

from .errors import FieldSpecError

__all__ = [
    "DEFAULT_DECIMAL",
    "DEFAULT_STR_LENGTH",
    "INT_RANGES",
    "MAX_DECIMAL_PRECISION",
    "MAX_DECIMAL_SCALE",
    "MAX_INDEXED_STR_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_STR_LENGTH",
    "MAX_STR_TOTAL",
    "DefaultValue",
    "Field",
    "FieldKind",
    "parse_field",
    "parse_fields",
]


class FieldKind(StrEnum):
    STR = "str"
    TEXT = "text"
    INT = "int"
    BIGINT = "bigint"
    FLOAT = "float"
    DECIMAL = "decimal"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    UUID = "uuid"
    JSON = "json"
    ENUM = "enum"
    RELATION = "relation"


DefaultValue = str | int | float | Decimal | bool | date | datetime | time | UUID | None
_Parser = Callable[[str], date | time]

DEFAULT_STR_LENGTH = 255
# MySQL limits a row to 65,535 bytes and utf8mb4 takes up to 4 bytes a character
# (16,383 characters for a lone column): one str is at most 10,000 characters, all the
# str fields of a model together at most 16,000; longer text belongs in `text`.
MAX_STR_LENGTH = 10_000
MAX_STR_TOTAL = 16_000
# InnoDB index keys are at most 3,072 bytes: 768 utf8mb4 characters.
MAX_INDEXED_STR_LENGTH = 768
DEFAULT_DECIMAL = (10, 2)
MAX_DECIMAL_PRECISION = 65  # MySQL's maximum (PostgreSQL allows more)
MAX_DECIMAL_SCALE = 30  # MySQL's maximum
MAX_NAME_LENGTH = 63  # PostgreSQL truncates longer identifiers
INT_RANGES = {
    FieldKind.INT: (-(2**31), 2**31 - 1),
    FieldKind.BIGINT: (-(2**63), 2**63 - 1),
}

_PYTHON_TYPES = {
    FieldKind.STR: "str",
    FieldKind.TEXT: "str",
    FieldKind.INT: "int",
    FieldKind.BIGINT: "int",
    FieldKind.FLOAT: "float",
    FieldKind.DECIMAL: "Decimal",
    FieldKind.BOOL: "bool",
    FieldKind.DATE: "date",
    FieldKind.DATETIME: "datetime",
    FieldKind.TIME: "time",
    FieldKind.UUID: "UUID",
    FieldKind.JSON: "dict[str, Any]",
    FieldKind.RELATION: "int",
}
_PYTHON_IMPORTS = {
    FieldKind.DECIMAL: ("decimal", "Decimal"),
    FieldKind.DATE: ("datetime", "date"),
    FieldKind.DATETIME: ("datetime", "datetime"),
    FieldKind.TIME: ("datetime", "time"),
    FieldKind.UUID: ("uuid", "UUID"),
    FieldKind.JSON: ("typing", "Any"),
    FieldKind.ENUM: ("typing", "Literal"),
}
_NUMERIC = frozenset(
    {FieldKind.INT, FieldKind.BIGINT, FieldKind.FLOAT, FieldKind.DECIMAL}
)
_TEMPORAL = frozenset({FieldKind.DATE, FieldKind.DATETIME, FieldKind.TIME})
_UNINDEXABLE = frozenset({FieldKind.TEXT, FieldKind.JSON})

_ON_DELETE = {"cascade": "CASCADE", "set-null": "SET NULL"}
_FLAGS = ("unique", "index", "optional", "cascade", "set-null")
_MODIFIER_HINTS = {
    "nullable": "optional",
    "null": "optional",
    "indexed": "index",
    "set_null": "set-null",
    "setnull": "set-null",
    "uniq": "unique",
}
_KNOWN_TYPES = (
    "str, str(N), text, int, bigint, float, decimal, decimal(P,S), bool, date, "
    "datetime, time, uuid, json, enum(a,b,...), or a model name such as User"
)
_SIMPLE_KINDS = frozenset(FieldKind) - {FieldKind.RELATION}
# SQLAlchemy type names that are not ours in another case (Text, DateTime, ... are).
_SQLALCHEMY_TYPES = {
    "BigInteger": "bigint",
    "Boolean": "bool",
    "Double": "float",
    "Integer": "int",
    "Numeric": "decimal",
    "SmallInteger": "int",
    "String": "str",
    "Unicode": "str",
    "UnicodeText": "text",
}
_FIELD_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_MODEL_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")
_TYPE = re.compile(r"(?P<base>[A-Za-z][A-Za-z0-9_]*)(?:\((?P<args>[^()]*)\))?")
_ENUM_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?")
_DATETIME = re.compile(
    rf"{_DATE.pattern}[T ]{_TIME.pattern}(?:Z|[+-][0-9]{{2}}:[0-9]{{2}})?"
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")

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

    kind: FieldKind
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    choices: tuple[str, ...] = ()
    target: str | None = None


@dataclass(frozen=True, slots=True)
class Field:
    """One parsed FIELD argument; `spec` is the argument as typed."""

    name: str
    kind: FieldKind
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

    @property
    def column_name(self) -> str:
        """The database column: `author_id` for the relation `author`."""
        return f"{self.name}_id" if self.is_relation else self.name

    @property
    def is_relation(self) -> bool:
        return self.kind is FieldKind.RELATION

    @property
    def is_numeric(self) -> bool:
        return self.kind in _NUMERIC

    @property
    def is_range_filterable(self) -> bool:
        """Gets `min_<name>` / `max_<name>` list filters (numbers, dates, times)."""
        return self.kind in _NUMERIC or self.kind in _TEMPORAL

    @property
    def is_filterable(self) -> bool:
        """Gets an exact-match list filter (on `column_name`); JSON does not."""
        return self.kind is not FieldKind.JSON

    @property
    def has_default(self) -> bool:
        return self.default_text is not None

    @property
    def python_type(self) -> str:
        """The Python type of the column's values, as written in an annotation.

        A relation is its `<name>_id` column (int); an enum is a Literal of its choices.
        """
        if self.kind is FieldKind.ENUM:
            return "Literal[{}]".format(", ".join(f'"{c}"' for c in self.choices))
        return _PYTHON_TYPES[self.kind]

    @property
    def python_import(self) -> tuple[str, str] | None:
        """The import `python_type` needs as (module, name), e.g. ("uuid", "UUID")."""
        return _PYTHON_IMPORTS.get(self.kind)


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
    if not type_text:
        raise _error(spec, f"missing type; known: {_KNOWN_TYPES}")
    match = _TYPE.fullmatch(type_text)
    if match is None:
        raise _error(spec, f"unknown type {type_text!r}; known: {_KNOWN_TYPES}")
    base, args = match["base"], match["args"]
    if base == "str":
        length = DEFAULT_STR_LENGTH
        if args is not None:
            length = _int_argument(spec, args, "str length", "str(200)")
        if not 1 <= length <= MAX_STR_LENGTH:
            raise _error(
                spec,
                f"str length must be between 1 and {MAX_STR_LENGTH} "
                "(MySQL row size limit); use text for longer strings",
            )
        return _TypeFacts(FieldKind.STR, length=length)
    if base == "decimal":
        return _parse_decimal_type(spec, args)
    if base == "enum":
        return _TypeFacts(FieldKind.ENUM, choices=_parse_choices(spec, args))
    if base in _SIMPLE_KINDS:
        if args is not None:
            raise _error(spec, f"type {base!r} takes no arguments")
        return _TypeFacts(FieldKind(base))
    if base.lower() in _SIMPLE_KINDS:
        raise _error(
            spec,
            f"unknown type {type_text!r}: type names are lowercase "
            f"(did you mean {base.lower()!r}?)",
        )
    if base in _SQLALCHEMY_TYPES:
        raise _error(
            spec,
            f"unknown type {type_text!r} (did you mean {_SQLALCHEMY_TYPES[base]!r}?); "
            f"known: {_KNOWN_TYPES}",
        )
    if _MODEL_NAME.fullmatch(base) and args is None:
        return _TypeFacts(FieldKind.RELATION, target=base)
    hint = _did_you_mean(base, _SIMPLE_KINDS - {FieldKind.ENUM})
    raise _error(spec, f"unknown type {type_text!r}{hint}; known: {_KNOWN_TYPES}")


def _parse_decimal_type(spec: str, args: str | None) -> _TypeFacts:
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
    return _TypeFacts(FieldKind.DECIMAL, precision=precision, scale=scale)


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
                "optional, default=VALUE, cascade, set-null",
            )
        if modifier in flags:
            raise _error(spec, f"modifier {modifier!r} is given twice")
        flags.append(modifier)
    return flags, None


def _check_modifiers(spec: str, facts: _TypeFacts, flags: list[str]) -> None:
    kind = facts.kind
    if kind is not FieldKind.RELATION:
        for flag in ("cascade", "set-null"):
            if flag in flags:
                raise _error(
                    spec,
                    f"{flag} only applies to a relation (it is the ON DELETE action "
                    "of its foreign key)",
                )
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
        if kind in _UNINDEXABLE:
            raise _error(
                spec,
                f"{kind} cannot be {flag}: MySQL cannot index TEXT/JSON columns "
                "(use str(N) for a short unique or indexed string)",
            )
        length = facts.length
        if length is not None and length > MAX_INDEXED_STR_LENGTH:
            raise _error(
                spec,
                f"str({length}) cannot be {flag}: MySQL index keys hold at most "
                f"{MAX_INDEXED_STR_LENGTH} characters (3072 bytes in utf8mb4)",
            )


def _bad_default(spec: str, text: str, expected: str) -> FieldSpecError:
    return _error(spec, f"default {text!r} is not {expected}")


def _parse_default(spec: str, facts: _TypeFacts, text: str) -> DefaultValue:
    kind = facts.kind
    if kind is FieldKind.RELATION:
        raise _error(
            spec,
            "a relation cannot have a default (it would hard-code a row id that may "
            "not exist in every database)",
        )
    if kind is FieldKind.JSON:
        raise _error(
            spec,
            "json cannot have a default (databases differ on JSON defaults; set the "
            "value in code)",
        )
    if kind in (FieldKind.STR, FieldKind.TEXT):
        length = facts.length
        if length is not None and len(text) > length:
            raise _error(
                spec, f"default is {len(text)} characters, longer than str({length})"
            )
        return text
    if kind in INT_RANGES:
        if not _INT.fullmatch(text):
            raise _bad_default(spec, text, "a whole number")
        value = int(text)
        low, high = INT_RANGES[kind]
        if not low <= value <= high:
            raise _error(
                spec, f"default {text} is out of range for {kind} ({low}..{high})"
            )
        return value
    if kind is FieldKind.FLOAT:
        if not _FLOAT.fullmatch(text) or not math.isfinite(float(text)):
            raise _bad_default(spec, text, "a finite number")
        return float(text)
    if kind is FieldKind.DECIMAL:
        return _parse_decimal_default(spec, facts, text)
    if kind is FieldKind.BOOL:
        if text.lower() not in ("true", "false"):
            raise _bad_default(spec, text, "a bool (true or false)")
        return text.lower() == "true"
    if kind is FieldKind.ENUM:
        if text not in facts.choices:
            choices = ", ".join(facts.choices)
            raise _error(spec, f"default {text!r} is not one of {choices}")
        return text
    if kind is FieldKind.UUID:
        if not _UUID.fullmatch(text):
            raise _bad_default(spec, text, "a UUID (8-4-4-4-12 hexadecimal digits)")
        return UUID(text)
    return _parse_temporal_default(spec, kind, text)


def _parse_decimal_default(spec: str, facts: _TypeFacts, text: str) -> Decimal:
    precision, scale = facts.precision or 0, facts.scale or 0
    if not _FLOAT.fullmatch(text):
        raise _bad_default(spec, text, "a decimal number")
    value = Decimal(text)
    with localcontext(prec=2 * MAX_DECIMAL_PRECISION):
        fits = abs(value) < Decimal(10) ** (precision - scale)
        exact = fits and value == value.quantize(Decimal(1).scaleb(-scale))
    if not exact:
        raise _error(
            spec,
            f"default {text} does not fit decimal({precision},{scale}) "
            f"({precision - scale} digits before the point, {scale} after)",
        )
    return value


_TEMPORAL_FORMATS: dict[FieldKind, tuple[re.Pattern[str], _Parser, str]] = {
    FieldKind.DATE: (_DATE, date.fromisoformat, "2024-05-17"),
    FieldKind.TIME: (_TIME, time.fromisoformat, "12:30 or 12:30:00"),
    FieldKind.DATETIME: (_DATETIME, datetime.fromisoformat, "2024-05-17T12:30:00Z"),
}


def _parse_temporal_default(spec: str, kind: FieldKind, text: str) -> date | time:
    pattern, parse, example = _TEMPORAL_FORMATS[kind]
    try:
        value = parse(text) if pattern.fullmatch(text) else None
    except ValueError:  # a 13th month, a 25th hour...
        value = None
    if value is None:
        raise _bad_default(spec, text, f"an ISO {kind} (e.g. {example})")
    if isinstance(value, datetime) and value.tzinfo is None:
        raise _error(
            spec,
            f"default {text!r} has no timezone: datetimes are timezone-aware "
            "(add Z or an offset such as +02:00)",
        )
    return value


def parse_field(spec: str) -> Field:
    """Parse one `name:type[:modifier...]` argument, or raise FieldSpecError."""
    name, colon, rest = spec.partition(":")
    if not colon:
        raise _error(spec, "missing type; a field is name:type[:modifier...]")
    _check_field_name(spec, name)
    type_text, modifier_text = _split_type(spec, rest)
    facts = _parse_type(spec, type_text)
    if facts.kind is FieldKind.RELATION and name.endswith("_id"):
        raise _error(
            spec,
            "name the relation after the object, not its column: "
            f"{name.removesuffix('_id')}:{facts.target} makes the column {name}",
        )
    column = f"{name}_id" if facts.kind is FieldKind.RELATION else name
    if len(column) > MAX_NAME_LENGTH:
        raise _error(
            spec,
            f"column name {column!r} is longer than {MAX_NAME_LENGTH} characters "
            "(PostgreSQL's limit)",
        )
    flags, default_text = _parse_modifiers(spec, modifier_text)
    _check_modifiers(spec, facts, flags)
    default = None
    if default_text is not None:
        default = _parse_default(spec, facts, default_text)
    return Field(
        name=name,
        kind=facts.kind,
        spec=spec,
        length=facts.length,
        precision=facts.precision,
        scale=facts.scale,
        choices=facts.choices,
        target=facts.target,
        unique="unique" in flags,
        index="index" in flags,
        optional="optional" in flags,
        default=default,
        default_text=default_text,
        on_delete=next((_ON_DELETE[f] for f in flags if f in _ON_DELETE), None),
    )


def parse_fields(specs: Iterable[str], known_models: Iterable[str]) -> list[Field]:
    """Parse every FIELD argument and check them together.

    Names and columns must be unique across the fields (`author:User` takes both
    `author` and `author_id`), relation targets must be models of the project, and
    the str fields together must fit a MySQL row. Zero fields is fine: the model then
    has only id, created_at and updated_at.
    """
    known = set(known_models)
    fields = [parse_field(spec) for spec in specs]
    taken: dict[str, Field] = {}
    for field in fields:
        for name in dict.fromkeys((field.name, field.column_name)):
            other = taken.get(name)
            if other is not None:
                raise _error(
                    field.spec, f"the name {name!r} is already taken by {other.spec!r}"
                )
            taken[name] = field
        if field.target is not None and field.target not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise _error(
                field.spec,
                f"no model {field.target!r} in this project (known: {listed})",
            )
    total = sum(field.length or 0 for field in fields if field.kind is FieldKind.STR)
    if total > MAX_STR_TOTAL:
        raise FieldSpecError(
            f"the str fields add up to {total} characters, more than {MAX_STR_TOTAL} "
            "(a MySQL row holds 65,535 bytes, up to 4 a character); use text for "
            "long strings"
        )
    return fields
