#!/usr/bin/env bash
# Quick start: set up this machine (scripts/setup.sh), then run `dbxray demo`: a throwaway PostgreSQL
# seeded with a shop that has real problems, a few seconds of traffic, and the health report.
# Extra arguments go to `dbxray demo` (e.g. --format markdown, --keep).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/dbxray demo "$@"
