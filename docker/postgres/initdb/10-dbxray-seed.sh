#!/usr/bin/env bash
# Seed the dbxray demo shop on the container's first start (docker-entrypoint-initdb.d).
#
# Runs the same SQL files as `dbxray demo` (src/dbxray/demo/data/, copied to /dbxray/seed),
# in the same order, each through psql like a migration. A file whose header says
# "-- expect: error" plants a failure on purpose (a failed CREATE UNIQUE INDEX CONCURRENTLY
# that leaves an invalid index), so its error is shown and expected, not fatal.
set -euo pipefail

seed_dir="${DBXRAY_SEED_DIR:-/dbxray/seed}"
db="${POSTGRES_DB:-shop}"
user="${POSTGRES_USER:-postgres}"

shopt -s nullglob
files=("$seed_dir"/*.sql)
if [ "${#files[@]}" -eq 0 ]; then
  echo "dbxray seed: no SQL files in $seed_dir" >&2
  exit 1
fi

for file in "${files[@]}"; do
  name="$(basename "$file")"
  if grep -q '^-- expect: error' "$file"; then
    echo "dbxray seed: $name (plants a failure: the error below is expected)"
    psql --no-psqlrc -v ON_ERROR_STOP=0 --username "$user" --dbname "$db" -f "$file" || true
  else
    echo "dbxray seed: $name"
    psql --no-psqlrc -v ON_ERROR_STOP=1 --quiet --username "$user" --dbname "$db" -f "$file"
  fi
done
echo "dbxray seed: done"
