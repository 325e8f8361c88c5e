"""`rich_help`: Typer's help renderer loads with stand-ins that act as the real
classes, and leaves the real `rich.markdown` and `rich.traceback` importable.

Each check runs in a fresh interpreter (this one may have imported them already).
"""

from __future__ import annotations

import subprocess
import sys

_CHECK = """
import sys
from fastapi_db_scaffold.rich_help import load_rich_utils

rich_utils = load_rich_utils()
assert load_rich_utils() is rich_utils
assert "rich.markdown" not in sys.modules and "rich.traceback" not in sys.modules

import rich.markdown, rich.traceback  # the real modules, on demand
assert rich.markdown.Markdown.__module__ == "rich.markdown"
made = rich_utils.Markdown("*hi*")
assert type(made) is rich.markdown.Markdown and isinstance(made, rich_utils.Markdown)
try:
    raise ValueError("boom")
except ValueError as error:
    trace = rich_utils.Traceback.from_exception(type(error), error, error.__traceback__)
assert type(trace) is rich.traceback.Traceback
print("ok")
"""


def test_stand_ins_act_as_the_real_classes_and_leave_the_real_modules() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _CHECK], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
