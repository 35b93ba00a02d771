#!/usr/bin/env bash
# Restore a backup into a NEW database (never over a live one); then point DATABASE_URL at it.
#
#   deploy/restore.sh /var/backups/gridpatrol/gridpatrol-20260101T023000Z.dump gridpatrol_restored
#
# Runs as root on the database server (uses the postgres superuser, needed for CREATE EXTENSION
# postgis); the owner role recorded in the dump (DB_USER, default gridpatrol) must exist.
# With ADMIN_DATABASE_URL set (a superuser URL of a remote server, database "postgres"), uses it.
set -euo pipefail

dump="${1:?usage: restore.sh DUMP_FILE NEW_DATABASE}"
target="${2:?usage: restore.sh DUMP_FILE NEW_DATABASE}"
owner="${DB_USER:-gridpatrol}"
[ -f "$dump" ] || { echo "no such dump: $dump" >&2; exit 1; }
[[ "$target" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "database name must be lower-case letters, digits, _" >&2; exit 1; }
pg_restore --list "$dump" >/dev/null || { echo "$dump is not a pg_dump custom-format file" >&2; exit 1; }

if [ -n "${ADMIN_DATABASE_URL:-}" ]; then
  admin_psql() { psql "$ADMIN_DATABASE_URL" -v ON_ERROR_STOP=1 -qAt "$@"; }
  restore() { pg_restore --dbname="${ADMIN_DATABASE_URL%/*}/$target" "$@"; }
else
  admin_psql() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qAt "$@"; }
  restore() { runuser -u postgres -- pg_restore --dbname="$target" "$@"; }
fi

if [ "$(admin_psql -c "SELECT 1 FROM pg_database WHERE datname = '$target'")" = 1 ]; then
  echo "database $target already exists: restore into a new name, or drop it first" >&2
  exit 1
fi
admin_psql -c "CREATE DATABASE \"$target\" OWNER \"$owner\" TEMPLATE template0 ENCODING 'UTF8'"
# Readable by the postgres user even when the dump sits in a private directory.
if [ -z "${ADMIN_DATABASE_URL:-}" ]; then
  copy=$(mktemp /tmp/gridpatrol-restore-XXXXXX.dump)
  trap 'rm -f "$copy"' EXIT
  cp "$dump" "$copy" && chown postgres "$copy"
  dump="$copy"
fi
restore --exit-on-error --single-transaction --no-password "$dump"
admin_psql -d "$target" -c "ANALYZE" 2>/dev/null || true
echo "restored $1 into $target"
