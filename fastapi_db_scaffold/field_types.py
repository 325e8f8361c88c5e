"""Every field type of `add-model`, one entry each: the only module that knows a type.

An entry answers every question the tool asks about its type: how its `(...)`
arguments and `default=` values parse, the column of the model and of the migration,
the API's input and output annotations, whether it can be unique, filtered, ranged and
sorted, and the sample and invalid values of the generated tests. Code facts are
Python source (imports follow from the names they use, see `imports`), written with
the field's facts in `{braces}`:

    {length} {precision} {scale}  the type's arguments (str(N), decimal(P,S))
    {values}                      an enum's values as string literals, comma-separated
    {alias}  {enum_name}          an enum's Literal alias (PostStatus), constraint name
    {too_long} {too_many_digits}  one past the str length, one past the precision

Adding a type is adding an entry to `FIELD_TYPES` (and its tests); nothing else in the
tool names an individual type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, localcontext
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from sqlalchemy.types import TypeEngine

__all__ = [
    "DEFAULT_DECIMAL",
    "DEFAULT_STR_LENGTH",
    "FIELD_TYPES",
    "INT_RANGES",
    "MAX_DECIMAL_PRECISION",
    "MAX_DECIMAL_SCALE",
    "MAX_INDEXED_STR_LENGTH",
    "MAX_STR_LENGTH",
    "MAX_STR_TOTAL",
    "RELATION",
    "Arguments",
    "DefaultError",
    "DefaultValue",
    "FieldType",
    "TypeArguments",
    "known_types_text",
]

DefaultValue = str | int | float | Decimal | bool | date | datetime | time | UUID | None

DEFAULT_STR_LENGTH = 255
# MySQL limits a row to 65,535 bytes and utf8mb4 takes up to 4 bytes a character
# (16,383 characters for a lone column): one str is at most 10,000 characters, all the
# sized strings of a model together at most 16,000; longer text belongs in `text`.
MAX_STR_LENGTH = 10_000
MAX_STR_TOTAL = 16_000
# InnoDB index keys are at most 3,072 bytes: 768 utf8mb4 characters.
MAX_INDEXED_STR_LENGTH = 768
DEFAULT_DECIMAL = (10, 2)
MAX_DECIMAL_PRECISION = 65  # MySQL's maximum (PostgreSQL allows more)
MAX_DECIMAL_SCALE = 30  # MySQL's maximum
INT_RANGES = {"int": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1)}
RELATION = "relation"


class Arguments(Enum):
    """The shape of a type's `(...)` part."""

    NONE = "none"  # text, int, ...: no parentheses
    LENGTH = "length"  # str, str(N)
    PRECISION_SCALE = "precision_scale"  # decimal, decimal(P,S)
    CHOICES = "choices"  # enum(a,b,c): required


@dataclass(frozen=True, slots=True)
class TypeArguments:
    """What the `(...)` part of a type said (or its defaults)."""

    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    choices: tuple[str, ...] = ()


class DefaultError(ValueError):
    """A `default=` value that does not suit the type; the message says why."""


DefaultParser = Callable[[str, TypeArguments], DefaultValue]
MigrationType = Callable[[TypeArguments, str], "TypeEngine[Any]"]


