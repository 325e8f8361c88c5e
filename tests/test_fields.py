"""The FIELD syntax of add-model: every type, modifier and default; every refusal."""

import dataclasses
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from fastapi_db_scaffold.errors import FieldSpecError, UsageError
from fastapi_db_scaffold.field_types import FIELD_TYPES
from fastapi_db_scaffold.fields import (
    Field,
    parse_field,
    parse_fields,
)


def field(spec: str, name: str, kind: str, **facts: Any) -> Field:
    return Field(name=name, kind=kind, spec=spec, **facts)


# ---- types -----------------------------------------------------------------------

TYPES = [
    ("title:str", field("title:str", "title", "str", length=255)),
    ("title:str(200)", field("title:str(200)", "title", "str", length=200)),
    ("code:str(1)", field("code:str(1)", "code", "str", length=1)),
    ("blob:str(10000)", field("blob:str(10000)", "blob", "str", length=10000)),
    ("body:text", field("body:text", "body", "text")),
    ("views:int", field("views:int", "views", "int")),
    ("views:bigint", field("views:bigint", "views", "bigint")),
    ("ratio:float", field("ratio:float", "ratio", "float")),
    (
        "price:decimal",
        field("price:decimal", "price", "decimal", precision=10, scale=2),
    ),
    (
        "price:decimal(12,4)",
        field("price:decimal(12,4)", "price", "decimal", precision=12, scale=4),
    ),
    (
        "price:decimal(5, 0)",
        field("price:decimal(5, 0)", "price", "decimal", precision=5, scale=0),
    ),
    (
        "big:decimal(65,30)",
        field("big:decimal(65,30)", "big", "decimal", precision=65, scale=30),
    ),
    ("published:bool", field("published:bool", "published", "bool")),
    ("birthday:date", field("birthday:date", "birthday", "date")),
    (
        "published_at:datetime",
        field("published_at:datetime", "published_at", "datetime"),
    ),
    ("opens:time", field("opens:time", "opens", "time")),
    ("token:uuid", field("token:uuid", "token", "uuid")),
    ("contact:email", field("contact:email", "contact", "email")),
    ("homepage:url", field("homepage:url", "homepage", "url")),
    ("extra:json", field("extra:json", "extra", "json")),
    (
        "status:enum(draft,published)",
        field(
            "status:enum(draft,published)",
            "status",
            "enum",
            choices=("draft", "published"),
        ),
    ),
    (
        "level:enum(low, Mid, HIGH_2)",
        field(
            "level:enum(low, Mid, HIGH_2)",
            "level",
            "enum",
            choices=("low", "Mid", "HIGH_2"),
        ),
    ),
    ("kind:enum(only)", field("kind:enum(only)", "kind", "enum", choices=("only",))),
    ("author:User", field("author:User", "author", "relation", target="User")),
    (
        "post:BlogPost",
        field("post:BlogPost", "post", "relation", target="BlogPost"),
    ),
    ("log:HTTPLog", field("log:HTTPLog", "log", "relation", target="HTTPLog")),
    ("address2:str", field("address2:str", "address2", "str", length=255)),
    ("type_code:str", field("type_code:str", "type_code", "str", length=255)),
]


@pytest.mark.parametrize(("spec", "expected"), TYPES, ids=[t[0] for t in TYPES])
def test_every_type(spec: str, expected: Field) -> None:
    assert parse_field(spec) == expected


# ---- modifiers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "facts"),
    [
        ("slug:str:unique", {"unique": True}),
        ("slug:str:index", {"index": True}),
        ("slug:str:optional", {"optional": True}),
        ("slug:str:unique:index", {"unique": True, "index": True}),
        (
            "slug:str:index:unique:optional",
            {"unique": True, "index": True, "optional": True},
        ),
        ("slug:str(768):unique", {"unique": True, "length": 768}),
        ("author:User:cascade", {"on_delete": "CASCADE"}),
        ("author:User:optional:set-null", {"on_delete": "SET NULL", "optional": True}),
        ("author:User:set-null:optional", {"on_delete": "SET NULL", "optional": True}),
        ("author:User:unique:index", {"unique": True, "index": True}),
        ("flag:bool:unique", {"unique": True}),
        ("at:datetime:index:optional", {"index": True, "optional": True}),
    ],
)
def test_modifiers(spec: str, facts: dict[str, Any]) -> None:
    parsed = parse_field(spec)
    defaults = {
        "unique": False,
        "index": False,
        "optional": False,
        "on_delete": None,
        "default": None,
        "default_text": None,
    }
    for key, value in {**defaults, **facts}.items():
        assert getattr(parsed, key) == value, key


