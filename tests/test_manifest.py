"""The resource manifest: its file, canonical field arguments, and rebuilding it.

`.fastapi-db.yml` round trips and renders byte for byte the same; a corrupt file is
one ProjectError line. `field_spec` gives back an argument that parses to the same
field. A manifest rebuilt from a real generated project (the matrix models, every
field type and relation) holds the fields those models were made from, in dependency
order; what add-model did not write is skipped with a reason.
"""

import ast
import dataclasses
import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest

from fastapi_db_scaffold import __version__
from fastapi_db_scaffold.add_model import AddModelOptions, add_model
from fastapi_db_scaffold.errors import FieldSpecError, ProjectError
from fastapi_db_scaffold.field_types import FIELD_TYPES, RELATION, Arguments
from fastapi_db_scaffold.fields import Field, field_spec, parse_field
from fastapi_db_scaffold.manifest import (
    MANIFEST_FILE,
    Manifest,
    ModelEntry,
    SkippedModel,
    load_manifest,
    read_manifest,
    rebuild_manifest,
)
from fastapi_db_scaffold.model_reader import (
    UnreadableModel,
    class_annotations,
    model_field_specs,
)
from fastapi_db_scaffold.project import Project, find_project
from fastapi_db_scaffold.scaffold import NewProjectOptions, create_project

from .matrix import MODELS

USER = ModelEntry("User", ("email:str(120):unique", "name:str(80)"), "0.1.0")
POST = ModelEntry("Post", ("title:str(200)", "author:User:cascade"), "0.1.0")
HEADER = (
    "# Written by fastapi-db: the models its commands generated, with their fields.\n"
    "# add-field, remove-model and update read it. Commit it with the project;\n"
    "# there is no need to edit it.\n"
)


def bare(field: Field) -> Field:
    """The field without the argument it was parsed from."""
    return dataclasses.replace(field, spec="")


# ---- the file --------------------------------------------------------------------


def test_render_writes_the_header_version_and_models_in_order() -> None:
    assert Manifest((USER, POST)).render() == HEADER + (
        "manifest_version: 1\n"
        "models:\n"
        "- name: User\n"
        "  fields:\n"
        "  - email:str(120):unique\n"
        "  - name:str(80)\n"
        "  tool_version: 0.1.0\n"
        "- name: Post\n"
        "  fields:\n"
        "  - title:str(200)\n"
        "  - author:User:cascade\n"
        "  tool_version: 0.1.0\n"
    )


def test_an_empty_manifest_has_an_empty_list() -> None:
    assert Manifest().render() == HEADER + "manifest_version: 1\nmodels: []\n"


AWKWARD_FIELDS = (
    "at:time:default=12:30:00",
    "note:str(255):default=",
    'quote:str(255):default=it\'s "x": # not a comment',
    "accent:str(255):default=café ✓",
    "yes_no:str(255):default=yes",
    "number:str(255):default=1.0",
    "spaces:str(255):default=  padded  ",
    "tab:text:default=a\tb",
    "line:text:default=a\nb",
    "long:text:default=" + "word " * 40,
)


@pytest.mark.parametrize(
    "manifest",
    [
        Manifest(),
        Manifest((USER,)),
        Manifest((USER, POST)),
        Manifest((ModelEntry("Odd", AWKWARD_FIELDS, "1.0"),)),
        Manifest((ModelEntry("Empty", (), "2.0.0rc1+local"),)),
    ],
    ids=["empty", "one", "two", "awkward-text", "no-fields"],
)
def test_a_written_manifest_reads_back_equal_and_renders_the_same_bytes(
    tmp_path: Path, manifest: Manifest
) -> None:
    text = manifest.render()
    assert text == manifest.render()
    (tmp_path / MANIFEST_FILE).write_text(text, encoding="utf-8")
    read = read_manifest(tmp_path)
    assert read is not None
    assert read == manifest
    assert read.render() == text


def test_a_project_without_the_file_has_no_manifest(tmp_path: Path) -> None:
    assert read_manifest(tmp_path) is None


def test_with_model_appends_a_new_model_and_replaces_one_in_place() -> None:
    manifest = Manifest().with_model(USER).with_model(POST)
    assert manifest.names == ("User", "Post")
    changed = dataclasses.replace(USER, fields=("email:str(200)",), tool_version="2")
    replaced = manifest.with_model(changed)
    assert replaced.models == (changed, POST)
    assert manifest.models == (USER, POST)  # frozen: the old one is unchanged
    assert replaced.get("User") == changed
    assert replaced.get("Tag") is None


def test_without_model_removes_it_and_ignores_a_model_it_lacks() -> None:
    manifest = Manifest((USER, POST))
    assert manifest.without_model("User") == Manifest((POST,))
    assert manifest.without_model("Tag") == manifest
    assert manifest.without_model("User").without_model("Post").names == ()


def test_from_fields_stores_canonical_arguments_and_the_tool_version() -> None:
    fields = [parse_field("title:str:index:unique"), parse_field("price:decimal")]
    entry = ModelEntry.from_fields("Post", fields)
    assert entry == ModelEntry(
        "Post", ("title:str(255):unique:index", "price:decimal(10,2)"), __version__
    )


