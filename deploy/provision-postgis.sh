#!/usr/bin/env bash
# Make sure a PostgreSQL with PostGIS is reachable and a database with the extension exists.
#
#   deploy/provision-postgis.sh [--recreate] DBNAME
#
# With DATABASE_URL set (an external server), only checks it and creates the extension.
# Otherwise uses the local server: installs PostgreSQL and Debian's PostGIS package for its
# version when missing, starts the cluster when stopped, creates the role DB_USER (password
# DB_PASSWORD) and the database owned by it. Idempotent. Needs root (or sudo) for the local path.
set -euo pipefail

recreate=0
if [ "${1:-}" = "--recreate" ]; then recreate=1; shift; fi
dbname="${1:?usage: provision-postgis.sh [--recreate] DBNAME}"
db_user="${DB_USER:-gridpatrol}"
db_password="${DB_PASSWORD:?DB_PASSWORD must be set (make writes it to .env)}"

say() { printf '  [db] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
apt_install() {
  if [ ! -f /tmp/.gridpatrol-apt-updated ]; then as_root apt-get update -q >/dev/null && touch /tmp/.gridpatrol-apt-updated; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

if [ -n "${EXTERNAL_DATABASE_URL:-}" ]; then
  say "using external database"
  psql "$EXTERNAL_DATABASE_URL" -v ON_ERROR_STOP=1 -qc "CREATE EXTENSION IF NOT EXISTS postgis" \
    || { echo "cannot reach DATABASE_URL or create the postgis extension there" >&2; exit 1; }
  exit 0
fi

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  say "installing PostgreSQL"
  apt_install postgresql postgresql-contrib
fi
version=$(pg_lsclusters -h | awk 'NR==1 {print $1}')
if [ -z "$version" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  say "creating cluster $version/main"
  as_root pg_createcluster "$version" main
fi
if [ ! -f "/usr/share/postgresql/$version/extension/postgis.control" ]; then
  say "installing postgresql-$version-postgis-3"
  apt_install "postgresql-$version-postgis-3"
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  say "starting cluster $version/main"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi
for _ in $(seq 1 30); do
  as_postgres psql -qAtc "SELECT 1" >/dev/null 2>&1 && break
  sleep 1
done

psql_admin() { as_postgres psql -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$db_user'")" != 1 ]; then
  say "creating role $db_user"
  psql_admin -c "CREATE ROLE \"$db_user\" LOGIN PASSWORD '$db_password'"
else
  psql_admin -c "ALTER ROLE \"$db_user\" LOGIN PASSWORD '$db_password'"
fi
exists=$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$dbname'")
if [ "$recreate" = 1 ] && [ "$exists" = 1 ]; then
  say "dropping $dbname"
  psql_admin -c "DROP DATABASE \"$dbname\" WITH (FORCE)"
  exists=""
fi
if [ "$exists" != 1 ]; then
  say "creating database $dbname"
  psql_admin -c "CREATE DATABASE \"$dbname\" OWNER \"$db_user\""
fi
psql_admin -d "$dbname" -c "CREATE EXTENSION IF NOT EXISTS postgis"
psql_admin -d "$dbname" -c "ALTER SCHEMA public OWNER TO \"$db_user\""
say "database $dbname ready (PostGIS $(psql_admin -d "$dbname" -c 'SELECT postgis_lib_version()'))"