# ---- defaults ----------------------------------------------------------------------

PLUS_2 = timezone(timedelta(hours=2))
DEFAULTS = [
    ("contact:email:default=help@example.com", "help@example.com"),
    ("contact:email:unique:default=a.b+c@sub.example.org", "a.b+c@sub.example.org"),
    ("homepage:url:default=https://example.com/", "https://example.com/"),
    ("homepage:url:default=http://h.example/a?b=c#d", "http://h.example/a?b=c#d"),
    ("title:str:default=hello", "hello"),
    ("title:str:default=", ""),
    ("title:str(5):default=hello", "hello"),
    ("title:str:default=hello world", "hello world"),
    ("title:str:default=a:b", "a:b"),
    ("title:str:default=x=y", "x=y"),
    ("title:str:unique:default=hello", "hello"),
    ("body:text:default=Lorem ipsum", "Lorem ipsum"),
    ("views:int:default=0", 0),
    ("views:int:default=-12", -12),
    ("views:int:default=+7", 7),
    ("views:int:default=2147483647", 2147483647),
    ("views:int:default=-2147483648", -2147483648),
    ("views:bigint:default=9223372036854775807", 9223372036854775807),
    ("ratio:float:default=0.5", 0.5),
    ("ratio:float:default=-1", -1.0),
    ("ratio:float:default=1e-3", 0.001),
    ("ratio:float:default=.25", 0.25),
    ("price:decimal:default=9.99", Decimal("9.99")),
    ("price:decimal:default=1.5", Decimal("1.5")),
    ("price:decimal:default=1.500", Decimal("1.500")),
    ("price:decimal:default=-12345678.99", Decimal("-12345678.99")),
    ("price:decimal(3,0):default=999", Decimal("999")),
    ("price:decimal(4,2):default=1e1", Decimal("1e1")),
    ("published:bool:default=true", True),
    ("published:bool:default=false", False),
    ("published:bool:default=True", True),
    ("published:bool:default=FALSE", False),
    ("day:date:default=2024-02-29", date(2024, 2, 29)),
    ("opens:time:default=12:30", time(12, 30)),
    ("opens:time:default=12:30:00", time(12, 30)),
    ("opens:time:default=23:59:59.123456", time(23, 59, 59, 123456)),
    ("opens:time:index:default=08:00:00", time(8)),
    (
        "at:datetime:default=2024-05-17T12:30:00Z",
        datetime(2024, 5, 17, 12, 30, tzinfo=UTC),
    ),
    (
        "at:datetime:default=2024-05-17T12:30:00+02:00",
        datetime(2024, 5, 17, 12, 30, tzinfo=PLUS_2),
    ),
    (
        "at:datetime:default=2024-05-17 12:30+02:00",
        datetime(2024, 5, 17, 12, 30, tzinfo=PLUS_2),
    ),
    (
        "token:uuid:default=12345678-1234-5678-9abc-DEF012345678",
        UUID("12345678-1234-5678-9abc-def012345678"),
    ),
    ("status:enum(draft,published):default=published", "published"),
    ("status:enum(draft,published):optional:default=draft", "draft"),
]


@pytest.mark.parametrize(("spec", "value"), DEFAULTS, ids=[d[0] for d in DEFAULTS])
def test_defaults_are_parsed_as_the_fields_type(spec: str, value: object) -> None:
    parsed = parse_field(spec)
    assert parsed.default == value
    assert type(parsed.default) is type(value)
    assert parsed.has_default
    assert parsed.default_text == spec.split(":default=", 1)[1]


