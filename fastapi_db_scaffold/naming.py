"""Naming rules: which model names are allowed, and how a model is named.

Project names follow another rule, `choices.check_project_name`, which the template's
copier.yml shares.

A model name is a PascalCase class name; every other name of the model derives from it:

    Post      -> post, posts, /posts, PostCreate, PostUpdate, PostPublic, PostsPublic
    BlogPost  -> blog_post, blog_posts, /blog-posts, ..., BlogPostsPublic
    Category  -> category, categories, /categories, ..., CategoriesPublic
    Person    -> person, people, /people, ..., PeoplePublic

`check_model_name` refuses names that would not survive in the generated code (names
the generated modules already import or define, module names the project already has,
snake forms that are keywords), and `model_names` computes the derived names.
"""

import builtins
import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import InvalidNameError
from .field_types import FIELD_TYPES, RELATION
from .imports import STANDARD_IMPORTS

__all__ = [
    "ModelNames",
    "check_enum_alias",
    "check_model_name",
    "model_names",
    "pluralize",
    "snake_case",
]

# ---- pluralization ---------------------------------------------------------------

_IRREGULAR_PLURALS = {
    "child": "children", "foot": "feet", "goose": "geese", "man": "men",
    "mouse": "mice", "ox": "oxen", "person": "people", "tooth": "teeth",
    "woman": "women",
}  # fmt: skip
_UNCOUNTABLE = frozenset(
    {
        "aircraft", "data", "deer", "equipment", "feedback", "fish", "info",
        "information", "media", "metadata", "news", "series", "sheep", "software",
        "species",
    }
)  # fmt: skip
_F_TO_VES = {
    "calf": "calves", "elf": "elves", "half": "halves", "knife": "knives",
    "leaf": "leaves", "life": "lives", "loaf": "loaves", "self": "selves",
    "shelf": "shelves", "thief": "thieves", "wife": "wives", "wolf": "wolves",
}  # fmt: skip
_O_TO_OES = frozenset({"echo", "hero", "potato", "tomato", "torpedo", "veto"})
_Z_DOUBLED = frozenset({"fez", "quiz", "whiz"})
_CH_AS_K = frozenset({"epoch", "monarch", "stomach", "tech"})
_VOWELS = frozenset("aeiou")
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def _plural_word(word: str) -> str:
    if word in _UNCOUNTABLE:
        return word
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if word in _F_TO_VES:
        return _F_TO_VES[word]
    if word in _Z_DOUBLED:
        return word + "zes"
    if word in _CH_AS_K:
        return word + "s"
    if word.endswith("is") and len(word) > 2:
        return word[:-2] + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in _VOWELS:
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word in _O_TO_OES:
        return word + "es"
    return word + "s"


def pluralize(word: str) -> str:
    """The English plural of a lowercase snake_case name; only its last word changes.

    Deterministic and rule-based: irregular nouns (person -> people), uncountable ones
    kept as they are (news, data), -y after a consonant -> -ies, -s/-x/-z/-ch/-sh ->
    +es, -is -> -es, a short list of -f/-fe -> -ves and -o -> -oes, else +s.
    """
    if not _SNAKE.fullmatch(word):
        raise ValueError(f"not a lowercase snake_case name: {word!r}")
    head, _, last = word.rpartition("_")
    plural = _plural_word(last)
    return f"{head}_{plural}" if head else plural


# ---- model names -----------------------------------------------------------------

_PASCAL_CASE = re.compile(r"[A-Z][A-Za-z0-9]*")
_ACRONYM_BOUNDARY = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")

