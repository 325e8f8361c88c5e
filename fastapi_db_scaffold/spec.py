"""The model being generated, worked out once: the typed spec every snippet reads.

`ModelSpec.build` takes the parsed fields and the project and computes every name and
fact the snippets need (after Phoenix's `Mix.Phoenix.Schema`): the model's names, each
field's code fragments from its entry in the type table, the lists the tests iterate
over, and the sync/async spelling of the project (`Flavor`). Snippets only read it;
nothing downstream re-derives a name or re-parses a field.

A model also learns, from the manifest, the relations of the other models to it:
each becomes a `BackReference` (the one-to-many side, `User.posts` for `Post.author`),
named by `back_reference_name`, the one place that decides those names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from .errors import FieldSpecError
from .fields import Field, parse_field
from .manifest import load_manifest
from .many_to_many import ManyToManySpec
from .naming import ModelNames, model_names
from .project import Project

__all__ = [
    "BackReference",
    "FieldSpec",
    "Flavor",
    "ModelSpec",
    "RelatedModel",
    "back_reference_name",
    "check_back_reference_names",
]


@dataclass(frozen=True)
class Flavor:
    """How sync and async projects spell the same code: the one place they differ."""

    is_async: bool

    @property
    def async_(self) -> str:
        """Before `def` and `with`: "async " or nothing."""
        return "async " if self.is_async else ""

    @property
    def await_(self) -> str:
        return "await " if self.is_async else ""

    @property
    def session(self) -> str:
        return "AsyncSession" if self.is_async else "Session"

    @property
    def client(self) -> str:
        """The test client of the app."""
        return "AsyncClient" if self.is_async else "TestClient"

    @property
    def iterator(self) -> str:
        """The return type of a generator fixture or dependency."""
        return "AsyncIterator" if self.is_async else "Iterator"

    @property
    def connection(self) -> str:
        return "AsyncConnection" if self.is_async else "Connection"


@dataclass(frozen=True)
class RelatedModel:
    """The model a relation points at, as the project has it."""

    names: ModelNames
    table: str
    generated: bool = True  # in the manifest: its model file has the back-reference


def back_reference_name(
    source: ModelNames, relation: str, *, shares_target: bool, is_self: bool
) -> str:
    """The one-to-many side of the relation `relation` of model `source`, as an
    attribute of its target: `posts` for `Post.author`; `posts_as_author` and
    `posts_as_editor` when Post has two relations to the target; `children` for a
    relation of a model to itself named `parent` (else `categories_as_<relation>`).
    The URL segment is the same with dashes: `/users/{user_id}/posts-as-author`."""
    if is_self and relation == "parent":
        return "children"
    if is_self or shares_target:
        return f"{source.plural_snake}_as_{relation}"
    return source.plural_snake


@dataclass(frozen=True)
class BackReference:
    """A many-to-one relation to the model, seen from the model: `User.posts` for
    `Post.author` (a list, never lazy-loaded; the database applies ON DELETE)."""

    source: ModelNames  # the model with the foreign key: Post
    relation: str  # its relation attribute: author
    column: str  # its foreign key column: author_id
    shares_target: bool  # the source has another relation to the model
    is_self: bool  # the source is the model itself

    @property
    def attribute(self) -> str:
        return back_reference_name(
            self.source,
            self.relation,
            shares_target=self.shares_target,
            is_self=self.is_self,
        )

    @property
    def relationship_arguments(self) -> list[str]:
        arguments = [f'back_populates="{self.relation}"']
        if self.shares_target:
            arguments.append(f'foreign_keys="{self.source.class_name}.{self.column}"')
        return [*arguments, 'lazy="raise"', 'passive_deletes="all"']


@dataclass(frozen=True)
class FieldSpec:
    """One field of the model, with the code the snippets paste for it."""

    field: Field
    owner: ModelNames
    target: RelatedModel | None = None
    shares_target: bool = False  # another relation of the model has the same target
    is_self: bool = False  # a relation of the model to itself

    # ---- facts -------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.field.name

    @property
    def column(self) -> str:
        """The column (and API) name: `author_id` for the relation `author`."""
        return self.field.column_name

    @property
    def optional(self) -> bool:
        return self.field.optional

    @property
    def unique(self) -> bool:
        return self.field.unique

    @property
    def has_default(self) -> bool:
        return self.field.has_default

    @property
    def is_relation(self) -> bool:
        return self.field.is_relation

    @property
    def is_enum(self) -> bool:
        return bool(self.field.choices)

    @property
    def on_delete(self) -> str | None:
        return self.field.on_delete

    @property
    def exact_filter(self) -> bool:
        return self.field.type.filter is not None

    @property
    def range_filter(self) -> bool:
        return self.field.type.range_filter

    @property
    def sortable(self) -> bool:
        return self.field.type.sortable

    @property
    def changeable(self) -> bool:
        entry = self.field.type
        return entry.changeable and not (self.is_enum and len(self.field.choices) < 2)

    @property
    def is_text(self) -> bool:
        return self.field.type.is_text

    @property
    def enum_alias(self) -> str:
        """`PostStatus`: the Literal alias of an enum field, defined in the model."""
        pascal = "".join(part.capitalize() for part in self.name.split("_"))
        return f"{self.owner.class_name}{pascal}"

    @property
    def enum_name(self) -> str:
        """The name SQLAlchemy gives an enum's type: `post_status`."""
        return f"{self.owner.snake}_{self.name}"

    @property
    def enum_literal(self) -> str:
        return "Literal[{}]".format(", ".join(f'"{c}"' for c in self.field.choices))

    def _code(self, template: str) -> str:
        field = self.field
        return field.type.code(
            template,
            field.arguments,
            alias=self.enum_alias,
            enum_name=self.enum_name,
            value=field.default,
            text=field.default_text,
        )

    def _nullable(self, annotation: str) -> str:
        return f"{annotation} | None" if self.optional else annotation

    # ---- model -------------------------------------------------------------------
    @property
    def value_type(self) -> str:
        """The Python type of the column's values (without `| None`)."""
        return self._code(self.field.type.python)

    @property
    def mapped_type(self) -> str:
        return self._nullable(self.value_type)

    @property
    def default_code(self) -> str:
        return self._code(self.field.type.default_code)

    @property
    def column_arguments(self) -> list[str]:
        """The arguments of the column's `mapped_column(...)`."""
        arguments = [self._code(self.field.type.column)]
        if self.target is not None:
            on_delete = f', ondelete="{self.on_delete}"' if self.on_delete else ""
            arguments.append(f'ForeignKey("{self.target.table}.id"{on_delete})')
        if self.unique:
            arguments.append("unique=True")
        if self.field.index or self.is_relation:
            arguments.append("index=True")
        if self.has_default:
            arguments.append(f"default={self.default_code}")
        return arguments

    @property
    def relationship_arguments(self) -> list[str]:
        """The arguments of a relation's `relationship(...)`."""
        arguments = ['lazy="raise"']
        if self.shares_target:
            arguments.insert(0, f"foreign_keys=[{self.column}]")
        if self.target is not None and self.target.generated:
            arguments.insert(0, f'back_populates="{self.back_reference}"')
        if self.is_self:
            arguments.insert(-1, f'remote_side="{self.owner.class_name}.id"')
            # A row may be its own parent: without a separate UPDATE the unit of
            # work cannot order deleting it (CircularDependencyError, a 500).
            arguments.insert(-1, "post_update=True")
        return arguments

    @property
    def relationship_annotation(self) -> str:
        """The type in `Mapped[...]` of the relation (quoted for the model itself,
        which its own class body cannot name yet)."""
        assert self.target is not None
        annotation = self._nullable(self.target.names.class_name)
        return f'"{annotation}"' if self.is_self else annotation

    @property
    def back_reference(self) -> str:
        """The one-to-many side on the target: `posts` (see `back_reference_name`)."""
        return back_reference_name(
            self.owner,
            self.name,
            shares_target=self.shares_target,
            is_self=self.is_self,
        )

    @property
    def back_reference_path(self) -> str:
        """`/users/{user_id}/posts`: the target's rows of the model, in the router."""
        assert self.target is not None
        target = self.target.names
        segment = self.back_reference.replace("_", "-")
        return f"{target.url_prefix}/{{{target.id_param}}}/{segment}"

    @property
    def back_reference_handler(self) -> str:
        assert self.target is not None
        return f"read_{self.target.names.snake}_{self.back_reference}"

    @property
    def embedded_schema(self) -> str:
        """The schema of the related object in `<Model>Public`: the target's public
        schema, or the model's summary (no related objects) for a self relation."""
        assert self.target is not None
        if self.is_self:
            return f"{self.owner.class_name}Summary"
        return self.target.names.public

    # ---- schemas -----------------------------------------------------------------
    @property
    def input_type(self) -> str:
        """The validated type (bounded, aware, finite) of create and update bodies."""
        return self._code(self.field.type.input)

    @property
    def output_type(self) -> str:
        """The type in `<Model>Public` (plain: the values come from the database)."""
        entry = self.field.type
        return self._nullable(self._code(entry.output or entry.python))

    @property
    def filter_type(self) -> str:
        return self._code(self.field.type.filter or self.field.type.input)

    # ---- test data ---------------------------------------------------------------
    @property
    def sample(self) -> str:
        """A Python expression of a fresh valid JSON value (unique where it matters).

        A relation's value comes from its target's factory instead.
        """
        return self._code(self.field.type.sample)

    @property
    def invalid_values(self) -> list[str]:
        """Python literals of JSON values the API must refuse with a 422."""
        return [self._code(value) for value in self.field.type.invalid]

    def same_value(self, left: str, right: str) -> str:
        """An expression comparing two JSON values of this field for equality."""
        return self.field.type.same_value.format(left=left, right=right)