def test_default_takes_the_rest_of_the_argument() -> None:
    parsed = parse_field("opens:time:index:optional:default=12:30:00")
    assert (parsed.index, parsed.optional, parsed.default) == (True, True, time(12, 30))


def test_no_default() -> None:
    parsed = parse_field("title:str")
    assert (parsed.default, parsed.default_text, parsed.has_default) == (
        None,
        None,
        False,
    )


# ---- derived facts ------------------------------------------------------------------

PROPERTIES = [
    # spec, column_name, range filterable, exact filter, sortable, python type
    ("title:str", "title", False, True, True, "str"),
    ("body:text", "body", False, True, True, "str"),
    ("views:int", "views", True, True, True, "int"),
    ("views:bigint", "views", True, True, True, "int"),
    ("ratio:float", "ratio", True, True, True, "float"),
    ("price:decimal", "price", True, True, True, "Decimal"),
    ("published:bool", "published", False, True, True, "bool"),
    ("day:date", "day", True, True, True, "date"),
    ("at:datetime", "at", True, True, True, "datetime"),
    ("opens:time", "opens", True, True, True, "time"),
    ("token:uuid", "token", False, True, True, "UUID"),
    ("extra:json", "extra", False, False, False, "dict[str, Any]"),
    ("status:enum(draft,published)", "status", False, True, True, "{alias}"),
    ("contact:email", "contact", False, True, True, "str"),
    ("homepage:url", "homepage", False, True, True, "str"),
    ("author:User", "author_id", False, True, True, "int"),
]


@pytest.mark.parametrize(
    ("spec", "column", "ranged", "filterable", "sortable", "python_type"),
    PROPERTIES,
    ids=[p[0] for p in PROPERTIES],
)
def test_derived_facts(
    spec: str,
    column: str,
    ranged: bool,
    filterable: bool,
    sortable: bool,
    python_type: str,
) -> None:
    parsed = parse_field(spec)
    assert parsed.column_name == column
    assert parsed.is_relation is (parsed.kind == "relation")
    assert parsed.type.range_filter is ranged
    assert (parsed.type.filter is not None) is filterable
    assert parsed.type.sortable is sortable
    assert parsed.type.python == python_type


def test_every_type_is_covered_by_the_tables() -> None:
    assert {parse_field(spec).kind for spec, *_ in PROPERTIES} == set(FIELD_TYPES)
    assert {expected.kind for _, expected in TYPES} == set(FIELD_TYPES)


def test_fields_are_frozen() -> None:
    parsed = parse_field("title:str")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.name = "other"  # type: ignore[misc]


# ---- refusals, word for word --------------------------------------------------------

KNOWN_TYPES = (
    "known: str, str(N), text, int, bigint, float, decimal, decimal(P,S), bool, "
    "date, datetime, time, uuid, json, enum(a,b,...), email, url, or a model name "
    "such as User"
)
KNOWN_MODIFIERS = (
    "known: unique, index, optional, default=VALUE, cascade, set-null, many"
)
SNAKE = (
    "must be lowercase snake_case: a letter, then lowercase letters, digits and "
    "single underscores"
)
EVERY_MODEL = "every model already has id, created_at and updated_at"
LIST_PARAMS = "the list endpoint's query parameters are limit, offset and sort"
RANGE = "min_<field> and max_<field> are the list endpoint's range filters"
UNINDEXABLE = (
    "MySQL cannot index TEXT/JSON columns (use str(N) for a short unique or indexed "
    "string)"
)

