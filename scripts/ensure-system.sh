#!/usr/bin/env bash
# Install the Debian packages the project needs when they are missing (Debian/Ubuntu, root or sudo).
#   scripts/ensure-system.sh [--browser]
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)  # deploy tests run `nginx -t`
command -v soffice >/dev/null || missing+=(libreoffice-calc-nogui)  # export tests open CSVs in Calc
if [ "${1:-}" = "--browser" ]; then
  command -v chromium >/dev/null || missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "  [sys] installing ${missing[*]}"
  if [ ! -f /tmp/.gridpatrol-apt-updated ]; then as_root apt-get update -q >/dev/null && touch /tmp/.gridpatrol-apt-updated; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi
