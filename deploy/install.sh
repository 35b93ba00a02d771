#!/usr/bin/env bash
# Install or upgrade GridPatrol on a clean Debian 12 or Ubuntu 22.04/24.04 server, as root:
#
#   SERVER_NAME=grid.example.gov.cn deploy/install.sh
#
# PostgreSQL + PostGIS, a database owned by a least-privilege role, the app in a venv under its
# own system user, migrations, systemd units, nginx with TLS, then start. Idempotent: running it
# again from a newer checkout upgrades in place (code synced, migrations applied, gunicorn
# reloaded gracefully with HUP so no request is dropped). Existing secrets are never replaced.
#
# Settings (environment): SERVER_NAME, APP_USER, APP_DIR, DATA_DIR, BACKUP_DIR, CONF_DIR, DB_NAME,
# DB_USER, TLS_CERT/TLS_KEY (default: a self-signed certificate to replace), MAX_UPLOAD_MB,
# METRICS_ALLOW, GUNICORN_BIND, TRACKER_BIND, TRACKER_WORKERS, NGINX_DIR, SYSTEMD_DIR (the tests render
# into temporary directories). MAX_UPLOAD_MB, METRICS_ALLOW, GUNICORN_BIND, TRACKER_BIND and
# TRACKER_WORKERS are taken from the environment file once it exists, so nginx always matches the app.
#
# The steps are functions; `source deploy/install.sh` defines them without running anything.
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER_NAME="${SERVER_NAME:-$(hostname -f 2>/dev/null || hostname)}"
APP_USER="${APP_USER:-gridpatrol}"
APP_DIR="${APP_DIR:-/opt/gridpatrol}"
DATA_DIR="${DATA_DIR:-/var/lib/gridpatrol}"
BACKUP_DIR="${BACKUP_DIR:-/var/backups/gridpatrol}"
CONF_DIR="${CONF_DIR:-/etc/gridpatrol}"
DB_NAME="${DB_NAME:-gridpatrol}"
DB_USER="${DB_USER:-gridpatrol}"
MAX_UPLOAD_MB="${MAX_UPLOAD_MB:-12}"
METRICS_ALLOW="${METRICS_ALLOW:-127.0.0.0/8,::1/128}"
GUNICORN_BIND="${GUNICORN_BIND:-127.0.0.1:8000}"
TRACKER_BIND="${TRACKER_BIND:-127.0.0.1:8001}"
TRACKER_WORKERS="${TRACKER_WORKERS:-2}"
ENV_FILE="$CONF_DIR/gridpatrol.env"
TLS_CERT="${TLS_CERT:-$CONF_DIR/tls/gridpatrol.crt}"
TLS_KEY="${TLS_KEY:-$CONF_DIR/tls/gridpatrol.key}"
NGINX_DIR="${NGINX_DIR:-/etc/nginx}"
SYSTEMD_DIR="${SYSTEMD_DIR:-/etc/systemd/system}"

say() { printf '  [install] %s\n' "$*"; }
die() { printf '  [install] error: %s\n' "$*" >&2; exit 1; }
apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
as_postgres() { runuser -u postgres -- "$@"; }
psql_admin() { as_postgres psql -v ON_ERROR_STOP=1 -qAt "$@"; }

# Replace every @@NAME@@ in a template with the value of the shell variable NAME.
render() {
  local template="$1" target="$2" text name
  text="$(cat "$template")"
  while [[ "$text" =~ @@([A-Z_]+)@@ ]]; do
    name="${BASH_REMATCH[1]}"
    [ -n "${!name+set}" ] || die "template $template needs $name"
    text="${text//@@${name}@@/${!name}}"
  done
  mkdir -p "$(dirname "$target")"
  printf '%s\n' "$text" >"$target"
}

check_platform() {
  [ "$(id -u)" = 0 ] || die "run as root"
  # shellcheck disable=SC1091
  . /etc/os-release
  case "$ID:$VERSION_ID" in
    debian:12 | ubuntu:22.04 | ubuntu:24.04) ;;
    *) say "warning: untested system $PRETTY_NAME (supported: Debian 12, Ubuntu 22.04/24.04)" ;;
  esac
}

install_packages() {
  say "installing system packages"
  apt-get update -q >/dev/null
  apt_install postgresql postgresql-contrib nginx python3-venv python3-dev openssl rsync curl ca-certificates
  local version
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  apt_install "postgresql-$version-postgis-3"
  if apt-cache show libnginx-mod-http-brotli-filter >/dev/null 2>&1; then
    apt_install libnginx-mod-http-brotli-filter libnginx-mod-http-brotli-static
  fi
}

