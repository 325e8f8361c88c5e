"""Model names: which are accepted, every name derived from them, and pluralization."""

import builtins
import dataclasses

import pytest

from fastapi_db_scaffold.errors import InvalidNameError, UsageError
from fastapi_db_scaffold.naming import (
    ModelNames,
    check_model_name,
    model_names,
    pluralize,
    snake_case,
)

# ---- pluralize -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "plural"),
    [
        # -y after a consonant, after a vowel
        ("category", "categories"),
        ("company", "companies"),
        ("day", "days"),
        ("key", "keys"),
        ("survey", "surveys"),
        # irregular
        ("person", "people"),
        ("man", "men"),
        ("woman", "women"),
        ("child", "children"),
        ("mouse", "mice"),
        ("goose", "geese"),
        ("foot", "feet"),
        ("tooth", "teeth"),
        ("ox", "oxen"),
        # -s -x -z -ch -sh
        ("status", "statuses"),
        ("bus", "buses"),
        ("class", "classes"),
        ("address", "addresses"),
        ("box", "boxes"),
        ("quiz", "quizzes"),
        ("buzz", "buzzes"),
        ("match", "matches"),
        ("wish", "wishes"),
        ("epoch", "epochs"),
        # -is -> -es
        ("analysis", "analyses"),
        ("thesis", "theses"),
        # -f / -fe on the known list, else +s
        ("leaf", "leaves"),
        ("knife", "knives"),
        ("life", "lives"),
        ("wife", "wives"),
        ("half", "halves"),
        ("shelf", "shelves"),
        ("wolf", "wolves"),
        ("roof", "roofs"),
        ("chief", "chiefs"),
        # -o
        ("hero", "heroes"),
        ("potato", "potatoes"),
        ("tomato", "tomatoes"),
        ("echo", "echoes"),
        ("photo", "photos"),
        ("video", "videos"),
        ("zoo", "zoos"),
        # uncountable: kept as is
        ("data", "data"),
        ("info", "info"),
        ("news", "news"),
        ("series", "series"),
        ("species", "species"),
        ("equipment", "equipment"),
        ("information", "information"),
        ("metadata", "metadata"),
        ("sheep", "sheep"),
        ("fish", "fish"),
        ("deer", "deer"),
        ("media", "media"),
        # SQL reserved words become safe plurals
        ("order", "orders"),
        ("user", "users"),
        ("group", "groups"),
        ("post", "posts"),
        ("post2", "post2s"),
        # only the last word of a snake name changes
        ("blog_category", "blog_categories"),
        ("blog_post", "blog_posts"),
        ("sales_person", "sales_people"),
        ("user_data", "user_data"),
        ("http_log", "http_logs"),
        ("tax_status", "tax_statuses"),
    ],
)
def test_pluralize(word: str, plural: str) -> None:
    assert pluralize(word) == plural


@pytest.mark.parametrize("word", ["", "Post", "blog-post", "_post", "post_", "a__b"])
def test_pluralize_wants_a_snake_case_name(word: str) -> None:
    with pytest.raises(ValueError, match="not a lowercase snake_case name"):
        pluralize(word)


# ---- snake_case and model_names ---------------------------------------------------


@pytest.mark.parametrize(
    ("class_name", "snake"),
    [
        ("Post", "post"),
        ("BlogPost", "blog_post"),
        ("HTTPLog", "http_log"),
        ("URL", "url"),
        ("Post2", "post2"),
        ("Post2Comment", "post2_comment"),
        ("APIKey", "api_key"),
        ("UserAPIKey", "user_api_key"),
    ],
)
def test_snake_case(class_name: str, snake: str) -> None:
    assert snake_case(class_name) == snake


