#!/usr/bin/env bash
# One-time (and idempotent) setup for a fresh machine: system packages, a virtualenv with dbxray and
# its test tools, and the local servers configured the way dbxray's tests and reports expect.
#
#   scripts/setup.sh            everything this machine allows (server steps need root)
#   DBXRAY_SKIP_SERVERS=1 ...   only packages and the virtualenv
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "setup: $*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }

# --- 1. system packages (Debian/Ubuntu, as root) --------------------------------------------
if is_root && command -v apt-get >/dev/null 2>&1; then
    pgv=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1 || true)
    want=()
    if [ -z "$pgv" ]; then want+=(postgresql postgresql-contrib); fi
    command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || want+=(mariadb-server)
    command -v pt-duplicate-key-checker >/dev/null 2>&1 || want+=(percona-toolkit)
    command -v sysbench >/dev/null 2>&1 || want+=(sysbench)  # tests/mysql/test_sysbench_points.py
    python3 -m venv --help >/dev/null 2>&1 || want+=(python3-venv)
    if [ -n "$pgv" ]; then
        [ -f "/usr/share/postgresql/$pgv/extension/hypopg.control" ] || want+=("postgresql-$pgv-hypopg")
        [ -f "/usr/share/postgresql/$pgv/extension/pg_qualstats.control" ] || want+=("postgresql-$pgv-pg-qualstats")
    fi
    if [ ${#want[@]} -gt 0 ]; then
        log "installing ${want[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq "${want[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${want[@]}"; }
        pgv=$(ls /usr/lib/postgresql | sort -n | tail -1)
        for pkg in "postgresql-$pgv-hypopg" "postgresql-$pgv-pg-qualstats"; do
            dpkg -s "$pkg" >/dev/null 2>&1 || apt-get install -y -qq "$pkg" >/dev/null 2>&1 || log "could not install $pkg (optional)"
        done
    fi
    # Chromium (Debian's package, /usr/bin/chromium): the HTML report's tests open it in a real headless
    # browser (tests/report/test_html.py); optional, those tests skip with a reason without it
    if [ ! -x /usr/bin/chromium ]; then
        log "installing chromium"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq chromium >/dev/null 2>&1 \
            || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; } \
            || log "could not install chromium (optional: the HTML report's browser tests will skip)"
    fi
elif ! is_root; then
    log "not root: skipping system packages (PostgreSQL and MariaDB server binaries must already be installed)"
fi

# --- 2. virtualenv with dbxray and its test extras ------------------------------------------
if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    python3 -m venv .venv
fi
log "installing dbxray into .venv"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e ".[test]" 2>&1 | grep -v "^WARNING: Location" >&2 || true
.venv/bin/python -c "import dbxray" || { log "dbxray did not install"; exit 1; }
# an editable install leaves the sources uncompiled; with PYTHONDONTWRITEBYTECODE (CI images set it) every
# dbxray command would compile its modules again: about 0.15 s per report
.venv/bin/python -m compileall -q src >/dev/null || true

# --- 3. local servers (root only) -----------------------------------------------------------
if [ -z "${DBXRAY_SKIP_SERVERS:-}" ] && is_root; then
    # PostgreSQL: pg_stat_statements preloaded (needs a restart) and created in the postgres database
    if command -v pg_lsclusters >/dev/null 2>&1; then
        pg_lsclusters --no-header 2>/dev/null | while read -r ver cluster port status _rest; do
            [ "$status" = online ] || continue
            psql_=(psql -X -q -t -A -h 127.0.0.1 -p "$port" -U postgres -d postgres)
            libs=$("${psql_[@]}" -c "SHOW shared_preload_libraries" 2>/dev/null || echo "?")
            if [ "$libs" = "?" ]; then log "PostgreSQL $ver/$cluster: cannot connect as postgres; left as is"; continue; fi
            if ! echo ",$libs," | tr -d ' ' | grep -q ",pg_stat_statements,"; then
                new=$(echo "${libs:+$libs,}pg_stat_statements" | tr -d ' ')
                log "PostgreSQL $ver/$cluster: preloading pg_stat_statements and restarting"
                "${psql_[@]}" -c "ALTER SYSTEM SET shared_preload_libraries = '$new'" >/dev/null
                pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" restart
            fi
            "${psql_[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
            "${psql_[@]}" -c "CREATE EXTENSION IF NOT EXISTS hypopg" >/dev/null 2>&1 || true
        done
    fi
    # MariaDB: performance_schema ON (a config file and a restart)
    if [ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null 2>&1; then
        sh scripts/ci-mariadb.sh
    fi
fi
log "done"