ENTRY = "  - name: User\n    fields: []\n    tool_version: 0.1.0\n"
CORRUPT = [
    ("unclosed-list", b"models: [\n", "line 2: expected the node content, but found"),
    (
        "unclosed-flow",
        b"manifest_version: 1\nmodels:\n- name: User\n  fields: [a\n",
        "line 5: expected ',' or ']', but got '<stream end>'",
    ),
    ("tab", b"\tmodels: []\n", "line 1: found character '\\t' that cannot start"),
    ("control-character", b"models: \x07\n", "special characters are not allowed"),
    (
        "python-tag",
        b"manifest_version: !!python/object:os.system 1\nmodels: []\n",
        "line 1: could not determine a constructor for the tag",
    ),
    ("empty", b"", "expected the keys manifest_version and models"),
    ("a-list", b"- User\n", "expected the keys manifest_version and models"),
    ("no-models", b"manifest_version: 1\n", "expected the keys manifest_version"),
    (
        "extra-key",
        b"manifest_version: 1\nmodels: []\nowner: me\n",
        "expected the keys manifest_version and models",
    ),
    (
        "newer-version",
        b"manifest_version: 2\nmodels: []\n",
        f"manifest_version 2 is unknown to fastapi-db {__version__} (it knows 1); a "
        "newer fastapi-db may read it",
    ),
    (
        "version-text",
        b"manifest_version: '1'\nmodels: []\n",
        "manifest_version is not a whole number",
    ),
    (
        "version-bool",
        b"manifest_version: true\nmodels: []\n",
        "manifest_version is not a whole number",
    ),
    ("models-mapping", b"manifest_version: 1\nmodels: {}\n", "models is not a list"),
    ("models-null", b"manifest_version: 1\nmodels:\n", "models is not a list"),
    (
        "entry-text",
        b"manifest_version: 1\nmodels:\n- User\n",
        "model 1: expected the keys name, fields, tool_version",
    ),
    (
        "entry-missing-key",
        b"manifest_version: 1\nmodels:\n- name: User\n  fields: []\n",
        "model 1: expected the keys name, fields, tool_version",
    ),
    (
        "name-number",
        b"manifest_version: 1\nmodels:\n- name: 3\n  fields: []\n  tool_version: x\n",
        "model 1: name is not a model name",
    ),
    (
        "fields-text",
        b"manifest_version: 1\nmodels:\n- name: A\n  fields: a:int\n"
        b"  tool_version: x\n",
        "model 1: fields of A are not a list of texts",
    ),
    (
        "field-number",
        b"manifest_version: 1\nmodels:\n- name: A\n  fields: [1]\n  tool_version: x\n",
        "model 1: fields of A are not a list of texts",
    ),
    (
        "version-number",
        b"manifest_version: 1\nmodels:\n- name: A\n  fields: []\n  tool_version: 1.0\n",
        "model 1: tool_version of A is not a version text",
    ),
    (
        "twice",
        ("manifest_version: 1\nmodels:\n" + ENTRY + ENTRY).encode(),
        "model 2: User is listed twice",
    ),
    ("latin-1", "models: [café]\n".encode("latin-1"), "not UTF-8 text"),
    ("utf-16", "models: []\n".encode("utf-16"), "not UTF-8 text"),
]


@pytest.mark.parametrize(
    ("content", "problem"),
    [pytest.param(content, problem, id=id) for id, content, problem in CORRUPT],
)
def test_a_corrupt_manifest_is_one_error_line_naming_the_file(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    (tmp_path / MANIFEST_FILE).write_bytes(content)
    with pytest.raises(ProjectError) as raised:
        read_manifest(tmp_path)
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / MANIFEST_FILE} is not a valid manifest: ")
    assert problem in message
    assert "\n" not in message
    assert len(message) < len(str(tmp_path)) + 160


def test_an_unreadable_manifest_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_FILE).mkdir()
    with pytest.raises(ProjectError) as raised:
        read_manifest(tmp_path)
    assert str(raised.value) == f"{tmp_path / MANIFEST_FILE} cannot be read: " + (
        "Is a directory"
    )


# ---- field_spec ------------------------------------------------------------------

TYPES = [
    "str",
    "str(1)",
    "str(200)",
    "str(768)",
    "text",
    "int",
    "bigint",
    "float",
    "decimal",
    "decimal(5, 0)",
    "decimal(65,30)",
    "bool",
    "date",
    "datetime",
    "time",
    "uuid",
    "json",
    "enum(draft)",
    "enum(draft, published,Archived_2)",
    "User",
]
FLAGS = ["unique", "index", "optional", "cascade", "set-null"]
DEFAULTS = [
    "title:str(20):default=hello world",
    "title:str:default=",
    "title:str:default=a=b",
    "title:str:default=-5",
    "title:str:default=true",
    "title:str:default=://x:y",
    "body:text:optional:default=line one, then: two",
    "views:int:default=0",
    "views:int:default=-2147483648",
    "views:int:default=+7",
    "views:bigint:default=9223372036854775807",
    "views:bigint:index:default=-9000000000",
    "ratio:float:default=-1.5e3",
    "ratio:float:default=.5",
    "ratio:float:default=3",
    "price:decimal:default=-3.50",
    "price:decimal(8,2):default=999999.99",
    "price:decimal(5,0):default=-12345",
    "price:decimal(10,4):default=0.0001",
    "on:bool:default=false",
    "on:bool:default=True",
    "on:bool:optional:default=FALSE",
    "day:date:default=2024-02-29",
    "at:datetime:default=2024-05-17T12:30:00Z",
    "at:datetime:default=2024-05-17 12:30:00.123456+02:00",
    "at:datetime:unique:optional:default=1999-12-31T23:59:59-05:30",
    "at:time:default=12:30:00",
    "at:time:default=12:30",
    "at:time:index:default=23:59:59.999999",
    "key:uuid:default=12345678-1234-1234-1234-1234567890AB",
    "status:enum(draft,published):default=published",
    "status:enum(draft,published):index:optional:default=draft",
]


