"""choices.py: the project-name rule, the driver facts, and copier.yml made from them.

The parity test feeds the same names to a real `copier copy` of this repository and to
`fastapi-db new`: both must give the same verdict (and the same reason).
"""

import importlib.util
import keyword
import re
import sys
import warnings
from importlib import metadata
from pathlib import Path

import copier
import pytest
from copier.errors import DirtyLocalWarning

from fastapi_db_scaffold import choices
from fastapi_db_scaffold.choices import (
    DEPENDENCY_MODULES,
    KEYWORDS,
    PROJECT_NAME_PATTERN,
    SOFT_KEYWORDS,
    STDLIB_MODULES,
    SYNC_SERVER_DRIVERS,
    Database,
    Engine,
    bare_scheme_drivers,
    check_choice,
    check_project_name,
    driver,
    updated_copier_yml,
)
from fastapi_db_scaffold.errors import InvalidNameError, UsageError

from .cli_support import invoke
from .matrix import REPO_ROOT

# Every name with its verdict: None (accepted) or a few words of the refusal.
NAMES: list[tuple[str, str | None]] = [
    ("demo", None),
    ("my_app", None),
    ("shop2", None),
    ("x", None),
    ("app", None),  # the most common FastAPI package name; installed nowhere
    ("a" * 64, None),
    ("a" * 65, "longer than 64 characters"),
    ("p" * 300, "longer than 64 characters"),
    ("class", "a Python keyword"),
    ("async", "a Python keyword"),
    ("match", "a Python soft keyword"),
    ("case", "a Python soft keyword"),
    ("type", "a Python soft keyword"),
    ("_", "lowercase Python identifier"),
    ("json", "a standard library module"),
    ("email", "a standard library module"),
    ("calendar", "a standard library module"),
    ("asyncio", "a standard library module"),
    ("test", None),  # CPython's own tests: not in sys.stdlib_module_names
    ("annotationlib", "a standard library module"),  # Python 3.14
    ("fastapi", "a dependency of the generated project"),
    ("sqlalchemy", "a dependency of the generated project"),
    ("greenlet", "a dependency of the generated project"),
    ("pydantic_core", "a dependency of the generated project"),
    ("httpx2", "a dependency of the generated project"),
    ("tests", "the project's own folder"),
    ("migrations", "the project's own folder"),
    ("Demo", "lowercase Python identifier"),
    ("MY_APP", "lowercase Python identifier"),
    ("1abc", "lowercase Python identifier"),
    ("_private", "lowercase Python identifier"),
    ("my-app", "lowercase Python identifier"),
    ("my.app", "lowercase Python identifier"),
    ("my app", "lowercase Python identifier"),
    ("café", "lowercase Python identifier"),
    ("демо", "lowercase Python identifier"),
    ("demo\n", "lowercase Python identifier"),
    ("a/b", "not a path"),
    ("../evil", "not a path"),
    ("a\\b", "not a path"),
    (".hidden", "not a path"),
    ("..", "not a path"),
    ("/" + "p" * 300, "not a path"),
    ("", "empty"),
]


def _id(name: str) -> str:
    return repr(name if len(name) < 20 else f"{name[:8]}...{len(name)}")


@pytest.mark.parametrize(("name", "refusal"), NAMES, ids=[_id(n) for n, _ in NAMES])
def test_the_rule_gives_each_name_its_verdict(name: str, refusal: str | None) -> None:
    if refusal is None:
        assert check_project_name(name) == name
        return
    with pytest.raises(InvalidNameError) as caught:
        check_project_name(name)
    message = str(caught.value)
    assert message.startswith(f"invalid project name {name!r}: ")
    assert refusal in message
    assert "\n" not in message.replace(repr(name), "")


