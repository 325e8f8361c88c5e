"""The template's choices in one place: engines, databases, drivers, project names.

Everything that knows which engines and databases a generated project can have, which
SQLAlchemy driver and pip requirement each combination uses, and which project names
are allowed reads it from here: `scaffold` (the `new` command), `project` (a project's
answers file), the tests, and the template itself, whose `copier.yml` carries a block
generated from this module, so that a plain `copier copy` gives the verdicts
`fastapi-db new` gives. After changing a fact here, regenerate that block:

    python -m fastapi_db_scaffold.choices

The project-name rule is static: it does not depend on what happens to be installed
where the tool runs. A name is refused when it is empty, path-like, longer than
`MAX_PROJECT_NAME_LENGTH`, not a lowercase identifier, a keyword or soft keyword, one of
the generated project's own top-level folders, a standard-library module of any Python
the project supports, or a module that the project's dependencies install.
"""

import re
import string
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from .errors import InvalidNameError, UsageError
from .template import template_root

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_ENGINE",
    "DEFAULT_REPOSITORY",
    "DEPENDENCY_MODULES",
    "MAX_PROJECT_NAME_LENGTH",
    "PROJECT_FOLDERS",
    "PROJECT_NAME_PATTERN",
    "STDLIB_MODULES",
    "SYNC_SERVER_DRIVERS",
    "Database",
    "Driver",
    "Engine",
    "bare_scheme_drivers",
    "check_choice",
    "check_project_name",
    "driver",
    "updated_copier_yml",
]


class Engine(StrEnum):
    """SQLAlchemy flavour of the generated project."""

    ASYNC = "async"
    SYNC = "sync"

    @property
    def is_async(self) -> bool:
        return self is Engine.ASYNC


class Database(StrEnum):
    """Database the generated project targets."""

    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"
    MYSQL = "mysql"

    @property
    def label(self) -> str:
        """How Copier's questionnaire shows the choice."""
        return _LABELS[self]


_LABELS = {
    Database.SQLITE: "SQLite",
    Database.POSTGRESQL: "PostgreSQL",
    Database.MYSQL: "MySQL / MariaDB",
}

DEFAULT_ENGINE = Engine.ASYNC
DEFAULT_DATABASE = Database.SQLITE
DEFAULT_REPOSITORY = True


@dataclass(frozen=True, slots=True)
class Driver:
    """How a generated project talks to its database."""

    drivername: str
    """SQLAlchemy's `dialect+driver`, given to a bare URL (`postgresql://...`)."""
    requirement: str
    """The pip requirement of the driver; empty when the standard library has it."""
    url_scheme: str
    """The scheme the default URLs spell: the drivername, except `sqlite` for
    pysqlite (SQLAlchemy's default SQLite driver, so the same thing)."""
    default_url: str
    """The project's default `DATABASE_URL` (a local development database)."""


_DEFAULT_URL_PATHS = {
    Database.SQLITE: "/./app.db",
    Database.POSTGRESQL: "postgres:postgres@localhost:5432/app",
    Database.MYSQL: "root:mysql@localhost:3306/app?charset=utf8mb4",
}


# engine, database, SQLAlchemy drivername, pip requirement of the driver
_DRIVER_TABLE = [
    (Engine.ASYNC, Database.SQLITE, "sqlite+aiosqlite", "aiosqlite>=0.20"),
    (Engine.ASYNC, Database.POSTGRESQL, "postgresql+asyncpg", "asyncpg>=0.29"),
    (Engine.ASYNC, Database.MYSQL, "mysql+asyncmy", "asyncmy>=0.2.10"),
    (Engine.SYNC, Database.SQLITE, "sqlite+pysqlite", ""),
    (Engine.SYNC, Database.POSTGRESQL, "postgresql+psycopg", "psycopg[binary]>=3.2"),
    (Engine.SYNC, Database.MYSQL, "mysql+pymysql", "pymysql>=1.1"),
]


def _driver(database: Database, drivername: str, requirement: str) -> Driver:
    scheme = "sqlite" if drivername == "sqlite+pysqlite" else drivername
    url = f"{scheme}://{_DEFAULT_URL_PATHS[database]}"
    return Driver(drivername, requirement, scheme, url)