# Names the snippets use from the project's own modules (the models' own modules
# come first when imports are resolved, so only these matter); with the third-party
# names of `imports.STANDARD_IMPORTS`, a model's class names must not be one of them.
_PROJECT_NAMES = {
    "Base": "the declarative base in db.py",
    "SessionDep": "the session dependency in db.py",
    "ReadSessionDep": "the read session dependency in db.py",
    "ReadConnectionDep": "the read connection dependency in db.py",
    "UTCDateTime": "the datetime column type in column_types.py",
    "PreciseTime": "the time column type in column_types.py",
    "Page": "the page type in schemas/common.py",
    **dict.fromkeys(
        ["Id", "Int32", "Int64", "FiniteFloat", "Text", "JsonObject", "TimeOfDay"],
        "a validated type in schemas/common.py",
    ),
    "WebUrl": "a validated type in schemas/common.py",
    "StatementRecorder": "the statement recorder in tests/support.py",
    **dict.fromkeys(
        ["BAD_REQUEST", "CONFLICT", "NOT_FOUND", "UNAVAILABLE"],
        "the documented error responses in errors.py",
    ),
}
_LIBRARIES = {
    "fastapi": "FastAPI",
    "httpx2": "FastAPI's test clients",
    "pydantic": "Pydantic",
    "sqlalchemy": "SQLAlchemy",
}
_GENERATED_CODE_NAMES = {
    **{
        name: _LIBRARIES.get(module.split(".")[0], "the standard library")
        for name, module in STANDARD_IMPORTS.items()
        if module is not None and name[0].isupper()
    },
    **_PROJECT_NAMES,
}
# Modules and packages the generated project already has (models, schemas and
# repositories are named after the singular, routers and tests after the plural).
_PROJECT_MODULES = frozenset(
    {
        "common", "config", "conftest", "database", "db", "errors", "factories",
        "health", "main", "migrations", "models", "repositories", "routers",
        "schemas", "tests",
    }
)  # fmt: skip
# Field type names: a model called `Str` would read as a typo in `title:Str`, and
# `Double` in `ratio:Double` is read as a misspelling of `float`.
_FIELD_TYPE_NAMES = frozenset(FIELD_TYPES) - {RELATION}
_TYPE_MISSPELLINGS = {
    spelling: entry.name
    for entry in FIELD_TYPES.values()
    for spelling in entry.misspellings
}
# Names the router's and repository's functions use beside a model's variables
# (parameters, locals, what they call): a model's variable takes a trailing underscore
# instead of shadowing one. The singular (`post`) lives in the functions of one row,
# the plural (`posts`) in those of a page.
_TAKEN_BY_ROW_FUNCTIONS = frozenset(
    {
        "changes", "connection", "data", "eager_loads", "repository", "row_reader",
        "saved", "self", "session", "statement", "status", "update",
    }
)  # fmt: skip
_TAKEN_BY_PAGE_FUNCTIONS = frozenset(
    {
        "conditions", "connection", "descending", "eager_loads", "filters", "func",
        "item", "ordering", "page_query", "repository", "row_reader", "select", "self",
        "session", "sort_column", "status", "total",
    }
)  # fmt: skip
MAX_IDENTIFIER_LENGTH = 63  # PostgreSQL truncates longer names; MySQL allows 64


@dataclass(frozen=True, slots=True)
class ModelNames:
    """Every name derived from a model's class name (shown for `BlogPost`)."""

    class_name: str  # BlogPost
    plural_class: str  # BlogPosts
    snake: str  # blog_post
    plural_snake: str  # blog_posts
    table: str  # blog_posts
    module: str  # blog_post: models/, schemas/ and repositories/ module stem
    router_module: str  # blog_posts: routers/ module stem
    url_prefix: str  # /blog-posts
    tag: str  # blog-posts
    create: str  # BlogPostCreate
    update: str  # BlogPostUpdate
    public: str  # BlogPostPublic
    page: str  # BlogPostsPublic (NewsListPublic when the plural is the singular)
    filters: str  # BlogPostFilters
    repository: str  # BlogPostRepository
    reads: str  # BlogPostReads
    human: str  # blog post
    human_plural: str  # blog posts
    title: str  # Blog post
    variable: str  # blog_post (status_ where `status` is taken in generated code)
    plural_variable: str  # blog_posts (news_list when the plural is the singular)
    id_param: str  # blog_post_id

    @property
    def read_handler(self) -> str:
        return f"read_{self.snake}"

    @property
    def list_handler(self) -> str:
        return f"read_{self.plural_variable.rstrip('_')}"

    @property
    def create_handler(self) -> str:
        return f"create_{self.snake}"

    @property
    def update_handler(self) -> str:
        return f"update_{self.snake}"

    @property
    def delete_handler(self) -> str:
        return f"delete_{self.snake}"

    @property
    def factory(self) -> str:
        """The test helper that inserts a row: create_random_blog_post."""
        return f"create_random_{self.snake}"

    def derived_class_names(self) -> frozenset[str]:
        """Every class name this model brings into the generated code."""
        return frozenset(
            {
                self.class_name,
                self.create,
                self.update,
                self.public,
                self.page,
                self.filters,
                self.repository,
                self.reads,
            }
        )


