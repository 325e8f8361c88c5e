"""fastapi-db: scaffold FastAPI + SQLAlchemy 2.x projects and grow them model by model.

The command line lives in `cli`; `scaffold` creates projects from the Copier template
that `template` locates; `errors` holds the one error tree.
"""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("fastapi-db")
except PackageNotFoundError:  # a source checkout that was never installed
    __version__ = "0.0.0+unknown"
