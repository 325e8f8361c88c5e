"""The standard model set every matrix project is given.

Together the models use every field type of `field_types.FIELD_TYPES` (the tests check
that a new type cannot be forgotten here), relations with each ON DELETE behaviour
(none, i.e. restrict; cascade; set-null), a many-to-many (`Post.keywords`), optional
fields, defaults, unique and indexed columns, and reserved SQL words as model names
(User, Order).

Then every project goes through the commands that change models afterwards:
`DRAFT_MODEL` is added, `ADDED_FIELDS` are added to two models (a required field with
a default, a unique optional one, a timezone-aware default, an optional relation, a
relation of Category to itself, a many-to-many), and the draft model (with a
many-to-many of its own) is removed again, so its revisions drop its table and
association table too. Every many-to-one relation also gives its target a
back-reference (`User.posts`, `Category.children`, ...) and a route under it.

`every_model` is the project's whole history in one list: each model it has had with
each field it has had, which is what the migration step needs to put rows into the
tables of any revision.
"""

from __future__ import annotations

__all__ = ["ADDED_FIELDS", "DRAFT_MODEL", "MODELS", "every_model"]

MODELS: list[tuple[str, list[str]]] = [
    ("User", ["email:str(120):unique", "name:str(80)", "bio:text:optional"]),
    ("Category", ["name:str(50):unique:index", "position:int:default=0"]),
    ("Keyword", ["word:str(40):unique"]),
    (
        "Post",
        [
            "title:str(200):unique",
            "body:text",
            "views:int:index",
            "reach:bigint:optional",
            "rating:float",
            "price:decimal(8,2)",
            "published:bool:default=false",
            "day:date",
            "published_at:datetime:optional",
            "reminder:time",
            "key:uuid:unique",
            "meta:json",
            "contact:email:unique",
            "homepage:url:optional",
            "status:enum(draft,published,archived):default=draft",
            "author:User:cascade",
            "category:Category:optional:set-null",
            "keywords:Keyword:many",
        ],
    ),
    ("Order", ["number:int:unique", "customer:User", "total:decimal(10,2)"]),
]

DRAFT_MODEL: tuple[str, list[str]] = (
    "Draft",
    ["title:str(80)", "owner:User:cascade", "keywords:Keyword:many"],
)

ADDED_FIELDS: list[tuple[str, list[str]]] = [
    (
        "Category",
        [
            "description:text:optional",
            "rank:int:default=1",
            "code:str(20):unique:optional",
            "parent:Category:optional:set-null",
        ],
    ),
    (
        "Order",
        [
            "note:str(200):optional",
            "placed_at:datetime:default=2024-01-01T09:30:00+02:00",
            "referrer:User:optional:set-null",
            "labels:Keyword:many",
        ],
    ),
]


def every_model() -> list[tuple[str, list[str]]]:
    """Every model a matrix project has had, with every field it has had, targets
    before the models relating to them: the standard models with their added fields,
    then the draft model (removed again)."""
    added = dict(ADDED_FIELDS)
    models = [(name, [*fields, *added.get(name, [])]) for name, fields in MODELS]
    name, fields = DRAFT_MODEL
    return [*models, (name, list(fields))]