def parses(spec: str) -> bool:
    try:
        parse_field(spec)
    except FieldSpecError:
        return False
    return True


def every_modifier_combination() -> list[str]:
    """name:type with each ordered choice of flags that parses (hundreds)."""
    specs = []
    for type_text in TYPES:
        for count in range(len(FLAGS) + 1):
            for flags in itertools.permutations(FLAGS, count):
                spec = ":".join(["thing", type_text, *flags])
                if count <= 2 or parses(spec):
                    specs.append(spec)
    return [spec for spec in specs if parses(spec)]


ROUND_TRIP = every_modifier_combination() + DEFAULTS + list(AWKWARD_FIELDS)


def test_the_round_trip_table_is_broad() -> None:
    assert len(ROUND_TRIP) > 300
    kinds = {parse_field(spec).kind for spec in ROUND_TRIP}
    assert len(kinds) == 14  # every field type


@pytest.mark.parametrize("spec", ROUND_TRIP)
def test_field_spec_parses_back_to_the_same_field(spec: str) -> None:
    field = parse_field(spec)
    canonical = field_spec(field)
    assert bare(parse_field(canonical)) == bare(field)
    assert field_spec(parse_field(canonical)) == canonical


@pytest.mark.parametrize(
    ("spec", "canonical"),
    [
        ("title:str", "title:str(255)"),
        ("title:str(200)", "title:str(200)"),
        ("price:decimal", "price:decimal(10,2)"),
        ("price:decimal( 8 , 2 )", "price:decimal(8,2)"),
        ("status:enum( a , b )", "status:enum(a,b)"),
        ("title:str:index:unique", "title:str(255):unique:index"),
        ("title:str:optional:index:unique", "title:str(255):unique:index:optional"),
        ("owner:User:set-null:optional", "owner:User:optional:set-null"),
        ("owner:User:cascade:unique", "owner:User:unique:cascade"),
        ("owner:User:index", "owner:User:index"),
        (
            "at:time:optional:index:default=12:30:00",
            "at:time:index:optional:default=12:30:00",
        ),
        ("on:bool:default=TRUE", "on:bool:default=TRUE"),
        ("views:int:default=+7", "views:int:default=+7"),
    ],
)
def test_field_spec_is_canonical(spec: str, canonical: str) -> None:
    assert field_spec(parse_field(spec)) == canonical


# ---- reading model code back -----------------------------------------------------

