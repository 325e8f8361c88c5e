"""Print the top-level modules a generated project installs (for choices.py).

The requirements of template/pyproject.toml.jinja (runtime and `dev`, every engine x
database combination) and their dependency closure, as installed in the current
environment (the tool's `test` extra installs them all), mapped to their top-level
import names. Names starting with "_" and names that could never be a project name
are left out. Paste the output into `DEPENDENCY_MODULES` of
fastapi_db_scaffold/choices.py, then run `python -m fastapi_db_scaffold.choices`.

    python scripts/dependency_modules.py
"""

import re
import textwrap
import tomllib
from importlib import metadata
from pathlib import Path

import jinja2
from packaging.requirements import Requirement

from fastapi_db_scaffold.choices import PROJECT_NAME_PATTERN, Database, Engine, driver

TEMPLATE = Path(__file__).resolve().parents[1] / "template" / "pyproject.toml.jinja"


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def template_requirements() -> list[Requirement]:
    """Every requirement the template's pyproject.toml has, over all combinations."""
    source = TEMPLATE.read_text(encoding="utf-8")
    found: list[Requirement] = []
    for engine in Engine:
        for database in Database:
            text = jinja2.Template(source).render(
                is_async=engine.is_async,
                database=database.value,
                driver_requirement=driver(engine, database).requirement,
                dist_name="demo",
                project_name="demo",
            )
            project = tomllib.loads(text)["project"]
            for line in [
                *project["dependencies"],
                *project["optional-dependencies"]["dev"],
            ]:
                found.append(Requirement(line))
    return found


def distribution_closure(roots: list[Requirement]) -> set[str]:
    """The installed distributions `roots` need, with the extras they ask for."""
    extras_of: dict[str, set[str]] = {}
    todo = list(roots)
    while todo:
        requirement = todo.pop()
        key = _key(requirement.name)
        known = extras_of.get(key)
        if known is not None and set(requirement.extras) <= known:
            continue
        extras = extras_of.setdefault(key, set()) | set(requirement.extras)
        extras_of[key] = extras
        try:
            needs = metadata.distribution(key).requires or []
        except metadata.PackageNotFoundError:
            raise SystemExit(
                f"{key} is not installed: pip install -e '.[test]'"
            ) from None
        for line in needs:
            need = Requirement(line)
            if need.marker is None or any(
                need.marker.evaluate({"extra": extra}) for extra in ["", *extras]
            ):
                todo.append(need)
    return set(extras_of)


def top_level_modules(distributions: set[str]) -> set[str]:
    modules = set()
    for module, owners in metadata.packages_distributions().items():
        if any(_key(owner) in distributions for owner in owners):
            modules.add(module)
    return {name for name in modules if re.search(PROJECT_NAME_PATTERN, name)}


def main() -> None:
    modules = top_level_modules(distribution_closure(template_requirements()))
    print(textwrap.fill(" ".join(sorted(modules)), width=84))


if __name__ == "__main__":
    main()
