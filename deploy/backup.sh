#!/usr/bin/env bash
# Nightly backup: the database as a pg_dump custom-format file, the photo store mirrored beside it,
# and dumps older than BACKUP_KEEP_DAYS removed (the newest dump is always kept).
#
#   deploy/backup.sh            (systemd: gridpatrol-backup.timer, with the environment file loaded)
#
# Reads DATABASE_URL, BACKUP_DIR, BACKUP_KEEP_DAYS (14) and PHOTO_DIR. Prints the dump's path.
set -euo pipefail

url="${DATABASE_URL:?DATABASE_URL must be set}"
url="${url/postgresql+psycopg:/postgresql:}"
backup_dir="${BACKUP_DIR:?BACKUP_DIR must be set}"
keep_days="${BACKUP_KEEP_DAYS:-14}"
mkdir -p "$backup_dir"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
dump="$backup_dir/gridpatrol-$stamp.dump"
# Written under a temporary name and renamed, so a half-written file is never taken for a backup.
pg_dump --format=custom --compress=6 --no-password --file="$dump.partial" "$url"
pg_restore --list "$dump.partial" >/dev/null
mv "$dump.partial" "$dump"

# Photos are content-addressed and never change: an additive copy is a complete, cheap mirror.
if [ -n "${PHOTO_DIR:-}" ] && [ -d "$PHOTO_DIR" ]; then
  mkdir -p "$backup_dir/photos"
  cp -Rn --preserve=timestamps "$PHOTO_DIR/." "$backup_dir/photos/"
fi

newest=$(ls -1t "$backup_dir"/gridpatrol-*.dump | head -1)
find "$backup_dir" -maxdepth 1 -name 'gridpatrol-*.dump' -mtime +"$keep_days" ! -path "$newest" -delete
find "$backup_dir" -maxdepth 1 -name 'gridpatrol-*.dump.partial' -mmin +600 -delete
echo "$dump"