def _words(class_name: str) -> list[str]:
    spaced = _ACRONYM_BOUNDARY.sub(r"\1_\2", class_name)
    return _WORD_BOUNDARY.sub(r"\1_\2", spaced).split("_")


def snake_case(class_name: str) -> str:
    """BlogPost -> blog_post, HTTPLog -> http_log, Post2 -> post2."""
    return "_".join(_words(class_name)).lower()


def _is_acronym(word: str) -> bool:
    return len(word) > 1 and word.isupper()


def _plural_of_cased(word: str) -> str:
    """Pluralize a class-name word, keeping its case: Box -> Boxes, URL -> URLs."""
    plural = _plural_word(word.lower())
    if plural.startswith(word.lower()):
        return word + plural[len(word) :]
    return plural.capitalize()


def _require_pascal_case(name: str) -> None:
    if not name.isascii() or not _PASCAL_CASE.fullmatch(name):
        hint = ""
        if _SNAKE.fullmatch(name):
            suggestion = "".join(part.capitalize() for part in name.split("_"))
            hint = f" (did you mean {suggestion!r}?)"
        raise InvalidNameError(
            f"invalid model name {name!r}: must be a PascalCase ASCII identifier: an "
            f"uppercase letter, then letters and digits, e.g. Post or BlogPost{hint}"
        )


def model_names(class_name: str) -> ModelNames:
    """All the derived names of a (PascalCase) model class name."""
    _require_pascal_case(class_name)
    words = _words(class_name)
    snake = "_".join(words).lower()
    plural_snake = pluralize(snake)
    plural_class = "".join(words[:-1]) + _plural_of_cased(words[-1])
    if plural_snake == snake:
        page = f"{class_name}ListPublic"
        plural_variable = f"{snake}_list"
    else:
        page = f"{plural_class}Public"
        plural_variable = plural_snake
    human_words = [word if _is_acronym(word) else word.lower() for word in words]
    last = words[-1]
    plural_last = (
        _plural_of_cased(last) if _is_acronym(last) else pluralize(last.lower())
    )
    human = " ".join(human_words)
    return ModelNames(
        class_name=class_name,
        plural_class=plural_class,
        snake=snake,
        plural_snake=plural_snake,
        table=plural_snake,
        module=snake,
        router_module=plural_snake,
        url_prefix="/" + plural_snake.replace("_", "-"),
        tag=plural_snake.replace("_", "-"),
        create=f"{class_name}Create",
        update=f"{class_name}Update",
        public=f"{class_name}Public",
        page=page,
        filters=f"{class_name}Filters",
        repository=f"{class_name}Repository",
        reads=f"{class_name}Reads",
        human=human,
        human_plural=" ".join([*human_words[:-1], plural_last]),
        title=human[0].upper() + human[1:],
        variable=snake + "_" if snake in _TAKEN_BY_ROW_FUNCTIONS else snake,
        plural_variable=(
            plural_variable + "_"
            if plural_variable in _TAKEN_BY_PAGE_FUNCTIONS
            else plural_variable
        ),
        id_param=f"{snake}_id",
    )


