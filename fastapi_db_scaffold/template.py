"""Where the Copier template of a generated project lives.

An installed wheel carries it inside the package (`fastapi_db_scaffold/_template/`
holding `copier.yml` and `template/`); an editable install or a source checkout uses the
repository root, which holds the same two. Copier is always given the directory that
holds `copier.yml`.
"""

from pathlib import Path

from .errors import ProjectError

__all__ = ["template_root"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def template_root() -> Path:
    """Return the directory holding `copier.yml` (Copier's `src_path`)."""
    bundled = _PACKAGE_DIR / "_template"
    if bundled.is_dir():
        return bundled
    checkout = _PACKAGE_DIR.parent
    if (checkout / "copier.yml").is_file():
        return checkout
    raise ProjectError(
        f"the project template is missing: neither {bundled} nor {checkout} holds "
        "copier.yml; reinstall fastapi-db"
    )