def _copier_verdict(name: str, dest: Path) -> str | None:
    """None when a plain `copier copy` of this repository accepts `name`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DirtyLocalWarning)
            copier.run_copy(
                src_path=str(REPO_ROOT),
                dst_path=dest,
                data={"project_name": name},
                defaults=True,
                quiet=True,
                unsafe=False,
                vcs_ref="HEAD",
            )
    except ValueError as error:
        prefix = "Validation error for question 'project_name': "
        assert str(error).startswith(prefix), error
        return str(error).removeprefix(prefix)
    assert (dest / name / "main.py").is_file()
    return None


def _cli_verdict(name: str, dest: Path) -> str | None:
    """None when `fastapi-db new NAME --yes` accepts `name`."""
    result = invoke("new", name, "--yes", "--dest", str(dest))
    if result.exit_code == 0:
        assert (dest / name / "main.py").is_file()
        return None
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr
    prefix = f"error: invalid project name {name!r}: "
    assert result.stderr.startswith(prefix), result.stderr
    assert not dest.exists()
    return result.stderr.removeprefix(prefix).rstrip("\n")


def test_copier_copy_and_fastapi_db_new_give_the_same_verdicts(tmp_path: Path) -> None:
    verdicts = {}
    for number, (name, _) in enumerate(NAMES):
        by_copier = _copier_verdict(name, tmp_path / f"copier{number}")
        by_cli = _cli_verdict(name, tmp_path / f"cli{number}")
        verdicts[name] = (by_copier, by_cli)
    disagreements = {name: v for name, v in verdicts.items() if v[0] != v[1]}
    assert disagreements == {}
    expected = {name: refusal is None for name, refusal in NAMES}
    assert {name: v[0] is None for name, v in verdicts.items()} == expected


def test_copier_yml_is_generated_from_choices() -> None:
    text = (REPO_ROOT / "copier.yml").read_text(encoding="utf-8")
    assert updated_copier_yml(text) == text, (
        "copier.yml is stale: run `python -m fastapi_db_scaffold.choices` "
        "and commit the rewritten copier.yml"
    )


def test_regenerating_needs_the_markers() -> None:
    with pytest.raises(ValueError, match="no block between"):
        updated_copier_yml("project_name:\n  type: str\n")


def test_the_entry_point_rewrites_a_stale_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "copier.yml"
    begin, end = choices.BEGIN_MARKER, choices.END_MARKER
    path.write_text(f"_subdirectory: template\n{begin}\nold\n{end}\ntail: 1\n")
    assert choices._main(path) == 0
    rewritten = path.read_text()
    assert rewritten == updated_copier_yml(rewritten)
    assert rewritten.startswith(f"_subdirectory: template\n{begin}\nproject_name:\n")
    assert rewritten.endswith(f"{end}\ntail: 1\n")
    assert choices._main(path) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"rewrote the generated block of {path}",
        f"{path} is up to date",
    ]


# ---- the frozen lists cover what they claim ------------------------------------------


def test_keywords_cover_this_python() -> None:
    assert set(keyword.kwlist) <= KEYWORDS
    assert set(keyword.softkwlist) <= SOFT_KEYWORDS


def test_stdlib_modules_cover_this_python() -> None:
    names = {n for n in sys.stdlib_module_names if re.search(PROJECT_NAME_PATTERN, n)}
    assert names - STDLIB_MODULES == set()


def _load_script() -> object:
    path = REPO_ROOT / "scripts" / "dependency_modules.py"
    spec = importlib.util.spec_from_file_location("dependency_modules", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_requirement_of_the_template_is_a_reserved_module() -> None:
    """A new dependency in template/pyproject.toml.jinja needs a regenerated list
    (`python scripts/dependency_modules.py`)."""
    script = _load_script()
    owners = metadata.packages_distributions()
    for requirement in script.template_requirements():  # type: ignore[attr-defined]
        key = re.sub(r"[-_.]+", "-", requirement.name).lower()
        modules = {
            module
            for module, dists in owners.items()
            if key in {re.sub(r"[-_.]+", "-", d).lower() for d in dists}
            and re.search(PROJECT_NAME_PATTERN, module)
        }
        assert modules, f"{requirement} is not installed"
        assert modules <= DEPENDENCY_MODULES, requirement


# ---- engines, databases, drivers -----------------------------------------------------


def test_engines_and_databases() -> None:
    assert [e.value for e in Engine] == ["async", "sync"]
    assert [d.value for d in Database] == ["sqlite", "postgresql", "mysql"]
    assert Engine.ASYNC.is_async and not Engine.SYNC.is_async
    assert (choices.DEFAULT_ENGINE, choices.DEFAULT_DATABASE) == ("async", "sqlite")
    assert choices.DEFAULT_REPOSITORY is True


@pytest.mark.parametrize(
    ("engine", "database", "drivername", "requirement", "url"),
    [
        (
            "async",
            "sqlite",
            "sqlite+aiosqlite",
            "aiosqlite>=0.20",
            "sqlite+aiosqlite:///./app.db",
        ),
        ("sync", "sqlite", "sqlite+pysqlite", "", "sqlite:///./app.db"),
        (
            "async",
            "postgresql",
            "postgresql+asyncpg",
            "asyncpg>=0.29",
            "postgresql+asyncpg://postgres:postgres@localhost:5432/app",
        ),
        (
            "sync",
            "postgresql",
            "postgresql+psycopg",
            "psycopg[binary]>=3.2",
            "postgresql+psycopg://postgres:postgres@localhost:5432/app",
        ),
        (
            "async",
            "mysql",
            "mysql+asyncmy",
            "asyncmy>=0.2.10",
            "mysql+asyncmy://root:mysql@localhost:3306/app?charset=utf8mb4",
        ),
        (
            "sync",
            "mysql",
            "mysql+pymysql",
            "pymysql>=1.1",
            "mysql+pymysql://root:mysql@localhost:3306/app?charset=utf8mb4",
        ),
    ],
)
def test_driver_facts(
    engine: str, database: str, drivername: str, requirement: str, url: str
) -> None:
    facts = driver(engine, database)
    assert (facts.drivername, facts.requirement, facts.default_url) == (
        drivername,
        requirement,
        url,
    )


def test_bare_schemes_and_their_aliases() -> None:
    assert bare_scheme_drivers(Engine.ASYNC) == {
        "sqlite": "sqlite+aiosqlite",
        "postgresql": "postgresql+asyncpg",
        "postgres": "postgresql+asyncpg",
        "mysql": "mysql+asyncmy",
        "mariadb": "mariadb+asyncmy",
    }
    assert bare_scheme_drivers("sync")["mariadb"] == "mariadb+pymysql"
    assert SYNC_SERVER_DRIVERS == {
        "postgresql": "postgresql+psycopg",
        "mysql": "mysql+pymysql",
    }


def test_check_choice() -> None:
    check_choice("engine", None, Engine)
    check_choice("database", "mysql", Database)
    with pytest.raises(UsageError) as caught:
        check_choice("database", "oracle", Database)
    assert str(caught.value) == (
        "invalid database 'oracle': choose one of sqlite, postgresql, mysql"
    )
