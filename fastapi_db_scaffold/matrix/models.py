"""The standard model set every matrix project is given.

Together the models use every field type of `field_types.FIELD_TYPES` (the tests check
that a new type cannot be forgotten here), relations with each ON DELETE behaviour
(none, i.e. restrict; cascade; set-null), optional fields, defaults, unique and
indexed columns, and reserved SQL words as model names (User, Order).
"""

from __future__ import annotations

__all__ = ["MODELS"]

MODELS: list[tuple[str, list[str]]] = [
    ("User", ["email:str(120):unique", "name:str(80)", "bio:text:optional"]),
    ("Category", ["name:str(50):unique:index", "position:int:default=0"]),
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
        ],
    ),
    ("Order", ["number:int:unique", "customer:User", "total:decimal(10,2)"]),
]
