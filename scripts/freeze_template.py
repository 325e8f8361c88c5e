"""Freeze the bundled template of a released version: `template_versions/V.tar.gz`.

Run once per release, from a clone with the release's commit:

    python scripts/freeze_template.py 0.2.0 <git-ref-of-the-release>

The archive holds the version's `copier.yml`, `template/` and `snippets/` (taken from
`fastapi_db_scaffold/snippets/` in releases before the snippets moved to the
repository root), so that later versions of fastapi-db can reproduce what it
generated: `fastapi-db update` merges against that, offline.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from fastapi_db_scaffold.template_versions import frozen_archive

REPO = Path(__file__).resolve().parents[1]
_LAYOUTS = (  # (path in the repository at that ref, path in the version tree)
    ("copier.yml", "copier.yml"),
    ("template", "template"),
    ("snippets", "snippets"),
    ("fastapi_db_scaffold/snippets", "snippets"),
)


def _files_at(ref: str, path: str) -> list[str]:
    out = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", ref, "--", path],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if line]


def main(version: str, ref: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        for source, target in _LAYOUTS:
            for name in _files_at(ref, source):
                data = subprocess.run(
                    ["git", "show", f"{ref}:{name}"],
                    cwd=REPO,
                    capture_output=True,
                    check=True,
                ).stdout
                out = tree / target / Path(name).relative_to(source)
                if source == target == "copier.yml":
                    out = tree / "copier.yml"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(data)
        versions = REPO / "fastapi_db_scaffold" / "template_versions"
        archive = versions / f"{version}.tar.gz"
        archive.write_bytes(frozen_archive(tree))
        print(f"wrote {archive.relative_to(REPO)}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python scripts/freeze_template.py VERSION GIT_REF")
    main(sys.argv[1], sys.argv[2])
