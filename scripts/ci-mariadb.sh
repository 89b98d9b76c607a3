#!/bin/sh
# Turn performance_schema ON (with the statement-digest consumers and instruments dbxray reads)
# for the local MariaDB, then restart it. Idempotent: running it twice changes nothing more.
#
# performance_schema cannot be switched on at runtime: it needs a config file and a restart.
# The local server was started with
#   start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
# so it is stopped cleanly with mariadb-admin and started again the same way.
# Needs root (writes /etc/mysql). The tests run it only against a throwaway MariaDB of their own,
# through these variables (defaults: the machine's server):
#   DBXRAY_MARIADB_CNF_DIR   where the config file goes        (/etc/mysql/mariadb.conf.d)
#   DBXRAY_MARIADB_MY_CNF    the main config file              (/etc/mysql/my.cnf)
#   DBXRAY_MARIADB_SOCKET    the server's socket                (the client's default)
#   DBXRAY_MARIADB_PID_FILE  the server's pid file              (/run/mysqld/mysqld.pid)
#   DBXRAY_MARIADB_START     a shell command that starts it     (start-stop-daemon … mariadbd)
set -eu

CNF_DIR="${DBXRAY_MARIADB_CNF_DIR:-/etc/mysql/mariadb.conf.d}"
CNF="$CNF_DIR/90-dbxray-performance-schema.cnf"
MY_CNF="${DBXRAY_MARIADB_MY_CNF:-/etc/mysql/my.cnf}"
PID_FILE="${DBXRAY_MARIADB_PID_FILE:-/run/mysqld/mysqld.pid}"
SOCKET_OPT="${DBXRAY_MARIADB_SOCKET:+--socket=$DBXRAY_MARIADB_SOCKET}"
ADMIN="mariadb-admin --protocol=socket $SOCKET_OPT -uroot"
CLIENT="mariadb --protocol=socket $SOCKET_OPT -uroot"

mkdir -p "$CNF_DIR"
cat > "$CNF.tmp" <<'CONF'
# written by dbxray scripts/ci-mariadb.sh: performance_schema for statement digests and index usage
[mysqld]
performance_schema = ON
performance-schema-consumer-events-statements-current = ON
performance-schema-consumer-events-statements-history = ON
performance-schema-consumer-statements-digest = ON
performance-schema-instrument = 'statement/%=ON'
performance-schema-instrument = 'wait/io/table/sql/handler=ON'
performance-schema-instrument = 'wait/lock/metadata/sql/mdl=ON'
performance_schema_digests_size = 10000
CONF
changed=1
if [ -f "$CNF" ] && cmp -s "$CNF.tmp" "$CNF"; then changed=0; fi
mv "$CNF.tmp" "$CNF"

# a minimal my.cnf may not read the conf.d directory: include it once
if [ -f "$MY_CNF" ] && ! grep -qsE "^[[:space:]]*!includedir[[:space:]]+$CNF_DIR/?[[:space:]]*$" "$MY_CNF"; then
    printf '\n!includedir %s/\n' "$CNF_DIR" >> "$MY_CNF"
    changed=1
fi

running=0
if $ADMIN ping >/dev/null 2>&1; then running=1; fi
current=$($CLIENT -N -B -e 'SELECT @@performance_schema' 2>/dev/null || echo "")
if [ "$running" = 1 ] && [ "$current" = 1 ] && [ "$changed" = 0 ]; then
    echo "ci-mariadb: performance_schema already ON, nothing to do"
    exit 0
fi

if [ "$running" = 1 ]; then
    echo "ci-mariadb: stopping MariaDB"
    pid=$(cat "$PID_FILE" 2>/dev/null || true)
    $ADMIN shutdown
    i=0
    # wait for this server only (throwaway test servers may run mariadbd too)
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
        i=$((i + 1))
        if [ "$i" -gt 600 ]; then echo "ci-mariadb: MariaDB did not stop within 60 s" >&2; exit 1; fi
        sleep 0.1
    done
fi

echo "ci-mariadb: starting MariaDB"
if [ -n "${DBXRAY_MARIADB_START:-}" ]; then
    sh -c "$DBXRAY_MARIADB_START"
else
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
i=0
until $ADMIN ping >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt 600 ]; then
        echo "ci-mariadb: MariaDB did not answer within 60 s; see /var/log/mysql/error.log" >&2
        exit 1
    fi
    sleep 0.1
done
state=$($CLIENT -N -B -e 'SELECT @@performance_schema')
if [ "$state" != 1 ]; then echo "ci-mariadb: performance_schema is still OFF" >&2; exit 1; fi
echo "ci-mariadb: MariaDB is up with performance_schema ON"