MODULE_HEAD = (
    "Status = Literal['a', 'b']\n\n\nclass Thing(Base):\n    __tablename__ = 't'\n"
)
TABLES = {"users": "User", "things": "Thing"}
READABLE = [
    ("x: Mapped[str] = mapped_column(String(20))", "x:str(20)"),
    ("x: Mapped[str] = mapped_column(String(length=20))", "x:str(20)"),
    ("x: Mapped[str] = mapped_column(sa.String(20), unique=True)", "x:str(20):unique"),
    (
        "x: Mapped[str] = mapped_column(\n"
        "        String(\n            20\n        )\n    )",
        "x:str(20)",
    ),
    ("x: Mapped[str | None] = mapped_column(Text)", "x:text:optional"),
    ("x: Mapped[None | str] = mapped_column(Text())", "x:text:optional"),
    ("x: Mapped[Optional[str]] = mapped_column(Text)", "x:text:optional"),
    ("x: Mapped[str | None] = mapped_column(Text, nullable=True)", "x:text:optional"),
    ("x: Mapped[str] = mapped_column(Text, nullable=False)", "x:text"),
    (
        "x: Mapped[int] = mapped_column(Integer, index=True, unique=False)",
        "x:int:index",
    ),
    ("x: Mapped[int] = mapped_column(Integer, default=-5)", "x:int:default=-5"),
    ("x: Mapped[int] = mapped_column(BigInteger, default=+5)", "x:bigint:default=5"),
    ("x: Mapped[float] = mapped_column(Double, default=-1.5)", "x:float:default=-1.5"),
    ("x: Mapped[float] = mapped_column(Float, default=2)", "x:float:default=2"),
    ("x: Mapped[Decimal] = mapped_column(Numeric(8, 2))", "x:decimal(8,2)"),
    (
        "x: Mapped[Decimal] = mapped_column(Numeric(precision=8, scale=2))",
        "x:decimal(8,2)",
    ),
    (
        "x: Mapped[Decimal] = mapped_column(Numeric(8, scale=2),"
        " default=Decimal('-1.50'))",
        "x:decimal(8,2):default=-1.50",
    ),
    ("x: Mapped[bool] = mapped_column(Boolean, default=True)", "x:bool:default=true"),
    (
        "x: Mapped[date] = mapped_column(Date,"
        " default=date.fromisoformat('2024-05-17'))",
        "x:date:default=2024-05-17",
    ),
    ("x: Mapped[datetime] = mapped_column(UTCDateTime(precise=True))", "x:datetime"),
    ("x: Mapped[datetime] = mapped_column(UTCDateTime())", "x:datetime"),
    ("x: Mapped[datetime] = mapped_column(DateTime(timezone=True))", "x:datetime"),
    (
        "x: Mapped[datetime] = mapped_column(column_types.UTCDateTime(precise=True),"
        " default=datetime.fromisoformat('2024-05-17T12:30:00Z'))",
        "x:datetime:default=2024-05-17T12:30:00Z",
    ),
    (
        "x: Mapped[time] = mapped_column(PreciseTime(),"
        " default=time.fromisoformat('12:30:00'))",
        "x:time:default=12:30:00",
    ),
    (
        "x: Mapped[UUID] = mapped_column(Uuid, unique=True,"
        " default=UUID('12345678-1234-1234-1234-1234567890ab'))",
        "x:uuid:unique:default=12345678-1234-1234-1234-1234567890ab",
    ),
    ("x: Mapped[dict[str, Any]] = mapped_column(JSON)", "x:json"),
    (
        "x: Mapped[Status] = mapped_column("
        "Enum('a', 'b', name='thing_x', native_enum=False, length=1), default='b')",
        "x:enum(a,b):default=b",
    ),
    ("x: Mapped[Literal['a', 'b']] = mapped_column(Enum('a', 'b'))", "x:enum(a,b)"),
    (
        "x: Mapped[str] = mapped_column(String(9), default='it\\'s: \"x\"')",
        'x:str(9):default=it\'s: "x"',
    ),
    (
        "x_id: Mapped[int] = mapped_column("
        "ForeignKey('users.id', ondelete='CASCADE'), index=True)\n"
        "    x: Mapped[User] = relationship(foreign_keys='Thing.x_id', lazy='raise')",
        "x:User:cascade",
    ),
    (
        "x: Mapped['User | None'] = relationship('User', back_populates='things')\n"
        "    x_id: Mapped[int | None] = mapped_column(Integer, ForeignKey(\n"
        "        'users.id', ondelete='set null'), unique=True)",
        "x:User:unique:optional:set-null",
    ),
    (
        "x_id: Mapped[int] = mapped_column(ForeignKey('users.id'), index=True)\n"
        "    x: Mapped['User'] = relationship(User)",
        "x:User",
    ),
    (
        "parent_id: Mapped[int | None] = mapped_column("
        "ForeignKey('things.id', ondelete='SET NULL'))\n"
        "    parent: Mapped[Thing | None] = relationship()",
        "parent:Thing:optional:set-null",
    ),
    (
        "things: Mapped[list[Thing]] = relationship(back_populates='owner')\n"
        "    def label(self) -> str:\n        return 'x'\n"
        "    x: Mapped[str] = mapped_column(Text)",
        "x:text",
    ),
    # Older spellings, and the keyword arguments a template writes left out.
    ("x: Mapped[float] = mapped_column(sa.Float)", "x:float"),
    ("x: Mapped[time] = mapped_column(Time, unique=True)", "x:time:unique"),
    ("x: Mapped[time] = mapped_column(PreciseTime)", "x:time"),
    ("x: Mapped[Status] = mapped_column(Enum('a', 'b', name='x'))", "x:enum(a,b)"),
    # Without the create schema, the general type of a shared column.
    ("x: Mapped[str] = mapped_column(String(320))", "x:str(320)"),
    ("x: Mapped[str | None] = mapped_column(String(2048))", "x:str(2048):optional"),
    (
        "x: Mapped[str] = mapped_column(String(320), default='a@example.com')",
        "x:str(320):default=a@example.com",
    ),
]
UNREADABLE = [
    (
        "id: Mapped[int] = mapped_column(primary_key=True)",
        "line 6: id: mapped_column() has no column type",
    ),
    (
        "x: Mapped[str] = mapped_column(String(20), server_default='a')",
        "line 6: x: server_default= has no field syntax",
    ),
    (
        "x: Mapped[str] = mapped_column(String(20), **options)",
        "line 6: x: **keyword arguments have no field syntax",
    ),
    (
        "x: Mapped[str] = mapped_column(String(20), unique=flag)",
        "line 6: x: unique= is not True or False",
    ),
    (
        "x: Mapped[str] = mapped_column(String(20), nullable=True)",
        "line 6: x: nullable= contradicts its annotation",
    ),
    (
        "x: Mapped[str] = mapped_column('x', String(20))",
        "line 6: x: mapped_column() has more than a type",
    ),
    (
        "x: Mapped[str] = mapped_column(String)",
        "line 6: x: column type String has no field type (expected String({length}), "
        "String(320) or String(2048))",
    ),
    (
        "x: Mapped[str] = mapped_column(String(20, collation='C'))",
        "line 6: x: column type String(20, collation='C') has no field type "
        "(expected String({length}), String(320) or String(2048))",
    ),
    (
        "x: Mapped[Decimal] = mapped_column(Numeric(8))",
        "line 6: x: column type Numeric(8) has no field type "
        "(expected Numeric({precision}, {scale}))",
    ),
    (
        "x: Mapped[int] = mapped_column(String(20))",
        "line 6: x: the annotation int does not match str",
    ),
    (
        "x: Mapped[bytes] = mapped_column(LargeBinary)",
        "line 6: x: column type LargeBinary has no field type",
    ),
    (
        "x: Mapped[datetime] = mapped_column(DateTime)",
        "line 6: x: column type DateTime has no field type "
        "(expected DateTime(timezone=True))",
    ),
    (
        "x: Mapped[Status] = mapped_column(Enum('a', 'c'))",
        "line 6: x: the annotation Status is not a Literal of the values a, c",
    ),
    (
        "x: Mapped[str] = mapped_column(Enum(MyEnum))",
        "line 6: x: column type Enum(MyEnum) has no field type (expected "
        'Enum({values}, name="{enum_name}", native_enum=False, length={longest}))',
    ),
    (
        "x: Mapped[int] = mapped_column(Integer, default=func.now())",
        "line 6: x: default func.now() is not a literal int default",
    ),
    (
        "x: Mapped[str] = mapped_column(String(5), default=5)",
        "line 6: x: default 5 is not a literal str default",
    ),
    (
        "x: Mapped[int] = mapped_column(Integer, default=True)",
        "line 6: x: default True is not a literal int default",
    ),
    (
        "x: Mapped[str] = column_property(other)",
        "line 6: x is not a mapped_column() or relationship()",
    ),
    (
        "x = mapped_column(String(5))",
        "line 6: 'x = mapped_column(String(5))' has no field syntax",
    ),
    (
        "__table_args__ = (UniqueConstraint('a', 'b'),)",
        "line 6: \"__table_args__ = (UniqueConstraint('a', 'b'),)\""
        " has no field syntax",
    ),
    ("x: str = 'plain'", "line 6: x is not annotated Mapped[...]"),
    (
        "x: Mapped[User] = relationship()",
        "line 6: relationship x has no foreign key column x_id",
    ),
    (
        "x_id: Mapped[int] = mapped_column(ForeignKey('users.id'))",
        "line 6: foreign key x_id has no relationship x beside it",
    ),
    (
        "x_id: Mapped[int] = mapped_column(ForeignKey('teams.id'))\n"
        "    x: Mapped[Team] = relationship()",
        "line 6: x_id: no model of this project has table 'teams'",
    ),
    (
        "x_id: Mapped[int] = mapped_column(ForeignKey('users.email'))\n"
        "    x: Mapped[User] = relationship()",
        'line 6: x_id: the foreign key is not ForeignKey("table.id")',
    ),
    (
        "x_id: Mapped[int] = mapped_column("
        "ForeignKey('users.id', ondelete='RESTRICT'))\n"
        "    x: Mapped[User] = relationship()",
        "line 6: x_id: ondelete is not CASCADE or SET NULL",
    ),
    (
        "x_id: Mapped[int] = mapped_column(BigInteger, ForeignKey('users.id'))\n"
        "    x: Mapped[User] = relationship()",
        "line 6: x_id: a foreign key column's type is Integer",
    ),
    (
        "x_id: Mapped[int] = mapped_column(ForeignKey('users.id'))\n"
        "    x: Mapped[Thing] = relationship()",
        "line 7: x: the relationship is not Mapped[User]",
    ),
    (
        "x_id: Mapped[int | None] = mapped_column(ForeignKey('users.id'))\n"
        "    x: Mapped[User] = relationship()",
        "line 7: x: optional unlike its column x_id",
    ),
    (
        "x_id: Mapped[int] = mapped_column(ForeignKey('users.id'))\n"
        "    x: Mapped[User] = relationship(secondary=links)",
        "line 7: x: secondary= has no field syntax",
    ),
    (
        "x_id: Mapped[int] = mapped_column(ForeignKey('users.id'))\n"
        "    x: Mapped[User] = relationship(Thing)",
        "line 7: x: the relationship is not to User",
    ),
    (
        "x: Mapped[Status] = mapped_column(Enum('a', 'b', length=5))",
        "line 6: x: column type Enum('a', 'b', length=5) has no field type (expected "
        'Enum({values}, name="{enum_name}", native_enum=False, length={longest}))',
    ),
    (
        "x: Mapped[Status] = mapped_column(Enum('a', 'b', create_constraint=True))",
        "line 6: x: column type Enum('a', 'b', create_constraint=True) has no field "
        'type (expected Enum({values}, name="{enum_name}", native_enum=False, '
        "length={longest}))",
    ),
    (
        "x: Mapped[Status] = mapped_column(Enum('a', 'b', native_enum=True))",
        "line 6: x: column type Enum('a', 'b', native_enum=True) has no field type "
        '(expected Enum({values}, name="{enum_name}", native_enum=False, '
        "length={longest}))",
    ),
    (
        "x: Mapped[datetime] = mapped_column(DateTime(timezone=False))",
        "line 6: x: column type DateTime(timezone=False) has no field type "
        "(expected DateTime(timezone=True))",
    ),
    (
        "x: Mapped[dict[str, Any]] = mapped_column(JSON, default={})",
        f"line 6: x: {FIELD_TYPES['json'].no_default}",
    ),
    (
        "x: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal('x'))",
        "line 6: x: default Decimal('x') is not a literal decimal default",
    ),
    (
        "x: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=1)",
        "line 6: x: default 1 is not a literal decimal default",
    ),
    (
        "x: Mapped[int] = mapped_column(Integer, default=2**40)",
        "line 6: x: default 2 ** 40 is not a literal int default",
    ),
]