create_system_user() {
  if ! id -u "$APP_USER" >/dev/null 2>&1; then
    say "creating system user $APP_USER"
    useradd --system --home-dir "$DATA_DIR" --shell /usr/sbin/nologin --user-group "$APP_USER"
  fi
  install -d -o "$APP_USER" -g "$APP_USER" -m 0750 "$DATA_DIR" "$DATA_DIR/photos" "$DATA_DIR/audit" "$BACKUP_DIR"
  install -d -o root -g "$APP_USER" -m 0750 "$CONF_DIR"
}

# The database role owns only its database: no superuser, no CREATEDB/CREATEROLE/REPLICATION.
# (It owns the tables because the app creates time partitions and refreshes materialised views.)
setup_database() {
  say "database $DB_NAME for role $DB_USER"
  pg_lsclusters -h | grep -q online || pg_ctlcluster "$(ls /usr/lib/postgresql | sort -V | tail -1)" main start
  local password="${DB_PASSWORD:-}"
  if [ -f "$ENV_FILE" ]; then
    password=$(sed -n 's|^DATABASE_URL=postgresql://[^:]*:\([^@]*\)@.*|\1|p' "$ENV_FILE")
  fi
  [ -n "$password" ] || password=$(openssl rand -hex 24)
  DB_PASSWORD="$password"
  if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != 1 ]; then
    psql_admin -c "CREATE ROLE \"$DB_USER\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '$password'"
  else
    psql_admin -c "ALTER ROLE \"$DB_USER\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '$password'"
  fi
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
    psql_admin -c "CREATE DATABASE \"$DB_NAME\" OWNER \"$DB_USER\""
  fi
  psql_admin -d "$DB_NAME" -c "CREATE EXTENSION IF NOT EXISTS postgis"
  psql_admin -d "$DB_NAME" -c "ALTER SCHEMA public OWNER TO \"$DB_USER\""
  psql_admin -d "$DB_NAME" -c "REVOKE ALL ON DATABASE \"$DB_NAME\" FROM PUBLIC"
  psql_admin -d "$DB_NAME" -c "GRANT CONNECT, TEMPORARY ON DATABASE \"$DB_NAME\" TO \"$DB_USER\""
}

install_code() {
  say "installing the app into $APP_DIR"
  mkdir -p "$APP_DIR"
  rsync -a --delete --exclude .git --exclude .venv --exclude node_modules --exclude var \
    --exclude .env --exclude '__pycache__' --exclude 'tests/' --exclude 'bench/' "$SRC_DIR/" "$APP_DIR/"
  if [ ! -f "$APP_DIR/static/pwa/dist/index.html" ]; then
    say "warning: static/pwa/dist is not built (run 'npm ci && npm run build' in the release tree)"
  fi
  [ -x "$APP_DIR/.venv/bin/python" ] || python3 -m venv "$APP_DIR/.venv"
  "$APP_DIR/.venv/bin/pip" install -q --disable-pip-version-check -r "$APP_DIR/requirements.txt"
  chown -R root:"$APP_USER" "$APP_DIR"
  chmod -R g-w,o-rwx "$APP_DIR"
}

# The value of KEY in the environment file when it is set there, else the given default.
env_value() {
  local value=""
  if [ -f "$ENV_FILE" ]; then value=$(sed -n "s|^$1=||p" "$ENV_FILE" | tail -1); fi
  printf '%s' "${value:-$2}"
}
render_env() {
  local target="$ENV_FILE"
  if [ -f "$target" ]; then
    say "keeping $ENV_FILE (secrets are never replaced)"
    return
  fi
  say "writing $ENV_FILE"
  local SECRET_KEY PII_KEY AUDIT_KEY AUDIT_ANCHOR_DIR DATABASE_URL PUBLIC_URL PHOTO_DIR
  SECRET_KEY=$(openssl rand -base64 48 | tr -d '\n/+=')
  AUDIT_KEY=$(openssl rand -base64 48 | tr -d '\n/+=')
  AUDIT_ANCHOR_DIR="$DATA_DIR/audit"
  PII_KEY=$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '\n')
  DATABASE_URL="postgresql://$DB_USER:${DB_PASSWORD:-change-me}@127.0.0.1:5432/$DB_NAME"
  PUBLIC_URL="https://$SERVER_NAME"
  PHOTO_DIR="$DATA_DIR/photos"
  (umask 027 && render "$SRC_DIR/deploy/gridpatrol.env.example" "$target")
  if id -u "$APP_USER" >/dev/null 2>&1; then chown root:"$APP_USER" "$target"; fi
}