def test_model_names_of_post() -> None:
    assert model_names("Post") == ModelNames(
        class_name="Post",
        plural_class="Posts",
        snake="post",
        plural_snake="posts",
        table="posts",
        module="post",
        router_module="posts",
        url_prefix="/posts",
        tag="posts",
        create="PostCreate",
        update="PostUpdate",
        public="PostPublic",
        page="PostsPublic",
        filters="PostFilters",
        repository="PostRepository",
        reads="PostReads",
        human="post",
        human_plural="posts",
        title="Post",
        variable="post",
        plural_variable="posts",
        id_param="post_id",
    )


def test_handler_and_factory_names() -> None:
    names = model_names("BlogPost")
    assert (
        names.read_handler,
        names.list_handler,
        names.create_handler,
        names.update_handler,
        names.delete_handler,
        names.factory,
    ) == (
        "read_blog_post",
        "read_blog_posts",
        "create_blog_post",
        "update_blog_post",
        "delete_blog_post",
        "create_random_blog_post",
    )


# class name -> (snake, plural_snake, url_prefix, page, human, human_plural, title)
DERIVED = {
    "BlogPost": (
        "blog_post",
        "blog_posts",
        "/blog-posts",
        "BlogPostsPublic",
        "blog post",
        "blog posts",
        "Blog post",
    ),
    "HTTPLog": (
        "http_log",
        "http_logs",
        "/http-logs",
        "HTTPLogsPublic",
        "HTTP log",
        "HTTP logs",
        "HTTP log",
    ),
    "Category": (
        "category",
        "categories",
        "/categories",
        "CategoriesPublic",
        "category",
        "categories",
        "Category",
    ),
    "BlogCategory": (
        "blog_category",
        "blog_categories",
        "/blog-categories",
        "BlogCategoriesPublic",
        "blog category",
        "blog categories",
        "Blog category",
    ),
    "Person": (
        "person",
        "people",
        "/people",
        "PeoplePublic",
        "person",
        "people",
        "Person",
    ),
    "Box": ("box", "boxes", "/boxes", "BoxesPublic", "box", "boxes", "Box"),
    "Analysis": (
        "analysis",
        "analyses",
        "/analyses",
        "AnalysesPublic",
        "analysis",
        "analyses",
        "Analysis",
    ),
    "URL": ("url", "urls", "/urls", "URLsPublic", "URL", "URLs", "URL"),
    "Order": ("order", "orders", "/orders", "OrdersPublic", "order", "orders", "Order"),
    "User": ("user", "users", "/users", "UsersPublic", "user", "users", "User"),
    "Group": ("group", "groups", "/groups", "GroupsPublic", "group", "groups", "Group"),
    "News": ("news", "news", "/news", "NewsListPublic", "news", "news", "News"),
}


@pytest.mark.parametrize(("class_name", "expected"), DERIVED.items())
def test_derived_names(class_name: str, expected: tuple[str, ...]) -> None:
    names = model_names(class_name)
    snake, plural, url, page, human, human_plural, title = expected
    assert (names.snake, names.plural_snake, names.table) == (snake, plural, plural)
    assert (names.module, names.router_module) == (snake, plural)
    assert (names.url_prefix, names.tag) == (url, url.removeprefix("/"))
    assert names.page == page
    assert (names.human, names.human_plural, names.title) == (
        human,
        human_plural,
        title,
    )
    assert names.create == f"{class_name}Create"
    assert names.update == f"{class_name}Update"
    assert names.public == f"{class_name}Public"
    assert names.filters == f"{class_name}Filters"
    assert names.repository == f"{class_name}Repository"
    assert names.id_param == f"{snake}_id"


def test_an_uncountable_model_keeps_its_list_names_apart() -> None:
    """News: the plural is the singular, so the page type and list names differ."""
    names = model_names("News")
    assert names.page != names.public
    assert names.plural_variable == "news_list"
    assert names.list_handler == "read_news_list"
    assert names.read_handler == "read_news"