def read_class(
    body: str, head: str = MODULE_HEAD, inputs: dict[str, str] | None = None
) -> list[str]:
    """The fields of class Thing in `head` + `body`; `inputs` its create schema's."""
    schema = {
        name: ast.parse(code, mode="eval").body for name, code in (inputs or {}).items()
    }
    module = ast.parse(head + "    " + body + "\n")
    return model_field_specs(module, "Thing", TABLES, schema)


@pytest.mark.parametrize(("body", "spec"), READABLE, ids=[s for _, s in READABLE])
def test_a_generated_column_reads_back_as_its_field(body: str, spec: str) -> None:
    assert read_class(body) == [spec]


@pytest.mark.parametrize(("body", "reason"), UNREADABLE)
def test_code_without_field_syntax_says_why(body: str, reason: str) -> None:
    with pytest.raises(UnreadableModel) as raised:
        read_class(body)
    assert str(raised.value) == reason


@pytest.mark.parametrize(
    ("body", "schema", "spec"),
    [
        ("x: Mapped[str] = mapped_column(String(320))", "EmailStr", "x:email"),
        ("x: Mapped[str] = mapped_column(String(length=320))", "EmailStr", "x:email"),
        (
            "x: Mapped[str] = mapped_column(sa.String(320))",
            "pydantic.EmailStr",
            "x:email",
        ),
        (
            "x: Mapped[str | None] = mapped_column(String(2048), default='https://a.b')",
            "WebUrl",
            "x:url:optional:default=https://a.b",
        ),
        (
            "x: Mapped[str] = mapped_column(String(320))",
            "Annotated[Text, Field(max_length=320)]",
            "x:str(320)",
        ),
        # A schema that says neither: the general type.
        ("x: Mapped[str] = mapped_column(String(320))", "str", "x:str(320)"),
        # A column only one type has: the schema is not asked.
        ("x: Mapped[str] = mapped_column(String(80))", "EmailStr", "x:str(80)"),
    ],
)
def test_the_create_schema_tells_apart_types_that_share_a_column(
    body: str, schema: str, spec: str
) -> None:
    assert read_class(body, inputs={"x": schema}) == [spec]