render_tls() {
  local cert="$TLS_CERT" key="$TLS_KEY"
  if [ -f "$cert" ] && [ -f "$key" ]; then return; fi
  say "creating a self-signed certificate for $SERVER_NAME (replace it: see deploy/README.md)"
  mkdir -p "$(dirname "$cert")" "$(dirname "$key")"
  (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$SERVER_NAME" \
    -addext "subjectAltName=DNS:$SERVER_NAME" -keyout "$key" -out "$cert" 2>/dev/null)
}

brotli_available() {
  ls "${NGINX_MODULES_ENABLED:-/etc/nginx/modules-enabled}"/*brotli*.conf >/dev/null 2>&1
}

render_nginx() {
  MAX_UPLOAD_MB=$(env_value MAX_UPLOAD_MB "$MAX_UPLOAD_MB")
  METRICS_ALLOW=$(env_value METRICS_ALLOW "$METRICS_ALLOW")
  GUNICORN_BIND=$(env_value GUNICORN_BIND "$GUNICORN_BIND")
  TRACKER_BIND=$(env_value TRACKER_BIND "$TRACKER_BIND")
  local UPSTREAM="$GUNICORN_BIND" LOG_DIR="${NGINX_LOG_DIR:-/var/log/nginx}" SNIPPET_DIR="$NGINX_DIR/snippets"
  local METRICS_ACCESS="" BROTLI="# brotli: install libnginx-mod-http-brotli-filter to enable" cidr
  for cidr in ${METRICS_ALLOW//,/ }; do
    METRICS_ACCESS+="        allow $cidr;"$'\n'
  done
  METRICS_ACCESS+="        deny all;"
  if brotli_available; then
    BROTLI=$'brotli on;\nbrotli_comp_level 5;\nbrotli_types text/plain text/css text/csv application/json application/geo+json application/javascript text/javascript application/manifest+json application/xml image/svg+xml application/vnd.mapbox-vector-tile application/x-protobuf;'
  fi
  render "$SRC_DIR/deploy/nginx/gridpatrol.conf" "$NGINX_DIR/sites-available/gridpatrol.conf"
  render "$SRC_DIR/deploy/nginx/gridpatrol-compression.conf" "$SNIPPET_DIR/gridpatrol-compression.conf"
  render "$SRC_DIR/deploy/nginx/gridpatrol-proxy.conf" "$SNIPPET_DIR/gridpatrol-proxy.conf"
}

render_units() {
  TRACKER_BIND=$(env_value TRACKER_BIND "$TRACKER_BIND")
  TRACKER_WORKERS=$(env_value TRACKER_WORKERS "$TRACKER_WORKERS")
  local unit TRACKER_HOST="${TRACKER_BIND%:*}" TRACKER_PORT="${TRACKER_BIND##*:}"
  for unit in gridpatrol.service gridpatrol-trackers.service gridpatrol-open311.service gridpatrol-backup.service \
    gridpatrol-backup.timer gridpatrol-upkeep.service gridpatrol-upkeep.timer; do
    render "$SRC_DIR/deploy/systemd/$unit" "$SYSTEMD_DIR/$unit"
  done
}

render_config() {
  render_env
  render_tls
  render_nginx
  render_units
}

run_as_app() {
  (
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
    cd "$APP_DIR"
    runuser -u "$APP_USER" -- env FLASK_APP=wsgi "$@"
  )
}

migrate() {
  say "applying migrations"
  run_as_app "$APP_DIR/.venv/bin/flask" db upgrade
}

enable_site() {
  ln -sf "$NGINX_DIR/sites-available/gridpatrol.conf" "$NGINX_DIR/sites-enabled/gridpatrol.conf"
  if [ -L "$NGINX_DIR/sites-enabled/default" ]; then rm "$NGINX_DIR/sites-enabled/default"; fi
  nginx -t -q
}

start_or_reload() {
  systemctl daemon-reload
  systemctl enable -q gridpatrol.service gridpatrol-trackers.service gridpatrol-open311.service gridpatrol-backup.timer \
    gridpatrol-upkeep.timer
  systemctl start gridpatrol-backup.timer gridpatrol-upkeep.timer
  systemctl reload-or-restart gridpatrol-trackers.service
  systemctl restart gridpatrol-open311.service  # picks up new code; pending deliveries stay in the outbox
  if systemctl is-active -q gridpatrol.service; then
    say "reloading gunicorn gracefully (new code, no dropped requests)"
    systemctl reload gridpatrol.service
  else
    say "starting gridpatrol"
    systemctl start gridpatrol.service
  fi
  systemctl reload-or-restart nginx
}

wait_ready() {
  local url="http://$GUNICORN_BIND/api/v1/ready"
  for _ in $(seq 1 60); do
    if curl -fsS "$url" >/dev/null 2>&1; then
      say "ready: https://$SERVER_NAME/"
      return
    fi
    sleep 1
  done
  die "the app did not become ready; see journalctl -u gridpatrol"
}

main() {
  check_platform
  install_packages
  create_system_user
  setup_database
  install_code
  render_config
  migrate
  enable_site
  start_or_reload
  wait_ready
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
