"""Project names: which are accepted, and the exact message for each refusal."""

import pytest

from fastapi_db_scaffold.choices import check_project_name
from fastapi_db_scaffold.errors import InvalidNameError, UsageError

NOT_AN_IDENTIFIER = (
    "must be a lowercase Python identifier "
    "(a letter, then letters, digits or underscores)"
)
NOT_A_PATH = "a name, not a path (use --dest to choose where the project goes)"
STDLIB = "a standard library module; the project's package would shadow it"
DEPENDENCY = (
    "a module of a dependency of the generated project; the package would shadow it"
)


@pytest.mark.parametrize(
    "name",
    ["demo", "my_app", "shop2", "blog_api", "inventory_service", "x1", "app", "a" * 64],
)
def test_good_project_names_are_returned_unchanged(name: str) -> None:
    assert check_project_name(name) == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("My App", NOT_AN_IDENTIFIER),
        ("1abc", NOT_AN_IDENTIFIER),
        ("MyApp", NOT_AN_IDENTIFIER),
        ("my-app", NOT_AN_IDENTIFIER),
        ("café", NOT_AN_IDENTIFIER),
        ("class", "a Python keyword"),
        ("async", "a Python keyword"),
        ("match", "a Python soft keyword"),
        ("type", "a Python soft keyword"),
        ("os", STDLIB),
        ("compression", STDLIB),
        ("fastapi", DEPENDENCY),
        ("sqlalchemy", DEPENDENCY),
        ("greenlet", DEPENDENCY),
        (
            "tests",
            "the project's own folder of that name (tests/, migrations/) is in the way",
        ),
        ("a" * 65, "longer than 64 characters"),
        ("a" * 300, "longer than 64 characters"),
        ("../evil", NOT_A_PATH),
        ("a/b", NOT_A_PATH),
        ("a\\b", NOT_A_PATH),
        (".hidden", NOT_A_PATH),
        ("..", NOT_A_PATH),
        ("", "empty; a project name is a lowercase identifier like my_app"),
    ],
)
def test_bad_project_names_are_refused_naming_the_rule(name: str, rule: str) -> None:
    with pytest.raises(InvalidNameError) as caught:
        check_project_name(name)
    assert str(caught.value) == f"invalid project name {name!r}: {rule}"


def test_a_bad_name_is_a_usage_error_with_exit_code_2() -> None:
    with pytest.raises(UsageError) as caught:
        check_project_name("1abc")
    assert caught.value.exit_code == 2