def test_class_annotations_are_a_schema_body_without_none() -> None:
    module = ast.parse(
        "class ThingCreate(BaseModel):\n"
        "    model_config = ConfigDict(extra='forbid')\n"
        "    x: EmailStr\n"
        "    y: WebUrl | None = None\n"
    )
    annotations = class_annotations(module, "ThingCreate")
    assert {name: ast.unparse(a) for name, a in annotations.items()} == {
        "x": "EmailStr",
        "y": "WebUrl",
    }
    assert class_annotations(module, "OtherCreate") == {}


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        ("class Other(Base):\n    pass\n", "no class Thing at the top of the module"),
        ("class Thing(Base, Mixin):\n", "class Thing does not derive from Base alone"),
        ("@dataclass\nclass Thing(Base):\n", "class Thing is decorated"),
    ],
)
def test_a_class_not_shaped_like_a_generated_model_says_why(
    head: str, reason: str
) -> None:
    with pytest.raises(UnreadableModel) as raised:
        read_class("x: Mapped[str] = mapped_column(Text)", head=head)
    assert str(raised.value) == reason


# ---- rebuilding from a generated project -----------------------------------------


def generate(
    dest: Path, models: list[tuple[str, list[str]]], **choices: Any
) -> Project:
    """A new project given `models`, without its manifest (as if made before it)."""
    create_project(NewProjectOptions(name="demo", dest=dest, yes=True, **choices))
    for model, fields in models:
        add_model(
            AddModelOptions(
                project_dir=dest, model=model, fields=fields, migration=False
            )
        )
    (dest / MANIFEST_FILE).unlink(missing_ok=True)
    return find_project(dest)


@pytest.fixture(scope="module")
def matrix_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A project given the matrix models (every field type and relation); unchanged."""
    return generate(tmp_path_factory.mktemp("matrix") / "demo", MODELS)


@pytest.fixture
def project_copy(matrix_project: Project, tmp_path: Path) -> Path:
    """A copy of the matrix project, free to change."""
    return Path(shutil.copytree(matrix_project.root, tmp_path / "demo"))


def assert_same_fields(manifest: Manifest, models: list[tuple[str, list[str]]]) -> None:
    """Each entry's fields parse to the fields its model was made from."""
    assert sorted(manifest.names) == sorted(name for name, _ in models)
    for name, specs in models:
        entry = manifest.get(name)
        assert entry is not None
        assert [bare(parse_field(s)) for s in entry.fields] == [
            bare(parse_field(s)) for s in specs
        ], name
        assert entry.tool_version == __version__


def assert_dependency_order(manifest: Manifest) -> None:
    seen: set[str] = set()
    for entry in manifest.models:
        for spec in entry.fields:
            target = parse_field(spec).target
            assert target is None or target in seen or target == entry.name, entry
        seen.add(entry.name)


def test_the_rebuilt_manifest_holds_the_fields_each_model_was_made_from(
    matrix_project: Project,
) -> None:
    rebuilt = rebuild_manifest(matrix_project)
    assert rebuilt.skipped == ()
    assert_same_fields(rebuilt.manifest, MODELS)
    assert_dependency_order(rebuilt.manifest)
    # Targets first, then by file name: category.py, keyword.py, user.py, order.py,
    # post.py.
    assert rebuilt.manifest.names == ("Category", "Keyword", "User", "Order", "Post")


@pytest.mark.parametrize(
    "choices",
    [
        {"engine": "sync", "repository": False},
        {"engine": "async", "database": "mysql", "repository": False},
    ],
    ids=["sync-norepo", "async-mysql-norepo"],
)
def test_every_template_choice_rebuilds_the_same(
    tmp_path: Path, choices: dict[str, Any]
) -> None:
    rebuilt = rebuild_manifest(generate(tmp_path / "demo", MODELS, **choices))
    assert rebuilt.skipped == ()
    assert_same_fields(rebuilt.manifest, MODELS)