@pytest.mark.parametrize(
    ("class_name", "variable", "plural_variable"),
    [
        ("Post", "post", "posts"),
        ("Status", "status_", "statuses"),
        ("Client", "client", "clients"),
        ("Filter", "filter", "filters_"),
        ("Repository", "repository_", "repositories"),
        ("Data", "data_", "data_list"),
        ("Item", "item", "items"),
        ("Total", "total", "totals"),
        ("EagerLoad", "eager_load", "eager_loads_"),
        ("Order", "order", "orders"),
        ("Engine2", "engine2", "engine2s"),
    ],
)
def test_variables_do_not_shadow_names_of_the_generated_code(
    class_name: str, variable: str, plural_variable: str
) -> None:
    names = model_names(class_name)
    assert (names.variable, names.plural_variable) == (variable, plural_variable)


def test_model_names_is_frozen() -> None:
    names = model_names("Post")
    with pytest.raises(dataclasses.FrozenInstanceError):
        names.snake = "other"  # type: ignore[misc]


def test_model_names_wants_pascal_case() -> None:
    with pytest.raises(InvalidNameError, match="PascalCase"):
        model_names("blog_post")


# ---- check_model_name -------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Post",
        "BlogPost",
        "HTTPLog",
        "Category",
        "Person",
        "News",
        "Order",
        "User",
        "Group",
        "Status",
        "Client",
        "Testimonial",
        "Post2",
        "Match",
        "Event",
    ],
)
def test_good_model_names_are_returned_unchanged(name: str) -> None:
    assert check_model_name(name).class_name == name


PASCAL = (
    "must be a PascalCase ASCII identifier: an uppercase letter, then letters and "
    "digits, e.g. Post or BlogPost"
)
NOT_A_PATH = "a class name, not a path (use --project to pick a project)"


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("", "empty; a model name is a PascalCase identifier like Post"),
        ("post", f"{PASCAL} (did you mean 'Post'?)"),
        ("blog_post", f"{PASCAL} (did you mean 'BlogPost'?)"),
        ("Blog_Post", PASCAL),
        ("Post!", PASCAL),
        ("1Post", PASCAL),
        ("Po st", PASCAL),
        ("Café", PASCAL),
        ("Post-Comment", PASCAL),
        ("../Post", NOT_A_PATH),
        ("models/Post", NOT_A_PATH),
        ("a\\Post", NOT_A_PATH),
        ("Post.py", NOT_A_PATH),
        ("None", "a Python keyword"),
        ("True", "a Python keyword"),
        ("Exception", "a Python builtin; the model would shadow it"),
        ("ValueError", "a Python builtin; the model would shadow it"),
        ("Ellipsis", "a Python builtin; the model would shadow it"),
        (
            "Base",
            "the generated code already uses this name (from the declarative base "
            "in db.py); pick another name",
        ),
        (
            "Page",
            "the generated code already uses this name (from the page type in "
            "schemas/common.py); pick another name",
        ),
        (
            "Mapped",
            "the generated code already uses this name (from SQLAlchemy); "
            "pick another name",
        ),
        (
            "BaseModel",
            "the generated code already uses this name (from Pydantic); "
            "pick another name",
        ),
        (
            "Decimal",
            "the generated code already uses this name (from the standard library); "
            "pick another name",
        ),
        ("Str", "reads like the field type 'str'"),
        ("Bigint", "reads like the field type 'bigint'"),
        ("Test", "pytest would collect a class named Test... as a test class"),
        ("TestRun", "pytest would collect a class named Test... as a test class"),
        (
            "Class",
            "its snake_case form 'class' is a Python keyword, and the generated code "
            "uses it as a module and variable name",
        ),
        (
            "A",
            "its plural form 'as' is a Python keyword, and the generated code uses it "
            "as a module and variable name",
        ),
        (
            "Config",
            "its module name 'config' is already taken in the generated project "
            "(config, db, errors, main, models, schemas, repositories, routers, "
            "health, common, tests, ...)",
        ),
    ],
)
def test_bad_model_names_are_refused_naming_the_rule(name: str, rule: str) -> None:
    with pytest.raises(InvalidNameError) as caught:
        check_model_name(name)
    assert str(caught.value) == f"invalid model name {name!r}: {rule}"


