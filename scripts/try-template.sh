#!/usr/bin/env bash
# Render template combinations into /tmp/try and run each one's checks (a dev aid).
# usage: scripts/try-template.sh [engine:database:repository ...]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
combos=${*:-"async:sqlite:true sync:sqlite:false async:postgresql:false sync:mysql:true"}
for combo in $combos; do
  IFS=: read -r engine database repository <<<"$combo"
  dest=/tmp/try/$engine-$database-$repository
  rm -rf "$dest"
  copier copy -q --defaults --vcs-ref HEAD -d project_name=demo -d engine="$engine" \
    -d database="$database" -d repository="$repository" "$root" "$dest" 2>/dev/null || { echo "$combo: copier failed"; continue; }
  (cd "$dest" && echo "== $combo" && python -m pytest -q -p no:cacheprovider 2>&1 | tail -3 \
    && ruff check --output-format concise . | tail -15 && ruff format --check . | tail -5 && python -m mypy 2>&1 | tail -8)
done