def test_the_rebuilt_manifest_stores_canonical_fields(matrix_project: Project) -> None:
    post = rebuild_manifest(matrix_project).manifest.get("Post")
    assert post is not None
    assert post.fields[:2] == ("title:str(200):unique", "body:text")
    assert post.fields[-4:] == (
        "status:enum(draft,published,archived):default=draft",
        "author:User:cascade",
        "category:Category:optional:set-null",
        "keywords:Keyword:many",
    )


def test_load_manifest_rebuilds_without_the_file_and_reads_it_when_present(
    project_copy: Path,
) -> None:
    project = find_project(project_copy)
    rebuilt = load_manifest(project)
    assert rebuilt == rebuild_manifest(project).manifest
    written = rebuilt.without_model("Post")
    (project_copy / MANIFEST_FILE).write_text(written.render(), encoding="utf-8")
    assert load_manifest(project) == written


def test_a_project_without_models_has_an_empty_manifest(tmp_path: Path) -> None:
    project = generate(tmp_path / "demo", [])
    rebuilt = rebuild_manifest(project)
    assert rebuilt.manifest == Manifest()
    assert rebuilt.skipped == ()
    assert load_manifest(project) == Manifest()


DEFAULTS_MODEL = (
    "Thing",
    [
        'label:str(40):index:default=it\'s "x": y',
        "count:int:default=-5",
        "big:bigint:optional:default=9000000000",
        "ratio:float:default=-1.5e3",
        "price:decimal:default=-3.50",
        "flag:bool:default=TRUE",
        "day:date:default=2024-05-17",
        "at:datetime:unique:default=2024-05-17T12:30:00+02:00",
        "alarm:time:unique:index:optional:default=12:30:00",
        "key:uuid:default=12345678-1234-1234-1234-1234567890AB",
        "kind:enum(a,b):default=b",
        "note:text:optional:default=",
        "owner:User:unique:optional:set-null",
    ],
)


def test_defaults_of_every_type_are_rebuilt(tmp_path: Path) -> None:
    project = generate(tmp_path / "demo", [MODELS[0], DEFAULTS_MODEL])
    rebuilt = rebuild_manifest(project)
    assert rebuilt.skipped == ()
    thing = rebuilt.manifest.get("Thing")
    assert thing is not None
    # The code keeps each default's value; a float or bool loses its spelling.
    assert [
        dataclasses.replace(parse_field(spec), spec="", default_text=None)
        for spec in thing.fields
    ] == [
        dataclasses.replace(parse_field(spec), spec="", default_text=None)
        for spec in DEFAULTS_MODEL[1]
    ]
    changed = set(thing.fields) - {
        field_spec(parse_field(s)) for s in DEFAULTS_MODEL[1]
    }
    assert changed == {"ratio:float:default=-1500.0", "flag:bool:default=true"}


def test_reformatted_code_and_moved_imports_still_rebuild(project_copy: Path) -> None:
    models = project_copy / "demo" / "models"
    post = models / "post.py"
    text = post.read_text(encoding="utf-8").replace(
        "from ..db import Base, PreciseTime, UTCDateTime",
        "from ..column_types import PreciseTime, UTCDateTime\nfrom ..db import Base",
    )
    text = text.replace("String(200)", "String(length=200)")
    text = text.replace("Numeric(8, 2)", "Numeric(precision=8, scale=2)")
    text = text.replace('lazy="raise"', 'lazy="raise", back_populates="posts"')
    text += "\n    def __repr__(self) -> str:\n        return self.title\n"
    post.write_text(ast.unparse(ast.parse(text)), encoding="utf-8")  # one line a call
    user = models / "user.py"
    user.write_text(
        user.read_text(encoding="utf-8")
        + '    posts: Mapped[list["Post"]] = relationship(back_populates="author")\n',
        encoding="utf-8",
    )
    rebuilt = rebuild_manifest(find_project(project_copy))
    assert rebuilt.skipped == ()
    assert_same_fields(rebuilt.manifest, MODELS)


HAND_WRITTEN_TAG = '''"""Tags, written by hand."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class Tag(Base):
    __tablename__ = "tags"

    label: Mapped[str] = mapped_column(String(40), server_default="misc")
'''


def test_models_add_model_did_not_write_are_skipped_with_a_reason(
    project_copy: Path,
) -> None:
    package = project_copy / "demo"
    (package / "models" / "tag.py").write_text(HAND_WRITTEN_TAG, encoding="utf-8")
    (package / "routers" / "tags.py").write_text("", encoding="utf-8")
    (package / "models" / "note.py").write_text(
        HAND_WRITTEN_TAG.replace("Tag", "Note").replace('"tags"', '"notes"')
    )  # no router
    (package / "models" / "broken.py").write_text("class Broken(:\n")
    (package / "models" / "legacy.py").write_text(
        HAND_WRITTEN_TAG.replace("class Tag", "class Label")
        .replace('"tags"', '"label_table"')
        .replace(', server_default="misc"', "")
    )
    (package / "routers" / "orders.py").unlink()
    rebuilt = rebuild_manifest(find_project(project_copy))
    assert set(rebuilt.skipped) == {
        SkippedModel(
            "broken.py",
            "demo/models/broken.py",
            "cannot be read: line 1: invalid syntax",
        ),
        SkippedModel(
            "Label",
            "demo/models/legacy.py",
            "defined in models/legacy.py, not models/label.py",
        ),
        SkippedModel(
            "Note", "demo/models/note.py", "it has no router demo/routers/notes.py"
        ),
        SkippedModel(
            "Order", "demo/models/order.py", "it has no router demo/routers/orders.py"
        ),
        SkippedModel(
            "Tag",
            "demo/models/tag.py",
            "line 12: label: server_default= has no field syntax",
        ),
    }
    assert_same_fields(rebuilt.manifest, [m for m in MODELS if m[0] != "Order"])