@dataclass(frozen=True)
class ModelSpec:
    """Everything the snippets know about the model being generated."""

    project: Project
    names: ModelNames
    fields: tuple[FieldSpec, ...]  # the fields with a column in the model's table
    back_references: tuple[BackReference, ...] = ()
    """The relations of models (this one included) to this model, one-to-many."""
    many: tuple[ManyToManySpec, ...] = ()  # many-to-many relations, in given order

    @classmethod
    def build(
        cls,
        project: Project,
        names: ModelNames,
        fields: list[Field],
        relating: Iterable[tuple[str, Sequence[Field]]] | None = None,
    ) -> ModelSpec:
        """The spec of the model `names` with `fields`; relation targets are project
        models (already checked to exist) or the model itself.

        `relating` are the other models with their fields, for the back-references;
        by default the models of the project's manifest.
        """
        manifest = load_manifest(project)
        targets = Counter(field.target for field in fields if field.is_relation)
        specs = []
        many = []
        for field in fields:
            if field.is_many:
                assert field.target is not None
                existing = project.models[field.target]
                related = RelatedModel(model_names(field.target), existing.table)
                many.append(ManyToManySpec(field, names, related))
                continue
            target = None
            is_self = field.target == names.class_name
            if is_self:
                target = RelatedModel(names, names.table)
            elif field.target is not None:
                existing = project.models[field.target]
                target = RelatedModel(
                    model_names(field.target),
                    existing.table,
                    generated=manifest.get(field.target) is not None,
                )
            specs.append(
                FieldSpec(
                    field,
                    names,
                    target,
                    shares_target=targets[field.target or ""] > 1,
                    is_self=is_self,
                )
            )
        if relating is None:
            relating = [
                (entry.name, [parse_field(spec) for spec in entry.fields])
                for entry in manifest.models
            ]
        others = [(n, f) for n, f in relating if n != names.class_name]
        references = [
            *_back_references(names, others),
            *_back_references(names, [(names.class_name, fields)]),
        ]
        return cls(
            project,
            names,
            tuple(specs),
            back_references=tuple(references),
            many=tuple(many),
        )

    @cached_property
    def flavor(self) -> Flavor:
        return Flavor(self.project.is_async)

    @property
    def relations(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.is_relation]

    @property
    def self_relations(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.is_self]

    @property
    def scalars(self) -> list[FieldSpec]:
        return [f for f in self.fields if not f.is_relation]

    @property
    def enums(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.is_enum]

    @property
    def required(self) -> list[FieldSpec]:
        """Fields a create body must carry."""
        return [f for f in self.fields if not f.optional and not f.has_default]

    @property
    def not_null(self) -> list[FieldSpec]:
        return [f for f in self.fields if not f.optional]

    @property
    def texts(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.is_text]

    @property
    def unique(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.unique]

    @property
    def exact_filters(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.exact_filter]

    @property
    def range_filters(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.range_filter]

    @property
    def changeable(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.changeable]

    @property
    def sort_columns(self) -> list[str]:
        sortable = [f.column for f in self.fields if f.sortable]
        return ["id", *sortable, "created_at", "updated_at"]

    @property
    def sort_parameters(self) -> list[str]:
        return [p for column in self.sort_columns for p in (column, f"-{column}")]

    @property
    def invalid_values(self) -> list[tuple[str, str]]:
        """(column, Python literal) of every value the API must refuse."""
        return [
            *((f.column, value) for f in self.fields for value in f.invalid_values),
            *((m.ids, value) for m in self.many for value in m.invalid_values),
        ]

    @property
    def many_ids_set(self) -> str:
        """The ids keys of the many-to-many relations as a Python set: `{"tag_ids"}`."""
        return "{" + ", ".join(f'"{m.ids}"' for m in self.many) + "}"

    @property
    def not_null_inputs(self) -> list[str]:
        """Keys of an update body that may be left out but not sent as null."""
        return [f.column for f in self.not_null] + [m.ids for m in self.many]