REFUSALS = [
    # shape
    ("title", "missing type; a field is name:type[:modifier...]"),
    (":str", "missing field name; a field is name:type[:modifier...]"),
    ("title:", f"missing type; {KNOWN_TYPES}"),
    ("", "missing type; a field is name:type[:modifier...]"),
    # field names
    ("Title:str", f"field name 'Title' {SNAKE}"),
    ("blogTitle:str", f"field name 'blogTitle' {SNAKE}"),
    ("2fa:str", f"field name '2fa' {SNAKE}"),
    ("my-title:str", f"field name 'my-title' {SNAKE}"),
    ("my__title:str", f"field name 'my__title' {SNAKE}"),
    ("title_:str", f"field name 'title_' {SNAKE}"),
    ("tïtle:str", f"field name 'tïtle' {SNAKE}"),
    (
        "_secret:str",
        "field name '_secret' must not start with '_' (SQLAlchemy and Pydantic "
        "reserve such names)",
    ),
    (
        "__table__:str",
        "field name '__table__' must not start with '_' (SQLAlchemy and Pydantic "
        "reserve such names)",
    ),
    ("class:str", "field name 'class' is a Python keyword"),
    ("from:date", "field name 'from' is a Python keyword"),
    ("match:str", "field name 'match' is a Python soft keyword; pick another name"),
    ("case:str", "field name 'case' is a Python soft keyword; pick another name"),
    ("type:str", "field name 'type' is a Python soft keyword; pick another name"),
    ("id:int", f"field name 'id' is reserved: {EVERY_MODEL}"),
    ("created_at:datetime", f"field name 'created_at' is reserved: {EVERY_MODEL}"),
    ("updated_at:datetime", f"field name 'updated_at' is reserved: {EVERY_MODEL}"),
    (
        "metadata:json",
        "field name 'metadata' is reserved: an attribute of SQLAlchemy's declarative "
        "models",
    ),
    (
        "json:json",
        "field name 'json' is reserved: an attribute of Pydantic's BaseModel",
    ),
    (
        "model_name:str",
        "field name 'model_name' is reserved: Pydantic reserves names starting with "
        "'model_'",
    ),
    (
        "date:date",
        "field name 'date' is reserved: a type name the generated annotations use "
        "(`date: Mapped[date]` breaks the next `Mapped[date]` in the class); try e.g. "
        "'day' or 'start_date'",
    ),
    ("limit:int", f"field name 'limit' is reserved: {LIST_PARAMS}"),
    ("min_age:int", f"field name 'min_age' is reserved: {RANGE}"),
    # types
    ("title:strng", f"unknown type 'strng' (did you mean 'str'?); {KNOWN_TYPES}"),
    ("title:varchar", f"unknown type 'varchar'; {KNOWN_TYPES}"),
    ("title:Str", "unknown type 'Str': type names are lowercase (did you mean 'str'?)"),
    ("n:INT", "unknown type 'INT': type names are lowercase (did you mean 'int'?)"),
    ("author:user", f"unknown type 'user'; {KNOWN_TYPES}"),
    ("author:Blog_Post", f"unknown type 'Blog_Post'; {KNOWN_TYPES}"),
    ("author:User(1)", f"unknown type 'User(1)'; {KNOWN_TYPES}"),
    ("title:str(", "unbalanced parentheses in type 'str('"),
    ("title:str(200:unique", "unbalanced parentheses in type 'str(200:unique'"),
    ("title:str)", "unbalanced parentheses in type 'str)'"),
    ("title:str(2)(3)", f"unknown type 'str(2)(3)'; {KNOWN_TYPES}"),
    (
        "title:str(0)",
        "str length must be between 1 and 10000 (MySQL row size limit); use text for "
        "longer strings",
    ),
    (
        "title:str(10001)",
        "str length must be between 1 and 10000 (MySQL row size limit); use text for "
        "longer strings",
    ),
    ("title:str(abc)", "str length must be a whole number, e.g. str(200)"),
    ("title:str()", "str length must be a whole number, e.g. str(200)"),
    ("title:str(-5)", "str length must be a whole number, e.g. str(200)"),
    ("views:int(11)", "type 'int' takes no arguments"),
    ("body:text(100)", "type 'text' takes no arguments"),
    (
        "price:decimal(10)",
        "decimal takes a precision and a scale: decimal(P,S), e.g. decimal(10,2)",
    ),
    (
        "price:decimal(10,2,1)",
        "decimal takes a precision and a scale: decimal(P,S), e.g. decimal(10,2)",
    ),
    (
        "price:decimal(66,2)",
        "decimal precision must be between 1 and 65 (MySQL's maximum)",
    ),
    (
        "price:decimal(0,0)",
        "decimal precision must be between 1 and 65 (MySQL's maximum)",
    ),
    (
        "price:decimal(5,6)",
        "decimal scale must be between 0 and the precision (5), and at most 30 "
        "(MySQL's maximum)",
    ),
    (
        "price:decimal(60,31)",
        "decimal scale must be between 0 and the precision (60), and at most 30 "
        "(MySQL's maximum)",
    ),
    (
        "price:decimal(a,2)",
        "decimal precision must be a whole number, e.g. decimal(10,2)",
    ),
    ("status:enum", "enum needs at least one value: enum(a,b,c)"),
    ("status:enum()", "enum needs at least one value: enum(a,b,c)"),
    (
        "status:enum(a,,b)",
        "enum value '' must be an identifier: a letter, then letters, digits or "
        "underscores",
    ),
    (
        "status:enum(in-review)",
        "enum value 'in-review' must be an identifier: a letter, then letters, "
        "digits or underscores",
    ),
    ("status:enum(None,some)", "enum value 'None' is a Python keyword"),
    (
        "status:enum(draft,Draft)",
        "enum value 'Draft' is given twice (MySQL compares enum values "
        "case-insensitively)",
    ),
    (
        "status:enum(title,draft)",
        "enum value 'title' would shadow the str method of that name on the "
        "generated StrEnum",
    ),
    (
        "author_id:User",
        "name the relation after the object, not its column: author:User makes the "
        "column author_id",
    ),
    # modifiers
    (
        "title:str:uniq",
        f"unknown modifier 'uniq' (did you mean 'unique'?); {KNOWN_MODIFIERS}",
    ),
    (
        "title:str:nullable",
        f"unknown modifier 'nullable' (did you mean 'optional'?); {KNOWN_MODIFIERS}",
    ),
    ("title:str:primary", f"unknown modifier 'primary'; {KNOWN_MODIFIERS}"),
    ("title:str::unique", "empty modifier (two ':' in a row, or a trailing ':')"),
    ("title:str:", "empty modifier (two ':' in a row, or a trailing ':')"),
    ("title:str:default", "modifier 'default' needs a value: default=VALUE"),
    ("title:str:unique:unique", "modifier 'unique' is given twice"),
    (
        "title:str:cascade",
        "cascade only applies to a relation (it is the ON DELETE action of its "
        "foreign key)",
    ),
    (
        "title:str:optional:set-null",
        "set-null only applies to a relation (it is the ON DELETE action of its "
        "foreign key)",
    ),
    (
        "author:User:cascade:set-null",
        "cascade and set-null exclude each other (one ON DELETE)",
    ),
    (
        "author:User:set-null",
        "set-null needs optional: the foreign key column would be NOT NULL, so ON "
        "DELETE SET NULL could not work",
    ),
    ("body:text:unique", f"text cannot be unique: {UNINDEXABLE}"),
    ("body:text:index", f"text cannot be index: {UNINDEXABLE}"),
    ("extra:json:unique", f"json cannot be unique: {UNINDEXABLE}"),
    ("extra:json:index", f"json cannot be index: {UNINDEXABLE}"),
    (
        "title:str(769):unique",
        "str(769) cannot be unique: MySQL index keys hold at most 768 characters "
        "(3072 bytes in utf8mb4)",
    ),
    # defaults
    (
        "author:User:default=1",
        "a relation cannot have a default (it would hard-code a row id that may not "
        "exist in every database)",
    ),
    (
        "extra:json:default={}",
        "json cannot have a default (databases differ on JSON defaults; set the value "
        "in code)",
    ),
    (
        "at:datetime:default=2024-05-17T12:30:00Z:index",
        "default value '2024-05-17T12:30:00Z:index' contains ':index'; default= takes "
        "the rest of the argument, so put it last",
    ),
    (
        "views:int:default=1:default=2",
        "default value '1:default=2' contains ':default=2'; default= takes the rest "
        "of the argument, so put it last",
    ),
    ("title:str(5):default=toolong", "default is 7 characters, longer than str(5)"),
    ("views:int:default=abc", "default 'abc' is not a whole number"),
    ("views:int:default=1.5", "default '1.5' is not a whole number"),
    ("views:int:default=", "default '' is not a whole number"),
    (
        "views:int:default=2147483648",
        "default 2147483648 is out of range for int (-2147483648..2147483647)",
    ),
    ("ratio:float:default=nan", "default 'nan' is not a finite number"),
    ("ratio:float:default=1e999", "default '1e999' is not a finite number"),
    ("price:decimal:default=ten", "default 'ten' is not a decimal number"),
    (
        "price:decimal:default=1.234",
        "default 1.234 does not fit decimal(10,2) (8 digits before the point, 2 after)",
    ),
    (
        "price:decimal(4,2):default=100",
        "default 100 does not fit decimal(4,2) (2 digits before the point, 2 after)",
    ),
    ("published:bool:default=yes", "default 'yes' is not a bool (true or false)"),
    ("published:bool:default=1", "default '1' is not a bool (true or false)"),
    (
        "day:date:default=2024-02-30",
        "default '2024-02-30' is not an ISO date (e.g. 2024-05-17)",
    ),
    (
        "day:date:default=20240517",
        "default '20240517' is not an ISO date (e.g. 2024-05-17)",
    ),
    ("day:date:default=today", "default 'today' is not an ISO date (e.g. 2024-05-17)"),
    (
        "opens:time:default=25:00",
        "default '25:00' is not an ISO time (e.g. 12:30 or 12:30:00)",
    ),
    (
        "opens:time:default=12:30:00+02:00",
        "default '12:30:00+02:00' is not an ISO time (e.g. 12:30 or 12:30:00)",
    ),
    (
        "at:datetime:default=2024-05-17T12:30:00",
        "default '2024-05-17T12:30:00' has no timezone: datetimes are timezone-aware "
        "(add Z or an offset such as +02:00)",
    ),
    (
        "at:datetime:default=2024-05-17",
        "default '2024-05-17' is not an ISO datetime (e.g. 2024-05-17T12:30:00Z)",
    ),
    (
        "at:datetime:default=now",
        "default 'now' is not an ISO datetime (e.g. 2024-05-17T12:30:00Z)",
    ),
    (
        "token:uuid:default=1234",
        "default '1234' is not a UUID (8-4-4-4-12 hexadecimal digits)",
    ),
    (
        "token:uuid:default={12345678-1234-5678-9abc-def012345678}",
        "default '{12345678-1234-5678-9abc-def012345678}' is not a UUID (8-4-4-4-12 "
        "hexadecimal digits)",
    ),
    (
        "status:enum(draft,published):default=archived",
        "default 'archived' is not one of draft, published",
    ),
    (
        "status:enum(draft,published):default=Draft",
        "default 'Draft' is not one of draft, published",
    ),
]