@pytest.mark.parametrize(
    ("name", "key_words"),
    [
        ("Base", "db.py"),
        ("SessionDep", "db.py"),
        ("Page", "schemas/common.py"),
        ("WebUrl", "schemas/common.py"),
        ("StatementRecorder", "tests/support.py"),
        ("CONFLICT", "errors.py"),
        ("UNAVAILABLE", "errors.py"),
        ("Double", "SQLAlchemy"),
        ("Numeric", "SQLAlchemy"),
        ("Database", "module name 'database'"),
        ("Field", "Pydantic"),
        ("Any", "standard library"),
        ("UUID", "standard library"),
        ("Enum", "SQLAlchemy"),
        ("Literal", "standard library"),
        ("Session", "SQLAlchemy"),
        ("Text", "schemas/common.py"),
        ("Mapped", "SQLAlchemy"),
        ("Date", "SQLAlchemy"),
        ("APIRouter", "FastAPI"),
        ("Db", "module name 'db'"),
        ("Errors", "module name 'errors'"),
        ("Error", "module name 'errors'"),
        ("Main", "module name 'main'"),
        ("Common", "module name 'common'"),
        ("Model", "module name 'models'"),
        ("Router", "module name 'routers'"),
        ("Migration", "module name 'migrations'"),
        ("Import", "'import' is a Python keyword"),
        ("Global", "'global' is a Python keyword"),
        ("Int", "field type 'int'"),
        ("Json", "field type 'json'"),
        ("Email", "field type 'email'"),
        ("Url", "field type 'url'"),
        ("URL", "field type 'url'"),
        ("X" * 64, "longer than 63 characters"),
    ],
)
def test_more_refusals_name_their_reason(name: str, key_words: str) -> None:
    with pytest.raises(InvalidNameError, match="invalid model name") as caught:
        check_model_name(name)
    assert key_words in str(caught.value)


def test_every_pascal_case_builtin_is_refused() -> None:
    for name in vars(builtins):
        if name[:1].isupper():
            with pytest.raises(InvalidNameError):
                check_model_name(name)


@pytest.mark.parametrize(
    ("name", "known", "rule"),
    [
        (
            "Post",
            {"Post", "User"},
            "a model of that name already exists in this project",
        ),
        (
            "HttpLog",
            {"HTTPLog"},
            "its module name 'http_log' is the one of model HTTPLog",
        ),
        ("New", {"News"}, "its table name 'news' is the one of model News"),
        (
            "UserPublic",
            {"User"},
            "would define UserPublic, which model User already defines",
        ),
        (
            "Users",
            {"User"},
            "would define UsersPublic, which model User already defines",
        ),
        (
            "User",
            {"UserPublic"},
            "would define UserPublic, which model UserPublic already defines",
        ),
        (
            "People",
            {"Person"},
            "would define PeoplePublic, which model Person already defines",
        ),
    ],
)
def test_a_new_model_must_not_clash_with_known_ones(
    name: str, known: set[str], rule: str
) -> None:
    with pytest.raises(InvalidNameError) as caught:
        check_model_name(name, known_models=known)
    assert str(caught.value) == f"invalid model name {name!r}: {rule}"


def test_unrelated_known_models_are_fine() -> None:
    known = {"User", "Person", "Category", "BlogPost"}
    assert check_model_name("Post", known_models=known).class_name == "Post"
    assert check_model_name("Personnel", known_models=known).class_name == "Personnel"


def test_a_bad_model_name_is_a_usage_error_with_exit_code_2() -> None:
    with pytest.raises(UsageError) as caught:
        check_model_name("post")
    assert caught.value.exit_code == 2