@dataclass(frozen=True, slots=True)
class FieldType:
    """One field type; see the module docstring for the `{braces}` in code facts."""

    name: str
    syntax: str  # how it is written: "str, str(N)"
    summary: str  # for --help and the README
    column: str  # the model's column type: "String({length})"
    migration: MigrationType  # the same column for Alembic (arguments, enum name)
    # ... and as Alembic writes it in a revision, with the `{braces}` and {enum_name}
    migration_code: str
    python: str  # the values' Python type: Mapped[...] and the output schema
    input: str  # the validated annotation of create/update bodies
    output: str = ""  # the response annotation ("" = `python`)
    filter: str | None = ""  # exact-match filter annotation ("" = input, None = none)
    arguments: Arguments = Arguments.NONE
    range_filter: bool = False  # gets min_<name> / max_<name>
    sortable: bool = True
    unindexable: str | None = None  # why unique/index are refused, if they are
    parse_default: DefaultParser | None = None
    no_default: str = ""  # why default= is refused (when parse_default is None)
    default_code: str = "{value!r}"  # a default as Python: {value} and {text}
    sample: str = ""  # a fresh valid JSON value, as a Python expression in tests
    invalid: tuple[str, ...] = ()  # JSON values the API must refuse, as Python
    same_value: str = "{left} == {right}"  # equality of two JSON values in tests
    changeable: bool = True  # the update test can give it a new, different value
    is_text: bool = False  # free text: lone surrogates and NUL must give a 422
    width: int | None = None  # a VARCHAR's fixed width (str: its length)
    misspellings: tuple[str, ...] = ()  # SQLAlchemy names a user may type for it
    facts: Mapping[str, Callable[[TypeArguments], object]] = field(
        default_factory=dict
    )  # extra `{braces}` computed from the arguments

    def varchar_length(self, arguments: TypeArguments) -> int:
        """Characters of a MySQL row this type's VARCHAR takes (0 for others)."""
        if self.arguments is Arguments.LENGTH:
            return arguments.length or 0
        return self.width or 0

    def code(self, template: str, arguments: TypeArguments, **extra: object) -> str:
        """`template` (one of the code facts) with this field's `{braces}` filled."""
        values: dict[str, object] = {
            "length": arguments.length,
            "precision": arguments.precision,
            "scale": arguments.scale,
            "values": ", ".join(f'"{choice}"' for choice in arguments.choices),
            "choices": list(arguments.choices),
            "too_long": (arguments.length or 0) + 1,
            "too_many_digits": "9" * ((arguments.precision or 0) + 1),
            **{name: fact(arguments) for name, fact in self.facts.items()},
            **extra,
        }
        return template.format(**values)


