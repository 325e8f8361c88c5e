"""`fastapi-db update`, template sources and `new --force` over a generated project.

Real projects, real git, real template versions: a fork of the template with two
tagged versions (v1, and v2 changing a router snippet and the app factory), and the
bundled versions this tool ships (the oldest, 0.2.0, frozen, and the current one). A
project is made at the old version, given models and user edits, committed,
updated; then its files are compared with a project made at the new version
directly, and its own tests are run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fastapi_db_scaffold import __version__
from fastapi_db_scaffold.template_versions import recorded_path, shipped_versions

from .cli_support import copy_template_source, invoke, run_module, tree_digest
from .matrix import output_of, project_env, run_in_project
from .project_pytest import project_pytest

MODELS = [
    ("User", ["email:str(120):unique", "name:str(80)"]),
    ("Post", ["title:str(200)", "body:text", "author:User:cascade"]),
]
ROUTER_LINE_V1 = "Reads use the replica when one is configured."
ROUTER_LINE_V2 = "Reads use the replica when one is configured (fork v2)."
MAIN_LINE_V1 = (
    '"""The application factory: settings, database, error handlers and routes."""'
)
MAIN_LINE_V2 = (
    '"""The application factory of the fork, v2: settings, database and routes."""'
)
USER_ENDPOINT = """

@router.get("/count/total", summary="How many posts there are")
async def count_posts_total() -> int:
    return 0
"""


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def fork(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding a copy of the template source, tagged v1.0.0 and
    v2.0.0; v2 changes the router snippet, the app factory and adds a file."""
    root = tmp_path_factory.mktemp("fork") / "template"
    copy_template_source(root)
    git(root, "init", "-q")
    commit_all(root, "v1")
    git(root, "tag", "v1.0.0")
    replace_in(root / "snippets/router.py.jinja", ROUTER_LINE_V1, ROUTER_LINE_V2)
    replace_in(
        root / "template/{{project_name}}/main.py.jinja", MAIN_LINE_V1, MAIN_LINE_V2
    )
    (root / "template/CHANGES.md").write_text("# Changes\n\nv2 of the fork.\n")
    commit_all(root, "v2")
    git(root, "tag", "v2.0.0")
    return root


def new_project(dest: Path, *options: str) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    result = run_module(
        "new", dest.name, "--dest", str(dest), "--yes", *options, cwd=dest.parent
    )
    assert result.returncode == 0, result.stderr
    for model, fields in MODELS:
        result = run_module(
            "add-model", model, *fields, "--project", str(dest), cwd=dest
        )
        assert result.returncode == 0, result.stderr
    return dest


def committed(project: Path) -> Path:
    git(project, "init", "-q")
    commit_all(project, "generated")
    return project


def differing_files(a: Path, b: Path) -> set[str]:
    """Paths whose bytes or mode differ between two projects (git and the
    revisions, whose ids and dates differ by nature, aside)."""
    one, other = tree_digest(a), tree_digest(b)
    return {
        path
        for path in set(one) | set(other)
        if one.get(path) != other.get(path)
        and not path.startswith((".git/", "migrations/versions/"))
        and path != ".git"
    }


def answers(project: Path) -> dict[str, object]:
    loaded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def assert_own_tests_pass(project: Path) -> None:
    result = run_in_project(project, *project_pytest("-x"))
    assert result.returncode == 0, output_of(result)
    for check in (("ruff", "check", "."), ("ruff", "format", "--check", ".")):
        result = run_in_project(project, *check)
        assert result.returncode == 0, output_of(result)


