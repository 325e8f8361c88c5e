"""fastapi-db: scaffold FastAPI + SQLAlchemy 2.x projects and grow them model by model.

The command line lives in `cli`; `scaffold` creates projects from the Copier template
that `template` locates; `errors` holds the one error tree.

The version is written here, and pyproject.toml reads it from here (hatchling):
asking the installed metadata (`importlib.metadata`) cost a third of `--help`.
"""

__all__ = ["__version__"]

__version__ = "0.4.0"