# ---- default= parsers ------------------------------------------------------------

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?")
_DATETIME = re.compile(
    rf"{_DATE.pattern}[T ]{_TIME.pattern}(?:Z|[+-][0-9]{{2}}:[0-9]{{2}})?"
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_HTTP_URL = re.compile(r"https?://[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)


def _invalid_default(text: str, expected: str) -> DefaultError:
    return DefaultError(f"default {text!r} is not {expected}")


def _text_default(text: str, arguments: TypeArguments) -> str:
    if arguments.length is not None and len(text) > arguments.length:
        raise DefaultError(
            f"default is {len(text)} characters, longer than str({arguments.length})"
        )
    return text


def _int_default(kind: str) -> DefaultParser:
    low, high = INT_RANGES[kind]

    def parse(text: str, _arguments: TypeArguments) -> int:
        if not _INT.fullmatch(text):
            raise _invalid_default(text, "a whole number")
        value = int(text)
        if not low <= value <= high:
            raise DefaultError(
                f"default {text} is out of range for {kind} ({low}..{high})"
            )
        return value

    return parse


def _float_default(text: str, _arguments: TypeArguments) -> float:
    if not _FLOAT.fullmatch(text) or not math.isfinite(float(text)):
        raise _invalid_default(text, "a finite number")
    return float(text)


def _decimal_default(text: str, arguments: TypeArguments) -> Decimal:
    precision, scale = arguments.precision or 0, arguments.scale or 0
    if not _FLOAT.fullmatch(text):
        raise _invalid_default(text, "a decimal number")
    value = Decimal(text)
    with localcontext(prec=2 * MAX_DECIMAL_PRECISION):
        fits = abs(value) < Decimal(10) ** (precision - scale)
        exact = fits and value == value.quantize(Decimal(1).scaleb(-scale))
    if not exact:
        raise DefaultError(
            f"default {text} does not fit decimal({precision},{scale}) "
            f"({precision - scale} digits before the point, {scale} after)"
        )
    return value


def _bool_default(text: str, _arguments: TypeArguments) -> bool:
    if text.lower() not in ("true", "false"):
        raise _invalid_default(text, "a bool (true or false)")
    return text.lower() == "true"


def _enum_default(text: str, arguments: TypeArguments) -> str:
    if text not in arguments.choices:
        raise DefaultError(
            f"default {text!r} is not one of {', '.join(arguments.choices)}"
        )
    return text


def _uuid_default(text: str, _arguments: TypeArguments) -> UUID:
    if not _UUID.fullmatch(text):
        raise _invalid_default(text, "a UUID (8-4-4-4-12 hexadecimal digits)")
    return UUID(text)


def _iso_default(
    pattern: re.Pattern[str], parse: Callable[[str], Any], kind: str, example: str
) -> DefaultParser:
    def parse_default(text: str, _arguments: TypeArguments) -> date | time:
        try:
            value = parse(text) if pattern.fullmatch(text) else None
        except ValueError:  # a 13th month, a 25th hour...
            value = None
        if value is None:
            raise _invalid_default(text, f"an ISO {kind} (e.g. {example})")
        if isinstance(value, datetime) and value.tzinfo is None:
            raise DefaultError(
                f"default {text!r} has no timezone: datetimes are timezone-aware "
                "(add Z or an offset such as +02:00)"
            )
        result: date | time = value
        return result

    return parse_default


def _pattern_default(
    pattern: re.Pattern[str], length: int, expected: str
) -> DefaultParser:
    def parse(text: str, _arguments: TypeArguments) -> str:
        if len(text) > length or not pattern.fullmatch(text):
            raise _invalid_default(text, expected)
        return text

    return parse


# ---- migration column types ----------------------------------------------------------
# Imported when a migration is rendered, not when a field is parsed.


def _sa_type(name: str, *args: object, **kwargs: object) -> MigrationType:
    def build(_arguments: TypeArguments, _enum_name: str) -> TypeEngine[Any]:
        import sqlalchemy as sa

        type_: TypeEngine[Any] = getattr(sa, name)(*args, **kwargs)
        return type_

    return build


def _string_type(arguments: TypeArguments, _enum_name: str) -> TypeEngine[Any]:
    import sqlalchemy as sa

    return sa.String(arguments.length)


def _numeric_type(arguments: TypeArguments, _enum_name: str) -> TypeEngine[Any]:
    import sqlalchemy as sa

    return sa.Numeric(arguments.precision, arguments.scale)


def _precise_datetime_type(_arguments: TypeArguments, _name: str) -> TypeEngine[Any]:
    """Microseconds on MySQL too (its DATETIME keeps whole seconds)."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import mysql

    precise = mysql.DATETIME(fsp=6)
    return sa.DateTime(timezone=True).with_variant(precise, "mysql", "mariadb")


def _precise_time_type(_arguments: TypeArguments, _name: str) -> TypeEngine[Any]:
    import sqlalchemy as sa
    from sqlalchemy.dialects import mysql

    return sa.Time().with_variant(mysql.TIME(fsp=6), "mysql", "mariadb")


def _enum_type(arguments: TypeArguments, enum_name: str) -> TypeEngine[Any]:
    import sqlalchemy as sa

    return sa.Enum(
        *arguments.choices,
        name=enum_name,
        native_enum=False,
        length=max(len(choice) for choice in arguments.choices),
    )


def _longest(arguments: TypeArguments) -> int:
    return max(len(choice) for choice in arguments.choices)


_NO_INDEX = "MySQL cannot index TEXT/JSON columns (use str(N) for a short unique or "
_NO_INDEX += "indexed string)"
_FROM_ISO = '{type}.fromisoformat("{text}")'

FIELD_TYPES: dict[str, FieldType] = {
    entry.name: entry
    for entry in (
        FieldType(
            name="str",
            misspellings=("String", "Unicode"),
            syntax="str, str(N)",
            summary=f"String(N); N is {DEFAULT_STR_LENGTH} unless given",
            arguments=Arguments.LENGTH,
            column="String({length})",
            migration=_string_type,
            migration_code="sa.String(length={length})",
            python="str",
            input="Annotated[Text, Field(max_length={length})]",
            parse_default=_text_default,
            sample="random_text({length})",
            invalid=('"x" * {too_long}', "123", '"a\\x00b"'),
            is_text=True,
        ),
        FieldType(
            name="text",
            misspellings=("UnicodeText",),
            syntax="text",
            summary="Text, unbounded (cannot be unique or indexed)",
            column="Text",
            migration=_sa_type("Text"),
            migration_code="sa.Text()",
            python="str",
            input="Text",
            # 1,000 characters: even as 4-byte UTF-8, percent-encoded, a query stays
            # far below the 64 KiB request line the HTTP server accepts (else a 400).
            filter="Annotated[Text, Field(max_length=1_000)]",
            unindexable=_NO_INDEX,
            parse_default=_text_default,
            sample='"Some text, ✓ 🎉: " + random_text(24)',
            invalid=("123", "[]", '"a\\x00b"'),
            is_text=True,
        ),
        FieldType(
            name="int",
            misspellings=("Integer", "SmallInteger"),
            syntax="int",
            summary="Integer (32-bit)",
            column="Integer",
            migration=_sa_type("Integer"),
            migration_code="sa.Integer()",
            python="int",
            input="Int32",
            range_filter=True,
            parse_default=_int_default("int"),
            sample="random_int()",
            invalid=('"many"', "2**31", "-(2**31) - 1", "1.5"),
        ),
        FieldType(
            name="bigint",
            misspellings=("BigInteger",),
            syntax="bigint",
            summary="BigInteger (64-bit)",
            column="BigInteger",
            migration=_sa_type("BigInteger"),
            migration_code="sa.BigInteger()",
            python="int",
            input="Int64",
            range_filter=True,
            parse_default=_int_default("bigint"),
            sample="random_int(1, 2**62)",
            invalid=('"many"', "2**63"),
        ),
        FieldType(
            name="float",
            misspellings=("Double",),
            syntax="float",
            summary="Double (8 bytes everywhere), finite",
            column="Double",
            migration=_sa_type("Double"),
            migration_code="sa.Double()",
            python="float",
            input="FiniteFloat",
            range_filter=True,
            parse_default=_float_default,
            sample="random_float()",
            invalid=('"much"', "[]"),
        ),
        FieldType(
            name="decimal",
            misspellings=("Numeric",),
            syntax="decimal, decimal(P,S)",
            summary="Numeric(P,S); (10,2) unless given",
            arguments=Arguments.PRECISION_SCALE,
            column="Numeric({precision}, {scale})",
            migration=_numeric_type,
            migration_code="sa.Numeric(precision={precision}, scale={scale})",
            python="Decimal",
            input="Annotated[Decimal, Field(max_digits={precision}, "
            'decimal_places={scale}, description="At most {precision} digits, {scale} '
            'after the point; a number or a string", json_schema_extra='
            '{{"x-maxDigits": {precision}, "x-decimalPlaces": {scale}}})]',
            range_filter=True,
            parse_default=_decimal_default,
            default_code='Decimal("{text}")',
            sample="random_decimal({precision}, {scale})",
            invalid=('"abc"', '"{too_many_digits}"'),
        ),
        FieldType(
            name="bool",
            misspellings=("Boolean",),
            syntax="bool",
            summary="Boolean",
            column="Boolean",
            migration=_sa_type("Boolean"),
            migration_code="sa.Boolean()",
            python="bool",
            input="bool",
            parse_default=_bool_default,
            sample="random.choice([True, False])",
            invalid=('"maybe"', "[]"),
            changeable=False,
        ),
        FieldType(
            name="date",
            syntax="date",
            summary="Date",
            column="Date",
            migration=_sa_type("Date"),
            migration_code="sa.Date()",
            python="date",
            input="date",
            range_filter=True,
            parse_default=_iso_default(_DATE, date.fromisoformat, "date", "2024-05-17"),
            default_code=_FROM_ISO.replace("{type}", "date"),
            sample="random_date()",
            invalid=('"2024-13-45"', '"yesterday"'),
        ),
        FieldType(
            name="datetime",
            syntax="datetime",
            summary="timezone-aware DateTime (microseconds kept)",
            column="UTCDateTime(precise=True)",
            migration=_precise_datetime_type,
            migration_code=(
                "sa.DateTime(timezone=True)"
                '.with_variant(mysql.DATETIME(fsp=6), "mariadb")'
                '.with_variant(mysql.DATETIME(fsp=6), "mysql")'
            ),
            python="datetime",
            input="AwareDatetime",
            range_filter=True,
            parse_default=_iso_default(
                _DATETIME, datetime.fromisoformat, "datetime", "2024-05-17T12:30:00Z"
            ),
            default_code=_FROM_ISO.replace("{type}", "datetime"),
            sample="random_datetime()",
            invalid=('"2024-01-01T00:00:00"', '"not a time"'),
            same_value="same_instant({left}, {right})",
        ),
        FieldType(
            name="time",
            syntax="time",
            summary="Time of day without an offset (microseconds kept)",
            column="PreciseTime()",
            migration=_precise_time_type,
            migration_code=(
                "sa.Time()"
                '.with_variant(mysql.TIME(fsp=6), "mariadb")'
                '.with_variant(mysql.TIME(fsp=6), "mysql")'
            ),
            python="time",
            input="TimeOfDay",
            output="TimeOfDay",
            range_filter=True,
            parse_default=_iso_default(
                _TIME, time.fromisoformat, "time", "12:30 or 12:30:00"
            ),
            default_code=_FROM_ISO.replace("{type}", "time"),
            sample="random_time()",
            invalid=('"25:61"', '"noon"', '"12:00:00+02:00"'),
        ),
        FieldType(
            name="uuid",
            syntax="uuid",
            summary="Uuid",
            column="Uuid",
            migration=_sa_type("Uuid"),
            migration_code="sa.Uuid()",
            python="UUID",
            input="UUID",
            parse_default=_uuid_default,
            default_code='UUID("{text}")',
            sample="random_uuid()",
            invalid=('"not-a-uuid"', "42"),
        ),
        FieldType(
            name="json",
            syntax="json",
            summary="JSON object (not filtered, sorted or indexed)",
            column="JSON",
            migration=_sa_type("JSON"),
            migration_code="sa.JSON()",
            python="dict[str, Any]",
            input="JsonObject",
            filter=None,
            sortable=False,
            unindexable=_NO_INDEX,
            no_default=(
                "json cannot have a default (databases differ on JSON defaults; set "
                "the value in code)"
            ),
            sample='{{"note": random_text(12), "count": random_int(1, 100)}}',
            invalid=("[1, 2]", '"text"', '{{"a": "b\\x00"}}'),
        ),
        FieldType(
            name="enum",
            syntax="enum(a,b,...)",
            summary="one of the given identifiers (stored as a string)",
            arguments=Arguments.CHOICES,
            column=(
                'Enum({values}, name="{enum_name}", native_enum=False, '
                "length={longest})"
            ),
            migration=_enum_type,
            migration_code='sa.Enum({values}, name="{enum_name}", native_enum=False)',
            python="{alias}",
            input="{alias}",
            parse_default=_enum_default,
            sample="random.choice({choices!r})",
            invalid=('"not-a-choice"', "1"),
            facts={"longest": _longest},
        ),
        FieldType(
            name="email",
            syntax="email",
            summary="an e-mail address, validated (String(320))",
            column="String(320)",
            width=320,
            migration=_sa_type("String", 320),
            migration_code="sa.String(length=320)",
            python="str",
            input="EmailStr",
            parse_default=_pattern_default(_EMAIL, 320, "an e-mail address"),
            sample='f"user.{{random_int()}}@example.com"',
            invalid=('"not-an-email"', '"user@"', '"@example.com"', "42"),
        ),
        FieldType(
            name="url",
            syntax="url",
            summary="an http or https URL, validated (String(2048))",
            column="String(2048)",
            width=2048,
            migration=_sa_type("String", 2048),
            migration_code="sa.String(length=2048)",
            python="str",
            input="WebUrl",
            unindexable=(
                "MySQL index keys hold at most 768 characters and a url may have "
                "2048 (use str(N) for a short unique or indexed string)"
            ),
            parse_default=_pattern_default(_HTTP_URL, 2048, "an http(s) URL"),
            sample='f"https://example.com/items/{{random_int()}}"',
            invalid=(
                '"not a url"',
                '"ftp://example.com/file"',
                '"https://"',
                '"https://example.com/" + "a" * 2048',
                "42",
            ),
        ),
        FieldType(
            name=RELATION,
            syntax="a model name such as User",
            summary="many-to-one: column <name>_id referencing the model's table",
            column="Integer",
            migration=_sa_type("Integer"),
            migration_code="sa.Integer()",
            python="int",
            input="Id",
            no_default=(
                "a relation cannot have a default (it would hard-code a row id that "
                "may not exist in every database)"
            ),
            invalid=("0", "2**31", '"one"'),
            changeable=False,
        ),
    )
}


def known_types_text() -> str:
    """The types as the user writes them, for error messages and --help."""
    syntaxes = [entry.syntax for entry in FIELD_TYPES.values()]
    return ", ".join(syntaxes[:-1]) + ", or " + syntaxes[-1]