def test_a_fork_update_brings_snippet_and_skeleton_changes_and_keeps_edits(
    fork: Path, tmp_path: Path
) -> None:
    project = committed(
        new_project(tmp_path / "blog", "--template", str(fork), "--vcs-ref", "v1.0.0")
    )
    assert answers(project)["_commit"] == "v1.0.0"
    posts = project / "blog/routers/posts.py"
    assert ROUTER_LINE_V1 in posts.read_text()
    with posts.open("a") as handle:  # the user's own endpoint
        handle.write(USER_ENDPOINT)
    with (project / "README.md").open("a") as handle:
        handle.write("\nOur deployment notes.\n")
    commit_all(project, "user edits")

    result = run_module("update", "--vcs-ref", "v2.0.0", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert answers(project)["_commit"] == "v2.0.0"
    for router in ("posts", "users"):  # every model's router took the snippet change
        text = (project / f"blog/routers/{router}.py").read_text()
        assert ROUTER_LINE_V2 in text and ROUTER_LINE_V1 + "\n" not in text
    assert "async def count_posts_total" in posts.read_text()  # the edit is kept
    assert MAIN_LINE_V2 in (project / "blog/main.py").read_text()
    assert "Our deployment notes." in (project / "README.md").read_text()
    assert (project / "CHANGES.md").read_text() == "# Changes\n\nv2 of the fork.\n"
    assert "<<<<<<<" not in git(project, "diff")

    # Apart from the user's edits, the project is now what v2 makes directly.
    fresh = new_project(
        tmp_path / "fresh" / "blog", "--template", str(fork), "--vcs-ref", "v2.0.0"
    )
    differing = differing_files(project, fresh)
    assert differing == {"blog/routers/posts.py", "README.md"}, differing
    assert_own_tests_pass(project)


def test_a_conflicting_edit_is_marked_inline_listed_and_the_rest_merged(
    fork: Path, tmp_path: Path
) -> None:
    project = committed(
        new_project(tmp_path / "shop", "--template", str(fork), "--vcs-ref", "v1.0.0")
    )
    main = project / "shop/main.py"
    replace_in(main, MAIN_LINE_V1, '"""Our own app factory, documented our way."""')
    commit_all(project, "user edit of the docstring the template changes")

    result = run_module("update", "--vcs-ref", "v2.0.0", cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1 and "shop/main.py" in error_lines[0], result.stderr
    assert "CONFLICT shop/main.py" in result.stdout
    text = main.read_text()
    assert "<<<<<<< your version" in text and ">>>>>>> " in text
    assert "Our own app factory" in text and MAIN_LINE_V2 in text
    # Everything else was merged as usual.
    assert ROUTER_LINE_V2 in (project / "shop/routers/posts.py").read_text()
    assert answers(project)["_commit"] == "v2.0.0"


def test_add_model_renders_with_the_projects_own_template_source(
    fork: Path, tmp_path: Path
) -> None:
    old = new_project(
        tmp_path / "v1" / "app", "--template", str(fork), "--vcs-ref", "v1.0.0"
    )
    new = new_project(
        tmp_path / "v2" / "app", "--template", str(fork), "--vcs-ref", "v2.0.0"
    )
    assert ROUTER_LINE_V1 in (old / "app/routers/posts.py").read_text()
    assert ROUTER_LINE_V2 in (new / "app/routers/posts.py").read_text()


def test_update_between_the_two_shipped_versions(tmp_path: Path) -> None:
    oldest, current = shipped_versions()[0], __version__
    assert oldest != current, "the tool ships at least one older version"
    project = committed(new_project(tmp_path / "notes", "--vcs-ref", oldest))
    recorded = answers(project)
    assert recorded["_commit"] == f"v{oldest}"
    assert Path(str(recorded["_src_path"])).name == "bundled-template"
    with (project / "notes/routers/users.py").open("a") as handle:
        handle.write("\n\n# Our note at the end of the users router.\n")
    commit_all(project, "user edit")

    dry = run_module("update", "--dry-run", cwd=project)
    assert dry.returncode == 0, dry.stderr
    assert f"_commit: v{current}" in dry.stdout and "Nothing was written" in dry.stdout
    assert git(project, "status", "--porcelain") == ""

    result = run_module("update", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert answers(project)["_commit"] == f"v{current}"
    fresh = new_project(tmp_path / "fresh" / "notes")
    differing = differing_files(project, fresh)
    assert differing == {"notes/routers/users.py"}, differing
    assert "# Our note at the end" in (project / "notes/routers/users.py").read_text()
    assert_own_tests_pass(project)

    commit_all(project, "update")
    again = run_module("update", cwd=project)
    assert again.returncode == 0 and "Already up to date" in again.stdout, again.stdout


def test_a_project_of_fastapi_db_0_2_0_is_read_as_the_bundled_0_2_0(
    tmp_path: Path,
) -> None:
    """0.2.0 recorded the wheel's template directory and no `_commit`."""
    project = new_project(tmp_path / "legacy", "--vcs-ref", "0.2.0")
    path = project / ".copier-answers.yml"
    text = path.read_text()
    text = "\n".join(
        line
        for line in text.splitlines()
        if not line.startswith(("_commit", "_src_path"))
    )
    wheel = "/old/venv/lib/python3.11/site-packages/fastapi_db_scaffold/_template"
    path.write_text(f"{text}\n_src_path: {wheel}\n")
    committed(project)
    result = run_module("update", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "from the bundled template 0.2.0" in result.stdout
    assert answers(project)["_commit"] == f"v{__version__}"


def test_plain_copier_update_works_on_a_generated_project(tmp_path: Path) -> None:
    project = committed(
        new_project(tmp_path / "plain", "--vcs-ref", shipped_versions()[0])
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "update",
            "--defaults",
            "--skip-answered",
            "--vcs-ref",
            f"v{__version__}",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        env=project_env(FASTAPI_DB_HOME=os.environ["FASTAPI_DB_HOME"]),
        check=False,
    )
    assert result.returncode == 0, output_of(result)
    assert answers(project)["_commit"] == f"v{__version__}"


@pytest.mark.parametrize("state", ["dirty", "untracked", "no git"])
def test_update_refuses_a_tree_it_could_not_undo(tmp_path: Path, state: str) -> None:
    project = new_project(tmp_path / "app", "--vcs-ref", shipped_versions()[0])
    if state != "no git":
        committed(project)
    if state == "dirty":
        with (project / "README.md").open("a") as handle:
            handle.write("\nunsaved\n")
    if state == "untracked":
        (project / "scratch.py").write_text("x = 1\n")
    before = tree_digest(project)
    result = run_module("update", cwd=project)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert ("git" in lines[0]) and ("commit" in lines[0])
    assert tree_digest(project) == before


def test_new_force_refuses_a_generated_project_and_points_to_update(
    tmp_path: Path,
) -> None:
    project = new_project(tmp_path / "app")
    before = tree_digest(project)
    result = invoke("new", "app", "--dest", str(project), "--force", "--yes")
    assert result.exit_code == 1
    assert "fastapi-db update" in result.output and "Traceback" not in result.output
    assert tree_digest(project) == before


def test_an_unknown_bundled_version_is_a_usage_line(tmp_path: Path) -> None:
    result = run_module("new", "app", "--yes", "--vcs-ref", "0.0.1", cwd=tmp_path)
    assert result.returncode == 1
    assert "not shipped" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


PROJECT_COMMANDS = [
    ["add-model", "Foo"],
    ["add-field", "Foo", "x:int:optional"],
    ["remove-model", "Foo"],
    ["update"],
]


@pytest.mark.parametrize("command", PROJECT_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(
    ("answers_text", "message"),
    [
        (None, "does not exist"),
        (": : :\n", "is not valid YAML (line 1:"),
        ("project_name: x\n", "is not from fastapi-db's template"),
    ],
    ids=["missing", "corrupt", "foreign"],
)
def test_every_project_command_refuses_a_bad_project_in_one_line(
    tmp_path: Path, command: list[str], answers_text: str | None, message: str
) -> None:
    project = tmp_path / "p"
    if answers_text is not None:
        project.mkdir()
        (project / ".copier-answers.yml").write_text(answers_text)
    before = tree_digest(tmp_path)
    result = invoke(*command, "--project", str(project))
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert tree_digest(tmp_path) == before


def test_a_home_path_is_recorded_with_a_tilde() -> None:
    assert recorded_path(Path.home() / "x" / "y") == "~/x/y"
    assert recorded_path(Path("/opt/templates/t")) == "/opt/templates/t"


def test_a_fork_with_uncommitted_changes_renders_them_in_add_model_too(
    fork: Path, tmp_path: Path
) -> None:
    """Copier renders a dirty local template as a commit only its clone has; the
    project's add-model then uses the working tree, like Copier did."""
    dirty = Path(shutil.copytree(fork, tmp_path / "dirty-fork"))
    git(dirty, "checkout", "-q", "v2.0.0")
    snippet = dirty / "snippets/router.py.jinja"
    snippet.write_text(snippet.read_text() + "# uncommitted line of the fork\n")
    project = new_project(tmp_path / "app" / "app", "--template", str(dirty))
    assert (
        "# uncommitted line of the fork"
        in (project / "app/routers/posts.py").read_text()
    )