@pytest.mark.parametrize(("spec", "problem"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_name_the_argument_and_the_rule(spec: str, problem: str) -> None:
    with pytest.raises(FieldSpecError) as caught:
        parse_field(spec)
    assert str(caught.value) == f'"{spec}": {problem}'


@pytest.mark.parametrize(
    ("spec", "key_words"),
    [
        ("registry:str", "SQLAlchemy"),
        ("self:int", "constructor takes `self`"),
        ("mapped_column:int", "class body calls"),
        ("relationship:User", "class body calls"),
        ("query:str", "SQLAlchemy"),
        ("copy:str", "Pydantic"),
        ("dict:json", "Pydantic"),
        ("schema:str", "Pydantic"),
        ("validate:bool", "Pydantic"),
        ("construct:str", "Pydantic"),
        ("fields:json", "Pydantic"),
        ("model_config:json", "'model_'"),
        ("model_fields:json", "'model_'"),
        ("time:time", "a type name"),
        ("datetime:datetime", "a type name"),
        ("str:str", "a type name"),
        ("offset:int", "limit, offset and sort"),
        ("sort:str", "limit, offset and sort"),
        ("max_price:decimal", "range filters"),
        ("import:str", "keyword"),
        ("lambda:str", "keyword"),
        ("title:string", "unknown type 'string'"),
        ("title:String", "unknown type 'String' (did you mean 'str'?)"),
        ("views:Integer", "unknown type 'Integer' (did you mean 'int'?)"),
        ("views:BigInteger", "unknown type 'BigInteger' (did you mean 'bigint'?)"),
        ("title:Text", "did you mean 'text'?"),
        ("title:Decimal(10,2)", "did you mean 'decimal'?"),
        ("n:integer", "unknown type 'integer'"),
        ("flag:boolean", "unknown type 'boolean'"),
        ("at:timestamp", "unknown type 'timestamp'"),
        ("author:User:set_null:optional", "did you mean 'set-null'?"),
        ("author:User:CASCADE", "did you mean 'cascade'?"),
        ("title:str:optional:optional", "given twice"),
        ("title:str:index:cascade", "only applies to a relation"),
        ("status:enum(a,b):unique:cascade", "only applies to a relation"),
        ("title:str(10000):index", "768 characters"),
        ("status:enum(mro)", "shadow"),
        ("status:enum(upper)", "shadow"),
        ("status:enum(if)", "keyword"),
        ("status:enum(_private)", "identifier"),
        ("status:enum(" + "x" * 64 + ")", "longer than 63 characters"),
        ("x" * 64 + ":str", "longer than 63 characters"),
        ("x" * 61 + ":User", "column name '" + "x" * 61 + "_id'"),
        ("views:bigint:default=9223372036854775808", "out of range for bigint"),
        ("views:int:default=1_000", "not a whole number"),
        ("views:int:default=٣", "not a whole number"),
        ("ratio:float:default=inf", "not a finite number"),
        ("ratio:float:default=0x10", "not a finite number"),
        ("price:decimal:default=NaN", "not a decimal number"),
        ("price:decimal(3,0):default=1000", "does not fit decimal(3,0)"),
        ("price:decimal(3,0):default=0.5", "does not fit decimal(3,0)"),
        ("day:date:default=2024-W20-5", "ISO date"),
        ("at:datetime:default=2024-05-17T12:30:00z", "ISO datetime"),
        ("at:datetime:default=2024-13-01T00:00Z", "ISO datetime"),
        ("opens:time:default=noon", "ISO time"),
        ("title:str:default=x:unique", "put it last"),
        ("contact:email:default=nobody", "is not an e-mail address"),
        ("contact:email:default=a@b", "is not an e-mail address"),
        ("contact:email:default=a b@example.com", "is not an e-mail address"),
        ("homepage:url:default=example.com", "is not an http(s) URL"),
        ("homepage:url:default=ftp://example.com/", "is not an http(s) URL"),
        ("homepage:url:unique", "768 characters"),
        ("homepage:url:index", "768 characters"),
        ("contact:email(200)", "takes no arguments"),
        ("title:str:default=x:set-null", "put it last"),
    ],
)
def test_more_refusals_name_their_reason(spec: str, key_words: str) -> None:
    with pytest.raises(FieldSpecError) as caught:
        parse_field(spec)
    message = str(caught.value)
    assert message.startswith(f'"{spec}": ')
    assert key_words in message
    assert "\n" not in message


def test_a_bad_field_is_a_usage_error_with_exit_code_2() -> None:
    with pytest.raises(UsageError) as caught:
        parse_field("title:strng")
    assert caught.value.exit_code == 2


# ---- parse_fields: the arguments together -------------------------------------------


def test_the_spec_example() -> None:
    specs = ["title:str(200)", "body:text", "published:bool", "author:User"]
    assert parse_fields(specs, {"User"}) == [
        field("title:str(200)", "title", "str", length=200),
        field("body:text", "body", "text"),
        field("published:bool", "published", "bool"),
        field("author:User", "author", "relation", target="User"),
    ]


def test_a_model_may_have_no_fields() -> None:
    assert parse_fields([], set()) == []


def test_fields_keep_their_order() -> None:
    specs = ["b:int", "a:int", "c:User", "d:str"]
    assert [f.name for f in parse_fields(specs, {"User"})] == ["b", "a", "c", "d"]


def test_every_type_at_once() -> None:
    specs = [
        "title:str(200):unique",
        "body:text:optional",
        "views:int:index:default=0",
        "big:bigint",
        "ratio:float",
        "price:decimal(10,2)",
        "published:bool:default=false",
        "day:date",
        "at:datetime:optional",
        "opens:time:default=09:00",
        "token:uuid:unique",
        "extra:json:optional",
        "status:enum(draft,published):default=draft",
        "contact:email:unique",
        "homepage:url:optional",
        "author:User:cascade",
        "editor:User:optional:set-null",
    ]
    parsed = parse_fields(specs, {"User", "Tag"})
    assert [f.kind for f in parsed][:-1] == list(FIELD_TYPES)
    assert [f.column_name for f in parsed][-2:] == ["author_id", "editor_id"]


TAKEN = "the name {!r} is already taken by {!r}"


@pytest.mark.parametrize(
    ("specs", "problem"),
    [
        (
            ["title:str", "title:text"],
            '"title:text": ' + TAKEN.format("title", "title:str"),
        ),
        (
            ["author:User", "author_id:int"],
            '"author_id:int": ' + TAKEN.format("author_id", "author:User"),
        ),
        (
            ["author_id:int", "author:User"],
            '"author:User": ' + TAKEN.format("author_id", "author_id:int"),
        ),
        (
            ["author:User", "author:Tag"],
            '"author:Tag": ' + TAKEN.format("author", "author:User"),
        ),
        (
            ["post:Post"],
            "\"post:Post\": no model 'Post' in this project (known: Tag, User)",
        ),
        (
            ["a:int", "post:Post"],
            "\"post:Post\": no model 'Post' in this project (known: Tag, User)",
        ),
    ],
)
def test_fields_are_checked_together(specs: list[str], problem: str) -> None:
    with pytest.raises(FieldSpecError) as caught:
        parse_fields(specs, {"Tag", "User"})
    assert str(caught.value) == problem


def test_no_known_models() -> None:
    with pytest.raises(FieldSpecError) as caught:
        parse_fields(["author:User"], set())
    assert str(caught.value) == (
        "\"author:User\": no model 'User' in this project (known: none)"
    )


def test_the_first_bad_argument_is_reported() -> None:
    with pytest.raises(FieldSpecError, match='^"b:strng"'):
        parse_fields(["a:int", "b:strng", "c:nope"], set())


def test_string_fields_must_fit_a_mysql_row() -> None:
    assert len(parse_fields(["a:str(8000)", "b:str(8000)"], set())) == 2
    with pytest.raises(FieldSpecError, match="add up to 16320 characters"):
        parse_fields(["a:str(8000)", "b:str(8000)", "c:email"], set())
    with pytest.raises(FieldSpecError) as caught:
        parse_fields(["a:str(8000)", "b:str(8000)", "c:str"], set())
    assert str(caught.value) == (
        "the string fields add up to 16255 characters, more than 16000 (a MySQL row "
        "holds 65,535 bytes, up to 4 a character); use text for long strings"
    )


def test_every_public_attribute_of_the_base_classes_is_refused() -> None:
    """The reserved lists keep up with the installed Pydantic and SQLAlchemy."""
    from pydantic import BaseModel
    from sqlalchemy.orm import DeclarativeBase

    class Base(DeclarativeBase):
        pass

    names = {n for n in dir(BaseModel) + dir(Base) if not n.startswith("_")}
    for name in sorted(names):
        with pytest.raises(FieldSpecError, match="is reserved"):
            parse_field(f"{name}:str")