_DRIVERS: Mapping[tuple[Engine, Database], Driver] = {
    (engine, database): _driver(database, drivername, requirement)
    for engine, database, drivername, requirement in _DRIVER_TABLE
}

# Other names of a database that a bare URL may use, and the backend each becomes.
_SCHEME_ALIASES = {
    "postgres": (Database.POSTGRESQL, "postgresql"),
    "mariadb": (Database.MYSQL, "mariadb"),
}


def driver(engine: Engine | str, database: Database | str) -> Driver:
    """The driver facts of one engine x database combination."""
    return _DRIVERS[Engine(engine), Database(database)]


def bare_scheme_drivers(engine: Engine | str) -> dict[str, str]:
    """The drivername a generated `config.py` gives each bare URL scheme it knows."""
    drivers: dict[str, str] = {}
    for database in Database:
        drivers[database.value] = driver(engine, database).drivername
        for alias, (target, backend) in _SCHEME_ALIASES.items():
            if target is database:
                _, plus, dbapi = driver(engine, database).drivername.partition("+")
                drivers[alias] = backend + plus + dbapi
    return drivers


# What the test suite uses to reach a server, whatever the project's engine.
SYNC_SERVER_DRIVERS = {
    database.value: driver(Engine.SYNC, database).drivername
    for database in Database
    if database is not Database.SQLITE
}


def check_choice(option: str, value: str | None, choices: type[StrEnum]) -> None:
    """Refuse (UsageError) a `value` that is not one of `choices`; None is fine."""
    allowed = [choice.value for choice in choices]
    if value is not None and value not in allowed:
        raise UsageError(
            f"invalid {option} {value!r}: choose one of {', '.join(allowed)}"
        )


# ---- project names -------------------------------------------------------------------

PROJECT_NAME_PATTERN = r"\A[a-z][a-z0-9_]*\Z"  # \Z: "$" would let "demo\n" through
MAX_PROJECT_NAME_LENGTH = 64


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# keyword.kwlist and keyword.softkwlist of Python 3.11-3.14 (3.12 added `type`).
KEYWORDS = _words(
    """
    False None True and as assert async await break class continue def del elif else
    except finally for from global if import in is lambda nonlocal not or pass raise
    return try while with yield
    """
)
SOFT_KEYWORDS = frozenset({"_", "case", "match", "type"})
PROJECT_FOLDERS = frozenset({"migrations", "tests"})
# sys.stdlib_module_names of Python 3.11 plus what 3.12-3.14 added (annotationlib,
# compression); names starting with "_" or not matching the pattern left out.
STDLIB_MODULES = _words(
    """
    abc aifc annotationlib antigravity argparse array ast asynchat asyncio asyncore
    atexit audioop base64 bdb binascii bisect builtins bz2 calendar cgi cgitb chunk
    cmath cmd code codecs codeop collections colorsys compileall compression concurrent
    configparser contextlib contextvars copy copyreg crypt csv ctypes curses dataclasses
    datetime dbm decimal difflib dis distutils doctest email encodings ensurepip enum
    errno faulthandler fcntl filecmp fileinput fnmatch fractions ftplib functools gc
    genericpath getopt getpass gettext glob graphlib grp gzip hashlib heapq hmac html
    http idlelib imaplib imghdr imp importlib inspect io ipaddress itertools json
    keyword lib2to3 linecache locale logging lzma mailbox mailcap marshal math mimetypes
    mmap modulefinder msilib msvcrt multiprocessing netrc nis nntplib nt ntpath
    nturl2path numbers opcode operator optparse os ossaudiodev pathlib pdb pickle
    pickletools pipes pkgutil platform plistlib poplib posix posixpath pprint profile
    pstats pty pwd py_compile pyclbr pydoc pydoc_data pyexpat queue quopri random re
    readline reprlib resource rlcompleter runpy sched secrets select selectors shelve
    shlex shutil signal site smtpd smtplib sndhdr socket socketserver spwd sqlite3
    sre_compile sre_constants sre_parse ssl stat statistics string stringprep struct
    subprocess sunau symtable sys sysconfig syslog tabnanny tarfile telnetlib tempfile
    termios textwrap this threading time timeit tkinter token tokenize tomllib trace
    traceback tracemalloc tty turtle turtledemo types typing unicodedata unittest urllib
    uu uuid venv warnings wave weakref webbrowser winreg winsound wsgiref xdrlib xml
    xmlrpc zipapp zipfile zipimport zlib zoneinfo
    """
)
# Top-level import names of every distribution a generated project installs (runtime
# and dev dependencies of template/pyproject.toml.jinja for every combination, and
# their dependency closure), as printed by `python scripts/dependency_modules.py` in
# the tool's test environment; names starting with "_" or not matching the pattern
# left out.
DEPENDENCY_MODULES = _words(
    """
    agent_detector aiosqlite alembic annotated_doc annotated_types anyio ast_serialize
    asyncmy asyncpg certifi charset_normalizer click detect_installer dns dotenv
    email_validator fastapi fastapi_cli fastapi_cloud_cli fastapi_offline fastar google
    greenlet h11 httpcore httpcore2 httptools httpx httpx2 idna iniconfig jinja2 librt
    mako markdown_it markupsafe mdurl multipart mypy mypy_extensions mypyc opentelemetry
    packaging pathspec pluggy psycopg psycopg_binary py pydantic pydantic_core
    pydantic_extra_types pydantic_settings pygments pymysql pytest python_multipart
    requests rich rich_toolkit rignore ruff sentry_sdk shellingham sqlalchemy starlette
    truststore typer typing_extensions typing_inspection urllib3 uvicorn uvloop
    watchfiles websockets yaml
    """
)