def check_back_reference_names(model: ModelSpec) -> None:
    """Refuse a back-reference of `model` named like another of its attributes: a
    field (its column, a many-to-many's ids and filter) or another back-reference."""
    fields: dict[str, str] = {}
    for field in [spec.field for spec in model.fields] + [m.field for m in model.many]:
        for name in field.taken_names:
            fields.setdefault(name, field.name)
    class_name = model.names.class_name
    references: dict[str, str] = {}
    for reference in model.back_references:
        attribute = reference.attribute
        relation = f"{reference.source.class_name}.{reference.relation}"
        if attribute in fields:
            raise FieldSpecError(
                f"{class_name}.{attribute}, the back-reference of {relation}, would "
                f"clash with the field {fields[attribute]} of {class_name}; rename "
                "one of them"
            )
        if attribute in references:
            raise FieldSpecError(
                f"{class_name}.{attribute} would be the back-reference of both "
                f"{references[attribute]} and {relation}; rename one of the relations"
            )
        references[attribute] = relation


def _back_references(
    target: ModelNames, relating: Iterable[tuple[str, Sequence[Field]]]
) -> list[BackReference]:
    """The back-references on `target` of the relations of `relating` to it."""
    references: list[BackReference] = []
    for name, fields in relating:
        to_target = [
            f for f in fields if f.is_relation and f.target == target.class_name
        ]
        for field in to_target:
            references.append(
                BackReference(
                    model_names(name),
                    field.name,
                    field.column_name,
                    shares_target=len(to_target) > 1,
                    is_self=name == target.class_name,
                )
            )
    return references