def category_line(root: Path) -> int:
    """The line of Post's category_id column."""
    text = (root / "demo" / "models" / "post.py").read_text(encoding="utf-8")
    return next(
        n for n, line in enumerate(text.splitlines(), 1) if "category_id:" in line
    )


def test_a_model_whose_table_was_renamed_is_skipped(project_copy: Path) -> None:
    category = project_copy / "demo" / "models" / "category.py"
    category.write_text(
        category.read_text(encoding="utf-8").replace('"categories"', '"category"')
    )
    rebuilt = rebuild_manifest(find_project(project_copy))
    assert rebuilt.skipped == (
        SkippedModel(
            "Category",
            "demo/models/category.py",
            "its table is 'category', not 'categories'",
        ),
        SkippedModel(
            "Post",
            "demo/models/post.py",
            f"line {category_line(project_copy)}: category_id: no model of this "
            "project has table 'categories'",
        ),
    )
    assert rebuilt.manifest.names == ("Keyword", "User", "Order")


def test_relations_both_ways_are_ordered_by_file_name(project_copy: Path) -> None:
    user = project_copy / "demo" / "models" / "user.py"
    text = user.read_text(encoding="utf-8").replace(
        "from ..db import Base", "from ..db import Base\nfrom .post import Post"
    )
    user.write_text(
        text
        + "    pinned_id: Mapped[int | None] = mapped_column(\n"
        + '        ForeignKey("posts.id", ondelete="SET NULL"), index=True\n'
        + "    )\n"
        + "    pinned: Mapped[Post | None] = relationship(lazy='raise')\n"
    )
    rebuilt = rebuild_manifest(find_project(project_copy))
    assert rebuilt.skipped == ()
    # User and Post need each other: the cycle is broken at the first file, post.py.
    assert rebuilt.manifest.names == ("Category", "Keyword", "Post", "User", "Order")
    assert rebuilt.manifest.get("User") == ModelEntry(
        "User",
        (*MODELS[0][1], "pinned:Post:optional:set-null"),
        __version__,
    )


# ---- types that share a column, and every type of the table ----------------------

CONTACT_MODEL = (
    "Contact",
    [
        "mail:email:unique",
        "backup:email:optional:default=backup@example.com",
        "site:url:optional",
        "short:str(320)",
        "long:str(2048):optional",
        "owner:User",
    ],
)


def test_email_and_url_fields_are_rebuilt_from_the_schema(tmp_path: Path) -> None:
    project = generate(tmp_path / "demo", [MODELS[0], CONTACT_MODEL])
    rebuilt = rebuild_manifest(project)
    assert rebuilt.skipped == ()
    assert_same_fields(rebuilt.manifest, [MODELS[0], CONTACT_MODEL])


def test_without_the_schema_a_shared_column_is_the_general_type(
    tmp_path: Path,
) -> None:
    project = generate(tmp_path / "demo", [MODELS[0], CONTACT_MODEL])
    (project.package_dir / "schemas" / "contact.py").unlink()
    rebuilt = rebuild_manifest(project)
    assert rebuilt.skipped == ()
    contact = rebuilt.manifest.get("Contact")
    assert contact is not None
    assert contact.fields == (
        "mail:str(320):unique",
        "backup:str(320):optional:default=backup@example.com",
        "site:str(2048):optional",
        "short:str(320)",
        "long:str(2048):optional",
        "owner:User",
    )


def test_an_unreadable_schema_is_like_a_missing_one(tmp_path: Path) -> None:
    project = generate(tmp_path / "demo", [MODELS[0], CONTACT_MODEL])
    (project.package_dir / "schemas" / "contact.py").write_text("class (:\n")
    contact = rebuild_manifest(project).manifest.get("Contact")
    assert contact is not None
    assert contact.fields[0] == "mail:str(320):unique"


def one_field_of(name: str) -> str:
    """A field of type `name`, with arguments when the type takes them."""
    if name == RELATION:
        return "owner:User"
    arguments = {
        Arguments.NONE: "",
        Arguments.LENGTH: "(42)",
        Arguments.PRECISION_SCALE: "(7,3)",
        Arguments.CHOICES: "(low,high)",
    }[FIELD_TYPES[name].arguments]
    return f"field_{name}:{name}{arguments}"


EVERY_TYPE_MODEL = ("Sample", [one_field_of(name) for name in FIELD_TYPES])


def test_the_reader_knows_every_type_of_the_table(tmp_path: Path) -> None:
    project = generate(tmp_path / "demo", [MODELS[0], EVERY_TYPE_MODEL])
    rebuilt = rebuild_manifest(project)
    assert rebuilt.skipped == ()
    assert_same_fields(rebuilt.manifest, [MODELS[0], EVERY_TYPE_MODEL])
    sample = rebuilt.manifest.get("Sample")
    assert sample is not None
    assert sample.fields == tuple(
        field_spec(parse_field(spec)) for spec in EVERY_TYPE_MODEL[1]
    )