def _refuse(name: str, reason: str) -> InvalidNameError:
    return InvalidNameError(f"invalid model name {name!r}: {reason}")


def _check_alone(name: str) -> ModelNames:
    if not name:
        raise _refuse(name, "empty; a model name is a PascalCase identifier like Post")
    if "/" in name or "\\" in name or "." in name:
        raise _refuse(
            name, "a class name, not a path (use --project to pick a project)"
        )
    _require_pascal_case(name)
    if keyword.iskeyword(name):
        raise _refuse(name, "a Python keyword")
    if name in vars(builtins):
        raise _refuse(name, "a Python builtin; the model would shadow it")
    if name in _GENERATED_CODE_NAMES:
        raise _refuse(
            name,
            "the generated code already uses this name "
            f"(from {_GENERATED_CODE_NAMES[name]}); pick another name",
        )
    if name.lower() in _FIELD_TYPE_NAMES:
        raise _refuse(name, f"reads like the field type {name.lower()!r}")
    if name in _TYPE_MISSPELLINGS:
        raise _refuse(
            name,
            f"reads like the field type {_TYPE_MISSPELLINGS[name]!r} "
            "(a relation to it could not be written)",
        )
    if re.fullmatch(r"Test([A-Z0-9].*)?", name):
        raise _refuse(
            name, "pytest would collect a class named Test... as a test class"
        )
    names = model_names(name)
    for form, kind in ((names.snake, "snake_case"), (names.plural_snake, "plural")):
        if keyword.iskeyword(form):
            raise _refuse(
                name,
                f"its {kind} form {form!r} is a Python keyword, and the generated "
                "code uses it as a module and variable name",
            )
    for form in (names.snake, names.plural_snake):
        if form in _PROJECT_MODULES:
            raise _refuse(
                name,
                f"its module name {form!r} is already taken in the generated project "
                "(config, db, errors, main, models, schemas, repositories, routers, "
                "health, common, tests, ...)",
            )
    if len(names.table) > MAX_IDENTIFIER_LENGTH:
        raise _refuse(
            name,
            f"its table name {names.table!r} is longer than {MAX_IDENTIFIER_LENGTH} "
            "characters (the PostgreSQL limit; MySQL allows 64)",
        )
    return names


def check_model_name(name: str, *, known_models: Iterable[str] = ()) -> ModelNames:
    """The names of a new model called `name`, or InvalidNameError if it cannot be.

    `known_models` are the project's existing models: the new one must not be one of
    them, nor share a module, table or class name (e.g. `New` and `News` would both
    use the table `news`; `UserPublic` would meet the schema of `User`).
    """
    names = _check_alone(name)
    for known in sorted(set(known_models)):
        if known == name:
            raise _refuse(name, "a model of that name already exists in this project")
        other = model_names(known)
        if other.snake == names.snake:
            raise _refuse(
                name, f"its module name {names.snake!r} is the one of model {known}"
            )
        if other.table == names.table:
            raise _refuse(
                name, f"its table name {names.table!r} is the one of model {known}"
            )
        shared = names.derived_class_names() & other.derived_class_names()
        if shared:
            raise _refuse(
                name,
                f"would define {min(shared)}, which model {known} already defines",
            )
    return names


def check_enum_alias(alias: str, names: ModelNames, spec: str) -> None:
    """An enum field's Literal alias (`PostStatus`) must be a name of its own."""
    reason = None
    if alias in _GENERATED_CODE_NAMES:
        reason = f"from {_GENERATED_CODE_NAMES[alias]}"
    elif alias in names.derived_class_names():
        reason = f"a class of model {names.class_name}"
    if reason is not None:
        raise InvalidNameError(
            f'"{spec}": the enum\'s type would be named {alias}, which the generated '
            f"code already uses ({reason}); rename the field"
        )