_EMPTY = "empty; a project name is a lowercase identifier like my_app"
_PATH = "a name, not a path (use --dest to choose where the project goes)"
_TOO_LONG = f"longer than {MAX_PROJECT_NAME_LENGTH} characters"
_NOT_AN_IDENTIFIER = (
    "must be a lowercase Python identifier "
    "(a letter, then letters, digits or underscores)"
)
_KEYWORD = "a Python keyword"
_SOFT_KEYWORD = "a Python soft keyword"
_FOLDER = "the project's own folder of that name (tests/, migrations/) is in the way"
_STDLIB = "a standard library module; the project's package would shadow it"
_DEPENDENCY = (
    "a module of a dependency of the generated project; the package would shadow it"
)


def check_project_name(name: str) -> str:
    """Return `name` if it can be a project (package) name, else InvalidNameError."""
    reason = _project_name_refusal(name)
    if reason:
        raise InvalidNameError(f"invalid project name {name!r}: {reason}")
    return name


def _project_name_refusal(name: str) -> str | None:
    # The same checks, in the same order, as _COPIER_VALIDATOR.
    if not name:
        return _EMPTY
    if "/" in name or "\\" in name or name.startswith("."):
        return _PATH
    if len(name) > MAX_PROJECT_NAME_LENGTH:
        return _TOO_LONG
    if not re.search(PROJECT_NAME_PATTERN, name):
        return _NOT_AN_IDENTIFIER
    for names, reason in _RESERVED:
        if name in names:
            return reason
    return None


_RESERVED = (
    (KEYWORDS, _KEYWORD),
    (SOFT_KEYWORDS, _SOFT_KEYWORD),
    (PROJECT_FOLDERS, _FOLDER),
    (STDLIB_MODULES, _STDLIB),
    (DEPENDENCY_MODULES, _DEPENDENCY),
)


# ---- the generated block of copier.yml -----------------------------------------------

BEGIN_MARKER = (
    "# --- generated from fastapi_db_scaffold/choices.py: "
    "python -m fastapi_db_scaffold.choices ---"
)
END_MARKER = "# --- end of generated block ---"

_COPIER_VALIDATOR = string.Template("""\
{%- if not project_name -%} $empty
{%- elif '/' in project_name or '\\\\' in project_name
    or project_name.startswith('.') -%}
$path
{%- elif project_name | length > $max_length -%} $too_long
{%- elif not (project_name | regex_search('$pattern')) -%} $not_an_identifier
$reserved
{%- endif -%}""")


def _jinja_words(words: frozenset[str]) -> str:
    """`words` as a Jinja list: a quoted string of words, split."""
    lines, line = [], ""
    for word in sorted(words):
        if line and len(line) + len(word) > 80:
            lines.append(line)
            line = ""
        line = f"{line} {word}" if line else word
    if not lines:
        return f"'{line}'.split()"
    return "'\n" + "".join(f"  {text}\n" for text in [*lines, line]) + "  '.split()"


