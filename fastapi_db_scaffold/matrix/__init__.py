"""The generation matrix, one implementation for `fastapi-db check` and the test suite.

    combinations  engine x database x repository, and which server each one needs
    databases     throw-away databases on the configured servers (or SQLite files)
    models        the standard model set: every field type, every ON DELETE action
    generate      a combination's project: `new`, then `add-model` for each model
    steps         what is checked in a project: its tests, ruff, mypy, migrations
    runner        every selected combination through every step, in parallel
    report        live progress, the summary table, JUnit XML

Nothing here imports pytest: the repository's tests wrap these functions in their own
fixtures and assertions (`tests/matrix.py`).
"""
