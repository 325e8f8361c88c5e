"""How one field is spelled in each file `add-model` writes.

`FieldCode` turns a parsed `Field` into the fragments the snippet templates paste:
the model's column, the schemas' annotations, the list filters, and the test data.
`Imports` collects what each module needs, so no module imports too much or too little.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .fields import Field, FieldKind
from .naming import ModelNames
from .project import ExistingModel

__all__ = ["FieldCode", "Imports", "RelationTarget"]


@dataclass
class Imports:
    """`from module import name` lines of one generated module."""

    names: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, module: str, *names: str) -> None:
        self.names[module].update(names)

    def lines(self) -> list[str]:
        return [
            f"from {module} import {', '.join(sorted(names))}"
            for module, names in sorted(self.names.items())
            if names
        ]


@dataclass(frozen=True)
class RelationTarget:
    """The model a relation points at."""

    model: ExistingModel
    names: ModelNames


_SA_TYPES: dict[FieldKind, str] = {
    FieldKind.TEXT: "Text",
    FieldKind.INT: "Integer",
    FieldKind.BIGINT: "BigInteger",
    FieldKind.FLOAT: "Double",
    FieldKind.BOOL: "Boolean",
    FieldKind.DATE: "Date",
    FieldKind.UUID: "Uuid",
    FieldKind.JSON: "JSON",
}

_SCHEMA_TYPES: dict[FieldKind, str] = {
    FieldKind.STR: "Text",
    FieldKind.TEXT: "Text",
    FieldKind.INT: "Int32",
    FieldKind.BIGINT: "Int64",
    FieldKind.FLOAT: "FiniteFloat",
    FieldKind.DECIMAL: "Decimal",
    FieldKind.BOOL: "bool",
    FieldKind.DATE: "date",
    FieldKind.DATETIME: "AwareDatetime",
    FieldKind.TIME: "TimeOfDay",
    FieldKind.UUID: "UUID",
    FieldKind.JSON: "JsonObject",
    FieldKind.RELATION: "Id",
}

# Types of schemas/common.py (validated beyond what the annotation alone says).
_COMMON_TYPES = {
    "Int32",
    "Int64",
    "FiniteFloat",
    "Id",
    "Text",
    "TimeOfDay",
    "JsonObject",
}


_CONSTRUCTED = {FieldKind.DECIMAL, FieldKind.UUID}


def _pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


@dataclass(frozen=True)
class FieldCode:
    field: Field
    model: ModelNames
    target: RelationTarget | None = None

    # ---- names -------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.field.name

    @property
    def column(self) -> str:
        return self.field.column_name

    @property
    def kind(self) -> str:
        return str(self.field.kind)

    @property
    def is_relation(self) -> bool:
        return self.field.is_relation

    @property
    def optional(self) -> bool:
        return self.field.optional

    @property
    def has_default(self) -> bool:
        return self.field.has_default

    @property
    def enum_alias(self) -> str:
        """`PostStatus`: the Literal alias of an enum field, defined in the model."""
        return f"{self.model.class_name}{_pascal(self.name)}"

    @property
    def enum_literal(self) -> str:
        return "Literal[{}]".format(", ".join(f'"{c}"' for c in self.field.choices))

    @property
    def _value_import(self) -> tuple[str, str] | None:
        """The import of the value's Python type (enums are Literal aliases here)."""
        return None if self.field.kind is FieldKind.ENUM else self.field.python_import

    # ---- model -------------------------------------------------------------------
    @property
    def value_type(self) -> str:
        """The Python type of the column's values (without `| None`)."""
        kind = self.field.kind
        if kind is FieldKind.ENUM:
            return self.enum_alias
        if kind is FieldKind.RELATION:
            return "int"
        return self.field.python_type

    def _nullable(self, annotation: str) -> str:
        return f"{annotation} | None" if self.optional else annotation

    @property
    def sa_type(self) -> str:
        kind = self.field.kind
        if kind is FieldKind.STR:
            return f"String({self.field.length})"
        if kind is FieldKind.DECIMAL:
            return f"Numeric({self.field.precision}, {self.field.scale})"
        if kind is FieldKind.DATETIME:
            return "UTCDateTime(precise=True)"
        if kind is FieldKind.TIME:
            return "PreciseTime()"
        if kind is FieldKind.ENUM:
            values = ", ".join(f'"{c}"' for c in self.field.choices)
            longest = max(len(c) for c in self.field.choices)
            return (
                f'Enum({values}, name="{self.model.snake}_{self.name}", '
                f"native_enum=False, length={longest})"
            )
        return _SA_TYPES[kind]

    def model_lines(self, imports: Imports) -> list[str]:
        """The class-body lines of this field (column, and relationship)."""
        options: list[str] = []
        if self.field.unique:
            options.append("unique=True")
        if self.field.index or self.is_relation:
            options.append("index=True")
        if self.field.has_default:
            options.append(f"default={self.default_code(imports)}")
        imports.add("sqlalchemy.orm", "Mapped", "mapped_column")
        if self.is_relation:
            assert self.target is not None
            target = self.target.model
            on_delete = (
                f', ondelete="{self.field.on_delete}"' if self.field.on_delete else ""
            )
            imports.add("sqlalchemy", "ForeignKey")
            imports.add("sqlalchemy.orm", "relationship")
            imports.add(f".{target.module}", target.class_name)
            column = ", ".join(
                [f'ForeignKey("{target.table}.id"{on_delete})', *options]
            )
            relation_type = self._nullable(target.class_name)
            return [
                f"{self.column}: Mapped[{self._nullable('int')}] = "
                f"mapped_column({column})",
                f"{self.name}: Mapped[{relation_type}] = relationship("
                f'foreign_keys="{self.model.class_name}.{self.column}", lazy="raise")',
            ]
        kind = self.field.kind
        if kind is FieldKind.DATETIME:
            imports.add("..db", "UTCDateTime")
        elif kind is FieldKind.TIME:
            imports.add("..db", "PreciseTime")
        else:
            imports.add("sqlalchemy", self.sa_type.split("(")[0])
        if kind is not FieldKind.ENUM and self.field.python_import:
            imports.add(*self.field.python_import)
        if kind is FieldKind.JSON:
            imports.add("typing", "Any")
        column = ", ".join([self.sa_type, *options])
        annotation = self._nullable(self.value_type)
        return [f"{self.name}: Mapped[{annotation}] = mapped_column({column})"]

    def default_code(self, imports: Imports) -> str:
        """The default as a Python expression of the value type."""
        kind = self.field.kind
        value_import = self._value_import
        if value_import is not None:
            module, name = value_import
            imports.add(module, name)
            constructor = name if kind in _CONSTRUCTED else f"{name}.fromisoformat"
            return f'{constructor}("{self.field.default_text}")'
        return repr(self.field.default)

    # ---- schemas -----------------------------------------------------------------
    def schema_type(self, imports: Imports) -> str:
        """The validated input type (bounded, aware, finite) of this field."""
        kind = self.field.kind
        if kind is FieldKind.ENUM:
            imports.add(f"..models.{self.model.module}", self.enum_alias)
            return self.enum_alias
        base = _SCHEMA_TYPES[kind]
        if base in _COMMON_TYPES:
            imports.add(".common", base)
        elif base == "AwareDatetime":
            imports.add("pydantic", "AwareDatetime")
        elif self._value_import is not None:
            imports.add(*self._value_import)
        if kind is FieldKind.STR:
            imports.add("typing", "Annotated")
            imports.add("pydantic", "Field")
            return f"Annotated[Text, Field(max_length={self.field.length})]"
        if kind is FieldKind.DECIMAL:
            imports.add("typing", "Annotated")
            imports.add("pydantic", "Field")
            precision, scale = self.field.precision, self.field.scale
            return (
                f"Annotated[Decimal, Field(max_digits={precision}, "
                f"decimal_places={scale})]"
            )
        return base

    def output_type(self, imports: Imports) -> str:
        """The type in `<Model>Public` (plain: values come from the database)."""
        kind = self.field.kind
        if kind is FieldKind.ENUM:
            imports.add(f"..models.{self.model.module}", self.enum_alias)
            annotation = self.enum_alias
        elif kind is FieldKind.RELATION:
            annotation = "int"
        elif kind is FieldKind.TIME:
            imports.add(".common", "TimeOfDay")
            annotation = "TimeOfDay"
        else:
            if self._value_import is not None:
                imports.add(*self._value_import)
            annotation = self.field.python_type
        return self._nullable(annotation)

    def create_line(self, imports: Imports) -> str:
        annotation = self.schema_type(imports)
        if self.field.has_default:
            annotation = self._nullable(annotation)
            return f"{self.column}: {annotation} = {self.default_code(imports)}"
        if self.optional:
            return f"{self.column}: {annotation} | None = None"
        return f"{self.column}: {annotation}"

    def update_line(self, imports: Imports) -> str:
        return f"{self.column}: {self.schema_type(imports)} | None = None"

    # ---- list filters ------------------------------------------------------------
    @property
    def filterable(self) -> bool:
        return self.field.is_filterable

    @property
    def range_filterable(self) -> bool:
        return self.field.is_range_filterable

    @property
    def sortable(self) -> bool:
        return self.field.kind is not FieldKind.JSON

    def filter_type(self, imports: Imports) -> str:
        kind = self.field.kind
        if kind in (FieldKind.STR, FieldKind.TEXT):
            imports.add("typing", "Annotated")
            imports.add("pydantic", "Field")
            imports.add(".common", "Text")
            limit = self.field.length if kind is FieldKind.STR else 10_000
            return f"Annotated[Text, Field(max_length={limit})]"
        return self.schema_type(imports)

    # ---- test data ---------------------------------------------------------------
    def sample(self) -> str:
        """A Python expression of a fresh valid JSON value (unique where it matters)."""
        field = self.field
        samples: dict[FieldKind, str] = {
            FieldKind.STR: f"random_text({field.length})",
            FieldKind.TEXT: '"Some text, ✓ 🎉: " + random_text(24)',
            FieldKind.INT: "random_int()",
            FieldKind.BIGINT: "random_int(1, 2**62)",
            FieldKind.FLOAT: "random_float()",
            FieldKind.DECIMAL: f"random_decimal({field.precision}, {field.scale})",
            FieldKind.BOOL: "random.choice([True, False])",
            FieldKind.DATE: "random_date()",
            FieldKind.DATETIME: "random_datetime()",
            FieldKind.TIME: "random_time()",
            FieldKind.UUID: "random_uuid()",
            FieldKind.JSON: '{"note": random_text(12), "count": random_int(1, 100)}',
            FieldKind.ENUM: f"random.choice({list(field.choices)!r})",
        }
        return samples[field.kind]  # a relation's value comes from its own factory

    def same_value(self, left: str, right: str) -> str:
        """An expression comparing two JSON values of this field for equality."""
        kind = self.field.kind
        if kind is FieldKind.DATETIME:
            return f"same_instant({left}, {right})"
        return f"{left} == {right}"

    def invalid_values(self) -> list[str]:
        """Python literals of JSON values the API must refuse with a 422."""
        kind = self.field.kind
        too_many_digits = '"' + "9" * ((self.field.precision or 0) + 1) + '"'
        values: dict[FieldKind, list[str]] = {
            FieldKind.STR: [
                f'"x" * {(self.field.length or 0) + 1}',
                "123",
                '"a\\x00b"',
            ],
            FieldKind.TEXT: ["123", "[]", '"a\\x00b"'],
            FieldKind.INT: ['"many"', "2**31", "-(2**31) - 1", "1.5"],
            FieldKind.BIGINT: ['"many"', "2**63"],
            FieldKind.FLOAT: ['"much"', "[]"],
            FieldKind.DECIMAL: ['"abc"', too_many_digits],
            FieldKind.BOOL: ['"maybe"', "[]"],
            FieldKind.DATE: ['"2024-13-45"', '"yesterday"'],
            FieldKind.DATETIME: ['"2024-01-01T00:00:00"', '"not a time"'],
            FieldKind.TIME: ['"25:61"', '"noon"', '"12:00:00+02:00"'],
            FieldKind.UUID: ['"not-a-uuid"', "42"],
            FieldKind.JSON: ["[1, 2]", '"text"', '{"a": "b\\x00"}'],
            FieldKind.ENUM: ['"not-a-choice"', "1"],
            FieldKind.RELATION: ["0", "2**31", '"one"'],
        }
        return values[kind]

    @property
    def changeable(self) -> bool:
        """Whether the update test can give this field a new, different value."""
        kind = self.field.kind
        if kind is FieldKind.BOOL or kind is FieldKind.RELATION:
            return False
        return not (kind is FieldKind.ENUM and len(self.field.choices) < 2)