def _copier_validator() -> str:
    return _COPIER_VALIDATOR.substitute(
        empty=_EMPTY,
        path=_PATH,
        max_length=MAX_PROJECT_NAME_LENGTH,
        too_long=_TOO_LONG,
        pattern=PROJECT_NAME_PATTERN.replace("\\", "\\\\"),
        not_an_identifier=_NOT_AN_IDENTIFIER,
        reserved="\n".join(
            f"{{%- elif project_name in {_jinja_words(names)} -%}} {reason}"
            for names, reason in _RESERVED
        ),
    )


def _table(value_of: Mapping[tuple[Engine, Database], str]) -> str:
    """A Jinja lookup of one driver fact by `engine-database`."""
    rows = "".join(
        f"    '{engine}-{database}': '{value_of[engine, database]}',\n"
        for engine, database in value_of
    )
    return "{{ {\n" + rows + "}[engine ~ '-' ~ database] }}"


def _computed(name: str, kind: str, default: str) -> str:
    body = default.replace("\n", "\n    ")
    return f"{name}:\n  type: {kind}\n  when: false\n  default: >-\n    {body}\n"


def _questions() -> str:
    engines = "".join(f"    {engine}: {engine}\n" for engine in Engine)
    databases = "".join(f"    {db.label}: {db}\n" for db in Database)
    validator = _copier_validator().replace("\n", "\n    ")
    return (
        "project_name:\n  type: str\n"
        "  help: Project name (a lowercase Python identifier; also the package name)\n"
        f"  validator: |-\n    {validator}\n\n"
        "engine:\n  type: str\n  help: SQLAlchemy engine flavour\n"
        f"  choices:\n{engines}  default: {DEFAULT_ENGINE}\n\n"
        "database:\n  type: str\n  help: Database\n"
        f"  choices:\n{databases}  default: {DEFAULT_DATABASE}\n\n"
        "repository:\n  type: bool\n"
        "  help: Put queries in a repository layer (routers stay thin)\n"
        f"  default: {str(DEFAULT_REPOSITORY).lower()}\n"
    )


def _computed_values() -> str:
    drivers = "".join(
        f"    '{engine}': {{\n"
        + "".join(
            f"        '{scheme}': '{name}',\n"
            for scheme, name in bare_scheme_drivers(engine).items()
        )
        + "    },\n"
        for engine in Engine
    )
    return "\n".join(
        [
            "# ---- computed values (never asked) ----\n"
            + _computed("driver", "str", _table(_facts("url_scheme"))),
            _computed("database_url", "str", _table(_facts("default_url"))),
            _computed("driver_requirement", "str", _table(_facts("requirement"))),
            "# What config.py's normalize_database_url gives a bare URL scheme.\n"
            + _computed("drivers", "yaml", "{{ {\n" + drivers + "}[engine] }}"),
        ]
    )


def _facts(attribute: str) -> dict[tuple[Engine, Database], str]:
    return {key: getattr(facts, attribute) for key, facts in _DRIVERS.items()}


def copier_block() -> str:
    """The generated part of copier.yml, markers included."""
    return f"{BEGIN_MARKER}\n{_questions()}\n{_computed_values()}{END_MARKER}\n"


def updated_copier_yml(text: str) -> str:
    """`text` (copier.yml) with its generated block rewritten from this module."""
    begin, end = text.find(BEGIN_MARKER), text.find(END_MARKER)
    if begin < 0 or end < begin:
        raise ValueError(
            f"copier.yml has no block between {BEGIN_MARKER!r} and {END_MARKER!r}"
        )
    after = text.index("\n", end) + 1 if "\n" in text[end:] else len(text)
    return text[:begin] + copier_block() + text[after:]


def _main(path: Path | None = None) -> int:
    """Rewrite the generated block of copier.yml (the template's, by default)."""
    path = path or template_root() / "copier.yml"
    text = path.read_text(encoding="utf-8")
    updated = updated_copier_yml(text)
    if updated == text:
        print(f"{path} is up to date")
    else:
        path.write_text(updated, encoding="utf-8")
        print(f"rewrote the generated block of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
