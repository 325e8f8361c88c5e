"""`formatting.format_python_files`: files formatted side by side come out as when
formatted one after the other, and the first broken file (in order) is the error."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastapi_db_scaffold.errors import ProjectError
from fastapi_db_scaffold.formatting import format_python, format_python_files

_CONFIG = '[tool.ruff]\nline-length = 88\n\n[tool.ruff.lint]\nselect = ["I"]\n'


def _texts(count: int) -> dict[Path, str]:
    return {
        Path(f"pkg/module_{n}.py"): (
            f"import sys\nimport os\nx_{n} = {{ 'a':1,'b' : [os.sep,sys.argv] }}\n"
        )
        for n in range(count)
    }


def test_side_by_side_is_one_after_the_other(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(_CONFIG)
    texts = _texts(5)
    formatted = format_python_files(texts, tmp_path)
    assert list(formatted) == list(texts)
    for path, text in texts.items():
        assert formatted[path] == format_python(text, path, tmp_path)
    assert formatted[Path("pkg/module_0.py")].startswith("import os\nimport sys\n")
    assert format_python_files({}, tmp_path) == {}


def test_the_first_broken_file_in_order_is_the_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(_CONFIG)
    texts = {
        **_texts(2),
        Path("pkg/broken_a.py"): "def (:\n",
        Path("pkg/broken_b.py"): "class :\n",
    }
    with pytest.raises(ProjectError, match=r"broken_a\.py is not valid Python"):
        format_python_files(texts, tmp_path)
